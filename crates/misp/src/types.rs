//! MISP events as this crate reads them: the parts of MISP's event JSON the
//! mapping uses, read leniently (MISP writes numbers and booleans as strings
//! too) and never panicking. A fault in the event itself is an [`Error`]
//! naming the event and the field; a fault in one attribute is a
//! [`Refusal`] for that attribute alone, and the rest of the event is kept.

use std::fmt;

use serde_json::{Map, Value};

use crate::Error;

/// The longest value read from a MISP string field; longer ones are refused.
const MAX_TEXT: usize = 1 << 20;

/// A MISP organisation (`Orgc`, the event's creator, or a sighting's).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Org {
    /// Its name.
    pub name: String,
    /// Its uuid, when given.
    pub uuid: Option<String>,
}

/// One MISP event.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Event {
    /// The event's uuid (lowercase).
    pub uuid: String,
    /// Its title.
    pub info: String,
    /// Its date, `YYYY-MM-DD`, when valid.
    pub date: Option<String>,
    /// When it last changed (seconds since the epoch).
    pub timestamp: Option<i64>,
    /// When it was last published.
    pub publish_timestamp: Option<i64>,
    /// MISP's threat level (1 high … 4 undefined), as written.
    pub threat_level_id: Option<String>,
    /// MISP's analysis state (0 initial, 1 ongoing, 2 complete), as written.
    pub analysis: Option<String>,
    /// The organisation that created it.
    pub orgc: Option<Org>,
    /// Its tags' names.
    pub tags: Vec<String>,
    /// Its loose attributes (those in no MISP object).
    pub attributes: Vec<Attribute>,
    /// Its MISP objects.
    pub objects: Vec<MispObject>,
    /// Its galaxy clusters (from `Galaxy`; galaxy tags are read by `tags`).
    pub clusters: Vec<Cluster>,
}

/// One MISP attribute.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Attribute {
    /// Its uuid (lowercase).
    pub uuid: String,
    /// Its MISP type (`ip-dst`, `sha256`, `filename|md5`, ...).
    pub kind: String,
    /// Its MISP category.
    pub category: String,
    /// Its value.
    pub value: String,
    /// Whether it is meant for detection (an indicator).
    pub to_ids: bool,
    /// Its comment.
    pub comment: String,
    /// When it last changed (seconds since the epoch).
    pub timestamp: Option<i64>,
    /// Its relation inside its MISP object (`md5`, `ip`, ...).
    pub object_relation: Option<String>,
    /// Its tags' names.
    pub tags: Vec<String>,
    /// Its galaxy clusters.
    pub clusters: Vec<Cluster>,
    /// Its sightings.
    pub sightings: Vec<Sighting>,
}

/// One MISP object: attributes that describe one thing together.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MispObject {
    /// Its uuid (lowercase).
    pub uuid: String,
    /// Its template name (`file`, `domain-ip`, `url`, ...).
    pub name: String,
    /// Its meta-category.
    pub meta_category: String,
    /// Its comment.
    pub comment: String,
    /// When it last changed.
    pub timestamp: Option<i64>,
    /// Its attributes, each with its `object_relation`.
    pub attributes: Vec<Attribute>,
}

/// One galaxy cluster: a threat actor, a malware family, a tool, an ATT&CK
/// technique, ...
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cluster {
    /// The galaxy's type (`threat-actor`, `ransomware`, `mitre-attack-pattern`).
    pub galaxy_type: String,
    /// The cluster's value (its name).
    pub value: String,
    /// Its uuid, when given.
    pub uuid: Option<String>,
    /// Its description.
    pub description: String,
}

/// One sighting of an attribute.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sighting {
    /// Its uuid, when given.
    pub uuid: Option<String>,
    /// When it was seen (seconds since the epoch).
    pub date: i64,
    /// MISP's type: 0 a sighting, 1 a false positive, 2 an expiration.
    pub kind: u8,
    /// Its source, as written.
    pub source: String,
    /// The organisation that saw it.
    pub org: Option<String>,
}

/// One attribute left out of a conversion, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The event's uuid.
    pub event: String,
    /// The attribute's uuid, or its place (`Attribute[3]`) when it has none.
    pub attribute: String,
    /// Its MISP type, as written.
    pub kind: String,
    /// Why.
    pub reason: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Control characters from the input are shown escaped, never printed.
        let shown = |s: &str| -> String {
            s.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
        };
        write!(f, "event {}: attribute {} ({}): {}", self.event, shown(&self.attribute), shown(&self.kind), shown(&self.reason))
    }
}

impl Event {
    /// Reads one event from MISP's JSON: `{"Event": {...}}` or the event
    /// object itself. `source` names the input in errors until the event's
    /// uuid is known. Attributes that cannot be read are returned as
    /// refusals; the rest of the event is kept.
    pub fn from_json(bytes: &[u8], source: &str) -> Result<(Event, Vec<Refusal>), Error> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| Error::Json { source_name: source.to_owned(), message: e.to_string() })?;
        Event::from_value(&value, source)
    }

    /// As [`Event::from_json`], from a parsed value.
    pub fn from_value(value: &Value, source: &str) -> Result<(Event, Vec<Refusal>), Error> {
        let Value::Object(outer) = value else {
            return Err(Error::field(source, "Event", "must be a JSON object"));
        };
        let map = match outer.get("Event") {
            Some(Value::Object(m)) => m,
            Some(_) => return Err(Error::field(source, "Event", "must be a JSON object")),
            None => outer,
        };
        let uuid = match map.get("uuid") {
            Some(Value::String(s)) => uuid_text(s).ok_or_else(|| Error::field(source, "Event.uuid", "is not a uuid"))?,
            Some(_) => return Err(Error::field(source, "Event.uuid", "must be a string")),
            None => return Err(Error::field(source, "Event.uuid", "is missing")),
        };
        let ev = uuid.as_str();
        let mut refusals = Vec::new();
        let event = Event {
            info: text(map, "info").map_err(|m| Error::field(ev, "Event.info", m))?.unwrap_or_default(),
            date: text(map, "date").map_err(|m| Error::field(ev, "Event.date", m))?.filter(|d| valid_date(d)),
            timestamp: int(map, "timestamp").map_err(|m| Error::field(ev, "Event.timestamp", m))?,
            publish_timestamp: int(map, "publish_timestamp").map_err(|m| Error::field(ev, "Event.publish_timestamp", m))?,
            threat_level_id: scalar(map, "threat_level_id"),
            analysis: scalar(map, "analysis"),
            orgc: org(map.get("Orgc")),
            tags: tags(map, ev, "Event.Tag")?,
            attributes: attributes(map, ev, "Attribute", &mut refusals)?,
            objects: objects(map, ev, &mut refusals)?,
            clusters: galaxies(map, ev, "Event.Galaxy")?,
            uuid,
        };
        Ok((event, refusals))
    }
}

fn attributes(map: &Map<String, Value>, ev: &str, at: &str, refusals: &mut Vec<Refusal>) -> Result<Vec<Attribute>, Error> {
    let items = match map.get("Attribute") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(Error::field(ev, at, "must be a list")),
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let place = format!("{at}[{i}]");
        match attribute(item, ev, &place) {
            Ok(a) => out.push(a),
            Err(r) => refusals.push(r),
        }
    }
    Ok(out)
}

fn attribute(item: &Value, ev: &str, place: &str) -> Result<Attribute, Refusal> {
    let refuse = |who: &str, kind: &str, reason: String| Refusal {
        event: ev.to_owned(),
        attribute: who.to_owned(),
        kind: kind.to_owned(),
        reason,
    };
    let Value::Object(m) = item else {
        return Err(refuse(place, "?", "must be a JSON object".into()));
    };
    let kind = text(m, "type").ok().flatten().unwrap_or_default();
    let uuid = match m.get("uuid").and_then(Value::as_str).and_then(uuid_text) {
        Some(u) => u,
        None => return Err(refuse(place, &kind, "uuid: missing or not a uuid".into())),
    };
    let who = uuid.as_str();
    if kind.is_empty() {
        return Err(refuse(who, "?", "type: missing or empty".into()));
    }
    let value = match m.get("value") {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= MAX_TEXT => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) if s.len() > MAX_TEXT => return Err(refuse(who, &kind, "value: too long".into())),
        _ => return Err(refuse(who, &kind, "value: missing or empty".into())),
    };
    let timestamp = int(m, "timestamp").map_err(|e| refuse(who, &kind, format!("timestamp: {e}")))?;
    let sightings = sightings(m).map_err(|e| refuse(who, &kind, e))?;
    Ok(Attribute {
        category: text(m, "category").ok().flatten().unwrap_or_default(),
        to_ids: boolean(m.get("to_ids")),
        comment: text(m, "comment").ok().flatten().unwrap_or_default(),
        timestamp,
        object_relation: text(m, "object_relation").ok().flatten().filter(|s| !s.is_empty()),
        tags: tags(m, ev, "Tag").map_err(|e| refuse(who, &kind, e.to_string()))?,
        clusters: galaxies(m, ev, "Galaxy").map_err(|e| refuse(who, &kind, e.to_string()))?,
        sightings,
        uuid,
        kind,
        value,
    })
}

fn objects(map: &Map<String, Value>, ev: &str, refusals: &mut Vec<Refusal>) -> Result<Vec<MispObject>, Error> {
    let items = match map.get("Object") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(Error::field(ev, "Object", "must be a list")),
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("Object[{i}]");
        let Value::Object(m) = item else {
            return Err(Error::field(ev, at, "must be a JSON object"));
        };
        let Some(uuid) = m.get("uuid").and_then(Value::as_str).and_then(uuid_text) else {
            return Err(Error::field(ev, format!("{at}.uuid"), "missing or not a uuid"));
        };
        let name = text(m, "name").ok().flatten().unwrap_or_default();
        if name.is_empty() {
            return Err(Error::field(ev, format!("{at}.name"), "missing or empty"));
        }
        out.push(MispObject {
            meta_category: text(m, "meta-category").ok().flatten().unwrap_or_default(),
            comment: text(m, "comment").ok().flatten().unwrap_or_default(),
            timestamp: int(m, "timestamp").map_err(|e| Error::field(ev, format!("{at}.timestamp"), e))?,
            attributes: attributes(m, ev, &format!("{at}.Attribute"), refusals)?,
            uuid,
            name,
        });
    }
    Ok(out)
}

fn tags(map: &Map<String, Value>, ev: &str, at: &str) -> Result<Vec<String>, Error> {
    match map.get("Tag") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items
            .iter()
            .filter_map(|t| match t {
                Value::Object(m) => m.get("name").and_then(Value::as_str),
                Value::String(s) => Some(s.as_str()),
                _ => None,
            })
            .filter(|s| !s.is_empty() && s.len() <= 1024)
            .map(str::to_owned)
            .collect()),
        Some(_) => Err(Error::field(ev, at, "must be a list")),
    }
}

fn galaxies(map: &Map<String, Value>, ev: &str, at: &str) -> Result<Vec<Cluster>, Error> {
    let items = match map.get("Galaxy") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(Error::field(ev, at, "must be a list")),
    };
    let mut out = Vec::new();
    for (i, g) in items.iter().enumerate() {
        let Value::Object(g) = g else {
            return Err(Error::field(ev, format!("{at}[{i}]"), "must be a JSON object"));
        };
        let galaxy_type = text(g, "type").ok().flatten().unwrap_or_default();
        let Some(Value::Array(clusters)) = g.get("GalaxyCluster") else { continue };
        for c in clusters {
            let Value::Object(c) = c else { continue };
            let Some(value) = text(c, "value").ok().flatten().filter(|v| !v.is_empty()) else { continue };
            let ty = text(c, "type").ok().flatten().filter(|t| !t.is_empty()).unwrap_or_else(|| galaxy_type.clone());
            out.push(Cluster {
                galaxy_type: ty,
                value,
                uuid: c.get("uuid").and_then(Value::as_str).and_then(uuid_text),
                description: text(c, "description").ok().flatten().unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

fn sightings(m: &Map<String, Value>) -> Result<Vec<Sighting>, String> {
    let items = match m.get("Sighting") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err("Sighting: must be a list".into()),
    };
    let mut out = Vec::new();
    for (i, s) in items.iter().enumerate() {
        let Value::Object(s) = s else { return Err(format!("Sighting[{i}]: must be a JSON object")) };
        // A sighting with no date (one not yet saved by a MISP server)
        // cannot be placed in time: it is left out, the attribute kept.
        let Some(date) = int(s, "date_sighting").map_err(|e| format!("Sighting[{i}].date_sighting: {e}"))? else {
            continue;
        };
        let kind = int(s, "type").map_err(|e| format!("Sighting[{i}].type: {e}"))?.unwrap_or(0);
        out.push(Sighting {
            uuid: s.get("uuid").and_then(Value::as_str).and_then(uuid_text),
            date,
            kind: u8::try_from(kind).unwrap_or(u8::MAX),
            source: text(s, "source").ok().flatten().unwrap_or_default(),
            org: org(s.get("Organisation")).map(|o| o.name).filter(|n| !n.is_empty()),
        });
    }
    Ok(out)
}

fn org(v: Option<&Value>) -> Option<Org> {
    let Some(Value::Object(m)) = v else { return None };
    Some(Org {
        name: text(m, "name").ok().flatten().unwrap_or_default(),
        uuid: m.get("uuid").and_then(Value::as_str).and_then(uuid_text),
    })
}

/// A string field (numbers are read as their text); too long is an error.
fn text(m: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.len() > MAX_TEXT => Err("too long".into()),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(_) => Err("must be a string".into()),
    }
}

/// A short scalar field kept as written (`"3"` or `3`).
fn scalar(m: &Map<String, Value>, key: &str) -> Option<String> {
    text(m, key).ok().flatten().filter(|s| s.len() <= 32)
}

/// An integer field, written as a number or as a string of digits, within
/// the range of STIX timestamps (years 0 to 9999).
fn int(m: &Map<String, Value>, key: &str) -> Result<Option<i64>, String> {
    let n = match m.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_i64().ok_or("must be an integer")?,
        Some(Value::String(s)) if s.is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim().parse::<i64>().map_err(|_| format!("`{}` is not an integer", clip(s)))?,
        Some(_) => return Err("must be an integer".into()),
    };
    if !(0..=253_402_300_799).contains(&n) {
        return Err(format!("{n} is out of range"));
    }
    Ok(Some(n))
}

fn boolean(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        Some(Value::String(s)) => matches!(s.as_str(), "1" | "true" | "True"),
        _ => false,
    }
}

/// The uuid in canonical lowercase form, if `s` is one.
pub(crate) fn uuid_text(s: &str) -> Option<String> {
    uuid::Uuid::parse_str(s.trim()).ok().map(|u| u.hyphenated().to_string())
}

fn valid_date(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && model::Timestamp::parse(&format!("{d}T00:00:00Z")).is_ok()
}

/// At most 80 characters of `s`, for messages.
pub(crate) fn clip(s: &str) -> String {
    match s.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}
