//! The demo's joint statement: drafted by Aurelia under the trilateral
//! agreement ten days ago, approved by every nation on its own node, and
//! published at its embargo a week ago — so each co-signer's node shows it
//! published (each record is authored with the kit, at its date, as
//! `entente module act` would have authored it then).

use anyhow::{bail, Context};
use model::{StixId, Timestamp};
use partnership::{Module, Record, Records};
use serde_json::{json, Value};
use store::{PutOptions, Query, Versions};

use super::coalition::{pull, Agreements, Nation};

const DAY: i64 = 86_400_000_000;

/// Sets up the published joint statement on the three nations' nodes
/// (Aurelia, Borealis, Caledonia, in that order).
pub fn set_up(nations: &[Nation], agreements: &Agreements) -> anyhow::Result<()> {
    let [aurelia, borealis, caledonia] = nations else { bail!("the statements demo takes three nations") };
    let tri = &agreements.trilateral;
    let now = Timestamp::now().micros();
    let day = |d: i64| Timestamp::from_micros(now + d * DAY);
    let statement = act(aurelia, tri, "draft-statement", json!({
        "title": "Joint statement on the Dark Harbour ransomware campaign",
        "text": "Aurelia, Borealis and Caledonia have shared their findings on the Dark Harbour campaign and attribute it jointly. Indicators are with the partners' national CERTs.",
        "languages": { "fr": { "title": "Déclaration commune sur la campagne Dark Harbour", "text": "Aurélie, Boréalie et Calédonie attribuent conjointement la campagne Dark Harbour." } },
        "embargo": day(-7).to_string(),
        "cosigners": [borealis.partner.as_str(), caledonia.partner.as_str()],
        "submit": true,
    }), &day(-10))?;
    act(aurelia, tri, "approve-statement", json!({ "statement": statement }), &day(-10))?;
    // Each nation receives the draft, then approves on its own node.
    for (x, y) in [(1, 0), (2, 0)] {
        pull(&nations[x], &nations[y])?;
    }
    act(borealis, tri, "approve-statement", json!({ "statement": statement }), &day(-9))?;
    act(caledonia, tri, "approve-statement", json!({ "statement": statement }), &day(-9))?;
    for (x, y) in [(0, 1), (0, 2), (1, 2), (2, 1)] {
        pull(&nations[x], &nations[y])?;
    }
    eprintln!("  a joint statement approved by every nation, published at its embargo a week ago");
    Ok(())
}

/// `n`'s partner takes `action` of the statements module under
/// `agreement` at `at`, from the records its node holds; the record is
/// stored on its node. Returns its id.
fn act(n: &Nation, agreement: &StixId, action: &str, input: Value, at: &Timestamp) -> anyhow::Result<String> {
    let module = ::statements::Statements;
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
    let object = partnership::author(&module, action, &input, &Records::new(versions), &ctx).map_err(|e| anyhow::anyhow!("{}: statements {action}: {e}", n.name))?;
    let options = PutOptions { posted_by: Some(n.partner.to_string()), only_author: true, ..PutOptions::default() };
    for outcome in n.node.store.put(std::slice::from_ref(&object), &options)? {
        if let store::Outcome::Conflict(why) | store::Outcome::NotAuthor(why) = outcome {
            bail!("{}: {why}", n.name);
        }
    }
    Ok(object.id().to_string())
}
