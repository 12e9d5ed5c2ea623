//! The demo's joint statement: drafted by Aurelia under the trilateral
//! agreement ten days ago, approved by every nation on its own node, and
//! published at its embargo a week ago — so each co-signer's node shows it
//! published (each record is authored with the kit, at its date, as
//! `entente module act` would have authored it then).

use anyhow::bail;
use model::{StixId, Timestamp};
use serde_json::{json, Value};

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
    eprintln!("  a joint statement approved by every nation, published at its embargo a week ago (signed out: /public/statements on each node)");
    Ok(())
}

/// `n`'s partner takes `action` of the statements module under
/// `agreement` at `at`, from the records its node holds; the record is
/// stored on its node. Returns its id.
fn act(n: &Nation, agreement: &StixId, action: &str, input: Value, at: &Timestamp) -> anyhow::Result<String> {
    Ok(n.act(&::statements::Statements, agreement, action, input, at.clone())?.to_string())
}
