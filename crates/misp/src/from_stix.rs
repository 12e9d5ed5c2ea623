//! STIX 2.1 objects (what the release decision gives a partner) to MISP
//! events, as PyMISP loads them.
//!
//! Grouping: a report is one event holding the objects it refers to (its
//! uuid is the report's, or the MISP event's it was imported from); every
//! object in no report goes to one event per UTC day of its `modified`
//! (SCOs, which have no date, to one more event, "observables"). Indicators
//! become detection attributes (one per value their pattern tests with `=`
//! or `IN`, a `stix2-pattern` attribute when none maps), SCOs other
//! attributes, vulnerabilities and campaigns attributes, threat actors,
//! intrusion sets, malware, tools and attack patterns galaxy tags on the
//! event, sightings sightings of their indicator's attributes, TLP markings
//! `tlp:` tags. Relationships, identities, notes, opinions and Entente's
//! own records have no MISP form and are counted as left out; a group with
//! nothing of MISP form makes no event.

use std::collections::{BTreeMap, HashMap, HashSet};

use model::tlp::Tlp;
use model::Timestamp;
use serde_json::{json, Value};

use crate::observable::misp_hash;
use crate::tags::{galaxy_of_stix_type, tlp_tag};
use crate::types::{uuid_text, Org};

/// The events of an export, and what had no MISP form.
#[derive(Debug, Default)]
pub struct Export {
    /// MISP events, `{"Event": {...}}`, in a stable order.
    pub events: Vec<Value>,
    /// Ids of the objects left out.
    pub left_out: Vec<String>,
    /// Per event (same order as `events`), the ids of the objects it was
    /// made from: its report, the members, the sightings joined to them.
    /// Whoever serves one event releases exactly these.
    pub sources: Vec<Vec<String>>,
}

/// Converts `objects` (one version each) to events created by `org`.
/// `key` (the recipient partner's id) keys the per-day events' uuids, so
/// each recipient's feed has its own; `today` (`YYYY-MM-DD`) dates the
/// observables event.
pub fn stix_to_events(objects: &[Value], org: &Org, key: &str, today: &str) -> Export {
    let by_id: HashMap<&str, &Value> = objects.iter().filter_map(|o| Some((o["id"].as_str()?, o))).collect();
    let mut claimed: HashSet<&str> = HashSet::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut reports: Vec<&Value> = objects.iter().filter(|o| o["type"] == "report").collect();
    reports.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    for r in reports {
        let id = r["id"].as_str().unwrap_or_default();
        claimed.insert(id);
        let members: Vec<&Value> = r["object_refs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| by_id.get(v.as_str()?).copied())
            .filter(|o| o["type"] != "report")
            .collect();
        for m in &members {
            claimed.insert(m["id"].as_str().unwrap_or_default());
        }
        let uuid = misp_ref(r, "MISP event").unwrap_or_else(|| id.split_once("--").map(|(_, u)| u.to_owned()).unwrap_or_default());
        groups.push(Group {
            report: Some(id),
            uuid,
            info: r["name"].as_str().unwrap_or("report").to_owned(),
            date: date_of(r).unwrap_or_else(|| today.to_owned()),
            timestamp: secs_of(r),
            tlp: tlp_of(r),
            labels: strings(&r["labels"]),
            members,
        });
    }
    let mut days: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for o in objects {
        let id = o["id"].as_str().unwrap_or_default();
        if claimed.contains(id) || o["type"] == "sighting" {
            continue;
        }
        days.entry(date_of(o).unwrap_or_default()).or_default().push(o);
    }
    for (day, members) in days {
        let (uuid, info, date) = if day.is_empty() {
            (crate::uuid_v5(&format!("observables|{key}")), "Observables".to_owned(), today.to_owned())
        } else {
            (crate::uuid_v5(&format!("day|{key}|{day}")), format!("Intelligence of {day}"), day.clone())
        };
        let timestamp = members.iter().filter_map(|m| secs_of(m)).max();
        groups.push(Group { report: None, uuid, info, date, timestamp, tlp: None, labels: Vec::new(), members });
    }

    let mut out = Export::default();
    let mut attrs_of: HashMap<String, (usize, Vec<usize>)> = HashMap::new();
    let mut events: Vec<Value> = Vec::new();
    let mut sources: Vec<Vec<String>> = Vec::new();
    for g in &groups {
        let mut attributes: Vec<Value> = Vec::new();
        let mut tags: Vec<String> = g.labels.iter().filter(|l| !l.starts_with("misp:")).cloned().collect();
        let mut tlp = g.tlp;
        for m in &g.members {
            let id = m["id"].as_str().unwrap_or_default();
            tlp = tlp.max(tlp_of(m));
            let ty = m["type"].as_str().unwrap_or_default();
            if let Some(galaxy) = galaxy_of_stix_type(ty) {
                if let Some(name) = m["name"].as_str() {
                    push_unique(&mut tags, format!("misp-galaxy:{galaxy}=\"{name}\""));
                    continue;
                }
            }
            let made = attributes_of(m, g.timestamp);
            if made.is_empty() {
                if ty != "sighting" {
                    out.left_out.push(id.to_owned());
                }
                continue;
            }
            let start = attributes.len();
            attributes.extend(made);
            attrs_of.insert(id.to_owned(), (events.len(), (start..attributes.len()).collect()));
        }
        if attributes.is_empty() && !tags.iter().any(|t| t.starts_with("misp-galaxy:")) {
            // Nothing in it has a MISP form: no empty event.
            continue;
        }
        if let Some(t) = tlp {
            tags.insert(0, tlp_tag(t));
        }
        let ts = g.timestamp.unwrap_or(0).to_string();
        let event = json!({ "Event": {
            "uuid": g.uuid,
            "info": g.info,
            "date": g.date,
            "timestamp": ts,
            "publish_timestamp": ts,
            "published": true,
            "analysis": "2",
            "threat_level_id": "4",
            "distribution": "0",
            "Orgc": { "name": org.name, "uuid": org.uuid },
            "Tag": tags.iter().map(|t| json!({ "name": t })).collect::<Vec<_>>(),
            "Attribute": attributes,
        }});
        events.push(event);
        let mut from: Vec<String> = g.report.iter().map(|r| r.to_string()).collect();
        from.extend(g.members.iter().filter_map(|m| m["id"].as_str().map(str::to_owned)));
        sources.push(from);
    }
    // Sightings join the attributes of what they sighted.
    for o in objects.iter().filter(|o| o["type"] == "sighting") {
        let target = o["sighting_of_ref"].as_str().unwrap_or_default();
        let id = o["id"].as_str().unwrap_or_default();
        let Some((e, idxs)) = attrs_of.get(target) else {
            out.left_out.push(id.to_owned());
            continue;
        };
        let date = secs_of_prop(o, "last_seen").or_else(|| secs_of(o)).unwrap_or(0).to_string();
        let uuid = id.split_once("--").map(|(_, u)| u.to_owned()).unwrap_or_default();
        for i in idxs {
            let attr = &mut events[*e]["Event"]["Attribute"][*i];
            let list = attr.as_object_mut().map(|a| a.entry("Sighting").or_insert_with(|| json!([])));
            if let Some(Value::Array(list)) = list {
                list.push(json!({ "uuid": uuid, "date_sighting": date, "type": "0", "source": org.name }));
            }
        }
        if !idxs.is_empty() {
            sources[*e].push(id.to_owned());
        }
    }
    out.events = events;
    out.sources = sources;
    out
}

struct Group<'a> {
    /// The id of the report the event is made of, if any.
    report: Option<&'a str>,
    uuid: String,
    info: String,
    date: String,
    timestamp: Option<i64>,
    tlp: Option<Tlp>,
    labels: Vec<String>,
    members: Vec<&'a Value>,
}

/// The MISP attributes one object becomes (none: no MISP form).
fn attributes_of(o: &Value, event_ts: Option<i64>) -> Vec<Value> {
    let id = o["id"].as_str().unwrap_or_default();
    let ts = secs_of(o).or(event_ts).unwrap_or(0);
    let comment = o["description"].as_str().or(o["x_misp_comment"].as_str()).unwrap_or_default();
    let mut tags: Vec<String> = strings(&o["labels"]).into_iter().filter(|l| !l.starts_with("misp:")).collect();
    tags.extend(strings(&o["x_misp_tags"]));
    if let Some(t) = tlp_of(o) {
        tags.insert(0, tlp_tag(t));
    }
    let mut pairs: Vec<(String, String, bool, Option<String>)> = Vec::new(); // type, value, to_ids, category
    match o["type"].as_str().unwrap_or_default() {
        "indicator" => {
            let pattern = o["pattern"].as_str().unwrap_or_default();
            let parsed = if o["pattern_type"] == "stix" { pattern::parse(pattern).ok() } else { None };
            for (path, value) in parsed.as_ref().map(pattern::equality_observables).unwrap_or_default() {
                if let Some(t) = type_of_path(&path, &value) {
                    pairs.push((t.to_owned(), value, true, None));
                }
            }
            if pairs.is_empty() && !pattern.is_empty() {
                pairs.push(("stix2-pattern".into(), pattern.to_owned(), true, None));
            }
        }
        "vulnerability" => pairs.extend(o["name"].as_str().map(|n| ("vulnerability".into(), n.to_owned(), false, None))),
        "campaign" => pairs.extend(o["name"].as_str().map(|n| ("campaign-name".into(), n.to_owned(), false, None))),
        "x-misp-attribute" => {
            if let (Some(t), Some(v)) = (o["x_misp_type"].as_str(), o["x_misp_value"].as_str()) {
                let cat = o["x_misp_category"].as_str().map(str::to_owned);
                pairs.push((t.to_owned(), v.to_owned(), o["x_misp_to_ids"] == true, cat));
            }
        }
        "x-misp-object" => {
            for a in o["x_misp_attributes"].as_array().into_iter().flatten() {
                if let (Some(t), Some(v)) = (a["type"].as_str(), a["value"].as_str()) {
                    pairs.push((t.to_owned(), v.to_owned(), a["to_ids"] == true, a["category"].as_str().map(str::to_owned)));
                }
            }
        }
        ty => {
            for (t, v) in sco_values(ty, o) {
                pairs.push((t.to_owned(), v, false, o["x_misp_category"].as_str().map(str::to_owned)));
            }
        }
    }
    let single = pairs.len() == 1;
    // The MISP type it came from, when it is a kind of the same thing
    // (`hostname` rather than `domain`, `ip-src` rather than `ip-dst`).
    let from_misp = o["x_misp_type"].as_str().map(str::to_owned).or_else(|| {
        strings(&o["labels"]).iter().find_map(|l| Some(l.strip_prefix("misp:type=\"")?.strip_suffix('"')?.to_owned()))
    });
    if let (true, Some(t)) = (single, from_misp) {
        if same_family(&pairs[0].0, &t) {
            pairs[0].0 = t;
        }
    }
    let own_uuid = misp_ref(o, "MISP attribute").or_else(|| o["x_misp_uuid"].as_str().and_then(uuid_text));
    pairs
        .into_iter()
        .enumerate()
        .filter(|(_, (_, v, _, _))| !v.is_empty())
        .map(|(i, (t, v, to_ids, cat))| {
            let uuid = match (&own_uuid, single) {
                (Some(u), true) => u.clone(),
                _ => crate::uuid_v5(&format!("attribute|{id}|{i}")),
            };
            let category = cat.filter(|c| !c.is_empty()).unwrap_or_else(|| category_of(&t).to_owned());
            json!({
                "uuid": uuid,
                "type": t,
                "category": category,
                "value": v,
                "to_ids": to_ids,
                "timestamp": ts.to_string(),
                "comment": comment,
                "distribution": "5",
                "Tag": tags.iter().map(|t| json!({ "name": t })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// The MISP attribute type of a pattern's `(path, value)` pair.
fn type_of_path(path: &str, value: &str) -> Option<&'static str> {
    let is_ip = crate::observable::ip(value).is_ok();
    Some(match path {
        "ipv4-addr:value" | "ipv6-addr:value" | "domain-name:resolves_to_refs[*].value" => "ip-dst",
        "network-traffic:dst_ref.value" if is_ip => "ip-dst",
        "network-traffic:src_ref.value" if is_ip => "ip-src",
        "network-traffic:dst_ref.value" | "domain-name:value" => "domain",
        "url:value" => "url",
        "email-addr:value" | "email-message:from_ref.value" => "email-src",
        "email-message:to_refs[*].value" => "email-dst",
        "email-message:subject" => "email-subject",
        "file:name" => "filename",
        "mutex:name" => "mutex",
        "windows-registry-key:key" => "regkey",
        "mac-addr:value" => "mac-address",
        "autonomous-system:number" => "AS",
        p => {
            if let Some(h) = p.strip_prefix("file:hashes.") {
                return misp_hash(h.trim_matches('\''));
            }
            if let Some(h) = p.strip_prefix("x509-certificate:hashes.") {
                return match misp_hash(h.trim_matches('\''))? {
                    "md5" => Some("x509-fingerprint-md5"),
                    "sha1" => Some("x509-fingerprint-sha1"),
                    "sha256" => Some("x509-fingerprint-sha256"),
                    _ => None,
                };
            }
            return None;
        }
    })
}

/// An SCO's values as MISP `(type, value)` pairs; its own MISP type when
/// it came from MISP and the type still fits.
fn sco_values(ty: &str, o: &Value) -> Vec<(&'static str, String)> {
    let s = |k: &str| o[k].as_str().map(str::to_owned);
    let mut out = Vec::new();
    match ty {
        "ipv4-addr" | "ipv6-addr" => out.extend(s("value").map(|v| ("ip-dst", v))),
        "domain-name" => out.extend(s("value").map(|v| ("domain", v))),
        "url" => out.extend(s("value").map(|v| ("url", v))),
        "email-addr" => out.extend(s("value").map(|v| ("email-src", v))),
        "mac-addr" => out.extend(s("value").map(|v| ("mac-address", v))),
        "mutex" => out.extend(s("name").map(|v| ("mutex", v))),
        "windows-registry-key" => out.extend(s("key").map(|v| ("regkey", v))),
        "autonomous-system" => out.extend(o["number"].as_u64().map(|n| ("AS", n.to_string()))),
        "email-message" => out.extend(s("subject").map(|v| ("email-subject", v))),
        "file" | "x509-certificate" => {
            if ty == "file" {
                out.extend(s("name").map(|v| ("filename", v)));
            }
            for (k, v) in o["hashes"].as_object().into_iter().flatten() {
                let Some(v) = v.as_str() else { continue };
                let Some(h) = misp_hash(k) else { continue };
                let t = match (ty, h) {
                    ("file", h) => h,
                    (_, "md5") => "x509-fingerprint-md5",
                    (_, "sha1") => "x509-fingerprint-sha1",
                    (_, "sha256") => "x509-fingerprint-sha256",
                    _ => continue,
                };
                out.push((t, v.to_owned()));
            }
        }
        _ => {}
    }
    out
}

/// Whether two single-value MISP types describe the same kind of SCO.
fn same_family(a: &str, b: &str) -> bool {
    const FAMILIES: &[&[&str]] = &[
        &["ip-dst", "ip-src"],
        &["domain", "hostname"],
        &["url", "uri", "link"],
        &["email-src", "email-dst", "email", "target-email", "whois-registrant-email"],
        &["filename", "attachment"],
    ];
    a == b || FAMILIES.iter().any(|f| f.contains(&a) && f.contains(&b))
}

/// MISP's default category of the types the export writes.
fn category_of(t: &str) -> &'static str {
    match t {
        "ip-dst" | "ip-src" | "domain" | "hostname" | "url" | "AS" | "mac-address" | "email-dst" | "x509-fingerprint-md5"
        | "x509-fingerprint-sha1" | "x509-fingerprint-sha256" => "Network activity",
        "mutex" => "Artifacts dropped",
        "regkey" => "Persistence mechanism",
        "vulnerability" => "External analysis",
        "campaign-name" => "Attribution",
        "stix2-pattern" => "Payload installation",
        "text" | "comment" | "other" => "Other",
        _ => "Payload delivery",
    }
}

fn misp_ref(o: &Value, what: &str) -> Option<String> {
    o["external_references"]
        .as_array()?
        .iter()
        .find(|r| r["source_name"] == "misp" && r["description"] == what)
        .and_then(|r| r["external_id"].as_str())
        .and_then(uuid_text)
}

fn tlp_of(o: &Value) -> Option<Tlp> {
    o["object_marking_refs"].as_array()?.iter().filter_map(|m| Tlp::from_marking_id(m.as_str()?)).max()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_owned)).collect()
}

fn secs_of_prop(o: &Value, prop: &str) -> Option<i64> {
    Timestamp::parse(o[prop].as_str()?).ok().map(|t| t.micros().div_euclid(1_000_000))
}

fn secs_of(o: &Value) -> Option<i64> {
    secs_of_prop(o, "modified").or_else(|| secs_of_prop(o, "created"))
}

fn date_of(o: &Value) -> Option<String> {
    let s = o["modified"].as_str().or(o["created"].as_str())?;
    Timestamp::parse(s).ok()?;
    Some(s.get(..10)?.to_owned())
}

fn push_unique(list: &mut Vec<String>, s: String) {
    if !list.contains(&s) {
        list.push(s);
    }
}
