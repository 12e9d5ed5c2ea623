//! Who a request or command acts for, once its credential checked out.

use policy::PartnerId;
use store::Role;

use crate::Error;

/// Who a request acts for: its partner (parsed once, where the caller is
/// made), its role, and whether it administers the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The partner (identity id) the credential acts for.
    pub partner: PartnerId,
    /// What the credential may do.
    pub role: Role,
    /// An administrator of the node's own partner: the node's operator
    /// (partners, peers, every object's release explanation).
    pub node_admin: bool,
    /// The credential's public id, for logs (`user:NAME` for a user account).
    pub token_id: String,
}

impl Caller {
    /// The caller acting for `partner` (as stored with its token or user
    /// account) with `role`, on the node whose own partner is `node`. A
    /// stored partner that is no identity id is a damaged registry.
    pub fn new(partner: &str, role: Role, token_id: String, node: &str) -> Result<Caller, Error> {
        let partner = PartnerId::parse(partner)
            .map_err(|e| Error::Internal(format!("credential {token_id}: stored partner {partner:?}: {e}")))?;
        let node_admin = role == Role::Admin && partner.as_str() == node;
        Ok(Caller { partner, role, node_admin, token_id })
    }

    /// Whether the caller's role is at least `role`.
    pub fn can(&self, role: Role) -> bool {
        self.role >= role
    }

    /// Refuses (forbidden, saying `why`) a caller who does not administer
    /// the node.
    pub fn must_be_node_admin(&self, why: &str) -> Result<(), Error> {
        if self.node_admin {
            Ok(())
        } else {
            Err(Error::Forbidden(why.to_owned()))
        }
    }

    /// Refuses (forbidden, saying `why`) a caller whose role is below `role`.
    pub fn must_be(&self, role: Role, why: &str) -> Result<(), Error> {
        if self.can(role) {
            Ok(())
        } else {
            Err(Error::Forbidden(why.to_owned()))
        }
    }
}
