//! Agreement pages: the list at `/agreements`, one agreement at
//! `/agreements/{id}` (terms, versions, who ratified which version, notices,
//! and the actions the caller may take as forms), the propose form at
//! `/agreements/new` and the amend form at `/agreements/{id}/amend`.
//!
//! The forms call what the REST API calls ([`node::agreements::propose`],
//! [`node::agreements::ratify`], [`node::agreements::give_notice`]) under
//! the same rules: a liaison or an administrator acts
//! ([`crate::site::must_be_liaison`]), always for its own partner; only the
//! proposer amends; only a party ratifies or gives notice. An agreement the
//! caller's partner is not party to is the same 404 page as a missing one.
//! Terms the policy crate refuses come back as the form again, 422, with the
//! field at fault named and what was typed kept.

use std::collections::{BTreeSet, HashMap};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use model::tlp::Tlp;
use model::{StixId, Timestamp};
use policy::{Action, Agreement, AgreementState, Attribution, DataKind, NoticeKind, Reshare};
use serde_json::{json, Map, Value};

use super::session::Signed;
use super::{layout, page, WebError};
use crate::kit::form::{csrf, field, not_allowed, Pairs};
use node::agreements::{self, View};
use crate::site::{agreement_id, must_be_liaison};
use crate::{Problem, Site};

fn role_refusal(signed: &Signed) -> Option<Response> {
    must_be_liaison(&signed.caller).err().map(|_| {
        not_allowed(signed, &format!("Agreements are proposed, amended, ratified and given notice by a liaison or an administrator; you are signed in as {}.", signed.caller.role.as_str()))
    })
}

fn me(signed: &Signed) -> Result<StixId, WebError> {
    Ok(signed.caller.partner.clone())
}

/// Runs an agreements call on the blocking pool.
async fn run<T: Send + 'static>(f: impl FnOnce() -> Result<T, agreements::Error> + Send + 'static) -> Result<Result<T, agreements::Error>, WebError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| WebError::Api(Problem::internal(e.to_string())))
}

/// An agreements error that is not the caller's input: 404, 403 page, or the API's answer.
fn failed(signed: &Signed, e: agreements::Error) -> Result<Response, WebError> {
    match e {
        agreements::Error::Forbidden(m) => Ok(not_allowed(signed, &m)),
        agreements::Error::Invalid(m) => {
            let body = layout("Refused", Some(signed), html! { p.error role="alert" { (m.message()) } p { a href="/agreements" { "Back to the agreements" } } });
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(body.into_string())).into_response())
        }
        other => Err(WebError::from(Problem::from(other))),
    }
}

async fn view_of(state: &Site, me: &StixId, id: &StixId) -> Result<View, WebError> {
    let (store, me, id) = (state.store.clone(), me.clone(), id.clone());
    run(move || agreements::Book::load(&*store)?.view(&id, &me, &Timestamp::now())).await?.map_err(|e| WebError::from(Problem::from(e)))
}

fn named<'a>(names: &'a HashMap<String, String>) -> impl Fn(&str) -> String + 'a {
    move |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned())
}

fn joined(ids: &[StixId], name: &impl Fn(&str) -> String) -> String {
    ids.iter().map(|p| name(p.as_str())).collect::<Vec<_>>().join(", ")
}

/// The state in words, parties by name.
fn describe(state: &AgreementState, name: &impl Fn(&str) -> String) -> String {
    match state {
        AgreementState::Draft => "draft: no party has ratified this version yet".to_owned(),
        AgreementState::AwaitingRatification { missing } => format!("awaiting ratification by {}", joined(missing, name)),
        AgreementState::Suspended { by } => format!("suspended by {}", joined(by, name)),
        AgreementState::Withdrawn { by } => format!("withdrawn by {}", joined(by, name)),
        AgreementState::Held { by } => format!("sharing held by a dispute's remedy while {} stands", by.iter().map(StixId::as_str).collect::<Vec<_>>().join(", ")),
        other => other.name().replace('-', " "),
    }
}

/// The notices given on an agreement that have not taken effect yet, soonest first.
fn scheduled<'a>(notices: &'a [policy::Notice], now: &Timestamp) -> Vec<&'a policy::Notice> {
    let mut v: Vec<&policy::Notice> = notices.iter().filter(|n| !n.revoked && n.effective.micros() > now.micros()).collect();
    v.sort_by_key(|n| n.effective.micros());
    v
}

/// A scheduled notice in words: "Borealis's withdrawal from 2026-…".
fn announce(n: &policy::Notice, name: &impl Fn(&str) -> String) -> String {
    format!("{}'s {} from {}", name(n.author.as_str()), n.kind.name(), n.effective)
}

fn validity(a: &Agreement) -> String {
    match &a.terms.valid_until {
        Some(u) => format!("{} to {}", a.terms.valid_from, u),
        None => format!("from {}, no end", a.terms.valid_from),
    }
}

/// `GET /agreements`.
pub(super) async fn list(State(state): State<Site>, signed: Signed) -> Result<Response, WebError> {
    let me = me(&signed)?;
    let store = state.store.clone();
    let now = Timestamp::now();
    let at = now.clone();
    let views = run(move || Ok(agreements::Book::load(&*store)?.list(&me, &at))).await?.map_err(Problem::from)?;
    let names = super::partner_names(&state).await?;
    let name = named(&names);
    let body = html! {
        @if must_be_liaison(&signed.caller).is_ok() { p { a.action href="/agreements/new" { "Propose an agreement" } } }
        @if views.is_empty() { p { "Your partner is not party to any agreement." } }
        @else {
            table {
                thead { tr { th scope="col" { "Title" } th scope="col" { "State" } th scope="col" { "Parties" } th scope="col" { "TLP ceiling" } th scope="col" { "Valid" } } }
                tbody {
                    @for v in &views {
                        @let a = &v.agreement;
                        tr {
                            td { a href={ "/agreements/" (a.id) } { (a.terms.title) } }
                            td {
                                span.state { (v.state.name()) }
                                @for n in scheduled(&v.notices, &now) { br; span.scheduled { "scheduled: " (announce(n, &name)) } }
                            }
                            td { (joined(&a.terms.parties, &name)) }
                            td { (a.terms.tlp_ceiling.name()) }
                            td { (validity(a)) }
                        }
                    }
                }
            }
        }
    };
    Ok(page(layout("Agreements", Some(&signed), body)))
}

/// A notice form's input that was refused: which form, what was typed, why.
struct NoticeFault {
    kind: NoticeKind,
    typed: String,
    message: String,
}

/// `GET /agreements/{id}`.
pub(super) async fn show(State(state): State<Site>, signed: Signed, Path(id): Path<String>) -> Result<Response, WebError> {
    let id = agreement_id(&id)?;
    render(&state, &signed, &id, None, StatusCode::OK).await
}

/// The agreement page, with an error on one of its notice or ratify forms.
async fn render(state: &Site, signed: &Signed, id: &StixId, fault: Option<NoticeFault>, status: StatusCode) -> Result<Response, WebError> {
    let me = me(signed)?;
    let view = view_of(state, &me, id).await?;
    let names = super::partner_names(state).await?;
    let name = named(&names);
    let a = &view.agreement;
    let t = &a.terms;
    let proposer = view.versions.first().map_or(&a.author, |v| &v.author);
    let acts = must_be_liaison(&signed.caller).is_ok();
    let party = a.is_party(&me);
    // Verified ratifications of the current version, by party.
    let current = |ver: &str| Timestamp::parse(ver).is_ok_and(|v| v == a.version);
    let ratified_now: BTreeSet<&StixId> = view.ratifications.iter().filter(|(_, ver, ok)| *ok && current(ver)).map(|(p, _, _)| p).collect();
    let mine: Vec<_> = view.notices.iter().filter(|n| n.author == me && !n.revoked).collect();
    // Suspended by the caller's partner when its latest suspension or resumption is a suspension.
    let suspended_by_me = mine.iter().filter(|n| n.kind != NoticeKind::Withdrawal).max_by_key(|n| n.effective.micros()).is_some_and(|n| n.kind == NoticeKind::Suspension);
    let withdrawn_by_me = mine.iter().any(|n| n.kind == NoticeKind::Withdrawal);
    let list = |v: &[String]| if v.is_empty() { "all".to_owned() } else { v.join(", ") };
    let notice_form = |kind: NoticeKind, path: &str, button: &str, hint: &str| {
        let fault = fault.as_ref().filter(|f| f.kind == kind);
        let input = format!("{path}-effective");
        html! {
            form.notice method="post" action={ "/agreements/" (a.id) "/" (path) } {
                input type="hidden" name="csrf" value=(signed.csrf);
                label for=(input) { (button) " from (optional: now)" }
                input id=(input) type="text" name="effective" value=[fault.map(|f| f.typed.as_str())] placeholder="YYYY-MM-DD" aria-invalid=[fault.map(|_| "true")];
                @if let Some(f) = fault { p.error role="alert" { "Check the field " code { "effective" } ": " (f.message) } }
                button type="submit" { (button) }
                p.hint { (hint) }
            }
        }
    };
    let now = Timestamp::now();
    let coming = scheduled(&view.notices, &now);
    let body = html! {
        p.lead { "State: " span.state { (view.state.name()) } " — " (describe(&view.state, &name)) }
        nav.modules aria-label="Modules" { "Modules: " @for (i, m) in state.modules.iter().enumerate() { @if i > 0 { ", " } a href={ "/agreements/" (a.id) "/modules/" (m.name()) } { (m.name()) } } ", " a href={ "/agreements/" (a.id) "/scorecard" } { "scorecard" } }
        @for n in &coming {
            div.scheduled {
                p { "Scheduled: " (announce(n, &name)) "." }
                @if acts && n.author == me {
                    form.inline method="post" action={ "/agreements/" (a.id) "/notices/" (n.id) "/cancel" } {
                        input type="hidden" name="csrf" value=(signed.csrf);
                        button type="submit" { "Cancel this " (n.kind.name()) }
                    }
                }
            }
        }
        dl.facts {
            dt { "Id" } dd { code { (a.id) } }
            dt { "Proposed by" } dd { (name(proposer.as_str())) }
            dt { "Parties" } dd { (joined(&t.parties, &name)) }
            dt { "Purpose" } dd { (t.purpose) }
            dt { "Object types" } dd { (list(&t.scope.object_types)) }
            dt { "Labels" } dd { (list(&t.scope.labels)) }
            dt { "Data kind" } dd { (t.scope.data_kind.name()) }
            dt { "TLP ceiling" } dd { (t.tlp_ceiling.name()) }
            dt { "Re-sharing" } dd { (t.handling.reshare.name()) }
            dt { "Attribution" } dd { (t.handling.attribution.name()) }
            dt { "Permitted actions" } dd { @if t.handling.permitted_actions.is_empty() { "none" } @else { (t.handling.permitted_actions.iter().map(|x| x.name()).collect::<Vec<_>>().join(", ")) } }
            dt { "Retention" } dd { @if let Some(d) = t.handling.retention_days { (d) " days" } @else { "not limited" } }
            dt { "Valid" } dd { (validity(a)) }
            dt { "TAXII collection" } dd { code { "/taxii2/" (taxii::API_ROOT) "/collections/" (node::release::collection_of_agreement(&a.id)) "/" } " (what is shared under it, for a TAXII 2.1 client with an API token)" }
            dt { "Current version" } dd { (a.version) }
        }
        h2 { "Ratification of the current version" }
        table {
            thead { tr { th scope="col" { "Party" } th scope="col" { "Ratified" } } }
            tbody {
                @for p in &t.parties {
                    tr { td { (name(p.as_str())) } td { @if ratified_now.contains(p) { "yes" } @else { "not yet" } } }
                }
            }
        }
        @if acts && party {
            section.actions {
                h2 { "Actions" }
                @if !ratified_now.contains(&me) {
                    form.inline method="post" action={ "/agreements/" (a.id) "/ratify" } {
                        input type="hidden" name="csrf" value=(signed.csrf);
                        button type="submit" { "Ratify" }
                        span.hint { " Signs version " (a.version) " with " (signed.partner_name) "'s key." }
                    }
                }
                @if proposer == &me { p { a.action href={ "/agreements/" (a.id) "/amend" } { "Amend the terms" } } }
                @if !withdrawn_by_me {
                    div.grid {
                        @if suspended_by_me { (notice_form(NoticeKind::Resumption, "resume", "Resume", "Your partner shares under this agreement again.")) }
                        @else { (notice_form(NoticeKind::Suspension, "suspend", "Suspend", "Nothing is released under this agreement while a party's suspension is in effect.")) }
                        (notice_form(NoticeKind::Withdrawal, "withdraw", "Withdraw", "Withdrawal is final."))
                    }
                }
            }
        }
        h2 { "Versions" }
        table {
            thead { tr { th scope="col" { "Version" } th scope="col" { "Title" } th scope="col" { "Parties" } th scope="col" { "TLP ceiling" } th scope="col" { "Valid" } } }
            tbody {
                @for v in view.versions.iter().rev() {
                    tr { td { (v.version) @if v.version == a.version { " (current)" } } td { (v.terms.title) } td { (joined(&v.terms.parties, &name)) } td { (v.terms.tlp_ceiling.name()) } td { (validity(v)) } }
                }
            }
        }
        h2 { "Ratifications" }
        @if view.ratifications.is_empty() { p { "None yet." } }
        @else {
            table {
                thead { tr { th scope="col" { "Party" } th scope="col" { "Version ratified" } th scope="col" { "Signature" } } }
                tbody {
                    @for (p, ver, ok) in &view.ratifications {
                        tr { td { (name(p.as_str())) } td { (ver) @if current(ver) { " (current)" } } td { @if *ok { "verifies" } @else { "does not verify" } } }
                    }
                }
            }
        }
        h2 { "Notices" }
        @if view.notices.is_empty() { p { "None." } }
        @else {
            table {
                thead { tr { th scope="col" { "Party" } th scope="col" { "Notice" } th scope="col" { "Effective" } th scope="col" { "Given" } } }
                tbody {
                    @for n in &view.notices {
                        tr { td { (name(n.author.as_str())) } td { (n.kind.name()) @if n.revoked { " (cancelled)" } @else if n.effective.micros() > now.micros() { " (scheduled)" } } td { (n.effective) } td { (n.version) } }
                    }
                }
            }
        }
    };
    let html = layout(&t.title, Some(signed), body);
    Ok((status, Html(html.into_string())).into_response())
}

/// The propose and amend form's fields, as typed.
#[derive(Clone, Default)]
struct Fields {
    title: String,
    purpose: String,
    parties: Vec<String>,
    object_types: String,
    labels: String,
    data_kind: String,
    tlp_ceiling: String,
    reshare: String,
    attribution: String,
    permitted_actions: Vec<String>,
    retention_days: String,
    valid_from: String,
    valid_until: String,
}

/// A field at fault and why.
struct Fault {
    /// The field's name in the form ("" when no one field is at fault).
    field: &'static str,
    message: String,
}

fn fault(field: &'static str, message: impl Into<String>) -> Fault {
    Fault { field, message: message.into() }
}

const DATA_KINDS: [DataKind; 3] = [DataKind::Real, DataKind::Exercise, DataKind::Both];
const RESHARES: [Reshare; 3] = [Reshare::PartiesOnly, Reshare::None, Reshare::RecipientAgreements];
const ATTRIBUTIONS: [Attribution; 2] = [Attribution::Required, Attribution::Withheld];
const ACTIONS: [Action; 4] = [Action::ContactForInstruction, Action::InternallyVisible, Action::ExternallyVisibleIndirect, Action::ExternallyVisibleDirect];

/// A comma list, trimmed, empty items dropped.
fn items(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect()
}

/// A date (`YYYY-MM-DD`, midnight UTC) or an RFC 3339 UTC time; `None` when blank.
fn when(field: &'static str, raw: &str) -> Result<Option<Timestamp>, Fault> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    Timestamp::parse(t)
        .or_else(|e| if t.len() == 10 { Timestamp::parse(&format!("{t}T00:00:00Z")) } else { Err(e) })
        .map(Some)
        .map_err(|_| fault(field, format!("“{t}” is not a date: write YYYY-MM-DD or a UTC time such as 2026-01-01T00:00:00Z")))
}

/// The form field a property of the terms is written in.
fn field_of(property: &str) -> &'static str {
    match property.split('[').next().unwrap_or(property) {
        "title" => "title",
        "purpose" => "purpose",
        "party_refs" => "parties",
        "scope.object_types" | "scope" => "object_types",
        "scope.labels" => "labels",
        "scope.data_kind" => "data_kind",
        "tlp_ceiling" => "tlp_ceiling",
        "handling.reshare" => "reshare",
        "handling.attribution" => "attribution",
        "handling.permitted_actions" | "handling" => "permitted_actions",
        "handling.retention_days" => "retention_days",
        "valid_from" => "valid_from",
        "valid_until" => "valid_until",
        _ => "",
    }
}

/// A refusal of the terms as the field at fault: the refusal's property
/// (typed by the node, not read from its message) mapped to its field.
fn fault_of(refusal: &agreements::Refusal) -> Fault {
    match refusal.property.as_deref().map(field_of) {
        Some(field) if !field.is_empty() => fault(field, refusal.why.clone()),
        _ => fault("", refusal.message()),
    }
}

impl Fields {
    fn from_pairs(pairs: &Pairs) -> Fields {
        let all = |name: &str| pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect::<Vec<_>>();
        Fields {
            title: field(pairs, "title"),
            purpose: field(pairs, "purpose"),
            parties: all("parties"),
            object_types: field(pairs, "object_types"),
            labels: field(pairs, "labels"),
            data_kind: field(pairs, "data_kind"),
            tlp_ceiling: field(pairs, "tlp_ceiling"),
            reshare: field(pairs, "reshare"),
            attribution: field(pairs, "attribution"),
            permitted_actions: all("permitted_actions"),
            retention_days: field(pairs, "retention_days"),
            valid_from: field(pairs, "valid_from"),
            valid_until: field(pairs, "valid_until"),
        }
    }

    /// A new agreement's form: the caller's partner a party, from today.
    fn new_for(me: &StixId) -> Fields {
        Fields {
            parties: vec![me.to_string()],
            data_kind: DataKind::Real.name().into(),
            tlp_ceiling: Tlp::Amber.name().into(),
            reshare: Reshare::PartiesOnly.name().into(),
            attribution: Attribution::Required.name().into(),
            valid_from: Timestamp::now().as_str()[..10].to_owned(),
            ..Fields::default()
        }
    }

    /// The form of an amendment: the current terms.
    fn of(a: &Agreement) -> Fields {
        let t = &a.terms;
        Fields {
            title: t.title.clone(),
            purpose: t.purpose.clone(),
            parties: t.parties.iter().map(ToString::to_string).collect(),
            object_types: t.scope.object_types.join(", "),
            labels: t.scope.labels.join(", "),
            data_kind: t.scope.data_kind.name().into(),
            tlp_ceiling: t.tlp_ceiling.name().into(),
            reshare: t.handling.reshare.name().into(),
            attribution: t.handling.attribution.name().into(),
            permitted_actions: t.handling.permitted_actions.iter().map(|x| x.name().to_owned()).collect(),
            retention_days: t.handling.retention_days.map(|d| d.to_string()).unwrap_or_default(),
            valid_from: t.valid_from.to_string(),
            valid_until: t.valid_until.as_ref().map(ToString::to_string).unwrap_or_default(),
        }
    }

    /// The terms, as the REST API takes them; `known` are the partners the
    /// form offered. The caller's partner is always a party.
    fn terms(&self, me: &StixId, known: &HashMap<String, String>) -> Result<Map<String, Value>, Fault> {
        let title = self.title.trim();
        if title.is_empty() {
            return Err(fault("title", "give the agreement a title"));
        }
        let mut parties = vec![me.to_string()];
        for p in &self.parties {
            let p = p.trim();
            if !known.contains_key(p) {
                return Err(fault("parties", format!("“{p}” is not a partner this node knows")));
            }
            if !parties.iter().any(|x| x == p) {
                parties.push(p.to_owned());
            }
        }
        if parties.len() < 2 {
            return Err(fault("parties", "choose at least one other partner"));
        }
        let pick = |field: &'static str, raw: &str, ok: bool, names: &[&str]| {
            if ok {
                Ok(())
            } else {
                Err(fault(field, format!("“{raw}” is not one of {}", names.join(", "))))
            }
        };
        pick("data_kind", &self.data_kind, DataKind::parse(&self.data_kind).is_some(), &DATA_KINDS.map(DataKind::name))?;
        pick("tlp_ceiling", &self.tlp_ceiling, Tlp::ALL.iter().any(|t| t.name() == self.tlp_ceiling), &Tlp::ALL.map(Tlp::name))?;
        pick("reshare", &self.reshare, Reshare::parse(&self.reshare).is_some(), &RESHARES.map(Reshare::name))?;
        pick("attribution", &self.attribution, Attribution::parse(&self.attribution).is_some(), &ATTRIBUTIONS.map(Attribution::name))?;
        for a in &self.permitted_actions {
            pick("permitted_actions", a, Action::parse(a).is_some(), &ACTIONS.map(Action::name))?;
        }
        let mut handling = json!({ "reshare": self.reshare, "attribution": self.attribution, "permitted_actions": self.permitted_actions });
        match self.retention_days.trim() {
            "" => {}
            d => match d.parse::<u32>() {
                Ok(n) if n > 0 => handling["retention_days"] = json!(n),
                _ => return Err(fault("retention_days", format!("“{d}” is not a whole number of days above 0"))),
            },
        }
        let valid_from = when("valid_from", &self.valid_from)?.ok_or_else(|| fault("valid_from", "say from when the agreement is valid"))?;
        let valid_until = when("valid_until", &self.valid_until)?;
        let mut m = Map::new();
        m.insert("title".into(), json!(title));
        m.insert("purpose".into(), json!(self.purpose.trim()));
        m.insert("party_refs".into(), json!(parties));
        m.insert("scope".into(), json!({ "object_types": items(&self.object_types), "labels": items(&self.labels), "data_kind": self.data_kind }));
        m.insert("tlp_ceiling".into(), json!(self.tlp_ceiling));
        m.insert("handling".into(), handling);
        m.insert("valid_from".into(), json!(valid_from.as_str()));
        if let Some(u) = valid_until {
            m.insert("valid_until".into(), json!(u.as_str()));
        }
        Ok(m)
    }
}

/// The partners a propose or amend form offers: every partner the node
/// knows (an agreement must be able to name one the caller's partner has no
/// agreement with yet), and the parties the agreement already has.
async fn offered(state: &Site, current: &[StixId]) -> Result<HashMap<String, String>, WebError> {
    let mut names = super::partner_names(state).await?;
    for p in current {
        names.entry(p.to_string()).or_insert_with(|| p.to_string());
    }
    Ok(names)
}

/// What a propose or amend form page needs.
struct FormPage<'a> {
    signed: &'a Signed,
    /// The agreement amended, or none for a proposal.
    amending: Option<&'a Agreement>,
    partners: &'a HashMap<String, String>,
    fields: &'a Fields,
    fault: Option<&'a Fault>,
}

const LABELS: &[(&str, &str)] = &[
    ("title", "Title"),
    ("purpose", "Purpose"),
    ("parties", "Parties"),
    ("object_types", "Object types"),
    ("labels", "Labels"),
    ("data_kind", "Data kind"),
    ("tlp_ceiling", "TLP ceiling"),
    ("reshare", "Re-sharing"),
    ("attribution", "Attribution"),
    ("permitted_actions", "Permitted actions"),
    ("retention_days", "Retention (days)"),
    ("valid_from", "Valid from"),
    ("valid_until", "Valid until"),
];

fn label_of(name: &str) -> &'static str {
    LABELS.iter().find(|(n, _)| *n == name).map_or("", |(_, l)| l)
}

impl FormPage<'_> {
    fn at_fault(&self, name: &str) -> Option<&Fault> {
        self.fault.filter(|f| f.field == name)
    }

    /// The message beside a field at fault, which the field points to.
    fn note(&self, name: &str) -> Markup {
        html! { @if let Some(f) = self.at_fault(name) { p.error id={ (name) "-error" } { (f.message) } } }
    }

    fn text(&self, name: &'static str, value: &str, hint: &str) -> Markup {
        let bad = self.at_fault(name).is_some();
        html! {
            div.field {
                label for=(name) { (label_of(name)) }
                input id=(name) type="text" name=(name) value=(value) aria-invalid=[bad.then_some("true")] aria-describedby=[bad.then(|| format!("{name}-error"))];
                (self.note(name))
                @if !hint.is_empty() { p.hint { (hint) } }
            }
        }
    }

    fn select(&self, name: &'static str, value: &str, options: &[&str]) -> Markup {
        let bad = self.at_fault(name).is_some();
        html! {
            div.field {
                label for=(name) { (label_of(name)) }
                select id=(name) name=(name) aria-invalid=[bad.then_some("true")] aria-describedby=[bad.then(|| format!("{name}-error"))] {
                    @if !options.contains(&value) { option value=(value) selected { (value) } }
                    @for o in options { option value=(o) selected[*o == value] { (o) } }
                }
                (self.note(name))
            }
        }
    }

    fn render(&self, status: StatusCode) -> Response {
        let f = self.fields;
        let me = &self.signed.caller.partner.to_string();
        let mut partners: Vec<(&String, &String)> = self.partners.iter().collect();
        partners.sort_by_key(|(id, name)| (*id != me, name.to_lowercase()));
        let (title, action, button) = match self.amending {
            None => ("Propose an agreement".to_owned(), "/agreements".to_owned(), "Propose"),
            Some(a) => (format!("Amend “{}”", a.terms.title), format!("/agreements/{}/amend", a.id), "Amend"),
        };
        let body = html! {
            @if let Some(x) = self.fault {
                p.error role="alert" {
                    @if x.field.is_empty() { "The terms were refused: " (x.message) }
                    @else { "Check the field " code { (x.field) } " (" (label_of(x.field)) "): " (x.message) }
                }
            }
            @if self.amending.is_some() { p.hint { "An amendment is a new version: every party ratifies it again before it is in force." } }
            form.terms method="post" action=(action) {
                input type="hidden" name="csrf" value=(self.signed.csrf);
                (self.text("title", &f.title, ""))
                div.field {
                    label for="purpose" { (label_of("purpose")) }
                    textarea id="purpose" name="purpose" rows="3" aria-invalid=[self.at_fault("purpose").map(|_| "true")] { (f.purpose) }
                    (self.note("purpose"))
                }
                fieldset aria-describedby=[self.at_fault("parties").map(|_| "parties-error")] {
                    legend { (label_of("parties")) }
                    @for (i, (id, name)) in partners.iter().enumerate() {
                        @let input = format!("party-{i}");
                        div.check {
                            @if *id == me {
                                input type="hidden" name="parties" value=(id);
                                input id=(input) type="checkbox" checked disabled;
                                label for=(input) { (name) " (your partner, always a party)" }
                            } @else {
                                input id=(input) type="checkbox" name="parties" value=(id) checked[f.parties.contains(id)];
                                label for=(input) { (name) }
                            }
                            " " code.hint { (id) }
                        }
                    }
                    (self.note("parties"))
                }
                (self.text("object_types", &f.object_types, "STIX types, comma separated, e.g. indicator, malware; empty: all types"))
                (self.text("labels", &f.labels, "Labels (topics), comma separated; empty: all"))
                (self.select("data_kind", &f.data_kind, &DATA_KINDS.map(DataKind::name)))
                (self.select("tlp_ceiling", &f.tlp_ceiling, &Tlp::ALL.map(Tlp::name)))
                (self.select("reshare", &f.reshare, &RESHARES.map(Reshare::name)))
                (self.select("attribution", &f.attribution, &ATTRIBUTIONS.map(Attribution::name)))
                fieldset aria-describedby=[self.at_fault("permitted_actions").map(|_| "permitted_actions-error")] {
                    legend { (label_of("permitted_actions")) }
                    @for (i, a) in ACTIONS.iter().enumerate() {
                        @let input = format!("action-{i}");
                        div.check {
                            input id=(input) type="checkbox" name="permitted_actions" value=(a.name()) checked[f.permitted_actions.iter().any(|x| x == a.name())];
                            label for=(input) { (a.name()) }
                        }
                    }
                    (self.note("permitted_actions"))
                }
                (self.text("retention_days", &f.retention_days, "How long recipients may keep the data; empty: not limited"))
                (self.text("valid_from", &f.valid_from, "YYYY-MM-DD (midnight UTC) or a UTC time such as 2026-01-01T00:00:00Z"))
                (self.text("valid_until", &f.valid_until, "Optional, the same forms; the agreement ends there"))
                button type="submit" { (button) }
            }
        };
        (status, Html(layout(&title, Some(self.signed), body).into_string())).into_response()
    }
}

/// `GET /agreements/new`.
pub(super) async fn new_form(State(state): State<Site>, signed: Signed) -> Result<Response, WebError> {
    if let Some(r) = role_refusal(&signed) {
        return Ok(r);
    }
    let fields = Fields::new_for(&me(&signed)?);
    let partners = offered(&state, &[]).await?;
    Ok(FormPage { signed: &signed, amending: None, partners: &partners, fields: &fields, fault: None }.render(StatusCode::OK))
}

/// `GET /agreements/{id}/amend`: the form, filled with the current terms.
pub(super) async fn amend_form(State(state): State<Site>, signed: Signed, Path(id): Path<String>) -> Result<Response, WebError> {
    let view = match amendable(&state, &signed, &id).await? {
        Ok(view) => view,
        Err(refusal) => return Ok(refusal),
    };
    let fields = Fields::of(&view.agreement);
    let partners = offered(&state, &view.agreement.terms.parties).await?;
    Ok(FormPage { signed: &signed, amending: Some(&view.agreement), partners: &partners, fields: &fields, fault: None }.render(StatusCode::OK))
}

/// The agreement `id` as the caller may amend it, or the page refusing:
/// the caller's role must allow it, and only the proposer amends.
async fn amendable(state: &Site, signed: &Signed, id: &str) -> Result<Result<View, Response>, WebError> {
    if let Some(r) = role_refusal(signed) {
        return Ok(Err(r));
    }
    let view = view_of(state, &me(signed)?, &agreement_id(id)?).await?;
    let proposer = view.versions.first().map_or(&view.agreement.author, |v| &v.author);
    if proposer != &me(signed)? {
        return Ok(Err(not_allowed(signed, "Only the proposer amends an agreement.")));
    }
    Ok(Ok(view))
}

/// `POST /agreements`: proposes an agreement, then shows it.
pub(super) async fn propose(State(state): State<Site>, signed: Signed, Form(pairs): Form<Pairs>) -> Result<Response, WebError> {
    if let Err(r) = csrf(&signed, &pairs) {
        return Ok(r.into_response());
    }
    if let Some(r) = role_refusal(&signed) {
        return Ok(r);
    }
    submit(&state, &signed, None, Fields::from_pairs(&pairs)).await
}

/// `POST /agreements/{id}/amend`: a new version of the caller's agreement.
pub(super) async fn amend(State(state): State<Site>, signed: Signed, Path(id): Path<String>, Form(pairs): Form<Pairs>) -> Result<Response, WebError> {
    if let Err(r) = csrf(&signed, &pairs) {
        return Ok(r.into_response());
    }
    let view = match amendable(&state, &signed, &id).await? {
        Ok(view) => view,
        Err(refusal) => return Ok(refusal),
    };
    submit(&state, &signed, Some(&view.agreement), Fields::from_pairs(&pairs)).await
}

async fn submit(state: &Site, signed: &Signed, amending: Option<&Agreement>, fields: Fields) -> Result<Response, WebError> {
    let me = me(signed)?;
    let partners = offered(state, amending.map_or(&[][..], |a| &a.terms.parties)).await?;
    let form = |fault: &Fault| FormPage { signed, amending, partners: &partners, fields: &fields, fault: Some(fault) }.render(StatusCode::UNPROCESSABLE_ENTITY);
    let mut terms = match fields.terms(&me, &partners) {
        Ok(t) => t,
        Err(f) => return Ok(form(&f)),
    };
    // The form has no field for the meeting cadence or the statement
    // procedure (docs/partnership.md): an amendment made here keeps the
    // ones the agreement has.
    for term in ["meeting_cadence", "statement_procedure"] {
        if let Some(value) = amending.and_then(|a| a.terms.to_properties().remove(term)) {
            terms.entry(term).or_insert(value);
        }
    }
    // Nor for the scorecard's terms (docs/assessment.md), kept the same way.
    for term in [node::scorecard::SERVICE_LEVEL_TERM, node::scorecard::WEIGHTS_TERM] {
        if let Some(value) = amending.and_then(|a| serde_json::from_slice::<serde_json::Value>(&a.canonical).ok()).and_then(|mut v| v.get_mut(term).map(serde_json::Value::take)) {
            terms.entry(term).or_insert(value);
        }
    }
    let (node, id) = (state.services(), amending.map(|a| a.id.clone()));
    match run(move || node.propose(&me, id.as_ref(), &terms)).await? {
        Ok(a) => {
            tracing::info!(agreement = %a.id, partner = %signed.caller.partner, token = %signed.caller.token_id, "agreement proposed on the web");
            Ok(Redirect::to(&format!("/agreements/{}", a.id)).into_response())
        }
        Err(agreements::Error::Invalid(m)) => Ok(form(&fault_of(&m))),
        Err(e) => failed(signed, e),
    }
}

/// `POST /agreements/{id}/ratify`: the caller's partner signs the current version.
pub(super) async fn ratify(State(state): State<Site>, signed: Signed, Path(id): Path<String>, Form(pairs): Form<Pairs>) -> Result<Response, WebError> {
    if let Err(r) = csrf(&signed, &pairs) {
        return Ok(r.into_response());
    }
    if let Some(r) = role_refusal(&signed) {
        return Ok(r);
    }
    let (me, id) = (me(&signed)?, agreement_id(&id)?);
    let (node, aid) = (state.services(), id.clone());
    match run(move || node.ratify(&me, &aid)).await? {
        Ok(_) => {
            Ok(Redirect::to(&format!("/agreements/{id}")).into_response())
        }
        Err(e) => failed(&signed, e),
    }
}

async fn notice(state: Site, signed: Signed, id: String, kind: NoticeKind, pairs: Pairs) -> Result<Response, WebError> {
    if let Err(r) = csrf(&signed, &pairs) {
        return Ok(r.into_response());
    }
    if let Some(r) = role_refusal(&signed) {
        return Ok(r);
    }
    let (me, id) = (me(&signed)?, agreement_id(&id)?);
    let typed = field(&pairs, "effective");
    let refuse = |message: String| NoticeFault { kind, typed: typed.clone(), message };
    let effective = match when("", &typed) {
        Ok(t) => t,
        Err(f) => return render(&state, &signed, &id, Some(refuse(f.message)), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let (node, aid) = (state.services(), id.clone());
    match run(move || node.give_notice(&me, &aid, kind, effective)).await? {
        Ok(_) => {
            Ok(Redirect::to(&format!("/agreements/{id}")).into_response())
        }
        Err(agreements::Error::Invalid(m)) => render(&state, &signed, &id, Some(refuse(m.into())), StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(e) => failed(&signed, e),
    }
}

/// `POST /agreements/{id}/suspend`.
pub(super) async fn suspend(State(s): State<Site>, signed: Signed, Path(id): Path<String>, Form(pairs): Form<Pairs>) -> Result<Response, WebError> {
    notice(s, signed, id, NoticeKind::Suspension, pairs).await
}

/// `POST /agreements/{id}/resume`.
pub(super) async fn resume(State(s): State<Site>, signed: Signed, Path(id): Path<String>, Form(pairs): Form<Pairs>) -> Result<Response, WebError> {
    notice(s, signed, id, NoticeKind::Resumption, pairs).await
}

/// `POST /agreements/{id}/withdraw`.
pub(super) async fn withdraw(State(s): State<Site>, signed: Signed, Path(id): Path<String>, Form(pairs): Form<Pairs>) -> Result<Response, WebError> {
    notice(s, signed, id, NoticeKind::Withdrawal, pairs).await
}

/// `POST /agreements/{id}/notices/{notice}/cancel`: the caller's partner
/// cancels a notice it gave that has not taken effect yet.
pub(super) async fn cancel_notice(State(state): State<Site>, signed: Signed, Path((id, notice)): Path<(String, String)>, Form(pairs): Form<Pairs>) -> Result<Response, WebError> {
    if let Err(r) = csrf(&signed, &pairs) {
        return Ok(r.into_response());
    }
    if let Some(r) = role_refusal(&signed) {
        return Ok(r);
    }
    let (me, id) = (me(&signed)?, agreement_id(&id)?);
    let notice = StixId::parse(&notice).map_err(|_| WebError::NotFound)?;
    let (node, aid) = (state.services(), id.clone());
    match run(move || node.cancel_notice(&me, &aid, &notice)).await? {
        Ok(_) => {
            Ok(Redirect::to(&format!("/agreements/{id}")).into_response())
        }
        Err(e) => failed(&signed, e),
    }
}
