//! The resources module's tests: the kit's contract (`module_suite!`), a
//! year's ledger worked by hand (valuation, balances, shares, fair-share
//! ratio, Gini, Spearman's ρ), bad input refused naming the property,
//! records that fail the cross-record rules left out and listed when they
//! arrive by sync, and the same balances from the same records in any
//! arrival order (a property test).

mod export;
mod fold;
mod in_kind;
mod ledger_fold;

use model::Timestamp;
use partnership::suite::{Step, World};
use partnership::{Draft, Error, Module, Record, Records};
use proptest::prelude::*;
use resources::{Resources, CONFIRMATION, DELIVERY};
use serde_json::{json, Map, Value};

fn terms() -> Value {
    json!({
        "unit": "EUR",
        "in_kind_rates": [
            { "kind": "personnel", "category": "analyst", "rate": 100 },
            { "kind": "training", "rate": 1000 },
            { "kind": "hosting", "rate": 5000 },
            { "kind": "intelligence", "rate": 250 },
        ],
        "exchange_rates": [{ "currency": "USD", "year": 2026, "rate": 0.5 }],
        "exchange_source": "agreed annual rate",
        "cost_share": { "method": "gni" },
    })
}

fn scenario() -> Vec<Step> {
    let w = World::new();
    let p = |i: usize| w.partners[i].to_string();
    vec![
        (0, "propose-terms", terms()),
        (0, "accept-terms", json!({ "terms": "$0" })),
        (1, "accept-terms", json!({ "terms": "$0" })),
        (2, "accept-terms", json!({ "terms": "$0" })),
        (0, "declare-figures", json!({ "year": 2026, "currency": "EUR", "gni": 600, "population": 10, "gdp": 650, "defence_spending": 13 })),
        (1, "declare-figures", json!({ "year": 2026, "currency": "USD", "gni": 600, "population": 10 })),
        (2, "declare-figures", json!({ "year": 2026, "currency": "EUR", "gni": 100, "population": 10 })),
        (0, "commit", json!({ "resource": "money", "quantity": 300, "currency": "EUR", "receiver": p(1), "year": 2026, "due": "2026-09-01T00:00:00Z", "description": "sensor grid" })),
        (1, "commit", json!({ "resource": "money", "quantity": 200, "currency": "USD", "receiver": p(2), "year": 2026, "due": "2026-09-01T00:00:00Z", "description": "lab fund" })),
        (2, "commit", json!({ "resource": "personnel", "category": "analyst", "quantity": 1, "receiver": p(0), "year": 2026, "due": "2026-09-01T00:00:00Z", "description": "one analyst hour" })),
        (0, "deliver", json!({ "commitment": "$7", "quantity": 300 })),
        (1, "confirm", json!({ "delivery": "$10", "verdict": "confirmed" })),
        (1, "deliver", json!({ "commitment": "$8", "quantity": 200 })),
        (2, "confirm", json!({ "delivery": "$12", "verdict": "confirmed" })),
        (2, "deliver", json!({ "commitment": "$9", "quantity": 1 })),
        (0, "confirm", json!({ "delivery": "$14", "verdict": "confirmed" })),
        (1, "propose-project", json!({ "title": "Shared malware sandbox", "budget": 1000, "participants": [p(0), p(2)],
            "milestones": [{ "name": "prototype", "due": "2026-12-01T00:00:00Z", "deliverable": "a sandbox every party can submit to" }] })),
        (0, "commit", json!({ "resource": "money", "quantity": 200, "currency": "EUR", "receiver": p(1), "year": 2026, "due": "2026-11-01T00:00:00Z", "description": "sandbox hardware", "project": "$16" })),
        (2, "request-support", json!({ "resource": "training", "quantity": 5, "description": "incident-handling course seats", "needed_by": "2026-12-01T00:00:00Z" })),
        (0, "offer-support", json!({ "request": "$18", "quantity": 5, "note": "five seats in November" })),
        (2, "match-offer", json!({ "offer": "$19" })),
        (0, "commit", json!({ "resource": "training", "quantity": 5, "year": 2026, "due": "2026-11-30T00:00:00Z", "description": "course seats", "offer": "$19" })),
    ]
}

partnership::module_suite!(Resources, scenario());

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

/// Records made one action at a time by the parties of the suite's
/// trilateral agreement, each at the clock given.
struct Bench {
    world: World,
    made: Vec<Record>,
}

impl Bench {
    fn new() -> Bench {
        Bench { world: World::new(), made: Vec::new() }
    }

    /// The scenario's records, made from 2026-06-01 a minute apart.
    fn scenario() -> Bench {
        let world = World::new();
        let made = partnership::suite::run(&Resources, &world, &at("2026-06-01T00:00:00Z"), &scenario()).into_iter().map(|(_, r)| r).collect();
        Bench { world, made }
    }

    fn records(&self) -> Records {
        Records::new(self.made.clone())
    }

    fn p(&self, i: usize) -> String {
        self.world.partners[i].to_string()
    }

    fn try_act(&mut self, who: usize, action: &str, input: Value, now: &str) -> Result<Record, Error> {
        let Value::Object(input) = input else { panic!("an object") };
        let object = partnership::author(&Resources, action, &input, &self.records(), &self.world.ctx(who, &at(now)))?;
        let record = Record::from_object(&object).unwrap();
        self.made.push(record.clone());
        Ok(record)
    }

    fn act(&mut self, who: usize, action: &str, input: Value, now: &str) -> Record {
        self.try_act(who, action, input, now).unwrap_or_else(|e| panic!("{action} by {who}: {e}"))
    }

    /// Refused, naming `property`; nothing made.
    fn refused(&mut self, who: usize, action: &str, input: Value, now: &str, property: &str) -> String {
        let before = self.made.len();
        let reason = match self.try_act(who, action, input, now) {
            Err(Error::Invalid { property: p, reason, .. }) => {
                assert_eq!(p, property, "{action}: {reason}");
                reason
            }
            other => panic!("{action}: not refused for `{property}`: {other:?}"),
        };
        assert_eq!(self.made.len(), before);
        reason
    }

    /// A record made by `who` through the kit alone, as a partner's node
    /// might send one by sync: the module's cross-record rules not applied.
    fn forge(&mut self, who: usize, kind: &'static str, props: Value, now: &str) -> Record {
        let Value::Object(props) = props else { panic!("an object") };
        let object = partnership::finish(&Resources, Draft::new(kind, props), &self.records(), &self.world.ctx(who, &at(now))).unwrap();
        let record = partnership::accept(&Resources, &object, &self.world.ctx(0, &at(now))).unwrap();
        self.made.push(record.clone());
        record
    }

    fn state(&self, who: usize, now: &str) -> Value {
        Resources.state(&self.records(), &self.world.ctx(who, &at(now)))
    }
}

fn party<'a>(period: &'a Value, p: &str) -> &'a Value {
    period["parties"].as_array().unwrap().iter().find(|x| x["party"] == p).unwrap()
}

/// The scenario's year, worked by hand. Terms: EUR; USD at 0.5 in 2026;
/// an analyst hour at 100; key proportional to GNI.
///
/// ```text
///        GNI declared     in EUR   GNI share   contributed (EUR)        share   target = share·500   balance   R
///   A    600 EUR            600       0.6      300 EUR          = 300    0.6        300                 0      1
///   B    600 USD · 0.5      300       0.3      200 USD · 0.5    = 100    0.2        150               −50      2/3
///   C    100 EUR            100       0.1      1 h · 100        = 100    0.2         50               +50      2
/// ```
///
/// Gini of R = 8/33 = 0.242424; Spearman's ρ between GNI (600, 300, 100)
/// and burden (0.5, 1/3, 1) = −0.5 (the unit tests work both out).
/// A's defence spending 13 of GDP 650 is 2 %.
#[test]
fn a_year_worked_by_hand() {
    let bench = Bench::scenario();
    let s = bench.state(0, "2026-10-01T00:00:00Z");
    assert_eq!(s["terms"]["unit"], "EUR", "{s}");
    assert_eq!(s["ignored"], json!([]), "{s}");
    let ledger = s["ledger"].as_array().unwrap();
    assert_eq!(ledger.len(), 3);
    assert!(ledger.iter().all(|e| e["status"] == "confirmed"), "{s}");
    assert_eq!(ledger.iter().map(|e| e["value"].as_f64().unwrap()).collect::<Vec<_>>(), [300.0, 100.0, 100.0]);
    let periods = s["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 1);
    let y = &periods[0];
    assert_eq!((y["year"].as_i64(), y["total"].as_f64()), (Some(2026), Some(500.0)));
    let expect = [(0, 300.0, 0.6, 300.0, 0.0, "even", 1.0), (1, 100.0, 0.2, 150.0, -50.0, "under", 0.666667), (2, 100.0, 0.2, 50.0, 50.0, "over", 2.0)];
    for (i, contributed, actual, target, balance, position, r) in expect {
        let row = party(y, &bench.p(i));
        assert_eq!(row["contributed"].as_f64(), Some(contributed), "{row}");
        assert_eq!(row["actual_share"].as_f64(), Some(actual), "{row}");
        assert_eq!(row["target_amount"].as_f64(), Some(target), "{row}");
        assert_eq!(row["balance"].as_f64(), Some(balance), "{row}");
        assert_eq!(row["position"], position, "{row}");
        assert_eq!(row["fair_share_ratio"].as_f64(), Some(r), "{row}");
        assert_eq!((row["on_time"].as_u64(), row["due"].as_u64()), (Some(1), Some(1)), "{row}");
    }
    assert_eq!(party(y, &bench.p(0))["defence_share_of_gdp"].as_f64(), Some(0.02));
    assert_eq!(y["gini_of_ratios"].as_f64(), Some(0.242424));
    assert_eq!(y["spearman_size_burden"].as_f64(), Some(-0.5));
    // Running balances across the year: each party's own, and what it received.
    let b: Vec<(f64, f64)> = s["balances"].as_array().unwrap().iter().map(|x| (x["confirmed"].as_f64().unwrap(), x["received"].as_f64().unwrap())).collect();
    let mut want: Vec<(f64, f64)> = vec![(300.0, 100.0), (100.0, 300.0), (100.0, 100.0)];
    let mut got = b.clone();
    got.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    assert_eq!(got, want);
}

#[test]
fn a_delivery_counts_once_confirmed_and_a_correction_needs_a_new_word() {
    let mut b = Bench::new();
    let t = b.act(0, "propose-terms", terms(), "2026-01-02T00:00:00Z");
    for who in 0..3 {
        b.act(who, "accept-terms", json!({ "terms": t.id.as_str() }), "2026-01-03T00:00:00Z");
    }
    let receiver = b.p(1);
    let c = b.act(0, "commit", json!({ "resource": "training", "quantity": 4, "receiver": receiver, "year": 2026, "due": "2026-03-01T00:00:00Z", "description": "course seats" }), "2026-01-04T00:00:00Z");
    let d = b.act(0, "deliver", json!({ "commitment": c.id.as_str(), "quantity": 4, "delivered_at": "2026-02-01T00:00:00Z" }), "2026-02-01T00:00:00Z");
    let s = b.state(1, "2026-02-02T00:00:00Z");
    assert_eq!(s["ledger"][0]["status"], "awaiting-confirmation");
    assert_eq!(s["ledger"][0]["value"].as_f64(), Some(4000.0));
    assert_eq!(s["balances"][0]["confirmed"].as_f64().unwrap() + s["balances"][1]["confirmed"].as_f64().unwrap() + s["balances"][2]["confirmed"].as_f64().unwrap(), 0.0);
    // The receiver's inbox has it; the giver's does not.
    let needs = Resources.needs(&s, &b.world.ctx(1, &at("2026-02-02T00:00:00Z")));
    assert!(needs.iter().any(|n| n.what == "confirm-delivery" && n.record == d.id.as_str()), "{needs:?}");
    let s0 = b.state(0, "2026-02-02T00:00:00Z");
    assert!(Resources.needs(&s0, &b.world.ctx(0, &at("2026-02-02T00:00:00Z"))).iter().all(|n| n.what != "confirm-delivery"));
    // Disputed: still not counted.
    b.act(1, "confirm", json!({ "delivery": d.id.as_str(), "verdict": "disputed", "note": "only three seats were offered" }), "2026-02-03T00:00:00Z");
    let s = b.state(1, "2026-02-04T00:00:00Z");
    assert_eq!(s["ledger"][0]["status"], "disputed");
    // The giver corrects to 3 seats; the receiver confirms the corrected delivery.
    b.act(0, "correct", json!({ "record": d.id.as_str(), "quantity": 3, "reason": "three seats" }), "2026-02-05T00:00:00Z");
    let s = b.state(1, "2026-02-06T00:00:00Z");
    assert_eq!((s["ledger"][0]["status"].as_str(), s["ledger"][0]["quantity"].as_f64()), (Some("awaiting-confirmation"), Some(3.0)), "{s}");
    b.act(1, "confirm", json!({ "delivery": d.id.as_str(), "verdict": "confirmed" }), "2026-02-07T00:00:00Z");
    let s = b.state(1, "2026-04-01T00:00:00Z");
    assert_eq!((s["ledger"][0]["status"].as_str(), s["ledger"][0]["value"].as_f64()), (Some("confirmed"), Some(3000.0)), "{s}");
    let commitment = &s["commitments"][0];
    // 3 of 4 seats by the due date: outstanding, late.
    assert_eq!((commitment["outstanding"].as_f64(), commitment["on_time"].as_bool()), (Some(1.0), Some(false)), "{commitment}");
    let needs = Resources.needs(&s, &b.world.ctx(0, &at("2026-04-01T00:00:00Z")));
    assert!(needs.iter().any(|n| n.what == "deliver" && n.overdue), "{needs:?}");
    // Corrected to 0, the commitment is cancelled: neither late nor due.
    b.act(0, "correct", json!({ "record": c.id.as_str(), "quantity": 0, "reason": "the course was cancelled" }), "2026-04-02T00:00:00Z");
    let s = b.state(1, "2026-04-03T00:00:00Z");
    let commitment = &s["commitments"][0];
    assert_eq!((commitment["cancelled"].as_bool(), commitment["on_time"].as_bool(), commitment["value"].as_f64()), (Some(true), None, Some(0.0)), "{commitment}");
    assert_eq!(s["periods"][0]["parties"].as_array().unwrap().iter().map(|p| p["due"].as_u64().unwrap()).sum::<u64>(), 0);
    assert!(Resources.needs(&s, &b.world.ctx(0, &at("2026-04-03T00:00:00Z"))).iter().all(|n| n.what != "deliver"));
}

#[test]
fn bad_input_is_refused_naming_the_property() {
    let mut b = Bench::scenario();
    let now = "2026-07-01T00:00:00Z";
    let commitment_of_a = b.made[7].id.to_string();
    let delivery_to_b = b.made[10].id.to_string();
    // A delivery against someone else's commitment.
    let why = b.refused(1, "deliver", json!({ "commitment": commitment_of_a, "quantity": 5 }), now, "commitment");
    assert!(why.contains("its own"), "{why}");
    // A confirmation by a party other than the receiver.
    let why = b.refused(2, "confirm", json!({ "delivery": delivery_to_b, "verdict": "confirmed" }), now, "delivery");
    assert!(why.contains("only the receiver"), "{why}");
    // A negative amount.
    let receiver = b.p(1);
    let why = b.refused(0, "commit", json!({ "resource": "money", "quantity": -5, "currency": "EUR", "receiver": receiver, "year": 2026, "due": "2026-09-01T00:00:00Z", "description": "x" }), now, "quantity");
    assert!(why.contains("negative"), "{why}");
    b.refused(0, "deliver", json!({ "commitment": commitment_of_a, "quantity": -1 }), now, "quantity");
    // A currency without a rate for its year.
    let why = b.refused(0, "commit", json!({ "resource": "money", "quantity": 5, "currency": "USD", "receiver": receiver, "year": 2027, "due": "2027-09-01T00:00:00Z", "description": "x" }), now, "currency");
    assert!(why.contains("USD in 2027"), "{why}");
    b.refused(0, "commit", json!({ "resource": "money", "quantity": 5, "currency": "GBP", "receiver": receiver, "year": 2026, "due": "2026-09-01T00:00:00Z", "description": "x" }), now, "currency");
    // In-kind without a rate, a commitment to oneself, hostile text.
    b.refused(0, "commit", json!({ "resource": "personnel", "category": "pilot", "quantity": 5, "receiver": receiver, "year": 2026, "due": "2026-09-01T00:00:00Z", "description": "x" }), now, "category");
    let me = b.p(0);
    b.refused(0, "commit", json!({ "resource": "money", "quantity": 5, "currency": "EUR", "receiver": me, "year": 2026, "due": "2026-09-01T00:00:00Z", "description": "x" }), now, "receiver");
    b.refused(0, "commit", json!({ "resource": "money", "quantity": 5, "currency": "eur<script>", "receiver": receiver, "year": 2026, "due": "2026-09-01T00:00:00Z", "description": "x" }), now, "currency");
    b.refused(0, "commit", json!({ "resource": "gold", "quantity": 5, "receiver": receiver, "year": 2026, "due": "2026-09-01T00:00:00Z", "description": "x" }), now, "resource");
    // A correction of someone else's entry.
    b.refused(1, "correct", json!({ "record": commitment_of_a, "quantity": 1, "reason": "x" }), now, "record");
    // Terms: a rate repeated, a key that cannot be met.
    let mut t = terms();
    t["exchange_rates"] = json!([{ "currency": "USD", "year": 2026, "rate": 0.5 }, { "currency": "USD", "year": 2026, "rate": 0.6 }]);
    b.refused(0, "propose-terms", t, now, "exchange_rates[1].year");
    let mut t = terms();
    t["cost_share"] = json!({ "method": "un-scale", "ceiling": 0.2 });
    b.refused(0, "propose-terms", t, now, "cost_share.ceiling");
    let mut t = terms();
    t["exchange_rates"][0]["rate"] = json!(-1);
    b.refused(0, "propose-terms", t, now, "exchange_rates[0].rate");
}

#[test]
fn declared_figures_for_a_year_twice_are_versions_the_later_counting() {
    let mut b = Bench::scenario();
    let first = b.made[6].clone();
    let again = b.act(2, "declare-figures", json!({ "year": 2026, "currency": "EUR", "gni": 400, "population": 10 }), "2026-08-01T00:00:00Z");
    assert_eq!(again.id, first.id, "a new version of the same record");
    let s = b.state(0, "2026-10-01T00:00:00Z");
    let f = s["figures"].as_array().unwrap().iter().find(|f| f["party"] == b.p(2)).unwrap();
    assert_eq!((f["version"].as_u64(), f["gni"].as_f64()), (Some(2), Some(400.0)), "{f}");
    assert_eq!(f["earlier"][0]["gni"].as_f64(), Some(100.0), "the earlier declaration is kept and shown: {f}");
    // GNI 600 : 300 : 400 now, so C's target is 400/1300 of 500.
    let row = party(&s["periods"][0], &b.p(2));
    assert_eq!(row["target_share"].as_f64(), Some((400.0f64 / 1300.0 * 1e6).round() / 1e6), "{row}");
}

#[test]
fn records_from_a_partner_that_break_the_ledger_rules_are_left_out_and_listed() {
    let mut b = Bench::scenario();
    let now = "2026-07-01T00:00:00Z";
    let before = b.state(0, now);
    // C's node sends a delivery against A's commitment, and a confirmation of a delivery to B.
    let commitment_of_a = b.made[7].id.to_string();
    let delivery_to_b = b.made[10].id.to_string();
    let forged = b.forge(2, DELIVERY, json!({ "commitment_ref": commitment_of_a, "quantity": 999, "delivered_at": "2026-06-30T00:00:00Z" }), now);
    let word = b.forge(2, CONFIRMATION, json!({ "delivery_ref": delivery_to_b, "verdict": "disputed" }), now);
    let after = b.state(0, now);
    assert_eq!(after["balances"], before["balances"]);
    assert_eq!(after["periods"], before["periods"]);
    let ignored = after["ignored"].as_array().unwrap();
    let named = |id: &str| ignored.iter().find(|x| x["id"] == id).map(|x| x["property"].clone());
    assert_eq!(named(forged.id.as_str()), Some(json!("commitment_ref")), "{ignored:?}");
    assert_eq!(named(word.id.as_str()), Some(json!("delivery_ref")), "{ignored:?}");
    // A record with a negative amount is refused on arrival, naming it.
    let mut props = Map::new();
    props.insert("commitment_ref".into(), json!(commitment_of_a));
    props.insert("quantity".into(), json!(-3));
    props.insert("delivered_at".into(), json!("2026-06-30T00:00:00Z"));
    let object = partnership::finish(&Resources, Draft::new(DELIVERY, props), &b.records(), &b.world.ctx(0, &at(now))).unwrap();
    match partnership::accept(&Resources, &object, &b.world.ctx(1, &at(now))) {
        Err(Error::Invalid { property, .. }) => assert_eq!(property, "quantity"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn no_terms_in_force_until_every_party_accepts() {
    let mut b = Bench::new();
    let t = b.act(0, "propose-terms", terms(), "2026-01-02T00:00:00Z");
    b.act(0, "accept-terms", json!({ "terms": t.id.as_str() }), "2026-01-03T00:00:00Z");
    b.act(1, "accept-terms", json!({ "terms": t.id.as_str() }), "2026-01-03T00:00:00Z");
    let receiver = b.p(1);
    let commit = json!({ "resource": "money", "quantity": 5, "currency": "EUR", "receiver": receiver, "year": 2026, "due": "2026-09-01T00:00:00Z", "description": "x" });
    b.refused(0, "commit", commit.clone(), "2026-01-04T00:00:00Z", "resource");
    let s = b.state(2, "2026-01-04T00:00:00Z");
    assert!(Resources.needs(&s, &b.world.ctx(2, &at("2026-01-04T00:00:00Z"))).iter().any(|n| n.what == "accept-resource-terms"));
    b.act(2, "accept-terms", json!({ "terms": t.id.as_str() }), "2026-01-05T00:00:00Z");
    b.act(0, "commit", commit, "2026-01-06T00:00:00Z");
}

#[test]
fn joint_projects_are_funded_through_the_ledger() {
    let mut b = Bench::scenario();
    let project = b.made[16].id.to_string();
    let pledge = b.made[17].id.to_string();
    let now = "2026-07-01T00:00:00Z";
    let s = b.state(1, now);
    let p = &s["projects"][0];
    assert_eq!((p["lead"].as_str(), p["pledged"].as_f64(), p["funded"].as_f64()), (Some(b.p(1).as_str()), Some(200.0), Some(0.0)), "{p}");
    let d = b.act(0, "deliver", json!({ "commitment": pledge, "quantity": 200 }), now);
    b.act(1, "confirm", json!({ "delivery": d.id.as_str(), "verdict": "confirmed" }), now);
    let s = b.state(1, now);
    let p = &s["projects"][0];
    assert_eq!((p["funded"].as_f64(), p["funded_share"].as_f64()), (Some(200.0), Some(0.2)), "{p}");
    assert_eq!(p["contributions"][0]["party"], b.p(0).as_str());
    // The lead's inbox shows the milestone once it is near.
    let needs = Resources.needs(&b.state(1, "2026-11-20T00:00:00Z"), &b.world.ctx(1, &at("2026-11-20T00:00:00Z")));
    assert!(needs.iter().any(|n| n.what == "project-milestone" && n.record == project), "{needs:?}");
    // A contribution goes to the lead; the lead's own to a participant; the lead alone updates it.
    let lead = b.p(1);
    let other = b.p(2);
    let input = |receiver: &str| json!({ "resource": "money", "quantity": 5, "currency": "EUR", "receiver": receiver, "year": 2026, "due": "2026-11-01T00:00:00Z", "description": "x", "project": project });
    b.refused(0, "commit", input(&other), now, "receiver");
    b.act(1, "commit", input(&other), now);
    b.act(2, "commit", input(&lead), now);
    b.refused(0, "update-project", json!({ "project": project, "status": "completed" }), now, "project");
    b.act(1, "update-project", json!({ "project": project, "status": "completed" }), now);
    b.refused(2, "commit", input(&lead), now, "project");
    let s = b.state(0, now);
    assert_eq!((s["projects"][0]["status"].as_str(), s["projects"][0]["versions"].as_u64()), (Some("completed"), Some(2)));
}

#[test]
fn capacity_building_requests_offers_and_matches_become_commitments() {
    let mut b = Bench::new();
    let now = "2026-02-01T00:00:00Z";
    let t = b.act(0, "propose-terms", terms(), now);
    for who in 0..3 {
        b.act(who, "accept-terms", json!({ "terms": t.id.as_str() }), now);
    }
    let request = b.act(2, "request-support", json!({ "resource": "personnel", "category": "analyst", "quantity": 300, "description": "analysts for the new CERT", "needed_by": "2026-06-01T00:00:00Z" }), now);
    // The requester does not offer to itself.
    b.refused(2, "offer-support", json!({ "request": request.id.as_str(), "quantity": 10 }), now, "request");
    let offer = b.act(0, "offer-support", json!({ "request": request.id.as_str(), "quantity": 200 }), now);
    let second = b.act(1, "offer-support", json!({ "request": request.id.as_str(), "quantity": 100 }), now);
    let needs = Resources.needs(&b.state(2, now), &b.world.ctx(2, &at(now)));
    assert_eq!(needs.iter().filter(|n| n.what == "consider-offer").count(), 2, "{needs:?}");
    // Only the requester matches; an unmatched offer cannot be committed.
    b.refused(1, "match-offer", json!({ "offer": offer.id.as_str() }), now, "offer");
    let commit = |offer: &Record| json!({ "resource": "personnel", "category": "analyst", "quantity": 200, "year": 2026, "due": "2026-05-01T00:00:00Z", "description": "seconded analysts", "offer": offer.id.as_str() });
    b.refused(0, "commit", commit(&offer), now, "offer");
    b.act(2, "match-offer", json!({ "offer": offer.id.as_str() }), now);
    b.refused(2, "match-offer", json!({ "offer": offer.id.as_str() }), now, "offer");
    let needs = Resources.needs(&b.state(0, now), &b.world.ctx(0, &at(now)));
    assert!(needs.iter().any(|n| n.what == "commit-offer" && n.record == offer.id.as_str()), "{needs:?}");
    // Another's offer is not the caller's to commit; the resource must be the one requested.
    b.refused(1, "commit", commit(&offer), now, "offer");
    let mut wrong = commit(&offer);
    wrong["resource"] = json!("training");
    wrong.as_object_mut().unwrap().remove("category");
    b.refused(0, "commit", wrong, now, "resource");
    let c = b.act(0, "commit", commit(&offer), now);
    b.refused(0, "commit", commit(&offer), now, "offer");
    let s = b.state(2, now);
    let q = &s["requests"][0];
    assert_eq!((q["offered"].as_f64(), q["matched"].as_f64(), q["committed"].as_f64(), q["covered"].as_bool()), (Some(300.0), Some(200.0), Some(200.0), Some(false)), "{q}");
    assert_eq!(s["commitments"][0]["receiver"], b.p(2).as_str(), "a matched offer goes to the requester");
    b.act(2, "match-offer", json!({ "offer": second.id.as_str() }), now);
    let mut rest = commit(&second);
    rest["quantity"] = json!(100);
    b.act(1, "commit", rest, now);
    let d = b.act(0, "deliver", json!({ "commitment": c.id.as_str(), "quantity": 200 }), "2026-03-01T00:00:00Z");
    b.act(2, "confirm", json!({ "delivery": d.id.as_str(), "verdict": "confirmed" }), "2026-03-02T00:00:00Z");
    let s = b.state(2, "2026-03-03T00:00:00Z");
    let q = &s["requests"][0];
    assert_eq!((q["committed"].as_f64(), q["delivered"].as_f64(), q["covered"].as_bool()), (Some(300.0), Some(200.0), Some(true)), "{q}");
    // The delivery counts in the ledger like any other: 200 analyst hours at 100.
    assert_eq!(s["ledger"][0]["value"].as_f64(), Some(20000.0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// The same ledger records, arriving in any order and split between
    /// arrivals, give the same balances and figures.
    #[test]
    fn the_same_records_in_any_order_give_the_same_balances(amounts in prop::collection::vec((0usize..3, 1u32..100_000, 0u8..3), 1..12), order in prop::collection::vec(0usize..1000, 0..80), split in 0usize..80) {
        let mut b = Bench::scenario();
        let mut t = at("2026-07-01T00:00:00Z").micros();
        for (giver, amount, verdict) in amounts {
            t += 60_000_000;
            let now = Timestamp::from_micros(t).to_string();
            let receiver = b.p((giver + 1) % 3);
            let c = b.act(giver, "commit", json!({ "resource": "money", "quantity": f64::from(amount) / 100.0, "currency": if amount % 2 == 0 { "EUR" } else { "USD" }, "receiver": receiver, "year": 2026, "due": "2026-12-01T00:00:00Z", "description": "x" }), &now);
            let d = b.act(giver, "deliver", json!({ "commitment": c.id.as_str(), "quantity": f64::from(amount) / 100.0 }), &now);
            if verdict > 0 {
                b.act((giver + 1) % 3, "confirm", json!({ "delivery": d.id.as_str(), "verdict": if verdict == 1 { "confirmed" } else { "disputed" } }), &now);
            }
        }
        let now = "2026-12-31T00:00:00Z";
        let expected = b.state(0, now);
        let n = b.made.len();
        let shuffled: Vec<Record> = order.iter().map(|i| b.made[i % n].clone()).collect();
        let (first, second) = shuffled.split_at(split.min(shuffled.len()));
        let node = Records::new(Records::new(first.to_vec()).iter().cloned().chain(second.iter().cloned()).chain(b.made.iter().rev().cloned()));
        let got = Resources.state(&node, &b.world.ctx(0, &at(now)));
        prop_assert_eq!(&got["balances"], &expected["balances"]);
        prop_assert_eq!(&got["periods"], &expected["periods"]);
        prop_assert_eq!(&got["ledger"], &expected["ledger"]);
    }
}
