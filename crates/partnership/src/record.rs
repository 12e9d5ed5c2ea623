//! Partnership records: read from stored objects with their common
//! properties checked, kept in one canonical order, and drafted by actions.

use std::collections::{BTreeMap, BTreeSet};

use model::{Object, StixId, Timestamp};
use policy::{AgreementId, PartnerId};
use serde_json::{Map, Value};

use crate::{Context, Error, Module};

/// The property naming the agreement a partnership record belongs to
/// (`policy::kinds::AGREEMENT_MARKER`).
pub const AGREEMENT_REF: &str = policy::kinds::AGREEMENT_MARKER;

/// Properties the kit sets on every record; a draft may not set them.
const COMMON: [&str; 9] = ["type", "spec_version", "id", "created", "modified", "created_by_ref", AGREEMENT_REF, "revoked", "extensions"];

/// Whether records of this type are the agreement itself, belonging to
/// the agreement their own id names (`policy::kinds::Belongs::Itself`)
/// rather than by the [`AGREEMENT_REF`] marker.
pub fn belongs_to_itself(object_type: &str) -> bool {
    policy::kinds::of(object_type).is_some_and(|k| k.belongs == policy::kinds::Belongs::Itself)
}

/// One version of a partnership record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The record's id.
    pub id: StixId,
    /// Its STIX type: the kind.
    pub kind: String,
    /// Its author (`created_by_ref`): the only partner that versions it.
    pub author: PartnerId,
    /// The agreement it belongs to (`agreement_ref`; an agreement's own id
    /// for the agreement itself).
    pub agreement: AgreementId,
    /// When it was first made.
    pub created: Timestamp,
    /// This version.
    pub modified: Timestamp,
    /// Whether this version withdraws the record.
    pub revoked: bool,
    /// Every property, the common ones included.
    pub properties: Map<String, Value>,
}

impl Record {
    /// Reads a record from a validated object: it must name its author and
    /// its agreement, and carry `created` and `modified`.
    pub fn from_object(object: &Object) -> Result<Record, Error> {
        let Value::Object(properties) = object.to_value() else {
            return Err(Error::invalid(object.id(), "", "must be a JSON object"));
        };
        Record::from_properties(properties)
    }

    /// Reads a record from a stored version's JSON, which was validated
    /// as a STIX object when it was stored: parsed once, as a map, without
    /// validating it again (what a module's view reads by the thousand).
    pub fn from_stored(json: &[u8]) -> Result<Record, Error> {
        let properties: Map<String, Value> = serde_json::from_slice(json).map_err(|e| Error::invalid("stored record", "", e.to_string()))?;
        Record::from_properties(properties)
    }

    fn from_properties(properties: Map<String, Value>) -> Result<Record, Error> {
        let id = properties.get("id").and_then(Value::as_str).ok_or_else(|| Error::invalid("record", "id", "is required"))?;
        let id = StixId::parse(id).map_err(|e| Error::invalid("record", "id", e.to_string()))?;
        let id = &id;
        let author = properties.get("created_by_ref").and_then(Value::as_str).ok_or_else(|| Error::invalid(id, "created_by_ref", "is required"))?;
        let author = StixId::parse(author).map_err(|e| Error::invalid(id, "created_by_ref", e.to_string()))?;
        // The agreement itself belongs to itself (`policy::kinds::Belongs::Itself`);
        // every other record names its agreement by the marker.
        let agreement = if belongs_to_itself(id.object_type()) {
            id.clone()
        } else {
            let agreement = properties
                .get(AGREEMENT_REF)
                .and_then(Value::as_str)
                .ok_or_else(|| Error::invalid(id, AGREEMENT_REF, "is required: the agreement the record belongs to"))?;
            StixId::parse(agreement).map_err(|e| Error::invalid(id, AGREEMENT_REF, e.to_string()))?
        };
        if agreement.object_type() != policy::ext::AGREEMENT_TYPE {
            return Err(Error::invalid(id, AGREEMENT_REF, format!("must name an {}", policy::ext::AGREEMENT_TYPE)));
        }
        let time = |name: &str| -> Result<Timestamp, Error> {
            let raw = properties.get(name).and_then(Value::as_str).ok_or_else(|| Error::invalid(id, name, "is required"))?;
            Timestamp::parse(raw).map_err(|e| Error::invalid(id, name, e.to_string()))
        };
        let (created, modified) = (time("created")?, time("modified")?);
        let revoked = properties.get("revoked").and_then(Value::as_bool).unwrap_or(false);
        Ok(Record { id: id.clone(), kind: id.object_type().to_owned(), author, agreement, created, modified, revoked, properties })
    }

    /// A string property, or an error naming it.
    pub fn str(&self, property: &str) -> Result<&str, Error> {
        self.properties
            .get(property)
            .and_then(Value::as_str)
            .ok_or_else(|| Error::invalid(&self.id, property, "is required (a string)"))
    }

    /// An optional string property (an error if present and not a string).
    pub fn opt_str(&self, property: &str) -> Result<Option<&str>, Error> {
        match self.properties.get(property) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Error::invalid(&self.id, property, "must be a string")),
        }
    }

    /// A reference property naming an object of `ty`.
    pub fn reference(&self, property: &str, ty: &str) -> Result<StixId, Error> {
        let id = StixId::parse(self.str(property)?).map_err(|e| Error::invalid(&self.id, property, e.to_string()))?;
        if id.object_type() != ty {
            return Err(Error::invalid(&self.id, property, format!("must name a {ty}, not a {}", id.object_type())));
        }
        Ok(id)
    }

    /// An optional timestamp property.
    pub fn opt_time(&self, property: &str) -> Result<Option<Timestamp>, Error> {
        self.opt_str(property)?
            .map(|raw| Timestamp::parse(raw).map_err(|e| Error::invalid(&self.id, property, e.to_string())))
            .transpose()
    }
}

/// The records a reader may see for one module and agreement: the latest
/// version of each (by its author; versions by anyone else ignored), those
/// withdrawn (`revoked`) left out, in one canonical order (by kind, then
/// creation time, then id), so that a state derived from them cannot depend
/// on the order they arrived in.
///
/// Built at once from versions in any order ([`Records::new`], the
/// reference) or one version at a time as they arrive ([`Records::insert`],
/// what the node's cache of a reader's scope does): both give equal values
/// for the same versions, whatever the order and however they are split.
#[derive(Debug, Clone, Default)]
pub struct Records {
    /// The latest version of each record not withdrawn, by kind, then
    /// creation time and id: the canonical order, a kind's alone at hand.
    /// Keys only: the record itself is the last of its `versions` (one
    /// copy of each version in memory, not two: a reader's kept scope of a
    /// big ledger is mostly these).
    latest: BTreeMap<String, BTreeSet<Key>>,
    /// How many there are.
    len: usize,
    /// Every version known, oldest first per id: for modules that show a
    /// history or need an exact earlier version (approvals of minutes).
    versions: BTreeMap<StixId, Vec<Record>>,
    /// Versions by someone other than an id's first author so far: kept,
    /// since a version arriving later with an earlier `created` can make
    /// one of them the first author after all.
    others: BTreeMap<StixId, Vec<Record>>,
    /// Per id, the earliest `created` (then smaller author) of every
    /// version seen, which names the first author.
    firsts: BTreeMap<StixId, (Timestamp, PartnerId)>,
}

/// Equal when they hand modules the same records and versions (what was
/// set aside for a later change of author does not count).
impl PartialEq for Records {
    fn eq(&self, other: &Records) -> bool {
        self.len == other.len && self.latest == other.latest && self.versions == other.versions
    }
}

/// The canonical order within a kind: creation time (of the latest
/// version), then id.
type Key = (Timestamp, StixId);

fn key(r: &Record) -> Key {
    (r.created.clone(), r.id.clone())
}

impl Records {
    /// From versions in any order, any number of each.
    pub fn new(versions: impl IntoIterator<Item = Record>) -> Records {
        let mut by_id: BTreeMap<StixId, Vec<Record>> = BTreeMap::new();
        for r in versions {
            by_id.entry(r.id.clone()).or_default().push(r);
        }
        let (mut others, mut firsts) = (BTreeMap::new(), BTreeMap::new());
        for (id, list) in &mut by_id {
            // The first author of an id is its author; another's versions do not count.
            // Two different versions at one time (a store refuses the second;
            // two nodes might each hold one): the smaller JSON wins, everywhere.
            list.sort_by(|a, b| a.modified.cmp(&b.modified).then_with(|| json(a).cmp(&json(b))));
            let first = list.iter().min_by(|a, b| a.created.cmp(&b.created).then(a.author.cmp(&b.author))).map(|r| r.author.clone());
            if let Some(f) = list.iter().map(|r| (r.created.clone(), r.author.clone())).min() {
                firsts.insert(id.clone(), f);
            }
            let set_aside: Vec<Record> = list.iter().filter(|r| Some(&r.author) != first.as_ref()).cloned().collect();
            if !set_aside.is_empty() {
                others.insert(id.clone(), set_aside);
            }
            list.retain(|r| Some(&r.author) == first.as_ref());
            list.dedup_by(|a, b| a.modified == b.modified);
        }
        let mut latest: BTreeMap<String, BTreeSet<Key>> = BTreeMap::new();
        let mut len = 0;
        for r in by_id.values().filter_map(|v| v.last()).filter(|r| !r.revoked) {
            latest.entry(r.kind.clone()).or_default().insert(key(r));
            len += 1;
        }
        Records { latest, len, versions: by_id, others, firsts }
    }

    /// Adds one version, as [`Records::new`] would have taken it with the
    /// others: the first author (earliest `created`, then smaller author id)
    /// of an id is its author, another's versions are dropped; of two
    /// versions at one `modified` the smaller JSON stays; the latest version
    /// decides whether the record is withdrawn and where it sorts. Costs the
    /// record's other versions, not the whole set. Returns whether anything
    /// changed.
    pub fn insert(&mut self, r: Record) -> bool {
        let id = r.id.clone();
        let candidate = (r.created.clone(), r.author.clone());
        let earlier = self.firsts.get(&id).map(|f| f.1.clone());
        let takes_over = self.firsts.get(&id).is_none_or(|f| candidate < *f);
        if takes_over {
            self.firsts.insert(id.clone(), candidate);
        }
        let list = self.versions.entry(id.clone()).or_default();
        let before = list.last().filter(|l| !l.revoked).map(|l| (l.kind.clone(), key(l)));
        if takes_over && earlier.as_ref().is_some_and(|a| *a != r.author) {
            // Another author is first now: this id again from every version
            // kept or set aside (what was dropped as a duplicate lost to a
            // version of its own author at the same time, and still does).
            let others = self.others.entry(id.clone()).or_default();
            let mut all = std::mem::take(list);
            all.append(others);
            all.push(r);
            let (kept, set_aside) = settle(all, &self.firsts[&id].1);
            *list = kept;
            *others = set_aside;
        } else if list.first().is_some_and(|f| f.author != r.author) || (list.is_empty() && self.firsts[&id].1 != r.author) {
            self.others.entry(id.clone()).or_default().push(r);
            return false;
        } else {
            match list.binary_search_by(|x| x.modified.cmp(&r.modified)) {
                Ok(i) if json(&r) < json(&list[i]) => list[i] = r,
                Ok(_) => return false,
                Err(i) => list.insert(i, r),
            }
        }
        if self.others.get(&id).is_some_and(Vec::is_empty) {
            self.others.remove(&id);
        }
        let list = self.versions.get(&id).map_or(&[][..], Vec::as_slice);
        let after = list.last().filter(|l| !l.revoked).map(|l| (l.kind.clone(), key(l)));
        if let Some((kind, k)) = before {
            if let Some(of_kind) = self.latest.get_mut(&kind) {
                if of_kind.remove(&k) {
                    self.len -= 1;
                }
                if of_kind.is_empty() {
                    self.latest.remove(&kind);
                }
            }
        }
        if let Some((kind, k)) = after {
            if self.latest.entry(kind).or_default().insert(k) {
                self.len += 1;
            }
        }
        true
    }

    /// The latest version of each record, withdrawn ones left out, in canonical order.
    pub fn iter(&self) -> impl Iterator<Item = &Record> {
        self.latest.values().flat_map(|keys| keys.iter().filter_map(|k| self.latest_of(k)))
    }

    /// The record `latest` names: the last of its versions.
    fn latest_of(&self, (_, id): &Key) -> Option<&Record> {
        self.versions.get(id).and_then(|v| v.last())
    }

    /// The latest records of one kind, in canonical order (without a look
    /// at the other kinds').
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Record> + 'a {
        self.latest.get(kind).into_iter().flat_map(|keys| keys.iter().filter_map(|k| self.latest_of(k)))
    }

    /// The latest version of each record of one kind, withdrawn ones
    /// included, by id: for a rule that outlives a withdrawal (a remedy
    /// held until a dispute was withdrawn).
    pub fn of_kind_withdrawn_too<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Record> + 'a {
        self.versions.values().filter_map(|v| v.last()).filter(move |r| r.kind == kind)
    }

    /// The latest version of one record (withdrawn ones included).
    pub fn get(&self, id: &StixId) -> Option<&Record> {
        self.versions.get(id).and_then(|v| v.last())
    }

    /// Every version of one record by its author, oldest first.
    pub fn versions(&self, id: &StixId) -> &[Record] {
        self.versions.get(id).map_or(&[], Vec::as_slice)
    }

    /// How many records (latest versions, withdrawn left out).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// One id's versions as [`Records::new`] keeps them (the `first` author's,
/// oldest first, one per `modified`), and the other authors' set aside.
fn settle(mut all: Vec<Record>, first: &PartnerId) -> (Vec<Record>, Vec<Record>) {
    all.sort_by(|a, b| a.modified.cmp(&b.modified).then_with(|| json(a).cmp(&json(b))));
    let (mut kept, others): (Vec<Record>, Vec<Record>) = all.into_iter().partition(|r| &r.author == first);
    kept.dedup_by(|a, b| a.modified == b.modified);
    (kept, others)
}

fn json(r: &Record) -> String {
    serde_json::to_string(&r.properties).unwrap_or_default()
}

/// What an action authors: one record of a kind, new or a new version of
/// one of the caller's own.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// The record kind (STIX type).
    pub kind: &'static str,
    /// The record this is a new version of, if any (the caller must be its author).
    pub revises: Option<StixId>,
    /// Whether the new version withdraws the record.
    pub withdraw: bool,
    /// The module's own properties (the common ones are the kit's).
    pub properties: Map<String, Value>,
}

impl Draft {
    /// A new record of `kind` with these properties.
    pub fn new(kind: &'static str, properties: Map<String, Value>) -> Draft {
        Draft { kind, revises: None, withdraw: false, properties }
    }

    /// A new version of `record` with these properties.
    pub fn revise(kind: &'static str, record: &StixId, properties: Map<String, Value>) -> Draft {
        Draft { kind, revises: Some(record.clone()), withdraw: false, properties }
    }
}

/// Sets the common properties of a drafted record and parses it: a new id
/// or, for a new version, the caller must be the record's author; times
/// from `ctx.now` (a new version always later than the one it replaces);
/// the author is `ctx.me`, the agreement `ctx.agreement` (named by the
/// marker; the agreement itself names none); the extension the module's
/// for the kind ([`Module::extension_of`]). The module's own
/// checks are [`crate::author`]'s.
pub fn finish(module: &dyn Module, draft: Draft, records: &Records, ctx: &Context<'_>) -> Result<Object, Error> {
    if let Some(p) = COMMON.iter().find(|p| draft.properties.contains_key(**p)) {
        return Err(Error::input(*p, "is set by Entente, not by the action"));
    }
    let now = ctx.now.clone();
    let (id, created, modified) = match &draft.revises {
        None => (format!("{}--{}", draft.kind, uuid::Uuid::new_v4()), now.clone(), now),
        Some(id) => {
            // The agreement acted under is a record the caller's view may
            // not hold (it is the context): its latest version is the one
            // a new version replaces.
            let context = (id == &ctx.agreement.id && records.get(id).is_none())
                .then(|| Record::from_stored(&ctx.agreement.canonical).ok())
                .flatten();
            let earlier = records.get(id).or(context.as_ref()).ok_or_else(|| Error::NotFound(format!("no record {id}")))?;
            if &earlier.author != ctx.me {
                return Err(Error::Forbidden(format!("only its author ({}) versions {id}", earlier.author)));
            }
            if earlier.kind != draft.kind {
                return Err(Error::Forbidden(format!("{id} is a {}, not a {}", earlier.kind, draft.kind)));
            }
            // A new version is always later than the one it replaces, even
            // if the clock says otherwise.
            let modified = if now > earlier.modified { now } else { Timestamp::from_micros(earlier.modified.micros() + 1_000) };
            (id.to_string(), earlier.created.clone(), modified)
        }
    };
    let mut value = Map::new();
    value.insert("type".into(), Value::from(draft.kind));
    value.insert("spec_version".into(), Value::from("2.1"));
    value.insert("id".into(), Value::from(id));
    value.insert("created".into(), Value::from(created.to_string()));
    value.insert("modified".into(), Value::from(modified.to_string()));
    value.insert("created_by_ref".into(), Value::from(ctx.me.as_str()));
    if !belongs_to_itself(draft.kind) {
        value.insert(AGREEMENT_REF.into(), Value::from(ctx.agreement.id.as_str()));
    }
    if draft.withdraw {
        value.insert("revoked".into(), Value::Bool(true));
    }
    let mut extension = Map::new();
    extension.insert("extension_type".into(), Value::from("new-sdo"));
    let mut extensions = Map::new();
    extensions.insert(module.extension_of(draft.kind).to_owned(), Value::Object(extension));
    value.insert("extensions".into(), Value::Object(extensions));
    value.extend(draft.properties);
    // The model names the property at fault (`object_refs`): so does the error.
    Object::from_value(Value::Object(value)).map_err(|e| Error::input(e.property.clone().unwrap_or_default(), e.to_string()))
}
