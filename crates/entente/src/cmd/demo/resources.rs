//! The demo's ledger: a year of resource sharing under the trilateral
//! agreement, the calendar year before the demo runs. Aurelia proposes
//! resource terms (euros; dollar and pound rates for the year; a UN-scale
//! style key with a floor and a ceiling), which each nation accepts on its
//! own node; each declares its figures; each pledges to another (money,
//! hosting, analyst hours, training seats, intelligence) and delivers over
//! the year on its own node, and the receiver confirms on its own — one
//! delivery disputed and then corrected, one paid late, one still awaiting
//! confirmation at the year's end; a joint sandbox project led by
//! Aurelia and funded by the others; Caledonia's request for analysts
//! matched with Borealis's offer and committed. Borealis ends the year
//! over its share, Caledonia under (each record authored at its date
//! through the service `entente module act` calls, its release logged).

use anyhow::bail;
use model::{StixId, Timestamp};
use serde_json::{json, Value};

use super::coalition::{pull, Agreements, Nation};

/// Sets up the ledger on the three nations' nodes (Aurelia, Borealis,
/// Caledonia, in that order), pulling between them so that each accepts
/// and confirms on its own node what it received.
pub fn set_up(nations: &[Nation], agreements: &Agreements) -> anyhow::Result<()> {
    let [aurelia, borealis, caledonia] = nations else { bail!("the resources demo takes three nations") };
    let tri = &agreements.trilateral;
    let year = ::resources::types::year_of(&Timestamp::now()) - 1;
    let on = |date: &str| Timestamp::parse(&format!("{year}-{date}T10:00:00Z")).map_err(|e| anyhow::anyhow!("{date}: {e}"));
    let everyone = |nations: &[Nation]| -> anyhow::Result<()> {
        for (x, y) in [(1, 0), (2, 0), (0, 1), (2, 1), (0, 2), (1, 2)] {
            pull(&nations[x], &nations[y])?;
        }
        Ok(())
    };

    let terms = act(aurelia, tri, "propose-terms", json!({
        "unit": "EUR",
        "in_kind_rates": [
            { "kind": "personnel", "category": "analyst", "rate": 120 },
            { "kind": "training", "rate": 6000 },
            { "kind": "hosting", "rate": 50000 },
            { "kind": "intelligence", "rate": 2500 },
        ],
        "exchange_rates": [{ "currency": "USD", "year": year, "rate": 0.92 }, { "currency": "GBP", "year": year, "rate": 1.17 }],
        "exchange_source": "annual average reference rates, agreed by the parties",
        "cost_share": { "method": "un-scale", "gradient": 0.8, "floor": 0.05, "ceiling": 0.55 },
    }), &on("01-05")?)?;
    act(aurelia, tri, "accept-terms", json!({ "terms": terms }), &on("01-05")?)?;
    everyone(nations)?;
    act(borealis, tri, "accept-terms", json!({ "terms": terms }), &on("01-06")?)?;
    act(caledonia, tri, "accept-terms", json!({ "terms": terms }), &on("01-07")?)?;
    everyone(nations)?;

    // Figures for the year, each in its own currency.
    for (n, currency, gni, population, gdp, defence) in [
        (aurelia, "EUR", 2.4e12, 60e6, 2.5e12, 5.0e10),
        (borealis, "USD", 1.0e12, 30e6, 1.05e12, 2.6e10),
        (caledonia, "GBP", 0.6e12, 40e6, 0.62e12, 0.9e10),
    ] {
        act(n, tri, "declare-figures", json!({ "year": year, "currency": currency, "gni": gni, "population": population, "gdp": gdp, "defence_spending": defence }), &on("01-10")?)?;
    }

    // Pledges, each on the giver's node.
    let due = |date: &str| format!("{year}-{date}T00:00:00Z");
    let pledge = |n: &Nation, to: &Nation, resource: &str, quantity: f64, unit: Option<(&str, &str)>, by: &str, what: &str, at: &str| -> anyhow::Result<String> {
        let mut input = json!({ "resource": resource, "quantity": quantity, "receiver": to.partner.as_str(), "year": year, "due": due(by), "description": what });
        if let Some((k, v)) = unit {
            input[k] = json!(v);
        }
        act(n, tri, "commit", input, &on(at)?)
    };
    let a_fund = pledge(aurelia, borealis, "money", 4.0e6, Some(("currency", "EUR")), "10-31", "Joint sensor grid: Aurelia's contribution", "01-15")?;
    let a_host = pledge(aurelia, borealis, "hosting", 10.0, None, "06-30", "Host the spring cyber exercise (10 days)", "01-15")?;
    let b_fund = pledge(borealis, caledonia, "money", 3.0e6, Some(("currency", "USD")), "09-30", "Malware laboratory fund", "01-16")?;
    let b_staff = pledge(borealis, caledonia, "personnel", 4000.0, Some(("category", "analyst")), "12-15", "Analysts seconded to Caledonia's CERT", "01-16")?;
    let b_seats = pledge(borealis, caledonia, "training", 20.0, None, "05-31", "Seats on the incident-handling course", "01-16")?;
    let c_intel = pledge(caledonia, aurelia, "intelligence", 200.0, None, "12-31", "Finished intelligence reports on regional threats", "01-17")?;
    let c_fund = pledge(caledonia, aurelia, "money", 3.0e5, Some(("currency", "GBP")), "09-30", "Share of the exercise costs", "01-17")?;
    everyone(nations)?;

    // Deliveries over the year, each on the giver's node.
    let deliver = |n: &Nation, commitment: &str, quantity: f64, at: &str| act(n, tri, "deliver", json!({ "commitment": commitment, "quantity": quantity }), &on(at)?);
    let deliveries = [
        (deliver(aurelia, &a_fund, 2.0e6, "03-20")?, borealis),
        (deliver(aurelia, &a_host, 10.0, "05-12")?, borealis),
        (deliver(aurelia, &a_fund, 2.0e6, "09-25")?, borealis),
        (deliver(borealis, &b_fund, 3.0e6, "06-15")?, caledonia),
        (deliver(borealis, &b_staff, 2000.0, "06-30")?, caledonia),
        (deliver(borealis, &b_staff, 2000.0, "12-01")?, caledonia),
        (deliver(caledonia, &c_intel, 120.0, "07-01")?, aurelia),
        (deliver(caledonia, &c_fund, 3.0e5, "11-15")?, aurelia),
    ];
    let seats = deliver(borealis, &b_seats, 20.0, "05-20")?;
    // Delivered at the year's end, not yet confirmed by Aurelia.
    deliver(caledonia, &c_intel, 40.0, "12-28")?;
    everyone(nations)?;

    // Each receiver confirms on its own node; Caledonia disputes the seats
    // (18 were offered), Borealis corrects, Caledonia confirms the correction.
    for (i, (delivery, receiver)) in deliveries.iter().enumerate() {
        let at = on(&format!("12-{:02}", 2 + i))?;
        act(receiver, tri, "confirm", json!({ "delivery": delivery, "verdict": "confirmed" }), &at)?;
    }
    act(caledonia, tri, "confirm", json!({ "delivery": seats, "verdict": "disputed", "note": "Eighteen seats were offered, not twenty." }), &on("06-02")?)?;
    everyone(nations)?;
    act(borealis, tri, "correct", json!({ "record": seats, "quantity": 18, "reason": "two seats were withdrawn by the course provider" }), &on("06-05")?)?;
    everyone(nations)?;
    act(caledonia, tri, "confirm", json!({ "delivery": seats, "verdict": "confirmed" }), &on("06-07")?)?;
    everyone(nations)?;

    // A joint project led by Aurelia, funded by Borealis and Caledonia.
    let sandbox = act(aurelia, tri, "propose-project", json!({
        "title": "Shared malware sandbox",
        "description": "A detonation sandbox every party submits to and reads from.",
        "budget": 600000,
        "participants": [borealis.partner.as_str(), caledonia.partner.as_str()],
        "milestones": [
            { "name": "hardware installed", "due": due("04-30"), "deliverable": "racks in Aurelia's data centre" },
            { "name": "open to all parties", "due": due("09-30"), "deliverable": "submission and report API for every party" },
        ],
    }), &on("02-01")?)?;
    // Caledonia asks for analysts; Borealis offers, Caledonia matches.
    let request = act(caledonia, tri, "request-support", json!({
        "resource": "personnel", "category": "analyst", "quantity": 2000,
        "description": "Analysts to stand up Caledonia's malware desk", "needed_by": due("11-30"),
    }), &on("02-01")?)?;
    everyone(nations)?;
    let offer = act(borealis, tri, "offer-support", json!({ "request": request, "quantity": 1500, "note": "three analysts for six months" }), &on("02-10")?)?;
    everyone(nations)?;
    act(caledonia, tri, "match-offer", json!({ "offer": offer }), &on("02-12")?)?;
    everyone(nations)?;
    let b_offer = act(borealis, tri, "commit", json!({
        "resource": "personnel", "category": "analyst", "quantity": 1500, "year": year, "due": due("11-30"),
        "description": "Analysts for Caledonia's malware desk (matched offer)", "offer": offer,
    }), &on("02-15")?)?;
    let share = |n: &Nation, amount: f64, at: &str| {
        let input = json!({
            "resource": "money", "quantity": amount, "currency": "EUR", "receiver": aurelia.partner.as_str(), "year": year,
            "due": due("04-30"), "description": format!("Sandbox: {}'s share", n.name), "project": sandbox,
        });
        act(n, tri, "commit", input, &on(at)?)
    };
    let b_sandbox = share(borealis, 2.5e5, "02-15")?;
    let c_sandbox = share(caledonia, 4.0e4, "02-16")?;
    everyone(nations)?;
    let for_sandbox = [
        (deliver(borealis, &b_sandbox, 2.5e5, "04-10")?, aurelia),
        (deliver(caledonia, &c_sandbox, 4.0e4, "04-20")?, aurelia),
        (deliver(borealis, &b_offer, 1500.0, "10-01")?, caledonia),
    ];
    everyone(nations)?;
    for (delivery, receiver) in &for_sandbox {
        act(receiver, tri, "confirm", json!({ "delivery": delivery, "verdict": "confirmed" }), &on("10-05")?)?;
    }
    act(aurelia, tri, "update-project", json!({
        "project": sandbox,
        "milestones": [
            { "name": "hardware installed", "due": due("04-30"), "deliverable": "racks in Aurelia's data centre", "done": true },
            { "name": "open to all parties", "due": due("09-30"), "deliverable": "submission and report API for every party", "done": true },
        ],
    }), &on("10-06")?)?;
    everyone(nations)?;
    eprintln!("  a year of resource sharing under the trilateral agreement ({year}), a joint sandbox project and a capacity-building match: Borealis over its share, Caledonia under");
    Ok(())
}

/// `n`'s partner takes `action` of the resources module under `agreement`
/// at `at`, from the records its node holds; the record is stored on its
/// node. Returns its id.
fn act(n: &Nation, agreement: &StixId, action: &str, input: Value, at: &Timestamp) -> anyhow::Result<String> {
    Ok(n.act(&::resources::Resources, agreement, action, input, at.clone())?.to_string())
}
