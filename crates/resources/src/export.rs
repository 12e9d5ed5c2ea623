//! The analyst's exports of the resources module as CSV files
//! (`partnership::files`): the ledger of deliveries, the commitments, and
//! the burden-sharing figures per year and party — drawn from the
//! module's state, so from the records the reader may see. Each party
//! appears by its name and its id. Every field is quoted and a field a
//! spreadsheet would take for a formula is defused
//! (`partnership::files::csv`): partners' notes and descriptions are text.

use partnership::files::{self, text, File, Spec};
use partnership::Error;
use serde_json::Value;

/// The files the module offers.
pub const FILES: &[Spec] = &[
    Spec { name: "ledger.csv", about: "Every delivery of the ledger, in-kind entries of other modules included: giver, receiver, commitment, quantity, value in the common unit, status, the giver's running confirmed total, the source.", of: None },
    Spec { name: "commitments.csv", about: "Every commitment: giver, receiver, resource, quantity, value, due date, delivered and outstanding, on time.", of: None },
    Spec { name: "figures.csv", about: "The burden-sharing figures per year and party: contributions, target and actual shares, balance, fair-share ratio, with each year's Gini and Spearman's rho.", of: None },
];

/// File `name` of the resources `state`.
pub fn file(name: &str, state: &Value, names: &dyn Fn(&str) -> String) -> Result<File, Error> {
    let party = |v: &Value, key: &str| vec![v[key].as_str().map(names).unwrap_or_default(), text(v, key)];
    let rows = |key: &str| state[key].as_array().cloned().unwrap_or_default();
    let unit = state["terms"]["unit"].as_str().unwrap_or_default().to_owned();
    let value_head = if unit.is_empty() { "value".to_owned() } else { format!("value ({unit})") };
    let bytes = match name {
        "ledger.csv" => {
            let head = ["delivery", "giver", "giver_id", "receiver", "receiver_id", "commitment", "resource", "quantity", "measure", "recorded_quantity", "correction", "delivered_at", "year", "status", "confirmation", &value_head, "unvalued", "giver_running_confirmed", "source_module", "source_of", "note"];
            let body: Vec<Vec<String>> = rows("ledger")
                .iter()
                .map(|e| {
                    let mut r = vec![text(e, "id")];
                    r.extend(party(e, "giver"));
                    r.extend(party(e, "receiver"));
                    for k in ["commitment", "resource", "quantity", "measure", "recorded_quantity", "correction", "delivered_at", "year", "status", "word", "value"] {
                        r.push(text(e, k));
                    }
                    r.push(unvalued(e));
                    r.push(text(e, "running_confirmed"));
                    // An in-kind entry another module recorded: the module, the crisis or exchange.
                    r.push(text(&e["source"], "module"));
                    r.push(text(&e["source"], "of"));
                    r.push(text(e, "note"));
                    r
                })
                .collect();
            files::csv(&head, &body)
        }
        "commitments.csv" => {
            let head = ["commitment", "giver", "giver_id", "receiver", "receiver_id", "resource", "category", "description", "quantity", "recorded_quantity", "measure", "correction", "year", "due", &value_head, "unvalued", "delivered", "outstanding", "complete", "cancelled", "on_time", "project", "offer"];
            let body: Vec<Vec<String>> = rows("commitments")
                .iter()
                .map(|c| {
                    let mut r = vec![text(c, "id")];
                    r.extend(party(c, "giver"));
                    r.extend(party(c, "receiver"));
                    for k in ["resource", "category", "description", "quantity", "recorded_quantity", "measure"] {
                        r.push(text(c, k));
                    }
                    r.push(c["correction"]["id"].as_str().unwrap_or_default().to_owned());
                    for k in ["year", "due", "value"] {
                        r.push(text(c, k));
                    }
                    r.push(unvalued(c));
                    for k in ["delivered", "outstanding", "complete", "cancelled", "on_time", "project", "offer"] {
                        r.push(text(c, k));
                    }
                    r
                })
                .collect();
            files::csv(&head, &body)
        }
        "figures.csv" => {
            let head = [
                "year", "party", "party_id", "pledged", "contributed", "pending", "disputed", "received", "target_share", "target_amount", "actual_share", "balance", "position", "gni_share", "fair_share_ratio",
                "figures_year", "carried", "defence_share_of_gdp", "on_time", "due", "year_total", "gini_of_ratios", "spearman_size_burden", "key_error",
            ];
            let mut body = Vec::new();
            for period in rows("periods") {
                for p in period["parties"].as_array().into_iter().flatten() {
                    let mut r = vec![text(&period, "year")];
                    r.extend(party(p, "party"));
                    for k in ["pledged", "contributed", "pending", "disputed", "received", "target_share", "target_amount", "actual_share", "balance", "position", "gni_share", "fair_share_ratio", "figures_year", "carried", "defence_share_of_gdp", "on_time", "due"] {
                        r.push(text(p, k));
                    }
                    for k in ["total", "gini_of_ratios", "spearman_size_burden", "key_error"] {
                        r.push(text(&period, k));
                    }
                    body.push(r);
                }
            }
            files::csv(&head, &body)
        }
        _ => return Err(files::not_found("resources", name)),
    };
    Ok(File { name: name.to_owned(), media_type: files::CSV, bytes })
}

/// Why an entry has no value, as `property: reason`, or nothing.
fn unvalued(v: &Value) -> String {
    match v["unvalued"].as_object() {
        Some(u) => format!("{}: {}", u.get("property").and_then(Value::as_str).unwrap_or_default(), u.get("reason").and_then(Value::as_str).unwrap_or_default()),
        None => String::new(),
    }
}
