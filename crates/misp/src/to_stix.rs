//! One MISP event to STIX 2.1 objects, authored by the importing partner:
//! detection attributes to indicators, the others to SCOs, MISP objects to
//! one SCO or indicator each, tags to TLP markings and labels, galaxy
//! clusters to threat actors, intrusion sets, malware, tools and attack
//! patterns with their relationships, sightings to sightings (false
//! positives to opinions), and the event to a report referring to them all.
//! Every object is validated here; one that fails is refused (named) and
//! the rest is kept. docs/sources.md has the table.

use std::collections::HashSet;

use model::tlp::Tlp;
use model::{Object, StixId, Timestamp};
use serde_json::{json, Map, Value};

use crate::observable::{self, Mapped, Obs};
use crate::tags::{clusters_of, labels_of, stix_type_of_galaxy, tlp_of};
use crate::types::{clip, Attribute, Cluster, Event, MispObject, Refusal, Sighting};
use crate::{sid, sid_of};

/// The STIX objects of one event, and the attributes left out.
#[derive(Debug, Default)]
pub struct Conversion {
    /// The objects, validated, the event's report last.
    pub objects: Vec<Object>,
    /// What was refused, each naming its attribute.
    pub refusals: Vec<Refusal>,
}

/// Converts one event; every SDO and SRO is authored by `author` (the
/// importing partner's identity). The same event always gives the same
/// objects, byte for byte.
pub fn event_to_stix(event: &Event, author: &StixId) -> Conversion {
    let modified = event.timestamp.or(event.publish_timestamp).or_else(|| event.date.as_deref().map(day_secs)).unwrap_or(0);
    let created = event.date.as_deref().map(day_secs).map_or(modified, |d| d.min(modified));
    let mut org_refs = Vec::new();
    if let Some(o) = event.orgc.as_ref().filter(|o| !o.name.is_empty()) {
        let mut r = json!({ "source_name": "misp-org", "description": o.name });
        if let Some(u) = &o.uuid {
            r["external_id"] = json!(u);
        }
        org_refs.push(r);
    }
    let mut cx = Cx {
        ev: event,
        author: author.as_str().to_owned(),
        created,
        modified,
        tlp: tlp_of(&event.tags),
        org_refs,
        out: Conversion::default(),
        seen: HashSet::new(),
        refs: Vec::new(),
    };
    // Event-level clusters: the Galaxy blocks first (they carry uuids and
    // descriptions), then those named only by tags.
    let mut labels = labels_of(&event.tags);
    let mut event_clusters: Vec<(String, String)> = Vec::new();
    for c in event.clusters.iter().chain(clusters_of(&event.tags).iter()) {
        match cx.cluster(c) {
            Some(id) => {
                if !event_clusters.iter().any(|(i, _)| *i == id) {
                    event_clusters.push((id, c.galaxy_type.clone()));
                }
            }
            None => push_unique(&mut labels, galaxy_label(c)),
        }
    }
    for a in &event.attributes {
        cx.attribute(a);
    }
    for o in &event.objects {
        cx.object(o);
    }
    // Who uses what, among the event's own clusters.
    for (actor, _) in event_clusters.iter().filter(|(id, _)| id.starts_with("threat-actor--") || id.starts_with("intrusion-set--")) {
        for (used, _) in event_clusters.iter().filter(|(id, _)| {
            id.starts_with("malware--") || id.starts_with("tool--") || id.starts_with("attack-pattern--")
        }) {
            cx.relationship(actor, "uses", used, modified);
        }
    }
    cx.report(labels);
    cx.out
}

struct Cx<'a> {
    ev: &'a Event,
    author: String,
    created: i64,
    modified: i64,
    tlp: Option<Tlp>,
    org_refs: Vec<Value>,
    out: Conversion,
    seen: HashSet<String>,
    refs: Vec<String>,
}

impl Cx<'_> {
    /// The id of the object of type `ty` made from the MISP item `key` by
    /// this importer: each partner importing the same MISP data has its own
    /// objects (only an object's author versions it).
    fn id(&self, ty: &str, key: &str) -> String {
        sid(ty, &format!("{}|{key}", self.author))
    }

    /// As [`Cx::id`], for an SCO with these properties.
    fn id_of(&self, ty: &str, key: &str, props: &Map<String, Value>) -> String {
        sid_of(ty, &format!("{}|{key}", self.author), props)
    }

    /// Validates and keeps one object; a fault refuses `who` (an attribute
    /// uuid or an object id) and gives `None`.
    fn keep(&mut self, value: Value, who: &str, kind: &str) -> Option<String> {
        let id = value.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
        if self.seen.contains(&id) {
            return Some(id);
        }
        match Object::from_value(value) {
            Ok(o) => {
                self.seen.insert(id.clone());
                self.refs.push(id.clone());
                self.out.objects.push(o);
                Some(id)
            }
            Err(e) => {
                self.refuse(who, kind, e.to_string());
                None
            }
        }
    }

    fn refuse(&mut self, who: &str, kind: &str, reason: String) {
        self.out.refusals.push(Refusal { event: self.ev.uuid.clone(), attribute: who.to_owned(), kind: kind.to_owned(), reason });
    }

    /// The properties every SDO and SRO of this event has.
    fn common(&self, ty: &str, id: &str, created: i64, modified: i64, tlp: Option<Tlp>) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("type".into(), json!(ty));
        m.insert("spec_version".into(), json!("2.1"));
        m.insert("id".into(), json!(id));
        m.insert("created".into(), json!(ts(created.min(modified))));
        m.insert("modified".into(), json!(ts(modified)));
        m.insert("created_by_ref".into(), json!(self.author));
        if let Some(t) = tlp {
            m.insert("object_marking_refs".into(), json!([t.marking_id()]));
        }
        m
    }

    /// External references: the MISP attribute or object (if any), the
    /// event, and the event's organisation.
    fn ext_refs(&self, misp: Option<(&str, &str)>) -> Value {
        let mut refs = Vec::new();
        if let Some((uuid, what)) = misp {
            refs.push(json!({ "source_name": "misp", "external_id": uuid, "description": what }));
        }
        refs.push(json!({ "source_name": "misp", "external_id": self.ev.uuid, "description": "MISP event" }));
        refs.extend(self.org_refs.iter().cloned());
        Value::Array(refs)
    }

    fn attribute(&mut self, a: &Attribute) {
        let modified = a.timestamp.unwrap_or(self.modified);
        let tlp = tlp_of(&a.tags).or(self.tlp);
        let mut labels = labels_of(&a.tags);
        let mapped = match observable::attribute(&a.kind, &a.value) {
            Ok(m) => m,
            Err(why) => return self.refuse(&a.uuid, &a.kind, why),
        };
        let mut clusters = Vec::new();
        for c in a.clusters.iter().chain(clusters_of(&a.tags).iter()) {
            match self.cluster(c) {
                Some(id) => clusters.push(id),
                None => push_unique(&mut labels, galaxy_label(c)),
            }
        }
        let what = "MISP attribute";
        let source = match mapped {
            Mapped::Obs(obs) if a.to_ids => {
                let mut l = misp_labels(&a.kind, &a.category);
                l.extend(labels);
                self.indicator(&obs, &a.uuid, what, &a.kind, &a.value, &a.comment, modified, tlp, l, None)
            }
            Mapped::Obs(obs) => {
                let mut extra = Map::new();
                extra.insert("x_misp_uuid".into(), json!(a.uuid));
                extra.insert("x_misp_type".into(), json!(a.kind));
                extra.insert("x_misp_category".into(), json!(a.category));
                if !a.comment.is_empty() {
                    extra.insert("x_misp_comment".into(), json!(a.comment));
                }
                if !labels.is_empty() {
                    extra.insert("x_misp_tags".into(), json!(labels));
                }
                self.scos(&obs, &a.uuid, &a.kind, tlp, extra)
            }
            Mapped::Vulnerability(name) => {
                let id = self.id("vulnerability", &a.uuid);
                let mut m = self.common("vulnerability", &id, self.created, modified, tlp);
                m.insert("name".into(), json!(name));
                let mut refs = self.ext_refs(Some((&a.uuid, what)));
                if name.to_ascii_uppercase().starts_with("CVE-") {
                    if let Value::Array(r) = &mut refs {
                        r.insert(0, json!({ "source_name": "cve", "external_id": name.to_ascii_uppercase() }));
                    }
                }
                m.insert("external_references".into(), refs);
                sdo_extras(&mut m, &a.comment, labels);
                self.keep(Value::Object(m), &a.uuid, &a.kind)
            }
            Mapped::Campaign(name) => {
                let id = self.id("campaign", &a.uuid);
                let mut m = self.common("campaign", &id, self.created, modified, tlp);
                m.insert("name".into(), json!(name));
                m.insert("external_references".into(), self.ext_refs(Some((&a.uuid, what))));
                sdo_extras(&mut m, &a.comment, labels);
                self.keep(Value::Object(m), &a.uuid, &a.kind)
            }
            Mapped::Custom => {
                let id = self.id("x-misp-attribute", &a.uuid);
                let mut m = self.common("x-misp-attribute", &id, self.created, modified, tlp);
                m.insert("name".into(), json!(clip(&a.value)));
                m.insert("x_misp_type".into(), json!(a.kind));
                m.insert("x_misp_category".into(), json!(a.category));
                m.insert("x_misp_value".into(), json!(a.value));
                m.insert("x_misp_to_ids".into(), json!(a.to_ids));
                m.insert("external_references".into(), self.ext_refs(Some((&a.uuid, what))));
                sdo_extras(&mut m, &a.comment, labels);
                self.keep(Value::Object(m), &a.uuid, &a.kind)
            }
        };
        let Some(source) = source else { return };
        self.link(&source, &clusters, modified);
        if source.starts_with("indicator--") {
            self.sightings(&source, &a.uuid, &a.sightings, tlp);
        }
    }

    fn object(&mut self, o: &MispObject) {
        let modified = o.timestamp.unwrap_or(self.modified);
        let tags: Vec<String> = o.attributes.iter().flat_map(|a| a.tags.iter().cloned()).collect();
        let tlp = tlp_of(&tags).or(self.tlp);
        let mut labels = labels_of(&tags);
        let mut clusters = Vec::new();
        let attr_clusters: Vec<Cluster> =
            o.attributes.iter().flat_map(|a| a.clusters.iter().cloned().chain(clusters_of(&a.tags))).collect();
        for c in &attr_clusters {
            match self.cluster(c) {
                Some(id) => clusters.push(id),
                None => push_unique(&mut labels, galaxy_label(c)),
            }
        }
        let what = "MISP object";
        let source = match crate::objects::object(o) {
            Some(found) => {
                for (a, why) in &found.refused {
                    self.refuse(&a.uuid, &a.kind, why.clone());
                }
                let rest = attribute_list(&found.unmapped);
                if o.attributes.iter().any(|a| a.to_ids) {
                    let mut l = vec![format!("misp:name=\"{}\"", o.name), format!("misp:meta-category=\"{}\"", o.meta_category)];
                    l.extend(labels);
                    let name = format!("{} object", o.name);
                    self.indicator(&found.obs, &o.uuid, what, &o.name, &name, &o.comment, modified, tlp, l, rest)
                } else {
                    let mut extra = Map::new();
                    extra.insert("x_misp_uuid".into(), json!(o.uuid));
                    extra.insert("x_misp_object".into(), json!(o.name));
                    if !o.comment.is_empty() {
                        extra.insert("x_misp_comment".into(), json!(o.comment));
                    }
                    if !labels.is_empty() {
                        extra.insert("x_misp_tags".into(), json!(labels));
                    }
                    if let Some(r) = rest {
                        extra.insert("x_misp_attributes".into(), r);
                    }
                    self.scos(&found.obs, &o.uuid, &o.name, tlp, extra)
                }
            }
            None => {
                let id = self.id("x-misp-object", &o.uuid);
                let mut m = self.common("x-misp-object", &id, self.created, modified, tlp);
                m.insert("name".into(), json!(o.name));
                m.insert("x_misp_name".into(), json!(o.name));
                m.insert("x_misp_meta_category".into(), json!(o.meta_category));
                let all: Vec<&Attribute> = o.attributes.iter().collect();
                m.insert("x_misp_attributes".into(), attribute_list(&all).unwrap_or(json!([])));
                m.insert("external_references".into(), self.ext_refs(Some((&o.uuid, what))));
                sdo_extras(&mut m, &o.comment, labels);
                self.keep(Value::Object(m), &o.uuid, &o.name)
            }
        };
        let Some(source) = source else { return };
        self.link(&source, &clusters, modified);
        if source.starts_with("indicator--") {
            for a in &o.attributes {
                self.sightings(&source, &a.uuid, &a.sightings, tlp);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn indicator(
        &mut self,
        obs: &Obs,
        uuid: &str,
        what: &str,
        kind: &str,
        name: &str,
        comment: &str,
        modified: i64,
        tlp: Option<Tlp>,
        labels: Vec<String>,
        rest: Option<Value>,
    ) -> Option<String> {
        let id = self.id("indicator", uuid);
        let mut m = self.common("indicator", &id, self.created, modified, tlp);
        m.insert("name".into(), json!(clip(name)));
        m.insert("indicator_types".into(), json!(["malicious-activity"]));
        m.insert("pattern".into(), json!(obs.pattern()));
        m.insert("pattern_type".into(), json!("stix"));
        m.insert("pattern_version".into(), json!("2.1"));
        m.insert("valid_from".into(), json!(ts(modified)));
        m.insert("external_references".into(), self.ext_refs(Some((uuid, what))));
        if let Some(r) = rest {
            m.insert("x_misp_attributes".into(), r);
        }
        sdo_extras(&mut m, comment, labels);
        self.keep(Value::Object(m), uuid, kind)
    }

    /// The SCOs of an observable; the main one carries `extra`. An SCO's id
    /// is derived from the MISP uuid and its content: SCOs have one version
    /// only, so an edited attribute is a new SCO rather than a conflict.
    fn scos(&mut self, obs: &Obs, uuid: &str, kind: &str, tlp: Option<Tlp>, extra: Map<String, Value>) -> Option<String> {
        let mut main = obs.main.props.clone();
        for (i, (prop, many, sco)) in obs.extra.iter().enumerate() {
            let mut props = sco.props.clone();
            if let Some(t) = tlp {
                props.insert("object_marking_refs".into(), json!([t.marking_id()]));
            }
            let id = self.id_of(sco.ty, &format!("{uuid}|{i}"), &props);
            let mut v = props;
            v.insert("type".into(), json!(sco.ty));
            v.insert("spec_version".into(), json!("2.1"));
            v.insert("id".into(), json!(id));
            let id = self.keep(Value::Object(v), uuid, kind)?;
            if *many {
                match main.entry(prop.to_string()).or_insert_with(|| json!([])) {
                    Value::Array(list) => list.push(json!(id)),
                    other => *other = json!([id]),
                }
            } else {
                main.insert(prop.to_string(), json!(id));
            }
        }
        main.extend(extra);
        if let Some(t) = tlp {
            main.insert("object_marking_refs".into(), json!([t.marking_id()]));
        }
        let id = self.id_of(obs.main.ty, uuid, &main);
        main.insert("type".into(), json!(obs.main.ty));
        main.insert("spec_version".into(), json!("2.1"));
        main.insert("id".into(), json!(id));
        self.keep(Value::Object(main), uuid, kind)
    }

    /// The SDO of a galaxy cluster, or `None` for a galaxy with no STIX type.
    fn cluster(&mut self, c: &Cluster) -> Option<String> {
        let ty = stix_type_of_galaxy(&c.galaxy_type)?;
        // Keyed by type and name, so that every event naming the same
        // family or actor refers to one object.
        let id = self.id(ty, &c.value.to_lowercase());
        if self.seen.contains(&id) {
            return Some(id);
        }
        let mut m = self.common(ty, &id, self.created, self.modified, self.tlp);
        m.insert("name".into(), json!(c.value));
        if !c.description.is_empty() {
            m.insert("description".into(), json!(c.description));
        }
        if ty == "malware" {
            m.insert("is_family".into(), json!(true));
        }
        let mut refs = Vec::new();
        if ty == "attack-pattern" {
            if let Some(t) = technique_id(&c.value) {
                refs.push(json!({ "source_name": "mitre-attack", "external_id": t }));
            }
        }
        let mut galaxy = json!({ "source_name": "misp-galaxy", "description": c.galaxy_type });
        if let Some(u) = &c.uuid {
            galaxy["external_id"] = json!(u);
        }
        refs.push(galaxy);
        m.insert("external_references".into(), Value::Array(refs));
        self.keep(Value::Object(m), &id, &c.galaxy_type)
    }

    fn link(&mut self, source: &str, targets: &[String], modified: i64) {
        let indicator = source.starts_with("indicator--");
        for t in targets {
            let kind = if indicator && !t.starts_with("vulnerability--") { "indicates" } else { "related-to" };
            self.relationship(source, kind, t, modified);
        }
    }

    fn relationship(&mut self, source: &str, kind: &str, target: &str, modified: i64) {
        let id = self.id("relationship", &format!("{source}|{kind}|{target}"));
        let mut m = self.common("relationship", &id, self.created, modified, self.tlp);
        m.insert("relationship_type".into(), json!(kind));
        m.insert("source_ref".into(), json!(source));
        m.insert("target_ref".into(), json!(target));
        self.keep(Value::Object(m), &id, "relationship");
    }

    fn sightings(&mut self, indicator: &str, uuid: &str, sightings: &[Sighting], tlp: Option<Tlp>) {
        for (i, s) in sightings.iter().enumerate() {
            let key = s.uuid.clone().unwrap_or_else(|| format!("{uuid}|{}|{i}", s.date));
            let mut m = match s.kind {
                0 => {
                    let id = self.id("sighting", &key);
                    let mut m = self.common("sighting", &id, s.date, s.date, tlp);
                    m.insert("sighting_of_ref".into(), json!(indicator));
                    m.insert("first_seen".into(), json!(ts(s.date)));
                    m.insert("last_seen".into(), json!(ts(s.date)));
                    m.insert("count".into(), json!(1));
                    m
                }
                1 => {
                    let id = self.id("opinion", &key);
                    let mut m = self.common("opinion", &id, s.date, s.date, tlp);
                    m.insert("opinion".into(), json!("strongly-disagree"));
                    m.insert("explanation".into(), json!("false positive (a MISP sighting of type 1)"));
                    m.insert("object_refs".into(), json!([indicator]));
                    m
                }
                // Expiration sightings have no STIX construct.
                _ => continue,
            };
            if !s.source.is_empty() {
                m.insert("x_misp_source".into(), json!(s.source));
            }
            if let Some(o) = &s.org {
                m.insert("x_misp_org".into(), json!(o));
            }
            self.keep(Value::Object(m), uuid, "sighting");
        }
    }

    fn report(&mut self, labels: Vec<String>) {
        let ev = self.ev;
        let id = self.id("report", &ev.uuid);
        let mut m = self.common("report", &id, self.created, self.modified, self.tlp);
        let name = if ev.info.trim().is_empty() { format!("MISP event {}", ev.uuid) } else { ev.info.clone() };
        m.insert("name".into(), json!(name));
        m.insert("report_types".into(), json!(["threat-report"]));
        m.insert("published".into(), json!(ts(ev.publish_timestamp.unwrap_or(self.modified))));
        let refs = if self.refs.is_empty() { vec![self.author.clone()] } else { std::mem::take(&mut self.refs) };
        m.insert("object_refs".into(), json!(refs));
        m.insert("external_references".into(), self.ext_refs(None));
        if let Some(o) = &ev.orgc {
            m.insert("x_misp_orgc".into(), json!(o.name));
        }
        if let Some(t) = &ev.threat_level_id {
            m.insert("x_misp_threat_level_id".into(), json!(t));
        }
        if let Some(a) = &ev.analysis {
            m.insert("x_misp_analysis".into(), json!(a));
        }
        if !labels.is_empty() {
            m.insert("labels".into(), json!(labels));
        }
        let uuid = ev.uuid.clone();
        self.keep(Value::Object(m), &uuid, "event");
    }
}

fn sdo_extras(m: &mut Map<String, Value>, comment: &str, labels: Vec<String>) {
    if !comment.is_empty() {
        m.insert("description".into(), json!(comment));
    }
    if !labels.is_empty() {
        m.insert("labels".into(), json!(labels));
    }
}

fn misp_labels(kind: &str, category: &str) -> Vec<String> {
    let mut l = vec![format!("misp:type=\"{kind}\"")];
    if !category.is_empty() {
        l.push(format!("misp:category=\"{category}\""));
    }
    l
}

/// Attributes kept as they are, in `x_misp_attributes`.
fn attribute_list(attrs: &[&Attribute]) -> Option<Value> {
    if attrs.is_empty() {
        return None;
    }
    Some(Value::Array(
        attrs
            .iter()
            .map(|a| {
                json!({
                    "uuid": a.uuid,
                    "type": a.kind,
                    "object_relation": a.object_relation,
                    "category": a.category,
                    "value": a.value,
                    "to_ids": a.to_ids,
                })
            })
            .collect(),
    ))
}

fn galaxy_label(c: &Cluster) -> String {
    format!("misp-galaxy:{}=\"{}\"", c.galaxy_type, c.value)
}

fn push_unique(list: &mut Vec<String>, s: String) {
    if !list.contains(&s) {
        list.push(s);
    }
}

/// `T1059` or `T1059.001` at the end of a cluster's value (`Command - T1059`).
fn technique_id(value: &str) -> Option<String> {
    let last = value.rsplit([' ', '-']).next()?.trim();
    let rest = last.strip_prefix('T')?;
    let (major, minor) = rest.split_once('.').unwrap_or((rest, ""));
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    (digits(major, 4) && (minor.is_empty() || digits(minor, 3))).then(|| last.to_owned())
}

/// A STIX timestamp for seconds since the epoch.
pub(crate) fn ts(secs: i64) -> String {
    Timestamp::from_micros(secs.saturating_mul(1_000_000)).as_str().to_owned()
}

fn day_secs(date: &str) -> i64 {
    Timestamp::parse(&format!("{date}T00:00:00Z")).map(|t| t.micros() / 1_000_000).unwrap_or(0)
}
