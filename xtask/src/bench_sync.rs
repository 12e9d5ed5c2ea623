//! `cargo xtask bench sync [--objects N]`: federation throughput.
//!
//! Two nodes on loopback, Aurelia and Borealis, ratify an agreement across
//! nodes (each pulls the other's records). Aurelia imports N generated
//! objects shared under it — the local import rate, the reference — and
//! Borealis pulls them all in one `entente sync` round: the sync rate,
//! which includes Aurelia's node signing every version on first request,
//! Borealis's node checking every signature and decision, and storing.
//! Then an idle round: requests made and time taken, from the round's own
//! report. Targets (issue 6): sync ≥ 0.5 of import; idle round one request
//! per collection, under 10 ms.
//!
//! Then a crisis's records (`--crisis N`, default N): an exercise crisis
//! and a situation report by the module's actions, the rest copies of the
//! report with their own ids, pulled in one round; their rate against the
//! objects' (issue 22: no slower per record than intelligence), and
//! Borealis's common picture read to see they arrived as records.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::bench::{flag, measure, today};
use crate::run as sh;

fn out_of(bin: &Path, data: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(bin).env("ENTENTE_LOG", "warn").arg("--data-dir").arg(data).args(args).output()?;
    if !out.status.success() {
        bail!("entente {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8(out.stdout)?.trim().to_owned())
}

/// A node's server, stopped (SIGTERM) when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        #[allow(unsafe_code)]
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM);
        }
        let _ = self.0.wait();
    }
}

fn serve(bin: &Path, data: &Path, log: &Path, sync_interval: u32) -> anyhow::Result<(Server, u16)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = Command::new(bin)
        .env("ENTENTE_LOG", "warn")
        .env("ENTENTE_SYNC_INTERVAL", sync_interval.to_string())
        .arg("--data-dir")
        .arg(data)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log)?)
        .spawn()?;
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("the server on {} did not come up", data.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((server, port))
}

/// One `entente sync` round on `data`: its report (one peer).
fn sync(bin: &Path, data: &Path) -> anyhow::Result<serde_json::Value> {
    // A server rereads agreements at least every second: what a command
    // line just stored counts by then.
    std::thread::sleep(Duration::from_millis(1100));
    let line = out_of(bin, data, &["sync"])?;
    let json = line.split_once(' ').map(|x| x.1).context("a sync report")?;
    Ok(serde_json::from_str(json)?)
}

pub fn run(root: &Path, bin: &Path, args: &[String]) -> anyhow::Result<()> {
    let objects: u64 = flag(args, "--objects").map(str::parse).transpose()?.unwrap_or(100_000);
    let work = root.join("target/bench/sync");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let (a, b): (PathBuf, PathBuf) = (work.join("a"), work.join("b"));
    let a_id = out_of(bin, &a, &["init", "--name", "Aurelia"])?;
    let b_id = out_of(bin, &b, &["init", "--name", "Borealis"])?;
    for (from, to, id, file) in [(&a, &b, &a_id, "aurelia.json"), (&b, &a, &b_id, "borealis.json")] {
        let bundle: serde_json::Value = serde_json::from_str(&out_of(bin, from, &["export", "--type", "identity"])?)?;
        let identity = bundle["objects"].as_array().into_iter().flatten().find(|o| o["id"] == id.as_str()).context("the node's identity")?;
        std::fs::write(work.join(file), identity.to_string())?;
        out_of(bin, to, &["partner", "add", "--identity", work.join(file).to_str().unwrap()])?;
    }
    let token_for = |dir: &Path, who: &str| -> anyhow::Result<String> {
        let out = out_of(bin, dir, &["token", "create", "--partner", who, "--role", "analyst"])?;
        Ok(out.lines().last().unwrap_or("").to_owned())
    };
    std::fs::write(work.join("a.token"), token_for(&a, "Borealis")?)?;
    std::fs::write(work.join("b.token"), token_for(&b, "Aurelia")?)?;
    let (_sa, pa) = serve(bin, &a, &work.join("a.log"), 0)?;
    let (sb, pb) = serve(bin, &b, &work.join("b.log"), 0)?;
    let peer = |dir: &Path, port: u16, partner: &str, token: &str| {
        out_of(bin, dir, &["peer", "add", "--url", &format!("http://127.0.0.1:{port}/taxii2/"), "--partner", partner, "--token-file", work.join(token).to_str().unwrap()])
    };
    peer(&b, pa, "Aurelia", "a.token")?;
    peer(&a, pb, "Borealis", "b.token")?;
    let terms = serde_json::json!({
        "title": "bench", "purpose": "sync benchmark", "party_refs": [a_id, b_id],
        "scope": {"object_types": [], "labels": [], "data_kind": "both"}, "tlp_ceiling": "amber",
        "handling": {"reshare": "none", "attribution": "required", "permitted_actions": []},
        "valid_from": "2020-01-01T00:00:00Z"
    });
    std::fs::write(work.join("terms.json"), terms.to_string())?;
    let ag = out_of(bin, &a, &["agreement", "propose", "--as", "Aurelia", work.join("terms.json").to_str().unwrap()])?;
    out_of(bin, &a, &["agreement", "ratify", "--as", "Aurelia", &ag])?;
    sync(bin, &b)?;
    out_of(bin, &b, &["agreement", "ratify", "--as", "Borealis", &ag])?;
    sync(bin, &a)?;

    let intel = work.join("intel.jsonl");
    eprintln!("generating {objects} objects authored by Aurelia");
    sh(Command::new(bin)
        .args(["generate", "--objects", &objects.to_string(), "--seed", "1", "--author", &a_id, "--format", "jsonl", "-o"])
        .arg(&intel))?;
    let size_mb = std::fs::metadata(&intel)?.len() as f64 / 1e6;
    let imported = measure(
        Command::new(bin).env("ENTENTE_LOG", "warn").arg("--data-dir").arg(&a).args(["import", "--as", "Aurelia", "--share", &ag]).arg(&intel),
    )?;
    eprintln!("imported in {:.1} s; Borealis pulls", imported.secs);
    std::thread::sleep(Duration::from_millis(1100));
    let started = Instant::now();
    let line = out_of(bin, &b, &["sync"])?;
    let pull_secs = started.elapsed().as_secs_f64();
    let round: serde_json::Value = serde_json::from_str(line.split_once(' ').map(|x| x.1).context("a sync report")?)?;
    let added = round["added"].as_u64().unwrap_or(0);
    // What Aurelia's node releases to Borealis (not, say, AMBER+STRICT
    // objects above the agreement's ceiling): all of it must have arrived.
    let released: serde_json::Value = serde_json::from_str(&out_of(bin, &a, &["export", "--for", &b_id])?)?;
    let generated = |o: &&serde_json::Value| {
        let ty = o["type"].as_str().unwrap_or("");
        o["created_by_ref"] == a_id.as_str() && ty != "identity" && !ty.starts_with("x-entente-")
    };
    let expected = released["objects"].as_array().map_or(0, |o| o.iter().filter(generated).count()) as u64;
    if added != expected {
        bail!("Borealis stored {added} versions, Aurelia's node releases {expected} to it: {round}");
    }
    // A crisis's records the same way: Aurelia activates an exercise
    // crisis and files a situation report by the module's own actions; the
    // rest are copies of that report with their own ids (each valid alone,
    // as Borealis's node checks every record that arrives), stored as
    // Aurelia's. Borealis pulls them in one round: records per second
    // against the intelligence's objects per second just measured.
    let crisis_records: u64 = flag(args, "--crisis").map(str::parse).transpose()?.unwrap_or(objects).max(2);
    let act = |action: &str, input: serde_json::Value| -> anyhow::Result<serde_json::Value> {
        Ok(serde_json::from_str(&out_of(bin, &a, &["module", "act", "--as", "Aurelia", &ag, "crisis", action, "--input", &input.to_string()])?)?)
    };
    let crisis = act("activate", serde_json::json!({ "title": "Benchmark crisis", "severity": "severe", "exercise": true }))?;
    let cid = crisis["id"].as_str().context("the crisis's id")?.to_owned();
    let sitrep = act("file-sitrep", serde_json::json!({
        "crisis": cid, "period_start": "2026-06-01T00:00:00Z", "period_end": "2026-06-01T06:00:00Z",
        "situation_summary": "systems isolated at two sites; restoring from backups", "actions_taken": "isolated", "actions_planned": "restore",
    }))?;
    let records = work.join("crisis.jsonl");
    {
        use std::io::Write as _;
        let mut out = std::io::BufWriter::new(std::fs::File::create(&records)?);
        for i in 2..crisis_records {
            let mut v = sitrep.clone();
            v["id"] = serde_json::json!(format!("x-entente-crisis-sitrep--00000000-0000-4000-8000-{i:012x}"));
            writeln!(out, "{v}")?;
        }
    }
    let imported_records = measure(Command::new(bin).env("ENTENTE_LOG", "warn").arg("--data-dir").arg(&a).args(["import", "--as", "Aurelia"]).arg(&records))?;
    std::thread::sleep(Duration::from_millis(1100));
    let started = Instant::now();
    let line = out_of(bin, &b, &["sync"])?;
    let crisis_secs = started.elapsed().as_secs_f64();
    let crisis_round: serde_json::Value = serde_json::from_str(line.split_once(' ').map(|x| x.1).context("a sync report")?)?;
    let crisis_added = crisis_round["added"].as_u64().unwrap_or(0);
    if crisis_added != crisis_records {
        bail!("Borealis stored {crisis_added} of the crisis's {crisis_records} records: {crisis_round}");
    }
    let picture: serde_json::Value = serde_json::from_str(&out_of(bin, &b, &["module", "state", &ag, "crisis"])?)?;
    let held = picture["state"]["crises"][0]["sitreps"].as_array().map_or(0, Vec::len);
    if held == 0 {
        bail!("Borealis's common picture holds no situation report: {}", picture["state"]);
    }

    // Idle rounds, a second or more apart (a node's rounds are far apart).
    let idle: Vec<serde_json::Value> = (0..5).map(|_| sync(bin, &b)).collect::<anyhow::Result<_>>()?;
    let mut idle_ms: Vec<f64> = idle.iter().map(|r| r["seconds"].as_f64().unwrap_or(f64::NAN) * 1000.0).collect();
    idle_ms.sort_by(f64::total_cmp);
    // And as the server runs them: Borealis's server pulling every second,
    // its HTTP client kept; each round's time from `GET /api/v1/peers`.
    drop(sb);
    let admin = out_of(bin, &b, &["token", "create", "--partner", "Borealis", "--role", "admin"])?;
    let admin = admin.lines().last().unwrap_or("").to_owned();
    let (_sb, pb2) = serve(bin, &b, &work.join("b2.log"), 1)?;
    let mut served_ms = Vec::new();
    let mut last_seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while served_ms.len() < 5 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(300));
        let out = Command::new("curl")
            .args(["-s", "-H", &format!("Authorization: Bearer {admin}"), &format!("http://127.0.0.1:{pb2}/api/v1/peers")])
            .output()?;
        let peers: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let status = &peers["peers"][0]["sync"];
        let (Some(at), Some(secs)) = (status["last_sync"].as_str(), status["last_round_seconds"].as_f64()) else { continue };
        if at != last_seen {
            // The server's first round after its start pays for opening the
            // connection; count those after it.
            if !last_seen.is_empty() {
                served_ms.push(secs * 1000.0);
            }
            last_seen = at.to_owned();
        }
    }
    if served_ms.len() < 5 {
        bail!("Borealis's server ran {} idle rounds in a minute", served_ms.len());
    }
    served_ms.sort_by(f64::total_cmp);

    let (import_rate, sync_rate) = (objects as f64 / imported.secs, added as f64 / pull_secs);
    println!("\n## federation sync, {objects} objects ({size_mb:.0} MB) of which {added} released to the peer, {}", today());
    println!("| measure | objects/s | vs import | time |");
    println!("|---|---:|---:|---:|");
    println!("| `entente import` on Aurelia's node (reference) | {import_rate:.0} | 1.00 | {:.2} s |", imported.secs);
    println!(
        "| `entente sync` on Borealis's node ({} pages, signatures checked) | {sync_rate:.0} | {:.2} | {pull_secs:.2} s |",
        round["pages"],
        sync_rate / import_rate
    );
    let crisis_rate = crisis_added as f64 / crisis_secs;
    println!(
        "| `entente sync` of a crisis's {crisis_added} records ({} pages; {} s to store them on Aurelia's node) | {crisis_rate:.0} | {:.2} | {crisis_secs:.2} s |",
        crisis_round["pages"],
        format!("{:.2}", imported_records.secs),
        crisis_rate / import_rate
    );
    println!("\ncrisis records per second ÷ intelligence objects per second, both pulled: {:.2} (target ≥ 1: no slower per record than intelligence)", crisis_rate / sync_rate);
    let list = |v: &[f64]| v.iter().map(|m| format!("{m:.1}")).collect::<Vec<_>>().join(", ");
    println!(
        "\nidle rounds: {} requests each (agreement records, one agreement's collection), {} stored; \
         in the server's loop {:.1} ms median of 5 ({}); as `entente sync` runs, a process each, {:.1} ms median of 5 ({})",
        idle[0]["pages"],
        idle.iter().map(|r| r["added"].as_u64().unwrap_or(0)).sum::<u64>(),
        served_ms[2],
        list(&served_ms),
        idle_ms[2],
        list(&idle_ms)
    );
    println!("targets: sync ≥ 0.5 of import; idle round one request per collection, under 10 ms");
    Ok(())
}
