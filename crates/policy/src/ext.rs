//! The STIX extension definitions Entente ships, and builders for the objects they define.
//!
//! | definition | kind | carries |
//! |---|---|---|
//! | [`AGREEMENT_EXT`] | `new-sdo` `x-entente-agreement` | parties, scope, TLP ceiling, handling rules, validity |
//! | [`RATIFICATION_EXT`] | `new-sdo` `x-entente-ratification` | a party's Ed25519 signature over one agreement version |
//! | [`NOTICE_EXT`] | `new-sdo` `x-entente-notice` | a party's suspension, resumption or withdrawal |
//! | [`PARTNER_KEY_EXT`] | `property-extension` on `identity` | `public_key`: the partner's Ed25519 key, base64 |
//! | [`RELEASE_EXT`] | `property-extension` on any object | `recipient_refs` (TLP:RED), `exercise` |
//!
//! TLP:RED recipients travel as a property of the object (`recipient_refs` in
//! [`RELEASE_EXT`]), not as a marking definition: the list belongs to one
//! version of one object and only its author may change it, which is exactly
//! what a property is; a marking definition per recipient list would be a
//! separate shared object that every node would have to fetch and understand,
//! and an unknown marking means deny.

use serde_json::{json, Value};

use model::{Object, StixId, Timestamp};

use crate::agreement::AgreementTerms;
use crate::notice::NoticeKind;
use crate::Error;

pub use crate::ids::{
    AGREEMENT_EXT, AGREEMENT_TYPE, ENTENTE_IDENTITY, EXERCISE_LABEL, NOTICE_EXT, NOTICE_TYPE,
    PARTNER_KEY_EXT, RATIFICATION_EXT, RATIFICATION_TYPE, RELEASE_EXT,
};
pub use crate::keys::public_key_of;

const DEFINED: &str = "2026-11-01T00:00:00.000Z";

fn definition(id: &str, name: &str, description: &str, kind: &str, schema: &str) -> Value {
    json!({
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": id,
        "created": DEFINED,
        "modified": DEFINED,
        "created_by_ref": ENTENTE_IDENTITY,
        "name": name,
        "description": description,
        "schema": schema,
        "version": "1.0.0",
        "extension_types": [kind]
    })
}

/// The identity object of Entente, author of the extension definitions.
pub fn entente_identity() -> Value {
    json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": ENTENTE_IDENTITY,
        "created": DEFINED,
        "modified": DEFINED,
        "name": "Entente",
        "identity_class": "system"
    })
}

/// The extension definitions Entente ships, as STIX 2.1 objects (constant JSON).
pub fn extension_definitions() -> Vec<Value> {
    vec![
        definition(
            AGREEMENT_EXT,
            "Entente agreement",
            "An agreement between security partners: parties, scope, TLP ceiling, handling rules and validity. Its author (the proposer) alone versions it.",
            "new-sdo",
            "type x-entente-agreement. title: string; purpose: string; party_refs: list of identity ids (at least 2, including the author); \
             scope: {object_types: list of STIX types (empty = all), labels: list of strings (empty = all), data_kind: real | exercise | both}; \
             tlp_ceiling: clear | green | amber | amber+strict | red; \
             handling: {reshare: none | parties-only | recipient-agreements, attribution: required | withheld, \
             permitted_actions: list of contact-for-instruction | internally-visible | externally-visible-indirect | externally-visible-direct (FIRST IEP 2.0), \
             retention_days: optional positive integer}; valid_from: timestamp; valid_until: optional timestamp.",
        ),
        definition(
            RATIFICATION_EXT,
            "Entente ratification",
            "A party's ratification of one version of an agreement.",
            "new-sdo",
            "type x-entente-ratification. agreement_ref: the agreement id; agreement_version: the ratified version's modified timestamp; \
             signature: base64 Ed25519 signature, by the author's partner key, over the RFC 8785 canonical JSON of that agreement version.",
        ),
        definition(
            NOTICE_EXT,
            "Entente notice",
            "A party's notice of suspension, resumption or withdrawal from an agreement.",
            "new-sdo",
            "type x-entente-notice. agreement_ref: the agreement id; notice_type: suspension | resumption | withdrawal; effective: timestamp. \
             A withdrawal is final; a suspension lasts until the same party's later resumption.",
        ),
        definition(
            PARTNER_KEY_EXT,
            "Entente partner key",
            "The Ed25519 public key with which a partner signs ratifications.",
            "property-extension",
            "On identity objects. public_key: base64 (standard alphabet, padded) of the 32-byte Ed25519 public key.",
        ),
        definition(
            RELEASE_EXT,
            "Entente release properties",
            "Per-object release properties set by the object's author.",
            "property-extension",
            "On any object. recipient_refs: identity ids, the named recipients of a TLP:RED object; exercise: true if the object is exercise data.",
        ),
    ]
}

/// An identity object for a partner, carrying its public key.
pub fn partner_identity(
    id: &StixId,
    name: &str,
    public_key_b64: &str,
    created: &Timestamp,
) -> Result<Object, Error> {
    crate::keys::verifying_key(public_key_b64)?;
    let value = json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": id,
        "created": created.as_str(),
        "modified": created.as_str(),
        "name": name,
        "identity_class": "organization",
        "extensions": {
            PARTNER_KEY_EXT: { "extension_type": "property-extension", "public_key": public_key_b64 }
        }
    });
    Ok(Object::from_value(value)?)
}

/// A new random id (UUID version 4) for an object of the given type.
pub fn new_id(object_type: &str) -> Result<StixId, Error> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| Error::Key(format!("no randomness: {e}")))?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let raw = format!(
        "{object_type}--{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    );
    StixId::parse(&raw).map_err(|e| Error::invalid(raw, "id", e))
}

/// An `x-entente-agreement` object (one version) with the given terms.
pub fn agreement_object(
    id: &StixId,
    author: &StixId,
    created: &Timestamp,
    modified: &Timestamp,
    terms: &AgreementTerms,
) -> Result<Object, Error> {
    let mut value = json!({
        "type": AGREEMENT_TYPE,
        "spec_version": "2.1",
        "id": id,
        "created": created.as_str(),
        "modified": modified.as_str(),
        "created_by_ref": author,
        "extensions": { AGREEMENT_EXT: { "extension_type": "new-sdo" } }
    });
    let map = value.as_object_mut().expect("built as an object");
    for (k, v) in terms.to_properties() {
        map.insert(k, v);
    }
    let object = Object::from_value(value)?;
    crate::Agreement::from_object(&object)?;
    Ok(object)
}

/// The agreement properties a proposer writes (everything but the STIX
/// envelope): Entente's own terms. A partnership module's terms (the
/// scorecard's weights, the disputes' ladder) are the module's to name and
/// check (`partnership::Module::terms`).
pub const AGREEMENT_TERMS: &[&str] = &["title", "purpose", "party_refs", "scope", "tlp_ceiling", "handling", "valid_from", "valid_until", "meeting_cadence", "statement_procedure"];

/// A ratification's own properties (beyond the STIX envelope, its author,
/// `agreement_ref` and `signature`): the version of `agreement` it ratifies.
/// What [`ratification_object`] and the agreements module's `ratify` write.
pub fn ratification_properties(agreement: &crate::Agreement) -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    map.insert("agreement_version".into(), Value::from(agreement.version.as_str()));
    map
}

/// A notice's own properties (beyond the STIX envelope, its author and
/// `agreement_ref`): its kind and when it takes effect. What
/// [`notice_object`] and the agreements module's `give-notice` write.
pub fn notice_properties(kind: NoticeKind, effective: &Timestamp) -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    map.insert("notice_type".into(), Value::from(kind.name()));
    map.insert("effective".into(), Value::from(effective.as_str()));
    map
}

/// An `x-entente-ratification` object by `party` of one agreement version,
/// carrying `signature` (from [`crate::sign_agreement`]).
pub fn ratification_object(
    id: &StixId,
    party: &StixId,
    created: &Timestamp,
    agreement: &crate::Agreement,
    signature: &str,
) -> Result<Object, Error> {
    let mut value = json!({
        "type": RATIFICATION_TYPE,
        "spec_version": "2.1",
        "id": id,
        "created": created.as_str(),
        "modified": created.as_str(),
        "created_by_ref": party,
        "agreement_ref": agreement.id,
        "signature": signature,
        "extensions": { RATIFICATION_EXT: { "extension_type": "new-sdo" } }
    });
    if let Some(map) = value.as_object_mut() {
        map.extend(ratification_properties(agreement));
    }
    Ok(Object::from_value(value)?)
}

/// An `x-entente-notice` object by `party` about `agreement`.
pub fn notice_object(
    id: &StixId,
    party: &StixId,
    created: &Timestamp,
    agreement: &StixId,
    kind: NoticeKind,
    effective: &Timestamp,
) -> Result<Object, Error> {
    let mut value = json!({
        "type": NOTICE_TYPE,
        "spec_version": "2.1",
        "id": id,
        "created": created.as_str(),
        "modified": created.as_str(),
        "created_by_ref": party,
        "agreement_ref": agreement,
        "extensions": { NOTICE_EXT: { "extension_type": "new-sdo" } }
    });
    if let Some(map) = value.as_object_mut() {
        map.extend(notice_properties(kind, effective));
    }
    Ok(Object::from_value(value)?)
}

/// The [`RELEASE_EXT`] property extension to put under an object's
/// `extensions`: `(key, value)`.
pub fn release_extension(recipients: &[StixId], exercise: bool) -> (String, Value) {
    let mut ext = json!({ "extension_type": "property-extension" });
    if !recipients.is_empty() {
        ext["recipient_refs"] = json!(recipients);
    }
    if exercise {
        ext["exercise"] = Value::Bool(true);
    }
    (RELEASE_EXT.to_string(), ext)
}
