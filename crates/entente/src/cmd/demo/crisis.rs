//! The demo's crisis: an EXERCISE, under the exercise programme (an
//! agreement for exercise data only). A month ago Aurelia drafted a playbook
//! for ransomware across hospitals, and each nation endorsed it on its
//! own node; six hours ago Aurelia activated an exercise crisis from it.
//! Borealis acknowledged and took up its tasks in time; Caledonia
//! acknowledged late and its tasks breach their service levels; each
//! nation filed a situation report, and Borealis's request for incident
//! responders is committed by Caledonia, on every nation's node.

use anyhow::bail;
use model::{StixId, Timestamp};
use serde_json::{json, Value};

use super::coalition::{pull, Nation};

const MINUTE: i64 = 60_000_000;
const HOUR: i64 = 60 * MINUTE;

/// Sets up the exercise crisis on the three nations' nodes, under the
/// exercise programme (in force once `exercises::set_up` has run),
/// pulling between them.
pub fn set_up(nations: &[Nation]) -> anyhow::Result<()> {
    let [aurelia, borealis, caledonia] = nations else { bail!("the crisis demo takes three nations") };
    let index = server::release::Agreements::default().index(&*aurelia.node.store)?;
    let programme = index.agreements_of(&aurelia.partner).into_iter().find(|id| index.agreement(id).is_some_and(|a| a.terms.title == super::exercises::TITLE));
    let Some(tri) = programme else { bail!("the exercise programme is not in force on {}'s node", aurelia.name) };
    let tri = &tri;
    let now = Timestamp::now().micros();
    let hour = |h: i64| Timestamp::from_micros(now + h * HOUR);
    let minutes = |m: i64| Timestamp::from_micros(now + m * MINUTE);
    let everyone = |from: usize| -> anyhow::Result<()> {
        for x in (0..3).filter(|x| *x != from) {
            pull(&nations[x], &nations[from])?;
        }
        Ok(())
    };
    let task = |key: &str, title: &str, role: &str, ack: u64, complete: u64| json!({ "key": key, "title": title, "owner_role": role, "ack_within_minutes": ack, "complete_within_minutes": complete });
    let playbook = act(aurelia, tri, "draft-playbook", json!({
        "title": "Ransomware across hospitals",
        "hazard": "cyber-incident",
        "ack_within_minutes": 30,
        "roles": [
            { "role": "lead", "party_ref": aurelia.partner.as_str() },
            { "role": "cert", "party_ref": borealis.partner.as_str() },
            { "role": "health-liaison", "party_ref": caledonia.partner.as_str() },
        ],
        "phases": [
            { "phase": "alert", "tasks": [task("triage", "Triage the ransomware alert and share indicators", "cert", 15, 120)] },
            { "phase": "activation", "tasks": [task("cell", "Open the joint crisis cell", "lead", 15, 60)] },
            { "phase": "response", "tasks": [
                task("hospitals", "Brief the hospitals' security officers", "health-liaison", 30, 480),
                task("decryptor", "Test the published decryptor on a sample", "cert", 60, 1440),
            ] },
            { "phase": "recovery", "tasks": [task("restore", "Coordinate restoration priorities", "health-liaison", 60, 4320)] },
        ],
        "communication": { "channel": "Coalition desk", "statement_template": "The partners are jointly responding to a ransomware campaign against hospitals." },
        "activation_criteria": "Hospitals in two or more nations disrupted by the same campaign.",
    }), &hour(-24 * 30))?;
    act(aurelia, tri, "endorse-playbook", json!({ "playbook": playbook }), &hour(-24 * 30))?;
    everyone(0)?;
    act(borealis, tri, "endorse-playbook", json!({ "playbook": playbook }), &hour(-24 * 28))?;
    act(caledonia, tri, "endorse-playbook", json!({ "playbook": playbook }), &hour(-24 * 27))?;
    everyone(1)?;
    everyone(2)?;
    let crisis = act(aurelia, tri, "activate", json!({
        "playbook": playbook, "title": "EXERCISE: hospitals encrypted in two nations", "severity": "severe", "exercise": true,
        "summary": "Exercise scenario: ransomware has encrypted patient systems in three hospitals in Aurelia and one in Borealis.",
    }), &hour(-6))?;
    act(aurelia, tri, "update-task", json!({ "crisis": crisis, "task": "cell", "status": "done", "note": "cell open on the coalition desk" }), &minutes(-350))?;
    everyone(0)?;
    let upd = |task: &str, status: &str| json!({ "crisis": crisis, "task": task, "status": status });
    act(borealis, tri, "acknowledge", json!({ "crisis": crisis }), &minutes(-350))?;
    act(borealis, tri, "update-task", upd("triage", "accepted"), &minutes(-352))?;
    act(borealis, tri, "update-task", upd("triage", "done"), &minutes(-300))?;
    act(borealis, tri, "update-task", upd("decryptor", "in-progress"), &minutes(-330))?;
    act(caledonia, tri, "acknowledge", json!({ "crisis": crisis, "note": "acknowledged after the night shift" }), &hour(-5))?;
    act(caledonia, tri, "update-task", upd("hospitals", "in-progress"), &hour(-4))?;
    let sitrep = |who: &str, summary: &str, taken: &str, planned: &str| json!({
        "crisis": crisis, "period_start": hour(-6).to_string(), "period_end": hour(-1).to_string(),
        "situation_summary": format!("EXERCISE. {who}: {summary}"), "actions_taken": taken, "actions_planned": planned,
        "impact": "Scheduled surgery postponed (simulated).", "next_report_due": hour(5).to_string(),
    });
    act(aurelia, tri, "file-sitrep", sitrep("Aurelia", "three hospitals encrypted, emergency care diverted", "Networks segmented, backups verified", "Restore the first hospital"), &hour(-1))?;
    act(borealis, tri, "file-sitrep", sitrep("Borealis", "one hospital encrypted, indicators shared", "Indicators shared with the coalition", "Test the decryptor"), &hour(-1))?;
    act(caledonia, tri, "file-sitrep", sitrep("Caledonia", "no hospital hit, sector warned", "Hospitals briefed on the indicators", "Second briefing round"), &hour(-1))?;
    let request = act(borealis, tri, "request-assistance", json!({
        "crisis": crisis, "resource": "incident responders with hospital experience", "quantity": 4, "unit": "people",
        "description": "Exercise: on site for five days", "needed_by": hour(12).to_string(),
    }), &hour(-2))?;
    everyone(1)?;
    act(caledonia, tri, "offer-assistance", json!({ "request": request, "quantity": 3 }), &minutes(-90))?;
    act(caledonia, tri, "commit-assistance", json!({ "request": request, "quantity": 3, "note": "three responders leave tonight" }), &hour(-1))?;
    everyone(2)?;
    everyone(0)?;
    eprintln!("  crisis: an EXERCISE under the exercise programme, tasks in hand, a situation report from each nation, an assistance request committed");
    Ok(())
}

/// `n`'s partner takes `action` of the crisis module under `agreement` at `at`; the record's id.
fn act(n: &Nation, agreement: &StixId, action: &str, input: Value, at: &Timestamp) -> anyhow::Result<String> {
    Ok(n.act(&::crisis::Crisis, agreement, action, input, at.clone())?.to_string())
}
