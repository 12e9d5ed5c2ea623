//! The demo's dialogue, made in-process through the same service as
//! `entente module act` (`server::modules::act`, release log channel
//! `cli`): a coalition channel where the three nations talk, a channel of
//! the bilateral agreement, the quarterly senior dialogue with minutes each
//! nation approves on its own node, and open action items, one of them
//! acknowledged by its owner; before it, the year's three earlier quarterly
//! dialogues, recorded as of when they were held, their minutes approved
//! and their items closed within the month (the scorecard's history). The servers' sync then spreads the last
//! approvals, so the minutes read "agreed" on every node once federation
//! has caught up.


use model::{StixId, Timestamp};
use serde_json::{json, Value};
use store::Versions;

use super::coalition::{self, Agreements, Nation};
use super::servers::Stop;

const DAY: i64 = 86_400_000_000;

/// `n`'s partner takes `action` of the dialogue under `agreement`; the record's id.
fn act(n: &Nation, agreement: &StixId, action: &str, input: Value) -> anyhow::Result<StixId> {
    n.act(&dialogue::Dialogue, agreement, action, input, Timestamp::now())
}

fn day(offset: i64) -> String {
    Timestamp::from_micros(midnight(offset)).to_string()
}

/// Midnight `offset` days from today, in microseconds.
fn midnight(offset: i64) -> i64 {
    let now = Timestamp::now().micros();
    now - now.rem_euclid(DAY) + offset * DAY
}

/// Aurelia opens the channels, records the senior dialogue and its action
/// items and approves the minutes; Borealis and Caledonia pull them, reply,
/// approve on their own nodes, and the owner acknowledges its item.
/// `indicators`: each nation's indicator of the value all reported.
pub fn converse(nations: &[Nation], agreements: &Agreements, indicators: &[String], stop: &Stop) -> anyhow::Result<()> {
    let [aurelia, borealis, caledonia] = nations else { anyhow::bail!("the demo has three nations") };
    let (tri, bi) = (&agreements.trilateral, &agreements.bilateral);
    let desk = act(aurelia, tri, "create-channel", json!({ "title": "Coalition desk", "topic": "Day-to-day coordination between the three CERTs" }))?;
    let mut opening = json!({ "channel": desk.as_str(), "tlp": "green",
        "text": "All three of us reported the same indicator this week. Shall we coordinate the blocking?" });
    if let Some(first) = indicators.first() {
        opening["object_refs"] = json!([first]);
    }
    let opening = act(aurelia, tri, "post-message", opening)?;
    let liaison = act(aurelia, bi, "create-channel", json!({ "title": "Aurelia–Borealis liaison", "topic": "What concerns the two of us" }))?;
    act(aurelia, bi, "post-message", json!({ "channel": liaison.as_str(), "text": "Our ministries meet next month; can we prepare a joint brief?", "tlp": "amber" }))?;
    let participants: Vec<Value> = [("Head of delegation", "chair"), ("Deputy director", "member"), ("Liaison officer", "member")]
        .iter()
        .zip(nations)
        .map(|((name, role), n)| json!({ "party": n.partner.as_str(), "name": format!("{} {name}", n.name), "role": role }))
        .collect();
    // The year before: a quarterly senior dialogue each quarter, recorded
    // when it was held, each with an item a partner closed within the
    // month (a thinner history than the last 90 days', for the scorecard).
    let mut earlier = Vec::new();
    for (k, offset) in [-277, -187, -97].into_iter().enumerate() {
        let owner = &nations[1 + k % 2];
        let held = |hours: i64| Timestamp::from_micros(midnight(offset) + hours * DAY / 24);
        let m = aurelia.act(&dialogue::Dialogue, tri, "record-meeting", json!({
            "title": "Quarterly senior dialogue", "meeting_type": "senior-dialogue", "date": held(10).to_string(),
            "participants": participants,
            "agenda": ["The threat picture", "The quarter's shared indicators"],
            "minutes": "The parties reviewed the quarter's threat picture and the indicators they shared.",
            "decisions": ["Keep sharing the quarter's indicators under the agreement"],
        }), held(16))?;
        aurelia.act(&dialogue::Dialogue, tri, "approve-minutes", json!({ "meeting": m.as_str() }), held(17))?;
        let item = aurelia.act(&dialogue::Dialogue, tri, "add-action-item", json!({
            "description": "Circulate the quarter's sensor coverage", "owner": owner.partner.as_str(),
            "due": held(30 * 24).to_string(), "meeting": m.as_str() }), held(18))?;
        earlier.push((m, item, owner, held(2 * 24), held(20 * 24)));
    }
    let meeting = act(aurelia, tri, "record-meeting", json!({
        "title": "Quarterly senior dialogue", "meeting_type": "senior-dialogue", "date": day(-7),
        "participants": participants,
        "agenda": ["The threat picture", "Coordinated blocking of shared indicators", "The joint exercise in spring"],
        "minutes": "The parties reviewed the quarter's threat picture, agreed to block indicators all three reported within a day, and set the joint exercise for spring.",
        "decisions": ["Block indicators reported by all three within 24 hours", "Hold the joint exercise in spring"],
    }))?;
    act(aurelia, tri, "approve-minutes", json!({ "meeting": meeting.as_str() }))?;
    let plan = act(aurelia, tri, "add-action-item", json!({ "description": "Draft the joint exercise plan", "owner": borealis.partner.as_str(), "due": day(30), "meeting": meeting.as_str() }))?;
    act(aurelia, tri, "add-action-item", json!({ "description": "Share the list of sensors that see the shared indicators", "owner": caledonia.partner.as_str(), "due": day(14), "meeting": meeting.as_str() }))?;

    // Borealis and Caledonia pull what Aurelia made, then act on their own nodes.
    let arrived = |n: &Nation| -> anyhow::Result<bool> { Ok(!n.node.store.get(&plan, &Versions::LAST)?.is_empty()) };
    coalition::pull_until(nations, &[(1, 0), (2, 0)], stop, "the dialogue reaching Borealis and Caledonia", || Ok(arrived(borealis)? && arrived(caledonia)?))?;
    act(borealis, tri, "post-message", json!({ "channel": desk.as_str(), "reply_to": opening.as_str(), "text": "Agreed: we block on our side today." }))?;
    act(caledonia, tri, "post-message", json!({ "channel": desk.as_str(), "reply_to": opening.as_str(), "text": "Same here; our sensors saw it too." }))?;
    act(borealis, bi, "post-message", json!({ "channel": liaison.as_str(), "text": "Yes: I will send a first draft by Friday." }))?;
    for n in [borealis, caledonia] {
        act(n, tri, "approve-minutes", json!({ "meeting": meeting.as_str() }))?;
    }
    for (m, item, owner, approved, closed) in &earlier {
        for n in [borealis, caledonia] {
            n.act(&dialogue::Dialogue, tri, "approve-minutes", json!({ "meeting": m.as_str() }), approved.clone())?;
        }
        owner.act(&dialogue::Dialogue, tri, "update-action-item", json!({ "action_item": item.as_str(), "update": "close", "text": "Circulated." }), closed.clone())?;
    }
    act(borealis, tri, "update-action-item", json!({ "action_item": plan.as_str(), "update": "acknowledge", "text": "Our exercise team has it." }))?;
    Ok(())
}
