//! Detection, sightings and correlation through the REST API: a partner's
//! hits are only indicators it may see, its sightings reach the
//! indicator's author and no one else, and correlation counts only what
//! the caller may see.

use serde_json::{json, Value};

use crate::{call, ratified_agreement, start, Backend};

crate::on_both_backends!(detection_sightings_and_correlation);

fn indicator(n: u32, author: &str, pattern: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created_by_ref": author,
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "pattern": pattern, "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
        "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]
    })
}

/// A bundle with one observation of `ip` (and a file named `name`).
fn observation(n: u32, ip: &str, name: &str) -> Value {
    let ipid = format!("ipv4-addr--00000000-0000-4000-8000-{n:012}");
    let fid = format!("file--00000000-0000-4000-8000-{n:012}");
    json!({"type": "bundle", "id": format!("bundle--00000000-0000-4000-8000-{n:012}"), "objects": [
        {"type": "observed-data", "spec_version": "2.1", "id": format!("observed-data--00000000-0000-4000-8000-{n:012}"),
         "created": "2026-02-01T00:00:00Z", "modified": "2026-02-01T00:00:00Z",
         "first_observed": "2026-02-01T00:00:00Z", "last_observed": "2026-02-01T00:05:00Z", "number_observed": 3,
         "object_refs": [ipid, fid]},
        {"type": "ipv4-addr", "id": ipid, "value": ip},
        {"type": "file", "id": fid, "name": name}
    ]})
}

fn hit_ids(v: &Value) -> Vec<String> {
    let mut ids: Vec<String> = v["hits"].as_array().unwrap().iter().map(|h| h["indicator"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

async fn detection_sightings_and_correlation(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let (ta, tb, lc) = (node.token_a.clone(), node.token_b.clone(), node.liaison[2].clone());
    let abc = ratified_agreement(&node, "detection test", &[0, 1, 2], &["indicator", "sighting"]).await;
    let ab = ratified_agreement(&node, "detection test", &[0, 1], &["indicator", "sighting"]).await;

    // A shares three indicators: one with the trilateral agreement, one with
    // A–B only, one (by value LIKE, not pre-selectable) with A–B; and keeps one.
    let shared_all = indicator(1, &node.a, "[ipv4-addr:value = '203.0.113.1']");
    let shared_ab = indicator(2, &node.a, "[ipv4-addr:value ISSUBSET '198.51.100.0/24']");
    let like_ab = indicator(3, &node.a, "[file:name LIKE 'evil%']");
    let private = indicator(4, &node.a, "[ipv4-addr:value = '203.0.113.1']");
    for (obj, agreements) in [(&shared_all, vec![&abc]), (&shared_ab, vec![&ab]), (&like_ab, vec![&ab]), (&private, vec![])] {
        let (s, v) = call(&node, &ta, "POST", "objects", Some(json!({"objects": [obj], "agreements": agreements}))).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["results"][0]["status"], "stored", "{v}");
    }
    // An invalid pattern is refused at ingest, naming the property and the position.
    let bad = indicator(5, &node.a, "[ipv4-addr:value = ");
    let (_, v) = call(&node, &ta, "POST", "objects", Some(json!({"objects": [bad]}))).await;
    let msg = v["results"][0]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("property `pattern`") && msg.contains("at byte"), "{v}");

    let observations = json!([
        observation(1, "203.0.113.1", "clean.exe"),
        observation(2, "198.51.100.77", "clean.exe"),
        observation(3, "192.0.2.9", "evil-loader.exe"),
        observation(4, "192.0.2.10", "clean.exe"),
    ]);
    let ids = |ns: &[u32]| -> Vec<String> { ns.iter().map(|n| format!("indicator--00000000-0000-4000-8000-{n:012}")).collect() };

    // A sees all its own indicators.
    let (s, v) = call(&node, &ta, "POST", "detect", Some(json!({"observations": observations}))).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(hit_ids(&v), ids(&[1, 2, 3, 4]), "{v}");
    assert_eq!(v["totals"]["observations"], 4);
    // B: the three shared with it; with unindexed=false, not the LIKE one.
    let (_, v) = call(&node, &tb, "POST", "detect?unindexed=false", Some(observations.clone())).await;
    assert_eq!(hit_ids(&v), ids(&[1, 2]), "{v}");
    let (_, v) = call(&node, &tb, "POST", "detect", Some(json!({"observations": observations, "sight": true}))).await;
    assert_eq!(hit_ids(&v), ids(&[1, 2, 3]), "{v}");
    assert_eq!(v["indicators"].as_array().unwrap().len(), 3, "{v}");
    let sightings: Vec<String> = v["sightings"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect();
    assert_eq!(sightings.len(), 3);
    // Each hit names its own sighting (hits span two agreements).
    for h in v["hits"].as_array().unwrap() {
        let (st, s) = call(&node, &tb, "GET", &format!("objects/{}", h["sighting"].as_str().unwrap()), None).await;
        assert_eq!(st, 200, "{s}");
        assert_eq!(s["sighting_of_ref"], h["indicator"], "{s}");
        assert_eq!(s["observed_data_refs"][0], h["observed_data"], "{s}");
    }
    // Observation times out of order still give a sighting (without them).
    let mut odd = observation(9, "203.0.113.1", "x");
    odd["objects"][0]["first_observed"] = json!("2026-03-01T00:00:00Z");
    let (s, v) = call(&node, &tb, "POST", "detect?sight=true", Some(odd)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["sightings"].as_array().map(Vec::len), Some(1), "{v}");
    // C: only the trilateral one.
    let (_, v) = call(&node, &lc, "POST", "detect", Some(observations.clone())).await;
    assert_eq!(hit_ids(&v), ids(&[1]), "{v}");

    // B's sightings go to A (the author), not to C, even the one under the
    // trilateral agreement; B sees its own.
    for s in &sightings {
        let (st, v) = call(&node, &ta, "GET", &format!("objects/{s}"), None).await;
        assert_eq!(st, 200, "A must receive {s}: {v}");
        assert_eq!(v["created_by_ref"], json!(node.b));
        assert_eq!(v["object_marking_refs"], json!(["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]));
        assert_eq!(call(&node, &lc, "GET", &format!("objects/{s}"), None).await.0, 404, "C must not see {s}");
        assert_eq!(call(&node, &tb, "GET", &format!("objects/{s}"), None).await.0, 200);
    }
    let (_, v) = call(&node, &ta, "GET", "objects?type=sighting", None).await;
    assert_eq!(v["objects"].as_array().map(Vec::len), Some(4), "{v}");
    let (_, v) = call(&node, &lc, "GET", "objects?type=sighting", None).await;
    assert_eq!(v["objects"].as_array().map(Vec::len), Some(0), "{v}");

    // Correlation counts only what the caller may see. C shares its own
    // indicator of the same address under the trilateral agreement.
    let c_ind = indicator(6, &node.c, "[ipv4-addr:value = '203.0.113.1' OR domain-name:value = 'c2.example']");
    let (s, v) = call(&node, &lc, "POST", "objects", Some(json!({"objects": [c_ind], "agreements": [abc]}))).await;
    assert_eq!(s, 200, "{v}");
    let partners = |v: &Value| -> Vec<String> {
        v["partners"].as_array().unwrap().iter().map(|p| p["partner"].as_str().unwrap().to_owned()).collect()
    };
    let objects = |v: &Value| -> usize { v["objects"].as_array().map_or(0, Vec::len) };
    let (s, v) = call(&node, &ta, "GET", "observables/ipv4-addr/203.0.113.1", None).await;
    assert_eq!(s, 200, "{v}");
    let mut want = vec![node.a.clone(), node.c.clone()];
    want.sort();
    assert_eq!(partners(&v), want, "{v}");
    assert_eq!(objects(&v), 3, "A sees its two and C's: {v}");
    let (_, v) = call(&node, &tb, "GET", "observables/ipv4-addr/203.0.113.1", None).await;
    assert_eq!(objects(&v), 2, "B sees A's shared one and C's, not A's private one: {v}");
    assert_eq!(partners(&v), want);
    // B asks in another spelling of the same address.
    let (_, v2) = call(&node, &tb, "GET", "observables/ipv4-addr/203.0.113.1%2F32", None).await;
    assert_eq!(objects(&v2), 2, "{v2}");
    let (_, v) = call(&node, &lc, "GET", "observables/ipv4-addr/198.51.100.77", None).await;
    assert_eq!(objects(&v), 0, "{v}");
    assert_eq!(call(&node, &lc, "GET", "observables/no-such-kind/x", None).await.0, 404);

    // "Also reported by": B looking at A's trilateral indicator sees C too.
    let (s, v) = call(&node, &tb, "GET", &format!("objects/{}/observables", ids(&[1])[0]), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["also_reported_by"], 1, "{v}");
    // An object without `created_by_ref` is its poster's: A's unsigned
    // indicator of an address nobody else reported has no other reporter.
    let mut unsigned = indicator(7, &node.a, "[ipv4-addr:value = '198.18.0.7']");
    unsigned.as_object_mut().unwrap().remove("created_by_ref");
    let (s, v) = call(&node, &ta, "POST", "objects", Some(json!({"objects": [unsigned]}))).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = call(&node, &ta, "GET", &format!("objects/{}/observables", ids(&[7])[0]), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["also_reported_by"], 0, "{v}");
    // C cannot ask about A's A–B indicator at all.
    assert_eq!(call(&node, &lc, "GET", &format!("objects/{}/observables", ids(&[2])[0]), None).await.0, 404);
}
