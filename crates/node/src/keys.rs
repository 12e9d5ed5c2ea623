//! Signing keys of the partners this node hosts: one Ed25519 secret per
//! partner in `<data-dir>/keys/<partner-id>.key`, mode 0600, never served
//! and never stored in the database.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The folder holding hosted partners' secret keys.
#[derive(Debug, Clone)]
pub struct KeyDir {
    dir: PathBuf,
}

impl KeyDir {
    /// The key folder of a data dir (created when the first key is written).
    pub fn in_data_dir(data_dir: &Path) -> KeyDir {
        KeyDir { dir: data_dir.join("keys") }
    }

    fn path(&self, partner: &str) -> std::io::Result<PathBuf> {
        let id = model::StixId::parse(partner).map_err(std::io::Error::other)?;
        Ok(self.dir.join(format!("{}.key", id.as_str())))
    }

    /// The data dir the key folder is in (where the peers' credentials are kept too).
    pub fn data_dir(&self) -> &Path {
        self.dir.parent().unwrap_or(&self.dir)
    }

    /// Makes a new key pair for `partner`, keeps the secret, returns the
    /// public key (base64).
    pub fn create(&self, partner: &str) -> std::io::Result<String> {
        let (secret, public) = policy::generate_keypair().map_err(std::io::Error::other)?;
        write_secret(&self.dir, &self.path(partner)?, &secret)?;
        Ok(public)
    }

    /// The secret key of a hosted partner.
    pub fn secret(&self, partner: &str) -> std::io::Result<[u8; 32]> {
        let bytes = std::fs::read(self.path(partner)?)?;
        bytes.try_into().map_err(|_| std::io::Error::other(format!("the key of {partner} is damaged")))
    }
}

/// Writes a new secret file (never replacing one), readable by this user
/// alone (0600), in `dir` (created, 0700), durably.
pub fn write_secret(dir: &Path, file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    set_mode(dir, 0o700)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(file)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}
