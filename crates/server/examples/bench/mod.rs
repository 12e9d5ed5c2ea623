//! The benchmark examples' harness: the arguments every example takes
//! (`--dir`, counts, `--keep`), a SQLite node hosting the parties with
//! agreements in force between them (proposed and ratified through the
//! node's own functions), the timing loop that alternates the requests
//! compared (so that drift on a shared machine hits each alike),
//! percentiles, and the table printed. Each example keeps only what it
//! builds and measures.
//!
//! The server's examples include it with `mod bench;`; it names `node`,
//! not `server`, so an example of another crate that depends on `node`
//! and `store-sqlite` can include it by path
//! (`#[path = "../../server/examples/bench/mod.rs"]`). Serving the HTTP
//! application and signing in on its pages are in `bench/http.rs`
//! (the server's examples only).

// Each example uses a part of the harness.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use model::{StixId, Timestamp};
use serde_json::{json, Value};
use store::{Registry, Store};

/// The value after `--name` on the command line.
pub fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

/// The number after `--name`, or `default` (also when it is no number).
pub fn count(name: &str, default: usize) -> usize {
    arg(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Whether `--name` is on the command line.
pub fn present(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// The folder of the benchmark's node: `--dir`, or `default` in the
/// temporary folder; emptied first.
pub fn fresh_dir(default: &str) -> PathBuf {
    let dir = arg("--dir").map(PathBuf::from).unwrap_or_else(|| std::env::temp_dir().join(default));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench dir");
    dir
}

/// Removes the node's folder, unless `--keep`.
pub fn clean_up(dir: &Path) {
    if !present("--keep") {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// A SQLite node in its folder, hosting the parties.
pub struct Bench {
    /// Its folder.
    pub dir: PathBuf,
    /// Its objects.
    pub store: Arc<dyn Store>,
    /// Its partners, tokens and settings.
    pub registry: Arc<dyn Registry>,
    /// The parties' keys.
    pub keys: node::keys::KeyDir,
    /// Who the node is (its own partner: the first party).
    pub identity: node::identity::NodeIdentity,
    /// The parties, in the order named: the node's own partner, then those it hosts.
    pub parties: Vec<StixId>,
}

impl Bench {
    /// A new node in `dir` whose own partner is `names[0]`, hosting the others.
    pub fn open(dir: &Path, names: &[&str]) -> Bench {
        let sqlite = Arc::new(store_sqlite::SqliteStore::open(dir).expect("store"));
        let (store, registry): (Arc<dyn Store>, Arc<dyn Registry>) = (sqlite.clone(), sqlite);
        let keys = node::keys::KeyDir::in_data_dir(dir);
        let identity = node::identity::init(&*store, &*registry, &keys, names[0]).expect("init");
        let mut parties = vec![StixId::parse(&identity.partner).expect("id")];
        for name in &names[1..] {
            parties.push(StixId::parse(&node::identity::add_hosted_partner(&*store, &*registry, &keys, name).expect("partner")).expect("id"));
        }
        Bench { dir: dir.to_owned(), store, registry, keys, identity, parties }
    }

    /// An agreement between `parties` titled `title`, with the data kind
    /// given (`real`, `exercise`, `both`), any object type, up to
    /// TLP:AMBER, valid since a day ago; proposed by the first party and
    /// ratified by each: in force.
    pub fn agreement(&self, title: &str, parties: &[StixId], data_kind: &str) -> StixId {
        self.agreement_with(json!({ "title": title, "scope": { "object_types": [], "labels": [], "data_kind": data_kind } }), parties, &[])
    }

    /// As [`Bench::agreement`], the terms in `terms` replacing the defaults
    /// (and the terms of `modules` taken).
    pub fn agreement_with(&self, terms: Value, parties: &[StixId], modules: &[Arc<dyn partnership::Module>]) -> StixId {
        let mut all = json!({
            "title": "a benchmark", "purpose": "benchmark", "party_refs": parties,
            "scope": { "object_types": [], "labels": [], "data_kind": "real" },
            "tlp_ceiling": "amber",
            "handling": { "reshare": "parties-only", "attribution": "required", "permitted_actions": [] },
            "valid_from": Timestamp::from_micros(Timestamp::now().micros() - 86_400_000_000).as_str(),
        });
        for (k, v) in terms.as_object().expect("terms") {
            all[k] = v.clone();
        }
        let made = node::agreements::propose(&*self.store, &parties[0], None, all.as_object().expect("terms"), modules).expect("propose");
        for p in parties {
            node::agreements::ratify(&*self.store, &self.keys, p, &made.id).expect("ratify");
        }
        made.id
    }

    /// The node's release log, `release.log` in its folder.
    pub fn log(&self) -> audit::SharedLog {
        audit::SharedLog::open(self.dir.join("release.log")).expect("log")
    }

    /// The service the modules' views and actions run on, with its release log.
    pub fn modules_node(&self) -> node::modules::Node {
        node::modules::Node { store: self.store.clone(), agreements: Arc::new(Default::default()), log: self.log(), limits: model::Limits::default() }
    }
}

/// How long `f` takes, in milliseconds, and what it returned.
pub fn ms<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed().as_secs_f64() * 1000.0, out)
}

/// `rounds` rounds, each running every case in turn (`run(i)` runs case
/// `i` of `cases`): the milliseconds of each case, one a round. Alternating
/// rather than one case after the other, so that load on a shared machine
/// falls on every case alike.
pub fn alternate<T>(rounds: usize, cases: usize, mut run: impl FnMut(usize) -> T) -> Vec<Vec<f64>> {
    let mut times = vec![Vec::with_capacity(rounds); cases];
    for _ in 0..rounds {
        for (i, case) in times.iter_mut().enumerate() {
            let (t, out) = ms(|| run(i));
            std::hint::black_box(out);
            case.push(t);
        }
    }
    times
}

/// The 50th and 99th percentiles of `ms` (nearest rank; `ms` not empty).
pub fn percentiles(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    (at(0.50), at(0.99))
}

/// The median of `ms` (the upper one of an even count; `ms` not empty).
pub fn median(mut ms: Vec<f64>) -> f64 {
    ms.sort_by(f64::total_cmp);
    ms[ms.len() / 2]
}

/// Prints a Markdown table: the header, then the rows (cells already
/// formatted); every column after the first right-aligned.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    println!("| {} |", header.join(" | "));
    let rule: Vec<&str> = (0..header.len()).map(|i| if i == 0 { "---" } else { "---:" }).collect();
    println!("|{}|", rule.join("|"));
    for row in rows {
        println!("| {} |", row.join(" | "));
    }
}
