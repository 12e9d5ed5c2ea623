//! The scorecard snapshots module: the kit's contract (`module_suite!`),
//! a computed scorecard's summary accepted as a snapshot, bad figures and
//! outsiders refused naming the property, and the trend in the state.

use model::Timestamp;
use partnership::suite::{Step, World};
use partnership::{Error, Record, Records};
use scorecard::{compute, snapshot::summary, Evidence, Indicator, Release, Snapshots, DAY};
use serde_json::{json, Map, Value};

fn figures(p: &str, composite: f64) -> Value {
    json!({ "party": p, "composite": composite, "figures": { "accuracy": 0.8, "timeliness": null } })
}

fn snapshot(w: &World, at: &str, composite: f64) -> Value {
    let p = |i: usize| w.partners[i].to_string();
    json!({
        "at": at, "window_days": 90,
        "parties": [figures(&p(0), composite), figures(&p(1), 0.5)],
        "pairs": [{ "from": p(0), "to": p(1), "composite": null, "trust": 0.6, "figures": { "reciprocity": 1.0 } }],
    })
}

fn scenario() -> Vec<Step> {
    let w = World::new();
    vec![(0, "snapshot", snapshot(&w, "2026-05-01T00:00:00Z", 0.4)), (1, "snapshot", snapshot(&w, "2026-05-02T00:00:00Z", 0.5)), (0, "snapshot", snapshot(&w, "2026-05-31T00:00:00Z", 0.7))]
}

partnership::module_suite!(Snapshots, scenario());

fn author(w: &World, who: usize, input: Value) -> Result<Record, Error> {
    let Value::Object(input) = input else { panic!("an object") };
    let now = Timestamp::parse("2026-06-01T00:00:00Z").unwrap();
    let object = partnership::author(&Snapshots, "snapshot", &input, &Records::new(Vec::new()), &w.ctx(who, &now))?;
    Ok(Record::from_object(&object).unwrap())
}

#[test]
fn a_computed_scorecard_is_a_valid_snapshot() {
    let w = World::new();
    let parties: Vec<String> = w.agreement.terms.parties.iter().map(ToString::to_string).collect();
    let mut e = Evidence { parties: parties.clone(), at: 100 * DAY, window: 90 * DAY, ..Evidence::default() };
    for i in 0..6 {
        e.releases.push(Release { id: format!("malware--{i}"), author: parties[0].clone(), recipient: parties[1].clone(), created: 50 * DAY, arrived: None, quality: 1.0, novel: None, exercise: false });
    }
    let card = compute(&e);
    let record = author(&w, 0, Value::Object(summary(&card))).unwrap();
    let pair = record.properties["pairs"].as_array().unwrap().iter().find(|p| p["from"] == parties[0].as_str() && p["to"] == parties[1].as_str()).unwrap().clone();
    assert_eq!(pair["figures"]["reciprocity"], json!(0.0), "{pair}");
    assert_eq!(pair["figures"].as_object().unwrap().len(), Indicator::ALL.len());
}

#[test]
fn bad_figures_and_outsiders_are_refused_naming_the_property() {
    let w = World::new();
    let outsider = "identity--0f000000-0000-4000-8000-00000000000f";
    let cases: Vec<(Box<dyn Fn(&mut Map<String, Value>)>, &str)> = vec![
        (Box::new(|m| m["parties"][0]["figures"]["accuracy"] = json!(1.5)), "parties[0].figures.accuracy"),
        (Box::new(|m| m["parties"][0]["figures"]["speed"] = json!(0.5)), "parties[0].figures.speed"),
        (Box::new(|m| m["parties"][1]["composite"] = json!("high")), "parties[1].composite"),
        (Box::new(move |m| m["pairs"][0]["to"] = json!(outsider)), "pairs[0].to"),
        (Box::new(|m| m["window_days"] = json!(0)), "window_days"),
        (Box::new(|m| m["at"] = json!("yesterday")), "at"),
        (Box::new(|m| m["pairs"] = json!({})), "pairs"),
        (Box::new(|m| m.insert("score".into(), json!(1)).map_or((), |_| ())), "score"),
    ];
    for (change, property) in cases {
        let Value::Object(mut input) = snapshot(&w, "2026-05-01T00:00:00Z", 0.4) else { unreachable!() };
        change(&mut input);
        match author(&w, 0, Value::Object(input)) {
            Err(Error::Invalid { property: p, reason, .. }) => assert_eq!(p, property, "{reason}"),
            other => panic!("not refused for `{property}`: {other:?}"),
        }
    }
}

#[test]
fn the_state_lists_snapshots_in_time_with_each_authors_trend() {
    let w = World::new();
    let start = Timestamp::parse("2026-06-01T00:00:00Z").unwrap();
    let made = partnership::suite::run(&Snapshots, &w, &start, &scenario());
    let records = Records::new(made.into_iter().map(|(_, r)| r));
    let now = Timestamp::parse("2026-07-01T00:00:00Z").unwrap();
    let state = partnership::Module::state(&Snapshots, &records, &w.ctx(0, &now));
    let ats: Vec<&str> = state["snapshots"].as_array().unwrap().iter().map(|s| s["at"].as_str().unwrap()).collect();
    assert_eq!(ats, ["2026-05-01T00:00:00Z", "2026-05-02T00:00:00Z", "2026-05-31T00:00:00Z"]);
    // Partner 0's own view of itself over time: 0.4, then 0.7.
    let trend = &state["trends"][w.partners[0].as_str()][w.partners[0].as_str()];
    assert_eq!(trend.as_array().unwrap().iter().map(|p| p["composite"].as_f64().unwrap()).collect::<Vec<_>>(), [0.4, 0.7], "{state}");
}
