//! The leak test: ten partners on one node, fifty agreements made through
//! the node's own agreement actions (proposed, ratified or not, amended,
//! suspended, resumed, withdrawn, expired, not yet valid), thousands of
//! objects with random types, authors, markings, TLP:RED recipients,
//! exercise data, versions, recalls and shares, and a module's partnership
//! records (`x-entente-test-note`) at every TLP, joint statements (the
//! public path, for no partner, read against its own oracle), and disputes under
//! agreements whose dispute terms suspend sharing while a dispute stands
//! (some settled since, some not: the remedy's hold). Every partner then reads
//! through every path out — TAXII objects, manifest, versions and single
//! objects in the everything collection and in each agreement collection,
//! the REST search, object and versions, the export's gated scan,
//! correlation of observables, detection and the evidence the partnership
//! scorecard lists — with random filters and page
//! sizes, and what it gets must equal what a deliberately simple model says:
//! the reference rules of `policy::reference` applied to the stored objects,
//! and TAXII's filters and version selection applied by hand. `first` and
//! `last` are the first and last versions the reader may see: an object's
//! second version often carries other markings than its first, so a newer
//! version a partner may not see must not hide the older one it may.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use model::rng::Rng;
use model::{Object, StixId, Timestamp};
use policy::reference::{Verdict, World};
use reqwest::Client;
use serde_json::{json, Value};
use store::{PutOptions, Role};

use crate::Backend;

const TAXII: &str = "application/taxii+json;version=2.1";
const DAY: i64 = 86_400_000_000;

const TYPES: &[&str] = &["malware", "tool", "attack-pattern", "campaign", "vulnerability", "infrastructure", "indicator"];
/// Indicators test one of this many addresses, so partners' reports overlap.
const VALUES: u64 = 150;

fn address(n: u64) -> String {
    format!("10.9.{}.{}", n / 256, n % 256)
}
const LABELS: &[&str] = &["ransomware", "phishing", "apt", "ics", "x-entente-exercise"];
const UNKNOWN_MARKING: &str = "marking-definition--0c1e2d3f-4a5b-4c6d-8e7f-901234567890";

fn ts(micros: i64) -> String {
    Timestamp::from_micros(micros).as_str().to_owned()
}

/// One stored version, as the model sees it.
struct Version {
    object: Object,
    id: String,
    ty: String,
    version: String,
    micros: i64,
    shared_under: Vec<StixId>,
    last: bool,
    recalled: bool,
    poster: Option<String>,
}

struct Counts {
    decisions: u64,
    leaked: u64,
    wrongly_denied: u64,
    requests: u64,
}

fn key(id: &str, version: &str) -> String {
    format!("{id}@{version}")
}

pub(crate) async fn every_path_equals_the_reference(backend: Backend) {
    let n_objects: usize = match backend {
        Backend::Sqlite => 10_000,
        Backend::Postgres => 2_000,
    };
    let seed = std::env::var("ENTENTE_LEAK_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20_261_126u64);
    println!("leak test seed {seed} (set ENTENTE_LEAK_SEED to replay)");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();

    let setup = tokio::task::spawn_blocking(move || {
        // The build's modules first, as a node starts: their kinds decide
        // the facts stored with each record (a dispute's mediators).
        let _modules = server::modules::registered();
        let (store, registry): (Arc<dyn store::Store>, Arc<dyn store::Registry>) = match backend {
            Backend::Sqlite => {
                let s = Arc::new(store_sqlite::SqliteStore::open(&path).unwrap());
                (s.clone(), s)
            }
            Backend::Postgres => {
                let (s, _) = store_postgres::testing::fresh_with_name();
                (s.clone(), s)
            }
        };
        let keys = server::keys::KeyDir::in_data_dir(&path);
        let identity = server::node::init(&*store, &*registry, &keys, "Partner 0").unwrap();
        let mut partners = vec![StixId::parse(&identity.partner).unwrap()];
        for i in 1..10 {
            let p = server::node::add_hosted_partner(&*store, &*registry, &keys, &format!("Partner {i}")).unwrap();
            partners.push(StixId::parse(&p).unwrap());
        }
        let tokens: Vec<String> = partners
            .iter()
            .map(|p| {
                let (t, rec) = server::auth::issue(p.as_str(), "leak", Role::Analyst, 0, None);
                registry.put_token(&rec).unwrap();
                t
            })
            .collect();
        let mut rng = Rng(seed);
        let now = Timestamp::now().micros();

        // Fifty agreements, through the node's own actions; some with dispute
        // terms whose remedy holds sharing while a dispute stands (its own
        // generator, so the rest of the world stays as it was).
        let mut agreements = Vec::new();
        let mut remedies = Rng(seed ^ 0xd15b);
        let disputes_module: [Arc<dyn partnership::Module>; 1] = [Arc::new(disputes::Disputes)];
        let mut disputed: Vec<policy::Agreement> = Vec::new();
        let mut latest: Vec<policy::Agreement> = Vec::new();
        for n in 0..50 {
            let mut parties = vec![rng.pick(&partners).clone()];
            let wanted = 2 + rng.below(4) as usize;
            while parties.len() < wanted {
                let p = rng.pick(&partners).clone();
                if !parties.contains(&p) {
                    parties.push(p);
                }
            }
            let proposer = parties[0].clone();
            let valid_from = if rng.chance(10) { now + 30 * DAY } else { now - rng.below(300) as i64 * DAY };
            let valid_until = match rng.below(10) {
                0 => Some(now - 5 * DAY),
                1..=5 => Some(now + 100 * DAY),
                _ => None,
            };
            let mut terms = json!({
                "title": format!("agreement {n}"),
                "purpose": "leak test",
                "party_refs": parties,
                "scope": {
                    "object_types": rng.subset(TYPES, 30),
                    "labels": if rng.chance(30) { rng.subset(&LABELS[..4], 40) } else { Vec::new() },
                    "data_kind": *rng.pick(&["real", "exercise", "both"]),
                },
                "tlp_ceiling": *rng.pick(&["clear", "green", "amber", "amber+strict", "red"]),
                "handling": { "reshare": *rng.pick(&["none", "parties-only", "recipient-agreements"]), "attribution": "required", "permitted_actions": [] },
                "valid_from": ts(valid_from),
            });
            if let Some(u) = valid_until.filter(|u| *u > valid_from) {
                terms["valid_until"] = json!(ts(u));
            }
            let with_remedy = remedies.chance(25);
            if with_remedy {
                terms["dispute_terms"] = json!({ "remedies": [{ "from": "consultation", "effect": "suspend-sharing" }] });
            }
            let terms = terms.as_object().unwrap().clone();
            let mut a = server::agreements::propose(&*store, &proposer, None, &terms, &disputes_module).unwrap();
            for p in &parties {
                if rng.chance(88) {
                    server::agreements::ratify(&*store, &keys, p, &a.id).unwrap();
                }
            }
            if rng.chance(10) {
                // Amended after ratification: the old ratifications do not carry over.
                std::thread::sleep(std::time::Duration::from_millis(2));
                a = server::agreements::propose(&*store, &proposer, Some(&a.id), &terms, &disputes_module).unwrap();
                for p in &parties {
                    if rng.chance(60) {
                        server::agreements::ratify(&*store, &keys, p, &a.id).unwrap();
                    }
                }
            }
            let by = rng.pick(&parties).clone();
            let past = Some(Timestamp::from_micros(now - DAY));
            match rng.below(20) {
                0 | 1 => {
                    server::agreements::give_notice(&*store, &by, &a.id, policy::NoticeKind::Suspension, past).unwrap();
                }
                2 => {
                    server::agreements::give_notice(&*store, &by, &a.id, policy::NoticeKind::Suspension, past.clone()).unwrap();
                    let back = Some(Timestamp::from_micros(now - DAY / 2));
                    server::agreements::give_notice(&*store, &by, &a.id, policy::NoticeKind::Resumption, back).unwrap();
                }
                3 => {
                    server::agreements::give_notice(&*store, &by, &a.id, policy::NoticeKind::Withdrawal, past).unwrap();
                }
                _ => {}
            }
            if with_remedy {
                disputed.push(a.clone());
            }
            latest.push(a.clone());
            agreements.push((a.id.clone(), parties));
        }

        // A dispute under each agreement with a remedy, raised two days ago by
        // a party; some settled a day ago by every party's acceptance: (the
        // agreement, from, until) is when the remedy holds, by the rule of
        // docs/partnership.md#disputes worked out here without the module.
        let mut holds: Vec<(String, i64, Option<i64>)> = Vec::new();
        for a in &disputed {
            let parties = a.terms.parties.clone();
            let state = policy::AgreementState::InForce;
            let mut made: Vec<partnership::Record> = Vec::new();
            let act = |who: &StixId, action: &str, input: Value, at: i64, made: &mut Vec<partnership::Record>| {
                let ctx = partnership::Context { me: who, now: Timestamp::from_micros(at), agreement: a, state: &state };
                let Value::Object(input) = input else { unreachable!() };
                let object = partnership::author(&disputes::Disputes, action, &input, &partnership::Records::new(made.clone()), &ctx).unwrap();
                store.put(std::slice::from_ref(&object), &PutOptions { posted_by: Some(who.to_string()), only_author: true, ..PutOptions::default() }).unwrap();
                let record = partnership::Record::from_object(&object).unwrap();
                made.push(record.clone());
                record
            };
            let raised = now - 2 * DAY;
            let by = remedies.pick(&parties).clone();
            let dispute = act(&by, "raise", json!({ "clause": "tlp_ceiling", "facts": "leak test", "remedy": "relabel" }), raised, &mut made);
            let mut until = None;
            if remedies.chance(40) {
                let proposal = act(&parties[0], "propose", json!({ "dispute": dispute.id.as_str(), "text": "settle" }), now - 3 * DAY / 2, &mut made);
                for (i, p) in parties.iter().enumerate() {
                    act(p, "accept", json!({ "proposal": proposal.id.as_str() }), now - DAY - i as i64, &mut made);
                }
                until = Some(now - DAY);
            }
            holds.push((a.id.to_string(), dispute.created.micros(), until));
        }

        // Joint statements under every agreement (their own generator): one
        // or two, drafted two days ago by a party with some co-signers,
        // most submitted, most embargoed until a day ago, each signer
        // approving the exact version or not. The public path (the node's
        // partner, Partner 0) must show exactly those the oracle says are
        // published: submitted, every co-signer's approval (unanimity, the
        // agreements' default), embargo passed, Partner 0 among the
        // co-signers (so a party to the agreement).
        let mut said = Rng(seed ^ 0x57a7);
        let mut statements: Vec<(String, bool)> = Vec::new();
        for a in &latest {
            let parties = a.terms.parties.clone();
            let state = policy::AgreementState::InForce;
            let mut made: Vec<partnership::Record> = Vec::new();
            let mut act = |who: &StixId, action: &str, input: Value, at: i64| {
                let ctx = partnership::Context { me: who, now: Timestamp::from_micros(at), agreement: a, state: &state };
                let Value::Object(input) = input else { unreachable!() };
                let object = partnership::author(&statements::Statements, action, &input, &partnership::Records::new(made.clone()), &ctx).unwrap();
                store.put(std::slice::from_ref(&object), &PutOptions { posted_by: Some(who.to_string()), only_author: true, ..PutOptions::default() }).unwrap();
                let record = partnership::Record::from_object(&object).unwrap();
                made.push(record.clone());
                record
            };
            for k in 0..1 + said.below(2) {
                let proposer = said.pick(&parties).clone();
                let mut cosigners: Vec<StixId> = parties.iter().filter(|p| **p != proposer && said.chance(70)).cloned().collect();
                if cosigners.is_empty() {
                    cosigners.push(parties.iter().find(|p| **p != proposer).unwrap().clone());
                }
                let submitted = said.chance(80);
                let embargo = if said.chance(80) { now - DAY } else { now + 10 * DAY };
                let draft = act(&proposer, "draft-statement", json!({ "title": format!("statement {k} of {}", a.terms.title), "text": "leak test", "embargo": ts(embargo),
                    "cosigners": cosigners, "submit": submitted }), now - 2 * DAY);
                let signers = statements::types::cosigners_of(&draft);
                let mut approved = 0;
                if submitted {
                    for (i, p) in signers.iter().enumerate() {
                        if said.chance(88) {
                            act(p, "approve-statement", json!({ "statement": draft.id.as_str() }), now - 3 * DAY / 2 + i as i64);
                            approved += 1;
                        }
                    }
                }
                let published = submitted && approved == signers.len() && embargo <= now && signers.contains(&partners[0]);
                statements.push((draft.id.to_string(), published));
            }
        }

        // Objects: authored by every partner, shared under random agreements.
        let markings: Vec<&str> = model::tlp::MARKINGS.iter().map(|m| m.id).collect();
        let mut by_author: HashMap<StixId, Vec<Object>> = HashMap::new();
        let mut shares: BTreeMap<(usize, StixId), Vec<Object>> = BTreeMap::new();
        for n in 0..n_objects {
            let ty = *rng.pick(TYPES);
            let author = rng.pick(&partners).clone();
            let id = format!("{ty}--{:08x}-0000-4000-8000-{:012x}", rng.next() as u32, n);
            let mut v = json!({
                "type": ty, "spec_version": "2.1", "id": id,
                "created": ts(now - 400 * DAY), "modified": ts(now - 400 * DAY),
                "created_by_ref": author, "name": format!("object {n}"),
            });
            if ty == "malware" {
                v["is_family"] = json!(false);
            }
            if ty == "indicator" {
                v["pattern"] = json!(format!("[ipv4-addr:value = '{}']", address(rng.below(VALUES))));
                v["pattern_type"] = json!("stix");
                v["valid_from"] = json!(ts(now - 400 * DAY));
            }
            let labels = rng.subset(LABELS, 25);
            if !labels.is_empty() {
                v["labels"] = json!(labels);
            }
            let mut marks: Vec<&str> = Vec::new();
            match rng.below(20) {
                0..=4 => {}
                5..=14 => marks.push(*rng.pick(&markings)),
                15 | 16 => {
                    marks.push(*rng.pick(&markings));
                    marks.push(*rng.pick(&markings));
                }
                17 => marks.push(UNKNOWN_MARKING),
                _ => marks.push(model::tlp::Tlp::Red.marking_id()),
            }
            if !marks.is_empty() {
                v["object_marking_refs"] = json!(marks);
            }
            if rng.chance(15) {
                let recipients = rng.subset(&partners, 30);
                let (name, ext) = policy::ext::release_extension(&recipients, rng.chance(20));
                v["extensions"] = json!({ name: ext });
            }
            let mut versions = vec![Object::from_value(v.clone()).unwrap()];
            if rng.chance(20) {
                v["modified"] = json!(ts(now - 300 * DAY));
                if rng.chance(30) {
                    v["revoked"] = json!(true);
                }
                // Often marked otherwise than the first version (stricter or
                // looser): one of the two may be visible without the other.
                if rng.chance(50) {
                    v["object_marking_refs"] = json!([*rng.pick(&markings)]);
                }
                versions.push(Object::from_value(v).unwrap());
            }
            for (i, _) in agreements.iter().enumerate() {
                if rng.chance(6) {
                    shares.entry((i, author.clone())).or_default().extend(versions.iter().cloned());
                }
            }
            by_author.entry(author).or_default().extend(versions);
        }
        for (author, objects) in &by_author {
            let options = PutOptions { posted_by: Some(author.to_string()), only_author: true, ..PutOptions::default() };
            for chunk in objects.chunks(2000) {
                store.put(chunk, &options).unwrap();
            }
        }
        // Shares, agreement by agreement (the order the model expects).
        for ((i, author), objects) in &shares {
            let options = PutOptions {
                shares: vec![agreements[*i].0.to_string()],
                posted_by: Some(author.to_string()),
                only_author: true,
                ..PutOptions::default()
            };
            store.put(objects, &options).unwrap();
        }
        // A module's records (`x-entente-test-note`, from a generator of
        // their own so the rest stays as the seed made it): each belongs to
        // an agreement (or one nobody knows), at any TLP or none, some
        // naming observers or TLP:RED recipients, some narrowed to an
        // audience, some dispute records naming mediators, some versioned
        // or recalled, some also put in an agreement's collection. Only the
        // author, the agreement's parties (those of its audience, when it
        // names one) and the observers or mediators may see one.
        let mut notes = Rng(seed ^ 0x7e57);
        let unknown = StixId::parse("x-entente-agreement--0e0e0e0e-0000-4000-8000-000000000000").unwrap();
        for n in 0..n_objects / 25 {
            let ty = policy::kinds::TEST_NOTE.name;
            let author = notes.pick(&partners).clone();
            let agreement = if notes.chance(5) { unknown.clone() } else { notes.pick(&agreements).0.clone() };
            let mut v = json!({
                "type": ty, "spec_version": "2.1", "id": format!("{ty}--{:08x}-0000-4000-8000-{n:012x}", notes.next() as u32),
                "created": ts(now - 200 * DAY), "modified": ts(now - 200 * DAY),
                "created_by_ref": author, "agreement_ref": agreement, "text": format!("note {n}"),
            });
            match notes.below(5) {
                0 => {}
                1 => v["object_marking_refs"] = json!([model::tlp::Tlp::Red.marking_id()]),
                _ => v["object_marking_refs"] = json!([*notes.pick(&markings)]),
            }
            if notes.chance(30) {
                v["observer_refs"] = json!(notes.subset(&partners, 20));
            }
            if notes.chance(30) {
                // Narrowed to some partners (parties of its agreement or not, or none).
                v["audience_refs"] = json!(notes.subset(&partners, 40));
            }
            if notes.chance(20) {
                // A dispute's record instead: it goes to the mediators it
                // names (`mediator_refs`, the disputes kinds' `named`) too.
                let ty = "x-entente-dispute-position";
                v["type"] = json!(ty);
                v["id"] = json!(format!("{ty}--{:08x}-0000-4000-8000-{n:012x}", notes.next() as u32));
                v["mediator_refs"] = json!(notes.subset(&partners, 30));
                v.as_object_mut().unwrap().remove("audience_refs");
                v.as_object_mut().unwrap().remove("observer_refs");
            }
            if notes.chance(20) {
                let (name, ext) = policy::ext::release_extension(&notes.subset(&partners, 30), false);
                v["extensions"] = json!({ name: ext });
            }
            let mut versions = vec![Object::from_value(v.clone()).unwrap()];
            if notes.chance(25) {
                v["modified"] = json!(ts(now - 100 * DAY));
                if notes.chance(50) {
                    v["revoked"] = json!(true);
                }
                versions.push(Object::from_value(v).unwrap());
            }
            let under = if notes.chance(30) { vec![notes.pick(&agreements).0.to_string()] } else { Vec::new() };
            let options = PutOptions { shares: under, posted_by: Some(author.to_string()), only_author: true, ..PutOptions::default() };
            store.put(&versions, &options).unwrap();
        }
        let log = audit::SharedLog::open(path.join("release.log")).unwrap();
        let state = server::AppState::new(
            store.clone(),
            registry,
            identity,
            server::taxii::TaxiiConfig::default(),
            model::Limits::default(),
            keys,
            log,
        );
        (state, store, partners, tokens, agreements.into_iter().map(|a| a.0).collect::<Vec<_>>(), holds, statements)
    })
    .await
    .unwrap();
    let (state, store, partners, tokens, agreement_ids, holds, statements) = setup;
    // The public pages' per-client limit is not what this test reads.
    let state = server::AppState { web: Arc::new(server::web::Sessions::new(false).with_public(None, u32::MAX)), ..state };
    assert!(!holds.is_empty(), "the world has disputes whose remedies hold");
    let export_store = store.clone();

    // The model's view of what is stored.
    let versions: Vec<Version> = tokio::task::spawn_blocking(move || {
        let mut records = Vec::new();
        store
            .scan(&store::Query { versions: store::Versions::ALL, ..Default::default() }, &mut |r| {
                records.push(r);
                Ok(())
            })
            .unwrap();
        let mut by_id: HashMap<String, Vec<store::Record>> = HashMap::new();
        for r in records {
            by_id.entry(r.id.clone()).or_default().push(r);
        }
        let mut out = Vec::new();
        for (_, mut rs) in by_id {
            rs.sort_by_key(|r| r.version_micros);
            let n = rs.len();
            let latest_revoked = Object::parse(&rs[n - 1].json, &model::Limits::default()).unwrap().revoked();
            for (i, r) in rs.into_iter().enumerate() {
                let mut object = Object::parse(&r.json, &model::Limits::default()).unwrap();
                // The store's attribution: without created_by_ref, the partner that posted it.
                if let (None, Some(poster)) = (object.created_by_ref(), &r.posted_by) {
                    let mut v = object.to_value();
                    v["created_by_ref"] = json!(poster);
                    object = Object::from_value(v).unwrap();
                }
                out.push(Version {
                    id: r.id.clone(),
                    ty: r.object_type.clone(),
                    version: r.version.clone(),
                    micros: r.version_micros,
                    shared_under: r.shared_under.split_whitespace().map(|s| StixId::parse(s).unwrap()).collect(),
                    last: i + 1 == n,
                    recalled: latest_revoked,
                    poster: r.posted_by.clone(),
                    object,
                });
            }
        }
        out
    })
    .await
    .unwrap();
    let of_type = |t: &str| versions.iter().filter(|v| v.ty == t).map(|v| v.object.clone()).collect::<Vec<_>>();
    let keys: Vec<(StixId, String)> = of_type("identity")
        .iter()
        .filter(|i| i.created_by_ref() == Some(i.id()))
        .filter_map(|i| Some((i.id().clone(), policy::ext::public_key_of(i).ok()??)))
        .collect();
    let world = World::new(
        &of_type(policy::ext::AGREEMENT_TYPE),
        &of_type(policy::ext::RATIFICATION_TYPE),
        &of_type(policy::ext::NOTICE_TYPE),
        &keys,
    )
    .with_holds(holds.clone());

    let app = server::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::serve(listener, app, async {
        let _ = stopped.await;
    }));

    let now = Timestamp::now();
    // A partner sees what it submitted, and what the reference rules release to it.
    let visible = |v: &Version, p: &StixId, shares: &[StixId]| {
        v.poster.as_deref() == Some(p.as_str())
            || world.verdict_stored(&v.object, None, p, &now, shares, v.recalled) != Verdict::Deny
    };
    // The versions of each object, for choosing among those a reader sees.
    let mut of_id: HashMap<&str, Vec<&Version>> = HashMap::new();
    for v in &versions {
        of_id.entry(v.id.as_str()).or_default().push(v);
    }
    // Whether `v` is what `selection` picks for `p`, given that `p` sees it:
    // `last` and `first` are the latest and earliest versions `p` sees, in
    // the agreement's collection when one is given, else anywhere.
    let picked = |v: &Version, p: &StixId, selection: &str, agreement: Option<&StixId>| {
        let newer = |x: &Version| x.micros > v.micros;
        let older = |x: &Version| x.micros < v.micros;
        let beyond: &dyn Fn(&Version) -> bool = match selection {
            "last" => &newer,
            "first" => &older,
            _ => return true,
        };
        !of_id[v.id.as_str()].iter().any(|x| {
            beyond(x)
                && match agreement {
                    Some(a) => x.shared_under.contains(a) && visible(x, p, std::slice::from_ref(a)),
                    None => visible(x, p, &x.shared_under),
                }
        })
    };
    // The module's records must reach some partners other than their author and be refused to others.
    let note_outcomes: BTreeSet<bool> = versions
        .iter()
        .filter(|v| v.ty == policy::kinds::TEST_NOTE.name)
        .flat_map(|v| partners.iter().filter(|p| v.poster.as_deref() != Some(p.as_str())).map(|p| visible(v, p, &v.shared_under)))
        .collect();
    assert_eq!(note_outcomes.len(), 2, "the notes were all visible or all hidden: {note_outcomes:?}");
    // Some notes narrowed to an audience are refused to a partner that the
    // same note without its audience would reach: the narrowing is covered.
    let narrowed = versions
        .iter()
        .filter(|v| v.ty == policy::kinds::TEST_NOTE.name && v.object.to_value().get("audience_refs").is_some())
        .flat_map(|v| partners.iter().map(move |p| (v, p)))
        .filter(|(v, p)| {
            let mut wide = v.object.to_value();
            wide.as_object_mut().unwrap().remove("audience_refs");
            let wide = Object::from_value(wide).unwrap();
            !visible(v, p, &v.shared_under) && world.verdict_stored(&wide, None, p, &now, &v.shared_under, v.recalled) != Verdict::Deny
        })
        .count();
    println!("leak: {narrowed} (note, partner) pairs refused by the note's audience alone");
    assert!(narrowed > 0, "no note's audience refused a party it would otherwise reach");
    let client = Client::new();
    let mut counts = Counts { decisions: 0, leaked: 0, wrongly_denied: 0, requests: 0 };
    let mut rng = Rng(seed ^ 0x5eed);
    let compare = |counts: &mut Counts, what: &str, got: Vec<String>, expected: BTreeSet<String>, considered: usize| {
        let got_set: BTreeSet<String> = got.iter().cloned().collect();
        assert_eq!(got.len(), got_set.len(), "{what}: an object was served twice");
        let leaked: Vec<&String> = got_set.difference(&expected).collect();
        let denied: Vec<&String> = expected.difference(&got_set).collect();
        counts.decisions += considered as u64;
        counts.leaked += leaked.len() as u64;
        counts.wrongly_denied += denied.len() as u64;
        assert!(leaked.is_empty() && denied.is_empty(), "{what}: leaked {leaked:?}, wrongly denied {denied:?}");
    };

    let (mut correlated, mut detected, mut scored) = (0usize, 0usize, 0usize);
    for (pi, p) in partners.iter().enumerate() {
        let token = &tokens[pi];
        let get = |u: String| {
            let (client, token) = (client.clone(), token.clone());
            async move {
                let r = client.get(&u).bearer_auth(&token).header("Accept", TAXII).send().await.unwrap();
                let status = r.status().as_u16();
                (status, r.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        // Pages through a TAXII listing or the REST search, collecting `field` of each item.
        let page_through = |base: String, _rest: bool| {
            let get = &get;
            let counts_requests = std::cell::Cell::new(0u64);
            async move {
                let mut out = Vec::new();
                let mut u = base.clone();
                loop {
                    let (status, body) = get(u.clone()).await;
                    counts_requests.set(counts_requests.get() + 1);
                    assert_eq!(status, 200, "{u}: {body}");
                    let items = body.get("objects").and_then(Value::as_array).cloned().unwrap_or_default();
                    for o in items {
                        let version = o.get("modified").or_else(|| o.get("version")).and_then(Value::as_str).unwrap_or("").to_owned();
                        let version = Timestamp::parse(&version).map(|t| t.as_str().to_owned()).unwrap_or(version);
                        out.push(key(o["id"].as_str().unwrap(), &version));
                    }
                    if body["more"] != true {
                        break;
                    }
                    let next = body["next"].as_str().unwrap();
                    u = format!("{base}&next={next}");
                }
                (out, counts_requests.get())
            }
        };

        // The everything collection: objects and manifest, random filters and sizes.
        for round in 0..2 {
            let selection = *rng.pick(&["last", "all", "first"]);
            let ty = if rng.chance(50) { Some(*rng.pick(TYPES)) } else { None };
            let limit = *rng.pick(&[50usize, 173, 400, 1000]);
            let mut base = format!("{url}/taxii2/root/collections/{}/", server::release::EVERYTHING);
            base.push_str(if round == 0 { "objects/" } else { "manifest/" });
            base.push_str(&format!("?match[version]={selection}&limit={limit}"));
            if let Some(t) = ty {
                base.push_str(&format!("&match[type]={t}"));
            }
            let (got, n) = page_through(base.clone(), false).await;
            counts.requests += n;
            let mut considered = 0;
            let expected: BTreeSet<String> = versions
                .iter()
                .filter(|v| ty.is_none_or(|t| v.ty == t))
                .filter(|v| {
                    considered += 1;
                    visible(v, p, &v.shared_under)
                })
                .filter(|v| picked(v, p, selection, None))
                .map(|v| key(&v.id, &v.version))
                .collect();
            compare(&mut counts, &base, got, expected, considered);
        }

        // The export path (`entente export --for P`, with `--latest` or
        // without): a gated scan of every version, or of the latest it sees.
        let latest = rng.chance(50);
        let exported = {
            let (store, partner) = (export_store.clone(), p.clone());
            tokio::task::spawn_blocking(move || {
                let index = server::release::Agreements::default().index(&*store).unwrap();
                let reader = server::release::Reader::new(partner, index, server::release::Through::AnyShare);
                let versions = if latest { store::Versions::LAST } else { store::Versions::ALL };
                let query = store::Query { versions, gate: Some(reader.gate()), ..Default::default() };
                let mut out = Vec::new();
                store
                    .scan(&query, &mut |r| {
                        out.push(key(&r.id, &r.version));
                        Ok(())
                    })
                    .unwrap();
                out
            })
            .await
            .unwrap()
        };
        let selection = if latest { "last" } else { "all" };
        let expected: BTreeSet<String> = versions
            .iter()
            .filter(|v| visible(v, p, &v.shared_under) && picked(v, p, selection, None))
            .map(|v| key(&v.id, &v.version))
            .collect();
        compare(&mut counts, &format!("export --for (versions {selection})"), exported, expected, versions.len());

        // The REST search: every version, the latest or the first.
        let selection = *rng.pick(&["all", "last", "first"]);
        let base = format!("{url}/api/v1/objects?versions={selection}&limit={}", rng.pick(&[97usize, 500, 1000]));
        let (got, n) = page_through(base.clone(), true).await;
        counts.requests += n;
        let expected: BTreeSet<String> = versions
            .iter()
            .filter(|v| visible(v, p, &v.shared_under) && picked(v, p, selection, None))
            .map(|v| key(&v.id, &v.version))
            .collect();
        compare(&mut counts, &base, got, expected, versions.len());

        // Collections: the agreements it is party to (latest version), and what each holds.
        let (status, body) = get(format!("{url}/taxii2/root/collections/")).await;
        counts.requests += 1;
        assert_eq!(status, 200);
        let listed: BTreeSet<String> = body["collections"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
        for a in &agreement_ids {
            let party = world
                .latest(a.as_str())
                .and_then(|l| l["party_refs"].as_array().cloned())
                .is_some_and(|ps| ps.iter().any(|x| x == p.as_str()));
            let cid = server::release::collection_of_agreement(a);
            assert_eq!(listed.contains(&cid), party, "collection of {a} listed to {p}: {}", !party);
            let selection = *rng.pick(&["all", "all", "last", "first"]);
            let base = format!("{url}/taxii2/root/collections/{cid}/objects/?match[version]={selection}&limit=500");
            if !party {
                let (status, _) = get(base).await;
                counts.requests += 1;
                assert_eq!(status, 404, "a non-party reads the collection of {a}");
                continue;
            }
            let (got, n) = page_through(base.clone(), false).await;
            counts.requests += n;
            let mut considered = 0;
            let expected: BTreeSet<String> = versions
                .iter()
                .filter(|v| v.shared_under.contains(a))
                .filter(|v| {
                    considered += 1;
                    visible(v, p, std::slice::from_ref(a))
                })
                .filter(|v| picked(v, p, selection, Some(a)))
                .map(|v| key(&v.id, &v.version))
                .collect();
            compare(&mut counts, &base, got, expected, considered);
        }

        // Correlation: the objects whose latest version this partner may
        // see carries an address, and their authors.
        let carries = |v: &Version, value: &str| v.ty == "indicator" && v.object.observables().iter().any(|o| o.value == value);
        for _ in 0..8 {
            let value = address(rng.below(VALUES));
            let (status, body) = get(format!("{url}/api/v1/observables/ipv4-addr/{value}?noisy=true")).await;
            counts.requests += 1;
            assert_eq!(status, 200, "{body}");
            let got: Vec<String> = body["objects"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect();
            let mut considered = 0;
            let seen: Vec<&Version> = versions
                .iter()
                .filter(|v| carries(v, &value))
                .filter(|v| {
                    considered += 1;
                    visible(v, p, &v.shared_under)
                })
                .filter(|v| picked(v, p, "last", None))
                .collect();
            let expected: BTreeSet<String> = seen.iter().map(|v| v.id.clone()).collect();
            correlated += expected.len();
            compare(&mut counts, &format!("correlate {value}"), got, expected, considered);
            let authors: BTreeSet<String> =
                seen.iter().filter_map(|v| v.object.created_by_ref().map(|a| a.to_string())).collect();
            let reported: BTreeSet<String> =
                body["partners"].as_array().unwrap().iter().map(|x| x["partner"].as_str().unwrap().to_owned()).collect();
            assert_eq!(reported, authors, "correlate {value}: partners");
        }

        // Detection: observations of random addresses; hits are the
        // indicators (latest version, not revoked) it may see that test them.
        let values: Vec<String> = (0..12).map(|_| address(rng.below(VALUES))).collect();
        let observations: Vec<Value> = values
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let ip = format!("ipv4-addr--00000000-0000-4000-8000-{i:012}");
                json!({"type": "bundle", "id": format!("bundle--00000000-0000-4000-8000-{i:012}"), "objects": [
                    {"type": "observed-data", "spec_version": "2.1", "id": format!("observed-data--00000000-0000-4000-8000-{i:012}"),
                     "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
                     "first_observed": "2026-01-01T00:00:00Z", "last_observed": "2026-01-01T00:00:00Z",
                     "number_observed": 1, "object_refs": [ip]},
                    {"type": "ipv4-addr", "id": ip, "value": a}]})
            })
            .collect();
        let r = client.post(format!("{url}/api/v1/detect")).bearer_auth(token).json(&observations).send().await.unwrap();
        counts.requests += 1;
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        let got: Vec<String> = body["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| format!("{} {}", h["indicator"].as_str().unwrap(), h["observed_data"].as_str().unwrap()))
            .collect();
        let mut expected = BTreeSet::new();
        let mut considered = 0;
        for (i, a) in values.iter().enumerate() {
            for v in versions.iter().filter(|v| v.last && !v.object.revoked() && carries(v, a)) {
                considered += 1;
                if visible(v, p, &v.shared_under) {
                    expected.insert(format!("{} observed-data--00000000-0000-4000-8000-{i:012}", v.id));
                }
            }
        }
        detected += expected.len();
        compare(&mut counts, "detect", got, expected, considered);

        // Single objects, visible or not: TAXII object (every version, the
        // latest and the first it sees) and versions, REST object.
        for _ in 0..25 {
            let v = rng.pick(&versions);
            let all: Vec<&Version> = versions.iter().filter(|x| x.id == v.id).collect();
            let seen: Vec<&&Version> = all.iter().filter(|x| visible(x, p, &x.shared_under)).collect();
            counts.decisions += all.len() as u64;
            let expected: BTreeSet<String> = seen.iter().map(|x| key(&x.id, &x.version)).collect();
            let one = format!("{url}/taxii2/root/collections/{}/objects/{}/", server::release::EVERYTHING, v.id);
            let (status, body) = get(format!("{one}?match[version]=all")).await;
            let (vstatus, vbody) = get(format!("{one}versions/")).await;
            let (rstatus, rbody) = get(format!("{url}/api/v1/objects/{}", v.id)).await;
            let (lstatus, lbody) = get(one.clone()).await;
            let (fstatus, fbody) = get(format!("{one}?match[version]=first")).await;
            counts.requests += 5;
            if seen.is_empty() {
                for (s, what) in [(status, "object"), (vstatus, "versions"), (rstatus, "REST object"), (lstatus, "latest"), (fstatus, "first")] {
                    if s != 404 {
                        counts.leaked += 1;
                    }
                    assert_eq!(s, 404, "{what} {} to {p}: hidden must be 404", v.id);
                }
                continue;
            }
            assert_eq!((status, vstatus, rstatus, lstatus, fstatus), (200, 200, 200, 200, 200), "{}", v.id);
            let got: Vec<String> = body["objects"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| key(o["id"].as_str().unwrap(), o["modified"].as_str().unwrap()))
                .collect();
            compare(&mut counts, &one, got, expected.clone(), 0);
            let got_versions: BTreeSet<String> =
                vbody["versions"].as_array().unwrap().iter().map(|x| key(&v.id, x.as_str().unwrap())).collect();
            assert_eq!(got_versions, expected, "versions of {}", v.id);
            let latest = seen.iter().max_by_key(|x| x.micros).unwrap();
            assert_eq!(rbody["modified"].as_str().unwrap(), latest.version, "REST object {}", v.id);
            let earliest = seen.iter().min_by_key(|x| x.micros).unwrap();
            for (body, want, what) in [(&lbody, latest, "latest"), (&fbody, earliest, "first")] {
                let got: Vec<String> = body["objects"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| key(o["id"].as_str().unwrap(), o["modified"].as_str().unwrap()))
                    .collect();
                compare(&mut counts, &format!("{one} ({what})"), got, BTreeSet::from([key(&want.id, &want.version)]), 0);
            }
        }

        // The scorecard (docs/assessment.md): every id it lists as evidence,
        // for any figure, is an object this partner may see some version of;
        // an agreement it is no party to answers 404.
        for a in agreement_ids.iter().take(12) {
            let (status, body) = get(format!("{url}/api/v1/agreements/{a}/scorecard?window=3650&evidence=10000")).await;
            counts.requests += 1;
            if status == 404 {
                continue;
            }
            assert_eq!(status, 200, "scorecard of {a} for {p}: {body}");
            let mut listed = BTreeSet::new();
            for row in body["parties"].as_array().unwrap().iter().chain(body["pairs"].as_array().unwrap()) {
                for f in row["figures"].as_array().unwrap() {
                    listed.extend(f["evidence"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_owned()));
                }
            }
            let leaked: Vec<&String> = listed.iter().filter(|id| !versions.iter().any(|v| v.id.as_str() == id.as_str() && visible(v, p, &v.shared_under))).collect();
            counts.decisions += listed.len() as u64;
            counts.leaked += leaked.len() as u64;
            assert!(leaked.is_empty(), "scorecard of {a} for {p} lists what it may not see: {leaked:?}");
            scored += listed.len();
        }
    }
    // The public path: no partner at the other end; the oracle above.
    let anonymous = Client::new();
    let fetch = |path: String| {
        let anonymous = anonymous.clone();
        async move {
            let r = anonymous.get(path).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (s, list) = fetch(format!("{url}/public/statements")).await;
    assert_eq!(s, 200, "{list}");
    let (s, feed) = fetch(format!("{url}/public/statements.atom")).await;
    assert_eq!(s, 200, "{feed}");
    let (mut shown_wrongly, mut hidden_wrongly, mut published) = (0u64, 0u64, 0u64);
    for (id, expected) in &statements {
        let (s, page) = fetch(format!("{url}/public/statements/{id}")).await;
        counts.requests += 3;
        counts.decisions += 3;
        published += u64::from(*expected);
        let shown = [s == 200, list.contains(&format!("/public/statements/{id}\"")), feed.contains(&format!("/public/statements/{id}\""))];
        for x in shown {
            match (x, *expected) {
                (true, false) => shown_wrongly += 1,
                (false, true) => hidden_wrongly += 1,
                _ => {}
            }
        }
        assert!(s == 200 || s == 404, "{id}: {s} {page}");
    }
    println!("leak: public path statements={} published by the oracle={published} shown wrongly={shown_wrongly} hidden wrongly={hidden_wrongly}", statements.len());
    assert!(published > 0 && published < statements.len() as u64, "the world has published and unpublished statements");
    counts.leaked += shown_wrongly;
    counts.wrongly_denied += hidden_wrongly;

    let _ = stop.send(());
    println!(
        "leak test ({}): partners={} agreements={} versions={} requests={} decisions checked={} leaked={} wrongly_denied={}",
        match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        },
        partners.len(),
        agreement_ids.len(),
        versions.len(),
        counts.requests,
        counts.decisions,
        counts.leaked,
        counts.wrongly_denied
    );
    println!("correlation results checked={correlated} detection hits checked={detected} scorecard evidence checked={scored}");
    assert!(correlated > 0 && detected > 0 && scored > 0, "the correlation, detection and scorecard paths must have had something to show");
    assert_eq!((counts.leaked, counts.wrongly_denied), (0, 0));
}

/// The version choice on every path, by example: A shares a malware's
/// version 1 (TLP:GREEN) and version 2 (TLP:AMBER+STRICT) under an A–B
/// agreement whose ceiling is AMBER, an indicator likewise, and recalls a
/// third object (its version 2 revokes it). B is owed version 1 of the
/// first two wherever it asks for the latest (TAXII `last`, the default, in
/// the everything collection, the agreement's collection and the object's
/// own endpoint; the manifest; REST `versions=last`, the object, its
/// observables) and the revoked version of the third wherever it asks for
/// the first. A, the author, gets its latest.
async fn a_newer_version_hides_no_older_one(backend: Backend) {
    let node = crate::start(backend, Default::default()).await;
    let agreement = crate::ratified_agreement(&node, "A-B amber", &[0, 1], &["malware", "indicator"]).await;
    let (green, strict) = (model::tlp::Tlp::Green.marking_id(), model::tlp::Tlp::AmberStrict.marking_id());
    let malware = "malware--00000000-0000-4000-8000-0000000000a1";
    let indicator = "indicator--00000000-0000-4000-8000-0000000000a2";
    let recalled = "malware--00000000-0000-4000-8000-0000000000a3";
    let (v1, v2) = ("2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z");
    let version = |id: &str, modified: &str, marking: &str, revoked: bool| {
        let mut o = json!({"type": id.split("--").next().unwrap(), "spec_version": "2.1", "id": id, "created_by_ref": node.a,
            "created": v1, "modified": modified, "name": "example", "object_marking_refs": [marking]});
        if id.starts_with("malware") {
            o["is_family"] = json!(false);
        } else {
            o["pattern"] = json!("[ipv4-addr:value = '198.51.100.7']");
            o["pattern_type"] = json!("stix");
            o["valid_from"] = json!(v1);
        }
        if revoked {
            o["revoked"] = json!(true);
        }
        o
    };
    let objects = vec![
        version(malware, v1, green, false),
        version(malware, v2, strict, false),
        version(indicator, v1, green, false),
        version(indicator, v2, strict, false),
        version(recalled, v1, green, false),
        version(recalled, v2, green, true),
    ];
    let (s, v) = crate::call(&node, &node.token_a, "POST", "objects", Some(json!({"objects": objects, "agreements": [agreement]}))).await;
    assert_eq!(s, 200, "{v}");
    assert!(v["results"].as_array().unwrap().iter().all(|r| r["status"] == "stored"), "{v}");

    let client = Client::new();
    let get = |token: &str, path: String| {
        let (client, token, url) = (client.clone(), token.to_owned(), format!("{}{path}", node.url));
        async move {
            let r = client.get(&url).bearer_auth(&token).header("Accept", TAXII).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null), url)
        }
    };
    // The (id, version) pairs of a listing's objects, of ours only.
    let listed = |body: &Value, field: &str| -> BTreeSet<String> {
        body[field]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|o| [malware, indicator, recalled].contains(&o["id"].as_str().unwrap_or("")))
            .map(|o| key(o["id"].as_str().unwrap(), o.get("modified").or_else(|| o.get("version")).and_then(Value::as_str).unwrap()))
            .collect()
    };
    let want = |pairs: &[(&str, &str)]| pairs.iter().map(|(id, v)| key(id, v)).collect::<BTreeSet<String>>();
    let everything = format!("/taxii2/root/collections/{}/", server::release::EVERYTHING);
    let collection = format!("/taxii2/root/collections/{}/", server::release::collection_of_agreement(&StixId::parse(&agreement).unwrap()));
    let b_last = want(&[(malware, v1), (indicator, v1), (recalled, v2)]);
    let b_first = want(&[(malware, v1), (indicator, v1), (recalled, v2)]);
    let a_last = want(&[(malware, v2), (indicator, v2), (recalled, v2)]);
    let a_first = want(&[(malware, v1), (indicator, v1), (recalled, v1)]);
    for (token, last, first) in [(&node.token_b, &b_last, &b_first), (&node.token_a, &a_last, &a_first)] {
        for base in [&everything, &collection] {
            for (query, expected) in [("", last), ("?match[version]=last", last), ("?match[version]=first", first)] {
                let (s, body, url) = get(token, format!("{base}objects/{query}")).await;
                assert_eq!((s, &listed(&body, "objects")), (200, expected), "{url}");
                let (s, body, url) = get(token, format!("{base}manifest/{query}")).await;
                assert_eq!((s, &listed(&body, "objects")), (200, expected), "{url}");
            }
            for id in [malware, indicator, recalled] {
                for (query, expected) in [("", last), ("?match[version]=first", first)] {
                    let (s, body, url) = get(token, format!("{base}objects/{id}/{query}")).await;
                    let mine: BTreeSet<String> = expected.iter().filter(|k| k.starts_with(id)).cloned().collect();
                    assert_eq!((s, listed(&body, "objects")), (200, mine), "{url}");
                }
            }
        }
        for (versions, expected) in [("last", last), ("first", first)] {
            let (s, body, url) = get(token, format!("/api/v1/objects?versions={versions}")).await;
            assert_eq!((s, &listed(&body, "objects")), (200, expected), "{url}");
        }
        for id in [malware, indicator, recalled] {
            let (s, body, url) = get(token, format!("/api/v1/objects/{id}")).await;
            let latest = last.iter().find(|k| k.starts_with(id)).unwrap();
            assert_eq!((s, key(id, body["modified"].as_str().unwrap_or(""))), (200, latest.clone()), "{url}");
        }
    }
    // The indicator's observables: B is owed those of version 1.
    let (s, body, url) = get(&node.token_b, format!("/api/v1/objects/{indicator}/observables")).await;
    assert_eq!(s, 200, "{url}: {body}");
    assert_eq!(body["observables"][0]["value"], "198.51.100.7", "{body}");
    // C, no party, still gets nothing.
    let token_c = {
        let (t, rec) = server::auth::issue(&node.c, "test", store::Role::Analyst, 0, None);
        let registry = node.registry.clone();
        tokio::task::spawn_blocking(move || registry.put_token(&rec).unwrap()).await.unwrap();
        t
    };
    for id in [malware, indicator, recalled] {
        let (s, _, url) = get(&token_c, format!("{everything}objects/{id}/")).await;
        assert_eq!(s, 404, "{url}");
        let (s, _, url) = get(&token_c, format!("/api/v1/objects/{id}")).await;
        assert_eq!(s, 404, "{url}");
    }
}

crate::on_both_backends!(every_path_equals_the_reference, a_newer_version_hides_no_older_one);
