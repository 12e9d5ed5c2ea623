//! Partnership records: read from stored objects with their common
//! properties checked, kept in one canonical order, and drafted by actions.

use std::collections::BTreeMap;

use model::{Object, StixId, Timestamp};
use policy::{AgreementId, PartnerId};
use serde_json::{Map, Value};

use crate::{Context, Error, Module};

/// The property naming the agreement a partnership record belongs to
/// (`policy::kinds::AGREEMENT_MARKER`).
pub const AGREEMENT_REF: &str = policy::kinds::AGREEMENT_MARKER;

/// Properties the kit sets on every record; a draft may not set them.
const COMMON: [&str; 9] = ["type", "spec_version", "id", "created", "modified", "created_by_ref", AGREEMENT_REF, "revoked", "extensions"];

/// One version of a partnership record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The record's id.
    pub id: StixId,
    /// Its STIX type: the kind.
    pub kind: String,
    /// Its author (`created_by_ref`): the only partner that versions it.
    pub author: PartnerId,
    /// The agreement it belongs to (`agreement_ref`).
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
        let agreement = properties
            .get(AGREEMENT_REF)
            .and_then(Value::as_str)
            .ok_or_else(|| Error::invalid(id, AGREEMENT_REF, "is required: the agreement the record belongs to"))?;
        let agreement = StixId::parse(agreement).map_err(|e| Error::invalid(id, AGREEMENT_REF, e.to_string()))?;
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
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Records {
    latest: Vec<Record>,
    /// Every version known, oldest first per id: for modules that show a
    /// history or need an exact earlier version (approvals of minutes).
    versions: BTreeMap<StixId, Vec<Record>>,
}

impl Records {
    /// From versions in any order, any number of each.
    pub fn new(versions: impl IntoIterator<Item = Record>) -> Records {
        let mut by_id: BTreeMap<StixId, Vec<Record>> = BTreeMap::new();
        for r in versions {
            by_id.entry(r.id.clone()).or_default().push(r);
        }
        for list in by_id.values_mut() {
            // The first author of an id is its author; another's versions do not count.
            // Two different versions at one time (a store refuses the second;
            // two nodes might each hold one): the smaller JSON wins, everywhere.
            list.sort_by(|a, b| a.modified.cmp(&b.modified).then_with(|| json(a).cmp(&json(b))));
            let first = list.iter().min_by(|a, b| a.created.cmp(&b.created).then(a.author.cmp(&b.author))).map(|r| r.author.clone());
            list.retain(|r| Some(&r.author) == first.as_ref());
            list.dedup_by(|a, b| a.modified == b.modified);
        }
        let mut latest: Vec<Record> = by_id.values().filter_map(|v| v.last()).filter(|r| !r.revoked).cloned().collect();
        latest.sort_by(|a, b| (&a.kind, &a.created, &a.id).cmp(&(&b.kind, &b.created, &b.id)));
        Records { latest, versions: by_id }
    }

    /// The latest version of each record, withdrawn ones left out, in canonical order.
    pub fn iter(&self) -> impl Iterator<Item = &Record> {
        self.latest.iter()
    }

    /// The latest records of one kind, in canonical order.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Record> + 'a {
        self.latest.iter().filter(move |r| r.kind == kind)
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
        self.latest.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.latest.is_empty()
    }
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
/// the author is `ctx.me`, the agreement `ctx.agreement`. The module's own
/// checks are [`crate::author`]'s.
pub fn finish(module: &dyn Module, draft: Draft, records: &Records, ctx: &Context<'_>) -> Result<Object, Error> {
    if let Some(p) = COMMON.iter().find(|p| draft.properties.contains_key(**p)) {
        return Err(Error::input(*p, "is set by Entente, not by the action"));
    }
    let now = ctx.now.clone();
    let (id, created, modified) = match &draft.revises {
        None => (format!("{}--{}", draft.kind, uuid::Uuid::new_v4()), now.clone(), now),
        Some(id) => {
            let earlier = records.get(id).ok_or_else(|| Error::NotFound(format!("no record {id}")))?;
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
    value.insert(AGREEMENT_REF.into(), Value::from(ctx.agreement.id.as_str()));
    if draft.withdraw {
        value.insert("revoked".into(), Value::Bool(true));
    }
    let mut extension = Map::new();
    extension.insert("extension_type".into(), Value::from("new-sdo"));
    let mut extensions = Map::new();
    extensions.insert(module.extension().to_owned(), Value::Object(extension));
    value.insert("extensions".into(), Value::Object(extensions));
    value.extend(draft.properties);
    // The model names the property at fault (`object_refs`): so does the error.
    Object::from_value(Value::Object(value)).map_err(|e| Error::input(e.property.clone().unwrap_or_default(), e.to_string()))
}
