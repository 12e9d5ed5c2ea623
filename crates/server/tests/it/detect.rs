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

/// Thirty ANDed observation expressions of one address: each observation
/// of it seen 20,000 times makes the matcher combine instances.
fn heavy_pattern() -> String {
    vec!["[ipv4-addr:value = '203.0.113.66']"; 30].join(" AND ")
}

/// The attack of issue 18: 300 observations of the address, each seen 20,000 times.
fn attack(first: u32) -> Value {
    let list: Vec<Value> = (first..first + 300)
        .map(|n| {
            let mut o = observation(n, "203.0.113.66", "x");
            o["objects"][0]["number_observed"] = json!(20_000);
            o
        })
        .collect();
    json!(list)
}

async fn store_own(node: &crate::Node, token: &str, indicator: &Value) {
    let (s, v) = call(node, token, "POST", "objects", Some(json!({"objects": [indicator]}))).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["results"][0]["status"], "stored", "{v}");
}

/// A detection request as `token`: status, `Retry-After`, body.
async fn detect_raw(url: &str, token: &str, body: &Value) -> (reqwest::StatusCode, Option<String>, Value) {
    let r = reqwest::Client::new().post(format!("{url}/api/v1/detect")).bearer_auth(token).json(body).send().await.unwrap();
    let retry = r.headers().get("retry-after").and_then(|h| h.to_str().ok()).map(str::to_owned);
    (r.status(), retry, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pathological_request_is_cut_off_and_another_partner_still_answers() {
    let limits = server::detect_limits::DetectLimits {
        indicator_steps: u64::MAX,
        request_time: std::time::Duration::from_secs(8),
        per_partner: 1,
        wait: std::time::Duration::from_secs(1),
        ..Default::default()
    };
    let node = crate::start_with(crate::Backend::Sqlite, Default::default(), limits).await;
    let heavy = indicator(20, &node.a, &heavy_pattern());
    let light = indicator(21, &node.b, "[ipv4-addr:value = '198.51.100.5']");
    store_own(&node, &node.token_a, &heavy).await;
    store_own(&node, &node.token_b, &light).await;

    // X: A's viewer sends the attack.
    let (url, viewer) = (node.url.clone(), node.viewer_a.clone());
    let x = tokio::spawn(async move { detect_raw(&url, &viewer, &attack(1000)).await });
    // Once X runs, A's next request is over A's share: 429 with Retry-After.
    let probe = observation(30, "192.0.2.1", "x");
    let mut refused = None;
    for _ in 0..200 {
        let (s, retry, v) = detect_raw(&node.url, &node.token_a, &probe).await;
        if s == 429 {
            refused = Some((retry, v));
            break;
        }
        assert_eq!(s, 200, "{v}");
        assert!(!x.is_finished(), "A's attack ended before it was seen running");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (retry, v) = refused.expect("A's second request is refused while the first runs");
    assert_eq!(retry.as_deref(), Some("2"), "{v}");
    assert!(v["description"].as_str().unwrap_or_default().contains("detection requests at once"), "{v}");

    // Y: B's ordinary request answers while X's is still running, within
    // half of X's budget (it takes milliseconds alone; before detection
    // had budgets and locked per observation, it waited for X to end).
    let started = std::time::Instant::now();
    let (s, _, v) = detect_raw(&node.url, &node.token_b, &observation(31, "198.51.100.5", "y")).await;
    let took = started.elapsed();
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["complete"], true, "{v}");
    assert_eq!(hit_ids(&v), vec![light["id"].as_str().unwrap().to_owned()], "{v}");
    assert!(!x.is_finished(), "B's answer waited for A's attack to end ({took:?})");
    assert!(took < std::time::Duration::from_secs(4), "B waited {took:?}");

    // X is cut off with an error naming the limit and the indicator.
    let (s, _, v) = x.await.unwrap();
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["title"], "detection limit exceeded", "{v}");
    let d = v["description"].as_str().unwrap_or_default();
    assert!(d.contains("request_time") && d.contains(heavy["id"].as_str().unwrap()), "{v}");
    // A's share is free again.
    assert_eq!(detect_raw(&node.url, &node.token_a, &probe).await.0, 200);
}

#[tokio::test]
async fn an_indicator_over_its_steps_is_set_aside_and_named() {
    let node = crate::start(crate::Backend::Sqlite, Default::default()).await;
    let heavy = indicator(22, &node.a, &heavy_pattern());
    let light = indicator(23, &node.a, "[ipv4-addr:value = '203.0.113.66']");
    store_own(&node, &node.token_a, &heavy).await;
    store_own(&node, &node.token_a, &light).await;
    let mut three = attack(2000);
    three.as_array_mut().unwrap().truncate(3);
    let (s, v) = call(&node, &node.viewer_a, "POST", "detect", Some(three)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["complete"], false, "{v}");
    let limits = v["limits"].as_array().unwrap();
    assert_eq!(limits.len(), 1, "set aside once, not per observation: {v}");
    assert_eq!(limits[0]["limit"], "indicator_steps", "{v}");
    assert_eq!(limits[0]["indicator"], heavy["id"], "{v}");
    // The other indicator is still matched on every observation.
    assert_eq!(hit_ids(&v), vec![light["id"].as_str().unwrap().to_owned(); 3], "{v}");
}

#[tokio::test]
async fn a_detection_request_without_observations_is_refused() {
    // The OpenAPI document says a detection request has a body of
    // observations; an empty one (a client that forgot it) or a JSON
    // string, number or null is a 400 naming what to send, not an answer
    // of zero hits that looks like a clean bill of health.
    let node = crate::start(crate::Backend::Sqlite, Default::default()).await;
    for body in ["", " \n\n ", "\"AAA\"", "7", "null"] {
        let r = reqwest::Client::new()
            .post(format!("{}/api/v1/detect", node.url))
            .bearer_auth(&node.viewer_a)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        assert_eq!(status, 400, "{body:?}: {v}");
        assert!(v["description"].as_str().unwrap().contains("observations"), "{v}");
    }
    // One observation that matches nothing is still an answer of zero hits.
    let (s, v) = call(&node, &node.viewer_a, "POST", "detect", Some(observation(40, "192.0.2.40", "n"))).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["totals"]["observations"], 1, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn matching_stops_when_the_client_goes_away() {
    let limits = server::detect_limits::DetectLimits {
        indicator_steps: u64::MAX,
        request_time: std::time::Duration::from_secs(600),
        per_partner: 1,
        wait: std::time::Duration::from_secs(5),
        ..Default::default()
    };
    let node = crate::start_with(crate::Backend::Sqlite, Default::default(), limits).await;
    store_own(&node, &node.token_a, &indicator(24, &node.a, &heavy_pattern())).await;
    let gone = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(1))
        .build()
        .unwrap()
        .post(format!("{}/api/v1/detect", node.url))
        .bearer_auth(&node.viewer_a)
        .json(&attack(3000))
        .send()
        .await;
    assert!(gone.is_err(), "the attack must outlast the client's patience: {gone:?}");
    // The work stopped and gave A's share back: without cancellation it
    // would hold it for ten minutes and this request would get 429.
    let (s, _, v) = detect_raw(&node.url, &node.token_a, &observation(32, "192.0.2.1", "x")).await;
    assert_eq!(s, 200, "{v}");
    let metrics = reqwest::get(format!("{}/metrics", node.url)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("entente_detect_limited_total{limit=\"cancelled\"}"), "{metrics}");
}

#[test]
fn a_run_stops_at_its_step_budget_naming_the_indicator() {
    // The session alone, without HTTP: the run's step budget.
    let dir = tempfile::tempdir().unwrap();
    let store: std::sync::Arc<dyn store::Store> = std::sync::Arc::new(store_sqlite::SqliteStore::open(dir.path()).unwrap());
    let author = "identity--00000000-0000-4000-8000-0000000000aa";
    let ind = model::Object::from_value(indicator(25, author, &heavy_pattern())).unwrap();
    store.put(&[ind], &store::PutOptions { posted_by: Some(author.into()), ..Default::default() }).unwrap();
    let indicators = server::detect::Indicators::default();
    indicators.refresh(&*store).unwrap();
    let index = server::release::Agreements::default().index(&*store).unwrap();
    let reader = server::release::Reader::new(model::StixId::parse(author).unwrap(), index, server::release::Through::AnyShare);
    let mut feed = server::detect::Feed::default();
    let mut ready = Vec::new();
    feed.push_document(attack(4000), &mut ready);
    let mut session = server::detect::Session::new(&indicators, &*store, reader);
    session.budget = server::detect::Budget { indicator_steps: u64::MAX, run_steps: 200_000, ..Default::default() };
    let hits = session.run(&ready).unwrap();
    assert!(hits.is_empty());
    let stopped = session.stopped.expect("the run stops");
    assert_eq!(stopped.limit, server::detect::Limit::RequestSteps);
    assert_eq!(stopped.indicator.map(|r| r.id), Some("indicator--00000000-0000-4000-8000-000000000025".to_owned()));
    assert!(session.totals.steps >= 200_000 && session.totals.observations < 300, "{:?}", session.totals);
}
