//! The module pages: a party opens a dialogue channel and posts and replies
//! through the forms and sees the thread, hostile text shown escaped; a
//! non-party gets the 404 page; a refused input is named next to its field;
//! a POST without the CSRF token is refused; the objectives page draws a
//! progress bar per KPI and the progress chart, and endorses by its button.

use reqwest::StatusCode;
use serde_json::json;

use crate::web::{csrf_of, sign_in, Browser, PAYLOADS};
use crate::{call, ratified_agreement, start, Backend};

crate::on_both_backends!(a_channel_through_the_pages, objectives_show_progress, the_inbox_page_lists_what_needs_the_partner, a_crisis_through_its_page, a_dispute_through_its_page, a_statement_through_its_page, resources_through_their_page, exercises_through_their_page);

/// Posts `fields` to `path` with the CSRF token of the page at `form`.
async fn submit(browser: &Browser<'_>, form: &str, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let (s, _, html) = browser.get(form).await;
    assert_eq!(s, 200, "{form}: {html}");
    let csrf = csrf_of(&html);
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    browser.post(path, &all).await
}

/// The value of the first `name="{name}" value="…"` of a page.
fn field_of(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("a {name} field: {html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// A 422 answer names `field` right after the input posted as `posted`
/// (no other field between them).
fn refused_next_to(html: &str, posted: &str, field: &str) {
    let error = html.find(&format!("Check the field <code>{field}</code>")).unwrap_or_else(|| panic!("no error for {field}: {html}"));
    let at = html[..error].rfind(&format!("name=\"{posted}\"")).unwrap_or_else(|| panic!("no {posted} input before the error: {html}"));
    assert!(!html[at..error].contains("class=\"field\""), "the error for {field} is not next to {posted}: {html}");
    assert_eq!(html.matches("Check the field").count(), 1, "one error on the page: {html}");
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

/// The crisis page: A activates with a task for B through the service; B
/// sees it marked real, hostile text escaped, acknowledges, works the task
/// and files a sitrep through the page's forms; a sitrep ending before it
/// starts and an exercise under a real-only agreement are refused next to
/// their field; B requests assistance and A commits against it (more than
/// requested refused); a viewer's POST is 403, a non-party gets 404.
async fn a_crisis_through_its_page(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let id = ratified_agreement(&node, "A–B", &[0, 1], &["indicator"]).await;
    let rest = format!("agreements/{id}/modules/crisis/actions");
    let page = format!("/agreements/{id}/modules/crisis");
    let actions = format!("{page}/actions");
    let hostile = PAYLOADS.join(" ");
    let task = json!({ "key": "triage", "title": format!("Triage {hostile}"), "phase": "response", "assignee": node.b, "ack_within_minutes": 30, "complete_within_minutes": 240 });
    let crisis = json!({ "title": format!("Flood {hostile}"), "severity": "severe", "exercise": false, "summary": hostile, "tasks": [task] });
    let (s, v) = call(&node, &node.token_a, "POST", &format!("{rest}/activate"), Some(crisis)).await;
    assert_eq!(s, 201, "{v}");
    let cid = v["record"]["id"].as_str().unwrap().to_owned();

    let b = sign_in(&node, &node.liaison[1]).await;
    let (s, csp, html) = b.get(&page).await;
    assert_eq!(s, 200, "{html}");
    assert_eq!(csp.as_deref(), Some(server::web::CSP));
    assert!(html.contains("<strong class=\"state\">REAL</strong> Flood &lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
    assert!(!html.contains("<script") && !html.contains("<svg onload") && !html.contains("onerror=\""), "{html}");
    assert!(html.contains("<dd>Aurelia</dd>") && html.contains("<td>Borealis</td>"), "lead and owner by name: {html}");
    assert!(html.contains("acknowledge by <time"), "the task's running deadline: {html}");

    for (action, fields) in [
        ("acknowledge", vec![("crisis", cid.as_str()), ("note", "on it")]),
        ("update-task", vec![("crisis", cid.as_str()), ("task", "triage"), ("status", "done"), ("note", "")]),
        ("file-sitrep", vec![("crisis", cid.as_str()), ("period_start:time", "2026-12-06T08:00"), ("period_end:time", "2026-12-06T09:00"), ("situation_summary", "Water <i>receding</i>")]),
        ("request-assistance", vec![("crisis", cid.as_str()), ("resource", "pumps"), ("quantity:number", "10"), ("unit", "units")]),
    ] {
        let r = submit(&b, &page, &format!("{actions}/{action}"), &fields).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{action}: {}", r.text().await.unwrap());
    }
    let html = b.get(&page).await.2;
    assert!(html.contains("Water &lt;i&gt;receding&lt;/i&gt;") && html.contains("period <time datetime=\"2026-12-06T08:00:00Z\">2026-12-06 08:00 UTC</time>"), "{html}");
    assert!(html.contains("<td>done</td>") && html.contains("done <time"), "{html}");
    assert!(!html.contains(&format!("action=\"{actions}/acknowledge\"")), "acknowledged once");

    // Refused: a period ending before it starts; an exercise under a real-only agreement.
    let r = submit(&b, &page, &format!("{actions}/file-sitrep"), &[("crisis", &cid), ("period_start:time", "2026-12-06T08:00"), ("period_end:time", "2026-12-06T07:00"), ("situation_summary", "typed <b>")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    refused_next_to(&html, "period_end:time", "period_end");
    assert!(html.contains(">typed &lt;b&gt;</textarea>"), "what was typed is kept: {html}");
    let a = sign_in(&node, &node.liaison[0]).await;
    let r = submit(&a, &page, &format!("{actions}/activate"), &[("title", "Drill"), ("severity", "minor"), ("exercise:json", "true")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    refused_next_to(&r.text().await.unwrap(), "exercise:json", "exercise");

    // A commits against B's request: more than requested is refused unless said.
    let html = a.get(&page).await.2;
    let request = field_of(&html, "request");
    let r = submit(&a, &page, &format!("{actions}/commit-assistance"), &[("request", &request), ("quantity:number", "12")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    refused_next_to(&r.text().await.unwrap(), "quantity:number", "quantity");
    let r = submit(&a, &page, &format!("{actions}/commit-assistance"), &[("request", &request), ("quantity:number", "4")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let html = a.get(&page).await.2;
    assert!(html.contains("<td class=\"num\">10 units</td>") && html.contains("<td class=\"num\">4</td>"), "requested against committed: {html}");

    // A viewer of A's takes no action; C is no party.
    let viewer = sign_in(&node, &node.viewer_a).await;
    let r = submit(&viewer, &page, &format!("{actions}/close-crisis"), &[("crisis", &cid)]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(a.get(&page).await.2.contains("<dt>Status</dt><dd>active"));
    let (s, _, html) = sign_in(&node, &node.liaison[2]).await.get(&page).await;
    assert_eq!(s, 404);
    assert!(!html.contains("Flood"));
}

/// The disputes page: A raises a dispute through the service; B sees it at
/// consultation with its deadline, hostile facts escaped; B files a
/// position and proposes through the forms, A and B accept through theirs,
/// and the page shows it settled; a clause that is not in the terms is
/// refused next to its field; a viewer's POST is 403, a non-party gets 404.
async fn a_dispute_through_its_page(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let id = ratified_agreement(&node, "A–B", &[0, 1], &["indicator"]).await;
    let page = format!("/agreements/{id}/modules/disputes");
    let actions = format!("{page}/actions");
    let hostile = PAYLOADS.join(" ");
    let (s, v) = call(&node, &node.token_a, "POST", &format!("agreements/{id}/modules/disputes/actions/raise"), Some(json!({ "clause": "tlp_ceiling", "facts": hostile, "remedy": "apologise" }))).await;
    assert_eq!(s, 201, "{v}");
    let did = v["record"]["id"].as_str().unwrap().to_owned();

    let b = sign_in(&node, &node.liaison[1]).await;
    let (s, csp, html) = b.get(&page).await;
    assert_eq!(s, 200, "{html}");
    assert_eq!(csp.as_deref(), Some(server::web::CSP));
    assert!(html.contains("Dispute over <code>tlp_ceiling</code>") && html.contains("<strong>consultation (current)</strong>"), "{html}");
    assert!(html.contains("at <strong>consultation</strong>, deadline <time"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script") && !html.contains("onerror=\""), "{html}");
    for (action, text) in [("file-position", "We shared within the <b>terms</b>"), ("propose", "Both re-read the TLP rules")] {
        let r = submit(&b, &page, &format!("{actions}/{action}"), &[("dispute", &did), ("text", text)]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{action}: {}", r.text().await.unwrap());
    }
    let a = sign_in(&node, &node.liaison[0]).await;
    let html = a.get(&page).await.2;
    let borealis = html.find("<h5>Borealis</h5>").expect("B's column");
    assert!(html[borealis..].contains("We shared within the &lt;b&gt;terms&lt;/b&gt;"), "{html}");
    for browser in [&a, &b] {
        let html = browser.get(&page).await.2;
        let (proposal, version) = (field_of(&html, "proposal"), field_of(&html, "version"));
        let r = submit(browser, &page, &format!("{actions}/accept"), &[("proposal", &proposal), ("version", &version)]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    }
    let html = a.get(&page).await.2;
    assert!(html.contains("<span class=\"ok\">settled</span>") && html.contains("— the settlement"), "{html}");
    assert!(!html.contains(&format!("action=\"{actions}/escalate\"")), "no escalation once settled");

    let r = submit(&a, &page, &format!("{actions}/raise"), &[("clause", "no.such.term"), ("facts", "f"), ("remedy", "r")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    refused_next_to(&r.text().await.unwrap(), "clause", "clause");

    let viewer = sign_in(&node, &node.viewer_a).await;
    let r = submit(&viewer, &page, &format!("{actions}/raise"), &[("clause", "title"), ("facts", "a viewer's facts"), ("remedy", "r")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!a.get(&page).await.2.contains("a viewer's facts"));
    let (s, _, html) = sign_in(&node, &node.liaison[2]).await.get(&page).await;
    assert_eq!(s, 404);
    assert!(!html.contains("tlp_ceiling"));
}

/// The statements page: A drafts a statement through the form (co-signers
/// by checkbox) and submits it; B and A approve through their forms and the
/// page says it passed (its embargo still ahead); an embargo before the
/// statement is refused next to its field; a viewer's POST is 403, a
/// non-party gets 404.
async fn a_statement_through_its_page(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let id = ratified_agreement(&node, "A–B", &[0, 1], &["indicator"]).await;
    let page = format!("/agreements/{id}/modules/statements");
    let actions = format!("{page}/actions");
    let hostile = PAYLOADS.join(" ");
    let a = sign_in(&node, &node.liaison[0]).await;
    let draft = [("title", hostile.as_str()), ("text", "We stand together."), ("embargo:time", "2030-01-01T09:00"), ("cosigners:list", node.a.as_str()), ("cosigners:list", node.b.as_str()), ("submit:bool", "on")];
    let r = submit(&a, &page, &format!("{actions}/draft-statement"), &draft).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());

    let b = sign_in(&node, &node.liaison[1]).await;
    let (s, csp, html) = b.get(&page).await;
    assert_eq!(s, 200, "{html}");
    assert_eq!(csp.as_deref(), Some(server::web::CSP));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script") && !html.contains("<svg onload"), "{html}");
    assert!(html.contains("<span class=\"state\">(awaiting-approvals)</span>") && html.contains("co-signers Aurelia, Borealis"), "{html}");
    assert!(html.contains("<td>Borealis</td><td>no</td>"), "{html}");
    for browser in [&b, &a] {
        let html = browser.get(&page).await.2;
        let (statement, version) = (field_of(&html, "statement"), field_of(&html, "version"));
        let r = submit(browser, &page, &format!("{actions}/approve-statement"), &[("statement", &statement), ("version", &version)]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    }
    let html = a.get(&page).await.2;
    assert!(html.contains("<span class=\"state\">(passed)</span>") && html.contains("<td>Borealis</td><td><span class=\"ok\">yes</span></td>"), "{html}");

    let r = submit(&a, &page, &format!("{actions}/draft-statement"), &[("title", "Late"), ("text", "t"), ("embargo:time", "2020-01-01T00:00"), ("cosigners:list", node.b.as_str())]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    refused_next_to(&html, "embargo:time", "embargo");
    assert!(html.contains(&format!("value=\"{}\" checked", node.b)), "the co-signer stays ticked: {html}");

    let viewer = sign_in(&node, &node.viewer_a).await;
    let r = submit(&viewer, &page, &format!("{actions}/draft-statement"), &[("title", "a viewer's word"), ("text", "t"), ("embargo:time", "2030-01-01T09:00"), ("cosigners:list", node.b.as_str())]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!a.get(&page).await.2.contains("a viewer's word"));
    let (s, _, html) = sign_in(&node, &node.liaison[2]).await.get(&page).await;
    assert_eq!(s, 404);
    assert!(!html.contains("We stand together"));
}

/// The resources page: terms (GNI key) in force and figures declared through
/// the service; A commits to B, then delivers through the page's forms, B
/// confirms through its own; the ledger shows committed against delivered,
/// the year's chart pairs each party's fair share with its contribution; a
/// quantity below zero is refused next to its field; a viewer's POST is
/// 403, a non-party gets 404.
async fn resources_through_their_page(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let id = ratified_agreement(&node, "A–B", &[0, 1], &["indicator"]).await;
    let rest = format!("agreements/{id}/modules/resources/actions");
    let page = format!("/agreements/{id}/modules/resources");
    let actions = format!("{page}/actions");
    let (s, v) = call(&node, &node.token_a, "POST", &format!("{rest}/propose-terms"), Some(json!({ "unit": "EUR", "cost_share": { "method": "gni" } }))).await;
    assert_eq!(s, 201, "{v}");
    let terms = v["record"]["id"].as_str().unwrap().to_owned();
    for (token, gni) in [(&node.token_a, 300), (&node.token_b, 100)] {
        let (s, v) = call(&node, token, "POST", &format!("{rest}/accept-terms"), Some(json!({ "terms": terms }))).await;
        assert_eq!(s, 201, "{v}");
        let (s, v) = call(&node, token, "POST", &format!("{rest}/declare-figures"), Some(json!({ "year": 2026, "currency": "EUR", "gni": gni, "population": 10 }))).await;
        assert_eq!(s, 201, "{v}");
    }
    let hostile = PAYLOADS.join(" ");
    let a = sign_in(&node, &node.liaison[0]).await;
    let commit = [("resource", "money"), ("quantity:number", "400"), ("currency", "EUR"), ("receiver", node.b.as_str()), ("year:number", "2026"), ("due:time", "2026-12-31T00:00"), ("description", hostile.as_str())];
    let r = submit(&a, &page, &format!("{actions}/commit"), &commit).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let commitment = field_of(&a.get(&page).await.2, "commitment");
    let r = submit(&a, &page, &format!("{actions}/deliver"), &[("commitment", &commitment), ("quantity:number", "100")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let b = sign_in(&node, &node.liaison[1]).await;
    let delivery = field_of(&b.get(&page).await.2, "delivery");
    let r = submit(&b, &page, &format!("{actions}/confirm"), &[("delivery", &delivery), ("verdict", "confirmed")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());

    let (s, csp, html) = b.get(&page).await;
    assert_eq!(s, 200, "{html}");
    assert_eq!(csp.as_deref(), Some(server::web::CSP));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script") && !html.contains("<svg onload"), "{html}");
    assert!(html.contains("<td>Aurelia</td><td>Borealis</td><td>money"), "{html}");
    assert!(html.contains("<td class=\"num\">400 EUR</td><td class=\"num\">100</td><td class=\"num\">300</td>"), "committed, delivered, outstanding: {html}");
    assert!(html.contains("<td>confirmed"), "{html}");
    // GNI 300 against 100: A's fair share of the 100 contributed is 75, its actual all of it.
    assert!(html.contains("<svg") && html.contains("<title>Aurelia: 75 from fair share</title>") && html.contains("<title>Aurelia: 100 from actual</title>"), "{html}");
    assert!(html.contains("<td class=\"num\">75.0 %</td><td class=\"num\">100.0 %</td>"), "{html}");

    let r = submit(&a, &page, &format!("{actions}/commit"), &[("resource", "money"), ("quantity:number", "-5"), ("currency", "EUR"), ("receiver", node.b.as_str()), ("year:number", "2026"), ("due:time", "2026-12-31T00:00")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    refused_next_to(&r.text().await.unwrap(), "quantity:number", "quantity");

    let viewer = sign_in(&node, &node.viewer_a).await;
    let r = submit(&viewer, &page, &format!("{actions}/deliver"), &[("commitment", &commitment), ("quantity:number", "300")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (s, _, html) = sign_in(&node, &node.liaison[2]).await.get(&page).await;
    assert_eq!(s, 404);
    assert!(!html.contains("EUR"));
}

/// An agreement between A and B covering exercise data too.
async fn exercise_agreement(node: &crate::Node) -> String {
    let terms = json!({
        "title": "A–B drills", "purpose": "exercise together", "party_refs": [node.a, node.b],
        "scope": { "object_types": ["indicator"], "labels": [], "data_kind": "both" },
        "tlp_ceiling": "amber", "handling": { "reshare": "parties-only", "attribution": "required", "permitted_actions": [] },
        "valid_from": "2020-01-01T00:00:00Z"
    });
    let (s, v) = call(node, &node.liaison[0], "POST", "agreements", Some(terms)).await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    for p in [0, 1] {
        let (s, v) = call(node, &node.liaison[p], "POST", &format!("agreements/{id}/ratify"), None).await;
        assert_eq!(s, 201, "{v}");
    }
    id
}

/// The exercises page: A plans through the service; B endorses through the
/// page, A starts it, releases the inject and records an observation, B
/// responds to the inject, all through the forms; the exercise moves from
/// Plan to Conduct, marked an exercise, hostile text escaped; a rating that
/// is not one is refused next to its field; a viewer's POST is 403, a
/// non-party gets 404. Then the exchanges page: A offers a placement, B
/// accepts it, through the forms.
async fn exercises_through_their_page(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let id = exercise_agreement(&node).await;
    let page = format!("/agreements/{id}/modules/exercises");
    let actions = format!("{page}/actions");
    let hostile = PAYLOADS.join(" ");
    let plan = json!({
        "name": format!("Storm {hostile}"), "exercise_type": "tabletop", "start_date": "2030-06-01T08:00:00Z", "end_date": "2030-06-02T18:00:00Z",
        "participants": [{ "party_ref": node.b, "teams": ["SOC"] }],
        "objectives": [{ "id": "O-1", "title": "Share within the hour" }],
        "msel": [{ "move": "1", "title": "Start", "injects": [{ "id": "I-1", "offset_minutes": 0, "target_refs": [node.b], "content": hostile, "objective": "O-1" }] }],
    });
    let (s, v) = call(&node, &node.token_a, "POST", &format!("agreements/{id}/modules/exercises/actions/plan-exercise"), Some(plan)).await;
    assert_eq!(s, 201, "{v}");
    let xid = v["record"]["id"].as_str().unwrap().to_owned();

    let a = sign_in(&node, &node.liaison[0]).await;
    let b = sign_in(&node, &node.liaison[1]).await;
    let (s, csp, html) = b.get(&page).await;
    assert_eq!(s, 200, "{html}");
    assert_eq!(csp.as_deref(), Some(server::web::CSP));
    assert!(html.contains("<mark>EXERCISE</mark> Storm &lt;script&gt;") && !html.contains("<script") && !html.contains("<svg onload"), "{html}");
    let version = field_of(&html, "version");
    let r = submit(&b, &page, &format!("{actions}/endorse-exercise"), &[("exercise", &xid), ("version", &version)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    for (action, fields) in [("start-exercise", vec![("exercise", xid.as_str())]), ("release-inject", vec![("exercise", xid.as_str()), ("inject", "I-1")])] {
        let r = submit(&a, &page, &format!("{actions}/{action}"), &fields).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{action}: {}", r.text().await.unwrap());
    }
    let html = b.get(&page).await.2;
    let conduct = html.find("<h3>Conduct</h3>").unwrap();
    assert!(html[conduct..].contains("Storm &lt;script&gt;"), "under Conduct: {html}");
    let release = field_of(&html, "inject");
    let r = submit(&b, &page, &format!("{actions}/respond-inject"), &[("inject", &release), ("text", "Shared <b>now</b>")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let r = submit(&a, &page, &format!("{actions}/record-observation"), &[("exercise", &xid), ("objective", "O-1"), ("rating", "met"), ("text", "fast and clear")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let html = a.get(&page).await.2;
    assert!(html.contains("<strong>Borealis</strong>: Shared &lt;b&gt;now&lt;/b&gt;") && html.contains("fast and clear") && html.contains(": <strong>met</strong>"), "{html}");

    let r = submit(&a, &page, &format!("{actions}/record-observation"), &[("exercise", &xid), ("objective", "O-1"), ("rating", "great"), ("text", "t")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    refused_next_to(&r.text().await.unwrap(), "rating", "rating");
    let viewer = sign_in(&node, &node.viewer_a).await;
    let r = submit(&viewer, &page, &format!("{actions}/end-exercise"), &[("exercise", &xid)]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (s, _, html) = sign_in(&node, &node.liaison[2]).await.get(&page).await;
    assert_eq!(s, 404);
    assert!(!html.contains("Storm"));

    // Exchanges: a placement offered and accepted through the forms.
    let page = format!("/agreements/{id}/modules/exchanges");
    let offer = [("guest_ref", node.b.as_str()), ("placement_type", "secondment"), ("topic", hostile.as_str()), ("start_date:time", "2030-01-01T00:00"), ("end_date:time", "2030-02-01T00:00")];
    let r = submit(&a, &page, &format!("{page}/actions/offer-placement"), &offer).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let placement = field_of(&b.get(&page).await.2, "placement");
    let r = submit(&b, &page, &format!("{page}/actions/accept-placement"), &[("placement", &placement), ("participant", "analyst 1")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let html = a.get(&page).await.2;
    assert!(html.contains("<span class=\"state\">(accepted)</span>") && html.contains("Aurelia hosts Borealis (analyst 1)"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script"), "{html}");
}
