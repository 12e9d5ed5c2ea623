//! The node's own partner identity and secrets, created once.

use store::{PartnerRecord, PutOptions, Registry, Store};

use crate::keys::KeyDir;

/// Settings keys.
const NODE_PARTNER: &str = "node_partner";
const CURSOR_KEY: &str = "cursor_key";

/// Who the node is.
#[derive(Debug, Clone)]
pub struct NodeIdentity {
    /// The node's partner identity id.
    pub partner: String,
    /// Its name.
    pub name: String,
    /// The secret that seals paging cursors.
    pub cursor_key: String,
}

/// Initialises the node if it is not yet (the extension definitions Entente
/// ships, its identity object with its public key, its partner record, its
/// secrets) and returns who it is. Calling it again returns the existing
/// identity; `name` is used only the first time.
pub fn init(store: &dyn Store, registry: &dyn Registry, keys: &KeyDir, name: &str) -> store::Result<NodeIdentity> {
    let candidate = format!("identity--{}", uuid::Uuid::new_v4());
    let partner = registry.init_setting(NODE_PARTNER, &candidate)?;
    let cursor_key = registry.init_setting(CURSOR_KEY, &crate::auth::new_secret())?;
    if partner == candidate {
        let shipped: Vec<model::Object> = std::iter::once(policy::ext::entente_identity())
            .chain(policy::ext::extension_definitions())
            .map(model::Object::from_value)
            .collect::<Result<_, _>>()
            .map_err(|e| store::Error::Internal(e.to_string()))?;
        store.put(&shipped, &PutOptions::default())?;
        put_identity(store, registry, keys, &partner, name)?;
        tracing::info!(partner = %partner, name, "node initialised");
    }
    let name = registry.partner(&partner)?.map_or_else(|| name.to_owned(), |p| p.name);
    Ok(NodeIdentity { partner, name, cursor_key })
}

/// The node's identity, if it was initialised.
pub fn identity(registry: &dyn Registry) -> store::Result<Option<NodeIdentity>> {
    let (Some(partner), Some(cursor_key)) = (registry.setting(NODE_PARTNER)?, registry.setting(CURSOR_KEY)?) else {
        return Ok(None);
    };
    let name = registry.partner(&partner)?.map_or_else(String::new, |p| p.name);
    Ok(Some(NodeIdentity { partner, name, cursor_key }))
}

/// Adds a partner account hosted on this node: its identity object (its
/// own author) and its partner record. Returns its id.
pub fn add_hosted_partner(store: &dyn Store, registry: &dyn Registry, keys: &KeyDir, name: &str) -> store::Result<String> {
    let id = format!("identity--{}", uuid::Uuid::new_v4());
    put_identity(store, registry, keys, &id, name)?;
    Ok(id)
}

/// Makes a hosted partner's key pair, then stores its identity object
/// (authored by itself, carrying its public key) and its record.
fn put_identity(store: &dyn Store, registry: &dyn Registry, keys: &KeyDir, id: &str, name: &str) -> store::Result<()> {
    let public = keys.create(id).map_err(|e| store::Error::Internal(format!("writing the key of {id}: {e}")))?;
    let now = model::Timestamp::now();
    let created = model::Timestamp::parse(&format!("{}Z", &now.as_str()[..23])).map_err(store::Error::Internal)?;
    let stix_id = model::StixId::parse(id).map_err(store::Error::Internal)?;
    let identity = policy::ext::partner_identity(&stix_id, name, &public, &created)
        .and_then(|o| {
            let mut v = o.to_value();
            v["created_by_ref"] = serde_json::Value::String(id.to_owned());
            Ok(model::Object::from_value(v)?)
        })
        .map_err(|e| store::Error::Internal(e.to_string()))?;
    store.put(&[identity], &PutOptions { posted_by: Some(id.to_owned()), ..PutOptions::default() })?;
    registry.put_partner(&PartnerRecord { id: id.to_owned(), name: name.to_owned(), hosted: true })
}
