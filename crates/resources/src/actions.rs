//! The resources module's actions: each drafts one record as the caller's
//! partner, checked against the records the caller may see (a delivery
//! against the caller's own commitment, a confirmation by the receiver, a
//! currency with a rate for its year in the terms in force, a correction
//! of the caller's own entry). The kit (`partnership::author`) sets the
//! common properties and then checks the record on its own
//! (`Module::validate`).

use model::{StixId, Timestamp};
use partnership::{consent, Action, Context, Draft, Error, Record, Records};
use serde_json::{Map, Value};

use crate::rules::{terms_in_force, value};
use crate::types::{year_of, Commitment, Delivery, Figures, Offer, Project, ACCEPTANCE, COMMITMENT, CONFIRMATION, CORRECTION, DELIVERY, FIGURES, MATCH, OFFER, PROJECT, REQUEST, TERMS};
use partnership::input::own;

/// The actions a liaison must take ([`partnership::Module::liaison`]): terms, declared figures, pledges and their corrections, projects and matched support bind the party; recording and confirming deliveries is an analyst's.
pub const LIAISON: &[&str] = &["propose-terms", "amend-terms", "accept-terms", "declare-figures", "commit", "correct", "propose-project", "offer-support", "match-offer"];

/// Every action the module offers.
pub static ACTIONS: &[Action] = &[
    Action {
        name: "propose-terms",
        about: "Propose resource terms (unit, in_kind_rates, exchange_rates, exchange_source, cost_share): in force once every party accepts them.",
        kind: TERMS,
    },
    Action { name: "amend-terms", about: "Amend your resource terms (terms; the properties to change): every party accepts them again.", kind: TERMS },
    Action { name: "accept-terms", about: "Accept the latest version of resource terms, or the version given (terms, version).", kind: ACCEPTANCE },
    Action {
        name: "declare-figures",
        about: "Declare your figures for a year (year, currency, gni, population, gdp, defence_spending): a later declaration is a new version.",
        kind: FIGURES,
    },
    Action {
        name: "commit",
        about: "Pledge a resource to another party (resource, quantity, currency or category, receiver, year, due, description; project or a matched offer it honours).",
        kind: COMMITMENT,
    },
    Action { name: "deliver", about: "Record a delivery against one of your commitments (commitment, quantity, delivered_at, note).", kind: DELIVERY },
    Action { name: "confirm", about: "Confirm or dispute a delivery to you (delivery, verdict: confirmed or disputed, note).", kind: CONFIRMATION },
    Action { name: "correct", about: "Correct the quantity of one of your commitments or deliveries (record, quantity, reason): a new record.", kind: CORRECTION },
    Action {
        name: "propose-project",
        about: "Propose a joint technology project you lead (title, description, budget, participants, milestones: name, due, deliverable).",
        kind: PROJECT,
    },
    Action { name: "update-project", about: "Update a project you lead (project; title, description, budget, participants, milestones, status).", kind: PROJECT },
    Action {
        name: "request-support",
        about: "Ask the other parties for support (resource, quantity, currency or category, description, needed_by).",
        kind: REQUEST,
    },
    Action { name: "offer-support", about: "Offer support against another party's request (request, quantity, note).", kind: OFFER },
    Action { name: "match-offer", about: "Accept an offer against your request (offer): its offerer then commits it.", kind: MATCH },
];

const TERMS_PROPERTIES: [&str; 5] = ["unit", "in_kind_rates", "exchange_rates", "exchange_source", "cost_share"];

/// What `action` drafts for `ctx.me` from `input`.
pub fn act(action: &str, input: &Map<String, Value>, records: &Records, ctx: &Context<'_>) -> Result<Draft, Error> {
    match action {
        "propose-terms" => {
            only(input, &TERMS_PROPERTIES)?;
            Ok(Draft::new(TERMS, copy(input, &TERMS_PROPERTIES)))
        }
        "amend-terms" => {
            let known = ["terms", "unit", "in_kind_rates", "exchange_rates", "exchange_source", "cost_share"];
            only(input, &known)?;
            let record = find(input, "terms", TERMS, records)?;
            if &record.author != ctx.me {
                return Err(Error::Forbidden(format!("only their author ({}) amends {}", record.author, record.id)));
            }
            let mut props = own(record);
            props.extend(copy(input, &TERMS_PROPERTIES));
            if props == own(record) {
                return Err(Error::input("terms", "the amendment changes nothing"));
            }
            Ok(Draft::revise(TERMS, &record.id, props))
        }
        "accept-terms" => {
            only(input, &["terms", "version"])?;
            let record = find(input, "terms", TERMS, records)?;
            let version = match input.get("version") {
                None | Some(Value::Null) => None,
                Some(Value::String(v)) => Some(v.as_str()),
                Some(_) => return Err(Error::input("version", "must be a timestamp (the terms' `modified`)")),
            };
            let props = consent::draft(record, version, records, "version")?;
            let at = props.get(consent::TO_MODIFIED).and_then(Value::as_str).unwrap_or_default();
            let already = records
                .of_kind(ACCEPTANCE)
                .any(|a| &a.author == ctx.me && consent::check(a, TERMS).is_ok_and(|(to, v)| to == record.id && v.as_str() == at));
            if already {
                return Err(Error::input("version", format!("you already accepted version {at} of {}", record.id)));
            }
            Ok(Draft::new(ACCEPTANCE, props))
        }
        "declare-figures" => {
            let known = ["year", "currency", "gni", "population", "gdp", "defence_spending"];
            only(input, &known)?;
            let props = copy(input, &known);
            let year = input.get("year").and_then(Value::as_i64).ok_or_else(|| Error::input("year", "is required (a year)"))?;
            // A later declaration for the same year is a new version of the earlier one.
            let earlier = records.of_kind(FIGURES).filter(|r| &r.author == ctx.me).filter(|r| Figures::read(r).is_ok_and(|f| f.year == year)).last();
            Ok(match earlier {
                Some(r) => Draft::revise(FIGURES, &r.id, props),
                None => Draft::new(FIGURES, props),
            })
        }
        "commit" => {
            let known = ["resource", "quantity", "currency", "category", "receiver", "year", "due", "description", "project", "offer"];
            only(input, &known)?;
            let mut props = copy(input, &["resource", "quantity", "currency", "category", "year", "due", "description"]);
            let mut receiver = input.get("receiver").cloned();
            if let Some(v) = input.get("offer") {
                let (_, requester) = matched_offer(input, records, ctx)?;
                props.insert("offer_ref".into(), v.clone());
                // A matched offer goes to its requester.
                receiver.get_or_insert_with(|| Value::from(requester.as_str()));
            }
            let receiver = receiver.ok_or_else(|| Error::input("receiver", "is required (the party receiving it)"))?;
            props.insert("receiver_ref".into(), receiver);
            if let Some(v) = input.get("project") {
                props.insert("project_ref".into(), v.clone());
            }
            // Checked as the record will be, then against the project, the offer, and valued under the terms in force.
            let probe = probe(COMMITMENT, &props, ctx)?;
            let commitment = Commitment::read(&probe, ctx.agreement).map_err(as_input)?;
            if commitment.project.is_some() {
                check_project(&commitment, input, records, ctx)?;
            }
            if commitment.offer.is_some() {
                check_offer(&commitment, input, records, ctx)?;
            }
            let terms = terms_in_force(records, ctx);
            value(terms.as_ref().map(|t| &t.terms), &commitment, commitment.quantity, commitment.year).map_err(|(at, why)| Error::input(at, why))?;
            Ok(Draft::new(COMMITMENT, props))
        }
        "deliver" => {
            only(input, &["commitment", "quantity", "delivered_at", "note"])?;
            let record = find(input, "commitment", COMMITMENT, records)?;
            if &record.author != ctx.me {
                return Err(Error::input("commitment", format!("{} is {}'s commitment: a party delivers against its own", record.id, record.author)));
            }
            let commitment = Commitment::read(record, ctx.agreement)?;
            let mut props = copy(input, &["quantity", "note"]);
            props.insert("commitment_ref".into(), Value::from(record.id.as_str()));
            let at = match input.get("delivered_at") {
                None | Some(Value::Null) => ctx.now.clone(),
                Some(v) => v.as_str().ok_or_else(|| Error::input("delivered_at", "must be a timestamp")).and_then(|raw| Timestamp::parse(raw).map_err(|e| Error::input("delivered_at", e)))?,
            };
            if at > ctx.now {
                return Err(Error::input("delivered_at", format!("is in the future (now is {})", ctx.now)));
            }
            props.insert("delivered_at".into(), Value::from(at.to_string()));
            let delivery = Delivery::read(&probe(DELIVERY, &props, ctx)?).map_err(as_input)?;
            let terms = terms_in_force(records, ctx);
            value(terms.as_ref().map(|t| &t.terms), &commitment, delivery.quantity, year_of(&delivery.delivered_at)).map_err(|(at, why)| Error::input(at, why))?;
            Ok(Draft::new(DELIVERY, props))
        }
        "confirm" => {
            only(input, &["delivery", "verdict", "note"])?;
            let record = find(input, "delivery", DELIVERY, records)?;
            let delivery = Delivery::read(record)?;
            let commitment = records.get(&delivery.commitment).filter(|c| !c.revoked).ok_or_else(|| Error::input("delivery", format!("its commitment {} is not here", delivery.commitment)))?;
            let commitment = Commitment::read(commitment, ctx.agreement)?;
            if &commitment.receiver != ctx.me {
                return Err(Error::input("delivery", format!("{} was delivered to {}: only the receiver confirms it", record.id, commitment.receiver)));
            }
            let mut props = copy(input, &["verdict", "note"]);
            props.insert("delivery_ref".into(), Value::from(record.id.as_str()));
            // The word is on the delivery as last corrected.
            if let Some(c) = records.of_kind(CORRECTION).filter(|c| c.author == record.author && c.properties.get("corrects_ref").and_then(Value::as_str) == Some(record.id.as_str())).last() {
                props.insert("correction_ref".into(), Value::from(c.id.as_str()));
            }
            Ok(Draft::new(CONFIRMATION, props))
        }
        "correct" => {
            only(input, &["record", "quantity", "reason"])?;
            let raw = input.get("record").and_then(Value::as_str).ok_or_else(|| Error::input("record", "is required (a commitment or delivery of yours)"))?;
            let id = StixId::parse(raw).map_err(|e| Error::input("record", e))?;
            let target = records.get(&id).filter(|r| !r.revoked && [COMMITMENT, DELIVERY].contains(&r.kind.as_str()));
            let target = target.ok_or_else(|| Error::input("record", format!("no commitment or delivery {id} here")))?;
            if &target.author != ctx.me {
                return Err(Error::input("record", format!("{id} is {}'s: only its author corrects it", target.author)));
            }
            let mut props = copy(input, &["quantity", "reason"]);
            props.insert("corrects_ref".into(), Value::from(id.as_str()));
            Ok(Draft::new(CORRECTION, props))
        }
        "propose-project" => {
            let known = ["title", "description", "budget", "participants", "milestones"];
            only(input, &known)?;
            let mut props = copy(input, &["title", "description", "budget", "milestones"]);
            if let Some(p) = input.get("participants") {
                props.insert("participant_refs".into(), p.clone());
            }
            Ok(Draft::new(PROJECT, props))
        }
        "update-project" => {
            let known = ["project", "title", "description", "budget", "participants", "milestones", "status"];
            only(input, &known)?;
            let record = find(input, "project", PROJECT, records)?;
            if &record.author != ctx.me {
                return Err(Error::input("project", format!("{} is led by {}: only its lead updates it", record.id, record.author)));
            }
            let mut props = own(record);
            props.extend(copy(input, &["title", "description", "budget", "milestones", "status"]));
            if let Some(p) = input.get("participants") {
                props.insert("participant_refs".into(), p.clone());
            }
            if props == own(record) {
                return Err(Error::input("project", "the update changes nothing"));
            }
            Ok(Draft::revise(PROJECT, &record.id, props))
        }
        "request-support" => {
            let known = ["resource", "quantity", "currency", "category", "description", "needed_by"];
            only(input, &known)?;
            Ok(Draft::new(REQUEST, copy(input, &known)))
        }
        "offer-support" => {
            only(input, &["request", "quantity", "note"])?;
            let request = find(input, "request", REQUEST, records)?;
            if &request.author == ctx.me {
                return Err(Error::input("request", format!("{} is your own request: the other parties offer support", request.id)));
            }
            let mut props = copy(input, &["quantity", "note"]);
            props.insert("request_ref".into(), Value::from(request.id.as_str()));
            Ok(Draft::new(OFFER, props))
        }
        "match-offer" => {
            only(input, &["offer"])?;
            let record = find(input, "offer", OFFER, records)?;
            let offer = Offer::read(record)?;
            let request = records.get(&offer.request).filter(|r| !r.revoked).ok_or_else(|| Error::input("offer", format!("its request {} is not here", offer.request)))?;
            if &request.author != ctx.me {
                return Err(Error::input("offer", format!("{} answers {}'s request: only the requester matches it", record.id, request.author)));
            }
            if records.of_kind(MATCH).any(|m| &m.author == ctx.me && m.properties.get("offer_ref").and_then(Value::as_str) == Some(record.id.as_str())) {
                return Err(Error::input("offer", format!("you already matched {}", record.id)));
            }
            let mut props = Map::new();
            props.insert("offer_ref".into(), Value::from(record.id.as_str()));
            Ok(Draft::new(MATCH, props))
        }
        other => Err(Error::NotFound(format!("resources has no action `{other}`"))),
    }
}

/// The offer `input.offer` names: the caller's, matched by its requester.
/// Returns the offer and the requester.
fn matched_offer<'a>(input: &Map<String, Value>, records: &'a Records, ctx: &Context<'_>) -> Result<(&'a Record, policy::PartnerId), Error> {
    let record = find(input, "offer", OFFER, records)?;
    if &record.author != ctx.me {
        return Err(Error::input("offer", format!("{} is {}'s offer: a party commits its own", record.id, record.author)));
    }
    let offer = Offer::read(record)?;
    let request = records.get(&offer.request).filter(|r| !r.revoked).ok_or_else(|| Error::input("offer", format!("its request {} is not here", offer.request)))?;
    let matched = records.of_kind(MATCH).any(|m| m.author == request.author && m.properties.get("offer_ref").and_then(Value::as_str) == Some(record.id.as_str()));
    if !matched {
        return Err(Error::input("offer", format!("{} is not matched by the requester yet", record.id)));
    }
    if records.of_kind(COMMITMENT).any(|c| &c.author == ctx.me && c.properties.get("offer_ref").and_then(Value::as_str) == Some(record.id.as_str())) {
        return Err(Error::input("offer", format!("you already committed {}", record.id)));
    }
    Ok((record, request.author.clone()))
}

/// A commitment honouring a matched offer goes to the requester, of the resource requested.
fn check_offer(commitment: &Commitment, input: &Map<String, Value>, records: &Records, ctx: &Context<'_>) -> Result<(), Error> {
    let (offer, requester) = matched_offer(input, records, ctx)?;
    if commitment.receiver != requester {
        return Err(Error::input("receiver", format!("a commitment honouring {} goes to its requester {requester}", offer.id)));
    }
    let request = Offer::read(offer).ok().and_then(|o| records.get(&o.request)).and_then(|r| crate::types::Request::read(r).ok());
    if let Some(request) = request {
        if request.kind != commitment.kind || request.currency != commitment.currency || request.category != commitment.category {
            return Err(Error::input("resource", format!("the request is for {}{}", request.kind, request.currency.or(request.category).map(|x| format!(" ({x})")).unwrap_or_default())));
        }
    }
    Ok(())
}

/// A commitment to a joint project is by its lead or a participant, to
/// the lead (the lead's own, to a participant, who confirms it).
fn check_project(commitment: &Commitment, input: &Map<String, Value>, records: &Records, ctx: &Context<'_>) -> Result<(), Error> {
    let record = find(input, "project", PROJECT, records)?;
    let project = Project::read(record, ctx.agreement)?;
    if project.status != "active" {
        return Err(Error::input("project", format!("{} is {}", record.id, project.status)));
    }
    let lead = &record.author;
    if lead == ctx.me {
        if !project.participants.contains(&commitment.receiver) {
            return Err(Error::input("receiver", "the lead's own contribution goes to a participant of the project, who confirms it"));
        }
    } else if !project.participants.contains(ctx.me) {
        return Err(Error::input("project", format!("you take no part in {}", record.id)));
    } else if &commitment.receiver != lead {
        return Err(Error::input("receiver", format!("a contribution to {} goes to its lead {lead}", record.id)));
    }
    Ok(())
}

/// A record of `kind` with `props` as the caller would author it now, to
/// read it before it is made (the kit's own checks come after).
fn probe(kind: &str, props: &Map<String, Value>, ctx: &Context<'_>) -> Result<Record, Error> {
    let mut all = props.clone();
    all.insert("type".into(), Value::from(kind));
    all.insert("id".into(), Value::from(format!("{kind}--00000000-0000-4000-8000-000000000000")));
    all.insert("created".into(), Value::from(ctx.now.to_string()));
    all.insert("modified".into(), Value::from(ctx.now.to_string()));
    all.insert("created_by_ref".into(), Value::from(ctx.me.as_str()));
    all.insert(partnership::AGREEMENT_REF.into(), Value::from(ctx.agreement.id.as_str()));
    Record::from_stored(&serde_json::to_vec(&Value::Object(all)).unwrap_or_default())
}

/// An error about the probe record as one about the action's input.
fn as_input(e: Error) -> Error {
    match e {
        Error::Invalid { property, reason, .. } => {
            let property = match property.as_str() {
                "receiver_ref" => "receiver".to_owned(),
                _ => property,
            };
            Error::input(property, reason)
        }
        other => other,
    }
}

/// Refuses a property of `input` not in `known`, naming it.
fn only(input: &Map<String, Value>, known: &[&str]) -> Result<(), Error> {
    match input.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(Error::input(k.as_str(), format!("is not a property of this action (it takes {})", known.join(", ")))),
        None => Ok(()),
    }
}

/// The `keys` of `input` that are present.
fn copy(input: &Map<String, Value>, keys: &[&str]) -> Map<String, Value> {
    keys.iter().filter_map(|k| input.get(*k).map(|v| ((*k).to_owned(), v.clone()))).collect()
}

/// The record of `kind` that `input[property]` names, among the records
/// the caller may see (not withdrawn).
fn find<'a>(input: &Map<String, Value>, property: &str, kind: &str, records: &'a Records) -> Result<&'a Record, Error> {
    let raw = input.get(property).and_then(Value::as_str).ok_or_else(|| Error::input(property, format!("is required (the id of a {kind})")))?;
    let id = StixId::parse(raw).map_err(|e| Error::input(property, e))?;
    match records.get(&id) {
        Some(r) if r.kind == kind && !r.revoked => Ok(r),
        _ => Err(Error::input(property, format!("no {kind} {id} here"))),
    }
}

