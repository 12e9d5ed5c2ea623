//! The CSV exports (`ledger.csv`, `commitments.csv`, `figures.csv`): the
//! year worked by hand comes out row by row with names and ids; hostile
//! descriptions and notes are defused (a formula is text) and quoted; a
//! file not offered is refused.

use super::Bench;
use partnership::{Error, Module};
use resources::Resources;
use serde_json::json;

fn lines(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8(bytes.to_vec()).expect("utf-8");
    assert!(text.ends_with("\r\n"), "lines end with CRLF");
    text.trim_end_matches("\r\n").split("\r\n").map(str::to_owned).collect()
}

#[test]
fn the_ledger_commitments_and_figures_export_as_csv_with_formulas_defused() {
    let mut b = Bench::scenario();
    let (p0, p1) = (b.p(0), b.p(1));
    let names = move |id: &str| if id == p0 { "Aurelia".to_owned() } else if id == p1 { "Borealis, \"the north\"".to_owned() } else { id.to_owned() };
    let c = b.act(0, "commit", json!({ "resource": "money", "quantity": 10, "currency": "EUR", "receiver": b.p(1), "year": 2026, "due": "2026-09-01T00:00:00Z", "description": "=HYPERLINK(\"http://evil\",\"x\")" }), "2026-08-01T00:00:00Z");
    b.act(0, "deliver", json!({ "commitment": c.id.as_str(), "quantity": 10, "note": "@SUM(1+1)*cmd|' /C calc'!A0" }), "2026-08-02T00:00:00Z");
    let state = b.state(0, "2026-10-01T00:00:00Z");
    assert_eq!(Resources.files().iter().map(|f| f.name).collect::<Vec<_>>(), ["ledger.csv", "commitments.csv", "figures.csv"]);

    let ledger = Resources.file("ledger.csv", None, &state, &names).expect("the ledger");
    assert_eq!((ledger.name.as_str(), ledger.media_type), ("ledger.csv", "text/csv; charset=utf-8"));
    let rows = lines(&ledger.bytes);
    assert!(rows[0].starts_with(r#""delivery","giver","giver_id","receiver","receiver_id","commitment","resource","quantity","measure""#), "{}", rows[0]);
    assert!(rows[0].contains(r#""value (EUR)""#), "{}", rows[0]);
    assert_eq!(rows.len(), 1 + 4, "{rows:?}");
    // The first delivery of the year worked by hand: 300 EUR from Aurelia to Borealis, confirmed.
    assert!(rows[1].contains(&format!(r#""Aurelia","{}","Borealis, ""the north""","{}""#, b.p(0), b.p(1))) && rows[1].contains(r#""300","EUR""#) && rows[1].contains(r#""confirmed""#), "{}", rows[1]);
    let hostile = rows.iter().find(|r| r.contains("SUM")).expect("the hostile delivery");
    assert!(hostile.ends_with(r#""'@SUM(1+1)*cmd|' /C calc'!A0""#) && hostile.contains(r#""awaiting-confirmation""#), "{hostile}");

    let commitments = lines(&Resources.file("commitments.csv", None, &state, &names).unwrap().bytes);
    let hostile = commitments.iter().find(|r| r.contains("HYPERLINK")).expect("the hostile commitment");
    assert!(hostile.contains(r#""'=HYPERLINK(""http://evil"",""x"")""#), "{hostile}");
    assert!(commitments.iter().all(|r| !r.contains(",\"=")), "a formula left live: {commitments:?}");

    let figures = lines(&Resources.file("figures.csv", None, &state, &names).unwrap().bytes);
    assert!(figures[0].starts_with(r#""year","party","party_id","pledged","contributed""#), "{}", figures[0]);
    assert_eq!(figures.len(), 1 + 3);
    // Borealis's row of 2026: 100 contributed, target 150, balance -50 (a number, not defused), under, R 0.666667.
    let borealis = figures.iter().find(|r| r.contains("the north")).unwrap();
    assert!(borealis.starts_with(r#""2026","Borealis, ""the north""""#) && borealis.contains(r#""-50","under""#) && borealis.contains(r#""0.666667""#), "{borealis}");
    assert!(borealis.contains(r#""0.242424","-0.5""#), "the year's Gini and rho: {borealis}");

    assert!(matches!(Resources.file("report.pdf", None, &state, &names), Err(Error::NotFound(_))));
}
