//! MISP attribute types as STIX observables: for each type Entente maps,
//! the SCO it describes (with any SCO it refers to) and the STIX pattern
//! comparisons that test for it; misp-stix's table, cut to the SCOs and
//! kept to patterns Entente's detection indexes (`ipv4-addr:value` rather
//! than `network-traffic:dst_ref.value` for a lone address).

use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::{json, Map, Value};

/// One SCO, before it has an id.
#[derive(Debug, Clone)]
pub(crate) struct Sco {
    pub ty: &'static str,
    pub props: Map<String, Value>,
}

/// What an attribute (or a MISP object) observes.
#[derive(Debug, Clone)]
pub(crate) struct Obs {
    /// The SCO it is about.
    pub main: Sco,
    /// SCOs the main one refers to: (its property, whether a list, the SCO).
    pub extra: Vec<(&'static str, bool, Sco)>,
    /// Pattern comparisons, all about one observation.
    pub terms: Vec<String>,
    /// How the comparisons join (`AND`, or `OR` for alternatives).
    pub join: &'static str,
}

impl Obs {
    fn new(ty: &'static str) -> Obs {
        Obs { main: Sco { ty, props: Map::new() }, extra: Vec::new(), terms: Vec::new(), join: "AND" }
    }

    fn set(mut self, prop: &str, value: Value) -> Obs {
        self.main.props.insert(prop.to_owned(), value);
        self
    }

    fn term(mut self, path: &str, literal: String) -> Obs {
        self.terms.push(format!("{path} = {literal}"));
        self
    }

    /// The STIX pattern of one observation.
    pub fn pattern(&self) -> String {
        format!("[{}]", self.terms.join(&format!(" {} ", self.join)))
    }
}

/// What one attribute becomes.
#[derive(Debug, Clone)]
pub(crate) enum Mapped {
    /// An observable: SCOs, or an indicator when `to_ids`.
    Obs(Obs),
    /// A `vulnerability` SDO of this name.
    Vulnerability(String),
    /// A `campaign` SDO of this name.
    Campaign(String),
    /// No STIX construct: kept whole as an `x-misp-attribute` object.
    Custom,
}

/// A pattern string literal.
pub(crate) fn q(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The STIX hash name of a MISP hash type, and the hex length it must have
/// (0: not hex, any length).
pub(crate) fn hash_name(misp: &str) -> Option<(&'static str, usize)> {
    Some(match misp {
        "md5" => ("MD5", 32),
        "sha1" => ("SHA-1", 40),
        "sha224" => ("SHA-224", 56),
        "sha256" => ("SHA-256", 64),
        "sha384" => ("SHA-384", 96),
        "sha512" => ("SHA-512", 128),
        "sha3-224" => ("SHA3-224", 56),
        "sha3-256" => ("SHA3-256", 64),
        "sha3-384" => ("SHA3-384", 96),
        "sha3-512" => ("SHA3-512", 128),
        "ssdeep" => ("SSDEEP", 0),
        "tlsh" => ("TLSH", 0),
        _ => return None,
    })
}

/// The MISP hash type of a STIX hash name.
pub(crate) fn misp_hash(stix: &str) -> Option<&'static str> {
    ["md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3-224", "sha3-256", "sha3-384", "sha3-512", "ssdeep", "tlsh"]
        .into_iter()
        .find(|m| hash_name(m).is_some_and(|(n, _)| n.eq_ignore_ascii_case(stix)))
}

/// A hash value without whitespace: fuzzy hashes (ssdeep, TLSH) are
/// sometimes stored wrapped over lines, and no hash contains a space.
pub(crate) fn fuzzy(value: &str) -> String {
    value.chars().filter(|c| !c.is_whitespace()).collect()
}

fn hash_value(misp: &str, value: &str) -> Result<(&'static str, String), String> {
    let (name, len) = hash_name(misp).ok_or_else(|| format!("`{misp}` is not a hash type"))?;
    let v = &fuzzy(value);
    if len > 0 && (v.len() != len || !v.bytes().all(|b| b.is_ascii_hexdigit())) {
        return Err(format!("not a {misp} hash ({len} hexadecimal digits)"));
    }
    if v.is_empty() {
        return Err("empty hash".into());
    }
    Ok((name, if len > 0 { v.to_ascii_lowercase() } else { v.to_owned() }))
}

/// An IP address (or CIDR range): its SCO type and value.
pub(crate) fn ip(value: &str) -> Result<(&'static str, String), String> {
    let v = value.trim();
    let (addr, prefix) = match v.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (v, None),
    };
    let (ty, max) = if addr.parse::<Ipv4Addr>().is_ok() {
        ("ipv4-addr", 32)
    } else if addr.parse::<Ipv6Addr>().is_ok() {
        ("ipv6-addr", 128)
    } else {
        return Err(format!("`{}` is not an IP address", crate::types::clip(v)));
    };
    if let Some(p) = prefix {
        match p.parse::<u32>() {
            Ok(n) if n <= max => {}
            _ => return Err(format!("`{}` is not a CIDR range", crate::types::clip(v))),
        }
    }
    Ok((ty, v.to_owned()))
}

fn port(value: &str) -> Result<u64, String> {
    value.trim().parse::<u16>().map(u64::from).map_err(|_| format!("`{}` is not a port", crate::types::clip(value)))
}

fn name_like(what: &str, value: &str) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() || v.len() > 2048 || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("`{}` is not a {what}", crate::types::clip(v)));
    }
    Ok(v.to_owned())
}

fn split2<'a>(kind: &str, value: &'a str) -> Result<(&'a str, &'a str), String> {
    value.split_once('|').ok_or_else(|| format!("a {kind} value is two values joined by `|`"))
}

/// An address SCO on its own.
pub(crate) fn ip_obs(value: &str) -> Result<Obs, String> {
    let (ty, v) = ip(value)?;
    Ok(Obs::new(ty).set("value", json!(v)).term(&format!("{ty}:value"), q(&v)))
}

fn file_hash(obs: Obs, kind: &str, value: &str) -> Result<Obs, String> {
    let (name, v) = hash_value(kind, value)?;
    let mut obs = obs.term(&format!("file:hashes.{}", q(name)), q(&v));
    let hashes = obs.main.props.entry("hashes").or_insert_with(|| json!({}));
    if let Value::Object(h) = hashes {
        h.insert(name.to_owned(), json!(v));
    }
    Ok(obs)
}

/// What an attribute of MISP type `kind` with `value` becomes. An error is
/// a value its type cannot have (the attribute is then refused).
pub(crate) fn attribute(kind: &str, value: &str) -> Result<Mapped, String> {
    let obs = match kind {
        "ip-src" | "ip-dst" | "ip" => ip_obs(value)?,
        "ip-src|port" | "ip-dst|port" => {
            let (a, p) = split2(kind, value)?;
            let (ty, v) = ip(a)?;
            let side = if kind.starts_with("ip-src") { "src" } else { "dst" };
            let port = port(p)?;
            let mut obs = Obs::new("network-traffic")
                .set("protocols", json!([if ty == "ipv4-addr" { "ipv4" } else { "ipv6" }]))
                .set(&format!("{side}_port"), json!(port))
                .term(&format!("network-traffic:{side}_ref.value"), q(&v))
                .term(&format!("network-traffic:{side}_port"), port.to_string());
            obs.extra.push((if side == "src" { "src_ref" } else { "dst_ref" }, false, Sco { ty, props: value_props(&v) }));
            obs
        }
        "domain" | "hostname" => {
            let v = name_like("domain name", value)?;
            Obs::new("domain-name").set("value", json!(v)).term("domain-name:value", q(&v))
        }
        "domain|ip" => {
            let (d, a) = split2(kind, value)?;
            let d = name_like("domain name", d)?;
            let (ty, v) = ip(a)?;
            let mut obs = Obs::new("domain-name")
                .set("value", json!(d))
                .term("domain-name:value", q(&d))
                .term("domain-name:resolves_to_refs[*].value", q(&v));
            obs.extra.push(("resolves_to_refs", true, Sco { ty, props: value_props(&v) }));
            obs
        }
        "hostname|port" => {
            let (d, p) = split2(kind, value)?;
            let d = name_like("host name", d)?;
            let port = port(p)?;
            let mut obs = Obs::new("network-traffic")
                .set("protocols", json!(["tcp"]))
                .set("dst_port", json!(port))
                .term("network-traffic:dst_ref.value", q(&d))
                .term("network-traffic:dst_port", port.to_string());
            obs.extra.push(("dst_ref", false, Sco { ty: "domain-name", props: value_props(&d) }));
            obs
        }
        "url" | "uri" | "link" => {
            let v = name_like("URL", value)?;
            Obs::new("url").set("value", json!(v)).term("url:value", q(&v))
        }
        "email" | "email-src" | "email-dst" | "target-email" | "whois-registrant-email" => {
            let v = name_like("e-mail address", value)?;
            if !v.contains('@') {
                return Err(format!("`{}` is not an e-mail address", crate::types::clip(&v)));
            }
            Obs::new("email-addr").set("value", json!(v)).term("email-addr:value", q(&v))
        }
        "email-subject" => Obs::new("email-message")
            .set("is_multipart", json!(false))
            .set("subject", json!(value))
            .term("email-message:subject", q(value)),
        "filename" => Obs::new("file").set("name", json!(value)).term("file:name", q(value)),
        "attachment" => Obs::new("file").set("name", json!(value)).term("file:name", q(value)),
        "malware-sample" => {
            let (name, h) = split2(kind, value)?;
            file_hash(Obs::new("file").set("name", json!(name)).term("file:name", q(name)), "md5", h)?
        }
        k if hash_name(k).is_some() => file_hash(Obs::new("file"), k, value)?,
        k if k.strip_prefix("filename|").is_some_and(|h| hash_name(h).is_some()) => {
            let (name, h) = split2(kind, value)?;
            let alg = &k["filename|".len()..];
            file_hash(Obs::new("file").set("name", json!(name)).term("file:name", q(name)), alg, h)?
        }
        "mutex" => Obs::new("mutex").set("name", json!(value)).term("mutex:name", q(value)),
        "regkey" => Obs::new("windows-registry-key").set("key", json!(value)).term("windows-registry-key:key", q(value)),
        "regkey|value" => {
            let (k, d) = split2(kind, value)?;
            Obs::new("windows-registry-key")
                .set("key", json!(k))
                .set("values", json!([{ "name": "", "data": d }]))
                .term("windows-registry-key:key", q(k))
                .term("windows-registry-key:values[*].data", q(d))
        }
        "AS" => {
            let digits = value.trim().trim_start_matches("AS").trim_start_matches("as");
            let n: u32 = digits.parse().map_err(|_| format!("`{}` is not an AS number", crate::types::clip(value)))?;
            Obs::new("autonomous-system").set("number", json!(n)).term("autonomous-system:number", n.to_string())
        }
        "mac-address" => {
            let v = value.trim().to_ascii_lowercase().replace('-', ":");
            let ok = v.len() == 17 && v.split(':').all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()));
            if !ok {
                return Err(format!("`{}` is not a MAC address", crate::types::clip(value)));
            }
            Obs::new("mac-addr").set("value", json!(v)).term("mac-addr:value", q(&v))
        }
        "x509-fingerprint-md5" | "x509-fingerprint-sha1" | "x509-fingerprint-sha256" => {
            let alg = &kind["x509-fingerprint-".len()..];
            let (name, v) = hash_value(alg, value)?;
            Obs::new("x509-certificate")
                .set("hashes", json!({ name: v }))
                .term(&format!("x509-certificate:hashes.{}", q(name)), q(&v))
        }
        "vulnerability" => return Ok(Mapped::Vulnerability(value.trim().to_owned())),
        "campaign-name" => return Ok(Mapped::Campaign(value.trim().to_owned())),
        _ => return Ok(Mapped::Custom),
    };
    Ok(Mapped::Obs(obs))
}

pub(crate) fn value_props(v: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("value".into(), json!(v));
    m
}
