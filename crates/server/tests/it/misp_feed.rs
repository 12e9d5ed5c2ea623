//! `GET /api/v1/misp/feed/{file}`: each partner's MISP feed holds what the
//! release decision gives that partner and nothing another agreement keeps
//! from it; an event file is made only of what it releases, and every
//! answer is in the release log.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{call, ratified_agreement, start, Backend};

crate::on_both_backends!(a_partners_misp_feed_holds_only_what_it_may_see);

fn indicator(n: u32, author: &str, ip: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created_by_ref": author,
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "pattern": format!("[ipv4-addr:value = '{ip}']"), "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
        "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]
    })
}

fn report(n: u32, author: &str, name: &str, refs: &[&Value]) -> Value {
    json!({
        "type": "report", "spec_version": "2.1",
        "id": format!("report--00000000-0000-4000-8000-{n:012}"),
        "created_by_ref": author, "name": name,
        "created": "2026-01-02T00:00:00.000Z", "modified": "2026-01-02T00:00:00.000Z", "published": "2026-01-02T00:00:00Z",
        "object_refs": refs.iter().map(|o| o["id"].clone()).collect::<Vec<_>>(),
        "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]
    })
}

/// MD5s of the values (MISP's `hashes.csv` keys).
const MD5_I1: &str = "dd0458e5070d71722af7a64f5dda17f0"; // 198.51.100.1
const MD5_I4: &str = "88e52209b0f58bdbc48386707b417a40"; // 198.51.100.4
const MD5_I2: &str = "172426b79fdf1f30e722797323b417f9"; // 203.0.113.66
const MD5_I3: &str = "89f079403db64d9960a591efe44a3089"; // 192.0.2.33

async fn a_partners_misp_feed_holds_only_what_it_may_see(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let ta = node.token_a.clone();
    let ab = ratified_agreement(&node, "A–B", &[0, 1], &["indicator", "report"]).await;
    let ac = ratified_agreement(&node, "A–C", &[0, 2], &["indicator", "report"]).await;
    // B may see i1, i4 and r1; C may see i2 and r2 (which names i1 too, not released to C); i3 is A's alone.
    let i1 = indicator(1, &node.a, "198.51.100.1");
    let i2 = indicator(2, &node.a, "203.0.113.66");
    let i3 = indicator(3, &node.a, "192.0.2.33");
    let i4 = indicator(4, &node.a, "198.51.100.4");
    let r1 = report(11, &node.a, "Borealis brief", &[&i1]);
    let r2 = report(12, &node.a, "Caldera secret brief", &[&i2, &i1]);
    for (objects, agreements) in [(vec![&i1, &i4, &r1], vec![&ab]), (vec![&i2, &r2], vec![&ac]), (vec![&i3], vec![])] {
        let (s, v) = call(&node, &ta, "POST", "objects", Some(json!({"objects": objects, "agreements": agreements}))).await;
        assert_eq!(s, 200, "{v}");
        assert!(v["results"].as_array().unwrap().iter().all(|r| r["status"] == "stored"), "{v}");
    }
    let c_token = {
        let (t, rec) = server::auth::issue(&node.c, "misp", store::Role::Viewer, 0, None);
        let registry = node.registry.clone();
        tokio::task::spawn_blocking(move || registry.put_token(&rec).unwrap()).await.unwrap();
        t
    };
    let get = |token: &str, file: &str| {
        let url = format!("{}/api/v1/misp/feed/{file}", node.url);
        let token = token.to_owned();
        async move {
            let r = reqwest::Client::new().get(url).bearer_auth(token).send().await.unwrap();
            let ty = r.headers().get(reqwest::header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
            (r.status(), ty, r.text().await.unwrap())
        }
    };
    let r1_uuid = "00000000-0000-4000-8000-000000000011";
    let r2_uuid = "00000000-0000-4000-8000-000000000012";

    // B's feed: the manifest lists r1's event and the day event of i4, not r2's.
    let (s, ty, text) = get(&node.token_b, "manifest.json").await;
    assert_eq!((s, ty.as_str()), (StatusCode::OK, "application/json"), "{text}");
    let manifest: Value = serde_json::from_str(&text).unwrap();
    let uuids: Vec<&String> = manifest.as_object().unwrap().keys().collect();
    assert_eq!(uuids.len(), 2, "{manifest}");
    assert_eq!(manifest[r1_uuid]["info"], "Borealis brief", "{manifest}");
    assert!(!text.contains("Caldera") && !text.contains(r2_uuid), "{text}");
    let (s, ty, hashes) = get(&node.token_b, "hashes.csv").await;
    assert_eq!((s, ty.starts_with("text/csv")), (StatusCode::OK, true));
    for (md5, want) in [(MD5_I1, true), (MD5_I4, true), (MD5_I2, false), (MD5_I3, false)] {
        assert_eq!(hashes.contains(md5), want, "{md5} in B's hashes.csv:\n{hashes}");
    }
    assert!(hashes.lines().all(|l| l.split(',').count() == 2 && uuids.iter().any(|u| l.ends_with(u.as_str()))), "{hashes}");
    let mut everything = String::new();
    for uuid in &uuids {
        let (s, _, text) = get(&node.token_b, &format!("{uuid}.json")).await;
        assert_eq!(s, StatusCode::OK, "{text}");
        let ev: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(ev["Event"]["uuid"], json!(uuid), "{ev}");
        assert!(!ev["Event"]["Attribute"].as_array().unwrap().is_empty(), "{ev}");
        everything.push_str(&text);
    }
    assert!(everything.contains("198.51.100.1") && everything.contains("198.51.100.4"), "{everything}");
    for kept in ["203.0.113.66", "192.0.2.33", "Caldera"] {
        assert!(!everything.contains(kept), "B's feed holds {kept}: {everything}");
    }
    // r2's event is not B's to read: the same 404 as an event that does not exist.
    let (s, _, refused) = get(&node.token_b, &format!("{r2_uuid}.json")).await;
    let (s2, _, missing) = get(&node.token_b, "00000000-0000-4000-8000-0000000000ff.json").await;
    assert_eq!((s, s2), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    assert_eq!(refused, missing);

    // C's event of r2 is made of what C may see: i2, and not i1 though r2 names it.
    let (s, _, text) = get(&c_token, &format!("{r2_uuid}.json")).await;
    assert_eq!(s, StatusCode::OK, "{text}");
    assert!(text.contains("203.0.113.66") && text.contains("Caldera secret brief"), "{text}");
    assert!(!text.contains("198.51.100.1"), "C's event holds i1, which A shared with B only: {text}");
    let (_, _, c_manifest) = get(&c_token, "manifest.json").await;
    assert!(!c_manifest.contains(r1_uuid) && !c_manifest.contains("Borealis"), "{c_manifest}");

    // Bad names and no token.
    for bad in ["events.json", "manifest.csv", "00000000-0000-4000-8000-000000000011.JSON", "..%2Fmanifest.json"] {
        assert_eq!(get(&node.token_b, bad).await.0, StatusCode::NOT_FOUND, "{bad}");
    }
    let anonymous = reqwest::get(format!("{}/api/v1/misp/feed/manifest.json", node.url)).await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    // Every release is logged to its reader on `misp-feed`; nothing of i2 or i3 to B.
    let log = std::fs::read_to_string(node.data_dir().join("release.log")).unwrap();
    let feed: Vec<&str> = log.lines().filter(|l| l.contains("\"channel\":\"misp-feed\"")).collect();
    let to = |who: &str, id: &str| feed.iter().any(|l| l.contains(who) && l.contains(id) && l.contains("\"release\""));
    assert!(to(&node.b, i1["id"].as_str().unwrap()) && to(&node.b, r1["id"].as_str().unwrap()), "{log}");
    assert!(to(&node.c, i2["id"].as_str().unwrap()), "{log}");
    for id in [&i2, &i3, &r2] {
        assert!(!to(&node.b, id["id"].as_str().unwrap()), "{} logged as released to B: {log}", id["id"]);
    }
    assert!(!to(&node.c, i1["id"].as_str().unwrap()), "{log}");
    assert!(feed.iter().any(|l| l.contains(&node.b) && l.contains(r2_uuid) && !l.contains("\"release\"")), "the refused request is logged: {log}");
}
