//! The leak test for partnership modules' records, through every path
//! out: three partners on one node, four agreements among them (one
//! amended later to drop a party), and dialogue and objectives records made
//! through the kit's REST actions — channels for all parties and for some
//! (`members`), messages at several TLP levels with replies, edits and
//! retractions, meetings, minutes approvals, action items and their
//! updates, objectives, endorsements and reports. Each partner then reads
//! them through the module REST endpoints (state and the paged record
//! listing), the TAXII everything collection and each agreement's
//! collection (which holds none of them: records are shared under no
//! agreement; 404 to a non-party), the export's gated scan and the module pages, and what it
//! gets must equal what the reference model (`policy::reference::World`,
//! the plain second model of the release rules) gives it: versions
//! compared exactly where a path lists versions; on the state and the
//! pages, no mark of a record the partner may not see appears and every
//! latest record it may see does. Prints the figure: checked, leaked,
//! wrongly denied.

use std::collections::BTreeSet;

use model::{Object, StixId, Timestamp};
use policy::reference::{Verdict, World};
use serde_json::{json, Value};

use crate::web::sign_in;
use crate::{call, on_both_backends, ratified_agreement, start, Backend, Node};

on_both_backends!(module_records_through_every_path_equal_the_reference);

const TAXII: &str = "application/taxii+json;version=2.1";

/// One stored version of a module's record, as the model sees it.
struct Version {
    object: Object,
    id: String,
    version: String,
    last: bool,
    poster: Option<String>,
    /// The record's mark: the text, title or description it carries.
    mark: Option<String>,
}

fn key(id: &str, version: &str) -> String {
    let v = Timestamp::parse(version).map(|t| t.as_str().to_owned()).unwrap_or_else(|_| version.to_owned());
    format!("{id}@{v}")
}

#[derive(Default)]
struct Counts {
    checked: u64,
    leaked: u64,
    wrongly_denied: u64,
}

impl Counts {
    fn compare(&mut self, what: &str, got: &[String], expected: &BTreeSet<String>, considered: usize) {
        let got_set: BTreeSet<String> = got.iter().cloned().collect();
        assert_eq!(got.len(), got_set.len(), "{what}: a version served twice");
        let leaked: Vec<&String> = got_set.difference(expected).collect();
        let denied: Vec<&String> = expected.difference(&got_set).collect();
        self.checked += considered as u64;
        self.leaked += leaked.len() as u64;
        self.wrongly_denied += denied.len() as u64;
        assert!(leaked.is_empty() && denied.is_empty(), "{what}: leaked {leaked:?}, wrongly denied {denied:?}");
    }
}

/// Acts in `module` of `agreement` as `token`: the record made.
async fn act(node: &Node, token: &str, agreement: &str, module: &str, action: &str, input: Value) -> Value {
    let (s, v) = call(node, token, "POST", &format!("agreements/{agreement}/modules/{module}/actions/{action}"), Some(input)).await;
    assert_eq!(s, 201, "{module} {action}: {v}");
    v["record"].clone()
}

/// A world of module records under `agreement` among `parties` (indexes of A, B, C).
async fn records(node: &Node, agreement: &str, parties: &[usize], n: &mut u32) {
    let ids = [&node.a, &node.b, &node.c];
    let token = |p: usize| node.liaison[p].clone();
    let mut mark = |what: &str| {
        *n += 1;
        format!("mark-{what}-{n:04}")
    };
    let (first, second) = (parties[0], parties[1]);
    // A channel for all, and one for the first two alone when there are more.
    let mut channels = vec![(act(node, &token(first), agreement, "dialogue", "create-channel", json!({ "title": mark("channel") })).await, parties.to_vec())];
    if parties.len() > 2 {
        let members = json!([ids[second]]);
        let ch = act(node, &token(first), agreement, "dialogue", "create-channel", json!({ "title": mark("channel"), "members": members })).await;
        channels.push((ch, vec![first, second]));
    }
    for (channel, members) in &channels {
        let mut posted = Vec::new();
        for (i, p) in members.iter().enumerate() {
            let tlp = ["clear", "green", "amber"][i % 3];
            let m = act(node, &token(*p), agreement, "dialogue", "post-message", json!({ "channel": channel["id"], "text": mark("message"), "tlp": tlp })).await;
            posted.push((*p, m));
        }
        let (p0, m0) = &posted[0];
        let (p1, _) = &posted[1];
        act(node, &token(*p1), agreement, "dialogue", "post-message", json!({ "channel": channel["id"], "text": mark("reply"), "reply_to": m0["id"] })).await;
        act(node, &token(*p0), agreement, "dialogue", "edit-message", json!({ "message": m0["id"], "text": mark("edited") })).await;
        let (p_last, m_last) = posted.last().unwrap();
        act(node, &token(*p_last), agreement, "dialogue", "retract-message", json!({ "message": m_last["id"] })).await;
    }
    let participants: Vec<Value> = parties.iter().map(|p| json!({ "party": ids[*p], "name": format!("delegate {p}"), "role": "member" })).collect();
    let meeting = act(node, &token(first), agreement, "dialogue", "record-meeting", json!({
        "title": mark("meeting"), "meeting_type": "senior-dialogue", "date": "2026-01-15T10:00:00Z",
        "participants": participants, "minutes": mark("minutes")
    }))
    .await;
    for p in parties {
        act(node, &token(*p), agreement, "dialogue", "approve-minutes", json!({ "meeting": meeting["id"], "version": meeting["modified"] })).await;
    }
    let item = act(node, &token(first), agreement, "dialogue", "add-action-item", json!({ "description": mark("item"), "owner": ids[second], "due": "2099-01-01T00:00:00Z" })).await;
    act(node, &token(second), agreement, "dialogue", "update-action-item", json!({ "action_item": item["id"], "update": "acknowledge", "text": mark("update") })).await;
    let kpi = json!({ "name": "hours", "unit": "h", "baseline": 12, "target": 4, "direction": "decrease", "due": "2099-01-01T00:00:00Z", "weight": 1, "reporting_party_ref": ids[second] });
    let objective = act(node, &token(first), agreement, "objectives", "propose", json!({ "title": mark("objective"), "kpis": [kpi] })).await;
    for p in parties {
        act(node, &token(*p), agreement, "objectives", "endorse", json!({ "objective": objective["id"] })).await;
    }
    act(node, &token(second), agreement, "objectives", "report", json!({ "objective": objective["id"], "kpi": "hours", "value": 8, "note": mark("report") })).await;
}

async fn module_records_through_every_path_equal_the_reference(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let ids = [node.a.clone(), node.b.clone(), node.c.clone()];
    let worlds: [(&str, &[usize]); 4] = [("A–B–C", &[0, 1, 2]), ("A–B", &[0, 1]), ("B–C", &[1, 2]), ("A–B–C, then A–B", &[0, 1, 2])];
    let mut agreements = Vec::new();
    let mut n = 0;
    for (title, parties) in worlds {
        let id = ratified_agreement(&node, title, parties, &["indicator"]).await;
        records(&node, &id, parties, &mut n).await;
        agreements.push((id, parties));
    }
    // The last one amended to drop C, ratified by A and B: C's records stay
    // its own, and nothing of the others' reaches C any more.
    let dropped = agreements[3].0.clone();
    let terms = json!({
        "title": "A–B, C left", "purpose": "share indicators of shared threats", "party_refs": [node.a, node.b],
        "scope": { "object_types": ["indicator"], "labels": [], "data_kind": "real" }, "tlp_ceiling": "amber",
        "handling": { "reshare": "parties-only", "attribution": "required", "permitted_actions": [] }, "valid_from": "2020-01-01T00:00:00Z"
    });
    let (s, v) = call(&node, &node.liaison[0], "POST", &format!("agreements/{dropped}"), Some(terms)).await;
    assert_eq!(s, 201, "{v}");
    for p in [0, 1] {
        let (s, v) = call(&node, &node.liaison[p], "POST", &format!("agreements/{dropped}/ratify"), None).await;
        assert_eq!(s, 201, "{v}");
    }
    let channel = act(&node, &node.liaison[0], &dropped, "dialogue", "create-channel", json!({ "title": "mark-after-0001" })).await;
    act(&node, &node.liaison[1], &dropped, "dialogue", "post-message", json!({ "channel": channel["id"], "text": "mark-after-0002" })).await;
    agreements[3].1 = &[0, 1];

    // The model's view of what is stored.
    let store = node.store.clone();
    let stored: Vec<store::Record> = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        store.scan(&store::Query { versions: store::Versions::ALL, ..Default::default() }, &mut |r| {
            out.push(r);
            Ok(())
        })
        .unwrap();
        out
    })
    .await
    .unwrap();
    let objects = |t: &str| stored.iter().filter(|r| r.object_type == t).map(|r| Object::parse(&r.json, &model::Limits::default()).unwrap()).collect::<Vec<_>>();
    let keys: Vec<(StixId, String)> = objects("identity")
        .iter()
        .filter(|i| i.created_by_ref() == Some(i.id()))
        .filter_map(|i| Some((i.id().clone(), policy::ext::public_key_of(i).ok()??)))
        .collect();
    let world = World::new(&objects(policy::ext::AGREEMENT_TYPE), &objects(policy::ext::RATIFICATION_TYPE), &objects(policy::ext::NOTICE_TYPE), &keys);
    let module_types: BTreeSet<&str> = ["dialogue", "objectives"]
        .iter()
        .flat_map(|m| node_modules().into_iter().find(|x| x.name() == *m).unwrap().kinds().iter().copied().collect::<Vec<_>>())
        .collect();
    let mut latest: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    for r in stored.iter().filter(|r| module_types.contains(r.object_type.as_str())) {
        let e = latest.entry(r.id.as_str()).or_insert(r.version_micros);
        *e = (*e).max(r.version_micros);
    }
    let versions: Vec<Version> = stored
        .iter()
        .filter(|r| module_types.contains(r.object_type.as_str()))
        .map(|r| {
            let object = Object::parse(&r.json, &model::Limits::default()).unwrap();
            let v = object.to_value();
            let mark = ["text", "title", "description", "minutes", "note"].iter().find_map(|k| v[*k].as_str()).filter(|m| m.starts_with("mark-")).map(str::to_owned);
            Version { id: r.id.clone(), version: r.version.clone(), last: latest[r.id.as_str()] == r.version_micros, poster: r.posted_by.clone(), mark, object }
        })
        .collect();
    assert!(versions.len() > 60, "{} module versions", versions.len());
    let now = Timestamp::now();
    let visible = |v: &Version, p: &StixId| v.poster.as_deref() == Some(p.as_str()) || world.verdict_stored(&v.object, None, p, &now, &[], v.object.revoked()) != Verdict::Deny;
    let outcomes: BTreeSet<bool> = versions.iter().flat_map(|v| ids.iter().map(|p| visible(v, &StixId::parse(p).unwrap()))).collect();
    assert_eq!(outcomes.len(), 2, "the records were all visible or all hidden");

    let client = reqwest::Client::new();
    let mut counts = Counts::default();
    let types = module_types.iter().copied().collect::<Vec<_>>().join(",");
    for (pi, p) in ids.iter().enumerate() {
        let pid = StixId::parse(p).unwrap();
        let token = &node.liaison[pi];
        let get = |u: String| {
            let r = client.get(u).bearer_auth(token).header("Accept", TAXII).send();
            async move {
                let r = r.await.unwrap();
                (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let seen = |v: &Version| visible(v, &pid);

        // TAXII, the everything collection: every version of the module kinds.
        let base = format!("{}/taxii2/root/collections/{}/objects/?match[version]=all&match[type]={types}&limit=37", node.url, server::release::EVERYTHING);
        let mut got = Vec::new();
        let mut u = base.clone();
        loop {
            let (s, body) = get(u.clone()).await;
            assert_eq!(s, 200, "{u}: {body}");
            for o in body["objects"].as_array().into_iter().flatten() {
                got.push(key(o["id"].as_str().unwrap(), o["modified"].as_str().unwrap()));
            }
            if body["more"] != true {
                break;
            }
            u = format!("{base}&next={}", body["next"].as_str().unwrap());
        }
        let expected: BTreeSet<String> = versions.iter().filter(|v| seen(v)).map(|v| key(&v.id, &v.version)).collect();
        counts.compare(&format!("{p}: TAXII everything"), &got, &expected, versions.len());

        // The export's gated scan (`entente export --for P`).
        let store = node.store.clone();
        let (reader_of, module_types2) = (pid.clone(), module_types.iter().map(|t| t.to_string()).collect::<Vec<_>>());
        let exported: Vec<String> = tokio::task::spawn_blocking(move || {
            let index = server::release::Agreements::default().index(&*store).unwrap();
            let reader = server::release::Reader::new(reader_of, index, server::release::Through::AnyShare);
            let query = store::Query { types: module_types2, versions: store::Versions::ALL, gate: Some(reader.gate()), ..Default::default() };
            let mut out = Vec::new();
            store.scan(&query, &mut |r| {
                out.push(key(&r.id, &r.version));
                Ok(())
            })
            .unwrap();
            out
        })
        .await
        .unwrap();
        counts.compare(&format!("{p}: export"), &exported, &expected, versions.len());

        let browser = sign_in(&node, token).await;
        for (agreement, parties) in &agreements {
            let of_agreement = |v: &&Version| v.object.to_value()["agreement_ref"] == agreement.as_str();
            let party = parties.contains(&pi);
            // TAXII, the agreement's collection.
            let base = format!(
                "{}/taxii2/root/collections/{}/objects/?match[version]=all&match[type]={types}&limit=23",
                node.url,
                server::release::collection_of_agreement(&StixId::parse(agreement).unwrap())
            );
            let (s, body) = get(base.clone()).await;
            if !party {
                assert_eq!(s, 404, "{p} reads the collection of {agreement}: {body}");
            } else {
                let mut got = Vec::new();
                let mut body = body;
                loop {
                    assert_eq!(s, 200, "{base}: {body}");
                    for o in body["objects"].as_array().into_iter().flatten() {
                        got.push(key(o["id"].as_str().unwrap(), o["modified"].as_str().unwrap()));
                    }
                    if body["more"] != true {
                        break;
                    }
                    body = get(format!("{base}&next={}", body["next"].as_str().unwrap())).await.1;
                }
                // An agreement's collection holds what is shared under it;
                // partnership records are shared under none (they travel in
                // the everything collection, to whom their kind says): none.
                let all: Vec<&Version> = versions.iter().filter(of_agreement).collect();
                let expected = BTreeSet::new();
                counts.compare(&format!("{p}: TAXII collection of {agreement}"), &got, &expected, all.len());
            }
            for module in ["dialogue", "objectives"] {
                let mine: Vec<&Version> = versions.iter().filter(of_agreement).filter(|v| {
                    let t = v.object.object_type();
                    node_modules().into_iter().find(|x| x.name() == module).unwrap().kinds().contains(&t)
                }).collect();
                // The paged record listing.
                let base = format!("{}/api/v1/agreements/{agreement}/modules/{module}/records?limit=7", node.url);
                let (s, body) = get(base.clone()).await;
                if !party {
                    assert_eq!(s, 404, "{p} is no party to {agreement}: {body}");
                    // Only its own records (from before it left) are the model's for it.
                    let others = mine.iter().filter(|v| seen(v)).filter(|v| v.poster.as_deref() != Some(p.as_str())).count();
                    assert_eq!(others, 0, "the model gives {p} others' records of {agreement}");
                    counts.checked += mine.len() as u64;
                } else {
                    let mut got = Vec::new();
                    let mut body = body;
                    loop {
                        assert_eq!(body["records"].is_array(), true, "{base}: {body}");
                        for o in body["records"].as_array().unwrap() {
                            got.push(key(o["id"].as_str().unwrap(), o["modified"].as_str().unwrap()));
                        }
                        if body["more"] != true {
                            break;
                        }
                        let (s, next) = get(format!("{base}&next={}", body["next"].as_str().unwrap())).await;
                        assert_eq!(s, 200, "{next}");
                        body = next;
                    }
                    let expected: BTreeSet<String> = mine.iter().filter(|v| seen(v)).map(|v| key(&v.id, &v.version)).collect();
                    counts.compare(&format!("{p}: {module} records of {agreement}"), &got, &expected, mine.len());
                }
                // The state (REST) and the page: no mark of a record it may
                // not see; every mark of a latest record it sees where both
                // show it (channels, messages, meetings and their minutes,
                // items, objectives; not the notes of updates and reports).
                let (s, state) = get(format!("{}/api/v1/agreements/{agreement}/modules/{module}", node.url)).await;
                let (ps, _, page) = browser.get(&format!("/agreements/{agreement}/modules/{module}")).await;
                if !party {
                    assert_eq!((s, ps.as_u16()), (404, 404), "{p} reads {module} of {agreement}");
                    continue;
                }
                let state = state.to_string();
                for v in mine.iter().filter(|v| v.mark.is_some()) {
                    let m = v.mark.as_deref().unwrap();
                    let hidden = !mine.iter().any(|x| x.id == v.id && seen(x));
                    counts.checked += 2;
                    if hidden {
                        counts.leaked += u64::from(state.contains(m)) + u64::from(page.contains(m));
                        assert!(!state.contains(m) && !page.contains(m), "{p}: {m} of {} leaked in {module}'s state or page", v.id);
                    } else if v.last && !v.object.revoked() && !["x-entente-action-update", "x-entente-progress-report"].contains(&v.object.object_type()) {
                        counts.wrongly_denied += u64::from(!state.contains(m)) + u64::from(!page.contains(m));
                        assert!(state.contains(m) && page.contains(m), "{p}: {m} of {} missing from {module}'s state or page", v.id);
                    }
                }
            }
        }
    }
    println!(
        "leak (module records, {backend:?}): {} versions of {} records, checked {}, leaked {}, wrongly denied {}",
        versions.len(),
        versions.iter().map(|v| &v.id).collect::<BTreeSet<_>>().len(),
        counts.checked,
        counts.leaked,
        counts.wrongly_denied
    );
    assert_eq!((counts.leaked, counts.wrongly_denied), (0, 0));
}

/// The build's modules.
fn node_modules() -> Vec<std::sync::Arc<dyn partnership::Module>> {
    server::modules::registered().iter().cloned().collect()
}
