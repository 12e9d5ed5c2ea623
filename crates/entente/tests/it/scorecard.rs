//! The partnership scorecard across sovereign nodes: Aurelia and Borealis
//! each compute the scorecard of their bilateral agreement on their own
//! node, from the objects, sightings and opinions each holds; the figures
//! both can compute come out the same, those only the recipient's node can
//! (timeliness) are absent on the author's; an object the release decision
//! keeps from Borealis (TLP:RED naming nobody) and exercise data are never
//! counted; a snapshot Aurelia records reaches Borealis's node with its
//! figures; Caledonia, no party, gets 404 from the REST endpoint.

use serde_json::{json, Value};

use crate::nodes::{object, three_nations, AMBER, Node, RED};

/// `node` pulls once from each of its peers (their servers reread
/// agreements at least every second).
fn sync(node: &Node) {
    std::thread::sleep(std::time::Duration::from_millis(1100));
    node.ok(&["sync"]);
}

fn terms(parties: &[&str]) -> Value {
    json!({
        "title": "A-B", "purpose": "share and assess", "party_refs": parties,
        "scope": {"object_types": [], "labels": [], "data_kind": "both"}, "tlp_ceiling": "amber",
        "handling": {"reshare": "none", "attribution": "required", "permitted_actions": []},
        "valid_from": "2020-01-01T00:00:00Z",
        "release_within_hours": 24,
    })
}

fn reaction(n: u32, ty: &str, by: &str, of: &str) -> Value {
    let mut o = json!({"type": ty, "spec_version": "2.1", "id": format!("{ty}--00000000-0000-4000-8000-{n:012}"),
        "created": "2026-01-05T00:00:00Z", "modified": "2026-01-05T00:00:00Z", "created_by_ref": by, "object_marking_refs": [AMBER]});
    match ty {
        "sighting" => o["sighting_of_ref"] = json!(of),
        _ => {
            o["opinion"] = json!("strongly-disagree");
            o["object_refs"] = json!([of]);
        }
    }
    o
}

/// The scorecard on `node` as its partner sees it, over ten years, at `at`
/// (default now).
fn card(node: &Node, agreement: &str, at: Option<&str>) -> Value {
    let mut args = vec!["scorecard", "--window", "3650"];
    if let Some(at) = at {
        args.extend(["--at", at]);
    }
    args.push(agreement);
    serde_json::from_str(&node.ok(&args)).unwrap()
}

fn pair<'a>(card: &'a Value, from: &str, to: &str, indicator: &str) -> &'a Value {
    let p = card["pairs"].as_array().unwrap().iter().find(|p| p["from"] == from && p["to"] == to).unwrap();
    p["figures"].as_array().unwrap().iter().find(|f| f["indicator"] == indicator).unwrap()
}

fn trust(card: &Value, from: &str, to: &str) -> Value {
    card["pairs"].as_array().unwrap().iter().find(|p| p["from"] == from && p["to"] == to).unwrap()["trust"].clone()
}

#[test]
fn two_parties_nodes_compute_the_same_figures_and_count_nothing_the_viewer_may_not_see() {
    let root = tempfile::tempdir().unwrap();
    let nodes = three_nations(root.path());
    let [a, b, c] = &nodes;
    std::fs::write(a.dir.join("ab.json"), terms(&[&a.id, &b.id]).to_string()).unwrap();
    let ab = a.ok(&["agreement", "propose", "--as", &a.id, "ab.json"]);
    a.ok(&["agreement", "ratify", "--as", &a.id, &ab]);
    sync(b);
    b.ok(&["agreement", "ratify", "--as", &b.id, &ab]);
    sync(a);

    // Aurelia gives six objects, one exercise object and one TLP:RED object
    // naming nobody (kept from Borealis by the release decision); Borealis
    // gives five.
    let given: Vec<Value> = (1..=6).map(|n| object(n, &a.id, "malware", AMBER)).collect();
    let mut exercise = object(7, &a.id, "malware", AMBER);
    exercise["labels"] = json!(["x-entente-exercise"]);
    let red = object(8, &a.id, "malware", RED);
    a.import("Aurelia", Some(&ab), &[given.clone(), vec![exercise.clone(), red.clone()]].concat());
    b.import("Borealis", Some(&ab), &(11..=15).map(|n| object(n, &b.id, "malware", AMBER)).collect::<Vec<_>>());
    sync(b);
    // Borealis sights four of Aurelia's objects and the exercise one, and
    // calls a fifth a false positive.
    let id = |o: &Value| o["id"].as_str().unwrap().to_owned();
    let mut reactions: Vec<Value> = (0..4).map(|i| reaction(21 + i as u32, "sighting", &b.id, &id(&given[i]))).collect();
    reactions.push(reaction(25, "sighting", &b.id, &id(&exercise)));
    reactions.push(reaction(26, "opinion", &b.id, &id(&given[4])));
    b.import("Borealis", Some(&ab), &reactions);
    sync(a);
    assert!(!b.stored().contains(&id(&red)), "the RED object reached Borealis's node");

    // Both at the same time: trust decays with age.
    let on_a = card(a, &ab, None);
    let on_b = card(b, &ab, on_a["at"].as_str());
    // Aurelia→Borealis: six given, five back: 1 − 1/11; four of six sighted;
    // four sightings, one false positive; five of six answered in 14 days.
    let expect = [("reciprocity", 11, 1.0 - 1.0 / 11.0), ("actionability", 6, 4.0 / 6.0), ("accuracy", 5, 0.8), ("feedback", 6, 5.0 / 6.0)];
    for (card, node) in [(&on_a, "Aurelia"), (&on_b, "Borealis")] {
        for (indicator, n, value) in expect {
            let f = pair(card, &a.id, &b.id, indicator);
            assert_eq!(f["status"], "measured", "{node} {indicator}: {f}");
            assert_eq!(f["n"], n, "{node} {indicator}: {f}");
            assert!((f["value"].as_f64().unwrap() - value).abs() < 1e-9, "{node} {indicator}: {f}");
            let evidence = f["evidence"].to_string();
            assert!(!evidence.contains(&id(&red)) && !evidence.contains(&id(&exercise)), "{node} {indicator} counted what it may not: {f}");
        }
        assert!(card["exercise_set_aside"].as_u64().unwrap() >= 1, "{node}: {}", card["exercise_set_aside"]);
    }
    // The same figures, interval and trust on both nodes.
    for indicator in ["reciprocity", "actionability", "accuracy", "feedback"] {
        assert_eq!(pair(&on_a, &a.id, &b.id, indicator), pair(&on_b, &a.id, &b.id, indicator), "{indicator}");
    }
    assert_eq!(trust(&on_a, &a.id, &b.id), trust(&on_b, &a.id, &b.id));
    // Timeliness needs the recipient's clock: absent on Aurelia's node,
    // measured on Borealis's (arrived months after created: none in 24 h).
    assert_eq!(pair(&on_a, &a.id, &b.id, "timeliness")["status"], "absent");
    let t = pair(&on_b, &a.id, &b.id, "timeliness");
    assert_eq!((t["status"].as_str(), t["n"].as_u64(), t["value"].as_f64()), (Some("measured"), Some(6), Some(0.0)), "{t}");
    // No compliance source: absent, never a made-up 1.
    assert_eq!(pair(&on_a, &a.id, &b.id, "compliance")["status"], "absent");
    println!(
        "scorecard: A→B reciprocity {} actionability {} accuracy {} feedback {}, trust {} on both nodes",
        pair(&on_a, &a.id, &b.id, "reciprocity")["value"],
        pair(&on_a, &a.id, &b.id, "actionability")["value"],
        pair(&on_a, &a.id, &b.id, "accuracy")["value"],
        pair(&on_a, &a.id, &b.id, "feedback")["value"],
        trust(&on_a, &a.id, &b.id)["value"]
    );

    // Aurelia records a snapshot; it reaches Borealis's node as a record
    // of the module `scorecard`, with the figures Aurelia's node computed.
    let record: Value = serde_json::from_str(&a.ok(&["scorecard", "--window", "3650", "--snapshot", &ab])).unwrap();
    assert_eq!(record["type"], "x-entente-scorecard-snapshot", "{record}");
    sync(b);
    let state: Value = serde_json::from_str(&b.ok(&["module", "state", &ab, "scorecard"])).unwrap();
    let snaps = state["state"]["snapshots"].as_array().unwrap();
    assert_eq!(snaps.len(), 1, "{state}");
    assert_eq!((snaps[0]["id"].as_str(), snaps[0]["author"].as_str()), (record["id"].as_str(), Some(a.id.as_str())), "{state}");
    let shared = snaps[0]["pairs"].as_array().unwrap().iter().find(|p| p["from"] == a.id.as_str() && p["to"] == b.id.as_str()).unwrap();
    assert!((shared["figures"]["accuracy"].as_f64().unwrap() - 0.8).abs() < 1e-9, "{shared}");
    // Aurelia's report compares with its snapshot; Borealis's, which has
    // none of its own, says so (Aurelia's is Aurelia's view, not its own).
    let html = a.dir.join("report.html");
    let out = crate::entente(&a.dir, &["scorecard", "--window", "3650", "--report", html.to_str().unwrap(), &ab]);
    assert!(out.status.success(), "{}", crate::stderr(&out));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains(&format!("snapshot {}", record["id"].as_str().unwrap())), "{page}");
    assert!(page.contains("What changed since the last review") && page.contains("Indicators per party"), "{page}");
    let pdf = b.dir.join("report.pdf");
    let out = crate::entente(&b.dir, &["scorecard", "--window", "3650", "--report", pdf.to_str().unwrap(), &ab]);
    assert!(out.status.success(), "{}", crate::stderr(&out));
    assert!(crate::stderr(&out).contains("no earlier snapshot"), "{}", crate::stderr(&out));
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    // Caledonia, no party, pulls from both and never holds it.
    sync(c);
    assert!(!c.ok(&["export"]).contains(record["id"].as_str().unwrap()), "the snapshot reached Caledonia");

    // The REST endpoint: the same card for Aurelia; 400 naming a bad
    // window; 404 for Caledonia, no party, on its own node.
    let http = reqwest::blocking::Client::new();
    let get = |node: &Node, partner: &str, query: &str| {
        let token = node.token_for(partner, "viewer");
        http.get(format!("http://127.0.0.1:{}/api/v1/agreements/{ab}/scorecard{query}", node.port)).bearer_auth(token).send().unwrap()
    };
    let r = get(a, "Aurelia", "?window=3650");
    assert_eq!(r.status(), 200);
    let rest: Value = r.json().unwrap();
    assert_eq!(pair(&rest, &a.id, &b.id, "reciprocity"), pair(&on_a, &a.id, &b.id, "reciprocity"));
    let r = get(a, "Aurelia", "?window=0");
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains("window"));
    assert_eq!(get(c, "Caledonia", "").status(), 404);
    let out = crate::entente(&c.dir, &["scorecard", &ab]);
    assert!(!out.status.success() && crate::stderr(&out).contains("no such agreement"), "{}", crate::stderr(&out));
}
