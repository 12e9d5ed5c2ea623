//! The demo's joint exercise: Aurelia proposes an exercise programme to
//! Borealis and Caledonia (an agreement covering exercise data only), each
//! ratifies on its own node; three weeks ago Aurelia ran "Coalition Shield"
//! as exercise control, a tabletop both others endorsed, with an inject to
//! Borealis alone and one to both, their responses, Aurelia's observations,
//! and two lessons: one learned (its remedial action done and validated),
//! one whose remedial action Caledonia still owns. Under the same
//! programme, a Borealis analyst is seconded to Aurelia (running now) and
//! Caledonia offers a course whose seats the others request. Each record
//! is authored at its date on its author's node as `entente module act`
//! would have (`server::modules::act_at`, its release logged), and pulled
//! between the nodes.

use anyhow::bail;
use model::{StixId, Timestamp};
use partnership::Module;
use serde_json::{json, Value};

use super::coalition::{pull, pull_until, Nation};
use super::servers::Stop;

const DAY: i64 = 86_400_000_000;
const MINUTE: i64 = 60_000_000;

/// The title of the demo's exercise agreement.
pub const TITLE: &str = "Aurelia–Borealis–Caledonia exercise programme";

/// Agrees the exercise programme on the three nations' nodes and runs the
/// exercise on them.
pub fn set_up(nations: &[Nation], stop: &Stop) -> anyhow::Result<()> {
    let [aurelia, borealis, caledonia] = nations else { bail!("the exercises demo takes three nations") };
    let programme = agree(nations, stop)?;
    let p = &programme;
    let now = Timestamp::now().micros();
    let day = |d: i64| Timestamp::from_micros(now + d * DAY);
    let start = now - 21 * DAY;
    let minute = |m: i64| Timestamp::from_micros(start + m * MINUTE);
    let (b, c) = (borealis.partner.as_str(), caledonia.partner.as_str());
    let plan = act(aurelia, p, "plan-exercise", json!({
        "name": "Coalition Shield",
        "exercise_type": "tabletop",
        "description": "A ransomware outbreak at a Borealis hospital spreads to a Caledonian supplier; the coalition warns, shares and speaks with one voice.",
        "start_date": minute(0).to_string(),
        "end_date": minute(240).to_string(),
        "participants": [{ "party_ref": b, "teams": ["CSIRT", "health-sector liaison"] }, { "party_ref": c, "teams": ["national CERT"] }],
        "objectives": [
            { "id": "O-1", "title": "Warn the partners within an hour of detection", "competencies": ["detection", "information sharing"] },
            { "id": "O-2", "title": "Agree a joint public line", "competencies": ["crisis communication"] },
        ],
        "msel": [
            { "move": "1", "title": "Outbreak", "injects": [
                { "id": "I-1", "offset_minutes": 15, "target_refs": [b], "target_team": "CSIRT", "channel": "phone", "content": "The hospital's IT lead calls: patient records are encrypted, a ransom note names the Dark Harbour group.", "expected_action": "warn the partners and share indicators", "objective": "O-1" },
            ]},
            { "move": "2", "title": "Spread and press", "injects": [
                { "id": "I-2", "offset_minutes": 90, "target_refs": [b, c], "channel": "email", "content": "A journalist asks both governments whether the supplier breach is linked to the hospital.", "expected_action": "agree a holding line before answering", "objective": "O-2" },
            ]},
        ],
    }), &day(-30))?;
    pull(borealis, aurelia)?;
    pull(caledonia, aurelia)?;
    act(borealis, p, "endorse-exercise", json!({ "exercise": plan }), &day(-29))?;
    act(caledonia, p, "endorse-exercise", json!({ "exercise": plan }), &day(-28))?;
    pull(aurelia, borealis)?;
    pull(aurelia, caledonia)?;
    let x = json!({ "exercise": plan });
    act(aurelia, p, "start-exercise", x.clone(), &minute(0))?;
    let i1 = act(aurelia, p, "release-inject", json!({ "exercise": plan, "inject": "I-1" }), &minute(15))?;
    let i2 = act(aurelia, p, "release-inject", json!({ "exercise": plan, "inject": "I-2" }), &minute(95))?;
    pull(borealis, aurelia)?;
    pull(caledonia, aurelia)?;
    act(borealis, p, "respond-inject", json!({ "inject": i1, "text": "Partners warned on the coalition channel; indicators shared.", "action_taken": "warning after 70 minutes" }), &minute(85))?;
    act(borealis, p, "respond-inject", json!({ "inject": i2, "text": "No comment until the partners agree a line." }), &minute(100))?;
    act(caledonia, p, "respond-inject", json!({ "inject": i2, "text": "Our press office answered on its own: no link known." }), &minute(110))?;
    pull(aurelia, borealis)?;
    pull(aurelia, caledonia)?;
    let o1 = act(aurelia, p, "record-observation", json!({ "exercise": plan, "objective": "O-1", "rating": "partially-met", "text": "The warning went out after 70 minutes: the contact list had to be looked up.", "inject_ref": i1 }), &minute(120))?;
    let o2 = act(aurelia, p, "record-observation", json!({ "exercise": plan, "objective": "O-2", "rating": "not-met", "text": "Caledonia's press office answered before the partners agreed a line.", "inject_ref": i2 }), &minute(130))?;
    act(aurelia, p, "end-exercise", x, &minute(240))?;
    let pulls = |pairs: &[(usize, usize)]| -> anyhow::Result<()> { pairs.iter().try_for_each(|&(x, y)| pull(&nations[x], &nations[y])) };
    pulls(&[(1, 0), (2, 0)])?;
    let l1 = act(borealis, p, "identify-lesson", json!({ "exercise": plan, "observation_refs": [o1], "title": "The partners' 24/7 contacts are not at hand" }), &day(-19))?;
    let l2 = act(caledonia, p, "identify-lesson", json!({ "exercise": plan, "observation_refs": [o2], "title": "Press offices are not in the coalition's loop" }), &Timestamp::from_micros(now - 19 * DAY + 60 * MINUTE))?;
    pulls(&[(0, 1), (0, 2), (1, 2), (2, 1)])?;
    let a1 = act(aurelia, p, "add-remedial-action", json!({ "lesson": l1, "description": "Publish the 24/7 contact list on the coalition channel", "owner_ref": b, "due": day(-10).to_string() }), &day(-18))?;
    act(aurelia, p, "add-remedial-action", json!({ "lesson": l2, "description": "Agree a joint press procedure with the three press offices", "owner_ref": c, "due": day(30).to_string() }), &day(-18))?;
    pulls(&[(1, 0), (2, 0)])?;
    act(borealis, p, "update-remedial-action", json!({ "action": a1, "status": "done", "text": "Published." }), &day(-12))?;
    pulls(&[(0, 1)])?;
    act(aurelia, p, "validate-lesson", json!({ "lesson": l1, "text": "Tested in a call-round: every contact answered within 10 minutes." }), &day(-7))?;
    pulls(&[(1, 0), (2, 0), (2, 1), (1, 2)])?;
    eprintln!("  exercises: Coalition Shield, run three weeks ago under the exercise programme, with a lesson learned and a remedial action open");
    // The programme's exchanges: a secondment from Borealis to Aurelia,
    // running now, and Caledonia's course with seats.
    let ex = &::exercises::Exchanges;
    let placement = act_in(ex, aurelia, p, "offer-placement", json!({
        "guest_ref": b, "placement_type": "secondment", "topic": "Malware analysis desk at Aurelia's national CERT",
        "start_date": day(-20).to_string(), "end_date": day(70).to_string(),
    }), &day(-40))?;
    let course = act_in(ex, caledonia, p, "offer-course", json!({
        "title": "Incident handling for health-sector CSIRTs", "language": "en", "seats": 12,
        "start_date": day(45).to_string(), "end_date": day(49).to_string(),
    }), &day(-15))?;
    pulls(&[(1, 0), (0, 2), (1, 2)])?;
    act_in(ex, borealis, p, "accept-placement", json!({ "placement": placement, "participant": "analyst B-7" }), &day(-38))?;
    let seats = act_in(ex, aurelia, p, "request-seat", json!({ "course": course, "seats": 2, "participant": "two SOC analysts" }), &day(-14))?;
    act_in(ex, borealis, p, "request-seat", json!({ "course": course, "seats": 3, "participant": "hospital CSIRT team" }), &day(-13))?;
    pulls(&[(0, 1), (2, 0), (2, 1)])?;
    act_in(ex, borealis, p, "report-output", json!({ "placement": placement, "title": "Triage playbook for Dark Harbour samples" }), &day(-5))?;
    act_in(ex, caledonia, p, "confirm-seat", json!({ "request": seats }), &day(-12))?;
    pulls(&[(0, 1), (0, 2), (1, 0), (1, 2), (2, 1)])?;
    eprintln!("  exchanges: a Borealis analyst seconded to Aurelia, running; Caledonia's course with seats requested and confirmed");
    Ok(())
}

/// Aurelia proposes the exercise programme; every nation ratifies it on its
/// own node, pulling until it is in force on each.
fn agree(nations: &[Nation], stop: &Stop) -> anyhow::Result<StixId> {
    let a = &nations[0];
    let terms = json!({
        "title": TITLE, "purpose": "train together: joint exercises and their lessons",
        "party_refs": nations.iter().map(|n| n.partner.as_str()).collect::<Vec<_>>(),
        "scope": {"object_types": [], "labels": [], "data_kind": "exercise"}, "tlp_ceiling": "amber",
        "handling": {"reshare": "none", "attribution": "required", "permitted_actions": []},
        "valid_from": "2025-01-01T00:00:00Z"
    });
    let terms = terms.as_object().cloned().unwrap_or_default();
    let id = server::agreements::propose(&*a.node.store, &a.partner, None, &terms, &a.node.modules)?.id;
    server::agreements::ratify(&*a.node.store, &a.node.keys, &a.partner, &id)?;
    let state = |n: &Nation| -> anyhow::Result<Option<policy::AgreementState>> {
        let index = server::release::Agreements::default().index(&*n.node.store)?;
        Ok(index.agreement(&id).map(|_| index.state(&id, &Timestamp::now())))
    };
    pull_until(nations, &[(1, 0), (2, 0)], stop, "the exercise programme reaching Borealis and Caledonia", || Ok(state(&nations[1])?.is_some() && state(&nations[2])?.is_some()))?;
    for n in &nations[1..] {
        server::agreements::ratify(&*n.node.store, &n.node.keys, &n.partner, &id)?;
    }
    let pairs: Vec<(usize, usize)> = (0..3).flat_map(|x| (0..3).filter(move |y| *y != x).map(move |y| (x, y))).collect();
    pull_until(nations, &pairs, stop, "the exercise programme coming into force", || {
        for n in nations {
            if state(n)? != Some(policy::AgreementState::InForce) {
                return Ok(false);
            }
        }
        Ok(true)
    })?;
    Ok(id)
}

/// `n`'s partner takes `action` of the exercises module under `agreement`
/// at `at` ([`Nation::act`]). Returns the record's id.
fn act(n: &Nation, agreement: &StixId, action: &str, input: Value, at: &Timestamp) -> anyhow::Result<String> {
    act_in(&::exercises::Exercises, n, agreement, action, input, at)
}

/// `n`'s partner takes `action` of `module` (see [`act`]).
fn act_in(module: &dyn Module, n: &Nation, agreement: &StixId, action: &str, input: Value, at: &Timestamp) -> anyhow::Result<String> {
    Ok(n.act(module, agreement, action, input, at.clone())?.to_string())
}
