//! The demo's shared objectives: two objectives under the trilateral
//! agreement, proposed by Aurelia and by Borealis, endorsed by every nation
//! on its own node, with progress reported by each KPI's reporting party on
//! its own node over the months since — as if the coalition had set them
//! six months ago (each record is authored with the kit, at its date, as
//! `entente module act` would have authored it then).

use anyhow::{bail, Context};
use model::{StixId, Timestamp};
use partnership::{Module, Record, Records};
use serde_json::{json, Value};
use store::{PutOptions, Query, Versions};

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
    let module = ::objectives::Objectives;
    let index = server::release::Agreements::default().index(&*n.node.store)?;
    let latest = index.agreement(agreement).cloned().with_context(|| format!("{} does not hold {agreement}", n.name))?;
    let state = index.state(agreement, &Timestamp::now());
    let mut versions = Vec::new();
    let query = Query { types: module.kinds().iter().map(|k| (*k).to_owned()).collect(), versions: Versions::ALL, ..Query::default() };
    n.node.store.scan(&query, &mut |r| {
        if let Some(record) = model::Object::parse(&r.json, &model::Limits::default()).ok().and_then(|o| Record::from_object(&o).ok()) {
            if &record.agreement == agreement {
                versions.push(record);
            }
        }
        Ok(())
    })?;
    let Value::Object(input) = input else { bail!("an action's input is a JSON object") };
    let ctx = partnership::Context { me: &n.partner, now: at.clone(), agreement: &latest, state: &state };
    let object = partnership::author(&module, action, &input, &Records::new(versions), &ctx).map_err(|e| anyhow::anyhow!("{}: objectives {action}: {e}", n.name))?;
    let options = PutOptions { posted_by: Some(n.partner.to_string()), only_author: true, ..PutOptions::default() };
    for outcome in n.node.store.put(std::slice::from_ref(&object), &options)? {
        if let store::Outcome::Conflict(why) | store::Outcome::NotAuthor(why) = outcome {
            bail!("{}: {why}", n.name);
        }
    }
    Ok(object.id().to_string())
}
