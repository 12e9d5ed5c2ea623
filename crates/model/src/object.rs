//! [`Object`]: one STIX 2.1 object, validated, with its JSON bytes kept.

use pattern::observables::Observable;
use serde_json::{Map, Value};


use crate::error::Error;
use crate::id::{check_type_name, clip, StixId};
use crate::json;
use crate::kinds::{category_of, required_of, Category};
use crate::timestamp::Timestamp;

/// Limits applied when parsing objects from partners.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest accepted object, in bytes of JSON.
    pub max_object_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_object_bytes: 4 * 1024 * 1024 }
    }
}

/// A validated STIX 2.1 object: the properties every layer needs, typed, and
/// the object itself as compact JSON bytes (whitespace removed, nothing else
/// changed), so a store can serve it without re-serialising.
#[derive(Debug, Clone)]
pub struct Object {
    id: StixId,
    category: Category,
    custom: bool,
    created: Option<Timestamp>,
    modified: Option<Timestamp>,
    created_by_ref: Option<StixId>,
    revoked: bool,
    object_marking_refs: Vec<StixId>,
    observables: Vec<Observable>,
    /// A sighting's `sighting_of_ref`, when it is an identifier.
    sighting_of: Option<StixId>,
    json: Box<[u8]>,
}

/// An indicator's STIX pattern must be valid (strictly, as the OASIS
/// validator checks it); its observables, or an SCO's, are read here, while
/// the object is parsed anyway.
fn observables_of(category: Category, map: &Map<String, Value>) -> Result<Vec<Observable>, Error> {
    if category == Category::Sco {
        return Ok(pattern::observables::of_sco(map));
    }
    if map.get("type").and_then(Value::as_str) != Some("indicator")
        || map.get("pattern_type").and_then(Value::as_str) != Some("stix")
    {
        return Ok(Vec::new());
    }
    let Some(Value::String(text)) = map.get("pattern") else {
        return Err(Error::invalid("pattern", "must be a string"));
    };
    let parsed = pattern::validate(text)
        .and_then(|p| pattern::check_runnable(&p).map(|()| p))
        .map_err(|e| Error::invalid("pattern", e.to_string()))?;
    Ok(pattern::observables::of_pattern(&parsed))
}

/// Timestamp-valued properties checked wherever they appear at the top level.
const TIMESTAMP_PROPS: &[&str] = &[
    "valid_from",
    "valid_until",
    "first_seen",
    "last_seen",
    "first_observed",
    "last_observed",
    "published",
    "start_time",
    "stop_time",
];

/// Pairs of timestamps where the second must not be earlier than the first.
const ORDERED_PAIRS: &[(&str, &str)] = &[
    ("first_seen", "last_seen"),
    ("first_observed", "last_observed"),
    ("start_time", "stop_time"),
];

impl Object {
    /// Parses and validates one object from JSON bytes.
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Object, Error> {
        if bytes.len() > limits.max_object_bytes {
            let err = Error::too_large(bytes.len(), limits.max_object_bytes);
            return Err(match id_of(bytes) {
                Some(id) => err.for_object(id),
                None => err,
            });
        }
        let value = json::parse_strict(bytes).map_err(|e| {
            // Name the object when the JSON is readable apart from this fault.
            match id_of(bytes) {
                Some(id) => Error::json(e).for_object(id),
                None => Error::json(e),
            }
        })?;
        Self::validate(&value, json::minify(bytes).into_boxed_slice())
    }

    /// Validates an object built in code (serialising it once).
    pub fn from_value(value: Value) -> Result<Object, Error> {
        let bytes = serde_json::to_vec(&value).map_err(|e| Error::json(e.to_string()))?;
        Self::validate(&value, bytes.into_boxed_slice())
    }

    fn validate(value: &Value, json: Box<[u8]>) -> Result<Object, Error> {
        let Value::Object(map) = value else {
            return Err(Error::json("a STIX object must be a JSON object"));
        };
        // Read the id first so that every later error can name the object.
        let id = match map.get("id") {
            Some(Value::String(s)) => StixId::parse(s).map_err(|e| Error::invalid("id", e))?,
            Some(_) => return Err(Error::invalid("id", "must be a string")),
            None => {
                let err = Error::missing("id");
                return Err(match map.get("type").and_then(Value::as_str) {
                    Some(t) => err.for_object(format!("a `{}` object", clip(t))),
                    None => err,
                });
            }
        };
        let checked = Self::validate_map(id.clone(), map).map_err(|e| e.for_object(id_text(map)));
        let (category, custom, created, modified, created_by_ref, markings) = checked?;
        let observables = observables_of(category, map).map_err(|e| e.for_object(id_text(map)))?;
        let revoked = map.get("revoked") == Some(&Value::Bool(true));
        let sighting_of = (id.object_type() == "sighting")
            .then(|| map.get("sighting_of_ref").and_then(Value::as_str).and_then(|s| StixId::parse(s).ok()))
            .flatten();
        Ok(Object {
            id,
            category,
            custom,
            created,
            modified,
            created_by_ref,
            revoked,
            object_marking_refs: markings,
            observables,
            sighting_of,
            json,
        })
    }

    #[allow(clippy::type_complexity)]
    fn validate_map(
        id: StixId,
        map: &Map<String, Value>,
    ) -> Result<
        (Category, bool, Option<Timestamp>, Option<Timestamp>, Option<StixId>, Vec<StixId>),
        Error,
    > {
        let ty = match map.get("type") {
            Some(Value::String(s)) => s.as_str(),
            Some(_) => return Err(Error::invalid("type", "must be a string")),
            None => return Err(Error::missing("type")),
        };
        check_type_name(ty).map_err(|e| Error::invalid("type", e))?;
        if id.object_type() != ty {
            return Err(Error::invalid(
                "id",
                format!("names type `{}` but the object's type is `{}`", id.object_type(), clip(ty)),
            ));
        }
        if ty == "bundle" {
            return Err(Error::invalid("type", "a bundle is a container, not an object to store"));
        }
        let (category, custom) = match category_of(ty) {
            Some(c) => (c, false),
            None => (custom_category(ty, map)?, true),
        };

        match (category, map.get("spec_version")) {
            (_, Some(Value::String(v))) if v == crate::SPEC_VERSION => {}
            (Category::Sco, None) => {}
            (_, None) => return Err(Error::missing("spec_version")),
            (_, Some(v)) => {
                return Err(Error::invalid(
                    "spec_version",
                    format!("must be \"2.1\", found {}", clip(&v.to_string())),
                ))
            }
        }

        let created = timestamp_prop(map, "created")?;
        let modified = timestamp_prop(map, "modified")?;
        let versioned = matches!(category, Category::Sdo | Category::Sro)
            || matches!(ty, "language-content" | "extension-definition");
        if versioned && created.is_none() {
            return Err(Error::missing("created"));
        }
        if versioned && modified.is_none() {
            return Err(Error::missing("modified"));
        }
        if ty == "marking-definition" && created.is_none() {
            return Err(Error::missing("created"));
        }
        if let (Some(c), Some(m)) = (&created, &modified) {
            if m < c {
                return Err(Error::invalid(
                    "modified",
                    format!("{m} is earlier than created {c}"),
                ));
            }
        }
        for prop in TIMESTAMP_PROPS {
            timestamp_prop(map, prop)?;
        }
        for (first, last) in ORDERED_PAIRS {
            if let (Some(a), Some(b)) = (timestamp_prop(map, first)?, timestamp_prop(map, last)?) {
                if b < a {
                    return Err(Error::invalid(*last, format!("{b} is earlier than {first} {a}")));
                }
            }
        }
        if let (Some(from), Some(until)) =
            (timestamp_prop(map, "valid_from")?, timestamp_prop(map, "valid_until")?)
        {
            if until <= from {
                return Err(Error::invalid("valid_until", "must be later than valid_from"));
            }
        }

        if let Some(c) = map.get("confidence") {
            match c.as_u64() {
                Some(n) if n <= 100 => {}
                _ => return Err(Error::invalid("confidence", "must be an integer from 0 to 100")),
            }
        }
        if let Some(r) = map.get("revoked") {
            if !r.is_boolean() {
                return Err(Error::invalid("revoked", "must be true or false"));
            }
        }
        if let Some(l) = map.get("labels") {
            check_string_list(l, "labels")?;
        }
        if let Some(refs) = map.get("external_references") {
            check_external_references(refs)?;
        }

        let created_by_ref = match map.get("created_by_ref") {
            None => None,
            Some(v) => Some(ref_of_type(v, "created_by_ref", &["identity"])?),
        };
        let markings = match map.get("object_marking_refs") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    ref_of_type(v, &format!("object_marking_refs[{i}]"), &["marking-definition"])
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(Error::invalid("object_marking_refs", "must be a list of ids")),
        };
        if let Some(g) = map.get("granular_markings") {
            check_granular_markings(g, map)?;
        }
        if let Some(e) = map.get("extensions") {
            check_extensions(e)?;
        }
        check_references(map)?;

        for group in required_of(ty) {
            if !group.iter().any(|p| map.contains_key(*p)) {
                return Err(match group {
                    [one] => Error::missing(*one),
                    many => Error::missing(many.join(" or ")),
                });
            }
        }
        Ok((category, custom, created, modified, created_by_ref, markings))
    }

    /// The observables it carries: an SCO's values, or the values an
    /// indicator's STIX pattern tests with `=` or `IN` (normalised; see
    /// `pattern::observables`).
    pub fn observables(&self) -> &[Observable] {
        &self.observables
    }

    /// What a sighting is a sighting of (`sighting_of_ref`), when it names
    /// an identifier; `None` for every other type.
    pub fn sighting_of_ref(&self) -> Option<&StixId> {
        self.sighting_of.as_ref()
    }

    /// The object's id.
    pub fn id(&self) -> &StixId {
        &self.id
    }

    /// The object's type.
    pub fn object_type(&self) -> &str {
        self.id.object_type()
    }
    /// Which kind of STIX object this is.
    pub fn category(&self) -> Category {
        self.category
    }
    /// Whether the type is a custom one (declared by an extension definition).
    pub fn is_custom(&self) -> bool {
        self.custom
    }
    /// `created`, if the object has it.
    pub fn created(&self) -> Option<&Timestamp> {
        self.created.as_ref()
    }
    /// `modified`, if the object has it.
    pub fn modified(&self) -> Option<&Timestamp> {
        self.modified.as_ref()
    }
    /// The version of the object as TAXII defines it: `modified`, else
    /// `created`; `None` for objects that are not versioned (SCOs).
    pub fn version(&self) -> Option<&Timestamp> {
        self.modified.as_ref().or(self.created.as_ref())
    }
    /// The author, `created_by_ref`.
    pub fn created_by_ref(&self) -> Option<&StixId> {
        self.created_by_ref.as_ref()
    }
    /// Whether this version revokes the object.
    pub fn revoked(&self) -> bool {
        self.revoked
    }
    /// The object-level marking definitions.
    pub fn object_marking_refs(&self) -> &[StixId] {
        &self.object_marking_refs
    }
    /// The object as a JSON value (parsed from its bytes on each call: the
    /// object keeps only its bytes, so batches stay small in memory).
    pub fn to_value(&self) -> Value {
        serde_json::from_slice(&self.json).expect("validated JSON parses")
    }
    /// The object as compact JSON bytes.
    pub fn json(&self) -> &[u8] {
        &self.json
    }
    /// `spec_version` as stored ("2.1"; SCOs may omit it and are 2.1 too).
    pub fn spec_version(&self) -> &str {
        crate::SPEC_VERSION
    }
}

/// The `id` of an object that failed a check, read leniently to name it.
fn id_of(bytes: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: Option<String>,
    }
    serde_json::from_slice::<IdOnly>(bytes).ok()?.id.map(|id| clip(&id))
}

fn id_text(map: &Map<String, Value>) -> String {
    map.get("id").and_then(Value::as_str).map(clip).unwrap_or_else(|| "object".into())
}

/// The category of a custom type: declared by a `new-*` extension, or a
/// legacy `x-` type (treated as an SDO).
fn custom_category(ty: &str, map: &Map<String, Value>) -> Result<Category, Error> {
    if let Some(Value::Object(exts)) = map.get("extensions") {
        for (key, ext) in exts {
            if !key.starts_with("extension-definition--") {
                continue;
            }
            match ext.get("extension_type").and_then(Value::as_str) {
                Some("new-sdo") => return Ok(Category::Sdo),
                Some("new-sro") => return Ok(Category::Sro),
                Some("new-sco") => return Ok(Category::Sco),
                _ => {}
            }
        }
    }
    if ty.starts_with("x-") {
        return Ok(Category::Sdo);
    }
    Err(Error::invalid(
        "type",
        format!(
            "`{}` is not a STIX 2.1 type, and no extension definition declares it \
             (extensions with extension_type new-sdo, new-sro or new-sco)",
            clip(ty)
        ),
    ))
}

fn timestamp_prop(map: &Map<String, Value>, prop: &str) -> Result<Option<Timestamp>, Error> {
    match map.get(prop) {
        None => Ok(None),
        Some(Value::String(s)) => Timestamp::parse(s).map(Some).map_err(|e| Error::invalid(prop, e)),
        Some(_) => Err(Error::invalid(prop, "must be a timestamp string")),
    }
}

fn ref_of_type(v: &Value, prop: &str, types: &[&str]) -> Result<StixId, Error> {
    let s = v.as_str().ok_or_else(|| Error::invalid(prop, "must be an id string"))?;
    let id = StixId::parse(s).map_err(|e| Error::invalid(prop, e))?;
    if !types.is_empty() && !types.contains(&id.object_type()) {
        return Err(Error::invalid(
            prop,
            format!("must refer to {}, not `{}`", types.join(" or "), id.object_type()),
        ));
    }
    Ok(id)
}

fn check_string_list(v: &Value, prop: &str) -> Result<(), Error> {
    match v {
        Value::Array(items) if items.iter().all(Value::is_string) => Ok(()),
        _ => Err(Error::invalid(prop, "must be a list of strings")),
    }
}

fn check_external_references(v: &Value) -> Result<(), Error> {
    let Value::Array(items) = v else {
        return Err(Error::invalid("external_references", "must be a list"));
    };
    for (i, item) in items.iter().enumerate() {
        if !item.get("source_name").is_some_and(Value::is_string) {
            return Err(Error::missing(format!("external_references[{i}].source_name")));
        }
    }
    Ok(())
}

/// Every top-level `*_ref` must be an id and every `*_refs` a list of ids.
fn check_references(map: &Map<String, Value>) -> Result<(), Error> {
    for (key, v) in map {
        if key == "created_by_ref" || key == "object_marking_refs" {
            continue;
        }
        if key.ends_with("_ref") {
            ref_of_type(v, key, &[])?;
        } else if key.ends_with("_refs") {
            let Value::Array(items) = v else {
                return Err(Error::invalid(key.as_str(), "must be a list of ids"));
            };
            for (i, item) in items.iter().enumerate() {
                ref_of_type(item, &format!("{key}[{i}]"), &[])?;
            }
        }
    }
    Ok(())
}

fn check_granular_markings(v: &Value, map: &Map<String, Value>) -> Result<(), Error> {
    let Value::Array(items) = v else {
        return Err(Error::invalid("granular_markings", "must be a list"));
    };
    for (i, gm) in items.iter().enumerate() {
        let at = |p: &str| format!("granular_markings[{i}].{p}");
        let Value::Object(gm) = gm else {
            return Err(Error::invalid(format!("granular_markings[{i}]"), "must be an object"));
        };
        match (gm.get("marking_ref"), gm.get("lang")) {
            (Some(r), None) => {
                ref_of_type(r, &at("marking_ref"), &["marking-definition"])?;
            }
            (None, Some(Value::String(_))) => {}
            (None, Some(_)) => return Err(Error::invalid(at("lang"), "must be a string")),
            _ => {
                return Err(Error::invalid(
                    format!("granular_markings[{i}]"),
                    "must have exactly one of marking_ref and lang",
                ))
            }
        }
        let selectors = match gm.get("selectors") {
            Some(Value::Array(s)) if !s.is_empty() => s,
            Some(_) => return Err(Error::invalid(at("selectors"), "must be a non-empty list")),
            None => return Err(Error::missing(at("selectors"))),
        };
        for (j, sel) in selectors.iter().enumerate() {
            let Some(sel) = sel.as_str() else {
                return Err(Error::invalid(format!("{}[{j}]", at("selectors")), "must be a string"));
            };
            if let Err(why) = resolve_selector(sel, map) {
                return Err(Error::invalid(format!("{}[{j}]", at("selectors")), why));
            }
        }
    }
    Ok(())
}

/// Follows a granular-marking selector such as `external_references.[0].url`
/// through the object; it must name something that exists.
fn resolve_selector(sel: &str, map: &Map<String, Value>) -> Result<(), String> {
    let bad = || format!("selector `{}` does not select a property of this object", clip(sel));
    let mut parts = sel.split('.');
    let first = parts.next().filter(|p| !p.is_empty()).ok_or_else(bad)?;
    let mut cur = map.get(first).ok_or_else(bad)?;
    for part in parts {
        cur = if let Some(idx) = part.strip_prefix('[').and_then(|p| p.strip_suffix(']')) {
            let n: usize = idx.parse().map_err(|_| bad())?;
            cur.as_array().and_then(|a| a.get(n)).ok_or_else(bad)?
        } else {
            cur.as_object().and_then(|o| o.get(part)).ok_or_else(bad)?
        };
    }
    Ok(())
}

fn check_extensions(v: &Value) -> Result<(), Error> {
    let Value::Object(exts) = v else {
        return Err(Error::invalid("extensions", "must be a dictionary"));
    };
    for (key, ext) in exts {
        let at = format!("extensions.{}", clip(key));
        if key.starts_with("extension-definition--") {
            StixId::parse(key).map_err(|e| Error::invalid(at.clone(), e))?;
        } else if !key.ends_with("-ext") {
            return Err(Error::invalid(
                at,
                "keys must be extension-definition ids or predefined extension names ending in -ext",
            ));
        }
        if !ext.is_object() {
            return Err(Error::invalid(format!("extensions.{}", clip(key)), "must be an object"));
        }
    }
    Ok(())
}
