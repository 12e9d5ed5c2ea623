//! A module's files through the pages (`/agreements/{id}/modules/{module}/files/{file}`)
//! and the REST API (`/api/v1/agreements/{id}/modules/{module}/files/{file}`):
//! the resources page links its CSV exports; the ledger downloads as CSV
//! with hostile text quoted and formulas defused, the party named; a file
//! the module does not offer and a non-party are 404 on both.

use reqwest::header::{CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE};
use serde_json::json;

use crate::web::{sign_in, Browser};
use crate::{call, ratified_agreement, start, Backend};

crate::on_both_backends!(the_ledger_downloads_as_csv_with_formulas_defused);

async fn download(browser: &Browser<'_>, path: &str) -> (u16, String, String, String, String) {
    let r = reqwest::Client::new().get(format!("{}{path}", browser.node.url)).header(COOKIE, &browser.cookie).send().await.unwrap();
    let h = |name| r.headers().get(name).map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let (ty, disposition, csp) = (h(CONTENT_TYPE), h(CONTENT_DISPOSITION), h(CONTENT_SECURITY_POLICY));
    (r.status().as_u16(), ty, disposition, csp, r.text().await.unwrap())
}

async fn the_ledger_downloads_as_csv_with_formulas_defused(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let id = ratified_agreement(&node, "A–B", &[0, 1], &["indicator"]).await;
    let rest = format!("agreements/{id}/modules/resources/actions");
    let (s, v) = call(&node, &node.liaison[0], "POST", &format!("{rest}/propose-terms"), Some(json!({ "unit": "EUR", "cost_share": { "method": "equal" } }))).await;
    assert_eq!(s, 201, "{v}");
    let terms = v["record"]["id"].as_str().unwrap().to_owned();
    for token in [&node.liaison[0], &node.liaison[1]] {
        let (s, v) = call(&node, token, "POST", &format!("{rest}/accept-terms"), Some(json!({ "terms": terms }))).await;
        assert_eq!(s, 201, "{v}");
    }
    let commit = json!({ "resource": "money", "quantity": 400, "currency": "EUR", "receiver": node.b, "year": 2026, "due": "2026-12-31T00:00:00Z", "description": "=HYPERLINK(\"http://evil\") <script>alert(1)</script>" });
    let (s, v) = call(&node, &node.liaison[0], "POST", &format!("{rest}/commit"), Some(commit)).await;
    assert_eq!(s, 201, "{v}");
    let commitment = v["record"]["id"].as_str().unwrap().to_owned();
    let (s, v) = call(&node, &node.token_a, "POST", &format!("{rest}/deliver"), Some(json!({ "commitment": commitment, "quantity": 100, "note": "+1+cmd|' /C calc'!A0" }))).await;
    assert_eq!(s, 201, "{v}");

    let a = sign_in(&node, &node.liaison[0]).await;
    let page = format!("/agreements/{id}/modules/resources");
    let (_, _, html) = a.get(&page).await;
    assert!(html.contains(&format!("href=\"{page}/files/ledger.csv\"")) && html.contains(&format!("href=\"{page}/files/figures.csv\"")), "{html}");
    let (status, ty, disposition, _, csv) = download(&a, &format!("{page}/files/ledger.csv")).await;
    assert_eq!((status, ty.as_str(), disposition.as_str()), (200, "text/csv; charset=utf-8", "attachment; filename=\"ledger.csv\""), "{csv}");
    let rows: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(rows[1].contains(&format!("\"Aurelia\",\"{}\"", node.a)) && rows[1].contains("\"100\",\"EUR\""), "{csv}");
    assert!(rows[1].ends_with("\"'+1+cmd|' /C calc'!A0\""), "the note's formula is defused: {csv}");
    let (status, _, _, _, csv) = download(&a, &format!("{page}/files/commitments.csv")).await;
    assert!(status == 200 && csv.contains("\"'=HYPERLINK(\"\"http://evil\"\") <script>alert(1)</script>\""), "{csv}");

    let (status, _, _, _, body) = download(&a, &format!("{page}/files/report.pdf")).await;
    assert_eq!(status, 404, "{body}");
    let c = sign_in(&node, &node.liaison[2]).await;
    let (status, _, _, _, body) = download(&c, &format!("{page}/files/ledger.csv")).await;
    assert_eq!(status, 404, "a non-party: {body}");
    assert!(!body.contains("EUR") && !body.contains("HYPERLINK"));

    // The same file over the REST API, with a token; 404 for a non-party
    // and for a file the module does not offer.
    let api = |token: &str, file: &str| {
        let url = format!("{}/api/v1/agreements/{id}/modules/resources/files/{file}", node.url);
        let request = reqwest::Client::new().get(url).bearer_auth(token.to_owned());
        async move {
            let r = request.send().await.unwrap();
            let ty = r.headers().get(CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
            (r.status().as_u16(), ty, r.text().await.unwrap())
        }
    };
    let (status, ty, csv) = api(&node.token_a, "ledger.csv").await;
    assert_eq!((status, ty.as_str()), (200, "text/csv; charset=utf-8"), "{csv}");
    assert!(csv.contains("\"'+1+cmd|' /C calc'!A0\"") && csv.contains("\"Aurelia\""), "{csv}");
    let (status, _, body) = api(&node.liaison[2], "ledger.csv").await;
    assert_eq!(status, 404, "a non-party over REST: {body}");
    assert!(!body.contains("EUR") && !body.contains("HYPERLINK"));
    let (status, _, body) = api(&node.token_a, "report.pdf").await;
    assert_eq!(status, 404, "{body}");
}
