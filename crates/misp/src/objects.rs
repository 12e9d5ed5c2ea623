//! MISP objects as STIX observables: `file`, `domain-ip`, `url`, `ip-port`
//! and `email` become one SCO (with the SCOs it refers to) and, when any
//! attribute is for detection, one indicator whose pattern tests them all
//! together, as misp-stix does. Relations with no STIX property stay on the
//! result as `x_misp_attributes`; other templates are kept whole as
//! `x-misp-object` objects (see `to_stix`).

use serde_json::{json, Value};

use crate::observable::{hash_name, ip, q, value_props, Obs, Sco};
use crate::types::{Attribute, MispObject};

/// An object's observable, its attributes with no STIX property, and the
/// attributes refused (with why).
pub(crate) struct FromObject<'a> {
    pub obs: Obs,
    pub unmapped: Vec<&'a Attribute>,
    pub refused: Vec<(&'a Attribute, String)>,
}

/// The observable of a mapped MISP object, or `None` when nothing in it
/// could be mapped.
pub(crate) fn object(o: &MispObject) -> Option<FromObject<'_>> {
    let ty = match o.name.as_str() {
        "file" => "file",
        "domain-ip" => "domain-name",
        "url" => "url",
        "ip-port" => "network-traffic",
        "email" => "email-message",
        _ => return None,
    };
    let mut obs = Obs { main: Sco { ty, props: Default::default() }, extra: Vec::new(), terms: Vec::new(), join: "AND" };
    let mut unmapped = Vec::new();
    let mut refused = Vec::new();
    let mut ips = Vec::new();
    for a in &o.attributes {
        let rel = a.object_relation.as_deref().unwrap_or(a.kind.as_str());
        let r = match (o.name.as_str(), rel) {
            ("file", "filename") if !obs.main.props.contains_key("name") => {
                set(&mut obs, "name", json!(a.value), "file:name", q(&a.value));
                Ok(true)
            }
            ("file", "size-in-bytes") => match a.value.trim().parse::<u64>() {
                Ok(n) => {
                    set(&mut obs, "size", json!(n), "file:size", n.to_string());
                    Ok(true)
                }
                Err(_) => Err("not a size in bytes".to_owned()),
            },
            ("file", "mime-type") => {
                set(&mut obs, "mime_type", json!(a.value), "file:mime_type", q(&a.value));
                Ok(true)
            }
            ("file", h) if hash_name(h).is_some() => hash(&mut obs, h, &a.value).map(|()| true),
            ("file", "malware-sample") => match a.value.split_once('|') {
                Some((_, h)) => hash(&mut obs, "md5", h).map(|()| true),
                None => Ok(false),
            },
            ("domain-ip", "domain" | "hostname") if !obs.main.props.contains_key("value") => {
                set(&mut obs, "value", json!(a.value.trim()), "domain-name:value", q(a.value.trim()));
                Ok(true)
            }
            ("domain-ip", "ip" | "ip-dst" | "ip-src") => ip(&a.value).map(|v| {
                ips.push(v);
                true
            }),
            ("url", "url") if !obs.main.props.contains_key("value") => {
                set(&mut obs, "value", json!(a.value.trim()), "url:value", q(a.value.trim()));
                Ok(true)
            }
            ("ip-port", "ip" | "ip-dst" | "ip-src") => ip(&a.value).map(|(t, v)| {
                let side = if rel == "ip-src" { "src" } else { "dst" };
                let prop = if side == "src" { "src_ref" } else { "dst_ref" };
                if obs.extra.iter().any(|(p, _, _)| *p == prop) {
                    return false;
                }
                obs.terms.push(format!("network-traffic:{side}_ref.value = {}", q(&v)));
                obs.extra.push((prop, false, Sco { ty: t, props: value_props(&v) }));
                true
            }),
            ("ip-port", "dst-port" | "src-port") => match a.value.trim().parse::<u16>() {
                Ok(p) => {
                    let prop = rel.replace('-', "_");
                    if obs.main.props.contains_key(&prop) {
                        Ok(false)
                    } else {
                        set(&mut obs, &prop, json!(p), &format!("network-traffic:{prop}"), p.to_string());
                        Ok(true)
                    }
                }
                Err(_) => Err("not a port".to_owned()),
            },
            ("email", "from" | "to" | "cc") => {
                let prop = match rel {
                    "from" => "from_ref",
                    "to" => "to_refs",
                    _ => "cc_refs",
                };
                if prop == "from_ref" && obs.extra.iter().any(|(p, _, _)| *p == "from_ref") {
                    Ok(false)
                } else {
                    let path = if prop == "from_ref" { "email-message:from_ref.value".to_owned() } else { format!("email-message:{prop}[*].value") };
                    obs.terms.push(format!("{path} = {}", q(a.value.trim())));
                    obs.extra.push((prop, prop != "from_ref", Sco { ty: "email-addr", props: value_props(a.value.trim()) }));
                    Ok(true)
                }
            }
            ("email", "subject") if !obs.main.props.contains_key("subject") => {
                set(&mut obs, "subject", json!(a.value), "email-message:subject", q(&a.value));
                Ok(true)
            }
            ("email", "message-id") if !obs.main.props.contains_key("message_id") => {
                set(&mut obs, "message_id", json!(a.value), "email-message:message_id", q(&a.value));
                Ok(true)
            }
            _ => Ok(false),
        };
        match r {
            Ok(true) => {}
            Ok(false) => unmapped.push(a),
            Err(why) => refused.push((a, why)),
        }
    }
    match o.name.as_str() {
        "domain-ip" if obs.main.props.contains_key("value") => {
            for (t, v) in ips {
                obs.terms.push(format!("domain-name:resolves_to_refs[*].value = {}", q(&v)));
                obs.extra.push(("resolves_to_refs", true, Sco { ty: t, props: value_props(&v) }));
            }
        }
        "domain-ip" => {
            // Addresses with no domain: the first is the object, the others
            // are alternatives of the pattern.
            let mut ips = ips.into_iter();
            let (t, v) = ips.next()?;
            obs.main = Sco { ty: t, props: value_props(&v) };
            obs.terms = vec![format!("{t}:value = {}", q(&v))];
            obs.join = "OR";
            for (t2, v2) in ips {
                if t2 == t {
                    obs.terms.push(format!("{t}:value = {}", q(&v2)));
                }
            }
        }
        "ip-port" => {
            if obs.extra.is_empty() && !obs.main.props.contains_key("dst_port") && !obs.main.props.contains_key("src_port") {
                return None;
            }
            let family = match obs.extra.first() {
                Some((_, _, s)) if s.ty == "ipv6-addr" => "ipv6",
                _ => "ipv4",
            };
            obs.main.props.insert("protocols".into(), json!([family]));
        }
        "email" => {
            obs.main.props.insert("is_multipart".into(), json!(false));
        }
        _ => {}
    }
    if obs.terms.is_empty() {
        return None;
    }
    Some(FromObject { obs, unmapped, refused })
}

fn set(obs: &mut Obs, prop: &str, value: Value, path: &str, literal: String) {
    obs.main.props.insert(prop.to_owned(), value);
    obs.terms.push(format!("{path} = {literal}"));
}

fn hash(obs: &mut Obs, kind: &str, value: &str) -> Result<(), String> {
    let (name, len) = hash_name(kind).ok_or("not a hash")?;
    let v = &crate::observable::fuzzy(value);
    if v.is_empty() || (len > 0 && (v.len() != len || !v.bytes().all(|b| b.is_ascii_hexdigit()))) {
        return Err(format!("not a {kind} hash"));
    }
    let v = if len > 0 { v.to_ascii_lowercase() } else { v.to_owned() };
    let hashes = obs.main.props.entry("hashes").or_insert_with(|| json!({}));
    if let Value::Object(h) = hashes {
        if h.contains_key(name) {
            return Ok(());
        }
        h.insert(name.to_owned(), json!(v));
    }
    obs.terms.push(format!("file:hashes.{} = {}", q(name), q(&v)));
    Ok(())
}
