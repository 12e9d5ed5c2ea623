//! The scorecard page: a party sees every indicator per party and per pair
//! with its n, the chart over time, and the drill-down of one figure lists
//! exactly the evidence it counted, linked to the object pages; the other
//! party's view of the same pair agrees; a non-party gets the 404 page; the
//! REST endpoint answers the same figure. The agreement's scorecard terms
//! are refused by name when malformed, and kept by an amendment made on the
//! page, which has no field for them. The report for a review board, as
//! a page and a PDF and over REST, names what changed since the viewer's
//! last snapshot and keeps hostile text as text. Snapshots on the node's
//! schedule are taken when due, judged by the clock passed in.

use serde_json::json;

use crate::web::sign_in;
use crate::{call, ratified_agreement, start, Backend};

crate::on_both_backends!(a_modules_records_are_evidence_of_its_indicator, the_scorecard_page_and_its_drill_down, the_scorecard_terms_are_checked_and_kept, the_report_says_what_changed_since_the_last_snapshot, snapshots_are_taken_on_the_schedule, the_page_for_now_equals_one_computed_afresh);

/// A module's records count in the scorecard computed from them: an
/// adopted objective's KPI is a check of its reporting party, B, listed as
/// its evidence (each mapping reads the module's bare state; it once read
/// the API's envelope around it and found nothing).
async fn a_modules_records_are_evidence_of_its_indicator(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let id = ratified_agreement(&node, "A–B", &[0, 1], &["malware"]).await;
    let base = format!("agreements/{id}/modules/objectives/actions");
    let kpi = json!({ "name": "hours to share", "unit": "hours", "baseline": 12, "target": 4, "direction": "decrease",
                      "due": "2099-01-01T00:00:00Z", "weight": 1, "reporting_party_ref": node.b });
    let (s, v) = call(&node, &node.liaison[0], "POST", &format!("{base}/propose"), Some(json!({ "title": "Share faster", "kpis": [kpi] }))).await;
    assert_eq!(s, 201, "{v}");
    let objective = v["record"]["id"].as_str().unwrap().to_owned();
    for token in [&node.liaison[0], &node.liaison[1]] {
        let (s, v) = call(&node, token, "POST", &format!("{base}/endorse"), Some(json!({ "objective": objective }))).await;
        assert_eq!(s, 201, "{v}");
    }
    let (s, v) = call(&node, &node.token_b, "POST", &format!("{base}/report"), Some(json!({ "objective": objective, "kpi": "hours to share", "value": 8 }))).await;
    assert_eq!(s, 201, "{v}");
    for token in [&node.token_a, &node.token_b] {
        let (s, v) = call(&node, token, "GET", &format!("agreements/{id}/scorecard?window=3650"), None).await;
        assert_eq!(s, 200, "{v}");
        let figure = |party: &str| {
            let p = v["parties"].as_array().unwrap().iter().find(|p| p["party"] == party).unwrap_or_else(|| panic!("{party}: {v}"));
            p["figures"].as_array().unwrap().iter().find(|f| f["indicator"] == "objectives").cloned().unwrap_or_else(|| panic!("{v}"))
        };
        let b = figure(&node.b);
        assert_eq!(b["n"].as_u64(), Some(1), "B reports the adopted KPI: {b}");
        assert_eq!(b["evidence"].as_array().map(|e| e.iter().any(|x| x == objective.as_str())), Some(true), "{b}");
        assert_eq!(figure(&node.a)["n"].as_u64(), Some(0), "A reports nothing: {v}");
    }
}

async fn the_scorecard_page_and_its_drill_down(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let id = ratified_agreement(&node, "A–B", &[0, 1], &["malware"]).await;
    let objects: Vec<serde_json::Value> = (1..=5)
        .map(|n| {
            json!({"type": "malware", "spec_version": "2.1", "id": format!("malware--00000000-0000-4000-8000-{n:012}"),
                "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": node.a,
                "name": format!("<b>object {n}</b>"), "is_family": false})
        })
        .collect();
    let (s, v) = call(&node, &node.token_a, "POST", "objects", Some(json!({ "objects": objects, "agreements": [id] }))).await;
    assert_eq!(s, 200, "{v}");
    // Not shared under the agreement: never counted.
    let other = json!({"type": "malware", "spec_version": "2.1", "id": "malware--00000000-0000-4000-8000-000000000099",
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": node.a, "name": "unshared", "is_family": false});
    let (s, v) = call(&node, &node.token_a, "POST", "objects", Some(json!({ "objects": [other] }))).await;
    assert_eq!(s, 200, "{v}");

    let page = format!("/agreements/{id}/scorecard?window=3650");
    let a = sign_in(&node, &node.liaison[0]).await;
    // The agreement page links to it.
    let html = a.get(&format!("/agreements/{id}")).await.2;
    assert!(html.contains(&format!("href=\"/agreements/{id}/scorecard\"")), "{html}");
    let (s, csp, html) = a.get(&page).await;
    assert_eq!(s, 200, "{html}");
    assert_eq!(csp.as_deref(), Some(server::web::CSP));
    assert!(html.contains("Per party") && html.contains("Per pair") && html.contains("<svg") && html.contains("Each party's composite"), "{html}");
    // A gave five, B nothing: reciprocity 0 with n 5; the other figures of
    // the pair have too few observations or no source.
    assert!(html.contains(">0.00</a>") && html.contains("n 5"), "{html}");
    assert!(html.contains("too few") && html.contains("absent"), "{html}");

    // The drill-down of A→B's reciprocity lists the five objects, linked.
    let drill = format!("{page}&indicator=reciprocity&from={}&to={}", node.a, node.b);
    assert!(html.contains(&format!("indicator=reciprocity&amp;from={}&amp;to={}#evidence", node.a, node.b)), "every figure links to its evidence: {html}");
    let (s, _, html) = a.get(&drill).await;
    assert_eq!(s, 200, "{html}");
    let listed = html.matches("href=\"/intel/malware--").count();
    assert_eq!(listed, 5, "{html}");
    assert!(!html.contains("000000000099"), "an object not shared under the agreement was counted: {html}");

    // B's view of the same pair agrees, here and over REST.
    let b = sign_in(&node, &node.liaison[1]).await;
    let (s, _, html) = b.get(&drill).await;
    assert_eq!(s, 200, "{html}");
    assert_eq!(html.matches("href=\"/intel/malware--").count(), 5, "{html}");
    let (s, v) = call(&node, &node.token_b, "GET", &format!("agreements/{id}/scorecard?window=3650"), None).await;
    assert_eq!(s, 200, "{v}");
    let pair = v["pairs"].as_array().unwrap().iter().find(|p| p["from"] == node.a.as_str() && p["to"] == node.b.as_str()).unwrap();
    let reciprocity = pair["figures"].as_array().unwrap().iter().find(|f| f["indicator"] == "reciprocity").unwrap();
    assert_eq!((reciprocity["n"].as_u64(), reciprocity["value"].as_f64()), (Some(5), Some(0.0)), "{reciprocity}");
    assert_eq!((reciprocity["evidence"].as_array().map(Vec::len), reciprocity["evidence_total"].as_u64()), (Some(5), Some(5)), "{reciprocity}");
    // The ids a figure lists are bounded (`evidence=`), their total kept.
    let (s, v) = call(&node, &node.token_b, "GET", &format!("agreements/{id}/scorecard?window=3650&evidence=2"), None).await;
    assert_eq!(s, 200, "{v}");
    let pair = v["pairs"].as_array().unwrap().iter().find(|p| p["from"] == node.a.as_str() && p["to"] == node.b.as_str()).unwrap();
    let reciprocity = pair["figures"].as_array().unwrap().iter().find(|f| f["indicator"] == "reciprocity").unwrap();
    assert_eq!((reciprocity["evidence"].as_array().map(Vec::len), reciprocity["evidence_total"].as_u64(), reciprocity["n"].as_u64()), (Some(2), Some(5), Some(5)), "{reciprocity}");
    let (s, v) = call(&node, &node.token_b, "GET", &format!("agreements/{id}/scorecard?evidence=all"), None).await;
    assert_eq!(s, 400, "{v}");
    assert!(v.to_string().contains("evidence"), "{v}");

    // C is no party: the 404 page, and 404 over REST.
    let c = sign_in(&node, &node.liaison[2]).await;
    assert_eq!(c.get(&page).await.0, 404);
    let (s, _) = call(&node, &node.liaison[2], "GET", &format!("agreements/{id}/scorecard"), None).await;
    assert_eq!(s, 404);
    // A bad window is named.
    let (s, v) = call(&node, &node.token_a, "GET", &format!("agreements/{id}/scorecard?window=zero"), None).await;
    assert_eq!(s, 400, "{v}");
    assert!(v.to_string().contains("window"), "{v}");
}

async fn the_scorecard_terms_are_checked_and_kept(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let terms = |extra: serde_json::Value| {
        let mut t = json!({
            "title": "A–B", "purpose": "share", "party_refs": [node.a, node.b],
            "scope": { "object_types": ["malware"], "labels": [], "data_kind": "real" }, "tlp_ceiling": "amber",
            "handling": { "reshare": "parties-only", "attribution": "required", "permitted_actions": [] },
            "valid_from": "2020-01-01T00:00:00Z"
        });
        t.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        t
    };
    for (extra, named) in [
        (json!({ "scorecard_weights": { "speed": 1 } }), "scorecard_weights.speed"),
        (json!({ "scorecard_weights": { "accuracy": -1 } }), "scorecard_weights.accuracy"),
        (json!({ "scorecard_weights": [1] }), "scorecard_weights"),
        (json!({ "release_within_hours": 0 }), "release_within_hours"),
    ] {
        let (s, v) = call(&node, &node.liaison[0], "POST", "agreements", Some(terms(extra))).await;
        assert_eq!(s, 422, "{v}");
        assert!(v.to_string().contains(named), "{named}: {v}");
    }
    let good = json!({ "scorecard_weights": { "accuracy": 2, "timeliness": 1 }, "release_within_hours": 24 });
    let (s, v) = call(&node, &node.liaison[0], "POST", "agreements", Some(terms(good.clone()))).await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let (s, v) = call(&node, &node.liaison[0], "GET", &format!("agreements/{id}/scorecard"), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["weights"]["accuracy"].as_f64(), v["weights"]["timeliness"].as_f64(), v["weights"]["novelty"].as_f64()), (Some(2.0), Some(1.0), Some(0.0)), "{v}");
    // An amendment through the page's form keeps them.
    let a = sign_in(&node, &node.liaison[0]).await;
    let form = format!("/agreements/{id}/amend");
    let (s, _, html) = a.get(&form).await;
    assert_eq!(s, 200, "{html}");
    let csrf = crate::web::csrf_of(&html);
    let fields = [
        ("csrf", csrf.as_str()),
        ("title", "A–B"),
        ("purpose", "share, amended"),
        ("parties", node.a.as_str()),
        ("parties", node.b.as_str()),
        ("object_types", "malware"),
        ("labels", ""),
        ("data_kind", "real"),
        ("tlp_ceiling", "amber"),
        ("reshare", "parties-only"),
        ("attribution", "required"),
        ("valid_from", "2020-01-01"),
        ("valid_until", ""),
    ];
    let r = a.post(&form, &fields).await;
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let (s, v) = call(&node, &node.liaison[0], "GET", &format!("agreements/{id}"), None).await;
    assert_eq!(s, 200, "{v}");
    assert!(v.to_string().contains("share, amended"), "{v}");
    // The scorecard reads the latest version: its weights are still there.
    let (s, v) = call(&node, &node.liaison[0], "GET", &format!("agreements/{id}/scorecard"), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["weights"]["accuracy"].as_f64(), v["weights"]["novelty"].as_f64()), (Some(2.0), Some(0.0)), "the amendment dropped the weights: {v}");
}

async fn the_report_says_what_changed_since_the_last_snapshot(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let title = "A–B <script>alert(1)</script> (pact) \\ ET";
    let id = ratified_agreement(&node, title, &[0, 1], &["malware"]).await;
    let objects: Vec<serde_json::Value> = (1..=5)
        .map(|n| {
            json!({"type": "malware", "spec_version": "2.1", "id": format!("malware--00000000-0000-4000-8000-{n:012}"),
                "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": node.a,
                "name": format!("object {n}"), "is_family": false})
        })
        .collect();
    let (s, v) = call(&node, &node.token_a, "POST", "objects", Some(json!({ "objects": objects, "agreements": [id] }))).await;
    assert_eq!(s, 200, "{v}");
    // A's last review said reciprocity 0.5 for itself and for A→B (it is
    // 0 now: A gave five, B nothing), and trust 0.9 (now 0.5: no events).
    let snapshot = json!({
        "at": "2026-01-02T00:00:00Z", "window_days": 3650,
        "parties": [{ "party": node.a, "composite": null, "figures": { "reciprocity": 0.5 } }],
        "pairs": [{ "from": node.a, "to": node.b, "composite": null, "trust": 0.9, "figures": { "reciprocity": 0.5 } }],
    });
    let (s, v) = call(&node, &node.liaison[0], "POST", &format!("agreements/{id}/modules/scorecard/actions/snapshot"), Some(snapshot)).await;
    assert_eq!(s, 201, "{v}");

    let a = sign_in(&node, &node.liaison[0]).await;
    let (s, _, page) = a.get(&format!("/agreements/{id}/scorecard?window=3650")).await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains(&format!("/agreements/{id}/scorecard/report.pdf?window=3650")), "the page links to the PDF: {page}");

    // The page: escaped, its own policy allowing its style by hash only.
    let (s, csp, html) = a.get(&format!("/agreements/{id}/scorecard/report.html?window=3650")).await;
    assert_eq!(s, 200, "{html}");
    let csp = csp.unwrap_or_default();
    assert!(csp.contains("style-src 'sha256-") && csp.contains("default-src 'none'") && !csp.contains("script-src"), "{csp}");
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
    assert!(html.contains("What changed since the last review") && html.contains("2026-01-02"), "{html}");

    // The PDF: parsed by another reader, its text says what changed.
    let r = crate::web::client().get(format!("{}/agreements/{id}/scorecard/report.pdf?window=3650", node.url)).header(reqwest::header::COOKIE, &a.cookie).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[reqwest::header::CONTENT_TYPE], "application/pdf");
    assert!(r.headers()[reqwest::header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment; filename=\"scorecard-"));
    let pdf = r.bytes().await.unwrap();
    let text = pdf_text(&pdf);
    assert!(text.contains("Partnership scorecard: A\u{2013}B <script>alert(1)</script> (pact) \\ ET"), "{text}");
    assert!(text.contains("What changed since the last review"), "{text}");
    assert!(text.contains("reciprocity 0.50 0.00 down"), "the party row's move: {text}");
    assert!(text.contains("trust 0.90 0.50 down"), "the pair's trust: {text}");
    assert!(text.contains("Since the last review (2026-01-02"), "{text}");

    // REST: the same, as a file; a bad format named; a non-party 404.
    let url = format!("{}/api/v1/agreements/{id}/scorecard/report?format=html&window=3650", node.url);
    let r = reqwest::Client::new().get(&url).bearer_auth(&node.token_b).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()[reqwest::header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let html = r.text().await.unwrap();
    // B has no snapshot of its own: nothing to compare with.
    assert!(html.contains("No earlier snapshot by this node"), "{html}");
    let (s, v) = call(&node, &node.token_b, "GET", &format!("agreements/{id}/scorecard/report?format=doc"), None).await;
    assert_eq!(s, 400, "{v}");
    assert!(v.to_string().contains("format"), "{v}");
    let (s, _) = call(&node, &node.liaison[2], "GET", &format!("agreements/{id}/scorecard/report"), None).await;
    assert_eq!(s, 404);
    let c = sign_in(&node, &node.liaison[2]).await;
    assert_eq!(c.get(&format!("/agreements/{id}/scorecard/report.pdf")).await.0, 404);
}

/// The page for now takes its figures from the node's kept sums (its
/// tally, warm after the first request): they equal the page for the same
/// time asked once that time is past, which gathers the evidence and
/// computes it afresh. The chart draws the viewer's own snapshots of the
/// window (not a partner's, not another window's), then the scorecard.
async fn the_page_for_now_equals_one_computed_afresh(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let id = ratified_agreement(&node, "A–B", &[0, 1], &["malware", "sighting"]).await;
    let malware = |n: usize, by: &str| {
        json!({"type": "malware", "spec_version": "2.1", "id": format!("malware--00000000-0000-4000-8000-{n:012}"),
            "created": format!("2026-01-0{n}T00:00:00Z"), "modified": format!("2026-01-0{n}T00:00:00Z"), "created_by_ref": by,
            "name": format!("object {n}"), "is_family": false})
    };
    let put = |token: String, objects: Vec<serde_json::Value>| {
        let (node, id) = (&node, id.clone());
        async move {
            let (s, v) = call(node, &token, "POST", "objects", Some(json!({ "objects": objects, "agreements": [id] }))).await;
            assert_eq!(s, 200, "{v}");
        }
    };
    put(node.token_a.clone(), (1..=4).map(|n| malware(n, &node.a)).collect()).await;
    put(node.token_b.clone(), vec![malware(5, &node.b)]).await;
    let sighting = |n: usize, of: usize, fp: bool| {
        let mut v = json!({"type": "sighting", "spec_version": "2.1", "id": format!("sighting--00000000-0000-4000-9000-{n:012}"),
            "created": "2026-01-06T00:00:00Z", "modified": "2026-01-06T00:00:00Z", "created_by_ref": node.b,
            "sighting_of_ref": format!("malware--00000000-0000-4000-8000-{of:012}")});
        if fp {
            v["labels"] = json!(["false-positive"]);
        }
        v
    };
    put(node.token_b.clone(), vec![sighting(1, 1, false), sighting(2, 2, true)]).await;
    let snapshot = |at: &str, window: i64, composite: f64| {
        json!({ "at": at, "window_days": window, "parties": [{ "party": node.a, "composite": composite, "figures": {} }], "pairs": [] })
    };
    for (token, body) in [(&node.liaison[0], snapshot("2026-01-02T00:00:00Z", 3650, 0.25)), (&node.liaison[0], snapshot("2026-01-03T00:00:00Z", 90, 0.75)), (&node.liaison[1], snapshot("2026-01-04T00:00:00Z", 3650, 0.5))] {
        let (s, v) = call(&node, token, "POST", &format!("agreements/{id}/modules/scorecard/actions/snapshot"), Some(body)).await;
        assert_eq!(s, 201, "{v}");
    }

    let page = format!("/agreements/{id}/scorecard?window=3650");
    let a = sign_in(&node, &node.liaison[0]).await;
    // The first request builds A's tally; then more evidence, read since.
    assert_eq!(a.get(&page).await.0, 200);
    put(node.token_b.clone(), vec![malware(6, &node.b), sighting(3, 3, false)]).await;
    let (s, _, now) = a.get(&page).await;
    assert_eq!(s, 200, "{now}");
    let at = now.split("name=\"at\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_else(|| panic!("{now}")).to_owned();
    let tables = |html: &str| html.split("<h3>Per party</h3>").nth(1).and_then(|r| r.split("<h3>Composite over time</h3>").next()).unwrap_or_else(|| panic!("{html}")).to_owned();
    // Counted: A gave four, B two (reciprocity n 6); B sighted A's 1 and 3.
    assert!(tables(&now).contains("n 6"), "{now}");
    // Past the five seconds "now" allows, the same time is gathered afresh.
    tokio::time::sleep(std::time::Duration::from_millis(node::scorecard::tally::NOW as u64 / 1000 + 1500)).await;
    let (s, _, then) = a.get(&format!("{page}&at={at}")).await;
    assert_eq!(s, 200, "{then}");
    assert_eq!(tables(&now), tables(&then), "the page's figures from the kept sums differ from a computation afresh");
    // The drill-down from the kept sums lists what the fresh one does.
    let drill = |at: Option<&str>| format!("{page}{}&indicator=actionability&from={}&to={}", at.map(|t| format!("&at={t}")).unwrap_or_default(), node.a, node.b);
    let (s, _, listed) = a.get(&drill(None)).await;
    assert_eq!(s, 200, "{listed}");
    let ids = |html: &str| html.split("id=\"evidence\"").nth(1).unwrap_or_else(|| panic!("{html}")).matches("href=\"/intel/malware--").count();
    assert_eq!(ids(&listed), 4, "{listed}");
    assert_eq!(ids(&listed), ids(&a.get(&drill(Some(&at))).await.2));
    // The chart: A's snapshot of this window (0.25 on 2026-01-02), not its
    // 90-day one nor B's, then the scorecard.
    assert!(now.contains(", 2026-01-02: 0.25"), "{now}");
    assert!(!now.contains("2026-01-03: 0.75") && !now.contains("2026-01-04: 0.50"), "{now}");
    assert!(now.contains("(1 up to this time"), "{now}");
}

/// The text of a PDF, every page, whitespace runs made one space.
pub(crate) fn pdf_text(pdf: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(pdf).expect("the PDF parses");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    assert!(!pages.is_empty());
    doc.extract_text(&pages).expect("its text extracts").split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn snapshots_are_taken_on_the_schedule(backend: Backend) {
    use model::{StixId, Timestamp};
    let node = start(backend, Default::default()).await;
    let id = ratified_agreement(&node, "A–B", &[0, 1], &["malware"]).await;
    // An agreement A is no party to: never snapshotted by A.
    let other = ratified_agreement(&node, "B–C", &[1, 2], &["malware"]).await;
    let dir = tempfile::tempdir().unwrap();
    let log = audit::SharedLog::open(dir.path().join("release.log")).unwrap();
    let n = server::modules::Node { store: node.store.clone(), agreements: std::sync::Arc::new(server::release::Agreements::default()), log, limits: Default::default() };
    let modules = server::modules::registered();
    let a = StixId::parse(&node.a).unwrap();
    let day = scorecard::DAY;
    let t0 = Timestamp::from_micros(Timestamp::now().micros() + 60_000_000);
    let at = |days: i64| Timestamp::from_micros(t0.micros() + days * day);
    let take = |now: Timestamp| {
        let (n, modules, a) = (n.clone(), modules.clone(), a.clone());
        move || node::scorecard::schedule::take_due(&n, &modules, &a, &now, 7, "schedule")
    };
    // None yet: one now, for the one agreement A is party to.
    let (made, failed) = tokio::task::spawn_blocking(take(at(0))).await.unwrap().unwrap();
    assert!(failed.is_empty(), "{:?}", failed.iter().map(|(a, e)| format!("{a}: {e}")).collect::<Vec<_>>());
    assert_eq!(made.len(), 1);
    assert_eq!(serde_json::from_slice::<serde_json::Value>(made[0].json()).unwrap()["agreement_ref"], id.as_str());
    // A day later: not due; six days and 23 hours later neither; seven: due.
    for (when, expected) in [(at(1), 0), (Timestamp::from_micros(at(7).micros() - 3_600_000_000), 0), (at(7), 1), (at(8), 0)] {
        let (made, failed) = tokio::task::spawn_blocking(take(when.clone())).await.unwrap().unwrap();
        assert!(failed.is_empty());
        assert_eq!(made.len(), expected, "at {when}");
    }
    // Both are A's records of the module, dated by the clock passed in.
    let (s, v) = call(&node, &node.token_a, "GET", &format!("agreements/{id}/modules/scorecard"), None).await;
    assert_eq!(s, 200, "{v}");
    let snapshots = v["state"]["snapshots"].as_array().unwrap();
    let ats: Vec<&str> = snapshots.iter().filter(|s| s["author"] == node.a.as_str()).map(|s| s["at"].as_str().unwrap()).collect();
    assert_eq!(ats, [at(0).to_string(), at(7).to_string()], "{v}");
    assert!(snapshots.iter().all(|s| s["note"].as_str().is_some_and(|n| n.contains("every 7 days"))), "{v}");
    let (s, v) = call(&node, &node.liaison[1], "GET", &format!("agreements/{other}/modules/scorecard"), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"]["snapshots"].as_array().map(Vec::len), Some(0), "{v}");
}
