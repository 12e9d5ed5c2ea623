//! Agreements on a node: propose, amend, ratify, give notice, and read them
//! with their derived state. Each action creates an object authored by the
//! acting partner — never by anyone else — and the state is always derived
//! from the stored objects (policy crate), never kept as a field.

use std::collections::HashMap;

use model::{Object, StixId, Timestamp};
use policy::{Agreement, AgreementIndex, AgreementState, Notice, NoticeKind, PartyKeys, Ratification};
use serde_json::{json, Map, Value};
use store::{Outcome, PutOptions, Query, Store, Versions};

use crate::keys::KeyDir;

/// Why an agreement action was refused.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed or the terms are invalid: the message names
    /// the property, which the refusal also keeps apart for forms.
    #[error("{0}")]
    Invalid(Refusal),
    /// No such agreement, or the caller is not one of its parties (need-to-know).
    #[error("no such agreement")]
    NotFound,
    /// The caller may not do this (only the proposer amends).
    #[error("{0}")]
    Forbidden(String),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// Why an agreement request's input was refused: the message, naming the
/// property at fault, and that property kept apart (a JSON path into the
/// agreement such as `party_refs` or `handling.reshare`) with what is wrong
/// with it, so a form marks the field at fault without reading the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The property at fault, if the fault is in one property.
    pub property: Option<String>,
    /// What is wrong with it (the message when no property is at fault).
    pub why: String,
    message: String,
}

impl Refusal {
    /// A refusal naming no property.
    pub fn new(message: impl Into<String>) -> Refusal {
        let message = message.into();
        Refusal { property: None, why: message.clone(), message }
    }

    /// A refusal of `property`: `why`.
    pub fn of(property: impl Into<String>, why: impl Into<String>) -> Refusal {
        let (property, why) = (property.into(), why.into());
        Refusal { message: format!("property `{property}`: {why}"), property: Some(property), why }
    }

    /// The whole message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<Refusal> for String {
    fn from(r: Refusal) -> String {
        r.message
    }
}

impl From<model::Error> for Refusal {
    fn from(e: model::Error) -> Refusal {
        let why = match &e.kind {
            model::ErrorKind::Json(m) => format!("malformed JSON: {m}"),
            model::ErrorKind::Missing => "required but missing".to_owned(),
            model::ErrorKind::Invalid(m) => m.clone(),
            model::ErrorKind::TooLarge { size, limit } => format!("{size} bytes is over the limit of {limit} bytes"),
        };
        Refusal { property: e.property.clone(), why, message: e.to_string() }
    }
}

impl From<policy::Error> for Refusal {
    fn from(e: policy::Error) -> Refusal {
        let message = e.to_string();
        match e {
            policy::Error::Model(m) => Refusal::from(m),
            policy::Error::Missing { property, .. } => Refusal { property: Some(property), why: "required but missing".to_owned(), message },
            policy::Error::Invalid { property, why, .. } => Refusal { property: Some(property), why, message },
            _ => Refusal::new(message),
        }
    }
}

fn invalid(e: impl std::fmt::Display) -> Error {
    Error::Invalid(Refusal::new(e.to_string()))
}

/// An agreement as a party sees it: its latest version, state, and who
/// ratified which version.
#[derive(Debug, Clone)]
pub struct View {
    /// The latest version.
    pub agreement: Agreement,
    /// Every version, oldest first.
    pub versions: Vec<Agreement>,
    /// State now.
    pub state: AgreementState,
    /// (party, version ratified, signature verifies).
    pub ratifications: Vec<(StixId, String, bool)>,
    /// Notices given.
    pub notices: Vec<Notice>,
}

/// Everything the node knows about agreements, read from the store.
pub struct Book {
    versions: HashMap<StixId, Vec<Agreement>>,
    ratifications: Vec<Ratification>,
    notices: Vec<Notice>,
    keys: PartyKeys,
    index: AgreementIndex,
    holds: Vec<(policy::Hold, i64)>,
}

fn latest_objects(store: &dyn Store, ty: &str, versions: Versions) -> Result<Vec<Object>, Error> {
    let mut out = Vec::new();
    let q = Query { types: vec![ty.to_owned()], versions, ..Query::default() };
    store.scan(&q, &mut |r| {
        if let Ok(o) = Object::parse(&r.json, &model::Limits::default()) {
            out.push(o);
        }
        Ok(())
    })?;
    Ok(out)
}

impl Book {
    /// Reads agreements, ratifications, notices and partner keys from the store.
    pub fn load(store: &dyn Store) -> Result<Book, Error> {
        let mut versions: HashMap<StixId, Vec<Agreement>> = HashMap::new();
        for o in latest_objects(store, policy::ext::AGREEMENT_TYPE, Versions::ALL)? {
            if let Ok(a) = Agreement::from_object(&o) {
                versions.entry(a.id.clone()).or_default().push(a);
            }
        }
        for v in versions.values_mut() {
            v.sort_by(|a, b| a.version.cmp(&b.version));
        }
        let ratifications: Vec<Ratification> = latest_objects(store, policy::ext::RATIFICATION_TYPE, Versions::LAST)?
            .iter()
            .filter_map(|o| Ratification::from_object(o).ok())
            .collect();
        let notices: Vec<Notice> = latest_objects(store, policy::ext::NOTICE_TYPE, Versions::LAST)?
            .iter()
            .filter_map(|o| Notice::from_object(o).ok())
            .collect();
        // A partner's key counts only from its own identity object (authored
        // by itself): nobody can plant a key for another partner.
        let identities: Vec<Object> = latest_objects(store, "identity", Versions::LAST)?
            .into_iter()
            .filter(|i| i.created_by_ref() == Some(i.id()))
            .collect();
        let keys = PartyKeys::from_identities(identities.iter().filter(|i| policy::ext::public_key_of(i).is_ok()))
            .map_err(invalid)?;
        let all: Vec<Agreement> = versions.values().flatten().cloned().collect();
        let index = AgreementIndex::build(&all, &ratifications, &notices, &keys);
        // Holds the modules derive from their records (a dispute's remedy):
        // in the index every view and decision reads.
        let holds = crate::release::holds_in(store, &index)?;
        let index = index.with_holds(holds.iter().map(|(h, _)| h.clone()));
        Ok(Book { versions, ratifications, notices, keys, index, holds })
    }

    /// The holds in the index, each with the date the newest record it was
    /// derived from was stored.
    pub fn holds(&self) -> &[(policy::Hold, i64)] {
        &self.holds
    }

    /// The derived index, for release decisions.
    pub fn index(&self) -> &AgreementIndex {
        &self.index
    }

    /// The partners' keys, each from the partner's own identity.
    pub fn keys(&self) -> &PartyKeys {
        &self.keys
    }

    /// One agreement as `partner` may see it: 404 unless it is a party to
    /// the latest version or its author, the rule the release decision
    /// applies to agreement records on every other path
    /// (`policy::decide_agreement_object`): a party an amendment removed
    /// sees it no more.
    pub fn view(&self, id: &StixId, partner: &StixId, now: &Timestamp) -> Result<View, Error> {
        let versions = self.versions.get(id).ok_or(Error::NotFound)?;
        let latest = versions.last().ok_or(Error::NotFound)?.clone();
        if !(latest.is_party(partner) || &latest.author == partner) {
            return Err(Error::NotFound);
        }
        let ratifications = self
            .ratifications
            .iter()
            .filter(|r| &r.agreement == id)
            .map(|r| {
                let version = versions.iter().find(|v| v.version == r.agreement_version);
                let ok = match (version, self.keys.get(&r.author)) {
                    (Some(v), Some(k)) => policy::keys::verifies(r, v, k),
                    _ => false,
                };
                (r.author.clone(), r.agreement_version.to_string(), ok)
            })
            .collect();
        let notices = self.notices.iter().filter(|n| &n.agreement == id).cloned().collect();
        // From the index: the holds a module derived count too.
        let state = self.index.state(id, now);
        Ok(View { agreement: latest, versions: versions.clone(), state, ratifications, notices })
    }

    /// Every agreement `partner` is a party to.
    pub fn list(&self, partner: &StixId, now: &Timestamp) -> Vec<View> {
        let mut ids: Vec<&StixId> = self.versions.keys().collect();
        ids.sort();
        ids.into_iter().filter_map(|id| self.view(id, partner, now).ok()).collect()
    }
}

fn millis(now: &Timestamp) -> Timestamp {
    Timestamp::parse(&format!("{}Z", &now.as_str()[..23])).unwrap_or_else(|_| now.clone())
}

fn put_own(store: &dyn Store, object: Object, partner: &StixId) -> Result<Object, Error> {
    let options = PutOptions { posted_by: Some(partner.to_string()), only_author: true, ..PutOptions::default() };
    match store.put(std::slice::from_ref(&object), &options)?.pop() {
        Some(Outcome::Added(_) | Outcome::Unchanged(_)) => Ok(object),
        Some(Outcome::Conflict(m) | Outcome::NotAuthor(m)) => Err(Error::Forbidden(m)),
        None => Err(Error::Store(store::Error::Internal("no outcome".into()))),
    }
}

/// The agreement properties a proposer writes: Entente's own terms
/// (`policy::ext::AGREEMENT_TERMS`, what the agreements module's `propose`
/// takes too); a module's own terms are the module's to name and check.
const TERMS: &[&str] = policy::ext::AGREEMENT_TERMS;

/// Builds and stores a version of an agreement authored by `author`: a new
/// agreement when `id` is `None`, else an amendment (a new version) of it.
///
/// The terms are Entente's own and those the node's `modules` read
/// (`partnership::Module::terms`), each module checking its own.
pub fn propose(store: &dyn Store, author: &StixId, id: Option<&StixId>, terms: &Map<String, Value>, modules: &[std::sync::Arc<dyn partnership::Module>]) -> Result<Agreement, Error> {
    let known: Vec<&str> = TERMS.iter().copied().chain(modules.iter().flat_map(|m| m.terms().iter().copied())).collect();
    if let Some(bad) = terms.keys().find(|k| !known.contains(&k.as_str())) {
        let why = format!("is not an agreement term ({})", known.join(", "));
        return Err(Error::Invalid(Refusal { message: format!("property `{bad}` {why}"), property: Some(bad.clone()), why }));
    }
    let now = millis(&Timestamp::now());
    let (id, created) = match id {
        None => (policy::ext::new_id(policy::ext::AGREEMENT_TYPE).map_err(invalid)?, now.clone()),
        Some(id) => {
            let book = Book::load(store)?;
            let versions = book.versions.get(id).ok_or(Error::NotFound)?;
            let first = versions.first().ok_or(Error::NotFound)?;
            if &first.author != author {
                return Err(if versions.iter().any(|v| v.is_party(author)) {
                    Error::Forbidden("only the proposer amends an agreement".into())
                } else {
                    Error::NotFound
                });
            }
            let created = versions.last().map(|v| v.version.clone()).unwrap_or(now.clone());
            (id.clone(), created)
        }
    };
    let mut value = json!({
        "type": policy::ext::AGREEMENT_TYPE,
        "spec_version": "2.1",
        "id": id,
        "created": created.as_str(),
        "modified": now.as_str(),
        "created_by_ref": author,
        "extensions": { policy::ext::AGREEMENT_EXT: { "extension_type": "new-sdo" } }
    });
    let map = value.as_object_mut().expect("an object");
    for (k, v) in terms {
        map.insert(k.clone(), v.clone());
    }
    let object = Object::from_value(value).map_err(|e| Error::Invalid(e.into()))?;
    let agreement = Agreement::from_object(&object).map_err(|e| Error::Invalid(e.into()))?;
    if !agreement.is_party(author) {
        return Err(Error::Invalid(Refusal::of("party_refs", "the proposer must be one of the parties")));
    }
    for module in modules {
        module.check_terms(&agreement).map_err(|e| match e {
            partnership::Error::Invalid { property, reason, .. } => Error::Invalid(Refusal::of(property, reason)),
            other => Error::Invalid(Refusal::new(other.to_string())),
        })?;
    }
    put_own(store, object, author)?;
    Ok(agreement)
}

/// `party` ratifies the latest version of an agreement, signing its
/// canonical JSON with the party's key.
pub fn ratify(store: &dyn Store, keys: &KeyDir, party: &StixId, id: &StixId) -> Result<Object, Error> {
    let book = Book::load(store)?;
    let latest = book.versions.get(id).and_then(|v| v.last()).ok_or(Error::NotFound)?;
    if !latest.is_party(party) {
        return Err(Error::NotFound);
    }
    let secret = keys.secret(party.as_str()).map_err(|e| Error::Forbidden(format!("this node holds no key for {party}: {e}")))?;
    let signature = policy::sign_agreement(&latest.canonical, &secret).map_err(invalid)?;
    let now = millis(&Timestamp::now());
    let rid = policy::ext::new_id(policy::ext::RATIFICATION_TYPE).map_err(invalid)?;
    let object = policy::ext::ratification_object(&rid, party, &now, latest, &signature).map_err(invalid)?;
    put_own(store, object, party)
}

/// `party` gives notice (suspension, resumption, withdrawal) effective at `effective`.
pub fn give_notice(
    store: &dyn Store,
    party: &StixId,
    id: &StixId,
    kind: NoticeKind,
    effective: Option<Timestamp>,
) -> Result<Object, Error> {
    let book = Book::load(store)?;
    let latest = book.versions.get(id).and_then(|v| v.last()).ok_or(Error::NotFound)?;
    if !latest.is_party(party) {
        return Err(Error::NotFound);
    }
    let now = millis(&Timestamp::now());
    let nid = policy::ext::new_id(policy::ext::NOTICE_TYPE).map_err(invalid)?;
    let effective = effective.unwrap_or_else(|| now.clone());
    let object = policy::ext::notice_object(&nid, party, &now, id, kind, &effective).map_err(invalid)?;
    put_own(store, object, party)
}

/// `party` cancels a notice it gave on agreement `id` that has not taken
/// effect yet (a scheduled suspension, resumption or withdrawal): a new
/// version of the notice that revokes it, so the record keeps that it was
/// given. A notice already in effect cannot be cancelled (a suspension ends
/// by a resumption; a withdrawal is final).
pub fn cancel_notice(store: &dyn Store, party: &StixId, id: &StixId, notice: &StixId) -> Result<Object, Error> {
    let book = Book::load(store)?;
    let latest = book.versions.get(id).and_then(|v| v.last()).ok_or(Error::NotFound)?;
    if !latest.is_party(party) {
        return Err(Error::NotFound);
    }
    let n = book.notices.iter().find(|n| &n.id == notice && &n.agreement == id).ok_or(Error::NotFound)?;
    if &n.author != party {
        return Err(Error::Forbidden("only the party that gave a notice cancels it".into()));
    }
    if n.revoked {
        return Err(Error::Invalid(Refusal::new(format!("notice {notice} is already cancelled"))));
    }
    let now = millis(&Timestamp::now());
    if n.effective.micros() <= now.micros() {
        return Err(Error::Invalid(Refusal::new(format!("notice {notice} took effect at {}: it cannot be cancelled", n.effective))));
    }
    let stored = store.get(notice, &Versions::LAST)?.pop().ok_or(Error::NotFound)?;
    let mut value: Value = serde_json::from_slice(&stored.json).map_err(invalid)?;
    value["modified"] = Value::String(now.to_string());
    value["revoked"] = Value::Bool(true);
    put_own(store, Object::from_value(value).map_err(invalid)?, party)
}

#[cfg(test)]
mod tests;
