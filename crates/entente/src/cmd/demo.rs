//! `entente demo`: three nations' nodes on loopback, federating.
//!
//! The first time, in `--dir` (one data dir per nation): each node is
//! initialised and its server started as a child process (`entente
//! serve`); each node learns the other two nations and peers with their
//! nodes; Aurelia proposes a trilateral agreement and a bilateral one with Borealis, which
//! travel by sync and are ratified on each party's node until they are in
//! force everywhere; then each nation's intelligence is generated and
//! shared under them, written as the history of the last 90 days: each
//! day's shared that day and pulled by the others' nodes that day, so
//! arrivals spread over the 90 days (demo/history.rs), the nations talk and meet (demo/dialogue.rs), two
//! shared objectives are set up with progress over six months
//! (demo/objectives.rs), a joint statement is published on each nation's
//! node (demo/statements.rs), a dispute reaches mediation
//! (demo/disputes.rs), a year of resource sharing is on the ledger with
//! one nation over its share and one under (demo/resources.rs), a joint
//! exercise with its lessons runs under an exercise programme
//! (demo/exercises.rs), each node holds a year of monthly scorecard
//! snapshots and Aurelia's report is written as a PDF (demo/scorecard.rs),
//! and `demo.json` records the setup (with each
//! nation's login token). Later runs reuse it. Then the demo prints how to
//! reach each node, reports when federation has caught up, and waits for
//! Ctrl-C or SIGTERM, which stops the three servers.

mod coalition;
mod crisis;
mod dialogue;
mod disputes;
mod exercises;
mod history;
mod objectives;
mod resources;
mod scorecard;
mod statements;
mod servers;

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use coalition::{Nation, NATIONS};
use servers::{Interrupted, Servers, Stop};

use crate::cli::DemoArgs;
use crate::config::Config;

/// The file that says the demo in a folder is set up.
const STATE: &str = "demo.json";

/// What a finished setup recorded.
#[derive(serde::Serialize, serde::Deserialize)]
struct State {
    objects: u64,
    /// Per nation, in [`NATIONS`] order: its node's admin token.
    tokens: Vec<String>,
    /// Per nation, in [`NATIONS`] order: a liaison officer's and an
    /// analyst's token on its own node (empty in a demo set up before
    /// they were issued: issued when it is reused).
    #[serde(default)]
    people: Vec<[String; 2]>,
    trilateral: String,
    bilateral: String,
    /// An observable every nation reported: (SCO type, value).
    example: (String, String),
    /// Per nation: the id of its indicator of that value.
    #[serde(default)]
    indicators: Vec<String>,
}

impl State {
    fn read(dir: &Path) -> anyhow::Result<Option<State>> {
        let path = dir.join(STATE);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes).with_context(|| format!("reading {}", path.display()))?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Written last, readable by this user alone (it holds tokens).
    fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let path = dir.join(STATE);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path).with_context(|| format!("creating {}", path.display()))?;
        file.write_all(&serde_json::to_vec_pretty(self)?)?;
        file.sync_all()?;
        Ok(())
    }
}

/// Whether `dir` holds nothing but what a demo puts there.
fn only_demo(dir: &Path) -> anyhow::Result<bool> {
    let known: Vec<String> = NATIONS.iter().map(|n| n.to_lowercase()).chain([STATE.to_owned(), OBSERVATIONS.to_owned(), scorecard::REPORT.to_owned()]).collect();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        if !known.contains(&entry?.file_name().to_string_lossy().into_owned()) {
            return Ok(false);
        }
    }
    Ok(true)
}

fn ports(args: &DemoArgs) -> anyhow::Result<Vec<u16>> {
    if args.ports.is_empty() {
        let last = args.base_port.checked_add(NATIONS.len() as u16 - 1).context("--base-port is too high")?;
        return Ok((args.base_port..=last).collect());
    }
    if args.ports.len() != NATIONS.len() || args.ports.iter().enumerate().any(|(i, p)| args.ports[..i].contains(p)) {
        bail!("--ports takes {} different ports, such as 9001,9002,9003", NATIONS.len());
    }
    Ok(args.ports.clone())
}

pub fn run(args: &DemoArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let ports = ports(args)?;
    let stop = Stop::watch()?;
    match demo(args, config, &ports, &stop) {
        Err(e) if e.is::<Interrupted>() => {
            eprintln!("interrupted during setup: the servers are stopped; run the demo again to start over");
            Ok(ExitCode::from(130))
        }
        other => other,
    }
}

fn demo(args: &DemoArgs, config: &Config, ports: &[u16], stop: &Stop) -> anyhow::Result<ExitCode> {
    let dir = &args.dir;
    let shown = dir.display();
    let state = if args.fresh { None } else { State::read(dir)? };
    if state.is_none() && dir.exists() {
        if !only_demo(dir)? {
            bail!("{shown} holds other files than a demo's; give another --dir");
        }
        if !args.fresh && std::fs::read_dir(dir)?.next().is_some() {
            eprintln!("{shown} holds an unfinished demo: starting it over");
        }
        std::fs::remove_dir_all(dir).with_context(|| format!("deleting {shown}"))?;
    }
    servers::check_free(ports)?;
    match &state {
        Some(s) => eprintln!("reusing the demo in {shown} ({} objects per nation; --fresh starts over)", s.objects),
        None => eprintln!("setting up three nations in {shown}, {} objects each", args.objects),
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {shown}"))?;
    // A new demo's nodes are set up on the day before its history's 90 days
    // (demo/history.rs).
    let clock = history::Clock::default();
    if state.is_none() {
        let now = model::Timestamp::now().micros();
        clock.set(now - now % history::DAY - (coalition::HISTORY_DAYS + 1) * history::DAY + 9 * history::DAY / 24);
    }
    let nations = coalition::open(dir, config, &clock)?;
    let state = match state {
        Some(mut s) => {
            coalition::repoint(&nations, ports)?;
            if s.people.len() != nations.len() {
                s.people = coalition::people(&nations)?;
                s.write(dir)?;
            }
            Some(s)
        }
        None => None,
    };
    let fresh = state.is_none();
    // While the history is written the servers answer pulls but make none
    // (0: no sync of their own); then they start again, syncing.
    let start = |sync_interval: u64| -> anyhow::Result<Servers> {
        let mut servers = Servers::default();
        for (n, &port) in nations.iter().zip(ports) {
            servers.start(n.name, &n.dir, port, sync_interval)?;
        }
        servers.wait_listening(stop)?;
        Ok(servers)
    };
    let mut servers = start(if fresh { 0 } else { args.sync_interval })?;
    eprintln!("  servers listening on 127.0.0.1 ports {}", ports.iter().map(u16::to_string).collect::<Vec<_>>().join(", "));
    let state = match state {
        Some(s) => s,
        None => {
            let s = set_up(args, &nations, ports, &clock, stop)?;
            servers.stop()?;
            servers = start(args.sync_interval)?;
            s.write(dir)?;
            s
        }
    };
    write_observations(dir, &state.example)?;
    print_nodes(args, &state, ports);
    let caught_up = federate(&nations, &mut servers, stop)?;
    if fresh && caught_up {
        // Once each node holds what the others release to it: its own view.
        let trilateral = model::StixId::parse(&state.trilateral).map_err(anyhow::Error::msg)?;
        let report = scorecard::set_up(&nations, &trilateral, dir)?;
        eprintln!("  scorecard: a year of monthly snapshots on each node; Aurelia's report for the review board: {}", report.display());
    }
    drop(nations);
    if caught_up {
        while !stop.wait(Duration::from_millis(250)) {
            servers.revive()?;
        }
    }
    eprintln!("stopping the three servers");
    servers.stop()?;
    eprintln!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// With the servers up: partners and peers, agreements, then intelligence
/// shared under them.
fn set_up(args: &DemoArgs, nations: &[Nation], ports: &[u16], clock: &history::Clock, stop: &Stop) -> anyhow::Result<State> {
    // Peers added once every server listens: no first pull fails and backs off.
    let tokens = coalition::introduce(nations, ports)?;
    eprintln!("  each node knows the other two nations and pulls from their nodes");
    let agreements = coalition::agree(nations, stop)?;
    eprintln!(
        "  agreements in force on every node: {} (trilateral) and {}–{} (bilateral)",
        NATIONS.join("–"),
        NATIONS[0],
        NATIONS[1]
    );
    // The servers reread agreements at most every INDEX_TTL: share only
    // once each serves under them, or peers' cursors could pass objects by.
    stop.sleep(server::release::INDEX_TTL + Duration::from_millis(200))?;
    let started = Instant::now();
    let (example, indicators, stored) = coalition::intelligence(nations, &agreements, args.objects, clock, stop)?;
    // What follows happens today.
    clock.stop();
    dialogue::converse(nations, &agreements, &indicators, stop)?;
    eprintln!("  dialogue: a coalition channel, an Aurelia–Borealis channel, the senior dialogue's minutes approved by each nation, open action items");
    let people = coalition::people(nations)?;
    let line: Vec<String> = nations
        .iter()
        .zip(&stored)
        .map(|(n, s)| match s.bilateral {
            0 => format!("{} {}", n.name, s.objects),
            b => format!("{} {} ({b} bilateral only)", n.name, s.objects),
        })
        .collect();
    eprintln!(
        "  intelligence generated and shared over the last {} days (each day's pulled by the others' nodes that day) in {:.0} s: {}",
        coalition::HISTORY_DAYS,
        started.elapsed().as_secs_f64(),
        line.join(", ")
    );
    objectives::set_up(nations, &agreements)?;
    statements::set_up(nations, &agreements)?;
    disputes::set_up(nations, &agreements)?;
    resources::set_up(nations, &agreements)?;
    exercises::set_up(nations, stop)?;
    crisis::set_up(nations)?;
    Ok(State {
        objects: args.objects,
        tokens,
        people,
        trilateral: agreements.trilateral.to_string(),
        bilateral: agreements.bilateral.to_string(),
        example,
        indicators,
    })
}

/// The file of observations the demo offers for detection.
const OBSERVATIONS: &str = "observations.json";

/// Writes `<dir>/observations.json`: a bundle of observed-data whose
/// observables include the value every nation reported, so that running
/// detection on it finds each nation's indicator.
fn write_observations(dir: &Path, (ty, value): &(String, String)) -> anyhow::Result<()> {
    let now = model::Timestamp::now().to_string();
    let sco = format!("{ty}--{}", uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, value.as_bytes()));
    let benign = "ipv4-addr--6e7f8d3c-1b0a-5c2e-9f4d-7a6b5c4d3e2f";
    let bundle = serde_json::json!({
        "type": "bundle",
        "id": format!("bundle--{}", uuid::Uuid::new_v4()),
        "objects": [
            { "type": ty, "spec_version": "2.1", "id": sco, "value": value },
            { "type": "ipv4-addr", "spec_version": "2.1", "id": benign, "value": "192.0.2.200" },
            {
                "type": "observed-data", "spec_version": "2.1",
                "id": format!("observed-data--{}", uuid::Uuid::new_v4()),
                "created": now, "modified": now,
                "first_observed": now, "last_observed": now, "number_observed": 3,
                "object_refs": [sco, benign]
            }
        ]
    });
    let path = dir.join(OBSERVATIONS);
    std::fs::write(&path, serde_json::to_vec_pretty(&bundle)?).with_context(|| format!("writing {}", path.display()))
}

/// Each node's address and login tokens, and what to try.
fn print_nodes(args: &DemoArgs, state: &State, ports: &[u16]) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out);
    for (i, ((name, port), token)) in NATIONS.iter().zip(ports).zip(&state.tokens).enumerate() {
        let _ = writeln!(out, "{name:<10} http://127.0.0.1:{port}/  token {token}");
        if let Some([liaison, analyst]) = state.people.get(i) {
            let _ = writeln!(out, "{:<10} liaison {liaison}  analyst {analyst}", "");
        }
    }
    let (ty, value) = &state.example;
    let _ = writeln!(out, "\nOn the pages (sign in at /login with a token above, \"With an API token\"), try:");
    let _ = writeln!(out, "  Intelligence: search for {value}; all three nations reported it");
    if let Some(id) = state.indicators.get(1) {
        let _ = writeln!(out, "  open {}'s indicator on {}'s node: http://127.0.0.1:{}/intel/{id}", NATIONS[1], NATIONS[0], ports[0]);
    }
    let _ = writeln!(out, "  Detection: upload {} to match it against the indicators you may see", args.dir.join(OBSERVATIONS).display());
    let _ = writeln!(out, "  Scorecard: the coalition's indicators per nation and pair, with their evidence and a year of monthly snapshots: http://127.0.0.1:{}/agreements/{}/scorecard", ports[0], state.trilateral);
    let _ = writeln!(out, "  its report for a review board (what changed since last month, trends, actions): {} (also /agreements/{}/scorecard/report.pdf)", args.dir.join(scorecard::REPORT).display(), state.trilateral);
    let last = NATIONS.len() - 1;
    let exe = std::env::args().next().unwrap_or_else(|| "entente".into());
    let data = args.dir.join(NATIONS[last].to_lowercase());
    let _ = writeln!(out, "\nTAXII 2.1 at /taxii2/, the REST API at /api/v1/ (header: Authorization: Bearer TOKEN). Try:");
    let _ = writeln!(out, "  curl -H 'Authorization: Bearer {}' http://127.0.0.1:{}/api/v1/observables/{ty}/{value}", state.tokens[last], ports[last]);
    let _ = writeln!(out, "  {exe} --data-dir {} correlate {value}", data.display());
    let _ = writeln!(out, "  {exe} --data-dir {} module state {} dialogue", data.display(), state.trilateral);
    let _ = writeln!(out, "  {exe} --data-dir {} scorecard {}", data.display(), state.trilateral);
    let _ = writeln!(
        out,
        "Each node pulls from the other two every {} s; data and server logs (serve.log) are in {}. Ctrl-C stops all three.",
        args.sync_interval,
        args.dir.join("").display()
    );
    let _ = out.flush();
}

/// Waits until every node holds what the others' nodes release to it, and
/// says what each holds. False if told to stop first.
fn federate(nations: &[Nation], servers: &mut Servers, stop: &Stop) -> anyhow::Result<bool> {
    let started = Instant::now();
    let expected = coalition::expected(nations)?;
    let mut said = Instant::now();
    loop {
        servers.revive()?;
        let held = coalition::held(nations)?;
        let missing = coalition::missing(&expected, &held);
        if missing == 0 {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "\nfederation caught up in {:.0} s; each node holds, of the others' objects:", started.elapsed().as_secs_f64());
            for (x, n) in nations.iter().enumerate() {
                let from: Vec<String> = nations.iter().enumerate().filter(|(y, _)| *y != x).map(|(y, o)| format!("{} from {}", held[x][y].len(), o.name)).collect();
                let _ = writeln!(out, "  {:<10} {}", n.name, from.join(", "));
            }
            let _ = out.flush();
            return Ok(true);
        }
        if said.elapsed() > Duration::from_secs(30) {
            eprintln!("  federation: {missing} versions still to pull");
            said = Instant::now();
        }
        if stop.wait(Duration::from_secs(1)) {
            return Ok(false);
        }
    }
}
