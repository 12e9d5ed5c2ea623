//! The statements module's tests: the kit's contract (`module_suite!`)
//! over a scenario of drafts, revisions and approvals; unanimity and the
//! silence procedure under a controlled clock, with the embargo, a
//! correction and a withdrawal; bad input refused naming the property;
//! the timing rule; and a property test over random drafts, approvals,
//! objections, authoring times and arrival orders on three nodes: a
//! statement passes and publishes exactly when its rule is met.

use model::{Object, Timestamp};
use partnership::suite::{Step, World};
use partnership::{Error, Module, Record, Records};
use policy::{Agreement, StatementProcedure};
use serde_json::{json, Value};
use statements::{Statements, OBJECTION};

fn p(i: usize) -> String {
    World::new().partners[i].to_string()
}

fn draft(cosigners: &[usize], embargo: &str, submit: bool) -> Value {
    json!({
        "title": "Joint statement on <script>alert(1)</script> ransomware",
        "text": "The parties condemn the campaign.",
        "languages": { "fr": { "title": "Déclaration commune", "text": "Les parties condamnent la campagne." } },
        "embargo": embargo,
        "cosigners": cosigners.iter().map(|&i| p(i)).collect::<Vec<_>>(),
        "submit": submit,
    })
}

/// A draft by partner 0 for all three, revised, submitted, approved by
/// all; a bilateral statement by partner 1 approved by partner 2.
fn scenario() -> Vec<Step> {
    vec![
        (0, "draft-statement", draft(&[1, 2], "2026-06-02T00:00:00Z", false)),
        (0, "revise-statement", json!({ "statement": "$0", "text": "The parties condemn the campaign firmly." })),
        (0, "submit-statement", json!({ "statement": "$0" })),
        (0, "approve-statement", json!({ "statement": "$0" })),
        (1, "approve-statement", json!({ "statement": "$0" })),
        (2, "approve-statement", json!({ "statement": "$0" })),
        (1, "draft-statement", draft(&[2], "2026-06-03T00:00:00Z", true)),
        (2, "approve-statement", json!({ "statement": "$6" })),
    ]
}

partnership::module_suite!(Statements, scenario());

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn hours(t: &Timestamp, h: i64) -> Timestamp {
    Timestamp::from_micros(t.micros() + h * 3_600_000_000)
}

/// The suite's world with the agreement's statement procedure set.
fn world(procedure: StatementProcedure) -> World {
    let w = World::new();
    let mut terms = w.agreement.terms.clone();
    terms.statement_procedure = procedure;
    let object = policy::ext::agreement_object(&w.agreement.id, &w.partners[0], &w.agreement.version, &w.agreement.version, &terms).unwrap();
    World { agreement: Agreement::from_object(&object).unwrap(), ..w }
}

/// Records made one action at a time by the parties of the suite's
/// trilateral agreement (partners 0–2; partner 3 is no party).
struct Bench {
    world: World,
    made: Vec<Record>,
    objects: Vec<Object>,
}

impl Bench {
    fn new(procedure: StatementProcedure) -> Bench {
        Bench { world: world(procedure), made: Vec::new(), objects: Vec::new() }
    }

    fn records(&self) -> Records {
        Records::new(self.made.clone())
    }

    fn try_act(&mut self, who: usize, action: &str, input: Value, now: &Timestamp) -> Result<Record, Error> {
        let Value::Object(input) = input else { panic!("an object") };
        let object = partnership::author(&Statements, action, &input, &self.records(), &self.world.ctx(who, now))?;
        let record = Record::from_object(&object).unwrap();
        self.made.push(record.clone());
        self.objects.push(object);
        Ok(record)
    }

    fn act(&mut self, who: usize, action: &str, input: Value, now: &str) -> Record {
        let what = format!("{action} by {who}");
        self.try_act(who, action, input, &at(now)).unwrap_or_else(|e| panic!("{what}: {e}"))
    }

    fn statement(&self, now: &str) -> Value {
        Statements.state(&self.records(), &self.world.ctx(0, &at(now)))["statements"][0].clone()
    }
}

/// The property an error names, or the error itself.
fn property(e: Error) -> String {
    match e {
        Error::Invalid { property, .. } => property,
        other => panic!("not an invalid property: {other:?}"),
    }
}

#[test]
fn unanimity_needs_every_cosigner_on_the_exact_version_and_publishes_at_the_embargo() {
    let mut b = Bench::new(StatementProcedure::Unanimity);
    let s = b.act(0, "draft-statement", draft(&[1, 2], "2026-06-10T00:00:00Z", false), "2026-06-01T00:00:00Z");
    let id = json!({ "statement": s.id.as_str() });
    assert_eq!(b.statement("2026-06-20T00:00:00Z")["stage"], "draft");
    // A draft is not approved before it is submitted.
    assert_eq!(property(b.try_act(1, "approve-statement", id.clone(), &at("2026-06-01T01:00:00Z")).unwrap_err()), "statement");
    b.act(0, "submit-statement", id.clone(), "2026-06-01T02:00:00Z");
    b.act(0, "approve-statement", id.clone(), "2026-06-01T03:00:00Z");
    b.act(1, "approve-statement", id.clone(), "2026-06-01T04:00:00Z");
    let st = b.statement("2026-06-20T00:00:00Z");
    assert_eq!(st["stage"], "awaiting-approvals");
    assert_eq!(st["signers"][1]["approved"], true);
    assert_eq!(st["signers"][2]["approved"], false);
    // Partner 3 is no party; no co-signer objects under unanimity.
    assert!(b.try_act(3, "approve-statement", id.clone(), &at("2026-06-01T05:00:00Z")).is_err());
    assert_eq!(property(b.try_act(2, "object-to-statement", json!({ "statement": s.id.as_str(), "reason": "no" }), &at("2026-06-01T05:00:00Z")).unwrap_err()), "statement");
    // A revision needs new approvals: the earlier ones count for nothing.
    let first = b.records().get(&s.id).unwrap().modified.to_string();
    b.act(0, "revise-statement", json!({ "statement": s.id.as_str(), "text": "Revised." }), "2026-06-02T00:00:00Z");
    assert_eq!(b.statement("2026-06-20T00:00:00Z")["signers"][1]["approved"], false);
    // Approving a version that is not the latest is refused, naming it.
    let e = b.try_act(2, "approve-statement", json!({ "statement": s.id.as_str(), "version": first }), &at("2026-06-02T01:00:00Z")).unwrap_err();
    assert_eq!(property(e), "version");
    for who in 0..3 {
        b.act(who, "approve-statement", id.clone(), "2026-06-03T00:00:00Z");
    }
    assert_eq!(b.statement("2026-06-09T23:59:59Z")["stage"], "passed");
    assert_eq!(b.statement("2026-06-09T23:59:59Z")["public_version"], Value::Null);
    let st = b.statement("2026-06-10T00:00:00Z");
    assert_eq!(st["stage"], "published");
    assert_eq!(st["text"], "Revised.");
    assert_eq!(st["versions"].as_array().unwrap().len(), 3);

    // A correction after publication: the published version stays public
    // until the correction passes, then it shows as a correction.
    b.act(0, "revise-statement", json!({ "statement": s.id.as_str(), "text": "Corrected." }), "2026-06-11T00:00:00Z");
    let st = b.statement("2026-06-12T00:00:00Z");
    assert_eq!(st["stage"], "awaiting-approvals");
    assert_eq!(st["public_version"], st["versions"][2]["version"]);
    for who in 0..3 {
        b.act(who, "approve-statement", id.clone(), "2026-06-12T00:00:00Z");
    }
    let st = b.statement("2026-06-13T00:00:00Z");
    assert_eq!((st["stage"].as_str(), st["correction"].as_bool()), (Some("corrected"), Some(true)));
    assert_eq!(st["public_version"], st["version"]);
    // A withdrawal is a version of its own, shown as such.
    b.act(0, "withdraw-statement", id, "2026-06-14T00:00:00Z");
    let st = b.statement("2026-06-15T00:00:00Z");
    assert_eq!(st["stage"], "withdrawn");
    assert_eq!(st["public_version"], st["version"]);
}

#[test]
fn silence_passes_at_the_deadline_unless_an_objection_came_in_time_and_a_revision_restarts_the_clock() {
    let mut b = Bench::new(StatementProcedure::Silence { silence_days: 2 });
    let s = b.act(0, "draft-statement", draft(&[1, 2], "2026-06-01T00:00:00Z", true), "2026-06-01T00:00:00Z");
    let id = s.id.as_str();
    let st = b.statement("2026-06-02T00:00:00Z");
    assert_eq!((st["stage"].as_str(), st["deadline"].as_str()), (Some("in-silence"), Some("2026-06-03T00:00:00.000000Z")));
    assert_eq!(b.statement("2026-06-03T00:00:00Z")["stage"], "published");
    // An objection before the deadline blocks it, on every reading after.
    b.act(2, "object-to-statement", json!({ "statement": id, "reason": "the attribution is premature" }), "2026-06-02T23:00:00Z");
    let st = b.statement("2026-06-05T00:00:00Z");
    assert_eq!(st["stage"], "blocked");
    assert_eq!(st["signers"][2]["objection"]["reason"], "the attribution is premature");
    assert_eq!(st["published"], false);
    // A revision restarts the clock; the objection was to the earlier version.
    b.act(0, "revise-statement", json!({ "statement": id, "text": "Attribution left out." }), "2026-06-04T00:00:00Z");
    assert_eq!(b.statement("2026-06-05T00:00:00Z")["stage"], "in-silence");
    assert_eq!(b.statement("2026-06-06T00:00:00Z")["stage"], "published");
    // An objection after the deadline is refused, naming the statement.
    let e = b.try_act(1, "object-to-statement", json!({ "statement": id, "reason": "late" }), &at("2026-06-06T00:00:00Z")).unwrap_err();
    assert_eq!(property(e), "statement");
}

#[test]
fn a_late_or_backdated_objection_counts_on_no_node_and_one_on_time_counts_whatever_its_arrival() {
    let mut b = Bench::new(StatementProcedure::Silence { silence_days: 1 });
    let s = b.act(0, "draft-statement", draft(&[1], "2026-06-01T00:00:00Z", true), "2026-06-01T00:00:00Z");
    // Made one second before the deadline by partner 1's node, read long after.
    let on_time = b.act(1, "object-to-statement", json!({ "statement": s.id.as_str(), "reason": "no" }), "2026-06-01T23:59:59Z");
    let ctx_late = b.world.ctx(0, &at("2026-07-01T00:00:00Z"));
    assert!(partnership::accept(&Statements, &b.objects[1], &ctx_late).is_ok(), "an objection made in time arrives at any time");
    assert_eq!(b.statement("2026-07-01T00:00:00Z")["stage"], "blocked");
    // The same objection made at the deadline: refused on arrival naming
    // `created`, and ignored by the state should a node hold it anyway.
    let mut late = b.objects[1].to_value();
    late["id"] = json!("x-entente-statement-objection--00000000-0000-4000-8000-0000000000aa");
    late["created"] = json!("2026-06-02T00:00:00Z");
    late["modified"] = json!("2026-06-02T00:00:00Z");
    let late = Object::from_value(late).unwrap();
    assert_eq!(property(partnership::accept(&Statements, &late, &ctx_late).unwrap_err()), "created");
    let records = Records::new(vec![b.made[0].clone(), Record::from_object(&late).unwrap()]);
    let st = Statements.state(&records, &ctx_late)["statements"][0].clone();
    assert_eq!(st["stage"], "published");
    assert_eq!(st["signers"][1]["objection"]["in_time"], false);
    assert_eq!(on_time.kind, OBJECTION);
}

#[test]
fn bad_input_is_refused_naming_the_property() {
    let mut b = Bench::new(StatementProcedure::Unanimity);
    let now = at("2026-06-01T00:00:00Z");
    let mut outsider = draft(&[1], "2026-06-02T00:00:00Z", true);
    outsider["cosigners"] = json!([p(1), p(3)]);
    assert_eq!(property(b.try_act(0, "draft-statement", outsider, &now).unwrap_err()), "cosigner_refs[2]");
    let e = b.try_act(0, "draft-statement", draft(&[1], "2026-05-31T00:00:00Z", true), &now).unwrap_err();
    assert_eq!(property(e), "embargo");
    let mut alone = draft(&[], "2026-06-02T00:00:00Z", true);
    alone["cosigners"] = json!([]);
    assert_eq!(property(b.try_act(0, "draft-statement", alone, &now).unwrap_err()), "cosigner_refs");
    let mut lang = draft(&[1], "2026-06-02T00:00:00Z", true);
    lang["languages"] = json!({ "fr": { "title": "t" } });
    assert_eq!(property(b.try_act(0, "draft-statement", lang, &now).unwrap_err()), "languages.fr.text");
    let mut blank = draft(&[1], "2026-06-02T00:00:00Z", true);
    blank["title"] = json!(" ");
    assert_eq!(property(b.try_act(0, "draft-statement", blank, &now).unwrap_err()), "title");
    assert!(b.made.is_empty(), "nothing stored");
}

/// A small deterministic random source (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Random drafts, approvals, objections and revisions at random authoring
/// times, the records split and permuted across three nodes (with now and
/// then a late objection a node holds anyway): every node says a statement
/// passed and published exactly when the rule, computed here a second and
/// plain way, is met.
#[test]
fn a_statement_publishes_exactly_when_its_rule_is_met_on_every_node() {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let (mut scenarios, mut wrong) = (0, 0);
    let t0 = at("2026-06-01T00:00:00Z");
    for _ in 0..1500 {
        let procedure = if rng.below(2) == 0 { StatementProcedure::Unanimity } else { StatementProcedure::Silence { silence_days: 1 + rng.below(3) as u32 } };
        let mut b = Bench::new(procedure);
        let cosigners: Vec<usize> = match rng.below(3) {
            0 => vec![0, 1],
            1 => vec![0, 2],
            _ => vec![0, 1, 2],
        };
        let embargo = hours(&t0, rng.below(120) as i64);
        let s = b.act(0, "draft-statement", draft(&cosigners[1..], embargo.as_str(), true), t0.as_str());
        // The plain model: the current version's time, who approved it, who objected in time.
        let mut version = t0.clone();
        let mut approved: Vec<usize> = Vec::new();
        let mut objected = false;
        let events = rng.below(7);
        let mut offsets: Vec<i64> = (0..events).map(|_| 1 + rng.below(100) as i64).collect();
        offsets.sort();
        for (i, h) in offsets.into_iter().enumerate() {
            let when = Timestamp::from_micros(hours(&t0, h).micros() + i as i64 * 1_000_000);
            let who = rng.below(4) as usize;
            let deadline = match procedure {
                StatementProcedure::Silence { silence_days } => Some(hours(&version, 24 * i64::from(silence_days))),
                StatementProcedure::Unanimity => None,
            };
            let input = json!({ "statement": s.id.as_str(), "reason": "we object", "text": format!("version {i}") });
            let (action, expected) = match rng.below(3) {
                0 => ("approve-statement", cosigners.contains(&who)),
                1 => ("object-to-statement", cosigners.contains(&who) && deadline.as_ref().is_some_and(|d| when < *d)),
                _ => ("revise-statement", who == 0),
            };
            let mut input = input;
            let map = input.as_object_mut().unwrap();
            match action {
                "approve-statement" => {
                    map.remove("reason");
                    map.remove("text");
                }
                "object-to-statement" => {
                    map.remove("text");
                }
                _ => {
                    map.remove("reason");
                }
            }
            let done = b.try_act(who, action, input, &when).is_ok();
            assert_eq!(done, expected, "{action} by {who} at {when} under {procedure:?}");
            if done {
                match action {
                    "approve-statement" => approved.push(who),
                    "object-to-statement" => objected = true,
                    _ => {
                        version = when.clone();
                        approved.clear();
                        objected = false;
                    }
                }
            }
        }
        // A late objection to the current version, which its author's node
        // should never have made: one node holds it anyway.
        let mut tampered: Option<Record> = None;
        if let StatementProcedure::Silence { silence_days } = procedure {
            if rng.below(3) == 0 {
                let deadline = hours(&version, 24 * i64::from(silence_days));
                let mut v = b.objects[0].to_value();
                let id = format!("x-entente-statement-objection--00000000-0000-4000-8000-{:012}", scenarios);
                v = json!({
                    "type": OBJECTION, "spec_version": "2.1", "id": id, "created": deadline.as_str(), "modified": deadline.as_str(),
                    "created_by_ref": p(cosigners[1]), "agreement_ref": v["agreement_ref"], "extensions": v["extensions"],
                    "objects_to_ref": s.id.as_str(), "objects_to_modified": version.as_str(), "reason": "too late",
                });
                tampered = Some(Record::from_object(&Object::from_value(v).unwrap()).unwrap());
            }
        }
        let now = hours(&t0, rng.below(250) as i64);
        let rule = match procedure {
            StatementProcedure::Unanimity => cosigners.iter().all(|c| approved.contains(c)),
            StatementProcedure::Silence { silence_days } => !objected && hours(&version, 24 * i64::from(silence_days)) <= now,
        };
        let published = rule && embargo <= now;
        for node in 0..3 {
            let mut records = b.made.clone();
            // This node's arrival order: a random permutation, in two arrivals.
            for i in (1..records.len()).rev() {
                records.swap(i, rng.below(i as u64 + 1) as usize);
            }
            if node == 2 {
                records.extend(tampered.clone());
            }
            let split = rng.below(records.len() as u64 + 1) as usize;
            let first = Records::new(records[..split].to_vec());
            let all = Records::new(first.iter().cloned().chain(records[split..].iter().cloned()).chain(records[..split].iter().cloned()));
            let st = Statements.state(&all, &b.world.ctx(cosigners[node % cosigners.len()], &now))["statements"][0].clone();
            if st["passed"] != rule || st["published"] != published || (st["stage"] == "published" || st["stage"] == "corrected") != published {
                wrong += 1;
                eprintln!("node {node}: {procedure:?} rule {rule} published {published}: {st:#}");
            }
        }
        scenarios += 1;
    }
    println!("scenarios {scenarios}, wrong publications {wrong}");
    assert_eq!(wrong, 0);
}
