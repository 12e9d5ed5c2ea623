//! The demo's dispute: Aurelia raised a dispute under the trilateral
//! agreement forty days ago (Borealis reshared a report beyond the
//! parties); Borealis answered with its position and a proposal on its own
//! node; nobody escalated or settled, so the deadlines of consultation and
//! senior dialogue lapsed and the dispute is in mediation now, on every
//! nation's node, computed from the records and the clock alone.

use anyhow::bail;
use model::{StixId, Timestamp};
use serde_json::{json, Value};

use super::coalition::{pull, Agreements, Nation};

const DAY: i64 = 86_400_000_000;

/// Sets up the dispute on the three nations' nodes (Aurelia, Borealis,
/// Caledonia), pulling between them.
pub fn set_up(nations: &[Nation], agreements: &Agreements) -> anyhow::Result<()> {
    let [aurelia, borealis, _] = nations else { bail!("the disputes demo takes three nations") };
    let tri = &agreements.trilateral;
    let now = Timestamp::now().micros();
    let day = |d: i64| Timestamp::from_micros(now + d * DAY);
    let dispute = act(aurelia, tri, "raise", json!({
        "clause": "handling.reshare",
        "facts": "A TLP:AMBER report shared under the agreement was forwarded to a national regulator, who is no party.",
        "remedy": "Recall the forwarded copies and confirm in writing.",
    }), &day(-40))?;
    act(aurelia, tri, "file-position", json!({ "dispute": dispute, "text": "Forwarding beyond the parties breaches the handling terms." }), &day(-39))?;
    for (x, y) in [(1, 0), (2, 0)] {
        pull(&nations[x], &nations[y])?;
    }
    act(borealis, tri, "file-position", json!({ "dispute": dispute, "text": "The regulator is our CERT's supervisor, bound by the same rules." }), &day(-35))?;
    act(borealis, tri, "propose", json!({ "dispute": dispute, "text": "We recall the copies and ask before forwarding to a supervisor again." }), &day(-20))?;
    for (x, y) in [(0, 1), (2, 1)] {
        pull(&nations[x], &nations[y])?;
    }
    eprintln!("  a dispute under the trilateral agreement, in mediation after its first two stages lapsed");
    Ok(())
}

/// `n`'s partner takes `action` of the disputes module under `agreement`
/// at `at`, from the records its node holds; the record is stored on its
/// node. Returns its id.
fn act(n: &Nation, agreement: &StixId, action: &str, input: Value, at: &Timestamp) -> anyhow::Result<String> {
    Ok(n.act(&::disputes::Disputes, agreement, action, input, at.clone())?.to_string())
}
