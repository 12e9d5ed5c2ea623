//! Provenance: an author's Ed25519 signature over object versions, many at
//! a time, each of which can still be checked alone.
//!
//! Signing each object apart costs an Ed25519 signature per object on the
//! author's node and a verification per object on every node it reaches:
//! the largest part of a sync round. Instead the author signs the root of a
//! Merkle tree over a batch of objects (the versions one provenance request
//! asks for), and each object's provenance is that signature, the root, and
//! the object's path to it. A receiver hashes the object up to the root and
//! checks the root's signature once per batch (verified roots are cached).
//! The path reveals nothing of the other objects in the batch: only hashes.
//!
//! - leaf: SHA-256(0x00 ‖ the object's RFC 8785 form)
//! - inner node: SHA-256(0x01 ‖ left ‖ right); a node without a sibling at
//!   its level moves up unchanged
//! - the signature: Ed25519 over `entente-provenance-v1` ‖ root
//! - the provenance string: `m1.` base64(signature) `.` base64(root) `.`
//!   base64(path), the path being, from the leaf up, one byte (1: the
//!   sibling is on the left, 0: on the right) and the sibling's 32 bytes per
//!   level.

use std::cell::RefCell;
use std::collections::HashMap;

use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest as _, Sha256};

use crate::Error;

type Hash = [u8; 32];

const CONTEXT: &[u8] = b"entente-provenance-v1";
const PREFIX: &str = "m1.";

fn leaf(object_json: &[u8]) -> Result<Hash, Error> {
    let canonical = crate::jcs::canonicalize_bytes(object_json)?;
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(&canonical);
    Ok(h.finalize().into())
}

fn node(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

fn message(root: &Hash) -> Vec<u8> {
    [CONTEXT, root.as_slice()].concat()
}

/// Signs object versions (their JSON, as stored) with their author's
/// secret key: one provenance string per object, in order.
pub fn sign_objects(objects: &[&[u8]], signing_key: &[u8; 32]) -> Result<Vec<String>, Error> {
    if objects.is_empty() {
        return Ok(Vec::new());
    }
    let mut level: Vec<Hash> = objects.iter().map(|o| leaf(o)).collect::<Result<_, _>>()?;
    // Each object's path, built level by level: (its node's index, path).
    let mut at: Vec<usize> = (0..objects.len()).collect();
    let mut paths: Vec<Vec<u8>> = vec![Vec::new(); objects.len()];
    while level.len() > 1 {
        for (i, path) in at.iter_mut().zip(&mut paths) {
            let sibling = *i ^ 1;
            if let Some(s) = level.get(sibling) {
                path.push(u8::from(sibling < *i));
                path.extend_from_slice(s);
            }
            *i /= 2;
        }
        level = level.chunks(2).map(|pair| if let [l, r] = pair { node(l, r) } else { pair[0] }).collect();
    }
    let root = level[0];
    let signature = SigningKey::from_bytes(signing_key).sign(&message(&root));
    let head = format!("{PREFIX}{}.{}.", B64.encode(signature.to_bytes()), B64.encode(root));
    Ok(paths.into_iter().map(|p| format!("{head}{}", B64.encode(p))).collect())
}

thread_local! {
    /// Roots whose signature was checked, by (key, signature, root).
    static VERIFIED: RefCell<HashMap<Vec<u8>, bool>> = RefCell::new(HashMap::new());
}

/// Whether `provenance` (from [`sign_objects`]) shows that `key`'s owner
/// signed exactly this object (its JSON in any formatting: the RFC 8785 form
/// is what counts). A root's signature is checked once per thread.
pub fn verify_object(object_json: &[u8], provenance: &str, key: &VerifyingKey) -> bool {
    let Some(rest) = provenance.strip_prefix(PREFIX) else { return false };
    let mut parts = rest.split('.');
    let (Some(sig), Some(root), Some(path), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let (Ok(sig), Ok(root), Ok(path)) = (B64.decode(sig), B64.decode(root), B64.decode(path)) else {
        return false;
    };
    let (Ok(root), Ok(sig)) = (<Hash>::try_from(root.as_slice()), Signature::from_slice(&sig)) else {
        return false;
    };
    if path.len() % 33 != 0 {
        return false;
    }
    let Ok(mut h) = leaf(object_json) else { return false };
    for step in path.chunks_exact(33) {
        let sibling: Hash = step[1..].try_into().expect("33-byte steps");
        h = match step[0] {
            1 => node(&sibling, &h),
            0 => node(&h, &sibling),
            _ => return false,
        };
    }
    if h != root {
        return false;
    }
    let cache_key = [key.as_bytes().as_slice(), &sig.to_bytes(), &root].concat();
    VERIFIED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(ok) = cache.get(&cache_key) {
            return *ok;
        }
        let ok = key.verify(&message(&root), &sig).is_ok();
        if cache.len() >= 4096 {
            cache.clear();
        }
        cache.insert(cache_key, ok);
        ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{generate_keypair, verifying_key};

    fn malware(n: usize, name: &str) -> Vec<u8> {
        format!(r#"{{"type":"malware","id":"malware--0c7b5b88-8ff7-4a4d-aa9d-{n:012}","name":"{name}","is_family":false}}"#).into_bytes()
    }

    #[test]
    fn every_object_of_a_batch_verifies_alone_and_nothing_else_does() {
        let (secret, public) = generate_keypair().unwrap();
        let key = verifying_key(&public).unwrap();
        let (_, other) = generate_keypair().unwrap();
        let other = verifying_key(&other).unwrap();
        for size in [1usize, 2, 3, 7, 8, 33] {
            let objects: Vec<Vec<u8>> = (0..size).map(|n| malware(n, "x")).collect();
            let refs: Vec<&[u8]> = objects.iter().map(Vec::as_slice).collect();
            let signed = sign_objects(&refs, &secret).unwrap();
            assert_eq!(signed.len(), size);
            for (i, (o, p)) in objects.iter().zip(&signed).enumerate() {
                assert!(verify_object(o, p, &key), "object {i} of {size}");
                assert!(!verify_object(o, p, &other), "another partner's key");
                assert!(!verify_object(&malware(i, "y"), p, &key), "a changed object");
                if size > 1 {
                    let neighbour = &objects[(i + 1) % size];
                    assert!(!verify_object(neighbour, p, &key), "another object of the batch with this one's path");
                }
            }
        }
    }

    #[test]
    fn formatting_does_not_matter_and_damage_is_refused() {
        let (secret, public) = generate_keypair().unwrap();
        let key = verifying_key(&public).unwrap();
        let o = malware(1, "x");
        let p = &sign_objects(&[&o], &secret).unwrap()[0];
        let reordered = br#"{ "name": "x", "is_family": false, "type": "malware", "id": "malware--0c7b5b88-8ff7-4a4d-aa9d-000000000001" }"#;
        assert!(verify_object(reordered, p, &key));
        let mut flipped = p.clone().into_bytes();
        let last = flipped.len() - 6; // inside the signature or root
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        for bad in ["", "m1.", "m1.a.b", "m2.x.y.z", "not base64!", std::str::from_utf8(&flipped).unwrap()] {
            assert!(!verify_object(&o, bad, &key), "{bad:?}");
        }
        assert!(!verify_object(b"not json", p, &key));
        // A forged root with a valid-looking path fails on the signature.
        let (forger, _) = generate_keypair().unwrap();
        let forged = &sign_objects(&[&o], &forger).unwrap()[0];
        assert!(!verify_object(&o, forged, &key));
    }
}
