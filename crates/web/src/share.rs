//! Sharing from the pages: `/share` takes STIX pasted or uploaded (a
//! bundle, an array or one object) and shares it under the agreements
//! chosen; `/share/indicator` makes one indicator from a form, authored by
//! the caller's partner. Both go through the REST API's own share
//! ([`crate::Site::share_objects`]: validation, only the author
//! versions an object, recalls spread, the valid rest kept when some
//! objects are refused) and its role rule ([`node::share::may_share`]);
//! others see a page saying they cannot share, and their POSTs are 403.
//!
//! The agreements offered are those in force that the caller's partner is
//! party to. The result page echoes what the caller sent (ids, types,
//! names, the API's reason for each refusal) and reads nothing else from
//! the store, so it adds nothing to the release log.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{html, Markup};
use model::{StixId, Timestamp};
use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::kit::form::{self, Fields};
use super::session::Signed;
use super::workbench::{self, PatternError};
use super::{layout, page, WebError};
use node::share::{may_share, Shared};
use crate::{Problem, Site};

/// An agreement that may be chosen: its id and title.
pub(super) struct Choice {
    id: String,
    title: String,
    /// The agreement's TLP ceiling: nothing above it goes out under it.
    ceiling: model::tlp::Tlp,
}

/// The agreements in force now that the caller's partner is party to.
pub(super) async fn agreements_in_force(state: &Site, signed: &Signed) -> Result<Vec<Choice>, Problem> {
    let me = signed.caller.partner.clone();
    let index = state.agreement_index().await?;
    let now = Timestamp::now();
    let mut list: Vec<Choice> = index
        .agreements_of(&me)
        .into_iter()
        .filter(|id| index.in_force(id, &now))
        .filter_map(|id| index.agreement(&id).map(|a| Choice { id: id.to_string(), title: a.terms.title.clone(), ceiling: a.terms.tlp_ceiling }))
        .collect();
    list.sort_by(|a, b| a.title.cmp(&b.title).then_with(|| a.id.cmp(&b.id)));
    Ok(list)
}

/// Checkboxes named `agreement`, one per choice, `prefix` keeping their ids
/// apart between the forms of a page.
fn agreement_boxes(prefix: &str, choices: &[Choice], chosen: &[String]) -> Markup {
    html! {
        fieldset {
            legend { "Share under" }
            @if choices.is_empty() { p.hint { "Your partner is party to no agreement in force: what you share stays your partner's own." } }
            @for (i, c) in choices.iter().enumerate() {
                @let id = format!("{prefix}-agreement-{i}");
                div.check {
                    input type="checkbox" id=(id) name="agreement" value=(c.id) checked[chosen.contains(&c.id)];
                    label for=(id) { (c.title) " " small { "(up to " (c.ceiling) ")" } }
                }
            }
        }
    }
}

/// What the indicator form was given.
#[derive(Default)]
struct Draft {
    name: String,
    pattern: String,
    indicator_types: String,
    valid_from: String,
    labels: String,
    tlp: String,
    agreements: Vec<String>,
    /// The caller saw the warnings and shares anyway.
    confirmed: bool,
}

impl Draft {
    fn from(fields: &Fields) -> Draft {
        Draft {
            name: fields.get("name").to_owned(),
            pattern: fields.get("pattern").to_owned(),
            indicator_types: fields.get("indicator_types").to_owned(),
            valid_from: fields.get("valid_from").to_owned(),
            labels: fields.get("labels").to_owned(),
            tlp: fields.get("tlp").to_owned(),
            agreements: fields.all("agreement"),
            confirmed: fields.get("confirm") == "1",
        }
    }
}

/// Why the indicator was not created.
enum DraftError {
    Pattern(PatternError),
    Other(String),
}

/// What the share page shows besides its forms.
#[derive(Default)]
struct View {
    stix: String,
    stix_agreements: Vec<String>,
    stix_error: Option<String>,
    draft: Draft,
    draft_error: Option<DraftError>,
    /// Why the indicator would not go where the caller may think.
    warnings: Vec<String>,
    /// The list-of-values form as it was given, and why it was not shared.
    values: ValuesDraft,
    values_error: Option<String>,
    values_warnings: Vec<String>,
}

/// What the list-of-values form was given.
#[derive(Default)]
struct ValuesDraft {
    text: String,
    report: String,
    tlp: String,
    agreements: Vec<String>,
    confirmed: bool,
    /// Share values on a warning list too.
    include_listed: bool,
}

impl ValuesDraft {
    fn from(fields: &Fields) -> ValuesDraft {
        ValuesDraft {
            text: fields.get("values").to_owned(),
            report: fields.get("report").trim().to_owned(),
            tlp: fields.get("tlp").to_owned(),
            agreements: fields.all("agreement"),
            confirmed: fields.get("confirm") == "1",
            include_listed: fields.get("include_listed") == "1",
        }
    }
}

/// The most values one paste shares.
const MAX_VALUES: usize = 5_000;

/// Radio buttons for a required TLP choice named `tlp`, `prefix` keeping
/// their ids apart between the forms of a page.
fn tlp_choice(prefix: &str, chosen: &str) -> Markup {
    html! {
        fieldset {
            legend { "TLP (required)" }
            @for t in model::tlp::Tlp::ALL {
                @let id = format!("{prefix}-tlp-{}", t.name().replace('+', "-"));
                div.check {
                    input type="radio" id=(id) name="tlp" value=(t.name()) required checked[chosen == t.name()];
                    label for=(id) { span class={ "tlp tlp-" (t.name().replace('+', "-")) } { (t) } }
                }
            }
        }
    }
}

/// The warnings of a form and its "share it anyway" box.
fn warned(prefix: &str, warnings: &[String]) -> Markup {
    html! {
        @if !warnings.is_empty() {
            div.warning role="alert" {
                @for w in warnings { p { (w) } }
                div.check {
                    input type="checkbox" id={ (prefix) "-confirm" } name="confirm" value="1";
                    label for={ (prefix) "-confirm" } { "Share it anyway" }
                }
            }
        }
    }
}

/// What to tell the caller before sharing an object marked `tlp` under
/// the agreements `chosen`: that it reaches no partner (none chosen), and
/// each chosen agreement whose TLP ceiling is below it (it would be
/// stored, and not released under that agreement).
fn warnings(tlp: model::tlp::Tlp, chosen: &[String], choices: &[Choice]) -> Vec<String> {
    if chosen.is_empty() {
        return vec![format!("No agreement is chosen: the indicator ({tlp}) would be stored as your partner's own and reach no partner.")];
    }
    choices
        .iter()
        .filter(|c| chosen.contains(&c.id) && tlp > c.ceiling)
        .map(|c| format!("{tlp} is above the ceiling of “{}” ({}): no party would receive it under that agreement.", c.title, c.ceiling))
        .collect()
}

fn share_page(signed: &Signed, choices: &[Choice], v: &View) -> Markup {
    let d = &v.draft;
    let body = html! {
        section {
            h2 { "Share STIX" }
            p.hint { "Paste a bundle, a JSON array of objects or one object, or choose a file. Each object is checked on its own: the valid ones are stored even when others are refused." }
            form.stack.wide method="post" action="/share" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(signed.csrf);
                label for="stix" { "STIX JSON" }
                textarea #stix name="stix" rows="12" spellcheck="false" { (v.stix) }
                label for="file" { "Or a file" }
                input #file type="file" name="file" accept=".json,application/json,application/stix+json";
                (agreement_boxes("share", choices, &v.stix_agreements))
                @if let Some(m) = &v.stix_error { p.error role="alert" { (m) } }
                button type="submit" { "Share" }
            }
        }
        section {
            h2 { "Share an indicator" }
            form.stack.wide method="post" action="/share/indicator" {
                input type="hidden" name="csrf" value=(signed.csrf);
                label for="indicator-name" { "Name" }
                input #indicator-name name="name" value=(d.name) required;
                label for="indicator-pattern" { "Pattern" }
                input #indicator-pattern name="pattern" value=(d.pattern) required spellcheck="false" placeholder="[ipv4-addr:value = '198.51.100.7']"
                    data-pattern-check="" data-csrf=(signed.csrf) aria-describedby="indicator-pattern-check";
                (workbench::live_output("indicator-pattern"))
                @match &v.draft_error {
                    Some(DraftError::Pattern(e)) => { (e.show(&d.pattern)) }
                    Some(DraftError::Other(m)) => { p.error role="alert" { (m) } }
                    None => {}
                }
                label for="indicator-types" { "Indicator types (optional, comma separated)" }
                input #indicator-types name="indicator_types" value=(d.indicator_types) placeholder="malicious-activity";
                label for="indicator-valid-from" { "Valid from (optional, default now)" }
                input #indicator-valid-from name="valid_from" value=(d.valid_from) placeholder="2026-01-01T00:00:00Z";
                label for="indicator-labels" { "Labels (optional, comma separated)" }
                input #indicator-labels name="labels" value=(d.labels);
                (tlp_choice("indicator", &d.tlp))
                (agreement_boxes("indicator", choices, &d.agreements))
                (warned("indicator", &v.warnings))
                button type="submit" { "Share indicator" }
            }
        }
        section {
            h2 { "Share a list of values" }
            p.hint { "Paste IP addresses, domains, URLs, e-mail addresses, hashes (MD5, SHA-1, SHA-256, SHA-512), CVE and ATT&CK ids, one per line or in running text; defanged forms (" code { "evil[.]example" } ", " code { "hxxp://" } ") are read too. Each becomes an indicator (a CVE a vulnerability, an ATT&CK id an attack pattern) authored by your partner; with a report title, a report gathers them." }
            form.stack.wide method="post" action="/share/values" {
                (crate::kit::form::csrf_field(signed))
                label for="values" { "Values" }
                textarea #values name="values" rows="8" spellcheck="false" placeholder="198.51.100.7\nevil[.]example" { (v.values.text) }
                label for="values-report" { "Report title (optional)" }
                input #values-report name="report" value=(v.values.report);
                div.check {
                    input type="checkbox" id="values-include-listed" name="include_listed" value="1" checked[v.values.include_listed];
                    label for="values-include-listed" { "Share listed values too (values the node's MISP warning lists name benign are left out otherwise)" }
                }
                (tlp_choice("values", &v.values.tlp))
                (agreement_boxes("values", choices, &v.values.agreements))
                @if let Some(m) = &v.values_error { p.error role="alert" { (m) } }
                (warned("values", &v.values_warnings))
                button type="submit" { "Share values" }
            }
        }
        (workbench::script())
    };
    layout("Share", Some(signed), body)
}

/// The page for a caller whose role may not share.
fn cannot_share(signed: &Signed, status: StatusCode) -> Response {
    let body = layout("Share", Some(signed), html! {
        p { "Your role (" (signed.caller.role.as_str()) ") cannot share intelligence: sharing needs the analyst role or above." }
        p { a href="/intel" { "Search the intelligence you may see" } }
    });
    (status, Html(body.into_string())).into_response()
}

/// `GET /share`.
pub(super) async fn show(State(state): State<Site>, signed: Signed) -> Result<Response, WebError> {
    if !may_share(&signed.caller) {
        return Ok(cannot_share(&signed, StatusCode::OK));
    }
    let choices = agreements_in_force(&state, &signed).await?;
    Ok(page(share_page(&signed, &choices, &View::default())))
}

/// The objects of pasted or uploaded STIX: a bundle's objects, an array's
/// items, or the one object.
fn objects_of(text: &str) -> Result<Vec<&RawValue>, String> {
    #[derive(serde::Deserialize)]
    struct Bundle<'a> {
        #[serde(rename = "type")]
        kind: Option<String>,
        #[serde(borrow)]
        objects: Option<Vec<&'a RawValue>>,
    }
    let raw: &RawValue = serde_json::from_str(text).map_err(|e| format!("That is not JSON: {e}"))?;
    if raw.get().trim_start().starts_with('[') {
        return serde_json::from_str(raw.get()).map_err(|e| format!("That is not a JSON array: {e}"));
    }
    match serde_json::from_str::<Bundle<'_>>(raw.get()) {
        Ok(Bundle { kind: Some(k), objects: Some(objects) }) if k == "bundle" => Ok(objects),
        Ok(_) => Ok(vec![raw]),
        Err(e) => Err(format!("That is neither a bundle nor a STIX object: {e}")),
    }
}

/// One line of the result page: what was sent, and what became of it.
struct Line {
    kind: String,
    name: String,
    id: String,
    status: &'static str,
    message: Option<String>,
    /// Its values on a warning list, with the list's name.
    flags: Vec<(String, String)>,
}

/// The values of a sent object (an indicator's pattern, an observable's
/// own) on one of `lists`, with the list's name.
fn flags_of(lists: &extract::WarningLists, raw: &[u8]) -> Vec<(String, String)> {
    match model::Object::parse(raw, &model::Limits::default()) {
        Ok(o) => node::warninglists::flags(lists, o.observables().iter().map(|ob| (ob.kind, ob.value.as_str()))),
        Err(_) => Vec::new(),
    }
}

/// The warning lists the result pages flag with (the node's, else the built-in set).
async fn flagging(state: &Site) -> Result<std::sync::Arc<extract::WarningLists>, Response> {
    let dir = state.keys.data_dir().to_owned();
    crate::blocking(move || node::warninglists::flagging(&dir).map_err(store::Error::Internal)).await.map_err(IntoResponse::into_response)
}

fn lines(sent: &[&RawValue], results: Vec<Shared>, lists: &extract::WarningLists) -> Vec<Line> {
    sent.iter()
        .zip(results)
        .map(|(raw, r)| {
            let v: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
            let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
            let (kind, name) = (text("type"), text("name"));
            let flags = flags_of(lists, raw.get().as_bytes());
            match r {
                Shared::Invalid { message, .. } => Line { kind, name, id: text("id"), status: "refused", message: Some(message), flags },
                Shared::Object { id, status, message, .. } => Line { kind, name, id, status, message, flags },
            }
        })
        .collect()
}

fn results_page(signed: &Signed, lines: &[Line]) -> Markup {
    let count = |s: &str| lines.iter().filter(|l| l.status == s).count();
    let body = html! {
        p.lead { (count("stored")) " stored, " (count("unchanged")) " already stored, " (count("refused")) " refused."
            @if count("left out") > 0 { " " (count("left out")) " left out: on a warning list." } }
        table.results {
            thead { tr { th scope="col" { "#" } th scope="col" { "Type" } th scope="col" { "Object" } th scope="col" { "Result" } } }
            tbody {
                @for (i, l) in lines.iter().enumerate() {
                    tr {
                        td.num { (i + 1) }
                        td { (l.kind) }
                        td {
                            @if l.status != "refused" && StixId::parse(&l.id).is_ok() {
                                a href={ "/intel/" (l.id) } { @if l.name.is_empty() { (l.id) } @else { (l.name) } }
                            } @else {
                                @if !l.name.is_empty() { (l.name) br; }
                                code { @if l.id.is_empty() { "(no id)" } @else { (l.id) } }
                            }
                            @if !l.flags.is_empty() { br; (crate::kit::badge::warning_lists(&l.flags)) }
                        }
                        td {
                            span class={ "status " (l.status) } { (l.status) }
                            @if let Some(m) = &l.message { ": " span.message { (m) } }
                        }
                    }
                }
            }
        }
        p { a href="/share" { "Share more" } }
    };
    layout("Shared", Some(signed), body)
}

/// The text of the `stix` field and of the uploaded `file`, each a document.
fn documents(fields: &Fields) -> Result<Vec<String>, String> {
    let mut docs = Vec::new();
    if let Some(file) = fields.file("file") {
        docs.push(String::from_utf8(file.to_vec()).map_err(|_| "The file is not UTF-8 text.".to_owned())?);
    }
    if !fields.get("stix").trim().is_empty() {
        docs.push(fields.get("stix").to_owned());
    }
    Ok(docs)
}

/// `POST /share`: stores what was pasted or uploaded and shares it.
pub(super) async fn share(State(state): State<Site>, signed: Signed, req: Request) -> Result<Response, Response> {
    let fields = form::read(&state, req).await?;
    signed.check_csrf(&fields.csrf()).map_err(IntoResponse::into_response)?;
    if !may_share(&signed.caller) {
        return Err(cannot_share(&signed, StatusCode::FORBIDDEN));
    }
    let choices = agreements_in_force(&state, &signed).await.map_err(IntoResponse::into_response)?;
    let refuse = |message: String| {
        let v = View { stix: fields.get("stix").to_owned(), stix_agreements: fields.all("agreement"), stix_error: Some(message), ..View::default() };
        (StatusCode::UNPROCESSABLE_ENTITY, Html(share_page(&signed, &choices, &v).into_string())).into_response()
    };
    let docs = documents(&fields).map_err(refuse)?;
    if docs.is_empty() {
        return Err(refuse("Paste STIX or choose a file.".to_owned()));
    }
    let mut sent: Vec<&RawValue> = Vec::new();
    for d in &docs {
        sent.extend(objects_of(d).map_err(refuse)?);
    }
    if sent.is_empty() {
        return Err(refuse("There is no object in that.".to_owned()));
    }
    let raws: Vec<&[u8]> = sent.iter().map(|r| r.get().as_bytes()).collect();
    let results = match state.share_objects(&signed.caller, &raws, &fields.all("agreement")).await {
        Ok(r) => r,
        Err(e) if e.status().is_client_error() => return Err(refuse(e.description().to_owned())),
        Err(e) => return Err(e.into_response()),
    };
    let lists = flagging(&state).await?;
    Ok(page(results_page(&signed, &lines(&sent, results, &lists))))
}

fn list(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// The indicator a draft describes, authored by `author`, or why it cannot be.
fn indicator(d: &Draft, tlp: model::tlp::Tlp, author: &str) -> Result<(String, Vec<u8>), DraftError> {
    workbench::check(&d.pattern).map_err(DraftError::Pattern)?;
    let now = Timestamp::now();
    let valid_from = match d.valid_from.trim() {
        "" => now.clone(),
        t => Timestamp::parse(t)
            .or_else(|_| Timestamp::parse(&format!("{t}T00:00:00Z")))
            .map_err(|e| DraftError::Other(format!("Valid from: {e}")))?,
    };
    let id = format!("indicator--{}", uuid::Uuid::new_v4());
    let mut o = json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": id,
        "created": now.to_string(),
        "modified": now.to_string(),
        "created_by_ref": author,
        "pattern": d.pattern,
        "pattern_type": "stix",
        "valid_from": valid_from.to_string(),
        "object_marking_refs": [tlp.marking_id()],
    });
    if !d.name.trim().is_empty() {
        o["name"] = json!(d.name.trim());
    }
    for (key, text) in [("indicator_types", &d.indicator_types), ("labels", &d.labels)] {
        let values = list(text);
        if !values.is_empty() {
            o[key] = json!(values);
        }
    }
    Ok((id, serde_json::to_vec(&o).map_err(|e| DraftError::Other(e.to_string()))?))
}

/// `POST /share/indicator`: makes the indicator, shares it, and shows it.
pub(super) async fn share_indicator(State(state): State<Site>, signed: Signed, req: Request) -> Result<Response, Response> {
    let fields = form::read(&state, req).await?;
    signed.check_csrf(&fields.csrf()).map_err(IntoResponse::into_response)?;
    if !may_share(&signed.caller) {
        return Err(cannot_share(&signed, StatusCode::FORBIDDEN));
    }
    let draft = Draft::from(&fields);
    let choices = agreements_in_force(&state, &signed).await.map_err(IntoResponse::into_response)?;
    let refuse = |draft: Draft, e: DraftError| {
        let v = View { draft, draft_error: Some(e), ..View::default() };
        (StatusCode::UNPROCESSABLE_ENTITY, Html(share_page(&signed, &choices, &v).into_string())).into_response()
    };
    let Some(tlp) = model::tlp::Tlp::parse(&draft.tlp) else {
        return Err(refuse(draft, DraftError::Other("TLP: choose the marking the indicator carries.".to_owned())));
    };
    let warned = warnings(tlp, &draft.agreements, &choices);
    if !warned.is_empty() && !draft.confirmed {
        let v = View { draft, warnings: warned, ..View::default() };
        return Err((StatusCode::OK, Html(share_page(&signed, &choices, &v).into_string())).into_response());
    }
    let (id, json) = match indicator(&draft, tlp, signed.caller.partner.as_str()) {
        Ok(made) => made,
        Err(e) => return Err(refuse(draft, e)),
    };
    let result = match state.share_objects(&signed.caller, &[json.as_slice()], &draft.agreements).await {
        Ok(mut r) => r.pop(),
        Err(e) if e.status().is_client_error() => return Err(refuse(draft, DraftError::Other(e.description().to_owned()))),
        Err(e) => return Err(e.into_response()),
    };
    match result {
        Some(Shared::Object { status: "stored", .. }) => Ok(Redirect::to(&format!("/intel/{id}")).into_response()),
        Some(Shared::Invalid { message, .. } | Shared::Object { message: Some(message), .. }) => Err(refuse(draft, DraftError::Other(message))),
        _ => Err(refuse(draft, DraftError::Other("The indicator was not stored.".to_owned()))),
    }
}

/// `POST /share/values`: the values found in the pasted text
/// (`extract::extract`: refanged, each once), as indicators marked with
/// the TLP chosen (a CVE as a vulnerability, an ATT&CK id as an attack
/// pattern), gathered in a report when a title is given, shared as
/// `/share` shares; the result page lists each.
pub(super) async fn share_values(State(state): State<Site>, signed: Signed, req: Request) -> Result<Response, Response> {
    let fields = form::read(&state, req).await?;
    signed.check_csrf(&fields.csrf()).map_err(IntoResponse::into_response)?;
    if !may_share(&signed.caller) {
        return Err(cannot_share(&signed, StatusCode::FORBIDDEN));
    }
    let draft = ValuesDraft::from(&fields);
    let choices = agreements_in_force(&state, &signed).await.map_err(IntoResponse::into_response)?;
    let again = |draft: ValuesDraft, status: StatusCode, error: Option<String>, warnings: Vec<String>| {
        let v = View { values: draft, values_error: error, values_warnings: warnings, ..View::default() };
        (status, Html(share_page(&signed, &choices, &v).into_string())).into_response()
    };
    let Some(tlp) = model::tlp::Tlp::parse(&draft.tlp) else {
        return Err(again(draft, StatusCode::UNPROCESSABLE_ENTITY, Some("TLP: choose the marking the values carry.".to_owned()), Vec::new()));
    };
    let mut found = extract::extract(&draft.text);
    // Values the node's MISP warning lists name benign (public resolvers,
    // private ranges, top domains) are left out unless asked for.
    let dir = state.keys.data_dir().to_owned();
    let lists = crate::blocking(move || node::warninglists::of(&dir).map_err(store::Error::Internal)).await.map_err(IntoResponse::into_response)?;
    if let Some(w) = &lists {
        w.mark(&mut found);
    }
    let (listed, found): (Vec<extract::Candidate>, Vec<extract::Candidate>) = found.into_iter().partition(|c| c.warning.is_some() && !draft.include_listed);
    if found.is_empty() && !listed.is_empty() {
        let m = format!("Every value found is on a warning list ({}): tick “share listed values too” to share them anyway.", listed.iter().map(|c| format!("{} — {}", c.value, c.warning.as_deref().unwrap_or_default())).collect::<Vec<_>>().join("; "));
        return Err(again(draft, StatusCode::UNPROCESSABLE_ENTITY, Some(m), Vec::new()));
    }
    if found.is_empty() {
        let m = "No value found in that: paste IP addresses, domains, URLs, e-mail addresses, hashes, CVE or ATT&CK ids.".to_owned();
        return Err(again(draft, StatusCode::UNPROCESSABLE_ENTITY, Some(m), Vec::new()));
    }
    if found.len() > MAX_VALUES {
        let m = format!("{} values found: at most {MAX_VALUES} are shared at once. Split the list.", found.len());
        return Err(again(draft, StatusCode::UNPROCESSABLE_ENTITY, Some(m), Vec::new()));
    }
    let warnings = warnings(tlp, &draft.agreements, &choices);
    if !warnings.is_empty() && !draft.confirmed {
        return Err(again(draft, StatusCode::OK, None, warnings));
    }
    let now = Timestamp::now().to_string();
    let mut objects = extract::report(&draft.report, "", &found, &now, &[tlp.marking_id().to_owned()]);
    if draft.report.is_empty() {
        objects.remove(0);
    }
    let raws: Vec<Vec<u8>> = objects.iter().map(|o| serde_json::to_vec(o).unwrap_or_default()).collect();
    let refs: Vec<&[u8]> = raws.iter().map(Vec::as_slice).collect();
    let results = match state.share_objects(&signed.caller, &refs, &draft.agreements).await {
        Ok(r) => r,
        Err(e) if e.status().is_client_error() => return Err(again(draft, StatusCode::UNPROCESSABLE_ENTITY, Some(e.description().to_owned()), Vec::new())),
        Err(e) => return Err(e.into_response()),
    };
    let flagging = flagging(&state).await?;
    let lines: Vec<Line> = objects
        .iter()
        .zip(raws.iter())
        .zip(results)
        .map(|((o, raw), r)| {
            let text = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
            let (kind, name) = (text("type"), text("name"));
            let flags = flags_of(&flagging, raw);
            match r {
                Shared::Invalid { message, .. } => Line { kind, name, id: text("id"), status: "refused", message: Some(message), flags },
                Shared::Object { id, status, message, .. } => Line { kind, name, id, status, message, flags },
            }
        })
        .chain(listed.iter().map(|c| Line { kind: c.kind.name().to_owned(), name: c.value.clone(), id: String::new(), status: "left out", message: Some(format!("on the warning list “{}”", c.warning.as_deref().unwrap_or_default())), flags: Vec::new() }))
        .collect();
    Ok(page(results_page(&signed, &lines)))
}
