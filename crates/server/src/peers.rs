//! Peers: the other nodes (or TAXII servers) this node pulls from, each run
//! by a partner this node knows, with the credential that peer issued to
//! this node's partner.
//!
//! The record (URL, partner, CA certificates) is in the registry; the
//! credential is a secret and lives only in `<data-dir>/peers/<id>.token`
//! (0600, in a 0700 folder), never in the database, never logged, never
//! served (`GET /api/v1/peers` lists records only).

use std::path::{Path, PathBuf};

use store::{PeerRecord, Registry};

/// Checks a peer URL (federation's, where a round checks the API root a
/// peer's discovery names).
pub use federation::check_url;

/// Where peers' credentials are kept.
#[derive(Debug, Clone)]
pub struct PeerSecrets {
    dir: PathBuf,
}

impl PeerSecrets {
    /// The peers folder of a data dir (created with the first peer).
    pub fn in_data_dir(data_dir: &Path) -> PeerSecrets {
        PeerSecrets { dir: data_dir.join("peers") }
    }

    /// The peers folder of the data dir that holds the node's keys (the web
    /// pages, which know the node's state but not its configuration).
    pub fn beside(keys: &crate::keys::KeyDir) -> PeerSecrets {
        PeerSecrets::in_data_dir(keys.data_dir())
    }

    fn path(&self, id: &str) -> std::io::Result<PathBuf> {
        let id = uuid::Uuid::parse_str(id).map_err(std::io::Error::other)?;
        Ok(self.dir.join(format!("{id}.token")))
    }

    /// Keeps a peer's credential, readable by this user alone.
    pub fn write(&self, id: &str, token: &str) -> std::io::Result<()> {
        crate::keys::write_secret(&self.dir, &self.path(id)?, token.as_bytes())
    }

    /// A peer's credential.
    pub fn read(&self, id: &str) -> std::io::Result<String> {
        std::fs::read_to_string(self.path(id)?)
    }

    /// Forgets a peer's credential (nothing to do if there is none).
    pub fn remove(&self, id: &str) -> std::io::Result<()> {
        match std::fs::remove_file(self.path(id)?) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// Why a peer was not added: the input at fault, named, or the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddError {
    /// The URL is not one the node pulls from.
    Url(String),
    /// The partner is unknown here, or hosted here.
    Partner(String),
    /// The credential is not one line of visible characters.
    Token(String),
    /// The CA certificates cannot be read.
    Ca(String),
    /// The node could not keep the record or the credential.
    Node(String),
}

impl AddError {
    /// The input at fault: `url`, `partner`, `token` or `ca_pem`; none when
    /// the node failed.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            AddError::Url(_) => Some("url"),
            AddError::Partner(_) => Some("partner"),
            AddError::Token(_) => Some("token"),
            AddError::Ca(_) => Some("ca_pem"),
            AddError::Node(_) => None,
        }
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        match self {
            AddError::Url(m) | AddError::Partner(m) | AddError::Token(m) | AddError::Ca(m) | AddError::Node(m) => m,
        }
    }
}

impl std::fmt::Display for AddError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// Adds a peer: checks the URL, that the partner is one this node knows
/// and does not host, the credential, and the CA certificates (PEM); keeps
/// the record and, apart, the credential. Returns the record, or what is
/// at fault.
pub fn add(
    registry: &dyn Registry,
    secrets: &PeerSecrets,
    url: &str,
    partner: &str,
    token: &str,
    ca_pem: Option<String>,
) -> Result<PeerRecord, AddError> {
    check_url(url).map_err(AddError::Url)?;
    match registry.partner(partner).map_err(|e| AddError::Node(e.to_string()))? {
        None => return Err(AddError::Partner(format!("{partner}: not a partner this node knows (add it with `entente partner add --identity`)"))),
        Some(p) if p.hosted => return Err(AddError::Partner(format!("{partner}: a partner hosted on this node is not a peer"))),
        Some(_) => {}
    }
    let token = token.trim();
    if token.is_empty() || token.len() > 4096 || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AddError::Token("the credential must be one line of visible characters".into()));
    }
    if let Some(pem) = &ca_pem {
        let certs = crate::tls::certificates_pem(pem.as_bytes()).map_err(AddError::Ca)?;
        if certs.is_empty() {
            return Err(AddError::Ca("the CA file holds no PEM certificate".into()));
        }
    }
    let record = PeerRecord {
        id: uuid::Uuid::new_v4().to_string(),
        url: url.to_owned(),
        partner: partner.to_owned(),
        ca_pem,
        created: model::Timestamp::now().micros(),
    };
    secrets.write(&record.id, token).map_err(|e| AddError::Node(format!("keeping the credential: {e}")))?;
    if let Err(e) = registry.put_peer(&record) {
        let _ = secrets.remove(&record.id);
        return Err(AddError::Node(e.to_string()));
    }
    Ok(record)
}

/// Removes a peer and its credential; false if there is no such peer.
pub fn remove(registry: &dyn Registry, secrets: &PeerSecrets, id: &str) -> Result<bool, String> {
    let removed = registry.remove_peer(id).map_err(|e| e.to_string())?;
    if removed {
        secrets.remove(id).map_err(|e| format!("forgetting the credential: {e}"))?;
    }
    Ok(removed)
}
