//! The module pages: a party opens a dialogue channel and posts and replies
//! through the forms and sees the thread, hostile text shown escaped; a
//! non-party gets the 404 page; a refused input is named next to its field;
//! a POST without the CSRF token is refused; the objectives page draws a
//! progress bar per KPI and a line per KPI, and endorses by its button.
//! Meetings (plan, minutes, approvals until agreed, the calendar and held
//! against planned), the action board (add, acknowledge, progress,
//! comment, close) and objectives (propose, report, amend, close) through
//! their forms: each form makes its record, a refused field is named next
//! to it (422, nothing stored), hostile text is escaped, a viewer gets 403.

use reqwest::StatusCode;
use serde_json::json;

use crate::web::{csrf_of, sign_in, Browser, PAYLOADS};
use crate::{call, ratified_agreement, start, Backend};

crate::on_both_backends!(
    a_channel_through_the_pages,
    objectives_show_progress,
    the_inbox_page_lists_what_needs_the_partner,
    meetings_and_minutes_through_the_pages,
    the_action_board_through_the_pages,
    objectives_through_the_forms,
    a_crisis_through_its_page,
    a_dispute_through_its_page,
    a_statement_through_its_page,
    resources_through_their_page,
    exercises_through_their_page
);

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
    let (s, v) = call(&node, &node.liaison[0], "POST", &format!("{base}/propose"), Some(json!({ "title": "Share <b>faster</b>", "kpis": [kpi] }))).await;
    assert_eq!(s, 201, "{v}");
    let objective = v["record"]["id"].as_str().unwrap().to_owned();
    let (s, v) = call(&node, &node.liaison[1], "POST", &format!("{base}/endorse"), Some(json!({ "objective": objective }))).await;
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
    assert!(html.contains("<svg") && html.contains("Each KPI's progress over time"), "{html}");
    assert!(html.contains("hours to share: 8.0 hours (50 %)") && html.contains("stroke-dasharray=\"6 4\""), "a point at 50 %, the expected line dashed: {html}");
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

/// The module's state under `agreement`, over the API, as A sees it.
async fn state_of(node: &crate::Node, agreement: &str, module: &str) -> serde_json::Value {
    let (s, v) = call(node, &node.token_a, "GET", &format!("agreements/{agreement}/modules/{module}"), None).await;
    assert_eq!(s, 200, "{v}");
    v["state"].clone()
}

/// The element of `html` that opens with `start` (one holding no other of its tag), to its closing `end`.
fn element<'h>(html: &'h str, start: &str, end: &str) -> &'h str {
    let at = html.find(start).unwrap_or_else(|| panic!("no {start} in {html}"));
    let rest = &html[at..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// An A–B agreement whose terms plan a senior dialogue every three months.
async fn cadenced_agreement(node: &crate::Node) -> String {
    let terms = json!({
        "title": "A–B", "purpose": "talk regularly", "party_refs": [node.a, node.b],
        "scope": { "object_types": ["indicator"], "labels": [], "data_kind": "real" }, "tlp_ceiling": "amber",
        "handling": { "reshare": "parties-only", "attribution": "required", "permitted_actions": [] },
        "valid_from": "2020-01-01T00:00:00Z",
        "meeting_cadence": [{ "meeting_type": "senior-dialogue", "every_months": 3 }]
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

async fn meetings_and_minutes_through_the_pages(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let id = cadenced_agreement(&node).await;
    let page = format!("/agreements/{id}/modules/dialogue");
    let actions = format!("{page}/actions");
    let (a, b) = (sign_in(&node, &node.liaison[0]).await, sign_in(&node, &node.liaison[1]).await);
    let hostile = PAYLOADS.join(" ");
    // The plan form offers a row per party of the agreement.
    let html = a.get(&page).await.2;
    for (i, party) in [&node.a, &node.b].iter().enumerate() {
        assert!(html.contains(&format!("name=\"participants[{i}].party\" value=\"{party}\"")), "{html}");
    }
    let plan = |title: &str, date: &str, b_name: &str| -> Vec<(&'static str, String)> {
        vec![
            ("title", title.to_owned()), ("meeting_type", "senior-dialogue".into()), ("date", date.into()),
            ("participants[0].party", node.a.clone()), ("participants[0].name", "Head of delegation".into()), ("participants[0].role", "chair".into()),
            ("participants[1].party", node.b.clone()), ("participants[1].name", b_name.into()),
            ("agenda:list", "threat picture\nnext steps".into()),
        ]
    };
    // Refused: a date that is not one; a participant without a name. Named next to the field, what was typed kept, nothing stored.
    for (fields, field) in [(plan("Senior dialogue", "next tuesday", "Deputy director"), "date"), (plan("Senior dialogue", "2026-01-15T10:00:00Z", ""), "participants[1].name")] {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = submit(&a, &page, &format!("{actions}/record-meeting"), &fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.unwrap();
        assert!(html.contains(&format!("Check the field <code>{field}</code>")), "{field}: {html}");
        assert!(html.contains("value=\"Head of delegation\""), "typed values kept: {html}");
    }
    assert_eq!(state_of(&node, &id, "dialogue").await["meetings"], json!([]));

    // Planned: one held (January 2026, its title hostile), one to come.
    for fields in [plan(&hostile, "2026-01-15T10:00:00Z", "Deputy director"), plan("Technical exchange", "2099-03-02T09:00:00Z", "Analyst")] {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = submit(&a, &page, &format!("{actions}/record-meeting"), &fields).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    }
    let state = state_of(&node, &id, "dialogue").await;
    let m = &state["meetings"][0];
    assert_eq!(m["title"], hostile.as_str(), "{state}");
    assert_eq!(m["participants"], json!([{ "party_ref": node.a, "name": "Head of delegation", "role": "chair" }, { "party_ref": node.b, "name": "Deputy director" }]));
    assert_eq!(m["agenda"], json!(["threat picture", "next steps"]));
    assert_eq!((m["status"].as_str(), state["meetings"][1]["status"].as_str()), (Some("held"), Some("scheduled")));
    let meeting = m["id"].as_str().unwrap().to_owned();
    let cadence = &state["cadence"][0];
    assert_eq!(cadence["held"], 1, "{state}");

    // The page: held against planned, upcoming and held, the month's calendar, hostile text escaped.
    let (s, csp, html) = a.get(&format!("{page}?month=2026-01")).await;
    assert_eq!(s, 200, "{html}");
    assert_eq!(csp.as_deref(), Some(server::web::CSP));
    assert!(html.contains(&format!("<td>senior-dialogue</td><td>3 months</td><td>{}</td><td>1</td><td>{}</td>", cadence["planned"], cadence["missed"])), "{html}");
    assert!(element(&html, "<caption>Upcoming</caption>", "</table>").contains("Technical exchange"), "{html}");
    let held = element(&html, "<caption>Held</caption>", "</table>");
    assert!(held.contains(&format!("href=\"#meeting-{meeting}\"")) && !held.contains("Technical exchange"), "{held}");
    let calendar = element(&html, "<table class=\"calendar\">", "</table>");
    assert!(calendar.contains("Meetings in January 2026") && calendar.contains(&format!("href=\"#meeting-{meeting}\"")), "{calendar}");
    assert!(calendar.contains("<td><span class=\"day\">15</span><a class=\"meeting\""), "on the 15th: {calendar}");
    assert!(!element(&a.get(&format!("{page}?month=2026-02")).await.2, "<table class=\"calendar\">", "</table>").contains("#meeting-"), "February has none");
    assert!(a.get(&format!("{page}?month=2026-13")).await.2.contains("Check the month"), "a bad month is said so");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script") && !html.contains("onerror=\""), "{html}");

    // A records the minutes through its meeting's form: awaiting both parties.
    let minutes = |text: &'static str| vec![("meeting", meeting.clone()), ("date", "2026-01-15T10:00:00Z".to_owned()), ("agenda:list", "threat picture".to_owned()), ("minutes", text.to_owned()), ("decisions:list", "share more often".to_owned())];
    let fields = minutes("The parties reviewed <b>the threat</b>.");
    let r = submit(&a, &page, &format!("{actions}/edit-meeting"), &fields.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let m = state_of(&node, &id, "dialogue").await["meetings"][0].clone();
    // The state lists parties in the order of their ids.
    let mut both = [node.a.clone(), node.b.clone()];
    both.sort();
    assert_eq!((m["minutes_status"].as_str(), m["awaiting"].clone(), m["decisions"].clone()), (Some("awaiting"), json!(both), json!(["share more often"])));
    let version = m["version"].as_str().unwrap().to_owned();
    let section_of = |html: &str| element(html, &format!("id=\"meeting-{meeting}\""), "</section>").to_owned();
    let on_b = section_of(&b.get(&page).await.2);
    assert!(on_b.contains("Approve these minutes") && on_b.contains("awaiting approval") && on_b.contains("&lt;b&gt;the threat&lt;/b&gt;"), "{on_b}");
    assert!(!on_b.contains("Save the minutes"), "only the author edits: {on_b}");

    // A viewer of A's takes no action.
    let viewer = sign_in(&node, &node.viewer_a).await;
    let approve = [("meeting", meeting.as_str()), ("version", version.as_str())];
    let r = submit(&viewer, &page, &format!("{actions}/approve-minutes"), &approve).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // B approves on its page; A is still awaited; then A approves: agreed.
    let r = submit(&b, &page, &format!("{actions}/approve-minutes"), &approve).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let on_a = section_of(&a.get(&page).await.2);
    assert!(on_a.contains("Approve these minutes") && on_a.matches("approved this version").count() == 1, "{on_a}");
    let r = submit(&a, &page, &format!("{actions}/approve-minutes"), &approve).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    assert_eq!(state_of(&node, &id, "dialogue").await["meetings"][0]["minutes_status"], "agreed");
    for browser in [&a, &b] {
        let section = section_of(&browser.get(&page).await.2);
        assert!(section.contains("Minutes: <strong>agreed</strong>") && !section.contains("Approve these minutes") && section.matches("approved this version").count() == 2, "{section}");
    }

    // An edit after approval: awaiting both again.
    let fields = minutes("The parties reviewed the threat and agreed a plan.");
    let r = submit(&a, &page, &format!("{actions}/edit-meeting"), &fields.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let m = state_of(&node, &id, "dialogue").await["meetings"][0].clone();
    assert_eq!((m["minutes_status"].as_str(), m["approved_by"].clone()), (Some("awaiting"), json!([])));
    assert!(section_of(&b.get(&page).await.2).contains("Approve these minutes"));
}

async fn the_action_board_through_the_pages(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let id = ratified_agreement(&node, "A–B", &[0, 1], &["indicator"]).await;
    let page = format!("/agreements/{id}/modules/dialogue");
    let actions = format!("{page}/actions");
    let (a, b) = (sign_in(&node, &node.liaison[0]).await, sign_in(&node, &node.liaison[1]).await);
    let hostile = PAYLOADS.join(" ");
    // Due at the start of today: allowed (not before the day it was made), and overdue by now.
    let today = format!("{}T00:00:00Z", &model::Timestamp::now().to_string()[..10]);
    let r = submit(&a, &page, &format!("{actions}/add-action-item"), &[("description", &hostile), ("owner", &node.b), ("due", "friday")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Check the field <code>due</code>") && html.contains("&lt;script&gt;alert(1)"), "{html}");
    assert_eq!(state_of(&node, &id, "dialogue").await["action_items"], json!([]));
    for (description, owner, due) in [(hostile.as_str(), &node.b, today.as_str()), ("write the sensor list", &node.a, "2099-01-01T00:00:00Z")] {
        let r = submit(&a, &page, &format!("{actions}/add-action-item"), &[("description", description), ("owner", owner), ("due", due), ("meeting", "")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    }
    let items = state_of(&node, &id, "dialogue").await["action_items"].clone();
    assert_eq!((items[0]["description"].as_str(), items[0]["owner"].as_str(), items[0]["overdue"].as_bool()), (Some(hostile.as_str()), Some(node.b.as_str()), Some(true)), "{items}");
    let item = items[0]["id"].as_str().unwrap().to_owned();
    let html = b.get(&page).await.2;
    let overdue = element(&html, "aria-label=\"Overdue\"", "</section>");
    assert!(overdue.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && overdue.contains("Acknowledge"), "{overdue}");
    let b_name = sign_in(&node, &node.liaison[1]).await.get("/").await.2.split("<span class=\"who\">").nth(1).unwrap().split(" · ").next().unwrap().to_owned();
    assert!(overdue.contains(&format!("<h5>{b_name}</h5>")), "the column by owner: {overdue}");
    assert!(element(&html, "aria-label=\"Open\"", "</section>").contains("write the sensor list"), "{html}");
    assert!(!html.contains("<script") && !html.contains("onerror=\""), "{html}");
    assert!(!element(&a.get(&page).await.2, &format!("id=\"item-{item}\""), "</article>").contains("Acknowledge"), "only the owner acknowledges");

    let update = |update: &'static str, extra: &[(&'static str, &'static str)]| {
        let mut f = vec![("action_item", item.clone()), ("update", update.to_owned())];
        f.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        f
    };
    let status_of = || async { state_of(&node, &id, "dialogue").await["action_items"][0].clone() };
    // B acknowledges; a percentage past 100 is refused by name; B reports progress; A comments.
    for (browser, fields, expect) in [
        (&b, update("acknowledge", &[]), StatusCode::SEE_OTHER),
        (&b, update("progress", &[("percent:number", "150"), ("text", "more than done")]), StatusCode::UNPROCESSABLE_ENTITY),
        (&b, update("progress", &[("percent:number", "40"), ("text", "halfway there")]), StatusCode::SEE_OTHER),
        (&a, update("comment", &[("text", "thanks <i>B</i>")]), StatusCode::SEE_OTHER),
        (&a, update("close", &[]), StatusCode::FORBIDDEN),
    ] {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = submit(browser, &page, &format!("{actions}/update-action-item"), &fields).await;
        assert_eq!(r.status(), expect, "{fields:?}");
        if expect == StatusCode::UNPROCESSABLE_ENTITY {
            let html = r.text().await.unwrap();
            let form = element(&html, &format!("id=\"item-{item}\""), "</article>");
            assert!(form.contains("Check the field <code>percent</code>") && form.contains("value=\"150\""), "{form}");
        }
    }
    let now = status_of().await;
    assert_eq!((now["status"].as_str(), now["percent"].as_u64()), (Some("in-progress"), Some(40)), "{now}");
    let kinds: Vec<&str> = now["updates"].as_array().unwrap().iter().map(|u| u["update"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["acknowledge", "progress", "comment"]);
    let viewer = sign_in(&node, &node.viewer_a).await;
    let fields = update("comment", &[("text", "a viewer's word")]);
    let r = submit(&viewer, &page, &format!("{actions}/update-action-item"), &fields.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // B closes it: in the closed column, its updates listed, escaped.
    let fields = update("close", &[("text", "sent")]);
    let r = submit(&b, &page, &format!("{actions}/update-action-item"), &fields.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of().await["status"], "closed");
    let html = a.get(&page).await.2;
    let closed = element(&html, "aria-label=\"Closed\"", "</section>");
    assert!(closed.contains("&lt;script&gt;alert(1)") && closed.contains("thanks &lt;i&gt;B&lt;/i&gt;") && closed.contains("40%") && !closed.contains("a viewer"), "{closed}");
    assert!(!closed.contains("Report progress"), "{closed}");
}

async fn objectives_through_the_forms(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let id = ratified_agreement(&node, "A–B", &[0, 1], &["indicator"]).await;
    let page = format!("/agreements/{id}/modules/objectives");
    let actions = format!("{page}/actions");
    let (a, b) = (sign_in(&node, &node.liaison[0]).await, sign_in(&node, &node.liaison[1]).await);
    let hostile = PAYLOADS.join(" ");
    let kpi = |target: &'static str| {
        vec![
            ("title", hostile.clone()), ("description", "faster sharing".into()),
            ("kpis[0].name", "hours to share".into()), ("kpis[0].unit", "hours".into()), ("kpis[0].baseline:number", "12".into()), ("kpis[0].target:number", target.into()),
            ("kpis[0].direction", "decrease".into()), ("kpis[0].due", "2099-01-01T00:00:00Z".into()), ("kpis[0].reporting_party_ref", node.b.clone()),
            ("kpis[1].name", "".into()), ("kpis[1].direction", "".into()),
        ]
    };
    // Refused: a target equal to the baseline, named next to the KPIs.
    let fields = kpi("12");
    let r = submit(&a, &page, &format!("{actions}/propose"), &fields.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Check the field <code>kpis[0].target</code>") && html.contains("value=\"hours to share\""), "{html}");
    assert_eq!(state_of(&node, &id, "objectives").await["objectives"], json!([]));
    let fields = kpi("4");
    let r = submit(&a, &page, &format!("{actions}/propose"), &fields.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let o = state_of(&node, &id, "objectives").await["objectives"][0].clone();
    assert_eq!((o["title"].as_str(), o["kpis"][0]["baseline"].as_f64(), o["kpis"][0]["target"].as_f64(), o["kpis"][0]["weight"].as_f64()), (Some(hostile.as_str()), Some(12.0), Some(4.0), Some(1.0)), "{o}");
    assert_eq!(o["kpis"].as_array().unwrap().len(), 1, "the empty row is left out");
    let objective = o["id"].as_str().unwrap().to_owned();

    // Both endorse by the button; B, the KPI's reporting party, reports by its form (a value that is no number refused by name).
    for browser in [&a, &b] {
        let r = submit(browser, &page, &format!("{actions}/endorse"), &[("objective", &objective), ("version", o["version"].as_str().unwrap())]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    }
    assert!(!element(&a.get(&page).await.2, &format!("id=\"objective-{objective}\""), "</section>").contains("/actions/report\""), "only the reporting party reports");
    let r = submit(&b, &page, &format!("{actions}/report"), &[("objective", &objective), ("kpi", "hours to share"), ("value:number", "eight")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Check the field <code>value</code>"));
    let r = submit(&b, &page, &format!("{actions}/report"), &[("objective", &objective), ("kpi", "hours to share"), ("value:number", "8"), ("note", "<b>good</b>")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let o = state_of(&node, &id, "objectives").await["objectives"][0].clone();
    assert_eq!((o["stage"].as_str(), o["kpis"][0]["latest"].as_f64()), (Some("adopted"), Some(8.0)), "{o}");
    let html = a.get(&page).await.2;
    assert!(html.contains("hours to share: 8.0 hours (50 %)") && html.contains("class=\"expected\""), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)") && !html.contains("<script") && !html.contains("onerror=\""), "{html}");

    // A amends the KPIs as JSON (a bad one refused by name), then closes it.
    let amended = json!([{ "name": "hours to share", "unit": "hours", "baseline": 12, "target": 2, "direction": "decrease", "due": "2099-01-01T00:00:00Z", "weight": 1, "reporting_party_ref": node.b }]).to_string();
    let r = submit(&a, &page, &format!("{actions}/amend"), &[("objective", &objective), ("title", "Share faster"), ("kpis:json", "[{\"name\": 3}]")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Check the field <code>kpis[0]."), "the KPI's property is named");
    let r = submit(&a, &page, &format!("{actions}/amend"), &[("objective", &objective), ("title", "Share faster"), ("kpis:json", &amended)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let o = state_of(&node, &id, "objectives").await["objectives"][0].clone();
    assert_eq!((o["stage"].as_str(), o["versions"].as_u64(), o["kpis"][0]["target"].as_f64()), (Some("awaiting-endorsement"), Some(2), Some(2.0)), "{o}");
    let viewer = sign_in(&node, &node.viewer_a).await;
    let r = submit(&viewer, &page, &format!("{actions}/close"), &[("objective", &objective), ("note", "by a viewer")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = submit(&a, &page, &format!("{actions}/close"), &[("objective", &objective), ("note", "done <i>early</i>")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let o = state_of(&node, &id, "objectives").await["objectives"][0].clone();
    assert_eq!((o["stage"].as_str(), o["closing_note"].as_str()), (Some("closed"), Some("done <i>early</i>")));
    let section = element(&a.get(&page).await.2, &format!("id=\"objective-{objective}\""), "</section>").to_owned();
    assert!(section.contains("Closed: done &lt;i&gt;early&lt;/i&gt;") && !section.contains("Close the objective"), "{section}");
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
    let (s, v) = call(&node, &node.liaison[0], "POST", &format!("agreements/{id}/modules/disputes/actions/raise"), Some(json!({ "clause": "tlp_ceiling", "facts": hostile, "remedy": "apologise" }))).await;
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
    let (s, v) = call(&node, &node.liaison[0], "POST", &format!("{rest}/propose-terms"), Some(json!({ "unit": "EUR", "cost_share": { "method": "gni" } }))).await;
    assert_eq!(s, 201, "{v}");
    let terms = v["record"]["id"].as_str().unwrap().to_owned();
    for (token, gni) in [(&node.liaison[0], 300), (&node.liaison[1], 100)] {
        let (s, v) = call(&node, token, "POST", &format!("{rest}/accept-terms"), Some(json!({ "terms": terms }))).await;
        assert_eq!(s, 201, "{v}");
        let (s, v) = call(&node, token, "POST", &format!("{rest}/declare-figures"), Some(json!({ "year": 2026, "currency": "EUR", "gni": gni, "population": 10 }))).await;
        assert_eq!(s, 201, "{v}");
    }
    let hostile = PAYLOADS.join(" ");
    let a = sign_in(&node, &node.liaison[0]).await;
    let commit = [("resource", "money"), ("quantity:number", "400"), ("currency", "EUR"), ("receiver", node.b.as_str()), ("year:number", "2026"), ("due:time", "2026-12-31T00:00"), ("description", hostile.as_str())];
    // A pledge binds the party: an analyst's session is refused, naming the role.
    let analyst = sign_in(&node, &node.token_a).await;
    let html = analyst.get(&page).await.2;
    assert!(html.contains("A liaison of your party takes this step."), "the pledge form shows disabled to an analyst");
    let r = submit(&analyst, &page, &format!("{actions}/commit"), &commit).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("resources commit needs the liaison role or above"));
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
