//! `POST /api/v1/extract`: a report's indicators, marked where the node's
//! warning lists name them benign, and the report an analyst then shares.

use serde_json::json;

use crate::{call, start, Backend};

crate::on_both_backends!(a_reports_indicators_are_extracted_marked_and_shared_as_a_report);

async fn a_reports_indicators_are_extracted_marked_and_shared_as_a_report(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let lists = node.data_dir().join("warninglists/resolvers");
    std::fs::create_dir_all(&lists).unwrap();
    std::fs::write(lists.join("list.json"), json!({"name": "Public resolvers", "type": "cidr", "list": ["8.8.8.8/32"], "matching_attributes": ["ip-dst"]}).to_string()).unwrap();
    let text = "C2 at 185.100.87[.]202 and hxxps://evil[.]example[.]com/gate; DNS via 8.8.8.8. CVE-2024-3400, T1059.001.";
    // Any role may ask: it stores and releases nothing.
    let (status, found) = call(&node, &node.viewer_a, "POST", "extract", Some(json!({"text": text}))).await;
    assert_eq!(status, 200, "{found}");
    let candidates = found["candidates"].as_array().unwrap();
    let value = |v: &str| candidates.iter().find(|c| c["value"] == v).unwrap_or_else(|| panic!("{v} not found: {found}"));
    assert_eq!((value("185.100.87.202")["kind"].clone(), value("185.100.87.202")["defanged"].clone()), (json!("ipv4"), json!(true)));
    assert_eq!(value("https://evil.example.com/gate")["kind"], "url");
    assert_eq!(value("8.8.8.8")["warning"], "Public resolvers");
    assert_eq!(value("T1059.001")["kind"], "attack");
    assert_eq!(found["warninglists"], 1);
    // HTML: tags and scripts dropped.
    let (_, html) = call(&node, &node.viewer_a, "POST", "extract", Some(json!({"text": "<p>see <b>203.0.113[.]9</b></p><script>var x='198.51.100.1'</script>", "html": true}))).await;
    let values: Vec<&str> = html["candidates"].as_array().unwrap().iter().map(|c| c["value"].as_str().unwrap()).collect();
    assert_eq!(values, ["203.0.113.9"], "{html}");
    // The report: its objects, the benign resolver left out; shared by an analyst, authored as its partner.
    let (status, made) = call(&node, &node.token_a, "POST", "extract", Some(json!({"text": text, "report": {"title": "Vendor note", "tlp": "green"}}))).await;
    assert_eq!(status, 200, "{made}");
    let objects = made["objects"].as_array().unwrap();
    assert_eq!(objects[0]["type"], "report");
    assert_eq!(objects.len(), 5, "report, two indicators, a vulnerability, an attack pattern: {made}");
    assert!(!made["objects"].to_string().contains("8.8.8.8"));
    let (status, shared) = call(&node, &node.token_a, "POST", "objects", Some(json!({"objects": objects}))).await;
    assert_eq!(status, 200, "{shared}");
    assert!(!shared.to_string().contains("refused"), "{shared}");
    let report_id = objects[0]["id"].as_str().unwrap();
    let (status, stored) = call(&node, &node.token_a, "GET", &format!("objects/{report_id}"), None).await;
    assert_eq!((status.as_u16(), stored["created_by_ref"].clone()), (200, json!(node.a)), "{stored}");
    // Bad input is named; nothing to report is 422.
    let (status, e) = call(&node, &node.viewer_a, "POST", "extract", Some(json!({"text": text, "report": {"title": "x", "tlp": "purple"}}))).await;
    assert_eq!(status, 422, "{e}");
    assert!(e.to_string().contains("report.tlp"), "{e}");
    let (status, e) = call(&node, &node.viewer_a, "POST", "extract", Some(json!({"text": "nothing here but 8.8.8.8", "report": {"title": "x"}}))).await;
    assert_eq!(status, 422, "{e}");
    let (status, _) = call(&node, &node.viewer_a, "POST", "extract", Some(json!({"txt": "typo"}))).await;
    assert!(status.is_client_error());
}
