//! Scorecard snapshots as partnership records (docs/assessment.md#snapshots):
//! the module `scorecard`, whose one kind, `x-entente-scorecard-snapshot`,
//! is a scorecard's figures (no evidence lists) as one party's node
//! computed them at a time, authored by that party, travelling to the
//! agreement's parties like every partnership record. Trends are then
//! evidence too: a party's self-assessment beside its partner's view of it.
//! `node::scorecard::snapshot` computes the figures and takes the action;
//! the state lists the snapshots in time order with each party's composite.

use model::Timestamp;
use partnership::{Action, Context, Draft, Error, Module, Record, Records};
use serde_json::{json, Map, Value};

use crate::{Indicator, Scorecard};

/// The record kind.
pub const SNAPSHOT: &str = "x-entente-scorecard-snapshot";

/// The module.
pub struct Snapshots;

/// The properties of a snapshot (and the action's input).
const PROPERTIES: [&str; 5] = ["at", "window_days", "parties", "pairs", "note"];

/// A scorecard's figures as a snapshot's properties: `at`, `window_days`,
/// and per party and per pair the composite and each measured figure's
/// value (`null` when too few or absent); per pair the trust too.
pub fn summary(card: &Scorecard) -> Map<String, Value> {
    let figures = |f: &[crate::Figure]| -> Map<String, Value> { f.iter().map(|f| (f.indicator.name().to_owned(), json!(f.value))).collect() };
    let mut m = Map::new();
    m.insert("at".into(), json!(Timestamp::from_micros(card.at).to_string()));
    m.insert("window_days".into(), json!(card.window_days));
    m.insert("parties".into(), card.parties.iter().map(|p| json!({ "party": p.party, "composite": p.composite.value, "figures": figures(&p.figures) })).collect());
    m.insert(
        "pairs".into(),
        card.pairs.iter().map(|p| json!({ "from": p.from, "to": p.to, "composite": p.composite.value, "trust": p.trust.value, "figures": figures(&p.figures) })).collect(),
    );
    m
}

impl Module for Snapshots {
    fn name(&self) -> &'static str {
        "scorecard"
    }
    fn about(&self) -> &'static str {
        "Snapshots of the partnership scorecard, each as one party's node computed it: trends as shared evidence."
    }
    fn extension(&self) -> &'static str {
        "extension-definition--5c0e7a12-3b4d-4f6e-8a9b-0c1d2e3f4a5b"
    }
    fn kinds(&self) -> &'static [&'static str] {
        &[SNAPSHOT]
    }
    /// The release service level and the indicators' weights ([`crate::terms`]).
    fn terms(&self) -> &'static [&'static str] {
        &[crate::terms::SERVICE_LEVEL_TERM, crate::terms::WEIGHTS_TERM]
    }
    fn check_terms(&self, agreement: &policy::Agreement) -> Result<(), Error> {
        crate::terms::read(agreement).map(drop).map_err(|(property, why)| Error::invalid(&agreement.id, property, why))
    }
    fn actions(&self) -> &'static [Action] {
        &[Action { name: "snapshot", about: "Record a scorecard's figures (at, window_days, parties, pairs; note): `entente scorecard --snapshot` computes them.", kind: SNAPSHOT }]
    }
    fn validate(&self, record: &Record, ctx: &Context<'_>) -> Result<(), Error> {
        let id = &record.id;
        let bad = |path: String, why: &str| Error::invalid(id, path, why.to_owned());
        record.opt_time("at")?.ok_or_else(|| bad("at".into(), "is required (a timestamp)"))?;
        let days = record.properties.get("window_days").and_then(Value::as_i64);
        if !days.is_some_and(|d| (1..=3650).contains(&d)) {
            return Err(bad("window_days".into(), "must be a whole number of days from 1 to 3650"));
        }
        if let Some(n) = record.properties.get("note") {
            if !n.is_string() {
                return Err(bad("note".into(), "must be a string"));
            }
        }
        if let Some(k) = record.properties.keys().find(|k| !PROPERTIES.contains(&k.as_str()) && !COMMON.contains(&k.as_str())) {
            return Err(bad(k.clone(), "is not a snapshot property (at, window_days, parties, pairs, note)"));
        }
        let party = |v: &Value, path: String| -> Result<(), Error> {
            let p = v.as_str().ok_or_else(|| bad(path.clone(), "must be a party's identity id"))?;
            if !ctx.agreement.terms.parties.iter().any(|x| x.as_str() == p) {
                return Err(bad(path, "is not a party to the agreement"));
            }
            Ok(())
        };
        let unit = |v: Option<&Value>, path: String| -> Result<(), Error> {
            match v {
                None | Some(Value::Null) => Ok(()),
                Some(x) if x.as_f64().is_some_and(|x| (0.0..=1.0).contains(&x)) => Ok(()),
                Some(_) => Err(bad(path, "must be a number from 0 to 1, or null")),
            }
        };
        let figures = |v: &Value, path: &str| -> Result<(), Error> {
            let m = v.as_object().ok_or_else(|| bad(path.to_owned(), "must be an object of indicator names to values"))?;
            for (name, x) in m {
                if Indicator::parse(name).is_none() {
                    return Err(bad(format!("{path}.{name}"), "is not an indicator"));
                }
                unit(Some(x), format!("{path}.{name}"))?;
            }
            Ok(())
        };
        let rows = |name: &str| -> Result<&Vec<Value>, Error> { record.properties.get(name).and_then(Value::as_array).ok_or_else(|| bad(name.to_owned(), "must be a list")) };
        for (i, row) in rows("parties")?.iter().enumerate() {
            party(&row["party"], format!("parties[{i}].party"))?;
            unit(row.get("composite"), format!("parties[{i}].composite"))?;
            figures(&row["figures"], &format!("parties[{i}].figures"))?;
        }
        for (i, row) in rows("pairs")?.iter().enumerate() {
            party(&row["from"], format!("pairs[{i}].from"))?;
            party(&row["to"], format!("pairs[{i}].to"))?;
            unit(row.get("composite"), format!("pairs[{i}].composite"))?;
            unit(row.get("trust"), format!("pairs[{i}].trust"))?;
            figures(&row["figures"], &format!("pairs[{i}].figures"))?;
        }
        Ok(())
    }
    fn act(&self, action: &str, input: &Map<String, Value>, _records: &Records, _ctx: &Context<'_>) -> Result<Draft, Error> {
        match action {
            "snapshot" => Ok(Draft::new(SNAPSHOT, partnership::input::take(input, &PROPERTIES, &[])?)),
            other => Err(Error::NotFound(format!("no action {other}"))),
        }
    }
    /// The snapshots by `at` (then author, id), each with every party's
    /// composite; per author, each party's composite over time (its trend).
    fn state(&self, records: &Records, _ctx: &Context<'_>) -> Value {
        let mut list: Vec<&Record> = records.of_kind(SNAPSHOT).collect();
        let at = |r: &Record| r.properties.get("at").and_then(Value::as_str).and_then(|t| Timestamp::parse(t).ok()).map_or(0, |t| t.micros());
        list.sort_by(|a, b| (at(a), a.author.as_str(), a.id.as_str()).cmp(&(at(b), b.author.as_str(), b.id.as_str())));
        let mut trends: Map<String, Value> = Map::new();
        let snapshots: Vec<Value> = list
            .iter()
            .map(|r| {
                let composites: Map<String, Value> = r.properties["parties"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| Some((p["party"].as_str()?.to_owned(), p["composite"].clone())))
                    .collect();
                if let Some(by) = trends.entry(r.author.to_string()).or_insert_with(|| json!({})).as_object_mut() {
                    for (party, c) in &composites {
                        if let Some(series) = by.entry(party.clone()).or_insert_with(|| json!([])).as_array_mut() {
                            series.push(json!({ "at": r.properties["at"], "composite": c }));
                        }
                    }
                }
                json!({
                    "id": r.id.as_str(), "author": r.author.as_str(), "at": r.properties["at"],
                    "window_days": r.properties["window_days"], "note": r.properties.get("note"),
                    "composites": composites, "parties": r.properties["parties"], "pairs": r.properties["pairs"],
                })
            })
            .collect();
        json!({ "snapshots": snapshots, "trends": trends })
    }
}

/// The properties the kit sets on every record.
const COMMON: [&str; 9] = ["type", "spec_version", "id", "created", "modified", "created_by_ref", partnership::AGREEMENT_REF, "revoked", "extensions"];
