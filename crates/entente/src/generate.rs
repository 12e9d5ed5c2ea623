//! `entente generate`: deterministic, realistic intelligence.
//!
//! About 70% indicators whose patterns test IPv4/IPv6 addresses, domains,
//! URLs, file hashes and e-mail addresses; the rest malware, threat actors,
//! attack patterns (ATT&CK techniques with their tactics as kill chain
//! phases), campaigns, relationships and sightings; several producer
//! identities; TLP 2.0 markings; some objects in several versions. A share
//! of indicator values (`--overlap`) comes from a pool that every producer
//! draws from, so correlation across producers has something to find. The
//! same arguments always give the same bytes.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::Context;
use model::rng::Rng;
use model::tlp::Tlp;
use serde_json::{json, Value};

use crate::cli::{GenerateArgs, OutputFormat};

/// Random UUIDs (version 4 form) from the seeded generator.
trait Uuids {
    /// The next UUID.
    fn uuid(&mut self) -> String;
}

impl Uuids for Rng {
    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }
}

/// 2025-01-01T00:00:00Z in seconds.
const EPOCH: i64 = 1_735_689_600;

fn timestamp(secs: i64, millis: u64) -> String {
    let t = model::Timestamp::from_micros(secs * 1_000_000 + millis as i64 * 1000);
    // Millisecond precision, as most producers write.
    format!("{}Z", &t.as_str()[..23])
}

const WORDS: &[&str] = &[
    "amber", "basalt", "cobalt", "delta", "ember", "falcon", "granite", "harbor", "iris", "juniper", "kestrel",
    "lumen", "meridian", "nimbus", "onyx", "pylon", "quartz", "raven", "sable", "tundra", "umber", "vortex",
    "willow", "xenon", "yonder", "zephyr",
];
const TLDS: &[&str] = &["com", "net", "org", "info", "io", "biz", "xyz", "ru", "cn", "top"];
const MALWARE_TYPES: &[&str] = &["ransomware", "trojan", "backdoor", "dropper", "remote-access-trojan", "worm", "spyware"];
/// ATT&CK techniques: id, name and the Enterprise tactics (kill chain
/// phases of `mitre-attack`) MITRE files them under.
const ATTACK: &[(&str, &str, &[&str])] = &[
    ("T1566", "Phishing", &["initial-access"]),
    ("T1059", "Command and Scripting Interpreter", &["execution"]),
    ("T1486", "Data Encrypted for Impact", &["impact"]),
    ("T1071", "Application Layer Protocol", &["command-and-control"]),
    ("T1190", "Exploit Public-Facing Application", &["initial-access"]),
    ("T1078", "Valid Accounts", &["defense-evasion", "persistence", "privilege-escalation", "initial-access"]),
    ("T1105", "Ingress Tool Transfer", &["command-and-control"]),
    ("T1027", "Obfuscated Files or Information", &["defense-evasion"]),
];

pub(crate) struct Generator {
    rng: Rng,
    producers: Vec<String>,
    overlap: f64,
    pool: Vec<(u8, u64)>,
    /// Recent ids to point relationships and sightings at.
    recent_indicators: VecDeque<String>,
    recent_malware: VecDeque<String>,
    /// Objects waiting for a later version.
    to_revise: VecDeque<Value>,
    clock: i64,
    /// Seconds between objects on average when spread ([`Generator::spread`]);
    /// 0: 1 to 30 s apart from 2025-01-01, as always.
    step: i64,
}

impl Generator {
    fn new(seed: u64, producers: u32, overlap: f64, total: u64) -> Generator {
        let mut rng = Rng(seed ^ 0x5EED_0000_E17E_17E0);
        let producers = (0..producers.max(1)).map(|_| format!("identity--{}", rng.uuid())).collect();
        let pool = pool(&mut rng, total);
        Generator {
            rng,
            producers,
            overlap: overlap.clamp(0.0, 1.0),
            pool,
            recent_indicators: VecDeque::new(),
            recent_malware: VecDeque::new(),
            to_revise: VecDeque::new(),
            clock: EPOCH,
            step: 0,
        }
    }

    /// Dates the objects to come evenly over `[from, to)` (Unix seconds),
    /// `total` of them, each a random part of a step after the last, instead
    /// of seconds apart: the demo's year of evidence.
    pub(crate) fn spread(&mut self, from: i64, to: i64, total: u64) {
        self.clock = from;
        self.step = ((to - from) / total.max(1) as i64).max(1);
    }

    /// One author's intelligence (`total` objects from [`Generator::object`])
    /// whose shared values come from a pool drawn from `pool_seed`:
    /// generators with the same pool seed and total report the same values,
    /// whatever their own seeds.
    pub(crate) fn authored(seed: u64, author: &str, pool_seed: u64, overlap: f64, total: u64) -> Generator {
        let mut g = Generator::new(seed, 1, overlap, total);
        g.producers = vec![author.to_owned()];
        g.pool = pool(&mut Rng(pool_seed ^ 0x9001_0000_5EED_0001), total);
        g
    }

    /// The `i`th value of the shared pool (modulo its size), as an SCO type
    /// and the value `entente correlate` takes.
    pub(crate) fn pooled_value(&self, i: usize) -> (&'static str, String) {
        let (kind, v) = self.pool[i % self.pool.len()];
        let (ty, _, value) = Self::observable(kind, v);
        (ty, value)
    }

    /// A TLP:GREEN indicator of the `i`th value of the shared pool.
    pub(crate) fn pooled_indicator(&mut self, author: &str, i: usize) -> Value {
        let value = self.pool[i % self.pool.len()];
        let mut o = self.indicator(author, Some(value));
        o["object_marking_refs"] = json!([Tlp::Green.marking_id()]);
        o
    }

    fn tick(&mut self) -> String {
        self.clock += if self.step > 1 { self.step / 2 + self.rng.below(self.step as u64) as i64 } else { 1 + self.rng.below(30) as i64 };
        timestamp(self.clock, self.rng.below(1000))
    }

    fn marking(&mut self) -> Tlp {
        match self.rng.below(100) {
            0..=19 => Tlp::Clear,
            20..=59 => Tlp::Green,
            60..=89 => Tlp::Amber,
            90..=94 => Tlp::AmberStrict,
            _ => Tlp::Red,
        }
    }

    fn base(&mut self, ty: &str, author: &str) -> Value {
        let t = self.tick();
        let tlp = self.marking();
        json!({
            "type": ty,
            "spec_version": "2.1",
            "id": format!("{ty}--{}", self.rng.uuid()),
            "created_by_ref": author,
            "created": t,
            "modified": t,
            "object_marking_refs": [tlp.marking_id()],
        })
    }

    fn name(&mut self) -> String {
        format!("{} {}", self.rng.pick(WORDS), self.rng.pick(WORDS))
    }

    /// An observable: (kind, value seed) → (SCO type, property path, value).
    fn observable(kind: u8, v: u64) -> (&'static str, &'static str, String) {
        let word = WORDS[(v % WORDS.len() as u64) as usize];
        let tld = TLDS[((v >> 8) % TLDS.len() as u64) as usize];
        match kind {
            0 => ("ipv4-addr", "value", format!("{}.{}.{}.{}", 1 + (v >> 24) % 223, (v >> 16) & 255, (v >> 8) & 255, v & 255)),
            1 => ("ipv6-addr", "value", format!("2001:db8:{:x}:{:x}::{:x}", (v >> 32) & 0xffff, (v >> 16) & 0xffff, v & 0xffff)),
            2 => ("domain-name", "value", format!("{word}{}.example.{tld}", v % 100_000)),
            3 => ("url", "value", format!("http://{word}{}.example.{tld}/{}/index.php", v % 10_000, (v >> 20) % 1000)),
            4 => ("file", "hashes.'SHA-256'", format!("{:016x}{:016x}{:016x}{:016x}", v, v.rotate_left(13), v.rotate_left(29), v.rotate_left(47))),
            _ => ("email-addr", "value", format!("{word}.{}@mail.example.{tld}", v % 100_000)),
        }
    }

    /// An observable comparison: (kind, value seed) → pattern term.
    fn term(kind: u8, v: u64) -> String {
        let (ty, path, value) = Self::observable(kind, v);
        format!("[{ty}:{path} = '{value}']")
    }

    /// An indicator of `value` (kind, value seed), or of a value drawn as
    /// `--overlap` says.
    fn indicator(&mut self, author: &str, value: Option<(u8, u64)>) -> Value {
        let mut o = self.base("indicator", author);
        let (kind, v) = match value {
            Some(kv) => kv,
            None if self.rng.probability(self.overlap) => *self.rng.pick(&self.pool),
            None => (self.rng.below(6) as u8, self.rng.next()),
        };
        let mut pattern = Self::term(kind, v);
        if self.rng.probability(0.1) {
            let other = Self::term(self.rng.below(6) as u8, self.rng.next());
            pattern = format!("{pattern} OR {other}");
        }
        let name = self.name();
        o["name"] = json!(format!("{name} activity"));
        o["description"] = json!(format!("Observed in connection with {name} operations."));
        o["indicator_types"] = json!(["malicious-activity"]);
        o["pattern"] = json!(pattern);
        o["pattern_type"] = json!("stix");
        o["valid_from"] = o["created"].clone();
        o["confidence"] = json!(self.rng.below(101));
        o["labels"] = json!([self.rng.pick(WORDS)]);
        o
    }

    pub(crate) fn object(&mut self) -> Value {
        // Now and then, a new version of something generated earlier.
        if self.to_revise.len() > 50 || (!self.to_revise.is_empty() && self.rng.probability(0.05)) {
            if let Some(mut old) = self.to_revise.pop_front() {
                old["modified"] = json!(self.tick());
                if let Some(c) = old.get("confidence").and_then(Value::as_u64) {
                    old["confidence"] = json!((c + 10).min(100));
                }
                return old;
            }
        }
        let author = self.rng.pick(&self.producers).clone();
        let roll = self.rng.below(100);
        let obj = match roll {
            0..=69 => {
                let o = self.indicator(&author, None);
                remember(&mut self.recent_indicators, &o);
                o
            }
            70..=74 => {
                let mut o = self.base("malware", &author);
                o["name"] = json!(self.name());
                o["is_family"] = json!(true);
                o["malware_types"] = json!([self.rng.pick(MALWARE_TYPES)]);
                remember(&mut self.recent_malware, &o);
                o
            }
            75..=77 => {
                let mut o = self.base("threat-actor", &author);
                o["name"] = json!(self.name());
                o["threat_actor_types"] = json!(["nation-state"]);
                o
            }
            78..=80 => {
                let mut o = self.base("attack-pattern", &author);
                let (tid, name, tactics) = *self.rng.pick(ATTACK);
                o["name"] = json!(name);
                o["external_references"] = json!([{ "source_name": "mitre-attack", "external_id": tid }]);
                let phases: Vec<Value> = tactics.iter().map(|t| json!({ "kill_chain_name": "mitre-attack", "phase_name": t })).collect();
                o["kill_chain_phases"] = json!(phases);
                o
            }
            81..=82 => {
                let mut o = self.base("campaign", &author);
                o["name"] = json!(format!("Operation {}", self.name()));
                o
            }
            83..=92 if !self.recent_indicators.is_empty() && !self.recent_malware.is_empty() => {
                let mut o = self.base("relationship", &author);
                o["relationship_type"] = json!("indicates");
                o["source_ref"] = json!(self.rng.pick(self.recent_indicators.make_contiguous()).clone());
                o["target_ref"] = json!(self.rng.pick(self.recent_malware.make_contiguous()).clone());
                o
            }
            93..=97 if !self.recent_indicators.is_empty() => {
                let mut o = self.base("sighting", &author);
                o["sighting_of_ref"] = json!(self.rng.pick(self.recent_indicators.make_contiguous()).clone());
                o["count"] = json!(1 + self.rng.below(20));
                o["where_sighted_refs"] = json!([author]);
                o
            }
            _ => self.indicator(&author, None),
        };
        if self.rng.probability(0.05) && obj["type"] != "relationship" && obj["type"] != "sighting" {
            self.to_revise.push_back(obj.clone());
        }
        obj
    }

    fn identities(&mut self) -> Vec<Value> {
        let countries = ["Aurelia", "Borealis", "Caldera", "Dunmore", "Estoria", "Fenwick", "Galdor", "Halvard"];
        self.producers
            .clone()
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let name = format!("{} National CERT", countries[i % countries.len()]);
                let suffix = if i >= countries.len() { format!(" {}", i / countries.len() + 1) } else { String::new() };
                json!({
                    "type": "identity",
                    "spec_version": "2.1",
                    "id": id,
                    "created": timestamp(EPOCH, 0),
                    "modified": timestamp(EPOCH, 0),
                    "name": format!("{name}{suffix}"),
                    "identity_class": "organization",
                    "sectors": ["government-national"],
                })
            })
            .collect()
    }
}

/// The pool of values every producer draws from.
fn pool(rng: &mut Rng, total: u64) -> Vec<(u8, u64)> {
    (0..(total / 50).clamp(10, 20_000)).map(|_| ((rng.below(6)) as u8, rng.next())).collect()
}

fn remember(ring: &mut VecDeque<String>, o: &Value) {
    if ring.len() >= 1000 {
        ring.pop_front();
    }
    ring.push_back(o["id"].as_str().unwrap_or_default().to_owned());
}

pub fn run(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(File::create(path).with_context(|| format!("creating {}", path.display()))?),
        None => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let mut g = Generator::new(args.seed, args.producers, args.overlap, args.objects);
    if let Some(author) = &args.author {
        model::StixId::parse(author)
            .ok()
            .filter(|id| id.object_type() == "identity")
            .with_context(|| format!("--author {author:?} is not an identity id"))?;
        g.producers = vec![author.clone()];
    }
    let bundle = args.format == OutputFormat::Bundle;
    if bundle {
        let id = Rng(args.seed).uuid();
        write!(out, r#"{{"type":"bundle","id":"bundle--{id}","objects":["#)?;
    }
    let bar = crate::progress::counter("generating");
    let mut written = 0u64;
    let mut emit = |out: &mut BufWriter<Box<dyn Write>>, v: &Value| -> io::Result<()> {
        if bundle {
            out.write_all(if written == 0 { b"\n" } else { b",\n" })?;
        }
        serde_json::to_writer(&mut *out, v)?;
        if !bundle {
            out.write_all(b"\n")?;
        }
        written += 1;
        Ok(())
    };
    // Producer identities and the TLP definitions, unless one author takes all.
    let mut fixed: Vec<Value> = Vec::new();
    if args.author.is_none() {
        fixed = g.identities();
        fixed.extend(model::tlp::MARKINGS.iter().filter(|m| m.v2).map(|m| m.to_json()));
    }
    for v in fixed.iter().take(args.objects as usize) {
        emit(&mut out, v)?;
    }
    for _ in fixed.len() as u64..args.objects {
        let v = g.object();
        emit(&mut out, &v)?;
        bar.inc(1);
    }
    if bundle {
        out.write_all(b"\n]}\n")?;
    }
    out.flush()?;
    bar.finish_and_clear();
    Ok(ExitCode::SUCCESS)
}
