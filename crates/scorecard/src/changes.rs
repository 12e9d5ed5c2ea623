//! What changed since the last review (docs/assessment.md#what-changed):
//! a scorecard's figures against a snapshot's (the properties of an
//! `x-entente-scorecard-snapshot`, `snapshot::summary`'s shape), per row
//! (each party, each directed pair) and per figure (every indicator, the
//! composite, a pair's trust): up or down by at least [`STEP`], new (a
//! number now, none then: measured since, or a row that was not there),
//! gone (a number then, none now). Figures within [`STEP`] are unchanged
//! and not listed. Pure.

use serde_json::Value;

use crate::{Indicator, Scorecard};

/// The smallest change listed: half the last digit the report shows.
pub const STEP: f64 = 0.005;

/// How a figure moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Movement {
    /// Lower than at the last review.
    Down,
    /// A number then, none now (too few, absent, or the row is gone).
    Gone,
    /// A number now, none then.
    New,
    /// Higher than at the last review.
    Up,
}

impl Movement {
    /// Its word in a report.
    pub fn word(self) -> &'static str {
        match self {
            Movement::Up => "up",
            Movement::Down => "down",
            Movement::New => "new",
            Movement::Gone => "gone",
        }
    }
}

/// Which row a figure is in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Row {
    /// A party's row.
    Party(String),
    /// A directed pair's row: from, to.
    Pair(String, String),
}

/// One figure that moved.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The row.
    pub row: Row,
    /// The figure: an indicator's name, `composite` or `trust`.
    pub figure: String,
    /// Its value at the last review.
    pub then: Option<f64>,
    /// Its value now.
    pub now: Option<f64>,
    /// How it moved.
    pub movement: Movement,
}

/// The figures of `card` against those of `snapshot` (a snapshot record's
/// properties): the changes, those of party rows first, then by the size
/// of the change (new and gone after the moves), then by row and figure.
/// A snapshot property that is not a number in [0, 1] counts as no value.
pub fn changes(card: &Scorecard, snapshot: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    let mut rows: Vec<(Row, Vec<(String, Option<f64>)>)> = Vec::new();
    for p in &card.parties {
        let mut f: Vec<(String, Option<f64>)> = p.figures.iter().map(|f| (f.indicator.name().to_owned(), f.value)).collect();
        f.push(("composite".into(), p.composite.value));
        rows.push((Row::Party(p.party.clone()), f));
    }
    for p in &card.pairs {
        let mut f: Vec<(String, Option<f64>)> = p.figures.iter().map(|f| (f.indicator.name().to_owned(), f.value)).collect();
        f.push(("composite".into(), p.composite.value));
        f.push(("trust".into(), Some(p.trust.value)));
        rows.push((Row::Pair(p.from.clone(), p.to.clone()), f));
    }
    let then_rows = snapshot_rows(snapshot);
    for (row, figures) in &rows {
        let then = then_rows.iter().find(|(r, _)| r == row).map(|(_, f)| f);
        for (name, now) in figures {
            let before = then.and_then(|f| f.iter().find(|(n, _)| n == name)).and_then(|(_, v)| *v);
            if let Some(movement) = movement(before, *now) {
                out.push(Change { row: row.clone(), figure: name.clone(), then: before, now: *now, movement });
            }
        }
    }
    // Rows of the snapshot that are not in the scorecard: every number gone.
    for (row, figures) in &then_rows {
        if !rows.iter().any(|(r, _)| r == row) {
            for (name, before) in figures.iter().filter(|(_, v)| v.is_some()) {
                out.push(Change { row: row.clone(), figure: name.clone(), then: *before, now: None, movement: Movement::Gone });
            }
        }
    }
    let size = |c: &Change| match (c.then, c.now) {
        (Some(a), Some(b)) => -(b - a).abs(),
        _ => 0.0,
    };
    out.sort_by(|a, b| {
        let pair = |c: &Change| matches!(c.row, Row::Pair(..));
        (pair(a), size(a)).partial_cmp(&(pair(b), size(b))).unwrap_or(std::cmp::Ordering::Equal).then_with(|| (&a.row, &a.figure).cmp(&(&b.row, &b.figure)))
    });
    out
}

fn movement(then: Option<f64>, now: Option<f64>) -> Option<Movement> {
    match (then, now) {
        (Some(a), Some(b)) if b - a >= STEP => Some(Movement::Up),
        (Some(a), Some(b)) if a - b >= STEP => Some(Movement::Down),
        (None, Some(_)) => Some(Movement::New),
        (Some(_), None) => Some(Movement::Gone),
        _ => None,
    }
}

/// A snapshot's rows: each with its figures, composite and (pairs) trust.
fn snapshot_rows(snapshot: &Value) -> Vec<(Row, Vec<(String, Option<f64>)>)> {
    let unit = |v: &Value| v.as_f64().filter(|x| (0.0..=1.0).contains(x));
    let figures = |row: &Value, extra: &[&str]| -> Vec<(String, Option<f64>)> {
        let mut f: Vec<(String, Option<f64>)> = row["figures"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(name, _)| Indicator::parse(name).is_some())
            .map(|(name, v)| (name.clone(), unit(v)))
            .collect();
        f.extend(extra.iter().map(|k| ((*k).to_owned(), unit(&row[*k]))));
        f
    };
    let mut rows = Vec::new();
    for p in snapshot["parties"].as_array().into_iter().flatten() {
        if let Some(party) = p["party"].as_str() {
            rows.push((Row::Party(party.to_owned()), figures(p, &["composite"])));
        }
    }
    for p in snapshot["pairs"].as_array().into_iter().flatten() {
        if let (Some(from), Some(to)) = (p["from"].as_str(), p["to"].as_str()) {
            rows.push((Row::Pair(from.to_owned(), to.to_owned()), figures(p, &["composite", "trust"])));
        }
    }
    rows
}
