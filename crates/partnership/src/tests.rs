//! The kit's own tests, through the example module of notes
//! ([`crate::suite::Notes`]), and the contract suite run on it.

use model::Timestamp;
use serde_json::{json, Map, Value};

use crate::suite::{Notes, Step, World, NOTE};
use crate::{Draft, Error, Record, Records};

fn scenario() -> Vec<Step> {
    vec![
        (0, "post", json!({ "text": "first" })),
        (1, "post", json!({ "text": "second" })),
        (2, "post", json!({ "text": "third, from the third party" })),
    ]
}

crate::module_suite!(Notes, scenario());

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("a timestamp")
}

#[test]
fn a_reply_to_an_unknown_note_is_refused_naming_the_property() {
    let world = World::new();
    let input = json!({ "text": "hello", "reply_to": "x-entente-test-note--00000000-0000-4000-8000-000000000099" });
    let Value::Object(input) = input else { unreachable!() };
    let err = crate::author(&Notes, "post", &input, &Records::default(), &world.ctx(0, &at("2026-06-01T00:00:00Z"))).unwrap_err();
    assert!(matches!(&err, Error::Invalid { property, .. } if property == "reply_to"), "{err}");
}

#[test]
fn the_kit_sets_the_common_properties_and_a_draft_may_not() {
    let world = World::new();
    let now = at("2026-06-01T00:00:00Z");
    let Value::Object(input) = json!({ "text": "hello" }) else { unreachable!() };
    let object = crate::author(&Notes, "post", &input, &Records::default(), &world.ctx(1, &now)).unwrap();
    let v = object.to_value();
    assert_eq!(v["created_by_ref"], world.partners[1].as_str());
    assert_eq!(v["agreement_ref"], world.agreement.id.as_str());
    assert_eq!(v["created"], now.to_string());
    let mut props = Map::new();
    props.insert("created_by_ref".into(), Value::from(world.partners[0].as_str()));
    props.insert("text".into(), Value::from("forged"));
    let err = crate::finish(&Notes, Draft::new(NOTE, props), &Records::default(), &world.ctx(1, &now)).unwrap_err();
    assert!(matches!(&err, Error::Invalid { property, .. } if property == "created_by_ref"), "{err}");
}

#[test]
fn an_unknown_action_is_not_found() {
    let world = World::new();
    let err = crate::author(&Notes, "delete", &Map::new(), &Records::default(), &world.ctx(0, &at("2026-06-01T00:00:00Z"))).unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err}");
}

#[test]
fn records_keep_the_latest_version_by_the_author_in_canonical_order() {
    let world = World::new();
    let made = crate::suite::run(&Notes, &world, &at("2026-06-01T00:00:00Z"), &scenario());
    let first = &made[0].1;
    // A version of partner 0's note by partner 1 (forged past the kit) does not count.
    let mut forged = first.clone();
    forged.author = world.partners[1].clone();
    forged.modified = at("2026-06-30T00:00:00Z");
    forged.properties.insert("text".into(), Value::from("forged"));
    let mut edited = first.clone();
    edited.modified = at("2026-06-20T00:00:00Z");
    edited.properties.insert("text".into(), Value::from("edited"));
    let all: Vec<Record> = made.iter().map(|(_, r)| r.clone()).chain([forged, edited]).collect();
    let records = Records::new(all.iter().rev().cloned());
    assert_eq!(records.len(), 3);
    assert_eq!(records.get(&first.id).unwrap().properties["text"], "edited");
    assert_eq!(records.versions(&first.id).len(), 2);
    let order: Vec<&str> = records.iter().map(|r| r.properties["text"].as_str().unwrap()).collect();
    assert_eq!(order, ["edited", "second", "third, from the third party"]);
    assert_eq!(records, Records::new(all));
}

#[test]
fn consent_counts_the_latest_version_alone_and_an_edit_needs_it_anew() {
    use crate::consent;
    let world = World::new();
    let made = crate::suite::run(&Notes, &world, &at("2026-06-01T00:00:00Z"), &scenario()[..1]);
    let note = made[0].1.clone();
    let mut records = vec![note.clone()];
    let consent_by = |who: usize, n: u32, props: Map<String, Value>| {
        let mut c = note.clone();
        c.kind = "x-entente-test-consent".into();
        c.id = model::StixId::parse(&format!("x-entente-test-consent--00000000-0000-4000-8000-{n:012}")).unwrap();
        c.author = world.partners[who].clone();
        c.properties = props;
        c
    };
    let current = Records::new(records.clone());
    let to_first = consent::draft(&note, None, &current, "version").unwrap();
    assert_eq!(to_first[consent::TO_MODIFIED], note.modified.to_string());
    let err = consent::draft(&note, Some("2030-01-01T00:00:00Z"), &current, "version").unwrap_err();
    assert!(matches!(&err, Error::Invalid { property, .. } if property == "version"), "{err}");
    records.push(consent_by(0, 1, to_first.clone()));
    records.push(consent_by(1, 2, to_first.clone()));
    let all = &world.partners[..3];
    let state = consent::of(&Records::new(records.clone()), "x-entente-test-consent", &note, all);
    assert!(!state.agreed());
    assert_eq!(state.awaiting.iter().collect::<Vec<_>>(), [&world.partners[2]]);
    records.push(consent_by(2, 3, to_first.clone()));
    assert!(consent::of(&Records::new(records.clone()), "x-entente-test-consent", &note, all).agreed());
    // An edit after the consents: the new version awaits everyone again.
    let mut edited = note.clone();
    edited.modified = at("2026-06-02T00:00:00Z");
    records.push(edited.clone());
    let again = consent::of(&Records::new(records.clone()), "x-entente-test-consent", &edited, all);
    assert_eq!((again.given.len(), again.awaiting.len()), (0, 3));
    // A consent to the old version may still name it explicitly; it does not count for the new one.
    let old = consent::draft(&edited, Some(&note.modified.to_string()), &Records::new(records.clone()), "version").unwrap();
    assert_eq!(old, to_first);
}

#[test]
fn csv_quotes_every_field_and_defuses_formulas() {
    let rows = vec![
        vec!["=HYPERLINK(\"http://x\",\"y\")".to_owned(), "+1+1".to_owned(), "-12.5".to_owned()],
        vec!["@SUM(A1)".to_owned(), "a \"quoted\", word\nnext".to_owned(), "-cmd|' /C calc'!A0".to_owned()],
        vec!["\tTAB".to_owned(), "plain".to_owned(), String::new()],
    ];
    let out = String::from_utf8(crate::files::csv(&["a", "b", "c"], &rows)).expect("utf-8");
    let lines: Vec<&str> = out.split("\r\n").collect();
    assert_eq!(lines[0], r#""a","b","c""#);
    assert_eq!(lines[1], r#""'=HYPERLINK(""http://x"",""y"")","'+1+1","-12.5""#);
    assert_eq!(lines[2], "\"'@SUM(A1)\",\"a \"\"quoted\"\", word\nnext\",\"'-cmd|' /C calc'!A0\"");
    assert_eq!(lines[3], "\"'\tTAB\",\"plain\",\"\"");
    assert_eq!(lines[4], "");
}

#[test]
fn a_module_offers_no_file_by_default() {
    use crate::Module;
    assert!(Notes.files().is_empty());
    let err = Notes.file("report.pdf", None, &Value::Null, &|p: &str| p.to_owned()).unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err}");
    assert_eq!(crate::files::name_of("report", "x-entente-exercise--0a1b-2c", "pdf"), "report-0a1b-2c.pdf");
}

/// Versions of a few records by a few authors at a few times, some
/// withdrawing, some at one `modified` with different JSON.
fn versions() -> impl proptest::strategy::Strategy<Value = Vec<Record>> {
    use proptest::prelude::*;
    let one = (0u8..6, 0u8..3, 0u8..3, 0u8..4, any::<bool>(), 0u8..3);
    proptest::collection::vec(one, 0..40).prop_map(|raw| {
        let world = World::new();
        raw.into_iter()
            .map(|(n, author, created, modified, revoked, text)| {
                let kind = if n % 2 == 0 { NOTE } else { "x-entente-test-consent" };
                let id = model::StixId::parse(&format!("{kind}--00000000-0000-4000-8000-{n:012}")).unwrap();
                let (created, modified) = (at(&format!("2026-06-0{}T00:00:00Z", created + 1)), at(&format!("2026-06-0{}T00:00:00Z", created + modified + 1)));
                let mut properties = Map::new();
                properties.insert("id".into(), Value::from(id.as_str()));
                properties.insert("text".into(), Value::from(format!("t{text}")));
                let author = world.partners[author as usize].clone();
                // As stored: the JSON holds every property, so two versions differ in it.
                properties.insert("created_by_ref".into(), Value::from(author.as_str()));
                properties.insert("created".into(), Value::from(created.to_string()));
                properties.insert("modified".into(), Value::from(modified.to_string()));
                properties.insert("revoked".into(), Value::from(revoked));
                Record { id, kind: kind.into(), author, agreement: world.agreement.id.clone(), created, modified, revoked, properties }
            })
            .collect()
    })
}

/// Versions and an order to insert them in.
fn shuffled() -> impl proptest::strategy::Strategy<Value = (Vec<Record>, Vec<usize>)> {
    use proptest::prelude::*;
    versions().prop_flat_map(|v| {
        let n = v.len();
        (Just(v), Just((0..n).collect::<Vec<usize>>()).prop_shuffle())
    })
}

proptest::proptest! {
    /// One version at a time, in any order, gives what all at once gives.
    #[test]
    fn records_built_one_version_at_a_time_equal_records_built_at_once(
        (all, order) in shuffled()
    ) {
        let mut one_by_one = Records::default();
        for i in &order {
            one_by_one.insert(all[*i].clone());
        }
        proptest::prop_assert_eq!(&one_by_one, &Records::new(all.clone()));
        let shown: Vec<&Record> = one_by_one.iter().collect();
        let reference = Records::new(all.iter().rev().cloned());
        proptest::prop_assert_eq!(shown, reference.iter().collect::<Vec<_>>());
    }
}

/// The notes module with a liaison action that it does not offer.
struct Mislabelled;

impl crate::Module for Mislabelled {
    fn name(&self) -> &'static str {
        "mislabelled"
    }
    fn about(&self) -> &'static str {
        "notes whose liaison list names an action they lack"
    }
    fn extension(&self) -> &'static str {
        Notes.extension()
    }
    fn kinds(&self) -> &'static [&'static str] {
        Notes.kinds()
    }
    fn kind(&self, name: &'static str) -> policy::kinds::Kind {
        Notes.kind(name)
    }
    fn actions(&self) -> &'static [crate::Action] {
        Notes.actions()
    }
    fn liaison(&self) -> &'static [&'static str] {
        &["post", "endorse"]
    }
    fn validate(&self, record: &Record, ctx: &crate::Context<'_>) -> Result<(), Error> {
        Notes.validate(record, ctx)
    }
    fn act(&self, action: &str, input: &Map<String, Value>, records: &Records, ctx: &crate::Context<'_>) -> Result<Draft, Error> {
        Notes.act(action, input, records, ctx)
    }
    fn state(&self, records: &Records, ctx: &crate::Context<'_>) -> Value {
        Notes.state(records, ctx)
    }
}

#[test]
fn a_liaison_action_must_be_an_action_of_the_module() {
    use crate::{Module, Role};
    assert_eq!(crate::declare(&Mislabelled).unwrap_err(), "module mislabelled: liaison() names endorse, which is none of its actions");
    assert!(crate::declare(&Notes).is_ok());
    assert_eq!(Mislabelled.role("post"), Role::Liaison);
    assert_eq!(Notes.role("post"), Role::Analyst);
}
