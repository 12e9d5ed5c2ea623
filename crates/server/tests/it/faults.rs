//! Storage faults: when the database drops every connection (as a restart
//! does), requests fail cleanly with 503 and a TAXII body, nothing
//! acknowledged is lost, and the node recovers without a restart.

use reqwest::Client;
use serde_json::{json, Value};

use crate::{start, Backend};

const TAXII: &str = "application/taxii+json;version=2.1";

#[tokio::test]
async fn postgres_connections_dropped_then_recovered() {
    let node = start(Backend::Postgres, Default::default()).await;
    let url = format!("{}/taxii2/root/collections/{}/objects/", node.url, node.shared);
    let http = Client::new();
    let object = json!({
        "type": "indicator", "spec_version": "2.1", "id": "indicator--00000000-0000-4000-8000-000000000001",
        "created_by_ref": node.a, "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z",
        "pattern": "[ipv4-addr:value = '10.0.0.1']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"
    });
    let r = http.post(&url).bearer_auth(&node.token_a).header("Content-Type", TAXII)
        .body(serde_json::to_vec(&json!({"objects": [object]})).unwrap()).send().await.unwrap();
    assert_eq!(r.status(), 202);

    // Drop every connection of this node, again and again for a while, as
    // restarts would, while requests keep coming (other tests' nodes share
    // the database server and are left alone).
    let name = node.pg_name.clone().expect("a PostgreSQL node");
    let killer = tokio::task::spawn_blocking(move || {
        let mut admin = postgres::Client::connect(&store_postgres::testing::database_url(), postgres::NoTls).unwrap();
        let until = std::time::Instant::now() + std::time::Duration::from_millis(500);
        while std::time::Instant::now() < until {
            admin
                .execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                     WHERE pid <> pg_backend_pid() AND application_name = $1",
                    &[&name],
                )
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    });

    // Requests either succeed on a fresh connection or fail cleanly: 503, TAXII body.
    let mut saw = Vec::new();
    while !killer.is_finished() {
        let r = http.get(&url).bearer_auth(&node.token_a).header("Accept", TAXII).send().await.unwrap();
        let status = r.status().as_u16();
        assert_eq!(r.headers()["content-type"], TAXII);
        let body: Value = r.json().await.unwrap();
        assert!(status == 200 || (status == 503 && body["http_status"] == "503"), "{status}: {body}");
        saw.push(status);
    }
    killer.await.unwrap();
    println!("statuses while connections were dropped: {} x 200, {} x 503", saw.iter().filter(|s| **s == 200).count(), saw.iter().filter(|s| **s == 503).count());
    // After the faults: every request succeeds, and nothing acknowledged was lost.
    saw.clear();
    for _ in 0..5 {
        let r = http.get(&url).bearer_auth(&node.token_a).header("Accept", TAXII).send().await.unwrap();
        let status = r.status().as_u16();
        assert_eq!(r.headers()["content-type"], TAXII);
        let body: Value = r.json().await.unwrap();
        match status {
            200 => {
                assert_eq!(body["objects"].as_array().map(Vec::len), Some(1), "the acknowledged object is still there");
                saw.push(200);
            }
            503 => {
                assert_eq!(body["http_status"], "503", "{body}");
                saw.push(503);
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(saw.last(), Some(&200), "recovered without a restart: {saw:?}");
}
