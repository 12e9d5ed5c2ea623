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
        // Published by Entente: released to every partner.
        let published = PutOptions { posted_by: Some(policy::ext::ENTENTE_IDENTITY.to_owned()), ..PutOptions::default() };
        store.put(&shipped, &published)?;
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

/// Checks that `identity` may be added as a known (remote) partner: an
/// `identity` object authored by itself that carries its public key.
pub fn check_known_partner(identity: &model::Object) -> Result<(), String> {
    if identity.object_type() != "identity" {
        return Err(format!("`identity`: {} is not an identity object", identity.id()));
    }
    if identity.created_by_ref() != Some(identity.id()) {
        return Err(format!("`identity.created_by_ref`: a partner identity is authored by itself ({})", identity.id()));
    }
    match policy::ext::public_key_of(identity) {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(format!("`identity.extensions`: {} carries no public key ({})", identity.id(), policy::ext::PARTNER_KEY_EXT)),
        Err(e) => Err(e.to_string()),
    }
}

/// Adds a known partner hosted elsewhere: stores its identity object (its
/// own author, vouched for by this node's administrator) and its record.
/// What peers served before its key was known here was refused: sync
/// reads every peer again ([`read_again`]).
pub fn add_known_partner(store: &dyn Store, registry: &dyn Registry, identity: &model::Object) -> store::Result<String> {
    let id = identity.id().to_string();
    let name = identity.to_value().get("name").and_then(|n| n.as_str()).unwrap_or("").to_owned();
    let outcome = store.put(std::slice::from_ref(identity), &PutOptions { posted_by: Some(id.clone()), ..PutOptions::default() })?;
    if let Some(store::Outcome::Conflict(m) | store::Outcome::NotAuthor(m)) = outcome.first() {
        return Err(store::Error::Internal(m.clone()));
    }
    registry.put_partner(&PartnerRecord { id: id.clone(), name, hosted: false })?;
    read_again(store)?;
    Ok(id)
}

/// The registry setting naming the sync cursors' epoch: a new epoch makes
/// every peer's collections read again from the start (`federation`'s
/// paging keys its cursors by it).
pub const EPOCH: &str = "sync:epoch";

/// Makes the next sync rounds read every peer from the start (puts are
/// idempotent: only what was refused before and is accepted now is new).
/// Called when a partner becomes known here: objects refused for want of
/// its key were passed by the cursors.
pub fn read_again(store: &dyn Store) -> store::Result<()> {
    let epoch = model::Timestamp::now().micros().to_string();
    store.put(&[], &PutOptions { checkpoint: Some((EPOCH.to_owned(), epoch)), ..PutOptions::default() })?;
    Ok(())
}
