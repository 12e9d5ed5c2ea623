//! Agreement actions refuse bad terms with the property at fault kept
//! apart from the message (forms mark the field from it).

use serde_json::json;

use super::*;

const ME: &str = "identity--0a000000-0000-4000-8000-000000000001";
const OTHER: &str = "identity--0b000000-0000-4000-8000-000000000002";

fn terms(change: (&str, Value)) -> Map<String, Value> {
    let mut t = json!({
        "title": "A–B", "purpose": "share", "party_refs": [ME, OTHER],
        "scope": {"object_types": ["indicator"], "labels": [], "data_kind": "real"}, "tlp_ceiling": "amber",
        "handling": {"reshare": "parties-only", "attribution": "required", "permitted_actions": []},
        "valid_from": "2020-01-01T00:00:00Z"
    });
    t[change.0] = change.1;
    t.as_object().unwrap().clone()
}

fn refusal(store: &dyn Store, terms: &Map<String, Value>) -> Refusal {
    match propose(store, &StixId::parse(ME).unwrap(), None, terms, &[]) {
        Err(Error::Invalid(r)) => r,
        other => panic!("refused as invalid, not {other:?}"),
    }
}

#[test]
fn refusals_name_the_property_apart_from_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_sqlite::SqliteStore::open(dir.path()).unwrap();
    let cases = [
        (terms(("tlp_ceiling", json!("purple"))), "tlp_ceiling"),
        (terms(("valid_from", json!("2026-13-45"))), "valid_from"),
        (terms(("party_refs", json!([OTHER, "identity--0c000000-0000-4000-8000-000000000003"]))), "party_refs"),
        (terms(("surprise", json!(1))), "surprise"),
    ];
    // The terms as given are good: each case breaks one property.
    assert!(propose(&store, &StixId::parse(ME).unwrap(), None, &terms(("title", json!("Good"))), &[]).is_ok());
    for (terms, property) in cases {
        let r = refusal(&store, &terms);
        assert_eq!(r.property.as_deref().map(|p| p.split(['[', '.']).next().unwrap()), Some(property), "{r}");
        assert!(r.message().contains(&format!("property `{}`", r.property.as_deref().unwrap())), "the message names it too: {r}");
        assert!(r.message().ends_with(&r.why), "{r}");
        assert!(!r.why.contains("property `"), "why is the fault alone: {}", r.why);
    }
    // A refusal about no one property names none.
    let r = Refusal::new("notice x is already cancelled");
    assert_eq!((r.property, r.why.as_str()), (None, "notice x is already cancelled"));
}

#[test]
fn a_modules_terms_are_taken_only_with_the_module_and_checked_by_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_sqlite::SqliteStore::open(dir.path()).unwrap();
    let modules: Vec<std::sync::Arc<dyn partnership::Module>> = vec![std::sync::Arc::new(disputes::Disputes)];
    let me = StixId::parse(ME).unwrap();
    let good = json!({ "ladder": [{ "stage": "consultation", "days": 7 }, { "stage": "arbitration", "days": 30 }], "remedies": [{ "from": "arbitration", "effect": "suspend-sharing" }] });
    // Without the module, its term is no agreement term.
    match propose(&store, &me, None, &terms(("dispute_terms", good.clone())), &[]) {
        Err(Error::Invalid(r)) => assert_eq!(r.property.as_deref(), Some("dispute_terms"), "{r}"),
        other => panic!("refused, not {other:?}"),
    }
    let agreement = propose(&store, &me, None, &terms(("dispute_terms", good)), &modules).expect("the module's term is taken");
    assert_eq!(disputes::types::terms(&agreement).unwrap().ladder, vec![("consultation", 7), ("arbitration", 30)]);
    for (bad, property) in [
        (json!({ "ladder": [{ "stage": "consultation", "days": 0 }] }), "dispute_terms.ladder[0].days"),
        (json!({ "ladder": [{ "stage": "arbitration", "days": 5 }, { "stage": "consultation", "days": 5 }] }), "dispute_terms.ladder[1].stage"),
        (json!({ "remedies": [{ "from": "court", "effect": "suspend-sharing" }] }), "dispute_terms.remedies[0].from"),
        (json!({ "remedies": [{ "from": "mediation", "effect": "sanctions" }] }), "dispute_terms.remedies[0].effect"),
        (json!({ "ladders": [] }), "dispute_terms.ladders"),
    ] {
        match propose(&store, &me, None, &terms(("dispute_terms", bad)), &modules) {
            Err(Error::Invalid(r)) => assert_eq!(r.property.as_deref(), Some(property), "{r}"),
            other => panic!("{property}: refused, not {other:?}"),
        }
    }
}
