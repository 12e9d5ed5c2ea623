//! The dialogue's state, derived from its records at `ctx.now`, never
//! stored: channels with their messages (threaded by `reply_to`), meetings
//! with the state of their minutes (agreed when every participating party
//! approved the latest version), meetings held against those the
//! agreement's cadence plans, and action items with their status and
//! whether they are overdue.

use std::collections::{BTreeMap, BTreeSet};

use model::Timestamp;
use partnership::{consent, Context, Record, Records};
use serde_json::{json, Value};

use crate::types::{self, ACTION_ITEM, ACTION_UPDATE, APPROVAL, CHANNEL, MEETING, MESSAGE, OWNER_UPDATES};

/// The state of the dialogue under one agreement, for any reader.
pub fn state(records: &Records, ctx: &Context<'_>) -> Value {
    let items = action_items(records, ctx);
    let overdue: Vec<Value> = items.iter().filter(|i| i["overdue"] == true).map(|i| i["id"].clone()).collect();
    json!({
        "channels": channels(records),
        "meetings": meetings(records, ctx),
        "cadence": cadence(records, ctx),
        "action_items": items,
        "overdue": overdue,
    })
}

fn str_of<'a>(r: &'a Record, property: &str) -> Option<&'a str> {
    r.properties.get(property).and_then(Value::as_str)
}

fn get(r: &Record, property: &str) -> Value {
    r.properties.get(property).cloned().unwrap_or(Value::Null)
}

fn set(list: Option<Vec<String>>) -> Option<BTreeSet<String>> {
    list.map(|l| l.into_iter().collect())
}

/// Channels, each with its messages in order of creation. A message shows
/// in its channel only if the channel is seen and the message's audience
/// is no wider than the channel's; a reply whose parent is not seen
/// (retracted, or not arrived yet) starts a thread of its own.
fn channels(records: &Records) -> Vec<Value> {
    // Each channel's messages, in canonical order, found once (not by a
    // scan of every message per channel).
    let mut by_channel: BTreeMap<&str, Vec<&Record>> = BTreeMap::new();
    for m in records.of_kind(MESSAGE) {
        if let Some(c) = str_of(m, "channel_ref") {
            by_channel.entry(c).or_default().push(m);
        }
    }
    records
        .of_kind(CHANNEL)
        .map(|c| {
            let members = set(types::members(c));
            let shown: Vec<&Record> = by_channel
                .get(c.id.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .copied()
                .filter(|m| match (&members, set(types::members(m))) {
                    (None, _) => true,
                    (Some(c), Some(m)) => m.is_subset(c),
                    (Some(_), None) => false,
                })
                .collect();
            // What each shown message replies to, if that one is shown too.
            let ids: BTreeSet<&str> = shown.iter().map(|m| m.id.as_str()).collect();
            let parents: BTreeMap<&str, &str> =
                shown.iter().filter_map(|m| str_of(m, "reply_to").filter(|p| ids.contains(p)).map(|p| (m.id.as_str(), p))).collect();
            let messages: Vec<Value> = shown
                .iter()
                .map(|m| {
                    let parent = parents.get(m.id.as_str()).copied();
                    // The thread: the first seen ancestor that replies to nothing seen.
                    let mut root = m.id.as_str();
                    let mut up = parent;
                    let mut hops = 0;
                    while let Some(p) = up {
                        root = p;
                        up = parents.get(p).copied();
                        hops += 1;
                        if hops > shown.len() {
                            break;
                        }
                    }
                    json!({
                        "id": m.id.as_str(),
                        "author": m.author.as_str(),
                        "text": get(m, "text"),
                        "reply_to": parent,
                        "thread": root,
                        "tlp": types::tlp(m).map(|t| t.name()),
                        "object_refs": get(m, "object_refs"),
                        "created": m.created.as_str(),
                        "modified": m.modified.as_str(),
                        "edited": records.versions(&m.id).len() > 1,
                    })
                })
                .collect();
            json!({
                "id": c.id.as_str(),
                "author": c.author.as_str(),
                "title": get(c, "title"),
                "topic": get(c, "topic"),
                "members": members,
                "messages": messages,
            })
        })
        .collect()
}

/// Meetings, by date, each with its minutes' approvals and its action items.
fn meetings(records: &Records, ctx: &Context<'_>) -> Vec<Value> {
    let mut list: Vec<&Record> = records.of_kind(MEETING).collect();
    list.sort_by(|a, b| date(a).cmp(&date(b)).then_with(|| a.id.cmp(&b.id)));
    list.into_iter()
        .map(|m| {
            let participating = types::participating(m);
            let consent = consent::of(records, APPROVAL, m, participating.iter());
            let has_minutes = str_of(m, "minutes").is_some_and(|t| !t.trim().is_empty());
            let minutes = match (has_minutes, consent.agreed()) {
                (false, _) => "none",
                (true, true) => "agreed",
                (true, false) => "awaiting",
            };
            let held = date(m).is_some_and(|d| d <= ctx.now);
            let items: Vec<&str> = records.of_kind(ACTION_ITEM).filter(|i| str_of(i, "meeting_ref") == Some(m.id.as_str())).map(|i| i.id.as_str()).collect();
            json!({
                "id": m.id.as_str(),
                "author": m.author.as_str(),
                "title": get(m, "title"),
                "meeting_type": get(m, "meeting_type"),
                "date": get(m, "date"),
                "status": if held { "held" } else { "scheduled" },
                "participants": get(m, "participants"),
                "agenda": get(m, "agenda"),
                "minutes": get(m, "minutes"),
                "decisions": get(m, "decisions"),
                "version": m.modified.as_str(),
                "minutes_status": minutes,
                "approved_by": consent.given.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
                "awaiting": consent.awaiting.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
                "action_items": items,
            })
        })
        .collect()
}

fn date(r: &Record) -> Option<Timestamp> {
    str_of(r, "date").and_then(|d| Timestamp::parse(d).ok())
}

/// Held against planned, per meeting type the agreement's terms give a
/// cadence: one meeting in each period of `every_months` months from the
/// agreement's `valid_from` (and before its `valid_until`). `planned`:
/// periods begun by now; `held`: meetings of the type dated from
/// `valid_from` to now; `missed`: periods ended with no meeting of the type
/// in them; `next_due`: when the next meeting is due (the end of the
/// current period, or of the next one if the current one had its meeting).
fn cadence(records: &Records, ctx: &Context<'_>) -> Vec<Value> {
    let terms = &ctx.agreement.terms;
    let start = &terms.valid_from;
    let end = terms.valid_until.as_ref().map_or(ctx.now.micros(), |u| u.micros().min(ctx.now.micros()));
    terms
        .meeting_cadence
        .iter()
        .map(|c| {
            let dates: Vec<i64> = records
                .of_kind(MEETING)
                .filter(|m| str_of(m, "meeting_type") == Some(c.meeting_type.as_str()))
                .filter_map(date)
                .map(|d| d.micros())
                .filter(|d| *d >= start.micros() && *d <= ctx.now.micros())
                .collect();
            let (mut planned, mut missed, mut next_due) = (0u64, 0u64, None);
            let mut k = 0;
            // Bounded: a cadence of a month over a century is 1,200 periods.
            while k < 2_000 {
                let (Some(from), Some(until)) = (add_months(start, k * c.every_months), add_months(start, (k + 1) * c.every_months)) else { break };
                if from.micros() > end {
                    break;
                }
                planned += 1;
                let met = dates.iter().any(|d| *d >= from.micros() && *d < until.micros());
                if until.micros() <= ctx.now.micros() {
                    missed += u64::from(!met);
                } else {
                    next_due = if met { add_months(start, (k + 2) * c.every_months) } else { Some(until) };
                }
                k += 1;
            }
            json!({
                "meeting_type": c.meeting_type,
                "every_months": c.every_months,
                "planned": planned,
                "held": dates.len(),
                "missed": missed,
                "next_due": next_due.map(|t| t.to_string()),
            })
        })
        .collect()
}

/// `t` plus `months` calendar months (the day kept, or the month's last).
pub fn add_months(t: &Timestamp, months: u32) -> Option<Timestamp> {
    let text = Timestamp::from_micros(t.micros()).to_string();
    let (y, m, d) = (text.get(0..4)?.parse::<i64>().ok()?, text.get(5..7)?.parse::<i64>().ok()?, text.get(8..10)?.parse::<u32>().ok()?);
    let total = y * 12 + (m - 1) + i64::from(months);
    let (y, m) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    if y > 9999 {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let last = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    Timestamp::parse(&format!("{y:04}-{m:02}-{:02}{}", d.min(last), text.get(10..)?)).ok()
}

/// Action items, by due date, with their status from their owner's updates
/// (the latest of acknowledge, progress and close counts; anyone's
/// comments listed) and whether they are overdue at `ctx.now` (not closed,
/// due before now).
fn action_items(records: &Records, ctx: &Context<'_>) -> Vec<Value> {
    let mut list: Vec<(Option<Timestamp>, &Record)> =
        records.of_kind(ACTION_ITEM).map(|r| (str_of(r, "due").and_then(|d| Timestamp::parse(d).ok()), r)).collect();
    list.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
    // Each item's updates, in canonical order, found once.
    let mut updates_of: BTreeMap<&str, Vec<&Record>> = BTreeMap::new();
    for u in records.of_kind(ACTION_UPDATE) {
        if let Some(item) = str_of(u, "action_item_ref") {
            updates_of.entry(item).or_default().push(u);
        }
    }
    list.into_iter()
        .map(|(due, item)| {
            let owner = str_of(item, "owner_ref").unwrap_or_default();
            let (mut status, mut percent) = ("open", Value::Null);
            let mut updates = Vec::new();
            for u in updates_of.get(item.id.as_str()).map(Vec::as_slice).unwrap_or_default() {
                let kind = str_of(u, "update").unwrap_or_default();
                // An owner's update from someone else (from a peer) does not count.
                if OWNER_UPDATES.contains(&kind) && u.author.as_str() != owner {
                    continue;
                }
                match kind {
                    "acknowledge" => status = "acknowledged",
                    "progress" => {
                        status = "in-progress";
                        percent = get(u, "percent");
                    }
                    "close" => status = "closed",
                    _ => {}
                }
                updates.push(json!({ "id": u.id.as_str(), "author": u.author.as_str(), "update": kind, "text": get(u, "text"), "percent": get(u, "percent"), "created": u.created.as_str() }));
            }
            let overdue = status != "closed" && due.is_some_and(|d| d < ctx.now);
            json!({
                "id": item.id.as_str(),
                "author": item.author.as_str(),
                "description": get(item, "description"),
                "owner": owner,
                "due": get(item, "due"),
                "meeting": get(item, "meeting_ref"),
                "status": status,
                "percent": percent,
                "overdue": overdue,
                "updates": updates,
            })
        })
        .collect()
}

/// What needs `me` in a dialogue `state` ([`state`]): minutes of a meeting
/// it took part in that await its approval, and the action items it owns
/// that are not closed (overdue ones flagged), items first by due date.
pub fn needs(state: &Value, me: &str) -> Vec<partnership::Need> {
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let mut out = Vec::new();
    for m in state["meetings"].as_array().into_iter().flatten() {
        let awaiting_me = m["awaiting"].as_array().is_some_and(|a| a.iter().any(|p| p == me));
        if m["minutes_status"] == "awaiting" && awaiting_me {
            out.push(partnership::Need { what: "approve-minutes", record: text(m, "id"), title: text(m, "title"), due: None, overdue: false });
        }
    }
    for i in state["action_items"].as_array().into_iter().flatten() {
        if i["owner"] == me && i["status"] != "closed" {
            let due = i["due"].as_str().map(str::to_owned);
            out.push(partnership::Need { what: "action-item", record: text(i, "id"), title: text(i, "description"), due, overdue: i["overdue"] == true });
        }
    }
    out
}
