//! The share, detection and pattern workbench pages: sharing pasted and
//! uploaded STIX under an agreement (the valid rest kept, refusals named),
//! the indicator form and its pattern errors in place, the live check's
//! JSON and its CSRF header, matching on the workbench, detection through
//! the caller's release gate and sightings, roles, CSRF, body limits,
//! escaping, and the CSP that lets only the node's own script run.

use reqwest::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, LOCATION};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::web::{client, csrf_of, sign_in, Browser, PAYLOADS};
use crate::{call, ratified_agreement, start, Backend, Node};

crate::on_both_backends!(
    share_page_follows_agreements,
    share_keeps_the_valid_rest,
    an_object_naming_no_author_is_the_sharers,
    indicator_form,
    a_pasted_list_of_values_is_shared_as_indicators,
    workbench_checks_and_matches,
    detection_through_the_release_gate,
    received_objects_show_and_sight_under_their_agreement,
    roles_csrf_and_script_policy,
    uploads_over_the_limit
);

const BOUNDARY: &str = "entente-test-7c1f0b2a";

/// A `multipart/form-data` body of text fields and an optional file
/// (`file`, with its file name and contents).
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str)>) -> Vec<u8> {
    let mut body = String::new();
    for (k, v) in fields {
        body += &format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n");
    }
    if let Some((name, content)) = file {
        body += &format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/json\r\n\r\n{content}\r\n");
    }
    body += &format!("--{BOUNDARY}--\r\n");
    body.into_bytes()
}

async fn post_multipart(b: &Browser<'_>, path: &str, body: Vec<u8>) -> reqwest::Response {
    client()
        .post(format!("{}{path}", b.node.url))
        .header(COOKIE, &b.cookie)
        .header(CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The CSRF token of a page of `b`'s session.
async fn csrf(b: &Browser<'_>) -> String {
    csrf_of(&b.get("/workbench").await.2)
}

fn uuid(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

/// Observation `n`: an observed-data of the address `ip`, seen `number`
/// times, and the address.
fn observed(n: u32, ip: &str, number: u32) -> Vec<Value> {
    vec![
        json!({ "type": "observed-data", "spec_version": "2.1", "id": format!("observed-data--{}", uuid(n)),
          "created": "2026-02-01T00:00:00Z", "modified": "2026-02-01T00:00:00Z",
          "first_observed": "2026-02-01T00:00:00Z", "last_observed": "2026-02-01T00:05:00Z", "number_observed": number,
          "object_refs": [format!("ipv4-addr--{}", uuid(n))] }),
        json!({ "type": "ipv4-addr", "id": format!("ipv4-addr--{}", uuid(n)), "value": ip }),
    ]
}

fn indicator(n: u32, author: &str, name: &str, pattern: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1", "id": format!("indicator--{}", uuid(n)),
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
        "created_by_ref": author, "name": name, "description": PAYLOADS.join(" "),
        "pattern": pattern, "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"
    })
}

fn malware(n: u32, author: &str, name: &str) -> Value {
    json!({
        "type": "malware", "spec_version": "2.1", "id": format!("malware--{}", uuid(n)),
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
        "created_by_ref": author, "name": name, "is_family": false
    })
}

fn bundle(objects: Vec<Value>) -> Value {
    json!({ "type": "bundle", "id": format!("bundle--{}", uuid(999)), "objects": objects })
}

/// An agreement proposed by A with C and not ratified: never offered.
async fn proposed_agreement(node: &Node) -> String {
    let terms = json!({
        "title": "A–C draft", "purpose": "not yet", "party_refs": [node.a, node.c],
        "scope": { "object_types": ["indicator"], "labels": [], "data_kind": "real" },
        "tlp_ceiling": "amber",
        "handling": { "reshare": "parties-only", "attribution": "required", "permitted_actions": [] },
        "valid_from": "2020-01-01T00:00:00Z"
    });
    let (s, v) = call(node, &node.liaison[0], "POST", "agreements", Some(terms)).await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

fn hostile(name: &str) -> String {
    format!("{name} {} {}", PAYLOADS[0], PAYLOADS[1])
}

/// The page contains no markup from `PAYLOADS`, only their escaped text.
fn assert_escaped(what: &str, html: &str) {
    assert!(!html.contains("<script>alert"), "{what}: a script element: {html}");
    assert!(!html.contains("<svg"), "{what}: an svg element");
    assert!(!html.contains(PAYLOADS[1]), "{what}: an attribute handler");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{what}: the payload shown as text: {html}");
}

async fn share_page_follows_agreements(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let ab = ratified_agreement(&node, "A–B <i>sharing</i>", &[0, 1], &["indicator", "malware"]).await;
    let draft = proposed_agreement(&node).await;
    let a = sign_in(&node, &node.token_a).await;
    let (s, csp, form) = a.get("/share").await;
    assert_eq!(s, 200, "{form}");
    assert_eq!(csp.as_deref(), Some(server::web::CSP));
    assert!(form.contains(&format!("name=\"agreement\" value=\"{ab}\"")), "the agreement in force is offered: {form}");
    assert!(form.contains("A–B &lt;i&gt;sharing&lt;/i&gt;"), "its title as text: {form}");
    assert!(!form.contains(&draft), "an agreement not in force is not offered");
    assert!(form.contains("enctype=\"multipart/form-data\"") && form.contains("name=\"stix\"") && form.contains("name=\"file\""), "{form}");
    let token = csrf_of(&form);

    // A pasted bundle and an uploaded one, shared under the A–B agreement.
    let pasted = bundle(vec![
        indicator(1, &node.a, &hostile("pasted"), "[ipv4-addr:value = '198.51.100.7']"),
        malware(2, &node.a, &hostile("pasted malware")),
    ]);
    let uploaded = bundle(vec![malware(3, &node.a, "uploaded malware")]);
    let r = post_multipart(
        &a,
        "/share",
        multipart(&[("csrf", &token), ("stix", &pasted.to_string()), ("agreement", &ab)], Some(("bundle.json", &uploaded.to_string()))),
    )
    .await;
    assert_eq!(r.status(), 200);
    let result = r.text().await.unwrap();
    for n in [1, 2, 3] {
        assert!(result.contains(&format!("/intel/{}--{}\"", if n == 1 { "indicator" } else { "malware" }, uuid(n))), "{n} stored and linked: {result}");
    }
    assert!(result.contains("3 stored, 0 already stored, 0 refused"), "{result}");
    assert_escaped("share result", &result);

    // B, party to the agreement, finds them; C does not.
    let b = sign_in(&node, &node.token_b).await;
    let c = sign_in(&node, &node.liaison[2]).await;
    for id in [format!("indicator--{}", uuid(1)), format!("malware--{}", uuid(2)), format!("malware--{}", uuid(3))] {
        let (s, _, page) = b.get(&format!("/intel/{id}")).await;
        assert_eq!(s, 200, "B sees {id}: {page}");
        assert!(page.contains("Aurelia"), "{page}");
        assert_eq!(c.get(&format!("/intel/{id}")).await.0, 404, "C does not see {id}");
    }

    // Sharing again is reported as already stored; no agreement chosen: A's alone.
    let r = post_multipart(&a, "/share", multipart(&[("csrf", &token), ("stix", &pasted.to_string())], None)).await;
    assert!(r.text().await.unwrap().contains("0 stored, 2 already stored, 0 refused"));
    let own = malware(4, &node.a, "kept");
    let r = post_multipart(&a, "/share", multipart(&[("csrf", &token), ("stix", &own.to_string())], None)).await;
    assert!(r.text().await.unwrap().contains("1 stored"));
    assert_eq!(b.get(&format!("/intel/malware--{}", uuid(4))).await.0, 404, "shared under no agreement");
    // An agreement A is not party to is refused, the pasted text kept.
    let r = post_multipart(&a, "/share", multipart(&[("csrf", &token), ("stix", &own.to_string()), ("agreement", "x-entente-agreement--00000000-0000-4000-8000-000000000000")], None)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("not an agreement your partner is party to"), "{page}");
    assert!(page.contains("&quot;kept&quot;"), "the pasted text is kept: {page}");
    // Not JSON.
    let r = post_multipart(&a, "/share", multipart(&[("csrf", &token), ("stix", "{ nope")], None)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn share_keeps_the_valid_rest(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let ab = ratified_agreement(&node, "A–B", &[0, 1], &["indicator", "malware"]).await;
    let a = sign_in(&node, &node.token_a).await;
    let token = csrf(&a).await;
    let good = malware(1, &node.a, "good");
    let bad_pattern = indicator(2, &node.a, "bad", "[ipv4-addr:value = ");
    let mut bad_time = malware(3, &node.a, "x");
    bad_time["modified"] = json!("someday");
    let as_b = malware(4, &node.b, "claims to be B's");
    let objects = json!([good, bad_pattern, bad_time, as_b]);
    let r = post_multipart(&a, "/share", multipart(&[("csrf", &token), ("stix", &objects.to_string()), ("agreement", &ab)], None)).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!("href=\"/intel/malware--{}\"", uuid(1))), "the valid one is stored: {html}");
    let row = |id: &str| {
        let at = html.find(id).unwrap_or_else(|| panic!("{id} is named: {html}"));
        html[at..].split("</tr>").next().unwrap().to_owned()
    };
    let bad = row(&format!("indicator--{}", uuid(2)));
    assert!(bad.contains("refused") && bad.contains("property `pattern`"), "the bad object and its property: {bad}");
    let time = row(&format!("malware--{}", uuid(3)));
    assert!(time.contains("refused") && time.contains("modified"), "{time}");
    let other = row(&format!("malware--{}", uuid(4)));
    assert!(other.contains("refused"), "another partner's object: {other}");
    assert!(!html.contains(&format!("href=\"/intel/indicator--{}\"", uuid(2))));
    assert!(html.contains("1 stored, 0 already stored, 3 refused"), "{html}");
    // The valid one is B's to see, the refused ones are nowhere.
    let b = sign_in(&node, &node.token_b).await;
    assert_eq!(b.get(&format!("/intel/malware--{}", uuid(1))).await.0, 200);
    for id in [format!("indicator--{}", uuid(2)), format!("malware--{}", uuid(3))] {
        assert_eq!(a.get(&format!("/intel/{id}")).await.0, 404, "{id} was not stored");
    }
}

/// A pasted object without `created_by_ref` is authored as the sharer's
/// partner: stored naming it, shown with it, released as its object.
async fn an_object_naming_no_author_is_the_sharers(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let ab = ratified_agreement(&node, "A–B", &[0, 1], &["malware"]).await;
    let a = sign_in(&node, &node.token_a).await;
    let token = csrf(&a).await;
    let mut unnamed = malware(1, &node.a, "nobody's");
    unnamed.as_object_mut().unwrap().remove("created_by_ref");
    let r = post_multipart(&a, "/share", multipart(&[("csrf", &token), ("stix", &unnamed.to_string()), ("agreement", &ab)], None)).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("1 stored"));
    let id = format!("malware--{}", uuid(1));
    let (s, v) = call(&node, &node.token_a, "GET", &format!("objects/{id}"), None).await;
    assert_eq!((s, v["created_by_ref"].as_str()), (StatusCode::OK, Some(node.a.as_str())), "{v}");
    let (_, _, page) = a.get(&format!("/intel/{id}")).await;
    assert!(!page.contains("(none named)") && page.contains("Aurelia"), "{page}");
    assert_eq!(sign_in(&node, &node.token_b).await.get(&format!("/intel/{id}")).await.0, 200, "B receives it under A–B");
}

/// `s` with the HTML escapes maud writes undone.
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'").replace("&amp;", "&")
}

async fn indicator_form(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let ab = ratified_agreement(&node, "A–B", &[0, 1], &["indicator"]).await;
    let a = sign_in(&node, &node.token_a).await;
    let form = a.get("/share").await.2;
    for field in ["name=\"name\"", "name=\"pattern\"", "name=\"indicator_types\"", "name=\"valid_from\"", "name=\"labels\"", "action=\"/share/indicator\"", ">Share indicator</button>"] {
        assert!(form.contains(field), "{field}: {form}");
    }
    let token = csrf_of(&form);
    let name = hostile("beacon");
    let fields = [
        ("csrf", token.as_str()),
        ("name", name.as_str()),
        ("pattern", "[ipv4-addr:value = '198.51.100.7']"),
        ("indicator_types", "malicious-activity, attribution"),
        ("valid_from", "2026-01-01T00:00:00Z"),
        ("labels", "beacon"),
        ("agreement", ab.as_str()),
        ("tlp", "green"),
    ];
    let r = a.post("/share/indicator", &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()[LOCATION].to_str().unwrap().to_owned();
    let id = to.strip_prefix("/intel/indicator--").map(|u| format!("indicator--{u}")).unwrap_or_else(|| panic!("{to}"));
    let (s, _, page) = a.get(&to).await;
    assert_eq!(s, 200, "{page}");
    assert_escaped("the new indicator's page", &page);
    // Authored by A, shared under the agreement: B reads it through the API.
    let (s, v) = call(&node, &node.token_b, "GET", &format!("objects/{id}"), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["created_by_ref"], node.a.as_str());
    assert_eq!(v["pattern_type"], "stix");
    assert_eq!(v["name"], name.as_str());
    assert_eq!(v["indicator_types"], json!(["malicious-activity", "attribution"]));
    assert_eq!(v["labels"], json!(["beacon"]));
    assert_eq!(v["valid_from"], "2026-01-01T00:00:00Z");
    assert_eq!(v["object_marking_refs"], json!([model::tlp::Tlp::Green.marking_id()]), "the TLP chosen");
    assert_eq!(call(&node, &node.liaison[2], "GET", &format!("objects/{id}"), None).await.0, 404, "not C's");

    // A bad pattern: 422, the span at fault marked, the values kept.
    let mut bad = fields;
    bad[2] = ("pattern", "[ipv4-addr:value = '198.51.100.7'] WITHIN bogus SECONDS");
    let r = a.post("/share/indicator", &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("<mark>bogus</mark>"), "the span marked: {html}");
    assert!(html.contains("WITHIN <mark>bogus</mark> SECONDS"), "in the pattern: {html}");
    assert!(html.contains("at character 43"), "the position: {html}");
    assert!(html.contains(&format!("value=\"{}\"", "[ipv4-addr:value = &#39;198.51.100.7&#39;] WITHIN bogus SECONDS")) || html.contains("value=\"[ipv4-addr:value = '198.51.100.7'] WITHIN bogus SECONDS\""), "the pattern kept: {html}");
    assert!(unescape(&html).contains(&format!("value=\"{name}\"")), "the name kept");
    assert!(html.contains("value=\"malicious-activity, attribution\"") && html.contains("value=\"2026-01-01T00:00:00Z\"") && html.contains("value=\"beacon\""), "{html}");
    assert!(html.contains(&format!("value=\"{ab}\" checked")), "the agreement still chosen: {html}");
    assert_escaped("the form again", &html);
    // A pattern carrying markup is marked as text.
    bad[2] = ("pattern", "[ipv4-addr:value = '1'] WITHIN <svg onload=alert(1)> SECONDS");
    let html = a.post("/share/indicator", &bad).await.text().await.unwrap();
    assert!(html.contains("<mark>&lt;</mark>svg onload=alert(1)&gt; SECONDS") || html.contains("<mark>&lt;svg"), "{html}");
    assert!(!html.contains("<svg"), "{html}");
    // A bad date.
    let mut late = fields;
    late[4] = ("valid_from", "someday");
    let r = a.post("/share/indicator", &late).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Valid from"));

    // The TLP is required; one above the agreement's ceiling, or no
    // agreement at all, is warned about and shared only when confirmed.
    let stored = || async { call(&node, &node.token_a, "GET", "objects?type=indicator", None).await.1["objects"].as_array().map_or(0, Vec::len) };
    let before = stored().await;
    let without: Vec<(&str, &str)> = fields.iter().copied().filter(|(k, _)| *k != "tlp").collect();
    let r = a.post("/share/indicator", &without).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("TLP: choose the marking"));
    let mut red = fields;
    red[7] = ("tlp", "red");
    let r = a.post("/share/indicator", &red).await;
    assert_eq!(r.status(), StatusCode::OK, "a warning, not a refusal");
    let html = r.text().await.unwrap();
    assert!(html.contains("TLP:RED is above the ceiling of “A–B” (TLP:AMBER)") && html.contains("Share it anyway"), "{html}");
    assert!(html.contains("value=\"red\" required checked"), "the choice kept: {html}");
    let none: Vec<(&str, &str)> = fields.iter().copied().filter(|(k, _)| *k != "agreement").collect();
    let html = a.post("/share/indicator", &none).await.text().await.unwrap();
    assert!(html.contains("No agreement is chosen: the indicator (TLP:GREEN) would be stored as your partner's own and reach no partner."), "{html}");
    assert_eq!(stored().await, before, "nothing stored without confirming");
    let mut confirmed = red.to_vec();
    confirmed.push(("confirm", "1"));
    let r = a.post("/share/indicator", &confirmed).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()[LOCATION].to_str().unwrap().to_owned();
    let id = to.trim_start_matches("/intel/");
    assert_eq!(call(&node, &node.token_b, "GET", &format!("objects/{id}"), None).await.0, 404, "TLP:RED above the ceiling: B never gets it");
    assert_eq!(stored().await, before + 1);
}

/// A pasted list (defanged values and running text among them) becomes an
/// indicator per value, marked with the TLP chosen, gathered in a report
/// when titled, shared under the agreement: B reads them; the TLP is
/// required, text with no value is refused, hostile text comes back escaped.
async fn a_pasted_list_of_values_is_shared_as_indicators(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let ab = ratified_agreement(&node, "A–B", &[0, 1], &["indicator", "report", "vulnerability"]).await;
    let a = sign_in(&node, &node.token_a).await;
    let form = a.get("/share").await.2;
    assert!(form.contains("action=\"/share/values\"") && form.contains(">Share values</button>"), "{form}");
    let token = csrf_of(&form);
    let text = "seen 198.51.100.9 and evil-cdn[.]com today\nhxxp://bad-site[.]net/x\nd41d8cd98f00b204e9800998ecf8427e\nCVE-2024-3400";
    let title = hostile("Phish wave");
    let fields = [("csrf", token.as_str()), ("values", text), ("report", title.as_str()), ("tlp", "green"), ("agreement", ab.as_str())];
    let r = a.post("/share/values", &fields).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("6 stored, 0 already stored, 0 refused."), "a report, four indicators and a vulnerability: {html}");
    assert_escaped("the results", &html);
    let (s, v) = call(&node, &node.token_b, "GET", "objects?type=indicator", None).await;
    assert_eq!(s, 200, "{v}");
    let mut patterns: Vec<String> = v["objects"].as_array().unwrap().iter().map(|o| o["pattern"].as_str().unwrap().to_owned()).collect();
    patterns.sort();
    assert_eq!(patterns, ["[domain-name:value = 'evil-cdn.com']", "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']", "[ipv4-addr:value = '198.51.100.9']", "[url:value = 'http://bad-site.net/x']"], "refanged, one each");
    for o in v["objects"].as_array().unwrap() {
        assert_eq!(o["object_marking_refs"], json!([model::tlp::Tlp::Green.marking_id()]), "{o}");
        assert_eq!(o["created_by_ref"], node.a.as_str(), "authored by the sharer: {o}");
    }
    let (_, reports) = call(&node, &node.token_b, "GET", "objects?type=report", None).await;
    assert_eq!(reports["objects"][0]["name"], title.as_str());
    assert_eq!(reports["objects"][0]["object_refs"].as_array().map(Vec::len), Some(5), "{reports}");
    assert_eq!(call(&node, &node.liaison[2], "GET", "objects?type=indicator", None).await.1["objects"].as_array().map(Vec::len), Some(0), "not C's");

    // No TLP: 422, the text kept; no value in the text: 422.
    let r = a.post("/share/values", &[("csrf", token.as_str()), ("values", text), ("agreement", ab.as_str())]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("TLP: choose the marking the values carry.") && html.contains("evil-cdn[.]com today"), "{html}");
    let r = a.post("/share/values", &[("csrf", token.as_str()), ("values", "nothing <script>alert(1)</script> here"), ("tlp", "green"), ("agreement", ab.as_str())]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("No value found in that") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script>alert"), "{html}");
    // Without an agreement: warned, nothing stored until confirmed.
    let html = a.post("/share/values", &[("csrf", token.as_str()), ("values", "203.0.113.250"), ("tlp", "green")]).await.text().await.unwrap();
    assert!(html.contains("would be stored as your partner's own and reach no partner") && html.contains("id=\"values-confirm\""), "{html}");
    let (_, mine) = call(&node, &node.token_a, "GET", "objects?type=indicator", None).await;
    assert!(!mine.to_string().contains("203.0.113.250"), "not stored before confirming");
    // Values on the node's warning lists are left out, said so; all of
    // them listed is refused; asked for, they are shared.
    let lists = node.data_dir().join("warninglists/resolvers");
    std::fs::create_dir_all(&lists).unwrap();
    std::fs::write(lists.join("list.json"), json!({"name": "Public resolvers", "type": "cidr", "list": ["8.8.8.8/32"], "matching_attributes": ["ip-dst"]}).to_string()).unwrap();
    let html = a.post("/share/values", &[("csrf", token.as_str()), ("values", "8.8.8.8 203.0.113.5"), ("tlp", "green"), ("agreement", ab.as_str())]).await.text().await.unwrap();
    assert!(html.contains("1 stored, 0 already stored, 0 refused. 1 left out: on a warning list.") && html.contains("on the warning list “Public resolvers”"), "{html}");
    let r = a.post("/share/values", &[("csrf", token.as_str()), ("values", "8.8.8.8"), ("tlp", "green"), ("agreement", ab.as_str())]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("8.8.8.8 — Public resolvers"));
    let html = a.post("/share/values", &[("csrf", token.as_str()), ("values", "8.8.8.8"), ("tlp", "green"), ("agreement", ab.as_str()), ("include_listed", "1")]).await.text().await.unwrap();
    assert!(html.contains("1 stored"), "{html}");
}

async fn workbench_checks_and_matches(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let b = sign_in(&node, &node.token_b).await;
    let (s, csp, page) = b.get("/workbench").await;
    assert_eq!(s, 200);
    assert_eq!(csp.as_deref(), Some(server::web::CSP));
    let token = csrf_of(&page);
    assert!(page.contains(&format!("data-csrf=\"{token}\"")), "{page}");
    assert!(page.contains("<script src=\"/static/workbench.js\" defer></script>"), "{page}");

    // The live check: JSON with the position, only with the CSRF header.
    let validate = |header: Option<String>, pattern: &str| {
        let mut r = client().post(format!("{}/workbench/validate", node.url)).header(COOKIE, &b.cookie).json(&json!({ "pattern": pattern }));
        if let Some(h) = header {
            r = r.header("X-CSRF-Token", h);
        }
        r.send()
    };
    let bad = "[ipv4-addr:value = '198.51.100.7'] WITHIN bogus SECONDS";
    let r = validate(Some(token.clone()), bad).await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["valid"], false, "{v}");
    assert_eq!((v["start"].as_u64(), v["end"].as_u64(), v["column"].as_u64()), (Some(42), Some(47), Some(43)), "{v}");
    assert_eq!(v["span"], "bogus");
    assert!(v["message"].as_str().unwrap().contains("bogus"), "{v}");
    let v: Value = validate(Some(token.clone()), "[ipv4-addr:value = '198.51.100.7']").await.unwrap().json().await.unwrap();
    assert_eq!(v, json!({ "valid": true }));
    // Unexpected end: the end is marked.
    let v: Value = validate(Some(token.clone()), "[ipv4-addr:value = ").await.unwrap().json().await.unwrap();
    assert_eq!((v["valid"].as_bool(), v["start"].as_u64()), (Some(false), Some(19)), "{v}");
    assert_eq!(validate(None, bad).await.unwrap().status(), StatusCode::FORBIDDEN, "no CSRF header");
    assert_eq!(validate(Some("0".repeat(64)), bad).await.unwrap().status(), StatusCode::FORBIDDEN, "a wrong one");
    let r = client().post(format!("{}/workbench/validate", node.url)).header("X-CSRF-Token", &token).json(&json!({ "pattern": bad })).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "no session");

    // Matching pasted observed-data.
    let objects: Vec<Value> = [observed(1, "198.51.100.7", 1), observed(2, "192.0.2.1", 1)].concat();
    let observed = json!({ "type": "bundle", "id": format!("bundle--{}", uuid(1)), "objects": objects }).to_string();
    // The row of an observation in the table of matches (its id is in the textarea too).
    let row = |html: &str, n: u32| {
        let table = html.find("<h2>Matches</h2>").unwrap_or_else(|| panic!("{html}"));
        let at = html[table..].find(&format!("observed-data--{}", uuid(n))).unwrap_or_else(|| panic!("{html}")) + table;
        html[at..].split("</tr>").next().unwrap().to_owned()
    };
    let r = b.post("/workbench", &[("csrf", &token), ("pattern", "[ipv4-addr:value = '198.51.100.7']"), ("observed", &observed)]).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Matched 1 of 2 observations."), "{html}");
    assert!(row(&html, 1).contains(">matched<"), "{html}");
    assert!(row(&html, 2).contains("not matched"), "{html}");
    let html = b.post("/workbench", &[("csrf", &token), ("pattern", "[ipv4-addr:value = '203.0.113.9']"), ("observed", &observed)]).await.text().await.unwrap();
    assert!(html.contains("No observation matched."), "{html}");
    assert!(!html.contains(">matched<"), "{html}");
    let html = b.post("/workbench", &[("csrf", &token), ("pattern", "[ipv4-addr:value ISSUBSET '198.51.100.0/24']"), ("observed", &observed)]).await.text().await.unwrap();
    assert!(row(&html, 1).contains(">matched<") && row(&html, 2).contains("not matched"), "{html}");
    // A bad pattern on the workbench: 422 and marked, escaped.
    let r = b.post("/workbench", &[("csrf", &token), ("pattern", &format!("[file:name = '{}'] WITHIN bogus SECONDS", PAYLOADS[0])), ("observed", "")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("<mark>bogus</mark>"), "{html}");
    assert_escaped("the workbench", &html);
    // Observed data that is not JSON: 422.
    let r = b.post("/workbench", &[("csrf", &token), ("pattern", "[ipv4-addr:value = '1.2.3.4']"), ("observed", "{")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b.post("/workbench", &[("pattern", "[ipv4-addr:value = '1.2.3.4']")]).await.status(), StatusCode::FORBIDDEN);
}

/// The value of the hidden field `name` in the first form after `from` in `html`.
fn hidden(html: &str, from: usize, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let start = html[from..].find(&key).unwrap() + from + key.len();
    unescape(html[start..].split('"').next().unwrap())
}

async fn detection_through_the_release_gate(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let ab = ratified_agreement(&node, "A–B detection", &[0, 1], &["indicator", "sighting"]).await;
    let shared = indicator(1, &node.a, &hostile("watched address"), "[ipv4-addr:value = '198.51.100.7']");
    let (s, v) = call(&node, &node.token_a, "POST", "objects", Some(json!({ "objects": [shared], "agreements": [ab] }))).await;
    assert_eq!(s, 200, "{v}");
    let id = format!("indicator--{}", uuid(1));
    let observations = json!([{ "type": "bundle", "id": format!("bundle--{}", uuid(5)), "objects": observed(5, "198.51.100.7", 2) }]).to_string();

    // B, party to the agreement, uploads them and sees the hit.
    let b = sign_in(&node, &node.token_b).await;
    let (s, _, form) = b.get("/detection").await;
    assert_eq!(s, 200);
    assert!(form.contains("name=\"observations\"") && form.contains("name=\"file\""), "{form}");
    let token = csrf_of(&form);
    let r = post_multipart(&b, "/detection", multipart(&[("csrf", &token)], Some(("observations.json", &observations)))).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!("href=\"/intel/{id}\"")), "the hit: {html}");
    assert!(html.contains("Aurelia") && html.contains("A–B detection"), "author and agreement: {html}");
    assert!(html.contains("1 hit."), "{html}");
    assert_escaped("detection result", &html);
    // Pasted works the same.
    let pasted = post_multipart(&b, "/detection", multipart(&[("csrf", &token), ("observations", &observations)], None)).await.text().await.unwrap();
    assert!(pasted.contains(&format!("href=\"/intel/{id}\"")), "{pasted}");
    // So does a plain list of values, defanged or not: one observation each.
    let listed = post_multipart(&b, "/detection", multipart(&[("csrf", &token), ("observations", "198.51.100[.]7\n203.0.113.99\nnot-a-value")], None)).await.text().await.unwrap();
    assert!(listed.contains(&format!("href=\"/intel/{id}\"")) && listed.contains("1 hit.") && listed.contains("2 observations"), "{listed}");
    let r = post_multipart(&b, "/detection", multipart(&[("csrf", &token), ("observations", "nothing <b>here</b>")], None)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("no observation and no value") && html.contains("nothing &lt;b&gt;here&lt;/b&gt;"), "{html}");

    // C, not a party, uploads the same and hits nothing.
    let c = sign_in(&node, &node.liaison[2]).await;
    let ctoken = csrf(&c).await;
    let html = post_multipart(&c, "/detection", multipart(&[("csrf", &ctoken), ("observations", &observations)], None)).await.text().await.unwrap();
    assert!(html.contains("0 hits."), "{html}");
    assert!(!html.contains(&id), "{html}");

    // B makes a sighting of its hit: authored by B, for A.
    let form_at = pasted.find("action=\"/detection/sightings\"").expect("a sighting form");
    let carried = hidden(&pasted, form_at, "observations");
    let hit = hidden(&pasted, form_at, "hit");
    assert_eq!(hit, format!("{id} observed-data--{}", uuid(5)));
    let r = b.post("/detection/sightings", &[("csrf", &token), ("observations", &carried), ("hit", &hit)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(to.starts_with("/intel/sighting--"), "{to}");
    let sighting = to.trim_start_matches("/intel/").to_owned();
    let (s, v) = call(&node, &node.token_b, "GET", &format!("objects/{sighting}"), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["created_by_ref"].as_str(), v["sighting_of_ref"].as_str(), v["count"].as_u64()), (Some(node.b.as_str()), Some(id.as_str()), Some(2)), "{v}");
    assert_eq!(v["observed_data_refs"], json!([format!("observed-data--{}", uuid(5))]));
    assert_eq!(call(&node, &node.token_a, "GET", &format!("objects/{sighting}"), None).await.0, 200, "the indicator's author receives it");
    assert_eq!(call(&node, &node.liaison[2], "GET", &format!("objects/{sighting}"), None).await.0, 404, "C does not");
    // The observations are carried once, whatever the number of hits.
    assert_eq!(pasted.matches("name=\"observations\" value=").count(), 1, "{pasted}");
    // Nothing chosen makes nothing; "all hits" makes one per hit; C's form hits nothing.
    let r = b.post("/detection/sightings", &[("csrf", &token), ("observations", &carried)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("choose at least one hit"));
    let r = b.post("/detection/sightings", &[("csrf", &token), ("observations", &carried), ("every", "1")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = c.post("/detection/sightings", &[("csrf", &ctoken), ("observations", &carried), ("hit", &hit)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "C cannot sight what it may not see");
    assert_eq!(b.post("/detection/sightings", &[("observations", &carried)]).await.status(), StatusCode::FORBIDDEN, "no CSRF");

    // A viewer detects but does not sight.
    let viewer = sign_in(&node, &node.viewer_a).await;
    let vtoken = csrf(&viewer).await;
    let html = post_multipart(&viewer, "/detection", multipart(&[("csrf", &vtoken), ("observations", &observations)], None)).await.text().await.unwrap();
    assert!(html.contains(&format!("href=\"/intel/{id}\"")) && !html.contains("/detection/sightings"), "{html}");
    assert_eq!(viewer.post("/detection/sightings", &[("csrf", &vtoken), ("observations", &carried)]).await.status(), StatusCode::FORBIDDEN);

    // The hits shown are in the release log under `web`, to B, not to C.
    let log = std::fs::read_to_string(node._dir.path().join("release.log")).unwrap();
    assert!(log.lines().any(|l| l.contains("\"web\"") && l.contains(&id) && l.contains(&node.b)), "{log}");
    assert!(!log.lines().any(|l| l.contains("\"web\"") && l.contains(&id) && l.contains(&node.c) && l.contains("\"release\"")), "{log}");
}

/// B's indicator as A's node holds it after a sync round (received by A
/// under A–B): its page names the agreement it came by, the release table
/// says A holds it (not that A is its author), detection labels the hit
/// with that agreement, and A's sightings of it go to B under it. Several
/// sightings at once are listed on the page that follows.
async fn received_objects_show_and_sight_under_their_agreement(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let ab = ratified_agreement(&node, "A–B received", &[0, 1], &["indicator", "sighting"]).await;
    let received = indicator(1, &node.b, "from Borealis", "[ipv4-addr:value = '198.51.100.7']");
    let options = store::PutOptions { posted_by: Some(node.a.clone()), received_under: Some(ab.clone()), ..Default::default() };
    let store = node.store.clone();
    tokio::task::spawn_blocking(move || store.put(&[model::Object::from_value(received).unwrap()], &options).unwrap()).await.unwrap();
    let id = format!("indicator--{}", uuid(1));

    let a = sign_in(&node, &node.token_a).await;
    let (s, _, page) = a.get(&format!("/intel/{id}")).await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("Received under") && page.contains("A–B received"), "the agreement it came by: {page}");
    assert!(!page.contains("no agreement you are party to"), "{page}");

    // The node's administrator sees why A has it.
    let (admin, rec) = server::auth::issue(&node.a, "admin", store::Role::Admin, 0, None);
    let registry = node.registry.clone();
    tokio::task::spawn_blocking(move || registry.put_token(&rec).unwrap()).await.unwrap();
    let (_, _, page) = sign_in(&node, &admin).await.get(&format!("/intel/{id}")).await;
    let row = &page[page.find("Release to each partner").expect("the release table")..];
    assert!(row.contains("Aurelia holds it, received under agreement &quot;A–B received&quot;"), "{row}");
    assert!(!row.contains("the recipient is the author"), "{row}");
    let (s, v) = call(&node, &admin, "GET", &format!("objects/{id}/release?partner={}", node.a), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((&v["versions"][0]["agreement"], v["versions"][0]["explanation"].as_str().unwrap().contains("holds it")), (&json!(ab), true), "{v}");

    // Detection on A's node: the hit came by A–B, not "your own".
    let both = [observed(5, "198.51.100.7", 2), observed(6, "198.51.100.7", 4)].concat();
    let observations = json!([{ "type": "bundle", "id": format!("bundle--{}", uuid(5)), "objects": both }]).to_string();
    let token = csrf(&a).await;
    let html = post_multipart(&a, "/detection", multipart(&[("csrf", &token), ("observations", &observations)], None)).await.text().await.unwrap();
    assert!(html.contains("2 hits."), "{html}");
    assert!(html.contains("A–B received") && !html.contains("your own"), "{html}");
    let form_at = html.find("action=\"/detection/sightings\"").expect("a sighting form");
    let carried = hidden(&html, form_at, "observations");

    // Sightings for all hits: the page lists the two just made, and each
    // goes to B under A–B (and to no one else).
    let r = a.post("/detection/sightings", &[("csrf", &token), ("observations", &carried), ("every", "1")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let made = r.text().await.unwrap();
    let sightings: Vec<String> = made.match_indices("href=\"/intel/sighting--").map(|(at, _)| made[at + 13..].split('"').next().unwrap().to_owned()).collect();
    assert_eq!(sightings.len(), 2, "{made}");
    assert!(made.contains("2 sightings made") && made.contains("A–B received") && made.contains(&format!("href=\"/intel/{id}\"")), "{made}");
    for sighting in &sightings {
        let (s, v) = call(&node, &node.token_a, "GET", &format!("objects/{sighting}/release?partner={}", node.b), None).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!((&v["versions"][0]["allowed"], &v["versions"][0]["agreement"]), (&json!(true), &json!(ab)), "{v}");
        assert_eq!(call(&node, &node.token_b, "GET", &format!("objects/{sighting}"), None).await.0, 200, "B receives {sighting}");
        assert_eq!(call(&node, &node.liaison[2], "GET", &format!("objects/{sighting}"), None).await.0, 404, "C does not");
    }
}

async fn roles_csrf_and_script_policy(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let ab = ratified_agreement(&node, "A–B", &[0, 1], &["indicator"]).await;
    let viewer = sign_in(&node, &node.viewer_a).await;
    let (s, _, page) = viewer.get("/share").await;
    assert_eq!(s, 200);
    assert!(page.contains("cannot share"), "{page}");
    assert!(!page.contains("action=\"/share\"") && !page.contains("action=\"/share/indicator\""), "no share form: {page}");
    let token = csrf(&viewer).await;
    let one = malware(1, &node.a, "viewer's");
    let r = post_multipart(&viewer, "/share", multipart(&[("csrf", &token), ("stix", &one.to_string()), ("agreement", &ab)], None)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = viewer.post("/share/indicator", &[("csrf", &token), ("name", "x"), ("pattern", "[ipv4-addr:value = '198.51.100.7']"), ("agreement", &ab)]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(viewer.get(&format!("/intel/malware--{}", uuid(1))).await.0, 404, "nothing stored");

    // CSRF: missing or wrong is 403 on every form, nothing stored.
    let a = sign_in(&node, &node.token_a).await;
    let r = post_multipart(&a, "/share", multipart(&[("stix", &one.to_string())], None)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post_multipart(&a, "/share", multipart(&[("csrf", &"0".repeat(64)), ("stix", &one.to_string())], None)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(a.post("/share/indicator", &[("name", "x"), ("pattern", "[ipv4-addr:value = '198.51.100.7']")]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(post_multipart(&a, "/detection", multipart(&[("observations", "[]")], None)).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(a.post("/workbench", &[("pattern", "[ipv4-addr:value = '1.2.3.4']")]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(a.get(&format!("/intel/malware--{}", uuid(1))).await.0, 404, "nothing stored");
    // Without a session: to the sign-in form.
    for path in ["/share", "/detection", "/workbench"] {
        let r = client().get(format!("{}{path}", node.url)).send().await.unwrap();
        assert_eq!((r.status(), r.headers()[LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/login"), "{path}");
    }

    // The CSP lets the node's own script run and nothing inline; pages carry
    // only that script and no inline handlers.
    let csp = server::web::CSP;
    assert!(csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"), "{csp}");
    for bad in ["unsafe-inline", "unsafe-eval", "unsafe-hashes", "nonce-", "sha256-", "*", "data:"] {
        assert!(!csp.contains(bad), "{bad} in {csp}");
    }
    for path in ["/share", "/detection", "/workbench", "/", "/intel"] {
        let (s, header, html) = a.get(path).await;
        assert_eq!(s, 200, "{path}");
        assert_eq!(header.as_deref(), Some(csp), "{path}");
        let scripts = html.matches("<script").count();
        let own = html.matches("<script src=\"/static/workbench.js\" defer></script>").count();
        assert_eq!(scripts, own, "{path}: only the node's script: {html}");
        assert!(own <= 1, "{path}");
        let lower = html.to_lowercase();
        for handler in [" onclick=", " oninput=", " onload=", " onerror=", " onsubmit=", " onchange=", "javascript:"] {
            assert!(!lower.contains(handler), "{path}: {handler}");
        }
    }
    let r = client().get(format!("{}/static/workbench.js", node.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/javascript"));
    assert_eq!(r.headers()[CONTENT_SECURITY_POLICY], csp);
    let js = r.text().await.unwrap();
    assert!(js.contains("/workbench/validate") && js.contains("X-CSRF-Token") && js.contains("addEventListener"), "{js}");
    for bad in ["eval(", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "new Function"] {
        assert!(!js.contains(bad), "the script uses {bad}");
    }
}

async fn uploads_over_the_limit(backend: Backend) {
    let config = server::taxii::TaxiiConfig { max_content_length: 4096, ..Default::default() };
    let node = start(backend, config).await;
    let a = sign_in(&node, &node.token_a).await;
    let token = csrf(&a).await;
    let big = "x".repeat(8192);
    for path in ["/share", "/detection", "/workbench"] {
        let r = post_multipart(&a, path, multipart(&[("csrf", &token)], Some(("big.json", &big)))).await;
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert!(r.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"), "{path}");
        assert!(r.text().await.unwrap().contains("4096 bytes"), "{path}");
    }
    let r = a.post("/share/indicator", &[("csrf", &token), ("name", &big)]).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Under the limit, bigger than nothing: accepted.
    let small = malware(1, &node.a, &"y".repeat(1000));
    let r = post_multipart(&a, "/share", multipart(&[("csrf", &token)], Some(("small.json", &small.to_string())))).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("1 stored"));
}
