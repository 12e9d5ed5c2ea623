//! The dialogue's actions: each drafts the one record it authors as the
//! caller's partner, from a JSON input, checked against the records the
//! caller may see (a reply to a message that exists, an approval of a
//! version the minutes had, an update of an item by its owner).

use model::tlp::Tlp;
use model::StixId;
use partnership::{consent, Action, Context, Draft, Error, Record, Records};
use serde_json::{Map, Value};

use crate::types::{self, ACTION_ITEM, ACTION_UPDATE, APPROVAL, AUDIENCE, CHANNEL, MEETING, MESSAGE, OWNER_UPDATES};
use partnership::input::take;

/// The actions a liaison must take ([`partnership::Module::liaison`]): approving minutes agrees to them for the party.
pub const LIAISON: &[&str] = &["approve-minutes"];

/// Every action, with the kind of the record it authors.
pub const ACTIONS: &[Action] = &[
    Action { name: "create-channel", about: "Open a channel (title, topic; members: some of the parties, else all).", kind: CHANNEL },
    Action { name: "edit-channel", about: "Change the title or topic of one of your channels.", kind: CHANNEL },
    Action { name: "post-message", about: "Post a message in a channel (text; reply_to, tlp, object_refs).", kind: MESSAGE },
    Action { name: "edit-message", about: "Edit one of your messages (a new version).", kind: MESSAGE },
    Action { name: "retract-message", about: "Retract one of your messages.", kind: MESSAGE },
    Action { name: "record-meeting", about: "Record a meeting (title, meeting_type, date, participants, agenda, minutes, decisions).", kind: MEETING },
    Action { name: "edit-meeting", about: "Edit one of your meetings (a new version: its minutes need new approvals).", kind: MEETING },
    Action { name: "approve-minutes", about: "Approve the latest version (or `version`) of a meeting's minutes for your party.", kind: APPROVAL },
    Action { name: "add-action-item", about: "Add an action item (description, owner, due; meeting).", kind: ACTION_ITEM },
    Action { name: "edit-action-item", about: "Edit one of your action items.", kind: ACTION_ITEM },
    Action { name: "update-action-item", about: "Acknowledge, report progress on or close an item you own, or comment on any.", kind: ACTION_UPDATE },
];

/// What `action` drafts for `ctx.me` from `input`.
pub fn act(action: &str, input: &Map<String, Value>, records: &Records, ctx: &Context<'_>) -> Result<Draft, Error> {
    match action {
        "create-channel" => {
            let mut p = take(input, &["title", "topic", "members"], &[])?;
            if let Some(members) = p.remove("members") {
                let mut list: Vec<Value> = members.as_array().cloned().ok_or_else(|| Error::input("members", "must be a list of parties"))?;
                // The caller is always a member of its own channel.
                if !list.iter().any(|m| m.as_str() == Some(ctx.me.as_str())) {
                    list.insert(0, Value::from(ctx.me.as_str()));
                }
                p.insert(AUDIENCE.into(), Value::Array(list));
            }
            Ok(Draft::new(CHANNEL, p))
        }
        "edit-channel" => {
            let channel = find(input, "channel", CHANNEL, records)?;
            let p = merge(channel, take(input, &["title", "topic"], &["channel"])?);
            Ok(Draft::revise(CHANNEL, &channel.id, p))
        }
        "post-message" => {
            let mut p = take(input, &["channel", "text", "reply_to", "tlp", "object_refs"], &[])?;
            let channel = find(input, "channel", CHANNEL, records)?;
            let members = types::members(channel);
            if members.as_ref().is_some_and(|m| !m.iter().any(|x| x == ctx.me.as_str())) {
                return Err(Error::Forbidden(format!("{} is not a member of channel {}", ctx.me, channel.id)));
            }
            if input.contains_key("reply_to") {
                let parent = find(input, "reply_to", MESSAGE, records)?;
                if parent.properties.get("channel_ref").and_then(Value::as_str) != Some(channel.id.as_str()) {
                    return Err(Error::input("reply_to", format!("{} is a message of another channel", parent.id)));
                }
            }
            p.remove("channel");
            p.insert("channel_ref".into(), Value::from(channel.id.as_str()));
            // The message goes where its channel goes: the release decision
            // reads the audience from the message itself.
            if let Some(m) = members {
                p.insert(AUDIENCE.into(), Value::from(m));
            }
            marking(&mut p)?;
            Ok(Draft::new(MESSAGE, p))
        }
        "edit-message" => {
            let message = find(input, "message", MESSAGE, records)?;
            let mut changes = take(input, &["text", "tlp", "object_refs"], &["message"])?;
            marking(&mut changes)?;
            Ok(Draft::revise(MESSAGE, &message.id, merge(message, changes)))
        }
        "retract-message" => {
            let message = find(input, "message", MESSAGE, records)?;
            take(input, &[], &["message"])?;
            Ok(Draft { withdraw: true, ..Draft::revise(MESSAGE, &message.id, merge(message, Map::new())) })
        }
        "record-meeting" => {
            let p = take(input, &["title", "meeting_type", "date", "participants", "agenda", "minutes", "decisions"], &[])?;
            Ok(Draft::new(MEETING, participants(p)?))
        }
        "edit-meeting" => {
            let meeting = find(input, "meeting", MEETING, records)?;
            let changes = take(input, &["title", "meeting_type", "date", "participants", "agenda", "minutes", "decisions"], &["meeting"])?;
            Ok(Draft::revise(MEETING, &meeting.id, merge(meeting, participants(changes)?)))
        }
        "approve-minutes" => {
            let meeting = find(input, "meeting", MEETING, records)?;
            take(input, &["version"], &["meeting"])?;
            if !types::participating(meeting).contains(ctx.me) {
                return Err(Error::Forbidden(format!("{} took no part in meeting {}: only participating parties approve its minutes", ctx.me, meeting.id)));
            }
            let version = match input.get("version") {
                None => None,
                Some(v) => Some(v.as_str().ok_or_else(|| Error::input("version", "must be a timestamp (a `modified` of the meeting)"))?),
            };
            Ok(Draft::new(APPROVAL, consent::draft(meeting, version, records, "version")?))
        }
        "add-action-item" => {
            let mut p = take(input, &["description", "owner", "due", "meeting"], &[])?;
            rename(&mut p, "owner", "owner_ref");
            if input.contains_key("meeting") {
                let meeting = find(input, "meeting", MEETING, records)?;
                p.remove("meeting");
                p.insert("meeting_ref".into(), Value::from(meeting.id.as_str()));
            }
            Ok(Draft::new(ACTION_ITEM, p))
        }
        "edit-action-item" => {
            let item = find(input, "action_item", ACTION_ITEM, records)?;
            let mut changes = take(input, &["description", "owner", "due"], &["action_item"])?;
            rename(&mut changes, "owner", "owner_ref");
            Ok(Draft::revise(ACTION_ITEM, &item.id, merge(item, changes)))
        }
        "update-action-item" => {
            let item = find(input, "action_item", ACTION_ITEM, records)?;
            let mut p = take(input, &["update", "text", "percent"], &["action_item"])?;
            let update = input.get("update").and_then(Value::as_str).unwrap_or_default();
            let owner = item.properties.get("owner_ref").and_then(Value::as_str);
            if OWNER_UPDATES.contains(&update) && owner != Some(ctx.me.as_str()) {
                return Err(Error::Forbidden(format!("only the item's owner ({}) may {update} it; others comment", owner.unwrap_or("none"))));
            }
            p.insert("action_item_ref".into(), Value::from(item.id.as_str()));
            Ok(Draft::new(ACTION_UPDATE, p))
        }
        other => Err(Error::NotFound(format!("dialogue has no action `{other}`"))),
    }
}

/// The record of `kind` the input's `property` names, among those the caller may see.
fn find<'a>(input: &Map<String, Value>, property: &str, kind: &str, records: &'a Records) -> Result<&'a Record, Error> {
    let raw = input.get(property).and_then(Value::as_str).ok_or_else(|| Error::input(property, format!("is required: the id of a {kind}")))?;
    let id = StixId::parse(raw).map_err(|e| Error::input(property, e))?;
    match records.get(&id) {
        Some(r) if r.kind == kind && !r.revoked => Ok(r),
        Some(r) if r.kind != kind => Err(Error::input(property, format!("{id} is a {}, not a {kind}", r.kind))),
        _ => Err(Error::NotFound(format!("no {kind} {id}"))),
    }
}

/// A record's own properties with `changes` applied: what a new version carries.
fn merge(record: &Record, changes: Map<String, Value>) -> Map<String, Value> {
    let mut p = partnership_properties(record);
    p.extend(changes);
    p
}

/// A record's properties without the ones the kit sets.
fn partnership_properties(record: &Record) -> Map<String, Value> {
    const COMMON: [&str; 9] = ["type", "spec_version", "id", "created", "modified", "created_by_ref", partnership::AGREEMENT_REF, "revoked", "extensions"];
    record.properties.iter().filter(|(k, _)| !COMMON.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn rename(p: &mut Map<String, Value>, from: &str, to: &str) {
    if let Some(v) = p.remove(from) {
        p.insert(to.into(), v);
    }
}

/// `tlp` (a TLP name) becomes the record's TLP marking.
fn marking(p: &mut Map<String, Value>) -> Result<(), Error> {
    if let Some(v) = p.remove("tlp") {
        let tlp = v.as_str().and_then(Tlp::parse).ok_or_else(|| Error::input("tlp", "must be one of clear, green, amber, amber+strict, red"))?;
        p.insert("object_marking_refs".into(), Value::from(vec![tlp.marking_id()]));
    }
    Ok(())
}

/// Participants as the input writes them (`party`, `name`, `role`) become
/// the record's (`party_ref`, `name`, `role`).
fn participants(mut p: Map<String, Value>) -> Result<Map<String, Value>, Error> {
    if let Some(Value::Array(list)) = p.get_mut("participants") {
        for (i, item) in list.iter_mut().enumerate() {
            let Value::Object(map) = item else {
                return Err(Error::input(format!("participants[{i}]"), "must be {party, name, role}"));
            };
            if let Some(party) = map.remove("party") {
                map.insert("party_ref".into(), party);
            }
        }
    }
    Ok(p)
}
