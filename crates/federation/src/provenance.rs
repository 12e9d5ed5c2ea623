//! The authors' signatures of a page's objects, fetched from the peer in
//! one request (`POST /api/v1/provenance`), and the checks that need no
//! store: each object parses and validates, its author's signature
//! verifies with the author's key known here, and a partnership module's
//! record passes its module's arrival check (on this thread, not the one
//! storing: a record costs that check besides what an object costs).

use std::collections::HashMap;

use model::StixId;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::client::{causes, origin};
use crate::paging::{Collection, Fetched, Head};

/// A peer's word on one version it served: its author's signature.
pub(crate) struct Served {
    signer: String,
    signature: String,
}

/// By `(id, own version micros)`.
pub(crate) type Signed = HashMap<(String, i64), Served>;

/// Asks the peer for its authors' signatures of these objects, in one
/// request (per 5000).
pub(crate) fn signatures(http: &reqwest::blocking::Client, root: &str, token: &str, objects: &[Head]) -> Result<Signed, String> {
    let mut out = HashMap::new();
    for chunk in objects.chunks(node::provenance::MAX_VERSIONS) {
        let versions: Vec<Value> = chunk
            .iter()
            .map(|o| serde_json::json!({ "id": o.id, "version": o.modified.as_ref().or(o.created.as_ref()) }))
            .collect();
        let url = format!("{}/api/v1/provenance", origin(root));
        let r = http
            .post(&url)
            .bearer_auth(token)
            .json(&serde_json::json!({ "versions": versions }))
            .send()
            .map_err(|e| format!("{url}: {}", causes(&e)))?;
        if !r.status().is_success() {
            return Err(format!("{url}: HTTP {}", r.status()));
        }
        let v: Value = r.json().map_err(|e| format!("{url}: {}", causes(&e)))?;
        for s in v.get("signatures").and_then(Value::as_array).into_iter().flatten() {
            let (Some(id), Some(signer), Some(value)) =
                (s.get("id").and_then(Value::as_str), s.get("signer").and_then(Value::as_str), s.get("signature").and_then(Value::as_str))
            else {
                continue;
            };
            let micros = match s.get("version").and_then(Value::as_str) {
                Some(t) => match model::Timestamp::parse(t) {
                    Ok(t) => t.micros(),
                    Err(_) => continue,
                },
                None => 0,
            };
            out.insert((id.to_owned(), micros), Served { signer: signer.to_owned(), signature: value.to_owned() });
        }
    }
    Ok(out)
}

/// One object of a page after the checks that need no store: parsed and
/// validated, its author's signature verified.
pub(crate) enum Checked {
    /// This node's partner's own, or Entente's definitions: nothing to take.
    Own,
    /// Refused: what to name it by, and why.
    Refused(String, String),
    /// Parsed, and signed by its author; for a partnership record, the
    /// verdict of its module's arrival check (`None` for anything else).
    Signed(Box<model::Object>, store::Signature, Option<Result<(), String>>),
}

/// What a page is checked with: the partners' keys and the agreements'
/// index as the book holds them, its generation (the book is read again
/// when a page brings agreement records or identities), and the modules'
/// arrival check.
pub(crate) struct Checker<'a> {
    pub(crate) generation: u64,
    pub(crate) keys: &'a policy::PartyKeys,
    pub(crate) index: &'a policy::AgreementIndex,
    pub(crate) arrival: crate::accept::Arrival<'a>,
}

/// Parses a page's objects and checks each one's signature against its
/// author's key, and each partnership record with its module
/// ([`Checker::arrival`]).
pub(crate) fn check(raws: &[&RawValue], limits: &model::Limits, local: &StixId, signed: &Signed, checker: &Checker<'_>) -> Vec<Checked> {
    let keys = checker.keys;
    raws.iter()
        .enumerate()
        .map(|(i, raw)| {
            let o = match node::release::accept(raw.get().as_bytes(), limits) {
                Ok(o) => o,
                Err(e) => return Checked::Refused(format!("objects[{i}]"), format!("invalid: {e}")),
            };
            let id = o.id().to_string();
            let author = o.created_by_ref();
            if author.is_some_and(|a| a.as_str() == policy::ext::ENTENTE_IDENTITY || a == local) {
                return Checked::Own;
            }
            let (sig_id, version) = store::Signature::key_of(&o);
            let served = signed.get(&(sig_id.clone(), version));
            // A partner's object carries its author's signature. A source's
            // (an author that is no partner here, or none) carries the
            // signature of the partner that holds it and vouches for it
            // (docs/sources.md): never a partner's key planted that way.
            let signer = match author {
                Some(a) if keys.get(a).is_some() => a.clone(),
                _ => {
                    let Some(s) = served else { return Checked::Refused(id, "the peer serves no signature of a partner vouching for it".into()) };
                    if o.object_type() == "identity" && !matches!(policy::ext::public_key_of(&o), Ok(None)) {
                        return Checked::Refused(id, "an identity with a key, vouched for by another partner: a partner's key comes from its own identity".into());
                    }
                    match StixId::parse(&s.signer) {
                        Ok(signer) if keys.get(&signer).is_some() => signer,
                        _ => {
                            let what = author.map_or_else(|| "it names no author".to_owned(), |a| format!("its author {a} is not known here by a key"));
                            return Checked::Refused(id, format!("{what} and no partner known here vouches for it (entente partner add --identity)"));
                        }
                    }
                }
            };
            if &signer == local {
                return Checked::Own;
            }
            let key = keys.get(&signer).expect("the signer's key was looked up");
            match served {
                Some(s) if s.signer == signer.as_str() && policy::provenance::verify_object(o.json(), &s.signature, key) => {
                    let signature = store::Signature { id: sig_id, version_micros: version, signer: s.signer.clone(), value: s.signature.clone() };
                    let arrival = policy::kinds::is_record(o.object_type()).then(|| (checker.arrival)(&o, checker.index));
                    Checked::Signed(Box::new(o), signature, arrival)
                }
                Some(_) => Checked::Refused(id, "its signature does not verify with its author's key: changed on the way".into()),
                None => Checked::Refused(id, "the peer serves no signature of its author for it".into()),
            }
        })
        .collect()
}

impl Collection<'_> {
    /// Asks the peer for a page's signatures.
    pub(crate) fn sign(&self, mut f: Fetched) -> Result<Fetched, String> {
        f.signed = signatures(self.http, self.root, self.token, &f.heads)?;
        Ok(f)
    }
}
