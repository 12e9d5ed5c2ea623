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

/// The kit's agreements module (`crates/agreements`) acting on a node
/// writes what the agreement actions write and reads what they read: a
/// ratification signed with the party's key that the index verifies, a
/// notice given and cancelled before it takes effect, an amendment by its
/// proposer alone; its state's status is the index's; a signed action
/// without the node's keys is refused.
#[test]
fn the_agreements_module_acts_as_the_agreement_actions_do() {
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(store_sqlite::SqliteStore::open(dir.path()).unwrap());
    let keys = KeyDir::in_data_dir(dir.path());
    let (me, other) = (StixId::parse(ME).unwrap(), StixId::parse(OTHER).unwrap());
    let t0 = Timestamp::parse("2020-01-01T00:00:00Z").unwrap();
    for (party, name) in [(&me, "A"), (&other, "B")] {
        let public = keys.create(party.as_str()).unwrap();
        // Its own identity (authored by itself), as crate::identity writes it: its key counts.
        let mut identity = policy::ext::partner_identity(party, name, &public, &t0).unwrap().to_value();
        identity["created_by_ref"] = json!(party.as_str());
        put_own(&*store, Object::from_value(identity).unwrap(), party).unwrap();
    }
    let modules = crate::modules::build([Arc::new(::agreements::Agreements) as Arc<dyn partnership::Module>]);
    let module = crate::modules::find(&modules, "agreements").unwrap();
    let log = audit::SharedLog::open(dir.path().join("release.log")).unwrap();
    let node = crate::modules::Node { store: store.clone(), agreements: Arc::new(crate::release::Agreements::default()), log, limits: model::Limits::default() };
    let id = propose(&*store, &me, None, &terms(("title", json!("A–B"))), &[]).unwrap().id;
    let none = Map::new();
    let act = |who: &StixId, action: &str, input: &Map<String, Value>| crate::modules::act_signed(&node, &keys, who, &id, &*module, action, input, "test");
    let status = |who: &StixId| crate::modules::state_json(&*module, &crate::modules::view(&node, who, &id, &*module, "test").unwrap())["state"].clone();

    // Without the node's keys a ratification is refused; with them it is signed.
    let unsigned = crate::modules::act(&node, &me, &id, &*module, "ratify", &none, "test");
    assert!(matches!(unsigned, Err(crate::modules::Error::Module(partnership::Error::Forbidden(_)))), "{unsigned:?}");
    assert_eq!(status(&me)["status"], "draft");
    act(&me, "ratify", &none).unwrap();
    ratify(&*store, &keys, &other, &id).unwrap();
    let book = Book::load(&*store).unwrap();
    let now = Timestamp::now();
    let view = book.view(&id, &me, &now).unwrap();
    assert_eq!(view.state, policy::AgreementState::InForce);
    assert_eq!(view.ratifications.len(), 2);
    assert!(view.ratifications.iter().all(|(_, _, verifies)| *verifies), "both signatures verify: {:?}", view.ratifications);
    let state = status(&other);
    assert_eq!(state["status"], "in-force", "{state}");
    assert_eq!(state["ratifications"].as_array().unwrap().iter().filter(|r| r["of_latest"] == json!(true)).count(), 2, "{state}");

    // A notice effective later, cancelled by its author only.
    let later = json!({ "notice_type": "suspension", "effective": "2099-01-01T00:00:00Z" }).as_object().unwrap().clone();
    let notice = act(&other, "give-notice", &later).unwrap();
    let cancel = json!({ "notice": notice.id().as_str() }).as_object().unwrap().clone();
    assert!(matches!(act(&me, "cancel-notice", &cancel), Err(crate::modules::Error::Module(partnership::Error::Forbidden(_)))));
    act(&other, "cancel-notice", &cancel).unwrap();
    let view = Book::load(&*store).unwrap().view(&id, &me, &Timestamp::now()).unwrap();
    assert_eq!(view.notices.len(), 1);
    assert!(view.notices[0].revoked, "cancelled as cancel_notice cancels: {:?}", view.notices);
    let state = status(&me);
    assert_eq!(state["notices"][0]["cancelled"], json!(true), "{state}");

    // An amendment by its proposer alone: a new version, which needs ratifying again.
    let amended = terms(("title", json!("A–B, amended")));
    assert!(matches!(act(&other, "propose", &amended), Err(crate::modules::Error::Module(partnership::Error::Forbidden(_)))));
    act(&me, "propose", &amended).unwrap();
    let view = Book::load(&*store).unwrap().view(&id, &me, &Timestamp::now()).unwrap();
    assert_eq!(view.versions.len(), 2);
    assert_eq!(view.agreement.terms.title, "A–B, amended");
    assert!(matches!(view.state, policy::AgreementState::Draft | policy::AgreementState::AwaitingRatification { .. }), "{:?}", view.state);
    let state = status(&me);
    assert_eq!((state["versions"].clone(), state["title"].clone(), state["status"].clone()), (json!(2), json!("A–B, amended"), json!(view.state.name())), "{state}");
}

/// Entente's own kinds stay `policy`'s to check on arrival, even with the
/// agreements module running: a ratification by a party an amendment adds
/// may arrive before the amendment, and refusing it then would lose it for
/// good (sync's cursor moves on). A module's own kind is still checked.
#[test]
fn the_agreements_own_kinds_arrive_in_any_order() {
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let store = store_sqlite::SqliteStore::open(dir.path()).unwrap();
    let me = StixId::parse(ME).unwrap();
    let agreement = propose(&store, &me, None, &terms(("title", json!("A–B"))), &[]).unwrap();
    let book = Book::load(&store).unwrap();
    let modules = crate::modules::build([Arc::new(::agreements::Agreements) as Arc<dyn partnership::Module>, Arc::new(disputes::Disputes)]);
    let newcomer = StixId::parse("identity--0c000000-0000-4000-8000-000000000003").unwrap();
    let now = Timestamp::parse("2026-01-01T00:00:00.000Z").unwrap();
    let id = policy::ext::new_id(policy::ext::RATIFICATION_TYPE).unwrap();
    let early = policy::ext::ratification_object(&id, &newcomer, &now, &agreement, "c2lnbmF0dXJl").unwrap();
    assert_eq!(crate::modules::check_arrival(&modules, &early, book.index()), Ok(()));
    // A dispute by the same newcomer is its module's to refuse.
    let dispute = Object::from_value(json!({
        "type": "x-entente-dispute", "spec_version": "2.1", "id": "x-entente-dispute--00000000-0000-4000-8000-000000000001",
        "created": now.as_str(), "modified": now.as_str(), "created_by_ref": newcomer, "agreement_ref": agreement.id,
        "extensions": { disputes::types::EXTENSION: { "extension_type": "new-sdo" } },
        "clause": "handling", "facts": "x", "remedy": "y"
    }))
    .unwrap();
    let refused = crate::modules::check_arrival(&modules, &dispute, book.index());
    assert!(refused.as_ref().is_err_and(|e| e.contains("created_by_ref")), "{refused:?}");
}
