//! [`ObjectFacts`]: what the release decision needs to know about one object version, computed once.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use model::tlp::Tlp;
use model::{Object, StixId, Timestamp};

use crate::ext::{AGREEMENT_TYPE, EXERCISE_LABEL, RELEASE_EXT};
use crate::kinds::{Belongs, AGREEMENT_MARKER};
use crate::read::parse_ref;
use crate::{AgreementId, Error, PartnerId};

/// The TLP an object without any TLP marking is handled as. Amber, not
/// Clear: an unmarked object must not slip under a Clear or Green ceiling.
pub const UNMARKED_TLP: Tlp = Tlp::Amber;

/// How an object that another node released to us came here, for objects
/// held (not authored) by a partner of this node.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Via {
    /// The partner of this node that received it (and may share it onward).
    pub holder: PartnerId,
    /// The agreement it arrived under; that agreement's handling rules
    /// decide whether it may go further.
    pub agreement: AgreementId,
}

/// The facts about one object version that the release decision reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectFacts {
    /// The object's id.
    pub id: StixId,
    /// The version (`modified`, else `created`; `None` for SCOs).
    pub version: Option<Timestamp>,
    /// The object's type.
    pub object_type: String,
    /// `created_by_ref`.
    pub author: Option<PartnerId>,
    /// `labels` (topics).
    pub labels: Vec<String>,
    /// The most restrictive TLP among all its markings (object-level and
    /// granular); `None` if it has no TLP marking.
    pub tlp: Option<Tlp>,
    /// Whether any marking definition it refers to is not one Entente understands.
    pub unknown_marking: bool,
    /// Named recipients (`recipient_refs` of [`RELEASE_EXT`]): when any are
    /// named, only they may receive the object (TLP:RED must name them).
    pub recipients: Vec<PartnerId>,
    /// Whether this version revokes the object.
    pub revoked: bool,
    /// Whether the object's latest stored version revokes it (a recall).
    /// Not a property of this version: the store sets it when it reads the
    /// version back. A recalled object's other versions go to nobody but
    /// their author, so recipients learn of the recall from the revoked one.
    pub recalled: bool,
    /// Whether it is exercise data.
    pub exercise: bool,
    /// For partnership records ([`crate::kinds`]): the agreement it belongs
    /// to. Set exactly when the object is one.
    pub agreement: Option<AgreementId>,
    /// For partnership records: the identities its kind names as further
    /// recipients besides the agreement's parties ([`crate::kinds::Kind::named`]).
    pub named: Vec<PartnerId>,
    /// For partnership records whose kind lets them narrow their audience
    /// ([`crate::kinds::Kind::audience`]) and that do: the parties that
    /// may receive it (`None`: every party).
    pub audience: Option<Vec<PartnerId>>,
    /// Set when the object was received from another node and is held here.
    pub via: Option<Via>,
}

impl ObjectFacts {
    /// The facts of an object authored here (or by a partner hosted here).
    pub fn from_object(object: &Object) -> Result<ObjectFacts, Error> {
        Self::build(object, None)
    }

    /// The facts of an object received from another node: `holder` received
    /// it under `agreement`.
    pub fn received(object: &Object, via: Via) -> Result<ObjectFacts, Error> {
        Self::build(object, Some(via))
    }

    fn build(object: &Object, via: Option<Via>) -> Result<ObjectFacts, Error> {
        let value = wanted(object);
        let id = object.id();
        let labels: Vec<String> = match value.get("labels") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|l| l.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };

        let mut tlp: Option<Tlp> = None;
        let mut unknown_marking = false;
        let mut note = |marking: &str| match Tlp::from_marking_id(marking) {
            Some(t) => tlp = Some(tlp.map_or(t, |old| old.max(t))),
            None => unknown_marking = true,
        };
        for m in object.object_marking_refs() {
            note(m.as_str());
        }
        if let Some(Value::Array(granular)) = value.get("granular_markings") {
            for g in granular {
                if let Some(r) = g.get("marking_ref").and_then(Value::as_str) {
                    note(r);
                }
            }
        }

        let ext = value.get("extensions").and_then(|e| e.get(RELEASE_EXT));
        let mut recipients = Vec::new();
        if let Some(list) = ext.and_then(|e| e.get("recipient_refs")) {
            let at = format!("extensions.{RELEASE_EXT}.recipient_refs");
            let Value::Array(items) = list else {
                return Err(Error::invalid(id, at, "must be a list of identity ids"));
            };
            for (i, item) in items.iter().enumerate() {
                let at = format!("{at}[{i}]");
                let raw = item
                    .as_str()
                    .ok_or_else(|| Error::invalid(id, &at, "must be an id"))?;
                recipients.push(parse_ref(id, raw, &at, "identity")?);
            }
        }
        let exercise_prop = match ext.and_then(|e| e.get("exercise")) {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(Error::invalid(
                    id,
                    format!("extensions.{RELEASE_EXT}.exercise"),
                    "must be true or false",
                ))
            }
        };
        let exercise = exercise_prop || labels.iter().any(|l| l == EXERCISE_LABEL);

        let kind = crate::kinds::of(object.object_type());
        let agreement = match kind.map(|k| k.belongs) {
            Some(Belongs::Itself) => Some(id.clone()),
            Some(Belongs::Marker) => {
                let raw = value.get(AGREEMENT_MARKER).and_then(Value::as_str);
                let raw = raw.ok_or_else(|| Error::missing(id, AGREEMENT_MARKER))?;
                Some(parse_ref(id, raw, AGREEMENT_MARKER, AGREEMENT_TYPE)?)
            }
            None => None,
        };
        let mut named = Vec::new();
        let mut audience = None;
        if let Some(kind) = kind.filter(|k| !k.named.is_empty() || k.audience.is_some()) {
            let whole = object.to_value();
            let identities = |property: &str, list: &Value| -> Result<Vec<PartnerId>, Error> {
                let Value::Array(items) = list else {
                    return Err(Error::invalid(id, property, "must be a list of identity ids"));
                };
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let at = format!("{property}[{i}]");
                    let raw = item
                        .as_str()
                        .ok_or_else(|| Error::invalid(id, &at, "must be an id"))?;
                    out.push(parse_ref(id, raw, &at, "identity")?);
                }
                Ok(out)
            };
            for property in kind.named {
                if let Some(list) = whole.get(*property) {
                    named.extend(identities(property, list)?);
                }
            }
            if let Some(property) = kind.audience {
                if let Some(list) = whole.get(property) {
                    audience = Some(identities(property, list)?);
                }
            }
        }

        Ok(ObjectFacts {
            id: id.clone(),
            version: object.version().cloned(),
            object_type: object.object_type().to_owned(),
            author: object.created_by_ref().cloned(),
            labels,
            tlp,
            unknown_marking,
            recipients,
            revoked: object.revoked(),
            recalled: false,
            exercise,
            agreement,
            named,
            audience,
            via,
        })
    }

    /// The TLP the decision applies: the most restrictive marking, or
    /// [`UNMARKED_TLP`] if there is none.
    pub fn effective_tlp(&self) -> Tlp {
        self.tlp.unwrap_or(UNMARKED_TLP)
    }
}

/// The properties the facts come from (besides what [`Object`] already
/// holds), read from the object's JSON without building the rest of it:
/// facts are computed for every version a node stores.
#[derive(Deserialize, Default)]
struct Wanted {
    #[serde(default)]
    labels: Option<Value>,
    #[serde(default)]
    granular_markings: Option<Value>,
    #[serde(default)]
    extensions: Option<Value>,
    #[serde(default)]
    agreement_ref: Option<Value>,
}

/// The wanted properties as a JSON object (absent ones left out).
fn wanted(object: &Object) -> Value {
    let w: Wanted = serde_json::from_slice(object.json()).unwrap_or_default();
    let mut map = serde_json::Map::new();
    for (k, v) in [
        ("labels", w.labels),
        ("granular_markings", w.granular_markings),
        ("extensions", w.extensions),
        ("agreement_ref", w.agreement_ref),
    ] {
        if let Some(v) = v {
            map.insert(k.to_owned(), v);
        }
    }
    Value::Object(map)
}

/// The stored form of [`ObjectFacts`] without id, version and recall: what
/// a store keeps beside each version so reads decide without parsing the
/// object. Short keys; equal bytes mean an equal decision for a given
/// recipient, time, grants and recall.
#[derive(Serialize, Deserialize)]
struct Stored {
    t: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    a: Option<PartnerId>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    l: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    tlp: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    u: bool,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    r: Vec<PartnerId>,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    k: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    x: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    g: Option<AgreementId>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    v: Option<(PartnerId, AgreementId)>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    n: Vec<PartnerId>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    au: Option<Vec<PartnerId>>,
}

impl ObjectFacts {
    /// The facts as bytes to store beside the version (see [`ObjectFacts::decode`]).
    pub fn encode(&self) -> Vec<u8> {
        let stored = Stored {
            t: self.object_type.clone(),
            a: self.author.clone(),
            l: self.labels.clone(),
            tlp: self.tlp.map(|t| t.name().to_owned()),
            u: self.unknown_marking,
            r: self.recipients.clone(),
            k: self.revoked,
            x: self.exercise,
            g: self.agreement.clone(),
            v: self.via.as_ref().map(|v| (v.holder.clone(), v.agreement.clone())),
            n: self.named.clone(),
            au: self.audience.clone(),
        };
        serde_json::to_vec(&stored).unwrap_or_default()
    }

    /// Reads facts stored by [`ObjectFacts::encode`] back, for the version
    /// `id`/`version`. `None` if the bytes are not such facts; callers then
    /// release the version to its author alone.
    pub fn decode(id: StixId, version: Option<Timestamp>, bytes: &[u8]) -> Option<ObjectFacts> {
        let s: Stored = serde_json::from_slice(bytes).ok()?;
        let tlp = match s.tlp {
            Some(name) => Some(Tlp::parse(&name)?),
            None => None,
        };
        Some(ObjectFacts {
            id,
            version,
            object_type: s.t,
            author: s.a,
            labels: s.l,
            tlp,
            unknown_marking: s.u,
            recipients: s.r,
            revoked: s.k,
            recalled: false,
            exercise: s.x,
            agreement: s.g,
            named: s.n,
            audience: s.au,
            via: s.v.map(|(holder, agreement)| Via { holder, agreement }),
        })
    }
}
