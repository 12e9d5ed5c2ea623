//! Partner keys and signatures: Ed25519 over the RFC 8785 form of an agreement version.

use std::collections::HashMap;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};

use model::Object;
use serde_json::Value;

use crate::ids::PARTNER_KEY_EXT;
use crate::{Agreement, Error, PartnerId, Ratification};

/// A new Ed25519 key pair: the 32 secret bytes (keep them, mode 0600, never
/// serve them) and the public key in base64 (put it on the identity).
pub fn generate_keypair() -> Result<([u8; 32], String), Error> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| Error::Key(format!("no randomness: {e}")))?;
    let public = public_key(&secret);
    Ok((secret, public))
}

/// The base64 public key of a secret key.
pub fn public_key(secret: &[u8; 32]) -> String {
    B64.encode(SigningKey::from_bytes(secret).verifying_key().as_bytes())
}

/// Reads a base64 public key.
pub fn verifying_key(public_key_b64: &str) -> Result<VerifyingKey, Error> {
    let bytes = B64
        .decode(public_key_b64)
        .map_err(|e| Error::Key(format!("not base64: {e}")))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| Error::Key("an Ed25519 public key is 32 bytes".into()))?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| Error::Key(e.to_string()))
}

/// Signs one agreement version (its JSON, as stored) with a party's secret
/// key: base64 of the Ed25519 signature over its RFC 8785 form.
pub fn sign_agreement(agreement_json: &[u8], signing_key: &[u8; 32]) -> Result<String, Error> {
    let canonical = crate::jcs::canonicalize_bytes(agreement_json)?;
    Ok(sign_canonical(&canonical, signing_key))
}

pub(crate) fn sign_canonical(canonical: &[u8], signing_key: &[u8; 32]) -> String {
    B64.encode(
        SigningKey::from_bytes(signing_key)
            .sign(canonical)
            .to_bytes(),
    )
}

/// Whether `ratification` is a valid signature by `party_public_key` over
/// `agreement_version_json`, and names that agreement and that version.
pub fn verify_ratification(
    ratification: &Ratification,
    agreement_version_json: &[u8],
    party_public_key: &str,
) -> bool {
    let Ok(key) = verifying_key(party_public_key) else {
        return false;
    };
    let Ok(object) = Object::parse(agreement_version_json, &model::Limits::default()) else {
        return false;
    };
    let Ok(agreement) = Agreement::from_object(&object) else {
        return false;
    };
    verifies(ratification, &agreement, &key)
}

/// The same check on an agreement already read, with a key already read.
pub fn verifies(ratification: &Ratification, agreement: &Agreement, key: &VerifyingKey) -> bool {
    if ratification.agreement != agreement.id || ratification.agreement_version != agreement.version
    {
        return false;
    }
    let Ok(sig) = B64.decode(&ratification.signature) else {
        return false;
    };
    let Ok(sig) = Signature::from_slice(&sig) else {
        return false;
    };
    key.verify(&agreement.canonical, &sig).is_ok()
}

/// The public keys of the partners a node knows, read once.
#[derive(Debug, Clone, Default)]
pub struct PartyKeys {
    keys: HashMap<PartnerId, VerifyingKey>,
}

impl PartyKeys {
    /// No keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a partner's key.
    pub fn insert(&mut self, partner: PartnerId, public_key_b64: &str) -> Result<(), Error> {
        self.keys.insert(partner, verifying_key(public_key_b64)?);
        Ok(())
    }

    /// Reads the keys carried by identity objects (those without one are skipped).
    pub fn from_identities<'a>(
        identities: impl IntoIterator<Item = &'a Object>,
    ) -> Result<Self, Error> {
        let mut keys = PartyKeys::new();
        for identity in identities {
            if let Some(k) = public_key_of(identity)? {
                keys.insert(identity.id().clone(), &k)?;
            }
        }
        Ok(keys)
    }

    /// A partner's key.
    pub fn get(&self, partner: &PartnerId) -> Option<&VerifyingKey> {
        self.keys.get(partner)
    }
}

/// The public key (base64) an identity object carries, if any.
pub fn public_key_of(identity: &Object) -> Result<Option<String>, Error> {
    if identity.object_type() != "identity" {
        return Err(Error::WrongType {
            object: identity.id().to_string(),
            expected: "identity",
            found: identity.object_type().into(),
        });
    }
    let value = identity.to_value();
    match value.pointer(&format!("/extensions/{PARTNER_KEY_EXT}/public_key")) {
        None => Ok(None),
        Some(Value::String(k)) => {
            verifying_key(k).map_err(|e| {
                Error::invalid(
                    identity.id(),
                    format!("extensions.{PARTNER_KEY_EXT}.public_key"),
                    e.to_string(),
                )
            })?;
            Ok(Some(k.clone()))
        }
        Some(_) => Err(Error::invalid(
            identity.id(),
            format!("extensions.{PARTNER_KEY_EXT}.public_key"),
            "must be a base64 string",
        )),
    }
}
