//! The dialogue module's page: channels (threads, compose forms), meetings
//! (held against planned per the agreement's cadence, upcoming and held,
//! a month calendar drawn on the server, each meeting with its agenda,
//! minutes and who approved their latest version) and the action board
//! (open, overdue and closed items), with the forms of every action. Each
//! channel says how many of its messages the signed-in user has not read
//! (`node::marks`); seeing the page marks them read.

use maud::{html, Markup};
use serde_json::Value;

use super::{error_for, error_other, error_under, Fault};
use crate::kit::form::csrf_field;
use crate::session::Signed;

/// The newest messages of each channel the page shows; the rest are a
/// link away, [`CHANNEL_PAGE`] versions a page (`?channel=`), read by the
/// store's index of what records name, so a page costs the same however
/// long the channel.
pub(super) const SHOWN: usize = 20;
pub(super) const CHANNEL_PAGE: usize = 100;

/// What the dialogue page is drawn from.
pub(super) struct Page<'a> {
    pub signed: &'a Signed,
    /// The module page's path; forms post to `{base}/actions/{action}`.
    pub base: &'a str,
    /// The module's state (`dialogue::rules::state`).
    pub state: &'a Value,
    /// The agreement's parties, for the forms' party choices.
    pub parties: &'a [String],
    /// The calendar's month, `YYYY-MM` (asked for, else the month of the state's clock); a bad one is said so.
    pub month: &'a str,
    pub fault: Option<&'a Fault>,
    /// A partner's name from its id.
    pub who: &'a dyn Fn(&str) -> String,
    /// Per channel id, what the user had not read before this view
    /// (`node::marks::Thread` as JSON).
    pub unread: &'a Value,
    /// A page of one channel's whole history, when asked for: `channel`,
    /// `records` (every version, in the order this node received them), `next`.
    pub channel_page: &'a Value,
}

fn text<'v>(v: &'v Value, key: &str) -> &'v str {
    v[key].as_str().unwrap_or_default()
}

fn list(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

/// A timestamp as a reader reads it: `2026-01-15 10:00 UTC`.
pub(super) fn when(t: &str) -> String {
    match (t.get(..10), t.get(11..16)) {
        (Some(day), Some(time)) if t.len() >= 20 => format!("{day} {time} UTC"),
        _ => t.to_owned(),
    }
}

/// The dialogue module's page.
pub(super) fn page(p: &Page<'_>) -> Markup {
    html! {
        nav.sections aria-label="Dialogue" {
            a href="#channels" { "Channels" } " · " a href="#meetings" { "Meetings" } " · " a href="#calendar" { "Calendar" } " · " a href="#actions" { "Action items" }
        }
        @if p.channel_page.is_object() { (channel_page(p)) }
        section #channels { h3 { "Channels" } (channels(p)) }
        section #meetings { (meetings(p)) }
        section #calendar { (calendar(p)) }
        section #actions { (board(p)) }
    }
}

/// Channels, their threads and compose forms, and the form to open one.
fn channels(p: &Page<'_>) -> Markup {
    let (signed, base, fault, who) = (p.signed, p.base, p.fault, p.who);
    let channels = list(&p.state["channels"]);
    let typed = |action: &str, about: &str| fault.filter(|f| f.action == action && f.about == about).map(|f| f.typed.clone()).unwrap_or_default();
    html! {
        @if channels.is_empty() { p { "No channels yet." } }
        @for c in &channels {
            @let cid = text(c, "id");
            section.channel {
                h4 {
                    (c["title"].as_str().unwrap_or("(untitled)"))
                    @if let Some(n) = p.unread[cid]["unread"].as_u64().filter(|n| *n > 0) { " " span.unread { (n) " unread" } }
                }
                @if let Some(topic) = c["topic"].as_str() { p.hint { (topic) } }
                @let all = list(&c["messages"]);
                // The newest SHOWN, in order, by thread (a thread whose
                // first messages are older shows from its newest ones).
                @let messages: Vec<Value> = all[all.len().saturating_sub(SHOWN)..].to_vec();
                @let threads: Vec<&str> = messages.iter().map(|m| text(m, "thread")).fold(Vec::new(), |mut v, t| { if !v.contains(&t) { v.push(t) } v });
                @if all.len() > SHOWN {
                    p.older { "The newest " (SHOWN) " of " (all.len()) " messages. " a href={ (base) "?channel=" (cid) "#channel-page" } { "Older messages, " (CHANNEL_PAGE) " a page" } }
                }
                @for tid in threads {
                    article.thread {
                        @for m in messages.iter().filter(|m| text(m, "thread") == tid) {
                            @let mid = text(m, "id");
                            div.message {
                                p {
                                    strong { (who(text(m, "author"))) } " " small { (when(text(m, "created"))) }
                                    @if let Some(t) = m["tlp"].as_str() { " " span class={ "tlp tlp-" (t.replace('+', "-")) } { "TLP:" (t.to_uppercase()) } }
                                    @if m["edited"] == true { " " small.edited { "(edited)" } }
                                }
                                p { (text(m, "text")) }
                                @let refs: Vec<&str> = m["object_refs"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                                @if !refs.is_empty() {
                                    // Each opens the object's own page: what the reader may see of it is the release decision's there.
                                    p.refs { "Refers to: " @for (i, r) in refs.iter().enumerate() { @if i > 0 { ", " } a href={ "/intel/" (r) } { code { (r) } } } }
                                }
                                @if text(m, "author") == signed.caller.partner.as_str() {
                                    details.own {
                                        summary { "Edit or retract" }
                                        form method="post" action={ (base) "/actions/edit-message" } {
                                            (csrf_field(signed))
                                            input type="hidden" name="message" value=(mid);
                                            label for={ "edit-" (mid) } { "Text" }
                                            input id={ "edit-" (mid) } type="text" name="text" value=(if fault.is_some_and(|f| f.action == "edit-message" && f.about == mid) { Fault::value(fault, "edit-message", mid, "text") } else { text(m, "text") });
                                            @if let Some(e) = error_for(fault, "edit-message", mid, "text") { (e) }
                                            button type="submit" { "Save (a new version)" }
                                        }
                                        form method="post" action={ (base) "/actions/retract-message" } {
                                            (csrf_field(signed))
                                            input type="hidden" name="message" value=(mid);
                                            button type="submit" { "Retract" }
                                            @if let Some(e) = error_other(fault, "retract-message", mid, &[]) { (e) }
                                        }
                                    }
                                }
                                form method="post" action={ (base) "/actions/post-message" } {
                                    (csrf_field(signed))
                                    input type="hidden" name="channel" value=(cid);
                                    input type="hidden" name="reply_to" value=(mid);
                                    label for={ "reply-" (mid) } { "Reply" }
                                    input id={ "reply-" (mid) } type="text" name="text" value=(typed("post-message", mid));
                                    @if let Some(e) = error_for(fault, "post-message", mid, "text") { (e) }
                                    button type="submit" { "Reply" }
                                }
                            }
                        }
                    }
                }
                form.compose method="post" action={ (base) "/actions/post-message" } {
                    (csrf_field(signed))
                    input type="hidden" name="channel" value=(cid);
                    label for={ "text-" (cid) } { "New message" }
                    textarea id={ "text-" (cid) } name="text" rows="3" { (typed("post-message", cid)) }
                    @if let Some(e) = error_for(fault, "post-message", cid, "text") { (e) }
                    label for={ "tlp-" (cid) } { "TLP (no higher than the agreement allows)" }
                    select id={ "tlp-" (cid) } name="tlp" {
                        option value="" { "none" }
                        @for t in ["clear", "green", "amber", "amber+strict", "red"] { option value=(t) selected[Fault::value(fault, "post-message", cid, "tlp") == t] { "TLP:" (t.to_uppercase()) } }
                    }
                    @if let Some(e) = error_under(fault, "post-message", cid, "object_marking_refs") { (e) }
                    @if let Some(e) = error_for(fault, "post-message", cid, "tlp") { (e) }
                    label for={ "refs-" (cid) } { "Refers to (object ids, one a line; optional)" }
                    textarea id={ "refs-" (cid) } name="object_refs:list" rows="2" { (Fault::value(fault, "post-message", cid, "object_refs:list")) }
                    @if let Some(e) = error_under(fault, "post-message", cid, "object_refs") { (e) }
                    button type="submit" { "Post" }
                }
            }
        }
        h4 { "Open a channel" }
        form method="post" action={ (base) "/actions/create-channel" } {
            (csrf_field(signed))
            label for="channel-title" { "Title" }
            input id="channel-title" type="text" name="title" value=(typed("create-channel", ""));
            @if let Some(e) = error_for(fault, "create-channel", "", "title") { (e) }
            label for="channel-topic" { "Topic (optional)" }
            input id="channel-topic" type="text" name="topic";
            button type="submit" { "Open" }
        }
    }
}

/// One page of a channel's whole history: every version of its messages
/// in the order this node received them, each dated by its author.
fn channel_page(p: &Page<'_>) -> Markup {
    let t = p.channel_page;
    let cid = text(t, "channel");
    let records = list(&t["records"]);
    let title = list(&p.state["channels"]).into_iter().find(|c| text(c, "id") == cid).and_then(|c| c["title"].as_str().map(str::to_owned)).unwrap_or_default();
    html! {
        section.channel-page id="channel-page" {
            h3 { "All messages of " (title) }
            p.hint { "Every message and every edit in the order this node received them, " (CHANNEL_PAGE) " a page." }
            @if records.is_empty() { p { "No message on this page." } }
            ol {
                @for r in &records {
                    li {
                        strong { ((p.who)(text(r, "created_by_ref"))) } " " small { (when(text(r, "modified"))) }
                        @if r["revoked"] == true { " (retracted)" } @else if text(r, "modified") != text(r, "created") { " (edit)" }
                        ": " (text(r, "text"))
                    }
                }
            }
            p {
                @if let Some(next) = t["next"].as_i64() { a href={ (p.base) "?channel=" (cid) "&after=" (next) "#channel-page" } { "Next page" } " · " }
                a href={ (p.base) "#channels" } { "Back to the channels" }
            }
        }
    }
}

/// What the minutes' status says to a reader.
fn minutes_status(m: &Value) -> &'static str {
    match text(m, "minutes_status") {
        "agreed" => "agreed",
        "awaiting" => "awaiting approval",
        _ => "no minutes yet",
    }
}

/// Held against planned per meeting type, the upcoming and held meetings,
/// each meeting, and the form to plan one.
fn meetings(p: &Page<'_>) -> Markup {
    let meetings = list(&p.state["meetings"]);
    let cadence = list(&p.state["cadence"]);
    let upcoming: Vec<&Value> = meetings.iter().filter(|m| m["status"] == "scheduled").collect();
    let held: Vec<&Value> = meetings.iter().rev().filter(|m| m["status"] == "held").collect();
    let row = |m: &Value| {
        html! {
            tr {
                td { (when(text(m, "date"))) }
                td { a href={ "#meeting-" (text(m, "id")) } { (text(m, "title")) } }
                td { (text(m, "meeting_type")) }
                td { (minutes_status(m)) }
            }
        }
    };
    let table = |caption: &str, rows: &[&Value]| {
        html! {
            @if rows.is_empty() { p { "No " (caption.to_lowercase()) " meetings." } } @else {
                table.meetings {
                    caption { (caption) }
                    thead { tr { th scope="col" { "Date" } th scope="col" { "Meeting" } th scope="col" { "Type" } th scope="col" { "Minutes" } } }
                    tbody { @for m in rows { (row(m)) } }
                }
            }
        }
    };
    html! {
        h3 { "Meetings" }
        @if cadence.is_empty() {
            p.hint { "The agreement sets no meeting cadence: no meetings are planned by it." }
        } @else {
            table.cadence {
                caption { "Held against planned (the agreement's meeting cadence)" }
                thead { tr { th scope="col" { "Meeting type" } th scope="col" { "Every" } th scope="col" { "Planned" } th scope="col" { "Held" } th scope="col" { "Missed" } th scope="col" { "Next due" } } }
                tbody {
                    @for c in &cadence {
                        tr {
                            td { (text(c, "meeting_type")) }
                            td { (c["every_months"]) " months" }
                            td { (c["planned"]) }
                            td { (c["held"]) }
                            td { (c["missed"]) }
                            td { (c["next_due"].as_str().map(when).unwrap_or_else(|| "—".to_owned())) }
                        }
                    }
                }
            }
        }
        (table("Upcoming", &upcoming))
        (table("Held", &held))
        @for m in &meetings { (meeting(p, m)) }
        (plan_form(p, &cadence))
    }
}

/// One meeting: agenda, participants, the minutes' latest version and each
/// party's approval of it, decisions, action items; the Approve button when
/// the caller's partner is awaited, the edit form for its author.
fn meeting(p: &Page<'_>, m: &Value) -> Markup {
    let (signed, base, fault, who) = (p.signed, p.base, p.fault, p.who);
    let me = signed.caller.partner.as_str();
    let id = text(m, "id");
    let awaiting: Vec<&str> = m["awaiting"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let approved: Vec<&str> = m["approved_by"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let items: Vec<Value> = list(&p.state["action_items"]).into_iter().filter(|i| i["meeting"].as_str() == Some(id)).collect();
    let lines = |v: &Value| v.as_array().into_iter().flatten().filter_map(Value::as_str).collect::<Vec<_>>().join("\n");
    let value = |name: &str, current: String| {
        let typed = Fault::value(fault, "edit-meeting", id, name);
        if fault.is_some_and(|f| f.action == "edit-meeting" && f.about == id) { typed.to_owned() } else { current }
    };
    html! {
        section.meeting id={ "meeting-" (id) } {
            h4 { (text(m, "title")) }
            p.hint { (when(text(m, "date"))) " · " (text(m, "meeting_type")) " · " (if m["status"] == "held" { "held" } else { "scheduled" }) " · recorded by " (who(text(m, "author"))) }
            h5 { "Participants" }
            table.participants {
                thead { tr { th scope="col" { "Party" } th scope="col" { "Name" } th scope="col" { "Role" } } }
                tbody {
                    @for x in list(&m["participants"]) {
                        tr { td { (who(text(&x, "party_ref"))) } td { (text(&x, "name")) } td { (text(&x, "role")) } }
                    }
                }
            }
            h5 { "Agenda" }
            @let agenda = list(&m["agenda"]);
            @if agenda.is_empty() { p { "No agenda." } } @else { ol { @for a in &agenda { li { (a.as_str().unwrap_or_default()) } } } }
            h5 { "Minutes" }
            p.minutes-status { "Minutes: " strong { (minutes_status(m)) } " (version of " (when(text(m, "version"))) ")" }
            @if let Some(minutes) = m["minutes"].as_str().filter(|t| !t.trim().is_empty()) {
                div.minutes { @for para in minutes.split("\n\n") { p { (para) } } }
                ul.approvals {
                    @for party in approved.iter().copied() { li { (who(party)) ": approved this version" } }
                    @for party in awaiting.iter().copied() { li { (who(party)) ": awaiting its approval" } }
                }
                @if awaiting.contains(&me) {
                    form method="post" action={ (base) "/actions/approve-minutes" } {
                        (csrf_field(signed))
                        input type="hidden" name="meeting" value=(id);
                        input type="hidden" name="version" value=(text(m, "version"));
                        button type="submit" { "Approve these minutes" }
                        @if let Some(e) = error_other(fault, "approve-minutes", id, &[]) { (e) }
                    }
                }
            }
            h5 { "Decisions" }
            @let decisions = list(&m["decisions"]);
            @if decisions.is_empty() { p { "No decisions recorded." } } @else { ul { @for d in &decisions { li { (d.as_str().unwrap_or_default()) } } } }
            h5 { "Action items" }
            @if items.is_empty() { p { "None from this meeting." } } @else {
                ul { @for i in &items { li { a href={ "#item-" (text(i, "id")) } { (text(i, "description")) } " — " (who(text(i, "owner"))) ", " (text(i, "status")) } } }
            }
            @if text(m, "author") == me {
                details {
                    summary { "Record or edit the minutes" }
                    form method="post" action={ (base) "/actions/edit-meeting" } {
                        (csrf_field(signed))
                        input type="hidden" name="meeting" value=(id);
                        label for={ "date-" (id) } { "Date (UTC, such as 2026-07-01T09:00:00Z)" }
                        input id={ "date-" (id) } type="text" name="date" value=(value("date", text(m, "date").to_owned()));
                        @if let Some(e) = error_for(fault, "edit-meeting", id, "date") { (e) }
                        label for={ "agenda-" (id) } { "Agenda (one item a line)" }
                        textarea id={ "agenda-" (id) } name="agenda:list" rows="3" { (value("agenda:list", lines(&m["agenda"]))) }
                        @if let Some(e) = error_under(fault, "edit-meeting", id, "agenda") { (e) }
                        label for={ "minutes-" (id) } { "Minutes" }
                        textarea id={ "minutes-" (id) } name="minutes" rows="6" { (value("minutes", text(m, "minutes").to_owned())) }
                        @if let Some(e) = error_for(fault, "edit-meeting", id, "minutes") { (e) }
                        label for={ "decisions-" (id) } { "Decisions (one a line)" }
                        textarea id={ "decisions-" (id) } name="decisions:list" rows="3" { (value("decisions:list", lines(&m["decisions"]))) }
                        @if let Some(e) = error_under(fault, "edit-meeting", id, "decisions") { (e) }
                        @if let Some(e) = error_other(fault, "edit-meeting", id, &["date", "agenda", "minutes", "decisions"]) { (e) }
                        p.hint { "Saving makes a new version: every participating party approves it again." }
                        button type="submit" { "Save the minutes" }
                    }
                }
            }
        }
    }
}

/// The form to plan (or record) a meeting: a row per party of the
/// agreement, ticked when it takes part.
fn plan_form(p: &Page<'_>, cadence: &[Value]) -> Markup {
    let (signed, base, fault, who) = (p.signed, p.base, p.fault, p.who);
    let v = |name: &str| Fault::value(fault, "record-meeting", "", name);
    let refused = fault.is_some_and(|f| f.action == "record-meeting");
    html! {
        h4 { "Plan a meeting" }
        form.plan method="post" action={ (base) "/actions/record-meeting" } {
            (csrf_field(signed))
            label for="meeting-title" { "Title" }
            input id="meeting-title" type="text" name="title" value=(v("title"));
            @if let Some(e) = error_for(fault, "record-meeting", "", "title") { (e) }
            label for="meeting-type" { "Meeting type" }
            input id="meeting-type" type="text" name="meeting_type" list="meeting-types" value=(v("meeting_type"));
            datalist #meeting-types { @for c in cadence { option value=(text(c, "meeting_type")) {} } }
            @if let Some(e) = error_for(fault, "record-meeting", "", "meeting_type") { (e) }
            label for="meeting-date" { "Date (UTC, such as 2026-07-01T09:00:00Z)" }
            input id="meeting-date" type="text" name="date" value=(v("date"));
            @if let Some(e) = error_for(fault, "record-meeting", "", "date") { (e) }
            fieldset {
                legend { "Participants (a name each party chooses; no other personal data)" }
                @for (i, party) in p.parties.iter().enumerate() {
                    @let ticked = if refused { v(&format!("participants[{i}].party")) == party.as_str() } else { true };
                    div.participant {
                        input id={ "party-" (i) } type="checkbox" name={ "participants[" (i) "].party" } value=(party) checked[ticked];
                        label for={ "party-" (i) } { (who(party)) }
                        label for={ "pname-" (i) } { "Name" }
                        input id={ "pname-" (i) } type="text" name={ "participants[" (i) "].name" } value=(v(&format!("participants[{i}].name")));
                        label for={ "prole-" (i) } { "Role" }
                        input id={ "prole-" (i) } type="text" name={ "participants[" (i) "].role" } value=(v(&format!("participants[{i}].role")));
                    }
                }
                @if let Some(e) = error_under(fault, "record-meeting", "", "participants") { (e) }
            }
            label for="meeting-agenda" { "Agenda (one item a line)" }
            textarea id="meeting-agenda" name="agenda:list" rows="3" { (v("agenda:list")) }
            @if let Some(e) = error_under(fault, "record-meeting", "", "agenda") { (e) }
            @if let Some(e) = error_other(fault, "record-meeting", "", &["title", "meeting_type", "date", "participants", "agenda"]) { (e) }
            button type="submit" { "Plan the meeting" }
        }
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYY-MM` as year and month, if it is one (years 1 to 9999).
pub(super) fn parse_month(s: &str) -> Option<(i64, i64)> {
    let (y, m) = s.split_once('-').filter(|(y, m)| y.len() == 4 && m.len() == 2)?;
    let (y, m) = (y.parse::<i64>().ok()?, m.parse::<i64>().ok()?);
    ((1..=9999).contains(&y) && (1..=12).contains(&m)).then_some((y, m))
}

const MONTHS: [&str; 12] = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/// The weeks (Monday first) of a month: each day's number, or none for the
/// days of the months around it.
pub(super) fn weeks(y: i64, m: i64) -> Vec<[Option<i64>; 7]> {
    // 1970-01-01 was a Thursday (3 from Monday).
    let first = (days_from_civil(y, m, 1) + 3).rem_euclid(7);
    let days = days_in_month(y, m);
    let mut out = Vec::new();
    let mut week = [None; 7];
    for d in 1..=days {
        let col = ((first + d - 1) % 7) as usize;
        week[col] = Some(d);
        if col == 6 {
            out.push(week);
            week = [None; 7];
        }
    }
    if week.iter().any(Option::is_some) {
        out.push(week);
    }
    out
}

/// The month calendar: a table of weeks, each day's meetings linked to
/// their section, the months before and after linked.
fn calendar(p: &Page<'_>) -> Markup {
    let meetings = list(&p.state["meetings"]);
    let Some((y, m)) = parse_month(p.month) else {
        return html! { h3 { "Calendar" } p.error role="alert" { "Check the month: " code { (p.month) } " is not a month such as 2026-07." } p { a href="?#calendar" { "This month" } } };
    };
    let prev = if m == 1 { format!("{:04}-12", y - 1) } else { format!("{y:04}-{:02}", m - 1) };
    let next = if m == 12 { format!("{:04}-01", y + 1) } else { format!("{y:04}-{:02}", m + 1) };
    let on = |d: i64| -> Vec<&Value> {
        let day = format!("{y:04}-{m:02}-{d:02}");
        meetings.iter().filter(|x| text(x, "date").starts_with(&day)).collect()
    };
    html! {
        h3 { "Calendar" }
        p.months {
            a href={ "?month=" (prev) "#calendar" } { "← " (prev) } " · " a href={ "?month=" (next) "#calendar" } { (next) " →" }
        }
        table.calendar {
            caption { "Meetings in " (MONTHS[(m - 1) as usize]) " " (y) }
            thead { tr { @for d in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] { th scope="col" { (d) } } } }
            tbody {
                @for week in weeks(y, m) {
                    tr {
                        @for day in week {
                            @if let Some(d) = day {
                                td {
                                    span.day { (d) }
                                    @for x in on(d) {
                                        a.meeting href={ "#meeting-" (text(x, "id")) } { (text(x, "title")) " (" (minutes_status(x)) ")" }
                                    }
                                }
                            } @else { td.outside {} }
                        }
                    }
                }
            }
        }
    }
}

/// The action board: open, overdue and closed items in three columns, by
/// owner, each with its due date, status and updates, the owner's forms
/// (acknowledge, progress, close), a comment form; and the form to add one.
fn board(p: &Page<'_>) -> Markup {
    let items = list(&p.state["action_items"]);
    let closed: Vec<&Value> = items.iter().filter(|i| i["status"] == "closed").collect();
    let overdue: Vec<&Value> = items.iter().filter(|i| i["status"] != "closed" && i["overdue"] == true).collect();
    let open: Vec<&Value> = items.iter().filter(|i| i["status"] != "closed" && i["overdue"] != true).collect();
    html! {
        h3 { "Action items" }
        div.board {
            @for (title, column) in [("Open", &open), ("Overdue", &overdue), ("Closed", &closed)] {
                section.column aria-label=(title) {
                    h4 { (title) " (" (column.len()) ")" }
                    @if column.is_empty() { p { "None." } }
                    @for (owner, items) in by_owner(p, column) {
                        h5 { (owner) }
                        @for i in items { (item(p, i)) }
                    }
                }
            }
        }
        (item_form(p))
    }
}

/// A column's items by owner (by the owner's name), each owner's by due
/// date as the state orders them.
fn by_owner<'v>(p: &Page<'_>, column: &[&'v Value]) -> Vec<(String, Vec<&'v Value>)> {
    let mut groups: std::collections::BTreeMap<String, Vec<&'v Value>> = std::collections::BTreeMap::new();
    for i in column {
        groups.entry((p.who)(text(i, "owner"))).or_default().push(i);
    }
    groups.into_iter().collect()
}

/// One action item on the board.
fn item(p: &Page<'_>, i: &Value) -> Markup {
    let (signed, base, fault, who) = (p.signed, p.base, p.fault, p.who);
    let me = signed.caller.partner.as_str();
    let id = text(i, "id");
    let status = text(i, "status");
    let mine = text(i, "owner") == me && status != "closed";
    let update_form = |update: &str, button: &str, percent: bool| {
        let about = format!("{id}/{update}");
        html! {
            form.update method="post" action={ (base) "/actions/update-action-item" } {
                (csrf_field(signed))
                input type="hidden" name="action_item" value=(id);
                input type="hidden" name="update" value=(update);
                @if percent {
                    label for={ "percent-" (id) } { "Percent done" }
                    input id={ "percent-" (id) } type="number" min="0" max="100" name="percent:number" value=(Fault::value(fault, "update-action-item", &about, "percent:number"));
                    @if let Some(e) = error_for(fault, "update-action-item", &about, "percent") { (e) }
                }
                label for={ (update) "-" (id) } { "Note" @if update != "comment" { " (optional)" } }
                input id={ (update) "-" (id) } type="text" name="text" value=(Fault::value(fault, "update-action-item", &about, "text"));
                @if let Some(e) = error_for(fault, "update-action-item", &about, "text") { (e) }
                @if let Some(e) = error_other(fault, "update-action-item", &about, &["text", "percent"]) { (e) }
                button type="submit" { (button) }
            }
        }
    };
    html! {
        article.item id={ "item-" (id) } {
            p { strong { (text(i, "description")) } }
            p.hint {
                "Owner " (who(text(i, "owner"))) " · due " (when(text(i, "due"))) " · " (status)
                @if let Some(pc) = i["percent"].as_u64() { " (" (pc) "%)" }
                @if i["overdue"] == true { " · " strong { "overdue" } }
                @if let Some(m) = i["meeting"].as_str() { " · " a href={ "#meeting-" (m) } { "from a meeting" } }
            }
            @let updates = list(&i["updates"]);
            @if !updates.is_empty() {
                ul.updates {
                    @for u in &updates {
                        li { (who(text(u, "author"))) ", " (when(text(u, "created"))) ": " (text(u, "update"))
                            @if let Some(pc) = u["percent"].as_u64() { " " (pc) "%" }
                            @if let Some(t) = u["text"].as_str() { " — " (t) } }
                    }
                }
            }
            @if mine {
                @if status == "open" { (update_form("acknowledge", "Acknowledge", false)) }
                (update_form("progress", "Report progress", true))
                (update_form("close", "Close", false))
            }
            (update_form("comment", "Comment", false))
        }
    }
}

/// The form to add an action item: description, owner party, due date,
/// the meeting it comes from (if any).
fn item_form(p: &Page<'_>) -> Markup {
    let (signed, base, fault, who) = (p.signed, p.base, p.fault, p.who);
    let v = |name: &str| Fault::value(fault, "add-action-item", "", name);
    let meetings = list(&p.state["meetings"]);
    html! {
        h4 { "Add an action item" }
        form method="post" action={ (base) "/actions/add-action-item" } {
            (csrf_field(signed))
            label for="item-description" { "Description" }
            textarea id="item-description" name="description" rows="2" { (v("description")) }
            @if let Some(e) = error_for(fault, "add-action-item", "", "description") { (e) }
            label for="item-owner" { "Owner" }
            select id="item-owner" name="owner" {
                @for party in p.parties { option value=(party) selected[v("owner") == party.as_str()] { (who(party)) } }
            }
            @if let Some(e) = error_under(fault, "add-action-item", "", "owner") { (e) }
            label for="item-due" { "Due (UTC, such as 2026-07-01T17:00:00Z)" }
            input id="item-due" type="text" name="due" value=(v("due"));
            @if let Some(e) = error_for(fault, "add-action-item", "", "due") { (e) }
            label for="item-meeting" { "From the meeting (optional)" }
            select id="item-meeting" name="meeting" {
                option value="" { "none" }
                @for m in &meetings { option value=(text(m, "id")) selected[v("meeting") == text(m, "id")] { (text(m, "title")) " (" (when(text(m, "date"))) ")" } }
            }
            @if let Some(e) = error_other(fault, "add-action-item", "", &["description", "owner", "due"]) { (e) }
            button type="submit" { "Add the item" }
        }
    }
}

#[cfg(test)]
mod tests {
    /// December 2026 starts on a Tuesday and has 31 days over five weeks;
    /// February 2027 starts on a Monday and fills exactly four; a bad month is none.
    #[test]
    fn months_lay_out_from_monday() {
        let dec = super::weeks(2026, 12);
        assert_eq!(dec.len(), 5);
        assert_eq!(dec[0], [None, Some(1), Some(2), Some(3), Some(4), Some(5), Some(6)]);
        assert_eq!(dec[4], [Some(28), Some(29), Some(30), Some(31), None, None, None]);
        let feb = super::weeks(2027, 2);
        assert_eq!(feb.len(), 4);
        assert_eq!(feb[0][0], Some(1));
        assert_eq!(super::weeks(2028, 2).iter().flatten().flatten().count(), 29, "a leap year");
        assert_eq!(super::parse_month("2026-07"), Some((2026, 7)));
        for bad in ["2026-13", "2026-7", "26-07", "x", "2026-07-01", ""] {
            assert_eq!(super::parse_month(bad), None, "{bad}");
        }
    }
}
