//! The module pages: a party opens a dialogue channel and posts and replies
//! through the forms and sees the thread, hostile text shown escaped; a
//! non-party gets the 404 page; a refused input is named next to its field;
//! a POST without the CSRF token is refused; the objectives page draws a
//! progress bar per KPI and the progress chart, and endorses by its button.

use reqwest::StatusCode;
use serde_json::json;

use crate::web::{csrf_of, sign_in, Browser, PAYLOADS};
use crate::{call, ratified_agreement, start, Backend};

crate::on_both_backends!(a_channel_through_the_pages, objectives_show_progress, the_inbox_page_lists_what_needs_the_partner);

/// Posts `fields` to `path` with the CSRF token of the page at `form`.
async fn submit(browser: &Browser<'_>, form: &str, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let (s, _, html) = browser.get(form).await;
    assert_eq!(s, 200, "{form}: {html}");
    let csrf = csrf_of(&html);
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    browser.post(path, &all).await
}

/// The value of the first `name="channel" value="…"` of a page.
fn channel_of(html: &str) -> String {
    let start = html.find("name=\"channel\" value=\"").expect("a channel form") + "name=\"channel\" value=\"".len();
    html[start..].split('"').next().unwrap().to_owned()
}

async fn a_channel_through_the_pages(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let id = ratified_agreement(&node, "A–B", &[0, 1], &["indicator"]).await;
    let page = format!("/agreements/{id}/modules/dialogue");
    let a = sign_in(&node, &node.liaison[0]).await;
    // The agreement page links to the module page.
    let (s, _, html) = a.get(&format!("/agreements/{id}")).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains(&format!("href=\"{page}\"")), "{html}");

    let r = submit(&a, &page, &format!("{page}/actions/create-channel"), &[("title", "Ops room"), ("topic", "")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let (s, csp, html) = a.get(&page).await;
    assert_eq!(s, 200, "{html}");
    assert_eq!(csp.as_deref(), Some(server::web::CSP));
    assert!(html.contains("Ops room"), "{html}");
    let channel = channel_of(&html);

    // B posts hostile text; A replies; both show, escaped, in one thread.
    let b = sign_in(&node, &node.liaison[1]).await;
    let hostile = PAYLOADS.join(" ");
    let r = submit(&b, &page, &format!("{page}/actions/post-message"), &[("channel", &channel), ("text", &hostile)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let html = a.get(&page).await.2;
    let start = html.find("name=\"reply_to\" value=\"").expect("a reply form") + "name=\"reply_to\" value=\"".len();
    let message = html[start..].split('"').next().unwrap().to_owned();
    let r = submit(&a, &page, &format!("{page}/actions/post-message"), &[("channel", &channel), ("reply_to", &message), ("text", "seen, thanks")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let (s, _, html) = b.get(&page).await;
    assert_eq!(s, 200);
    assert!(html.contains("seen, thanks"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && html.contains("&lt;svg onload=alert(1)&gt;"), "{html}");
    assert!(!html.contains("<script") && !html.contains("<svg onload") && !html.contains("onerror=\""), "{html}");
    let thread = &html[html.find("<article class=\"thread\">").unwrap()..];
    let thread = &thread[..thread.find("</article>").unwrap()];
    assert!(thread.contains("seen, thanks") && thread.contains("&lt;script&gt;"), "one thread: {thread}");

    // An empty message is refused, the field named next to it.
    let r = submit(&a, &page, &format!("{page}/actions/post-message"), &[("channel", &channel), ("text", "")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Check the field <code>text</code>"), "{html}");

    // Without the token: refused, nothing posted.
    let r = a.post(&format!("{page}/actions/post-message"), &[("channel", channel.as_str()), ("text", "forged")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!a.get(&page).await.2.contains("forged"));

    // A viewer of A's sees the page but takes no action, as over REST.
    let viewer = sign_in(&node, &node.viewer_a).await;
    let r = submit(&viewer, &page, &format!("{page}/actions/post-message"), &[("channel", channel.as_str()), ("text", "a viewer's word")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!a.get(&page).await.2.contains("a viewer's word"));

    // C is no party: the same 404 as a missing agreement.
    let c = sign_in(&node, &node.liaison[2]).await;
    let (s, _, html) = c.get(&page).await;
    assert_eq!(s, 404, "{html}");
    assert!(!html.contains("Ops room"));
    let (s, _, _) = c.get("/agreements/x-entente-agreement--00000000-0000-4000-8000-000000000000/modules/dialogue").await;
    assert_eq!(s, 404);
}

async fn objectives_show_progress(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let id = ratified_agreement(&node, "A–B", &[0, 1], &["indicator"]).await;
    let base = format!("agreements/{id}/modules/objectives/actions");
    let kpi = json!({ "name": "hours to share", "unit": "hours", "baseline": 12.0, "target": 4.0, "direction": "decrease", "due": "2030-01-01T00:00:00Z", "weight": 1, "reporting_party_ref": node.b });
    let (s, v) = call(&node, &node.token_a, "POST", &format!("{base}/propose"), Some(json!({ "title": "Share <b>faster</b>", "kpis": [kpi] }))).await;
    assert_eq!(s, 201, "{v}");
    let objective = v["record"]["id"].as_str().unwrap().to_owned();
    let (s, v) = call(&node, &node.token_b, "POST", &format!("{base}/endorse"), Some(json!({ "objective": objective }))).await;
    assert_eq!(s, 201, "{v}");
    // A endorses through the page's button.
    let page = format!("/agreements/{id}/modules/objectives");
    let a = sign_in(&node, &node.liaison[0]).await;
    let html = a.get(&page).await.2;
    assert!(html.contains("Endorse") && html.contains("Share &lt;b&gt;faster&lt;/b&gt;"), "{html}");
    let r = submit(&a, &page, &format!("{page}/actions/endorse"), &[("objective", &objective)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let (s, v) = call(&node, &node.token_b, "POST", &format!("{base}/report"), Some(json!({ "objective": objective, "kpi": "hours to share", "value": 8.0 }))).await;
    assert_eq!(s, 201, "{v}");
    let (s, csp, html) = a.get(&page).await;
    assert_eq!(s, 200, "{html}");
    assert_eq!(csp.as_deref(), Some(server::web::CSP));
    assert!(!html.contains(">Endorse<"), "endorsed already: {html}");
    assert!(html.contains("<progress max=\"100\" value=\"50\""), "half way from 12 to 4: {html}");
    assert!(html.contains("<svg") && html.contains("The objective's progress over time") && html.contains(": 50 from hours to share"), "{html}");
}

/// The inbox page: an overdue action item A gives B is on B's inbox page,
/// linked to the dialogue page, marked overdue, its hostile text escaped;
/// not on A's or C's.
async fn the_inbox_page_lists_what_needs_the_partner(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let id = ratified_agreement(&node, "A–B", &[0, 1], &["indicator"]).await;
    let hostile = PAYLOADS.join(" ");
    // Due two seconds from now (an item may not be due before it is made), then waited out.
    let due = model::Timestamp::from_micros(model::Timestamp::now().micros() + 2_000_000).to_string();
    let item = json!({ "description": hostile, "owner": node.b, "due": due });
    let (s, v) = call(&node, &node.token_a, "POST", &format!("agreements/{id}/modules/dialogue/actions/add-action-item"), Some(item)).await;
    assert_eq!(s, 201, "{v}");
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let b = sign_in(&node, &node.liaison[1]).await;
    let (s, _, html) = b.get("/inbox").await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains(&format!("href=\"/agreements/{id}/modules/dialogue\"")), "{html}");
    assert!(html.contains("overdue") && html.contains("1 to do"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script>alert"), "{html}");
    assert!(html.contains("href=\"/inbox\""), "the inbox is in the navigation");
    for other in [&node.liaison[0], &node.liaison[2]] {
        let html = sign_in(&node, other).await.get("/inbox").await.2;
        assert!(html.contains("Nothing needs your partner now.") && !html.contains("alert(1)"), "{html}");
    }
}
