//! The demo's shared objectives: two objectives under the trilateral
//! agreement, proposed by Aurelia and by Borealis, endorsed by every nation
//! on its own node, with progress reported by each KPI's reporting party on
//! its own node over the months since — as if the coalition had set them
//! six months ago (each record is authored with the kit, at its date, as
//! `entente module act` would have authored it then).

use anyhow::bail;
use model::{StixId, Timestamp};
use serde_json::{json, Value};

use super::coalition::{pull, Agreements, Nation};

const DAY: i64 = 86_400_000_000;

/// Sets up the objectives and their history on the three nations' nodes
/// (Aurelia, Borealis, Caledonia, in that order), pulling between them so
/// that each endorses and reports on its own node what it received.
pub fn set_up(nations: &[Nation], agreements: &Agreements) -> anyhow::Result<()> {
    let [aurelia, borealis, caledonia] = nations else { bail!("the objectives demo takes three nations") };
    let tri = &agreements.trilateral;
    let now = Timestamp::now().micros();
    let day = |d: i64| Timestamp::from_micros(now + d * DAY);
    let start = -180;
    let due = day(185).to_string();
    let kpi = |name: &str, unit: &str, baseline: f64, target: f64, weight: f64, reporter: &Nation| {
        let direction = if target > baseline { "increase" } else { "decrease" };
        json!({ "name": name, "unit": unit, "baseline": baseline, "target": target, "direction": direction,
                "due": due, "weight": weight, "reporting_party_ref": reporter.partner.as_str() })
    };
    let sharing = act(aurelia, tri, "propose", json!({
        "title": "Share critical indicators within four hours",
        "description": "Every critical indicator one nation finds reaches the other two within four hours, through Entente.",
        "kpis": [
            kpi("median time to share a critical indicator", "hours", 12.0, 4.0, 2.0, borealis),
            kpi("critical indicators shared per month", "indicators", 20.0, 60.0, 1.0, caledonia),
        ],
    }), &day(start))?;
    act(aurelia, tri, "endorse", json!({ "objective": sharing }), &day(start + 1))?;
    let training = act(borealis, tri, "propose", json!({
        "title": "Train together",
        "description": "Joint exercises every quarter, and the exchange programme's seats filled.",
        "kpis": [
            kpi("joint exercises held per year", "exercises", 1.0, 4.0, 2.0, caledonia),
            kpi("exchange-programme seats filled", "seats", 0.0, 12.0, 1.0, aurelia),
        ],
    }), &day(start + 2))?;
    act(borealis, tri, "endorse", json!({ "objective": training }), &day(start + 2))?;
    // Each nation receives the other's proposal, then endorses on its own node.
    for (x, y) in [(1, 0), (2, 0), (2, 1), (0, 1)] {
        pull(&nations[x], &nations[y])?;
    }
    act(borealis, tri, "endorse", json!({ "objective": sharing }), &day(start + 7))?;
    act(aurelia, tri, "endorse", json!({ "objective": training }), &day(start + 8))?;
    for objective in [&sharing, &training] {
        act(caledonia, tri, "endorse", json!({ "objective": objective }), &day(start + 9))?;
    }
    // Reports after one, three and five months, each by the KPI's reporting party.
    let reports: [(&Nation, &str, &str, [f64; 3]); 4] = [
        (borealis, &sharing, "median time to share a critical indicator", [11.0, 9.0, 8.0]),
        (caledonia, &sharing, "critical indicators shared per month", [22.0, 28.0, 31.0]),
        (caledonia, &training, "joint exercises held per year", [1.0, 2.0, 3.0]),
        (aurelia, &training, "exchange-programme seats filled", [2.0, 5.0, 7.0]),
    ];
    for (month, offset) in [30, 90, 150].into_iter().enumerate() {
        for (n, objective, kpi, values) in &reports {
            let input = json!({ "objective": objective, "kpi": kpi, "value": values[month] });
            act(n, tri, "report", input, &day(start + offset))?;
        }
    }
    eprintln!("  two shared objectives adopted under the trilateral agreement, with progress reported over six months");
    Ok(())
}

/// `n`'s partner takes `action` of the objectives module under
/// `agreement` at `at`, from the records its node holds; the record is
/// stored on its node. Returns its id.
fn act(n: &Nation, agreement: &StixId, action: &str, input: Value, at: &Timestamp) -> anyhow::Result<String> {
    Ok(n.act(&::objectives::Objectives, agreement, action, input, at.clone())?.to_string())
}
