//! The node's own records, which are not partnership objects and never
//! leave the node: partners it knows or hosts, API tokens, TAXII collections,
//! TAXII add-status resources, and settings.

use crate::Result;

/// Who may do something with a collection.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// Every authenticated partner.
    All,
    /// Only these partners (identity ids).
    Partners(Vec<String>),
}

impl Access {
    /// Whether `partner` is allowed.
    pub fn allows(&self, partner: &str) -> bool {
        match self {
            Access::All => true,
            Access::Partners(p) => p.iter().any(|x| x == partner),
        }
    }
}

/// A TAXII collection as the node keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionRecord {
    /// The collection id (a UUID).
    pub id: String,
    /// Human-readable title.
    pub title: String,
    /// Optional description.
    pub description: Option<String>,
    /// Who may read its objects.
    pub readers: Access,
    /// Who may add objects to it.
    pub writers: Access,
}

/// A partner the node knows: its own, one it hosts, or a remote one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerRecord {
    /// The partner's STIX identity id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Whether the node hosts this partner's account (its own partner included).
    pub hosted: bool,
}

/// A role, which decides what a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reads what the partner may see.
    Viewer,
    /// Also shares and hunts intelligence.
    Analyst,
    /// Also negotiates and ratifies agreements.
    Liaison,
    /// Also runs the node: partners, tokens, collections.
    Admin,
}

impl Role {
    /// All roles, least powerful first.
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Analyst, Role::Liaison, Role::Admin];

    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Liaison => "liaison",
            Role::Admin => "admin",
        }
    }

    /// Parses a role name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// An API token as stored: never the token itself, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Public identifier, the lookup key (part of the token text).
    pub id: String,
    /// SHA-256 of the whole token.
    pub hash: Vec<u8>,
    /// The partner the token acts for.
    pub partner: String,
    /// The user it was issued to (a label).
    pub user: String,
    /// What it may do.
    pub role: Role,
    /// When it was created (microseconds since the epoch).
    pub created: i64,
    /// When it stops working, if ever.
    pub expires: Option<i64>,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// A person who signs in to the pages with a user name and password.
/// Only the password's Argon2id hash is kept (a PHC string), never the
/// password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// The sign-in name, unique on the node.
    pub name: String,
    /// The partner the user acts for.
    pub partner: String,
    /// What the user may do.
    pub role: Role,
    /// The password's hash: `$argon2id$v=19$m=…,t=…,p=…$salt$hash`.
    pub password: String,
    /// When it was created (microseconds since the epoch).
    pub created: i64,
    /// Whether the account is disabled (it can no longer sign in, and its
    /// sessions end).
    pub disabled: bool,
}

/// Another Entente node (or TAXII server) this node pulls from. Its
/// credential is not here: it is a secret, kept apart (0600 files in the
/// data dir), never in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRecord {
    /// This node's id for the peer (a UUID).
    pub id: String,
    /// The peer's TAXII discovery or API root URL.
    pub url: String,
    /// The partner whose node it is (its STIX identity id).
    pub partner: String,
    /// CA certificates (PEM) to verify its TLS certificate with, instead of
    /// the public roots.
    pub ca_pem: Option<String>,
    /// When it was added (microseconds since the epoch).
    pub created: i64,
}

/// The node's own records.
pub trait Registry: Send + Sync {
    /// Adds or renames a partner.
    fn put_partner(&self, partner: &PartnerRecord) -> Result<()>;
    /// Every known partner, by name.
    fn partners(&self) -> Result<Vec<PartnerRecord>>;

    /// Stores a new token.
    fn put_token(&self, token: &TokenRecord) -> Result<()>;
    /// Looks a token up by its public id.
    fn token(&self, id: &str) -> Result<Option<TokenRecord>>;
    /// Every token, newest first.
    fn tokens(&self) -> Result<Vec<TokenRecord>>;
    /// Marks a token revoked; false if there is no such token.
    fn revoke_token(&self, id: &str) -> Result<bool>;

    /// Creates a user account, or replaces the one with this name (a new
    /// password, role or disabled flag).
    fn put_user(&self, user: &UserRecord) -> Result<()>;
    /// Looks a user up by name.
    fn user(&self, name: &str) -> Result<Option<UserRecord>>;
    /// Every user, by name.
    fn users(&self) -> Result<Vec<UserRecord>>;

    /// Creates a collection; false if one with this id exists.
    fn put_collection(&self, collection: &CollectionRecord) -> Result<bool>;
    /// Every collection, by title.
    fn collections(&self) -> Result<Vec<CollectionRecord>>;

    /// Stores (or replaces) a TAXII status resource owned by `owner`.
    fn put_status(&self, id: &str, owner: &str, json: &[u8]) -> Result<()>;
    /// A status resource and its owner.
    fn status(&self, id: &str) -> Result<Option<(String, Vec<u8>)>>;
    /// The status resources still pending (`"status":"pending"` in their
    /// JSON): `(id, owner, json)`. Read at start-up to resolve those a
    /// stopped process left (a scan of the statuses).
    fn pending_statuses(&self) -> Result<Vec<(String, String, Vec<u8>)>>;
    /// Replaces status `id` by `json` only if it still reads `was`; says
    /// whether it did (so a resolution never overwrites what the add that
    /// made the status wrote meanwhile).
    fn replace_status(&self, id: &str, was: &[u8], json: &[u8]) -> Result<bool>;

    /// Adds a peer; false if one with this id exists.
    fn put_peer(&self, peer: &PeerRecord) -> Result<bool>;
    /// Every peer, oldest first.
    fn peers(&self) -> Result<Vec<PeerRecord>>;
    /// Removes a peer; false if there is no such peer.
    fn remove_peer(&self, id: &str) -> Result<bool>;

    /// A node setting.
    fn setting(&self, key: &str) -> Result<Option<String>>;
    /// Sets a node setting if it is not set yet; returns the value in force.
    fn init_setting(&self, key: &str, value: &str) -> Result<String>;

    /// One collection by id.
    fn collection(&self, id: &str) -> Result<Option<CollectionRecord>> {
        Ok(self.collections()?.into_iter().find(|c| c.id == id))
    }
    /// One partner by id.
    fn partner(&self, id: &str) -> Result<Option<PartnerRecord>> {
        Ok(self.partners()?.into_iter().find(|p| p.id == id))
    }
}
