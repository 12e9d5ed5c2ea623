//! The dialogue module across three sovereign nodes, a trilateral and a
//! bilateral agreement: channel messages reach exactly their parties (the
//! third node never holds the bilateral's channel, nor a trilateral channel
//! of the other two: the figure printed is what leaked, 0); minutes
//! approved by each party on its own node are agreed on every node after
//! sync; an edit after approval makes them await approval everywhere.
//! The same through the pages' forms, over HTTP: a meeting planned and its
//! minutes written on A's node, approved by A there and by B on B's node,
//! agreed on both nodes' pages; C's node, no party, holds none of it.

use serde_json::{json, Value};

use crate::nodes::{malware_terms, three_nations, Node};

/// `node`'s partner takes `action` under `agreement`; the record made.
fn act(node: &Node, agreement: &str, action: &str, input: Value) -> Value {
    let out = node.ok(&["module", "act", "--as", &node.id, agreement, "dialogue", action, "--input", &input.to_string()]);
    serde_json::from_str(&out).unwrap()
}

/// The dialogue's state under `agreement` as `node`'s partner sees it.
fn state(node: &Node, agreement: &str) -> Value {
    serde_json::from_str(&node.ok(&["module", "state", agreement, "dialogue"])).unwrap()
}

fn id(record: &Value) -> String {
    record["id"].as_str().unwrap().to_owned()
}

/// One pull round from each of `node`'s peers (their servers reread
/// agreements at least every second: records just stored count by then).
fn sync(node: &Node) {
    std::thread::sleep(std::time::Duration::from_millis(1100));
    node.ok(&["sync"]);
}

/// One pull round on each node, in turn.
fn sync_all(nodes: &[&Node]) {
    for n in nodes {
        sync(n);
    }
}

#[test]
fn dialogue_records_reach_exactly_their_parties_and_minutes_are_agreed_across_nodes() {
    let root = tempfile::tempdir().unwrap();
    let nodes = three_nations(root.path());
    let [a, b, c] = &nodes;
    let all = [a, b, c];

    // A trilateral and an A–B agreement, each ratified by its parties on their own nodes.
    let mut ids = Vec::new();
    for (title, parties) in [("A–B–C", vec![&a.id, &b.id, &c.id]), ("A–B", vec![&a.id, &b.id])] {
        let parties: Vec<&str> = parties.iter().map(|p| p.as_str()).collect();
        std::fs::write(a.dir.join("terms.json"), malware_terms(title, &parties).to_string()).unwrap();
        let agreement = a.ok(&["agreement", "propose", "--as", &a.id, "terms.json"]);
        a.ok(&["agreement", "ratify", "--as", &a.id, &agreement]);
        ids.push(agreement);
    }
    let (tri, bi) = (ids[0].clone(), ids[1].clone());
    sync(b);
    sync(c);
    b.ok(&["agreement", "ratify", "--as", &b.id, &tri]);
    b.ok(&["agreement", "ratify", "--as", &b.id, &bi]);
    c.ok(&["agreement", "ratify", "--as", &c.id, &tri]);
    sync_all(&all);
    for (n, expected) in [(a, 2), (b, 2), (c, 1)] {
        let list = n.ok(&["agreement", "list"]);
        assert_eq!(list.matches("[in force]").count(), expected, "{}: {list}", n.dir.display());
    }

    // Channels: one of the A–B agreement, one of all three, and one of the
    // trilateral agreement for A and B alone; a message in each.
    let bi_channel = act(a, &bi, "create-channel", json!({ "title": "A–B desk" }));
    let bi_message = act(a, &bi, "post-message", json!({ "channel": id(&bi_channel), "text": "for Borealis", "tlp": "amber" }));
    let all_channel = act(a, &tri, "create-channel", json!({ "title": "Coalition", "topic": "weekly coordination" }));
    let all_message = act(a, &tri, "post-message", json!({ "channel": id(&all_channel), "text": "welcome, all", "tlp": "green" }));
    let narrow_channel = act(a, &tri, "create-channel", json!({ "title": "A and B within the coalition", "members": [b.id] }));
    let narrow_message = act(a, &tri, "post-message", json!({ "channel": id(&narrow_channel), "text": "between the two of us" }));
    sync_all(&[b, c]);
    // Borealis replies on its own node, in the coalition channel and in the narrow one.
    let reply = act(b, &tri, "post-message", json!({ "channel": id(&all_channel), "text": "thanks", "reply_to": id(&all_message) }));
    let narrow_reply = act(b, &tri, "post-message", json!({ "channel": id(&narrow_channel), "text": "agreed", "reply_to": id(&narrow_message) }));
    sync_all(&all);

    let on_b = state(b, &bi);
    assert_eq!(on_b["state"]["channels"][0]["messages"][0]["text"], "for Borealis", "{on_b}");
    let on_a = state(a, &tri);
    let titles = |s: &Value| -> Vec<String> { s["state"]["channels"].as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap().to_owned()).collect() };
    assert_eq!(titles(&on_a), ["Coalition", "A and B within the coalition"], "{on_a}");
    assert_eq!(on_a["state"]["channels"][0]["messages"][1]["thread"], id(&all_message).as_str(), "{on_a}");
    assert_eq!(on_a["state"]["channels"], state(b, &tri)["state"]["channels"], "A and B see the same channels");
    let on_c = state(c, &tri);
    assert_eq!(titles(&on_c), ["Coalition"], "{on_c}");
    assert_eq!(on_c["state"]["channels"][0]["messages"].as_array().unwrap().len(), 2, "{on_c}");
    // What the third node holds of what was not for it.
    let held = c.stored();
    let not_for_c = [&bi_channel, &bi_message, &narrow_channel, &narrow_message, &narrow_reply];
    let leaked = not_for_c.iter().filter(|r| held.contains(&id(r))).count();
    println!("dialogue: leaked {leaked} of {} records not for Caledonia", not_for_c.len());
    assert_eq!(leaked, 0);
    assert!(held.contains(&id(&reply)) && held.contains(&id(&all_message)), "the coalition's messages reached Caledonia");
    // Caledonia cannot reach the A–B agreement's dialogue at all.
    let out = crate::entente(&c.dir, &["module", "state", &bi, "dialogue"]);
    assert!(!out.status.success(), "Caledonia read the A–B dialogue");

    // A meeting of all three; each approves the minutes on its own node.
    let meeting = act(a, &tri, "record-meeting", json!({
        "title": "Senior dialogue", "meeting_type": "senior-dialogue", "date": "2026-01-15T10:00:00Z",
        "participants": [
            { "party": a.id, "name": "Head of delegation", "role": "chair" },
            { "party": b.id, "name": "Deputy director" },
            { "party": c.id, "name": "Liaison officer" },
        ],
        "agenda": ["threat picture"], "minutes": "The parties reviewed the threat picture.", "decisions": ["share more often"],
    }));
    let m = json!({ "meeting": id(&meeting) });
    act(a, &tri, "approve-minutes", m.clone());
    act(a, &tri, "add-action-item", json!({ "description": "circulate the sensor list", "owner": c.id, "due": "2099-01-01T00:00:00Z", "meeting": id(&meeting) }));
    sync_all(&[b, c]);
    // On Caledonia's own node, its inbox holds the minutes awaiting its
    // approval and the item Aurelia gave it; Borealis's holds the minutes
    // and not Caledonia's item.
    let inbox = |n: &Node| -> Vec<(String, String)> {
        let v: Value = serde_json::from_str(&n.ok(&["module", "inbox"])).unwrap();
        v["inbox"].as_array().unwrap().iter().map(|e| (e["what"].as_str().unwrap().to_owned(), e["record"].as_str().unwrap().to_owned())).collect()
    };
    let c_inbox = inbox(c);
    assert!(c_inbox.contains(&("approve-minutes".into(), id(&meeting))), "{c_inbox:?}");
    assert!(c_inbox.iter().any(|(what, _)| what == "action-item"), "{c_inbox:?}");
    let b_inbox = inbox(b);
    assert!(b_inbox.contains(&("approve-minutes".into(), id(&meeting))), "{b_inbox:?}");
    assert!(!b_inbox.iter().any(|(what, _)| what == "action-item"), "{b_inbox:?}");
    act(b, &tri, "approve-minutes", m.clone());
    act(c, &tri, "approve-minutes", m.clone());
    assert!(!inbox(c).iter().any(|(what, _)| what == "approve-minutes"), "approved minutes leave the inbox");
    sync_all(&all);
    let minutes = |n: &Node| state(n, &tri)["state"]["meetings"][0].clone();
    for n in all {
        let seen = minutes(n);
        assert_eq!(seen["minutes_status"], "agreed", "{}: {seen}", n.dir.display());
        assert_eq!(seen["action_items"].as_array().unwrap().len(), 1, "{seen}");
    }
    assert_eq!(minutes(a), minutes(c), "every node derives the same meeting");

    // An edit after approval: awaiting again, on every node.
    act(a, &tri, "edit-meeting", json!({ "meeting": id(&meeting), "minutes": "The parties reviewed the threat picture and agreed a plan." }));
    sync_all(&[b, c]);
    for n in all {
        let seen = minutes(n);
        assert_eq!(seen["minutes_status"], "awaiting", "{}: {seen}", n.dir.display());
        assert_eq!(seen["approved_by"], json!([]), "{seen}");
    }
}

/// A signed-in session on a node's pages, over HTTP as a browser has it.
pub(crate) struct Pages {
    base: String,
    cookie: String,
    http: reqwest::blocking::Client,
}

/// The value of the first `name="{name}" value="…"` after `from` in `html`.
pub(crate) fn field_value(html: &str, from: &str, name: &str) -> String {
    let at = html.find(from).unwrap_or_else(|| panic!("no {from} in {html}"));
    let key = format!("name=\"{name}\" value=\"");
    let start = html[at..].find(&key).unwrap_or_else(|| panic!("no {name} after {from}: {html}")) + at + key.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// `name=value` of the `Set-Cookie` for `name`.
fn cookie(r: &reqwest::blocking::Response, name: &str) -> String {
    let all = r.headers().get_all("set-cookie");
    let v = all.iter().filter_map(|v| v.to_str().ok()).find(|v| v.starts_with(&format!("{name}="))).unwrap_or_else(|| panic!("no {name} cookie"));
    v.split(';').next().unwrap().to_owned()
}

impl Pages {
    /// Signs in to `node`'s pages with a new liaison token of its own partner.
    pub(crate) fn sign_in(node: &Node) -> Pages {
        let token = node.token_for(&node.id, "liaison");
        let http = reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let base = format!("http://127.0.0.1:{}", node.port);
        let form = http.get(format!("{base}/login")).send().unwrap();
        let login = cookie(&form, "entente_login");
        let csrf = field_value(&form.text().unwrap(), "<form", "csrf");
        let r = http.post(format!("{base}/login")).header("cookie", login).form(&[("csrf", csrf.as_str()), ("token", token.as_str())]).send().unwrap();
        assert_eq!(r.status(), 303, "{}", r.text().unwrap());
        let cookie = cookie(&r, "entente_session");
        Pages { base, cookie, http }
    }

    pub(crate) fn get(&self, path: &str) -> (u16, String) {
        let r = self.http.get(format!("{}{path}", self.base)).header("cookie", &self.cookie).send().unwrap();
        (r.status().as_u16(), r.text().unwrap())
    }

    /// Posts `fields` to `path` with the CSRF token of the page at `page`:
    /// the status and where it sends the browser.
    pub(crate) fn post(&self, page: &str, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let (s, html) = self.get(page);
        assert_eq!(s, 200, "{html}");
        let csrf = field_value(&html, "<form", "csrf");
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        let r = self.http.post(format!("{}{path}", self.base)).header("cookie", &self.cookie).form(&all).send().unwrap();
        let to = r.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_owned();
        (r.status().as_u16(), to)
    }

    /// Posts a form of the page at `page` (its CSRF token added) to `page/actions/{action}`; it must go back to the page (303).
    fn act(&self, page: &str, action: &str, fields: &[(&str, &str)]) {
        let (s, html) = self.get(page);
        assert_eq!(s, 200, "{html}");
        let csrf = field_value(&html, "<form", "csrf");
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        let r = self.http.post(format!("{}{page}/actions/{action}", self.base)).header("cookie", &self.cookie).form(&all).send().unwrap();
        assert_eq!(r.status(), 303, "{action}: {}", r.text().unwrap());
    }
}

#[test]
fn minutes_approved_through_each_nodes_pages_are_agreed_on_both() {
    let root = tempfile::tempdir().unwrap();
    let nodes = three_nations(root.path());
    let [a, b, c] = &nodes;
    std::fs::write(a.dir.join("terms.json"), malware_terms("A–B", &[a.id.as_str(), b.id.as_str()]).to_string()).unwrap();
    let agreement = a.ok(&["agreement", "propose", "--as", &a.id, "terms.json"]);
    a.ok(&["agreement", "ratify", "--as", &a.id, &agreement]);
    sync(b);
    b.ok(&["agreement", "ratify", "--as", &b.id, &agreement]);
    sync(a);
    let page = format!("/agreements/{agreement}/modules/dialogue");

    // On A's node: plan the meeting, write its minutes, approve them.
    let on_a = Pages::sign_in(a);
    on_a.act(&page, "record-meeting", &[
        ("title", "Quarterly senior dialogue"), ("meeting_type", "senior-dialogue"), ("date", "2026-01-15T10:00:00Z"),
        ("participants[0].party", a.id.as_str()), ("participants[0].name", "Head of delegation"), ("participants[0].role", "chair"),
        ("participants[1].party", b.id.as_str()), ("participants[1].name", "Deputy director"),
        ("agenda:list", "threat picture"),
    ]);
    let meeting = state(a, &agreement)["state"]["meetings"][0]["id"].as_str().unwrap().to_owned();
    let section = format!("id=\"meeting-{meeting}\"");
    on_a.act(&page, "edit-meeting", &[("meeting", meeting.as_str()), ("minutes", "The parties reviewed the threat picture."), ("decisions:list", "share more often")]);
    let version = field_value(&on_a.get(&page).1, &section, "version");
    on_a.act(&page, "approve-minutes", &[("meeting", meeting.as_str()), ("version", version.as_str())]);
    let minutes_on = |p: &Pages| {
        let (s, html) = p.get(&page);
        assert_eq!(s, 200, "{html}");
        let at = html.find(&section).unwrap_or_else(|| panic!("no meeting: {html}"));
        let rest = &html[at..];
        rest[..rest.find("</section>").unwrap()].to_owned()
    };
    assert!(minutes_on(&on_a).contains("Minutes: <strong>awaiting approval</strong>"));

    // On B's node, after a pull: B's page asks B to approve that version; B approves there.
    sync(b);
    let on_b = Pages::sign_in(b);
    let seen = minutes_on(&on_b);
    assert!(seen.contains("Approve these minutes") && seen.contains("The parties reviewed the threat picture."), "{seen}");
    assert_eq!(field_value(&seen, "approve-minutes", "version"), version, "B approves the version A approved");
    on_b.act(&page, "approve-minutes", &[("meeting", meeting.as_str()), ("version", version.as_str())]);
    sync(a);
    for (name, pages) in [("A", &on_a), ("B", &on_b)] {
        let seen = minutes_on(pages);
        assert!(seen.contains("Minutes: <strong>agreed</strong>") && !seen.contains("Approve these minutes"), "{name}: {seen}");
        assert_eq!(seen.matches("approved this version").count(), 2, "{name}: {seen}");
    }

    // C's node, no party to the agreement, pulled from both and holds none of it.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let report = c.ok(&["sync"]);
    let pulls: Vec<Value> = report.lines().map(|l| serde_json::from_str(l.split_once(' ').unwrap().1).unwrap()).collect();
    assert!(pulls.len() == 2 && pulls.iter().all(|p| p["added"].is_u64()), "C pulled from A and from B: {report}");
    let held = c.stored();
    let minutes_held = held.iter().filter(|id| id.starts_with("x-entente-meeting--") || id.starts_with("x-entente-minutes-approval--")).count();
    println!("dialogue pages: Caledonia holds {minutes_held} meeting or approval records");
    assert_eq!(minutes_held, 0);
}
