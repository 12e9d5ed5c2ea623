//! Two `entente serve` processes on one PostgreSQL database: both accept
//! writes, and a client paging across both, alternating between them, sees
//! every object exactly once while the writes go on.

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::{entente_env, free_port, stderr, Server};

const TAXII: &str = "application/taxii+json;version=2.1";

fn serve(dir: &std::path::Path, db: &str, port: u16) -> Server {
    Server(
        Command::new(env!("CARGO_BIN_EXE_entente"))
            .current_dir(dir)
            .args(["--database-url", db, "serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("ENTENTE_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

fn wait_up(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while reqwest::blocking::get(format!("http://127.0.0.1:{port}/healthz")).is_err() {
        assert!(Instant::now() < deadline, "server on {port} did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn indicator(author: &str, writer: u32, n: u32) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8{writer:03}-{n:012}"),
        "created_by_ref": author,
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '10.0.0.1']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"
    })
}

#[test]
fn postgres_two_servers_keep_paging_exact() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = store_postgres::testing::fresh_url();
    let env = [("ENTENTE_DATABASE_URL", db.as_str())];
    let out = entente_env(d, &["init", "--name", "Aurelia"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    let author = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let token = String::from_utf8(entente_env(d, &["token", "create", "--partner", &author, "--role", "analyst"], &env).stdout)
        .unwrap()
        .trim()
        .to_owned();
    let collection = String::from_utf8(entente_env(d, &["collection", "create", "--title", "shared", "--write", "all"], &env).stdout)
        .unwrap()
        .trim()
        .to_owned();
    let ports = [free_port(), free_port()];
    let _servers: Vec<Server> = ports.iter().map(|p| serve(d, &db, *p)).collect();
    ports.iter().for_each(|p| wait_up(*p));
    let objects_url = |port: u16| format!("http://127.0.0.1:{port}/taxii2/root/collections/{collection}/objects/");

    // Two writers, one per server, 40 envelopes of 5 objects each.
    let writers: Vec<_> = ports
        .iter()
        .enumerate()
        .map(|(w, &port)| {
            let (url, token, author) = (objects_url(port), token.clone(), author.clone());
            std::thread::spawn(move || {
                let http = reqwest::blocking::Client::new();
                for batch in 0..40u32 {
                    let objects: Vec<Value> = (0..5).map(|i| indicator(&author, w as u32, batch * 5 + i)).collect();
                    let r = http
                        .post(&url)
                        .bearer_auth(&token)
                        .header("Content-Type", TAXII)
                        .body(serde_json::to_vec(&json!({ "objects": objects })).unwrap())
                        .send()
                        .unwrap();
                    assert_eq!(r.status(), 202);
                    let status: Value = r.json().unwrap();
                    assert_eq!(status["success_count"], 5, "{status}");
                }
            })
        })
        .collect();

    // A reader alternating between the servers, by added_after and by next.
    let http = reqwest::blocking::Client::new();
    let mut seen = HashSet::new();
    let mut added_after: Option<String> = None;
    let mut turn = 0usize;
    let mut read_page = |seen: &mut HashSet<String>, added_after: &mut Option<String>| -> bool {
        let port = ports[turn % 2];
        turn += 1;
        let mut url = format!("{}?limit=7", objects_url(port));
        if let Some(a) = added_after.as_deref() {
            url.push_str(&format!("&added_after={a}"));
        }
        let r = http.get(&url).bearer_auth(&token).header("Accept", TAXII).send().unwrap();
        assert_eq!(r.status(), 200);
        let last = r.headers().get("x-taxii-date-added-last").map(|v| v.to_str().unwrap().to_owned());
        let body: Value = r.json().unwrap();
        let page = body["objects"].as_array().cloned().unwrap_or_default();
        for o in &page {
            let id = o["id"].as_str().unwrap().to_owned();
            assert!(seen.insert(id.clone()), "{id} served twice");
        }
        if let Some(l) = last {
            *added_after = Some(l);
        }
        !page.is_empty()
    };
    while writers.iter().any(|w| !w.is_finished()) {
        read_page(&mut seen, &mut added_after);
    }
    for w in writers {
        w.join().unwrap();
    }
    while read_page(&mut seen, &mut added_after) {}
    assert_eq!(seen.len(), 400, "nothing skipped");

    // A `next` cursor from one server continues on the other (the cursor key is shared).
    let first: Value = http
        .get(format!("{}?limit=150", objects_url(ports[0])))
        .bearer_auth(&token)
        .header("Accept", TAXII)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let next = first["next"].as_str().unwrap();
    let rest: Value = http
        .get(format!("{}?limit=1000&next={next}", objects_url(ports[1])))
        .bearer_auth(&token)
        .header("Accept", TAXII)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let n = first["objects"].as_array().unwrap().len() + rest["objects"].as_array().unwrap().len();
    assert_eq!(n, 400);
}
