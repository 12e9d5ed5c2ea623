//! The demo's dispute: Aurelia raised a dispute under the trilateral
//! agreement forty days ago (Borealis reshared a report beyond the
//! parties); Borealis answered with its position and a proposal on its own
//! node; nobody escalated or settled, so the deadlines of consultation and
//! senior dialogue lapsed and the dispute is in mediation now, on every
//! nation's node, computed from the records and the clock alone.

use anyhow::{bail, Context};
use model::{StixId, Timestamp};
use partnership::{Module, Record, Records};
use serde_json::{json, Value};
use store::{PutOptions, Query, Versions};

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
    let module = ::disputes::Disputes;
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
    let object = partnership::author(&module, action, &input, &Records::new(versions), &ctx).map_err(|e| anyhow::anyhow!("{}: disputes {action}: {e}", n.name))?;
    let options = PutOptions { posted_by: Some(n.partner.to_string()), only_author: true, ..PutOptions::default() };
    for outcome in n.node.store.put(std::slice::from_ref(&object), &options)? {
        if let store::Outcome::Conflict(why) | store::Outcome::NotAuthor(why) = outcome {
            bail!("{}: {why}", n.name);
        }
    }
    Ok(object.id().to_string())
}
