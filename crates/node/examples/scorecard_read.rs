//! What a scorecard costs on a year of evidence: `cargo xtask bench scorecard`.
//!
//! Builds a SQLite node hosting the ten parties of one agreement in force
//! (proposed and ratified through the node's own functions), then a year
//! of evidence: `--objects` indicators (default 1,000,000), each by one of
//! the parties in turn, created over the past 365 days and shared under
//! the agreement by its author, and `--sightings` (default 100,000), each
//! by another party on one of them, one in twenty labelled
//! `false-positive`. All stored by their authors in batches of 5,000.
//!
//! Then, as the first party (the node's own partner), alternating
//! `--reads` times (default 5), the median (p50) and the slowest (p99, by
//! nearest rank) of each, with the one-minute load average's range over
//! the reads (`/proc/loadavg`):
//!
//! - a full read of the same evidence: every version scanned and the
//!   agreement's objects and the reactions released to the party through
//!   the one read path (decided, logged), as `node::scorecard::gather`
//!   reads them, nothing computed: the yardstick;
//! - the full scorecard for now (`node::scorecard::listing`, as REST and
//!   the command ask it) first on a node (its tally built by a full read),
//!   then warm (read since, figures from the kept sums) with REST's lists
//!   (each figure's first 100 ids), bare, and with every list;
//! - the scorecard gathered and computed afresh (`gather` and
//!   `scorecard::compute`: a time other than now; the first three reads);
//! - the incremental scorecard (`node::scorecard::incremental`) after a
//!   day's new evidence (objects / 365 and sightings / 365 more), on a
//!   tally brought up to date just before, round after round: what a
//!   daily snapshot costs; at the end its figures, and the warm lists,
//!   against a computation afresh.
//!
//! - the full scorecard for now first after a restart: the warm node's
//!   tally saved in the data directory (`node::scorecard::save_tally`,
//!   timed, with the file's size), a day's evidence stored, then a new
//!   process (this one again, `--restart-child`: nothing in memory, its
//!   heap empty) on the same data directory asked for the scorecard,
//!   bare and with REST's lists, timed inside it from the request on
//!   (not the process's start nor the store's opening): the saved tally
//!   loaded and brought up to date incrementally
//!   (`node::scorecard::tally::saved`); at the end a restarted node's
//!   figures (in this process) against a computation afresh.
//!
//! Each as milliseconds and as a ratio to the full read in the same run.
//! With `--incremental-only`, only the full read (the yardstick) and the
//! incremental rows are measured (the check against a computation afresh
//! is still made). With `--reuse`, the node an earlier run left in `--dir`
//! (default a directory under the system's temporary one) is measured
//! again without generating its year afresh: each round's day follows the
//! indicators and sightings already stored (pass the same `--objects` and
//! `--sightings`; the evidence grows by the rounds' days each run).
//! The agreement's partnership modules are not run here (no checks): the
//! modules' states are read through their own cached views, benchmarked
//! by `cargo xtask bench modules`.

use std::sync::Arc;
use std::time::Instant;

use model::{Object, StixId, Timestamp};
use node::modules::Node;
use node::release::{Agreements, Reader, Through};
use node::scorecard::{Ask, Lists, Tally};
use serde_json::json;
use store::{PutOptions, Query, Store, Versions};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

const DAY: i64 = 86_400_000_000;

/// Objects an author stores at once.
const BATCH: usize = 5_000;

/// The `p`-th percentile of `ms` (nearest rank: with five reads, p99 is the slowest).
fn percentile(ms: &[f64], p: f64) -> f64 {
    let mut ms = ms.to_vec();
    ms.sort_by(f64::total_cmp);
    let rank = ((p / 100.0 * ms.len() as f64).ceil() as usize).clamp(1, ms.len());
    ms[rank - 1]
}

/// The one-minute load average now (`/proc/loadavg`; 0 where there is none).
fn load() -> f64 {
    std::fs::read_to_string("/proc/loadavg").ok().and_then(|s| s.split_whitespace().next()?.parse().ok()).unwrap_or(0.0)
}

/// Times measured, each with the load average when it ended.
#[derive(Default)]
struct Row(Vec<(f64, f64)>);

impl Row {
    fn push(&mut self, ms: f64) {
        self.0.push((ms, load()));
    }
    fn ms(&self) -> Vec<f64> {
        self.0.iter().map(|(ms, _)| *ms).collect()
    }
    /// p50 and p99 in ms, and the load's range.
    fn line(&self, what: &str, read: f64) -> String {
        let ms = self.ms();
        let (p50, p99) = (percentile(&ms, 50.0), percentile(&ms, 99.0));
        let (lo, hi) = self.0.iter().fold((f64::MAX, 0.0_f64), |(lo, hi), (_, l)| (lo.min(*l), hi.max(*l)));
        format!("| {what} | {} | {p50:.0} | {p99:.0} | {:.3} | {:.3} | {lo:.1}–{hi:.1} |", ms.len(), p50 / read, p99 / read)
    }
}

struct Gen {
    parties: Vec<StixId>,
    agreement: String,
    now: i64,
}

impl Gen {
    /// Indicator `i`: author party `i % parties`, created over the year.
    fn indicator(&self, i: usize, created: i64) -> Object {
        let by = &self.parties[i % self.parties.len()];
        Object::from_value(json!({
            "type": "indicator", "spec_version": "2.1", "id": format!("indicator--00000000-0000-4000-8000-{i:012x}"),
            "created": Timestamp::from_micros(created).to_string(), "modified": Timestamp::from_micros(created).to_string(),
            "created_by_ref": by.as_str(), "name": format!("indicator {i}"), "confidence": 40 + (i * 7) % 61,
            "pattern": format!("[ipv4-addr:value = '10.{}.{}.{}']", (i >> 16) & 255, (i >> 8) & 255, i & 255),
            "pattern_type": "stix", "valid_from": Timestamp::from_micros(created).to_string(),
        }))
        .expect("indicator")
    }

    /// Sighting `j` of indicator `of` by the party after its author.
    fn sighting(&self, j: usize, of: usize, created: i64) -> (usize, Object) {
        let n = self.parties.len();
        let by = (of % n + 1 + j % (n - 1)) % n;
        let mut v = json!({
            "type": "sighting", "spec_version": "2.1", "id": format!("sighting--00000000-0000-4000-9000-{j:012x}"),
            "created": Timestamp::from_micros(created).to_string(), "modified": Timestamp::from_micros(created).to_string(),
            "created_by_ref": self.parties[by].as_str(), "sighting_of_ref": format!("indicator--00000000-0000-4000-8000-{of:012x}"),
        });
        if j.is_multiple_of(20) {
            v["labels"] = json!(["false-positive"]);
        }
        (by, Object::from_value(v).expect("sighting"))
    }

    /// Stores `objects` as their authors', in batches of 1,000 per author.
    fn put(&self, store: &dyn Store, objects: Vec<(usize, Object)>) {
        let mut by_author: Vec<Vec<Object>> = vec![Vec::new(); self.parties.len()];
        for (a, o) in objects {
            by_author[a].push(o);
            if by_author[a].len() == BATCH {
                self.flush(store, a, &mut by_author[a]);
            }
        }
        for (a, batch) in by_author.iter_mut().enumerate() {
            if !batch.is_empty() {
                self.flush(store, a, batch);
            }
        }
    }

    fn flush(&self, store: &dyn Store, author: usize, batch: &mut Vec<Object>) {
        let options = PutOptions { posted_by: Some(self.parties[author].to_string()), shares: vec![self.agreement.clone()], ..PutOptions::default() };
        store.put(batch, &options).expect("put");
        batch.clear();
    }

    /// Objects `from..to` and their sightings `sfrom..sto`, created in `(start, end]`.
    fn evidence(&self, store: &dyn Store, objects: std::ops::Range<usize>, sightings: std::ops::Range<usize>, start: i64, end: i64) {
        let span = (end - start).max(1);
        let count = objects.len().max(1);
        let first = objects.start;
        // In i128: at a million objects, index × span overflows an i64.
        let created = |i: usize| start + 1 + ((i - first) as i128 * span as i128 / count as i128).min(span as i128 - 1) as i64;
        let mut list = Vec::with_capacity(10_000);
        for i in objects.clone() {
            list.push((i % self.parties.len(), self.indicator(i, created(i))));
            if list.len() == 10 * BATCH {
                self.put(store, std::mem::take(&mut list));
            }
        }
        self.put(store, std::mem::take(&mut list));
        let step = (objects.len() / sightings.len().max(1)).max(1);
        for (k, j) in sightings.enumerate() {
            let of = first + (k * step + k % step.max(1)) % objects.len();
            // A day or so after the object, not after `end`.
            let when = (created(of) + DAY / 2 + (j as i64 % 48) * DAY / 24).min(end);
            list.push(self.sighting(j, of, when));
            if list.len() == 10 * BATCH {
                self.put(store, std::mem::take(&mut list));
            }
        }
        self.put(store, list);
    }
}

fn main() {
    let objects: usize = arg("--objects").and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let sightings: usize = arg("--sightings").and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let n_parties: usize = arg("--parties").and_then(|v| v.parse().ok()).unwrap_or(10).max(2);
    let reads: usize = arg("--reads").and_then(|v| v.parse().ok()).unwrap_or(5).max(1);
    let incremental_only = std::env::args().any(|a| a == "--incremental-only");
    let dir = arg("--dir").map(std::path::PathBuf::from).unwrap_or_else(|| std::env::temp_dir().join("entente-scorecard-bench"));
    // With `--reuse`, a node an earlier run left in `--dir` is read again
    // rather than built: its year is not generated again, and each round's
    // day follows the last one stored.
    let reuse = std::env::args().any(|a| a == "--reuse") && dir.join(store_sqlite::FILE_NAME).exists();
    if !reuse {
        let _ = std::fs::remove_dir_all(&dir);
    }
    std::fs::create_dir_all(&dir).expect("bench dir");
    let sqlite = Arc::new(store_sqlite::SqliteStore::open(&dir).expect("store"));
    let (store, registry): (Arc<dyn Store>, Arc<dyn store::Registry>) = (sqlite.clone(), sqlite);
    let keys = node::keys::KeyDir::in_data_dir(&dir);
    let now = Timestamp::now().micros();
    let module: Arc<dyn partnership::Module> = Arc::new(scorecard::Snapshots);
    let (parties, agreement) = if reuse {
        let own = node::identity::identity(&*registry).expect("identity").expect("an earlier run's node");
        let mut hosted: Vec<(usize, String)> = registry
            .partners()
            .expect("partners")
            .into_iter()
            .filter(|p| p.hosted)
            .filter_map(|p| Some((p.name.strip_prefix("Party ")?.parse().ok()?, p.id)))
            .collect();
        hosted.sort();
        let parties: Vec<StixId> = hosted.into_iter().map(|(_, id)| StixId::parse(&id).expect("id")).collect();
        assert_eq!(parties.first().map(StixId::as_str), Some(own.partner.as_str()), "the node's own partner is not Party 0");
        let index = Agreements::default().index(&*store).expect("index");
        let agreement = index.agreements_of(&parties[0]).into_iter().next().expect("the earlier run's agreement");
        (parties, agreement)
    } else {
        let own = node::identity::init(&*store, &*registry, &keys, "Party 0").expect("init");
        let mut parties = vec![StixId::parse(&own.partner).expect("id")];
        for i in 1..n_parties {
            parties.push(StixId::parse(&node::identity::add_hosted_partner(&*store, &*registry, &keys, &format!("Party {i}")).expect("partner")).expect("id"));
        }
        let terms = json!({
            "title": "A year of evidence", "purpose": "benchmark", "party_refs": parties,
            "scope": { "object_types": [], "labels": [], "data_kind": "both" }, "tlp_ceiling": "amber",
            "handling": { "reshare": "parties-only", "attribution": "required", "permitted_actions": [] },
            "valid_from": Timestamp::from_micros(now - 400 * DAY).to_string(), "release_within_hours": 48,
        });
        let agreement = node::agreements::propose(&*store, &parties[0], None, terms.as_object().expect("terms"), std::slice::from_ref(&module)).expect("propose").id;
        for p in &parties {
            node::agreements::ratify(&*store, &keys, p, &agreement).expect("ratify");
        }
        (parties, agreement)
    };
    let n_parties = parties.len();
    let modules = node::modules::build([module]);
    // (A restarted child logs its releases in a log of its own: one
    // writer per log.)
    let log = audit::SharedLog::open(dir.join(if arg("--restart-child").is_some() { "release-restarts.log" } else { "release.log" })).expect("log");
    let node = Node { store: store.clone(), agreements: Arc::new(Agreements::default()), log, limits: model::Limits::default() };
    let gen = Gen { parties: parties.clone(), agreement: agreement.to_string(), now };
    // A restarted node, in a process of its own (see `restart` below): the
    // first scorecard timed, printed for the parent.
    if let Some(lists) = arg("--restart-child") {
        let n = Node { store: store.clone(), agreements: Arc::new(Agreements::default()), log: node.log.clone(), limits: model::Limits::default() };
        n.agreements.save_tallies_in(&dir);
        let lists = if lists == "first100" { Lists::First(100) } else { Lists::None };
        let t = Instant::now();
        node::scorecard::listing(&n, &modules, &parties[0], &agreement, &Ask { at: Timestamp::now(), window_days: 90 }, "bench", lists).expect("scorecard");
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        assert!(!n.agreements.tally(&parties[0], &agreement).lock().expect("tally").was_full(), "the restarted node read in full");
        println!("restart-ms {ms}");

        return;
    }

    let start = Instant::now();
    // The year up to yesterday; the last day is added later, for the incremental read.
    let (day_objects, day_sightings) = (objects / 365, sightings / 365);
    // Where each round's ids start: after every indicator and sighting stored.
    let (base, sbase) = if reuse {
        let stats = store.stats().expect("stats");
        let count = |t: &str| stats.by_type.iter().find(|(x, _, _)| x == t).map_or(0, |(_, n, _)| *n as usize);
        println!("reused: {} parties, {} indicators and {} sightings stored by earlier runs", n_parties, count("indicator"), count("sighting"));
        (count("indicator"), count("sighting"))
    } else {
        gen.evidence(&*store, 0..objects - day_objects, 0..sightings - day_sightings, gen.now - 365 * DAY, gen.now - DAY);
        println!("built: {} parties, {} objects and {} sightings over the year before yesterday, in {:.1} s", n_parties, objects - day_objects, sightings - day_sightings, start.elapsed().as_secs_f64());
        (objects - day_objects, sightings - day_sightings)
    };

    let me = &parties[0];
    let ask = || Ask { at: Timestamp::now(), window_days: 90 };
    // The yardstick: every version scanned, the agreement's objects and the
    // reactions released to `me` through the read path, nothing computed.
    let full_read = || {
        let index = node.agreements.index(&*node.store).expect("index");
        let reader = Reader::new(me.clone(), index, Through::AnyShare);
        let out = node::read::Out::new(&node.log, &reader, "bench");
        let mut candidates = Vec::new();
        node.store
            .scan(&Query { versions: Versions::ALL, ..Query::default() }, &mut |r| {
                if r.shared_under.split(' ').any(|a| a == agreement.as_str()) && !policy::kinds::is_record(&r.object_type) {
                    candidates.push(r);
                }
                Ok(())
            })
            .expect("scan");
        out.records(candidates).expect("release").into_inner().len()
    };
    let time = |f: &mut dyn FnMut() -> usize| {
        let t = Instant::now();
        let n = f();
        (t.elapsed().as_secs_f64() * 1000.0, n)
    };
    let fresh_node = || Node { store: store.clone(), agreements: Arc::new(Agreements::default()), log: node.log.clone(), limits: model::Limits::default() };
    let listing = |node: &Node, lists: Lists| node::scorecard::listing(node, &modules, me, &agreement, &ask(), "bench", lists).expect("scorecard").pairs.len();
    let (mut read_ms, mut cold_ms, mut rest_ms, mut bare_ms, mut all_ms, mut fresh_ms) = (Row::default(), Row::default(), Row::default(), Row::default(), Row::default(), Row::default());
    let mut counted = 0;
    // Past the margin before the first computation: an update reads again
    // what was stored in the margin before the previous one (here the
    // import's last seconds), which no warm row below should count.
    std::thread::sleep(std::time::Duration::from_micros(node::scorecard::tally::MARGIN as u64 + 500_000));
    for k in 0..reads {
        let (ms, n) = time(&mut || full_read());
        read_ms.push(ms);
        counted = n;
        if incremental_only {
            continue;
        }
        // The first computation on a node: the tally built by a full read.
        let cold = fresh_node();
        let (ms, _) = time(&mut || listing(&cold, Lists::First(100)));
        cold_ms.push(ms);
        // Then warm: as REST asks (each figure's first 100 ids), bare, every list.
        let (ms, _) = time(&mut || listing(&cold, Lists::First(100)));
        rest_ms.push(ms);
        let (ms, _) = time(&mut || listing(&cold, Lists::None));
        bare_ms.push(ms);
        let (ms, _) = time(&mut || listing(&cold, Lists::All));
        all_ms.push(ms);
        // Gathered and computed afresh (a time other than now), three times at most.
        if k < 3 {
            let (ms, _) = time(&mut || scorecard::compute(&node::scorecard::gather(&node, &modules, me, &agreement, &ask(), "bench").expect("gather")).pairs.len());
            fresh_ms.push(ms);
        }
    }
    println!("read: {counted} versions released to the first party");

    // The incremental read: the node's tally brought up to date, then a
    // day's new evidence stored, then the scorecard since, each round on
    // the same tally; at the end its figures against a full computation.
    let warm = fresh_node();
    // It saves its tally in the bench's data directory (as a server does
    // in its own): the restart rows below load it.
    warm.agreements.save_tallies_in(&dir);
    listing(&warm, Lists::None);
    let mut inc_ms = Row::default();
    let mut tally = Tally::new();
    node::scorecard::incremental(&node, &modules, me, &agreement, &ask(), "bench", &mut tally).expect("tally");
    for round in 0..reads {
        // The last writes well before the update, as a day's would be: the
        // update reads again what was stored in the margin before it.
        std::thread::sleep(std::time::Duration::from_micros(node::scorecard::tally::MARGIN as u64 + 500_000));
        node::scorecard::incremental(&node, &modules, me, &agreement, &ask(), "bench", &mut tally).expect("tally");
        listing(&warm, Lists::None);
        // A day's evidence (ids after every earlier day's), stored after the update.
        let (from, sfrom) = (base + round * day_objects, sbase + round * day_sightings);
        let t = Timestamp::now().micros();
        gen.evidence(&*store, from..from + day_objects, sfrom..sfrom + day_sightings, t - DAY, t);
        let (ms, _) = time(&mut || node::scorecard::incremental(&node, &modules, me, &agreement, &ask(), "bench", &mut tally).expect("incremental").pairs.len());
        assert!(!tally.was_full(), "the second update was full");
        inc_ms.push(ms);
    }
    // A restart: the warm node's tally saved (timed), a day's evidence
    // stored, then a node as a new process finds it (nothing in memory,
    // the same data directory) asked for the scorecard: the saved tally
    // loaded and brought up to date by an incremental update. Bare, and
    // (another restart) with REST's lists.
    let (mut save_ms, mut restart_ms, mut restart_rest_ms) = (Row::default(), Row::default(), Row::default());
    let mut saved_bytes = 0;
    let restarted = || {
        node::scorecard::tally::saved::wait_for_saves();
        let n = fresh_node();
        n.agreements.save_tallies_in(&dir);
        n
    };
    let loaded = |n: &Node| !n.agreements.tally(me, &agreement).lock().expect("tally").was_full();
    // A restart as it is: a new process (nothing in memory, its heap
    // empty) on the same data directory asked for the scorecard.
    let restart = |lists: &str| -> f64 {
        node::scorecard::tally::saved::wait_for_saves();
        let exe = std::env::current_exe().expect("exe");
        let out = std::process::Command::new(exe).args(["--reuse", "--dir"]).arg(&dir).args(["--restart-child", lists]).output().expect("restart");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "the restarted process failed: {text}{}", String::from_utf8_lossy(&out.stderr));
        text.lines().find_map(|l| l.strip_prefix("restart-ms ")).and_then(|v| v.parse().ok()).expect("the restarted process's time")
    };
    for round in 0..reads {
        listing(&warm, Lists::None);
        let (ms, bytes) = time(&mut || node::scorecard::save_tally(&warm, me, &agreement).expect("save").expect("saved") as usize);
        save_ms.push(ms);
        saved_bytes = bytes;
        // Ids after the incremental rounds' days.
        let (from, sfrom) = (objects + (reads - 1 + round) * day_objects, sightings + (reads - 1 + round) * day_sightings);
        let t = Timestamp::now().micros();
        gen.evidence(&*store, from..from + day_objects, sfrom..sfrom + day_sightings, t - DAY, t);
        if round == 0 {
            // The load alone, timed (untimed in the rows: its share of the first).
            let t = Instant::now();
            let why = match Tally::load(&*store, &dir, me, &agreement).expect("load") {
                node::scorecard::tally::saved::Loaded::None => "no file".to_owned(),
                node::scorecard::tally::saved::Loaded::Unusable(why) => why,
                node::scorecard::tally::saved::Loaded::Tally(t) => format!("loadable: {:?}", t.len()),
            };
            eprintln!("the saved tally: {why}, in {:.0} ms", t.elapsed().as_secs_f64() * 1000.0);
        }
        restart_ms.push(restart("none"));
        restart_rest_ms.push(restart("first100"));
    }
    // (The restarted node's scorecard is for the time after its load: the
    // others are asked for that time.)
    let cold = restarted();
    let r = node::scorecard::listing(&cold, &modules, me, &agreement, &ask(), "bench", Lists::None).expect("restarted");
    assert!(loaded(&cold), "the restarted node read in full");
    drop(cold);
    let at = Ask { at: Timestamp::from_micros(r.at), window_days: 90 };
    let a = node::scorecard::incremental(&node, &modules, me, &agreement, &at, "bench", &mut tally).expect("incremental");
    let b = scorecard::compute_bare(&node::scorecard::gather(&node, &modules, me, &agreement, &at, "bench").expect("full"));
    let same = serde_json::to_value(&a).expect("json") == serde_json::to_value(&b).expect("json");
    let same_restarted = serde_json::to_value(&r).expect("json") == serde_json::to_value(&b).expect("json");
    let listed = node::scorecard::listing(&warm, &modules, me, &agreement, &at, "bench", Lists::All).expect("listing");
    let fresh = scorecard::compute(&node::scorecard::gather(&node, &modules, me, &agreement, &Ask { at: Timestamp::from_micros(listed.at), window_days: 90 }, "bench").expect("full"));
    let same_lists = serde_json::to_value(&listed).expect("json") == serde_json::to_value(&fresh).expect("json");
    let ids: usize = listed.parties.iter().flat_map(|p| &p.figures).chain(listed.pairs.iter().flat_map(|p| &p.figures)).map(|f| f.evidence.len()).sum();
    let acted = listed.party_figure(me.as_str(), scorecard::Indicator::Actionability).map_or(0, |f| f.n);
    println!("counted: the first party's actionability n = {acted}; {ids} evidence ids listed in all");
    let read = percentile(&read_ms.ms(), 50.0);
    println!("| what ({objects} objects, {sightings} sightings, {n_parties} parties) | reads | p50 ms | p99 ms | p50 ÷ full read | p99 ÷ full read | load (1 min) |");
    println!("|---|---:|---:|---:|---:|---:|---|");
    println!("{}", read_ms.line("full read (scan, release, nothing computed)", read));
    if !incremental_only {
        println!("{}", cold_ms.line("full scorecard, first on a node (builds the tally), REST's lists", read));
        println!("{}", rest_ms.line("full scorecard, warm, REST's lists (first 100 ids a figure)", read));
        println!("{}", bare_ms.line("full scorecard, warm, bare (figures only)", read));
        println!("{}", all_ms.line("full scorecard, warm, every evidence list", read));
        println!("{}", fresh_ms.line("gathered and computed afresh, every list (another time)", read));
    }
    println!("{}", inc_ms.line("incremental, after a day's evidence", read));
    println!("{}", restart_ms.line("full scorecard, first after a restart (loaded tally, a day's evidence since), bare", read));
    println!("{}", restart_rest_ms.line("full scorecard, first after a restart (loaded tally, a day's evidence since), REST's lists", read));
    println!("{}", save_ms.line(&format!("the tally saved ({saved_bytes} bytes)"), read));
    println!("incremental figures equal to a full computation's: {same}; warm lists equal to a fresh computation's: {same_lists}");
    println!("restarted node's figures (loaded tally) equal to a full computation's: {same_restarted}");
    assert!(same, "the incremental scorecard differs from the full one");
    assert!(same_restarted, "the restarted node's scorecard differs from the full one");
    assert!(same_lists, "the warm scorecard's lists differ from a fresh computation's");
}
