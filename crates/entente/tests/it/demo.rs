//! `entente demo`: one command starts three nations' nodes; each node comes
//! to hold the other nations' objects its agreements give it, the nation
//! outside the bilateral agreement none of what was shared under it alone,
//! a value every nation reported correlates across partners, each node
//! shows the nations' dialogue (a channel, agreed minutes, open action
//! items; the bilateral channel on its parties' nodes alone), a node whose
//! server is killed is restarted by the demo with what it held, and Ctrl-C
//! stops the demo and its three servers cleanly.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::free_port;

const NATIONS: [&str; 3] = ["Aurelia", "Borealis", "Caledonia"];

/// The demo process: asked to stop with SIGINT when the test ends however
/// it ends, then killed if it does not.
pub(crate) struct Demo(pub(crate) Child);

impl Drop for Demo {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            signal(&self.0, "-INT");
            let deadline = Instant::now() + Duration::from_secs(30);
            while matches!(self.0.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Sends a signal with the `kill` command, keeping the test free of unsafe code.
fn signal(child: &Child, sig: &str) {
    let status = Command::new("kill").args([sig, &child.id().to_string()]).status().unwrap();
    assert!(status.success(), "kill {sig} failed");
}

/// Three different loopback ports free right now.
pub(crate) fn three_ports() -> Vec<u16> {
    let mut ports: Vec<u16> = Vec::new();
    while ports.len() < 3 {
        let p = free_port();
        if !ports.contains(&p) {
            ports.push(p);
        }
    }
    ports
}

/// `entente demo` started in `root` with `objects` per nation on three
/// free loopback ports (every `ENTENTE_` variable of the test's own
/// environment left out), syncing each second.
pub(crate) struct Spawned {
    pub(crate) demo: Demo,
    pub(crate) ports: Vec<u16>,
    /// What it prints, line by line.
    pub(crate) lines: mpsc::Receiver<String>,
    /// What it wrote to stderr so far.
    pub(crate) errors: Arc<Mutex<String>>,
}

pub(crate) fn spawn(root: &std::path::Path, objects: &str) -> Spawned {
    let ports = three_ports();
    let list = ports.iter().map(u16::to_string).collect::<Vec<_>>().join(",");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_entente"));
    for (k, _) in std::env::vars() {
        if k.starts_with("ENTENTE_") {
            cmd.env_remove(k);
        }
    }
    let child = cmd
        .current_dir(root)
        .args(["demo", "--dir", "demo", "--objects", objects, "--ports", &list, "--sync-interval", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut demo = Demo(child);
    let (tx, lines) = mpsc::channel::<String>();
    let stdout = demo.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let errors = Arc::new(Mutex::new(String::new()));
    let (mut stderr, sink) = (demo.0.stderr.take().unwrap(), errors.clone());
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = stderr.read(&mut buf) {
            sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    Spawned { demo, ports, lines, errors }
}

struct Node {
    base: String,
    token: String,
}

impl Node {
    fn get(&self, path: &str, accept: &str) -> Value {
        let r = reqwest::blocking::Client::new()
            .get(format!("{}{path}", self.base))
            .header("Accept", accept)
            .bearer_auth(&self.token)
            .send()
            .unwrap();
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().unwrap()
    }

    fn api(&self, path: &str) -> Value {
        self.get(path, "application/json")
    }

    /// Ids of the intelligence authored by `author` the node's partner may see.
    fn held_from(&self, author: &str) -> BTreeSet<String> {
        let mut ids = BTreeSet::new();
        let mut next: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/objects?author={author}&versions=all&limit=1000");
            if let Some(n) = &next {
                path.push_str(&format!("&next={n}"));
            }
            let page = self.api(&path);
            // Intelligence only: not the partner's identity or agreement records.
            let intelligence = |o: &&Value| o["type"] != "identity" && !o["type"].as_str().unwrap().starts_with("x-entente-");
            ids.extend(page["objects"].as_array().unwrap().iter().filter(intelligence).map(|o| o["id"].as_str().unwrap().to_owned()));
            match page["next"].as_str() {
                Some(n) if page["more"] == true => next = Some(n.to_owned()),
                _ => return ids,
            }
        }
    }

    /// Ids of the objects `author` shared under an agreement: that
    /// agreement's TAXII collection on the node, as its partner reads it.
    fn shared_under(&self, agreement: &str, author: &str) -> BTreeSet<String> {
        let collection = agreement.trim_start_matches("x-entente-agreement--");
        let mut ids = BTreeSet::new();
        let mut next: Option<String> = None;
        loop {
            let mut path = format!("/taxii2/root/collections/{collection}/objects/?match[version]=all&limit=1000");
            if let Some(n) = &next {
                path.push_str(&format!("&next={n}"));
            }
            let page = self.get(&path, "application/taxii+json;version=2.1");
            let objects = page["objects"].as_array().cloned().unwrap_or_default();
            ids.extend(objects.iter().filter(|o| o["created_by_ref"] == author).map(|o| o["id"].as_str().unwrap().to_owned()));
            match page["next"].as_str() {
                Some(n) if page["more"] == true => next = Some(n.to_owned()),
                _ => return ids,
            }
        }
    }
}

/// The title of the demo's exercise agreement (demo/exercises.rs), also of three parties.
const EXERCISE_PROGRAMME: &str = "Aurelia–Borealis–Caledonia exercise programme";

#[test]
fn three_nations_federate_as_their_agreements_say_and_stop_on_ctrl_c() {
    let root = tempfile::tempdir().unwrap();
    let Spawned { mut demo, ports, lines, errors } = spawn(root.path(), "300");
    let said = || errors.lock().unwrap().clone();

    // The demo prints each node's URL and token, an example, and then says
    // when federation has caught up.
    let mut nodes: BTreeMap<&str, Node> = BTreeMap::new();
    let mut people: Vec<(String, String)> = Vec::new();
    let mut indicator_url = None;
    let mut observations = None;
    let mut example = None;
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let wait = deadline.saturating_duration_since(Instant::now());
        let line = match lines.recv_timeout(wait) {
            Ok(l) => l,
            Err(e) => { std::thread::sleep(Duration::from_secs(2)); panic!("the demo did not catch up ({e:?}): {}", said()) }
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [name, url, "token", token] = words[..] {
            let name = NATIONS.iter().find(|n| **n == name).unwrap_or_else(|| panic!("{line}"));
            nodes.insert(name, Node { base: url.trim_end_matches('/').to_owned(), token: token.to_owned() });
        }
        if let ["liaison", liaison, "analyst", analyst] = words[..] {
            people.push((liaison.to_owned(), analyst.to_owned()));
        }
        if let ["open", _, "indicator", "on", _, "node:", url] = words[..] {
            indicator_url = Some(url.to_owned());
        }
        if let ["Detection:", "upload", file, ..] = words[..] {
            observations = Some(file.to_owned());
        }
        if let ["curl", "-H", _, _, token, url] = words[..] {
            example = Some((url.to_owned(), token.trim_end_matches('\'').to_owned()));
        }
        if line.starts_with("federation caught up") {
            break;
        }
    }
    assert_eq!(nodes.len(), 3, "{nodes:?}", nodes = nodes.keys().collect::<Vec<_>>());
    for (name, port) in NATIONS.iter().zip(&ports) {
        assert_eq!(nodes[name].base, format!("http://127.0.0.1:{port}"));
    }

    // Once federated, each node gets a year of monthly scorecard snapshots
    // and Aurelia's report is written as a PDF beside the nodes.
    let report = root.path().join("demo").join("scorecard-report.pdf");
    let until = Instant::now() + Duration::from_secs(180);
    while !said().contains("scorecard: a year of monthly snapshots") {
        assert!(Instant::now() < until, "no scorecard history: {}", said());
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(std::fs::read(&report).unwrap().starts_with(b"%PDF-"));

    // Who is who, and which agreement is the bilateral one (from Aurelia's node).
    let partners = nodes["Aurelia"].api("/api/v1/partners");
    let id_of = |name: &str| -> String {
        let p = partners["partners"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{name}: {partners}"));
        p["id"].as_str().unwrap().to_owned()
    };
    let ids: BTreeMap<&str, String> = NATIONS.iter().map(|n| (*n, id_of(n))).collect();
    let agreements = nodes["Aurelia"].api("/api/v1/agreements");
    let by_parties = |n: usize| -> String {
        let a = agreements["agreements"].as_array().unwrap().iter().find(|a| a["parties"].as_array().unwrap().len() == n && a["title"] != EXERCISE_PROGRAMME);
        let a = a.unwrap_or_else(|| panic!("no agreement of {n} parties: {agreements}"));
        assert_eq!(a["state"], "in-force", "{a}");
        a["id"].as_str().unwrap().to_owned()
    };
    let (bilateral, trilateral) = (by_parties(2), by_parties(3));
    assert_ne!(bilateral, trilateral);

    // Each nation's node holds its own twelve monthly snapshots, a month
    // apart, and they measure a year: on each node at least ten of the
    // twelve give every nation a composite, and the composites move over
    // the year. (Only the node's own snapshots: its partners' arrive by
    // sync at their own pace.)
    for name in NATIONS {
        let state = nodes[name].api(&format!("/api/v1/agreements/{trilateral}/modules/scorecard"));
        let own: Vec<&Value> = state["state"]["snapshots"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["note"].as_str().is_some_and(|n| n.starts_with("history")) && s["author"] == ids[name].as_str())
            .collect();
        assert_eq!(own.len(), 12, "{name}: {state}");
        let measured = own.iter().filter(|s| s["composites"].as_object().is_some_and(|c| c.len() == 3 && c.values().all(Value::is_f64))).count();
        assert!(measured >= 10, "{name}: {measured} of 12 months give every nation a composite: {:?}", own.iter().map(|s| &s["composites"]).collect::<Vec<_>>());
        for party in NATIONS.map(|n| ids[n].as_str()) {
            let mut values: Vec<String> = own.iter().filter_map(|s| s["composites"][party].as_f64()).map(|v| format!("{v:.4}")).collect();
            values.sort();
            values.dedup();
            assert!(values.len() >= 2, "{name}: {party}'s composite is flat over the year: {values:?}; last month: {}", own[11]["parties"]);
        }
        println!("demo: {name}'s year of scorecard history: {:?}", own.iter().map(|s| s["composites"].to_string()).collect::<Vec<_>>());
    }

    // Two shared objectives, adopted, with progress reported over time, on each nation's node.
    let mut seen = Vec::new();
    for name in NATIONS {
        let state = nodes[name].api(&format!("/api/v1/agreements/{trilateral}/modules/objectives"));
        let objectives = state["state"]["objectives"].as_array().unwrap_or_else(|| panic!("{name}: {state}"));
        assert_eq!(objectives.len(), 2, "{name}: {state}");
        for o in objectives {
            assert_eq!(o["stage"], "adopted", "{name}: {o}");
            assert!(o["status"].is_string() && o["progress"].as_f64().unwrap() > 0.0, "{name}: {o}");
            for k in o["kpis"].as_array().unwrap() {
                assert_eq!(k["history"].as_array().map(Vec::len), Some(3), "{name}: {k}");
            }
        }
        seen.push(objectives.iter().map(|o| (o["title"].clone(), o["progress"].clone(), o["status"].clone())).collect::<Vec<_>>());
    }
    println!("demo: objectives on each node: {:?}", seen[0]);
    // A dispute in mediation, its first two stages lapsed, on each nation's node.
    for name in NATIONS {
        let state = nodes[name].api(&format!("/api/v1/agreements/{trilateral}/modules/disputes"));
        let d = &state["state"]["disputes"][0];
        assert_eq!(d["stage"], "mediation", "{name}: {state}");
        assert_eq!(d["proposals"].as_array().map(Vec::len), Some(1), "{name}: {state}");
    }
    println!("demo: a dispute in mediation on each node");
    // A year of the resources ledger: the same balances on each nation's
    // node, Borealis over its share and Caledonia under; a joint project
    // funded, a capacity-building request matched, committed and delivered.
    let mut ledgers = Vec::new();
    for name in NATIONS {
        let state = nodes[name].api(&format!("/api/v1/agreements/{trilateral}/modules/resources"));
        let year = &state["state"]["periods"][0];
        let position = |n: &str| year["parties"].as_array().and_then(|p| p.iter().find(|x| x["party"] == ids[n].as_str())).map(|x| x["position"].clone());
        assert_eq!((position("Borealis"), position("Caledonia")), (Some(Value::from("over")), Some(Value::from("under"))), "{name}: {year}");
        let statuses: Vec<&str> = state["state"]["ledger"].as_array().unwrap().iter().filter_map(|e| e["status"].as_str()).collect();
        assert!(statuses.contains(&"awaiting-confirmation") && statuses.iter().filter(|s| **s == "confirmed").count() >= 9, "{name}: {statuses:?}");
        let project = &state["state"]["projects"][0];
        assert_eq!((project["funded"].as_f64(), project["milestones_done"].as_u64()), (Some(290000.0), Some(2)), "{name}: {project}");
        let request = &state["state"]["requests"][0];
        assert_eq!((request["matched"].as_f64(), request["committed"].as_f64(), request["delivered"].as_f64()), (Some(1500.0), Some(1500.0), Some(1500.0)), "{name}: {request}");
        ledgers.push((state["state"]["balances"].clone(), year.clone()));
    }
    assert!(ledgers.iter().all(|l| *l == ledgers[0]), "the nodes derive different balances");
    println!("demo: the resources ledger, Borealis over its share and Caledonia under, on each node");
    // A finished exercise under the exercise programme, its lessons, the
    // same after-action report on each node; the inject to Borealis alone.
    let mut reports = Vec::new();
    for name in NATIONS {
        let list = nodes[name].api("/api/v1/agreements");
        let programme = list["agreements"].as_array().unwrap().iter().find(|a| a["title"] == EXERCISE_PROGRAMME).unwrap_or_else(|| panic!("{name}: {list}"));
        let state = nodes[name].api(&format!("/api/v1/agreements/{}/modules/exercises", programme["id"].as_str().unwrap()));
        let x = &state["state"]["exercises"][0];
        assert_eq!(x["status"], "ended", "{name}: {state}");
        let mut lessons: Vec<&str> = x["aar"]["lessons"].as_array().unwrap().iter().map(|l| l["status"].as_str().unwrap()).collect();
        lessons.sort();
        assert_eq!(lessons, ["action-planned", "learned"], "{name}: {state}");
        let first = x["injects"][0]["status"].as_str().unwrap();
        assert_eq!(first, if name == "Caledonia" { "for-others" } else { "released" }, "{name}: {state}");
        reports.push(x["aar"].clone());
        // A running exchange programme and a course with seats, under the same agreement.
        let ex = nodes[name].api(&format!("/api/v1/agreements/{}/modules/exchanges", programme["id"].as_str().unwrap()))["state"].clone();
        assert_eq!(ex["placements"][0]["status"], "running", "{name}: {ex}");
        assert_eq!(ex["courses"][0]["remaining"], 10, "{name}: {ex}");
    }
    assert!(reports.iter().all(|r| *r == reports[0]), "the nodes derive different after-action reports: {reports:?}");
    println!("demo: a finished exercise with a lesson learned, the same report on each node");
    crate::crisis::demo_crisis(&|n: &str, path: &str| nodes[n].api(path));
    assert!(seen.iter().all(|s| *s == seen[0]), "the nodes derive different objectives: {seen:?}");
    // A joint statement, approved by each nation on its own node, published on each.
    for name in NATIONS {
        let state = nodes[name].api(&format!("/api/v1/agreements/{trilateral}/modules/statements"));
        let list = state["state"]["statements"].as_array().unwrap_or_else(|| panic!("{name}: {state}"));
        assert_eq!(list.len(), 1, "{name}: {state}");
        assert_eq!(list[0]["stage"], "published", "{name}: {}", list[0]);
        assert_eq!(list[0]["signers"].as_array().map(|s| s.iter().filter(|x| x["approved"] == true).count()), Some(3), "{name}: {}", list[0]);
        // And on the node's public page, signed out, every signature checked there.
        let id = list[0]["id"].as_str().unwrap();
        let public = |path: &str| reqwest::blocking::get(format!("{}{path}", nodes[name].base)).unwrap().text().unwrap();
        assert!(public("/public/statements").contains(&format!("/public/statements/{id}")), "{name}: not on the public page");
        let page = public(&format!("/public/statements/{id}"));
        assert_eq!(page.matches("signature verified by this node").count(), 4, "{name}: {page}");
    }
    // The dialogue on each nation's node: a populated channel, the senior
    // dialogue's minutes agreed (each nation approved on its own node),
    // open action items; the bilateral channel on its parties' nodes alone.
    for name in NATIONS {
        let d = nodes[name].api(&format!("/api/v1/agreements/{trilateral}/modules/dialogue"))["state"].clone();
        let desk = &d["channels"][0];
        assert!(desk["messages"].as_array().unwrap().len() >= 3, "{name}: {d}");
        assert_eq!(d["meetings"][0]["minutes_status"], "agreed", "{name}: {d}");
        assert_eq!(d["meetings"][0]["approved_by"].as_array().unwrap().len(), 3, "{name}: {d}");
        let open = d["action_items"].as_array().unwrap().iter().filter(|i| i["status"] != "closed").count();
        assert!(open >= 2, "{name}: {d}");
        assert_eq!(d["cadence"][0]["meeting_type"], "senior-dialogue", "{name}: {d}");
        let r = reqwest::blocking::Client::new()
            .get(format!("{}/api/v1/agreements/{bilateral}/modules/dialogue", nodes[name].base))
            .bearer_auth(&nodes[name].token)
            .send()
            .unwrap();
        if name == "Caledonia" {
            assert_eq!(r.status().as_u16(), 404, "Caledonia reads the bilateral dialogue");
        } else {
            let d: Value = r.json().unwrap();
            assert_eq!(d["state"]["channels"][0]["messages"].as_array().unwrap().len(), 2, "{name}: {d}");
        }
    }

    // Each node holds objects of both other nations.
    let mut held: BTreeMap<(&str, &str), BTreeSet<String>> = BTreeMap::new();
    for x in NATIONS {
        for y in NATIONS.iter().filter(|y| **y != x) {
            let got = nodes[x].held_from(&ids[y]);
            assert!(!got.is_empty(), "{x} holds nothing of {y}'s");
            held.insert((x, y), got);
        }
    }
    // Arrivals spread over the last 90 days (the demo writes them as
    // history, each day's pulled that day): on Borealis's node, what came
    // from Aurelia arrived on at least 60 distinct days of the 90. A day
    // had arrivals when the first version added after its start is not the
    // first added after the next day's start.
    let day = 86_400_i64;
    let today = model::Timestamp::now().micros() / 1_000_000 / day * day;
    let first_after = |t: i64| -> Value {
        let at = model::Timestamp::from_micros(t * 1_000_000);
        let page = nodes["Borealis"].api(&format!("/api/v1/objects?author={}&versions=all&limit=1&added_after={at}", ids["Aurelia"]));
        page["objects"].get(0).cloned().unwrap_or(Value::Null)
    };
    let starts: Vec<Value> = (0..=90).map(|d| first_after(today - (90 - d) * day)).collect();
    let days = starts.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(days >= 60, "what Borealis received from Aurelia arrived on {days} of the last 90 days");
    println!("demo: Borealis received Aurelia's objects on {days} of the last 90 days");
    // Each nation shares observed-data with their SCOs: Aurelia's reach
    // Borealis's node, and what each refers to can be read there.
    let observed = nodes["Borealis"].api(&format!("/api/v1/objects?author={}&type=observed-data&limit=1000", ids["Aurelia"]));
    let observed = observed["objects"].as_array().unwrap();
    assert!(observed.len() >= 3, "Borealis holds {} observed-data of Aurelia's", observed.len());
    for o in observed {
        let refs = o["object_refs"].as_array().unwrap();
        assert!(!refs.is_empty(), "{o}");
        for r in refs {
            let sco = nodes["Borealis"].api(&format!("/api/v1/objects/{}", r.as_str().unwrap()));
            assert!(sco["value"].is_string() || sco["hashes"].is_object(), "{sco}");
        }
    }
    // Each nation wrote reports on what it shared under the trilateral
    // agreement; each other node holds them, with what they refer to.
    for x in NATIONS {
        for y in NATIONS.iter().filter(|y| **y != x) {
            let reports = nodes[x].api(&format!("/api/v1/objects?author={}&type=report&limit=1000", ids[y]));
            let reports = reports["objects"].as_array().unwrap();
            assert!(reports.len() >= 3, "{x} holds {} reports of {y}'s", reports.len());
            for r in reports {
                let refs: Vec<&str> = r["object_refs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
                // Some it refers to may be marked above what reaches x (the
                // page shows those as not available): most reach it.
                let reached = refs.iter().filter(|id| held[&(x, *y)].contains(**id)).count();
                let distinct: BTreeSet<&str> = refs.iter().copied().collect();
                assert!(distinct.len() == refs.len() && reached * 2 >= refs.len(), "{x} holds {reached} of the {} objects {y}'s report refers to: {r}", refs.len());
            }
        }
    }
    // What Aurelia and Borealis shared under their bilateral agreement
    // reached each other and not Caledonia; what they shared under the
    // trilateral one reached Caledonia too.
    for (author, partner) in [("Aurelia", "Borealis"), ("Borealis", "Aurelia")] {
        let bi = nodes[author].shared_under(&bilateral, &ids[author]);
        let tri = nodes[author].shared_under(&trilateral, &ids[author]);
        assert!(!bi.is_empty() && !tri.is_empty(), "{author} shared {} under the bilateral, {} under the trilateral", bi.len(), tri.len());
        let to_caledonia = &held[&("Caledonia", author)];
        let leaked: Vec<&String> = bi.difference(&tri).filter(|id| to_caledonia.contains(*id)).collect();
        let mut partner_got = bi.intersection(&held[&(partner, author)]);
        println!("demo: {author}: {} bilateral, {} trilateral; {partner} holds {} of them, Caledonia {}", bi.len(), tri.len(), held[&(partner, author)].len(), to_caledonia.len());
        assert!(leaked.is_empty(), "Caledonia received {} of {author}'s bilateral-only objects: {:?}", leaked.len(), &leaked[..leaked.len().min(5)]);
        assert!(bi.is_disjoint(&tri), "each object goes under one agreement");
        assert!(partner_got.next().is_some(), "{partner} received none of {author}'s bilateral objects");
        assert!(to_caledonia.is_subset(&tri), "Caledonia holds {author}'s objects not shared under the trilateral agreement");
    }

    // Each nation has a liaison's and an analyst's token on its own node,
    // each with its role.
    assert_eq!(people.len(), 3, "{people:?}");
    // (Proposing an agreement with no terms: the analyst is refused for
    // its role, the liaison passes that check and is refused for the terms.)
    for (name, (liaison, analyst)) in NATIONS.iter().zip(&people) {
        for (token, role, want) in [(liaison, "liaison", 400), (analyst, "analyst", 403)] {
            let r = reqwest::blocking::Client::new()
                .post(format!("{}/api/v1/agreements", nodes[name].base))
                .bearer_auth(token)
                .json(&serde_json::json!({}))
                .send()
                .unwrap();
            let status = r.status().as_u16();
            assert_eq!(status / 100, 4, "{name}'s {role}: {status}");
            assert_eq!(status == 403, want == 403, "{name}'s {role}: {status} {}", r.text().unwrap_or_default());
        }
    }
    // The "try this" walk: Borealis's indicator opens on Aurelia's node, and
    // the observations file the demo wrote finds every nation's indicator.
    let url = indicator_url.expect("an indicator to open");
    let id = url.rsplit('/').next().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/intel/indicator--", nodes["Aurelia"].base)), "{url}");
    let analyst = Node { base: nodes["Aurelia"].base.clone(), token: people[0].1.clone() };
    let indicator = analyst.api(&format!("/api/v1/objects/{id}"));
    assert_eq!(indicator["created_by_ref"], ids["Borealis"].as_str(), "{indicator}");
    let file = root.path().join(observations.expect("an observations file"));
    let body = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/api/v1/detect", analyst.base))
        .bearer_auth(&analyst.token)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .unwrap();
    assert!(r.status().is_success(), "detect: {}", r.status());
    let found: Value = r.json().unwrap();
    let hit: BTreeSet<&str> = found["hits"].as_array().unwrap().iter().map(|h| h["indicator"].as_str().unwrap()).collect();
    assert!(hit.contains(id.as_str()), "Borealis's indicator not hit: {found}");
    assert!(hit.len() >= 3, "one indicator of each nation at least: {found}");

    // The value every nation reported correlates across all three.
    let (url, token) = example.expect("an example curl line");
    let c: Value = reqwest::blocking::Client::new().get(&url).bearer_auth(&token).send().unwrap().json().unwrap();
    let reporters: BTreeSet<&str> = c["partners"].as_array().unwrap().iter().map(|p| p["partner"].as_str().unwrap()).collect();
    let all: BTreeSet<&str> = ids.values().map(String::as_str).collect();
    assert_eq!(reporters, all, "{c}");

    // Kill Borealis's server outright: the demo says so, restarts it, and
    // the node comes back holding what it held.
    let borealis_dir = root.path().join("demo").join("borealis");
    let pid = std::fs::read_to_string(borealis_dir.join("serve.pid")).unwrap();
    let status = Command::new("kill").args(["-KILL", pid.trim()]).status().unwrap();
    assert!(status.success(), "kill -KILL {pid}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !said().contains("Borealis's server") || !said().contains("restarting it") {
        assert!(Instant::now() < deadline, "the demo did not restart Borealis's server: {}", said());
        assert!(demo.0.try_wait().unwrap().is_none(), "the demo stopped when one server died: {}", said());
        std::thread::sleep(Duration::from_millis(50));
    }
    let healthz = format!("{}/healthz", nodes["Borealis"].base);
    while !reqwest::blocking::get(&healthz).is_ok_and(|r| r.status().is_success()) {
        assert!(Instant::now() < deadline, "Borealis's server did not come back: {}", said());
        std::thread::sleep(Duration::from_millis(100));
    }
    let new_pid = std::fs::read_to_string(borealis_dir.join("serve.pid")).unwrap();
    assert_ne!(new_pid, pid, "serve.pid names the new server");
    assert_eq!(nodes["Borealis"].held_from(&ids["Aurelia"]), held[&("Borealis", "Aurelia")], "Borealis lost objects in the crash");

    // Ctrl-C: the demo stops its servers and exits 0.
    signal(&demo.0, "-INT");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = demo.0.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "the demo did not stop on SIGINT: {}", said());
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}: {}", said());
    for port in &ports {
        assert!(std::net::TcpStream::connect(("127.0.0.1", *port)).is_err(), "a server still listens on {port}");
    }
    let log = said();
    assert!(log.contains("stopped") && !log.contains("panicked"), "{log}");
    for n in NATIONS {
        let serve_log = std::fs::read_to_string(root.path().join("demo").join(n.to_lowercase()).join("serve.log")).unwrap();
        assert!(!serve_log.contains("panicked"), "{n}: {serve_log}");
        assert!(!serve_log.contains("data open to other users"), "the demo made {n}'s data dir open to others: {serve_log}");
    }
}
