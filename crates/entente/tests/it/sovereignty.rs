//! Sovereignty across hops: three nodes, Aurelia (A), Borealis (B) and
//! Caledonia (C), with agreements A–B and B–C only. What A writes reaches C
//! only when the A–B agreement it came under lets B share it on, and B
//! chose to; TLP:RED goes only to those it names; an agreement not ratified
//! by all its parties moves nothing; signatures let C check that what B
//! passes on is what A wrote. Then A recalls an object and withdraws an
//! agreement: the recall reaches B and C in one round each, and B stops
//! passing on what came under the withdrawn agreement.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

use crate::nodes::{federate, object, ok, three_nations, AMBER, Node, RED};

/// One sync round on a node, with every peer; the reports by peer id. A
/// node's server rereads agreements at least every second
/// (`release::INDEX_TTL`): records a command line just stored count by then.
fn sync(dir: &Path) -> Vec<Value> {
    std::thread::sleep(Duration::from_millis(1100));
    ok(dir, &["sync"]).lines().map(|l| serde_json::from_str(l.split_once(' ').unwrap().1).unwrap()).collect()
}

fn bundle(objects: &[Value]) -> String {
    json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": objects}).to_string()
}

/// Imports objects on a node as its partner, shared under `agreement` (if any).
fn share(dir: &Path, name: &str, objects: &[Value], agreement: Option<&str>) {
    let file = format!("{}.json", objects[0]["id"].as_str().unwrap().replace("--", "-"));
    std::fs::write(dir.join(&file), bundle(objects)).unwrap();
    let mut args = vec!["import", "--as", name];
    if let Some(a) = agreement {
        args.extend(["--share", a]);
    }
    args.push(&file);
    ok(dir, &args);
}

fn ids(objects: &[Value]) -> Vec<String> {
    objects.iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect()
}

/// Proposes terms on `proposer`'s node and ratifies them there.
fn propose(dir: &Path, name: &str, terms: &Value) -> String {
    let file = format!("terms-{}.json", terms["title"].as_str().unwrap());
    std::fs::write(dir.join(&file), terms.to_string()).unwrap();
    let id = ok(dir, &["agreement", "propose", "--as", name, &file]);
    ok(dir, &["agreement", "ratify", "--as", name, &id]);
    id
}

fn terms(title: &str, parties: &[&str], reshare: &str, ceiling: &str) -> Value {
    json!({
        "title": title, "purpose": "share malware analysis", "party_refs": parties,
        "scope": {"object_types": ["malware"], "labels": [], "data_kind": "real"}, "tlp_ceiling": ceiling,
        "handling": {"reshare": reshare, "attribution": "required", "permitted_actions": []},
        "valid_from": "2020-01-01T00:00:00Z"
    })
}

/// The test's objects on a node.
fn ours(dir: &Path) -> Vec<String> {
    let bundle: Value = serde_json::from_str(&ok(dir, &["export"])).unwrap();
    let ids = bundle["objects"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_owned());
    ids.filter(|id| id.starts_with("malware--00000000-0000-4000-8000-")).collect()
}

/// Counts what a node holds beyond and short of what it should.
fn check(dir: &Path, expected: &[String]) -> (usize, usize) {
    let on = ours(dir);
    let leaked: Vec<&String> = on.iter().filter(|id| !expected.contains(id)).collect();
    let missing: Vec<&String> = expected.iter().filter(|id| !on.contains(id)).collect();
    assert!(leaked.is_empty() && missing.is_empty(), "{}: leaked {leaked:?}, missing {missing:?}", dir.display());
    (leaked.len(), missing.len())
}

/// What a node's TAXII server releases to a partner holding `token`.
fn served(port: u16, token: &str) -> Vec<String> {
    let url = format!("http://127.0.0.1:{port}/taxii2/root/collections/9f8b6c2e-5d4a-4e1b-8c3f-2a7d6e5b4c31/objects/?match[version]=all");
    let v: Value = reqwest::blocking::Client::new()
        .get(url)
        .header("Accept", "application/taxii+json;version=2.1")
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(v.get("http_status").is_none(), "{v}");
    v["objects"].as_array().map(|a| a.iter().map(|o| format!("{}@{}", o["id"].as_str().unwrap(), o["modified"].as_str().unwrap_or(""))).collect()).unwrap_or_default()
}

#[test]
fn three_nodes_share_only_what_agreements_and_handling_rules_allow() {
    three_nodes(false);
}

/// The same with Borealis's node on PostgreSQL beside two on SQLite: the
/// re-sharer's release decisions, its retention sweep and its pulls on the
/// other backend, and sync across backends both ways.
#[test]
fn three_nodes_with_borealis_on_postgresql_share_only_what_agreements_allow() {
    three_nodes(true);
}

fn three_nodes(borealis_on_postgres: bool) {
    let root = tempfile::tempdir().unwrap();
    let mut nodes = ["Aurelia", "Borealis", "Caledonia"].map(|n| Node::init_on(root.path(), n, borealis_on_postgres && n == "Borealis"));
    assert_eq!(nodes[1].dir.join("entente-data/entente.db").exists(), !borealis_on_postgres);
    for n in &mut nodes {
        n.serve(0, &[]);
    }
    // Every node knows every partner by its identity and key (exchanged out
    // of band, as a coalition does: C can check A's signatures), and pulls
    // from every other (A and C have no agreement in force: nothing moves).
    federate(&[&nodes[0], &nodes[1], &nodes[2]]);
    let (a, b, c) = (&nodes[0].dir, &nodes[1].dir, &nodes[2].dir);
    let (a_id, b_id, c_id) = (nodes[0].id.clone(), nodes[1].id.clone(), nodes[2].id.clone());
    let ports = [nodes[0].port, nodes[1].port, nodes[2].port];
    // The token Borealis's node issued to Caledonia.
    let c_at_b = std::fs::read_to_string(c.join("borealis.token")).unwrap();

    // A–B "open" lets B share on under its own agreements; A–B "closed"
    // forbids it; B–C; and A–C, which Caledonia never ratifies.
    // What came under A–B open may be kept one day after it ends.
    let mut open_terms = terms("AB-open", &[&a_id, &b_id], "recipient-agreements", "red");
    open_terms["handling"]["retention_days"] = json!(1);
    let open = propose(a, "Aurelia", &open_terms);
    let closed = propose(a, "Aurelia", &terms("AB-closed", &[&a_id, &b_id], "none", "amber"));
    let unratified = propose(a, "Aurelia", &terms("AC", &[&a_id, &c_id], "recipient-agreements", "amber"));
    let bc = propose(b, "Borealis", &terms("BC", &[&b_id, &c_id], "none", "amber"));
    sync(b);
    sync(c);
    for ag in [&open, &closed] {
        ok(b, &["agreement", "ratify", "--as", "Borealis", ag]);
    }
    ok(c, &["agreement", "ratify", "--as", "Caledonia", &bc]);
    sync(a);
    sync(b);
    let in_force = |dir: &Path, id: &str| ok(dir, &["agreement", "show", id]).lines().next().unwrap().contains("[in force]");
    for ag in [&open, &closed] {
        assert!(in_force(a, ag) && in_force(b, ag), "{ag} not in force on A and B");
    }
    assert!(in_force(b, &bc) && in_force(c, &bc), "B-C not in force");
    assert!(!in_force(c, &unratified), "A-C is in force without Caledonia's ratification");

    // A's objects, and B's own.
    let by_a = |range: std::ops::RangeInclusive<u32>, marking: &str| -> Vec<Value> { range.map(|n| object(n, &a_id, "malware", marking)).collect() };
    let reshareable = by_a(1..=10, AMBER);
    let closed_objects = by_a(11..=15, AMBER);
    let mut red_b = object(16, &a_id, "malware", RED);
    red_b["extensions"] = json!({"extension-definition--688f5a4e-f584-4d8d-b75b-5ea93dc770be": {"extension_type": "property-extension", "recipient_refs": [b_id]}});
    let red_b = vec![red_b];
    let unratified_objects = by_a(17..=19, AMBER);
    let unshared = by_a(20..=20, AMBER);
    let by_b: Vec<Value> = (30..=34).map(|n| object(n, &b_id, "malware", AMBER)).collect();
    share(a, "Aurelia", &reshareable, Some(&open));
    share(a, "Aurelia", &closed_objects, Some(&closed));
    share(a, "Aurelia", &red_b, Some(&open));
    share(a, "Aurelia", &unratified_objects, Some(&unratified));
    share(a, "Aurelia", &unshared, None);
    share(b, "Borealis", &by_b, Some(&bc));

    sync(b);
    // Caledonia pulls B's own objects: its cursors move past everything B
    // holds now.
    sync(c);
    // Borealis then shares on all it received from Aurelia under B–C: they
    // join B–C's collection on dates of their own, so Caledonia's next round
    // finds them, and B's node releases to Caledonia only what the handling
    // rules allow.
    let received_by_b: Vec<String> = [&reshareable, &closed_objects, &red_b].into_iter().flat_map(|o| ids(o)).collect();
    let mut args = vec!["share", "--as", "Borealis", "--agreement", bc.as_str()];
    args.extend(received_by_b.iter().map(String::as_str));
    ok(b, &args);
    sync(c);

    let expect_b: Vec<String> = received_by_b.iter().cloned().chain(ids(&by_b)).collect();
    let expect_c: Vec<String> = ids(&reshareable).into_iter().chain(ids(&by_b)).collect();
    let expect_a: Vec<String> = [&reshareable, &closed_objects, &red_b, &unratified_objects, &unshared].into_iter().flat_map(|o| ids(o)).collect();
    let checked = expect_a.len() + expect_b.len() + expect_c.len();
    let (mut leaked, mut missing) = (0, 0);
    for (dir, expected) in [(&a, &expect_a), (&b, &expect_b), (&c, &expect_c)] {
        let (l, m) = check(dir, expected);
        leaked += l;
        missing += m;
    }
    println!("sovereignty: nodes=3 objects checked={checked} leaked={leaked} missing={missing}");
    // Caledonia keeps Aurelia's signatures with what it received.
    let prov: Value = reqwest::blocking::Client::new()
        .post(format!("http://127.0.0.1:{}/api/v1/provenance", ports[1]))
        .bearer_auth(&c_at_b)
        .json(&json!({"versions": [{"id": reshareable[0]["id"], "version": "2026-01-01T00:00:00Z"}]}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(prov["signatures"][0]["signer"], a_id.as_str(), "{prov}");

    // A recalls object 1: the revoked version reaches B, then C, one round each.
    let mut revoked = reshareable[0].clone();
    revoked["modified"] = json!("2026-03-01T00:00:00Z");
    revoked["revoked"] = json!(true);
    share(a, "Aurelia", std::slice::from_ref(&revoked), None);
    let rb = sync(b);
    assert!(rb.iter().any(|r| r["added"] == 1), "{rb:?}");
    let rc = sync(c);
    assert!(rc.iter().any(|r| r["added"] == 1), "{rc:?}");
    let c_view: Value = serde_json::from_str(&ok(c, &["export", "--for", &c_id])).unwrap();
    let latest: Vec<&Value> = c_view["objects"].as_array().unwrap().iter().filter(|o| o["id"] == revoked["id"]).collect();
    assert!(latest.iter().any(|o| o["revoked"] == true), "the recall did not reach Caledonia: {latest:?}");
    println!("recall: reached B and C in one sync round each");
    // And B's node now serves Caledonia only the revoked version of it.
    let to_c = served(ports[1], &c_at_b);
    let first = revoked["id"].as_str().unwrap();
    assert!(to_c.contains(&format!("{first}@2026-03-01T00:00:00Z")) && !to_c.contains(&format!("{first}@2026-01-01T00:00:00Z")), "{to_c:?}");

    // A withdraws A–B open: B stops passing on what came under it.
    let second = format!("{}@2026-01-01T00:00:00Z", reshareable[1]["id"].as_str().unwrap());
    assert!(to_c.contains(&second));
    // (Effective two days ago, so that its one day of retention is over.)
    let two_days_ago = model::Timestamp::from_micros(model::Timestamp::now().micros() - 2 * 86_400_000_000).to_string();
    ok(a, &["agreement", "withdraw", "--as", "Aurelia", "--effective", &two_days_ago, &open]);
    sync(b);
    std::thread::sleep(Duration::from_millis(1100));
    let to_c = served(ports[1], &c_at_b);
    assert!(!to_c.contains(&second), "B still passes on what came under a withdrawn agreement");
    assert!(ours(b).contains(&reshareable[1]["id"].as_str().unwrap().to_owned()), "the holder keeps it");

    // B's retention sweep logs the withholding and, the day of retention
    // being over, deletes what came under A–B open; a second sweep does nothing.
    let swept: Value = serde_json::from_str(&ok(b, &["retention"])).unwrap();
    let under_open = reshareable.len() + 1 + red_b.len(); // the recall is one more version
    assert_eq!((swept["withheld"].as_u64(), swept["deleted"].as_u64()), (Some(under_open as u64), Some(under_open as u64)), "{swept}");
    let again: Value = serde_json::from_str(&ok(b, &["retention"])).unwrap();
    assert_eq!((again["withheld"].as_u64(), again["deleted"].as_u64()), (Some(0), Some(0)), "{again}");
    let left = ours(b);
    assert!(ids(&reshareable).iter().chain(&ids(&red_b)).all(|id| !left.contains(id)), "{left:?}");
    assert!(ids(&closed_objects).iter().all(|id| left.contains(id)), "what came under A–B closed stays");
    let verified = ok(b, &["audit", "verify"]);
    assert!(verified.contains("2 withheld or deleted") && verified.contains("chain intact"), "{verified}");
    println!("retention: withheld={} deleted={} on B after A–B ended", under_open, under_open);
}

/// A sighting reaches the indicator's author across nodes, and no one else:
/// Aurelia sights Borealis's indicator, received under A–B, on Aurelia's
/// node; after a round Borealis's node holds the sighting and Caledonia's
/// (which pulls from both, under A–C and B–C) does not. The same for the
/// false positive Aurelia's analyst then reports from the indicator's page.
#[test]
fn a_sighting_of_a_received_indicator_reaches_its_author_alone() {
    let root = tempfile::tempdir().unwrap();
    let nodes = three_nations(root.path());
    let (a, b, c) = (&nodes[0].dir, &nodes[1].dir, &nodes[2].dir);
    let (a_id, b_id, c_id) = (nodes[0].id.clone(), nodes[1].id.clone(), nodes[2].id.clone());
    let intel = |title: &str, parties: &[&str]| {
        let mut t = terms(title, parties, "parties-only", "amber");
        t["scope"]["object_types"] = json!(["indicator", "sighting", "opinion"]);
        t
    };
    let ab = propose(b, "Borealis", &intel("AB", &[&a_id, &b_id]));
    let bc = propose(b, "Borealis", &intel("BC", &[&b_id, &c_id]));
    let ac = propose(a, "Aurelia", &intel("AC", &[&a_id, &c_id]));
    sync(a);
    sync(c);
    ok(a, &["agreement", "ratify", "--as", "Aurelia", &ab]);
    for ag in [&bc, &ac] {
        ok(c, &["agreement", "ratify", "--as", "Caledonia", ag]);
    }
    sync(a);
    sync(b);
    let in_force = |dir: &Path, id: &str| ok(dir, &["agreement", "show", id]).lines().next().unwrap().contains("[in force]");
    for (ag, x, y) in [(&ab, a, b), (&bc, b, c), (&ac, a, c)] {
        assert!(in_force(x, ag) && in_force(y, ag), "{ag} not in force on both its parties' nodes");
    }

    // Borealis's indicator reaches Aurelia under A–B.
    let indicator = json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--00000000-0000-4000-8000-000000000001",
        "created_by_ref": b_id, "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "name": "c2 of Borealis",
        "pattern": "[domain-name:value = 'c2.example']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
        "object_marking_refs": [AMBER]});
    share(b, "Borealis", std::slice::from_ref(&indicator), Some(&ab));
    sync(a);
    let ind = indicator["id"].as_str().unwrap();
    assert!(ok(a, &["export"]).contains(ind), "the indicator did not reach Aurelia");

    // Aurelia sights it on its node: under A–B, the agreement it came by.
    let obs = [
        r#"{"type":"domain-name","id":"domain-name--00000000-0000-4000-8000-000000000001","value":"c2.example"}"#,
        r#"{"type":"observed-data","spec_version":"2.1","id":"observed-data--00000000-0000-4000-8000-000000000001","created":"2026-02-01T00:00:00Z","modified":"2026-02-01T00:00:00Z","first_observed":"2026-02-01T00:00:00Z","last_observed":"2026-02-01T00:00:00Z","number_observed":3,"object_refs":["domain-name--00000000-0000-4000-8000-000000000001"]}"#,
    ];
    std::fs::write(a.join("obs.jsonl"), obs.join("\n")).unwrap();
    let hits: Vec<Value> = ok(a, &["detect", "--as", "Aurelia", "--sight", "obs.jsonl"]).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["agreement"], json!(ab), "the hit names the agreement the indicator came by: {hits:?}");
    let sighting = hits[0]["sighting"].as_str().unwrap().to_owned();

    // Aurelia's node would release it to Borealis under A–B, and says why
    // Aurelia holds the indicator.
    let admin = nodes[0].token_for("Aurelia", "admin");
    let release = |id: &str, to: &str| -> Value {
        let url = format!("http://127.0.0.1:{}/api/v1/objects/{id}/release?partner={to}", nodes[0].port);
        reqwest::blocking::Client::new().get(url).bearer_auth(&admin).send().unwrap().json().unwrap()
    };
    let to_b = release(&sighting, &b_id);
    assert_eq!(to_b["versions"][0]["allowed"], true, "{to_b}");
    assert_eq!(to_b["versions"][0]["agreement"], json!(ab), "{to_b}");
    let held = release(ind, &a_id);
    let why = held["versions"][0]["explanation"].as_str().unwrap();
    assert!(why.contains("holds it, received under agreement \"AB\"") && !why.contains("author"), "{why}");

    // After a round each, Borealis's node has the sighting, Caledonia's not.
    sync(b);
    sync(c);
    assert!(ok(b, &["export"]).contains(&sighting), "the sighting did not reach the indicator's author");
    assert!(!ok(c, &["export"]).contains(&sighting), "the sighting reached Caledonia");
    println!("sighting: reached the author's node in one round, not the third party's");

    // Aurelia's analyst finds it a false positive and says so from the
    // indicator's page on Aurelia's node: the opinion reaches Borealis's
    // node, not Caledonia's.
    let pages = crate::dialogue::Pages::sign_in(&nodes[0]);
    let page = format!("/intel/{ind}");
    assert!(pages.get(&page).1.contains("Report a false positive"));
    let (status, to) = pages.post(&page, &format!("{page}/false-positive"), &[("explanation", "a sinkhole since January")]);
    assert_eq!(status, 303, "{to}");
    let opinion = to.trim_start_matches("/intel/").to_owned();
    assert!(opinion.starts_with("opinion--"), "{to}");
    sync(b);
    sync(c);
    let on_b = ok(b, &["export"]);
    assert!(on_b.contains(&opinion) && on_b.contains("False positive: a sinkhole since January"), "the false positive did not reach the indicator's author");
    assert!(!ok(c, &["export"]).contains(&opinion), "the false positive reached Caledonia");
    println!("false positive: reached the author's node in one round, not the third party's");
}

/// Intelligence a partner holds from a source that is not a partner (a
/// vendor's indicator, an address naming no one) travels A → B → C with
/// its source untouched in `created_by_ref`: Aurelia's node vouches for it
/// with Aurelia's signature, Borealis passes it on under B–C, and
/// Caledonia checks Aurelia's signature and keeps it. A partner posting an
/// object in another partner's name is refused on its own node.
#[test]
fn sourced_intelligence_travels_with_its_source_and_its_holders_signature() {
    let root = tempfile::tempdir().unwrap();
    let nodes = three_nations(root.path());
    let (a, b, c) = (&nodes[0].dir, &nodes[1].dir, &nodes[2].dir);
    let (a_id, b_id, c_id) = (nodes[0].id.clone(), nodes[1].id.clone(), nodes[2].id.clone());
    let intel = |title: &str, parties: &[&str]| {
        let mut t = terms(title, parties, "recipient-agreements", "amber");
        t["scope"]["object_types"] = json!(["indicator", "ipv4-addr"]);
        t
    };
    let ab = propose(a, "Aurelia", &intel("AB", &[&a_id, &b_id]));
    let bc = propose(b, "Borealis", &intel("BC", &[&b_id, &c_id]));
    sync(b);
    sync(c);
    ok(b, &["agreement", "ratify", "--as", "Borealis", &ab]);
    ok(c, &["agreement", "ratify", "--as", "Caledonia", &bc]);
    sync(a);
    sync(b);

    let vendor = "identity--5a1e0000-0000-4000-8000-00000000f00d";
    let indicator = json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--5a1e0000-0000-4000-8000-000000000001",
        "created_by_ref": vendor, "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "name": "vendor c2",
        "pattern": "[ipv4-addr:value = '203.0.113.9']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
        "object_marking_refs": [AMBER], "external_references": [{"source_name": "vendor-report", "external_id": "VR-2026-17"}]});
    let address = json!({"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--5a1e0000-0000-4000-8000-000000000002", "value": "203.0.113.9"});
    let post = |node: &Node, partner: &str, path: &str, body: Value| -> Value {
        let token = node.token_for(partner, "analyst");
        let r = reqwest::blocking::Client::new().post(format!("http://127.0.0.1:{}{path}", node.port)).bearer_auth(token).json(&body).send().unwrap();
        r.json().unwrap()
    };
    let shared = post(&nodes[0], "Aurelia", "/api/v1/objects", json!({"objects": [indicator, address], "agreements": [ab]}));
    assert!(!shared.to_string().contains("refused"), "a source's objects are the holder's to share: {shared}");
    let in_b_name = json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--5a1e0000-0000-4000-8000-000000000003",
        "created_by_ref": b_id, "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
        "pattern": "[ipv4-addr:value = '203.0.113.10']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"});
    let refused = post(&nodes[0], "Aurelia", "/api/v1/objects", json!({"objects": [in_b_name], "agreements": [ab]}));
    assert!(refused.to_string().contains("no one speaks for a partner"), "{refused}");

    // The operator's import holds sources too (`entente import --share`), and refuses a partner's name.
    let imported = json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--5a1e0000-0000-4000-8000-000000000004",
        "created_by_ref": vendor, "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
        "pattern": "[domain-name:value = 'vendor-c2.example']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"});
    share(a, "Aurelia", std::slice::from_ref(&imported), Some(&ab));
    std::fs::write(a.join("in-b-name.json"), bundle(&[json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--5a1e0000-0000-4000-8000-000000000005",
        "created_by_ref": b_id, "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
        "pattern": "[domain-name:value = 'b.example']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"})])).unwrap();
    let out = crate::entente(a, &["import", "--as", "Aurelia", "--share", &ab, "in-b-name.json"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("no one speaks for a partner"), "{}", String::from_utf8_lossy(&out.stderr));

    // Borealis receives the three, the source untouched; then shares two on under B–C.
    sync(b);
    let at_b: Vec<Value> = nodes[1].versions().into_iter().filter(|o| o["id"].as_str().unwrap().contains("5a1e0000")).collect();
    assert_eq!(at_b.len(), 3, "{at_b:?}");
    assert!(at_b.iter().any(|o| o["created_by_ref"] == vendor && o["external_references"][0]["external_id"] == "VR-2026-17"), "{at_b:?}");
    for id in [indicator["id"].as_str().unwrap(), address["id"].as_str().unwrap()] {
        let r = post(&nodes[1], "Borealis", &format!("/api/v1/objects/{id}/share"), json!({"agreements": [bc]}));
        assert!(r.get("http_status").is_none() && r.get("error").is_none(), "{id}: {r}");
    }
    sync(c);
    let at_c: Vec<Value> = nodes[2].versions().into_iter().filter(|o| o["id"].as_str().unwrap().contains("5a1e0000")).collect();
    let at_c_ids: Vec<&str> = at_c.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(at_c.len(), 2, "both reached Caledonia: {at_c_ids:?}");
    assert!(at_c.iter().any(|o| o["created_by_ref"] == vendor), "{at_c:?}");
    assert!(!at_c_ids.contains(&"indicator--5a1e0000-0000-4000-8000-000000000003"));
    // Caledonia keeps the holder's signature: Aurelia vouched for the vendor's indicator.
    let c_token = nodes[2].token_for("Caledonia", "analyst");
    let prov: Value = reqwest::blocking::Client::new()
        .post(format!("http://127.0.0.1:{}/api/v1/provenance", nodes[2].port))
        .bearer_auth(c_token)
        .json(&json!({"versions": [{"id": indicator["id"], "version": "2026-01-01T00:00:00Z"}]}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(prov["signatures"][0]["signer"], a_id.as_str(), "{prov}");
    println!("sourced: a vendor's indicator and an address went A → B → C with the source kept and Aurelia's signature; refused in B's name on A");
}
