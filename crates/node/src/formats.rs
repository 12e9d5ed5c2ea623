//! What an analyst takes out of a node besides STIX (issue 19, "input and
//! output analysts use every day"): a CSV table of objects, a plain list of
//! indicator values, and Suricata and Sigma rules from indicators whose
//! pattern a rule can say. Pure: callers hand in objects already released
//! to the reader (the export command and the pages read through
//! [`crate::read`]).
//!
//! Every string here may come from a partner, so each format escapes it as
//! its reader needs: CSV cells that a spreadsheet would run as a formula are
//! quoted as text, rule contents use Suricata's hex escapes, YAML strings
//! are single-quoted.

use pattern::ast::{CompExpr, Literal, ObsExpr, Op};
use serde_json::Value;

/// The CSV columns, in order.
pub const CSV_HEADER: &str = "id,type,name,value,pattern,tlp,labels,created_by_ref,created,modified";

fn text<'a>(o: &'a Value, key: &str) -> &'a str {
    o.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// One CSV cell (RFC 4180), and never a formula: a cell a spreadsheet
/// would evaluate (`=`, `+`, `-`, `@`, tab or carriage return first) gets
/// a leading apostrophe.
fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The TLP level an object's markings give it, by name (`amber`), or empty.
fn tlp_of(o: &Value) -> String {
    let refs = o.get("object_marking_refs").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
    refs.filter_map(model::tlp::Tlp::from_marking_id).max().map(|t| t.name().to_owned()).unwrap_or_default()
}

/// The values an object stands for: an indicator's positive equality
/// comparisons, an observable's value or hashes.
pub fn values(o: &Value) -> Vec<String> {
    if text(o, "type") == "indicator" {
        return pattern::parse(text(o, "pattern")).map(|p| pattern::equality_observables(&p).into_iter().map(|(_, v)| v).collect()).unwrap_or_default();
    }
    if let Some(v) = o.get("value").and_then(Value::as_str) {
        return vec![v.to_owned()];
    }
    o.get("hashes").and_then(Value::as_object).map(|h| h.values().filter_map(Value::as_str).map(str::to_owned).collect()).unwrap_or_default()
}

/// The CSV row of an object (see [`CSV_HEADER`]).
pub fn csv_row(o: &Value) -> String {
    let labels: Vec<&str> = o.get("labels").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    let name = o.get("name").and_then(Value::as_str).unwrap_or_else(|| text(o, "value"));
    [
        text(o, "id"),
        text(o, "type"),
        name,
        &values(o).join(" "),
        text(o, "pattern"),
        &tlp_of(o),
        &labels.join(";"),
        text(o, "created_by_ref"),
        text(o, "created"),
        text(o, "modified"),
    ]
    .iter()
    .map(|c| cell(c))
    .collect::<Vec<_>>()
    .join(",")
}

/// The `(object path, value)` pairs of a pattern that is a disjunction of
/// positive equality tests (`[a = 'x' OR a = 'y'] OR [b IN ('z')]`, no
/// `AND`, `NOT`, `FOLLOWEDBY` or qualifier): what a rule per value can
/// say. `None` for any other pattern, which a rule of these formats would
/// widen.
pub fn any_of(pattern_text: &str) -> Option<Vec<(String, String)>> {
    let p = pattern::parse(pattern_text).ok()?;
    let mut out = Vec::new();
    obs_any_of(&p.root, &mut out).then_some(out)
}

fn obs_any_of(e: &ObsExpr, out: &mut Vec<(String, String)>) -> bool {
    match e {
        ObsExpr::Simple(c) => comp_any_of(c, out),
        ObsExpr::Group(i) => obs_any_of(i, out),
        ObsExpr::Or(v) => v.iter().all(|i| obs_any_of(i, out)),
        _ => false,
    }
}

fn comp_any_of(c: &CompExpr, out: &mut Vec<(String, String)>) -> bool {
    let literal = |l: &Literal| match l {
        Literal::Str(s) => Some(s.clone()),
        _ => None,
    };
    match c {
        CompExpr::Or(items) => items.iter().all(|i| comp_any_of(i, out)),
        CompExpr::Test(t) if !t.negated && t.op == Op::Eq => literal(&t.value).map(|v| out.push((t.path.to_string(), v))).is_some(),
        CompExpr::Test(t) if !t.negated && t.op == Op::In => match &t.value {
            Literal::Set(items) => items.iter().all(|i| literal(i).map(|v| out.push((t.path.to_string(), v))).is_some()),
            _ => false,
        },
        _ => false,
    }
}

/// A string as Suricata rule content: printable ASCII as is, and `"`,
/// `;`, `\`, `|`, `:` and anything else as `|hex|`.
fn content(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if (0x20..0x7f).contains(&b) && !b"\";\\|:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("|{b:02X}|"));
        }
    }
    out
}

/// A message: the indicator's name (or id), kept to what a rule's `msg`
/// may hold.
fn message(o: &Value) -> String {
    let name = o.get("name").and_then(Value::as_str).unwrap_or_else(|| text(o, "id"));
    let clean: String = name.chars().filter(|c| c.is_ascii_graphic() || *c == ' ').filter(|c| !"\";:\\|".contains(*c)).take(120).collect();
    format!("Entente {clean}")
}

/// Suricata rules for an indicator whose pattern is a disjunction of
/// equality tests on addresses, domain names and URLs (one rule per
/// value, `sid` counting up from the one given); the reason otherwise.
pub fn suricata(o: &Value, sid: &mut u64) -> Result<Vec<String>, String> {
    if text(o, "type") != "indicator" {
        return Err("not an indicator".into());
    }
    let pairs = any_of(text(o, "pattern")).ok_or("its pattern is more than a list of equalities (AND, NOT, FOLLOWEDBY or a qualifier)")?;
    let msg = message(o);
    let id = text(o, "id");
    let mut rules = Vec::new();
    for (path, value) in pairs {
        let body = match path.as_str() {
            "ipv4-addr:value" | "ipv6-addr:value" if value.parse::<std::net::IpAddr>().is_ok() => {
                format!("alert ip $HOME_NET any -> {value} any (msg:\"{msg}\";")
            }
            "domain-name:value" => format!("alert dns $HOME_NET any -> any any (msg:\"{msg}\"; dns.query; content:\"{}\"; nocase; isdataat:!1,relative;", content(&value)),
            "url:value" => {
                let Some(rest) = value.split_once("://").map(|(_, r)| r) else { return Err(format!("{value}: a URL without a scheme")) };
                let (host, path) = rest.split_once('/').map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
                format!(
                    "alert http $HOME_NET any -> $EXTERNAL_NET any (msg:\"{msg}\"; http.host; content:\"{}\"; nocase; http.uri; content:\"{}\";",
                    content(host),
                    content(&path)
                )
            }
            other => return Err(format!("{other}: no Suricata keyword for it")),
        };
        rules.push(format!("{body} metadata:stix_id {}; sid:{sid}; rev:1;)", content(id)));
        *sid += 1;
    }
    Ok(rules)
}

/// A YAML single-quoted string.
fn yaml(s: &str) -> String {
    let clean: String = s.chars().filter(|c| !c.is_control()).collect();
    format!("'{}'", clean.replace('\'', "''"))
}

/// Sigma rules (YAML documents) for an indicator whose pattern is a
/// disjunction of equality tests: one per kind of value it names (DNS
/// queries, connections, proxy requests, process hashes); the reason
/// otherwise.
pub fn sigma(o: &Value) -> Result<Vec<String>, String> {
    if text(o, "type") != "indicator" {
        return Err("not an indicator".into());
    }
    let pairs = any_of(text(o, "pattern")).ok_or("its pattern is more than a list of equalities (AND, NOT, FOLLOWEDBY or a qualifier)")?;
    // (logsource category, field, values), in the pattern's order of kinds.
    let mut groups: Vec<(&str, &str, Vec<String>)> = Vec::new();
    for (path, value) in pairs {
        let (category, field, value) = match path.as_str() {
            "domain-name:value" => ("dns", "query", value),
            "ipv4-addr:value" | "ipv6-addr:value" => ("network_connection", "DestinationIp", value),
            "url:value" => ("proxy", "c-uri", value),
            "file:hashes.MD5" => ("process_creation", "Hashes|contains", format!("MD5={value}")),
            "file:hashes.'SHA-1'" => ("process_creation", "Hashes|contains", format!("SHA1={value}")),
            "file:hashes.'SHA-256'" => ("process_creation", "Hashes|contains", format!("SHA256={value}")),
            other => return Err(format!("{other}: no Sigma field for it")),
        };
        match groups.iter_mut().find(|g| g.0 == category && g.1 == field) {
            Some(g) => g.2.push(value),
            None => groups.push((category, field, vec![value])),
        }
    }
    let id = text(o, "id");
    let uuid = id.split_once("--").map_or(id, |(_, u)| u);
    let date = text(o, "created").get(..10).unwrap_or_default().replace('-', "/");
    let tlp = tlp_of(o);
    Ok(groups
        .into_iter()
        .enumerate()
        .map(|(i, (category, field, values))| {
            // The first rule keeps the indicator's UUID; others get one derived from it.
            let rule_id = if i == 0 { uuid.to_owned() } else { uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("{id}#{category}").as_bytes()).to_string() };
            let mut doc = format!(
                "title: {}\nid: {rule_id}\nstatus: experimental\ndescription: {}\nreferences:\n    - {}\nauthor: {}\ndate: {date}\nlogsource:\n    category: {category}\ndetection:\n    selection:\n        {field}:\n",
                yaml(&message(o)),
                yaml(text(o, "description")),
                yaml(id),
                yaml(text(o, "created_by_ref")),
            );
            for v in values {
                doc.push_str(&format!("            - {}\n", yaml(&v)));
            }
            doc.push_str("    condition: selection\nlevel: medium\n");
            if !tlp.is_empty() {
                doc.push_str(&format!("tags:\n    - tlp.{}\n", tlp.replace('+', "_")));
            }
            doc
        })
        .collect())
}

#[cfg(test)]
mod tests;

/// A format other than STIX an analyst takes objects out in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A CSV table, one row per object ([`CSV_HEADER`]).
    Csv,
    /// One value per line, each once.
    Iocs,
    /// Suricata rules.
    Suricata,
    /// Sigma rules, YAML documents separated by `---`.
    Sigma,
}

impl Format {
    /// The format named `name` (`csv`, `iocs`, `suricata`, `sigma`).
    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "csv" => Some(Format::Csv),
            "iocs" => Some(Format::Iocs),
            "suricata" => Some(Format::Suricata),
            "sigma" => Some(Format::Sigma),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Iocs => "iocs",
            Format::Suricata => "suricata",
            Format::Sigma => "sigma",
        }
    }

    /// The media type a download of it has.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Sigma => "application/yaml; charset=utf-8",
            Format::Iocs | Format::Suricata => "text/plain; charset=utf-8",
        }
    }

    /// The file name extension of a download of it.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Iocs => "txt",
            Format::Suricata => "rules",
            Format::Sigma => "yml",
        }
    }
}

/// Writes objects, one after the other, in a [`Format`]: the CSV header
/// first, each IOC once, Suricata `sid`s counting up, Sigma documents
/// separated; counts the lines written and the indicators a rule cannot
/// say (left out). The export command and the pages' downloads use it.
pub struct Formatter {
    format: Format,
    sid: u64,
    seen: std::collections::HashSet<String>,
    first_rule: bool,
    /// Lines written (rows, values, rules, documents).
    pub written: u64,
    /// Indicators left out: no rule of the format says their pattern.
    pub left_out: u64,
}

impl Formatter {
    /// A formatter of `format`, Suricata `sid`s from `sid`.
    pub fn new(format: Format, sid: u64) -> Formatter {
        Formatter { format, sid, seen: Default::default(), first_rule: true, written: 0, left_out: 0 }
    }

    /// What comes before the first object (the CSV header), if anything.
    pub fn header(&self) -> Option<&'static str> {
        (self.format == Format::Csv).then_some(CSV_HEADER)
    }

    /// The lines of one object (none for an object the format has nothing
    /// of: a rule format's non-indicators, values already written).
    pub fn lines(&mut self, o: &Value) -> Vec<String> {
        let indicator = text(o, "type") == "indicator";
        let lines = match self.format {
            Format::Csv => vec![csv_row(o)],
            Format::Iocs => values(o).into_iter().filter(|v| self.seen.insert(v.clone())).collect(),
            Format::Suricata | Format::Sigma if !indicator => Vec::new(),
            Format::Suricata => suricata(o, &mut self.sid).unwrap_or_else(|_| {
                self.left_out += 1;
                Vec::new()
            }),
            Format::Sigma => match sigma(o) {
                Ok(docs) => docs
                    .into_iter()
                    .map(|d| {
                        let sep = if self.first_rule { "" } else { "---\n" };
                        self.first_rule = false;
                        format!("{sep}{}", d.trim_end())
                    })
                    .collect(),
                Err(_) => {
                    self.left_out += 1;
                    Vec::new()
                }
            },
        };
        self.written += lines.len() as u64;
        lines
    }
}
