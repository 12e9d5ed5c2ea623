//! Intelligence pages: search at `/intel` (by type, words from the store's
//! text index — name, labels, description, pattern, values; whole words, or
//! words beginning with a prefix ending in `*`, tried by itself when no
//! whole word matches — label, author partner, observable value, and date
//! added after and before, newest or best match first, paged, with a count
//! of the text matches the reader may see) and one object at
//! `/intel/{id}` (its latest visible version's properties, its versions with
//! their author-signature status, author, markings, the agreements it is
//! shared under that the caller is party to, how many other partners
//! reported its observables, the sightings of it the caller may see, and
//! for its author or the node's administrator the release decision per
//! partner).
//!
//! Both read through the caller's release gate ([`node::release::Reader`],
//! with the REST API's own [`crate::Site::visible_versions`] and
//! [`node::detect::correlate`]), and hand out only what the one read path
//! ([`node::read`]) released and logged under the channel `web`.

use std::sync::Arc;

use axum::extract::{Path, Query as UrlQuery, State};
use axum::response::Response;
use maud::{html, Markup};
use model::{StixId, Timestamp};
use serde_json::Value;
use store::{Record, Versions};

use super::session::Signed;
use super::{layout, page, WebError};
use node::release::{Reader, Through};
use node::detect;
use crate::{Problem, Site};

/// Objects per page of search results.
const PAGE: usize = 50;

/// The most versions (or text hits) one page of search results reads;
/// beyond, the page ends and "More results" goes on from where it stopped.
const READ_BUDGET: usize = 10_000;

/// The most text matches counted for the page's "of N": past it, "more
/// than N" (counting is reading; 1,000 is a few milliseconds).
pub(super) const COUNT_TO: usize = 1_000;

/// The most text hits read beyond the page to count: past it (hits the
/// reader may not see, mostly), "at least N".
const COUNT_READS: usize = 4_000;

/// Versions per store page within a window.
const WINDOW_PAGE: usize = 500;

/// The first window a search reads back from the newest: an hour.
const WINDOW_FIRST: i64 = 3_600_000_000;

/// A window this narrow (a millisecond) is read whole however dense.
const WINDOW_MIN: i64 = 1_000;

/// The search form's fields.
#[derive(serde::Deserialize, Default)]
pub(super) struct Search {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    observable: String,
    #[serde(default)]
    label: String,
    /// The author partner's identity id.
    #[serde(default)]
    partner: String,
    #[serde(default)]
    after: String,
    #[serde(default)]
    before: String,
    #[serde(default)]
    pub(super) next: String,
    /// `1`: search `q` as text even when it looks like a bare value.
    #[serde(default)]
    text: String,
    /// The order of a text search: `relevance`, else newest first.
    #[serde(default)]
    sort: String,
    /// How many results the pages before this one showed (for "51–100").
    #[serde(default)]
    at: String,
}

/// How many text matches the reader may see, counted from the page on
/// ([`store::text::Count`]), for the page's "1–50 of N".
pub(super) type Found = (Vec<Record>, Option<(String, Option<i64>)>, Option<detect::Correlation>, Option<store::text::Count>);

/// The observable a bare value typed in the text field stands for, its
/// type inferred: an IPv4 or IPv6 address, a URL, an e-mail address, an
/// MD5/SHA-1/SHA-256/SHA-512 hash (a file's), or a domain name (dotted
/// labels of letters, digits and hyphens, the last one letters). Anything
/// with a space, or matching none, is text.
pub(crate) fn bare_value(q: &str) -> Option<(&'static str, String)> {
    let q = q.trim();
    if q.is_empty() || q.chars().any(char::is_whitespace) {
        return None;
    }
    if q.parse::<std::net::Ipv4Addr>().is_ok() {
        return Some(("ipv4-addr", q.to_owned()));
    }
    if q.contains(':') && q.parse::<std::net::Ipv6Addr>().is_ok() {
        return Some(("ipv6-addr", q.to_owned()));
    }
    if let Some((scheme, rest)) = q.split_once("://") {
        if !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) && !rest.is_empty() {
            return Some(("url", q.to_owned()));
        }
    }
    if matches!(q.len(), 32 | 40 | 64 | 128) && q.chars().all(|c| c.is_ascii_hexdigit()) {
        return Some(("file", q.to_ascii_lowercase()));
    }
    let domain = |d: &str| {
        let labels: Vec<&str> = d.trim_end_matches('.').split('.').collect();
        labels.len() >= 2
            && labels.iter().all(|l| !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') && !l.starts_with('-'))
            && labels.last().is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()))
    };
    if let Some((local, host)) = q.split_once('@') {
        return (!local.is_empty() && domain(host)).then(|| ("email-addr", q.to_owned()));
    }
    domain(q).then(|| ("domain-name", q.to_ascii_lowercase()))
}

impl Search {
    /// A bare value in the text field as the observable it is (unless
    /// asked for as text): the search then looks the observable up. The
    /// kind and value, if it was one.
    pub(super) fn as_observable(&mut self) -> Option<(&'static str, String)> {
        let inferred = (self.observable.trim().is_empty() && self.text != "1").then(|| bare_value(&self.q)).flatten();
        if let Some((kind, value)) = &inferred {
            self.observable = format!("{kind}:{value}");
            self.q.clear();
        }
        inferred
    }

    /// The search's fields as a query string (without `next`), for links.
    pub(super) fn link(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [("type", &self.kind), ("q", &self.q), ("label", &self.label), ("partner", &self.partner), ("observable", &self.observable), ("after", &self.after), ("before", &self.before), ("sort", &self.sort)] {
            q.append_pair(k, v);
        }
        q.finish()
    }
}

/// A date or timestamp from the form (`2026-01-01` or RFC 3339), in microseconds.
fn when(field: &str, t: &str) -> Result<Option<i64>, String> {
    match t.trim() {
        "" => Ok(None),
        t => Timestamp::parse(t).or_else(|_| Timestamp::parse(&format!("{t}T00:00:00Z"))).map(|t| Some(t.micros())).map_err(|e| format!("{field}: {e}")),
    }
}

pub(crate) fn json_of(r: &Record) -> Value {
    serde_json::from_slice(&r.json).unwrap_or(Value::Null)
}

pub(crate) fn name_of(v: &Value) -> String {
    v.get("name").and_then(Value::as_str).map(str::to_owned).unwrap_or_default()
}

/// The results of a search, newest first (or by relevance, for text):
/// records shown, and the cursor of the next page with, for a listing
/// read in windows, the `date_added` it goes back from.
/// Text matches are counted up to `count_to` (0: not counted).
pub(super) async fn find(state: &Site, reader: &Arc<Reader>, s: &Search, context: &str, count_to: usize) -> Result<Found, WebError> {
    let bad = |m: String| WebError::Api(Problem::client(axum::http::StatusCode::BAD_REQUEST, "bad request", m));
    if !s.observable.trim().is_empty() {
        // `kind:value`, as the REST API's /observables/{type}/{value}.
        let (kind, value) = s.observable.trim().split_once(':').ok_or_else(|| bad("observable: write it as type:value, e.g. ipv4-addr:198.51.100.7".into()))?;
        let kind = pattern::observables::kind(kind.trim())
            .ok_or_else(|| bad(format!("observable: the types are {}", pattern::observables::KINDS.join(", "))))?;
        let (store, r, value) = (state.store.clone(), reader.clone(), value.trim().to_owned());
        let (correlation, records) = crate::blocking(move || {
            let (correlation, _) = detect::correlate(&*store, &r, kind, &value, PAGE, false, 0)?;
            // The page: the objects carrying it, with their JSON (names,
            // labels, PAP; the correlation reads them without), also when
            // more carry it than the correlation counts.
            let value = pattern::observables::normalise(kind, &value).into_owned();
            let query = store::Query {
                observables: vec![store::ObservableKey::new(kind, &value)],
                versions: Versions::LAST,
                gate: Some(r.gate()),
                limit: Some(PAGE),
                ..store::Query::default()
            };
            Ok((correlation, store.query(&query)?.records))
        })
        .await?;
        let records = state.out(reader, "web").records(records)?.into_inner();
        return Ok((records, None, Some(correlation), None));
    }
    let added_after = when("added after", &s.after).map_err(bad)?;
    let added_before = when("added before", &s.before).map_err(bad)?;
    let authors: Vec<String> = match s.partner.trim() {
        "" => Vec::new(),
        p => vec![StixId::parse(p).map_err(|e| bad(format!("partner: {e}")))?.to_string()],
    };
    let types: Vec<String> = s.kind.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect();
    // Text and labels: from the store's text index, best first or newest
    // first, through the reader's gate (refused hits neither shown nor
    // counted: the next page goes on after the last hit read).
    if !s.q.trim().is_empty() || !s.label.trim().is_empty() {
        let order = if s.sort == "relevance" { store::TextOrder::Rank } else { store::TextOrder::Newest };
        let from = match s.next.as_str() {
            "" => None,
            n => Some(state.cursors.open(n, context).map_err(|e| bad(e.to_string()))?),
        };
        let mut query = store::TextQuery::new(&format!("{} {}", s.q, s.label));
        if query.words.is_empty() {
            return Err(bad("text: write a word of letters or digits".into()));
        }
        let prefix = s.q.trim_end().ends_with('*');
        // A label is matched whole (any case), its words found by the index;
        // only then are the hits counted beyond the page read with their JSON.
        let label = s.label.trim().to_lowercase();
        let keep_reads_json = !label.is_empty();
        query = store::TextQuery { types, authors, added_after, added_before, order, from, prefix, keep_reads_json, ..query };
        let keep = move |r: &Record| label.is_empty() || json_of(r).get("labels").and_then(Value::as_array).is_some_and(|ls| ls.iter().filter_map(Value::as_str).any(|l| l.to_lowercase() == label));
        let (store, gate) = (state.store.clone(), reader.gate());
        let (found, count) = crate::blocking(move || store::text::search_counted(&*store, &query, &gate, &keep, PAGE, READ_BUDGET, count_to, COUNT_READS)).await?;
        let shown = state.out(reader, "web").records(found.records)?.into_inner();
        return Ok((shown, found.next.map(|c| (state.cursors.seal(c, context), None)), None, (count_to > 0).then_some(count)));
    }
    // Newest first: the results are read in windows of `date_added` going
    // back from the newest (or from where the previous page ended: its
    // cursor is the oldest date shown). A window is read whole (in the
    // store's date-added order) and its matches shown newest first; a
    // window holding more than it should (`most`) is narrowed, a sparse
    // one widened. A page ends when it is full, when `READ_BUDGET` versions
    // were read (the next page goes on from there), or at the start of the
    // store (or the "added after" date).
    let mut hi = match s.next.as_str() {
        "" => added_before.unwrap_or(i64::MAX),
        n => state.cursors.open(n, context).map_err(|e| bad(e.to_string()))?,
    };
    let floor = added_after.unwrap_or(i64::MIN);
    // A window read whole holds at most this many versions: a page when
    // every version matches, as every one does here.
    let most = 4 * PAGE;
    let now = Timestamp::now().micros();
    let mut width = WINDOW_FIRST;
    let mut shown: Vec<Record> = Vec::new();
    let mut read = 0usize;
    let mut next = None;
    while hi > floor {
        if read >= READ_BUDGET {
            next = Some(hi);
            break;
        }
        let lo = hi.min(now).saturating_sub(width).max(floor);
        // The whole window unless it is wide and dense.
        let cap = (width > WINDOW_MIN).then_some(most);
        let query = store::Query {
            types: types.clone(),
            added_after: Some(lo),
            authors: authors.clone(),
            versions: Versions::LAST,
            gate: Some(reader.gate()),
            limit: Some(WINDOW_PAGE.min(most + 1)),
            ..store::Query::default()
        };
        let store = state.store.clone();
        let window = crate::blocking(move || {
            let mut records: Vec<Record> = Vec::new();
            let mut query = query;
            loop {
                let page = store.query(&query)?;
                let ended = !page.more || page.records.last().is_none_or(|r| r.date_added.0 >= hi);
                records.extend(page.records.into_iter().take_while(|r| r.date_added.0 < hi));
                if cap.is_some_and(|c| records.len() > c) {
                    return Ok((records, true));
                }
                if ended {
                    return Ok((records, false));
                }
                query.after = page.next;
            }
        })
        .await?;
        let (records, full) = window;
        read += records.len();
        if full {
            // Narrow it to about half the most at the density just read
            // (from the first version read to the last).
            let first = records.first().map_or(lo, |r| r.date_added.0);
            let spread = records.last().map_or(width, |r| r.date_added.0.saturating_sub(first)).max(1);
            let guess = i64::try_from(i128::from(spread) * (most as i128 / 2) / records.len() as i128).unwrap_or(width);
            // What was read is older than the rest of the window: at most
            // the part after it.
            let rest = records.last().map_or(width, |r| hi.min(now).saturating_sub(r.date_added.0));
            width = guess.min(rest).clamp(2, width / 2);
            continue;
        }
        let held = records.len();
        let mut found = records;
        found.reverse();
        for r in found {
            if shown.len() == PAGE {
                break;
            }
            shown.push(r);
        }
        if shown.len() == PAGE {
            next = shown.last().map(|r| r.date_added.0);
            break;
        }
        hi = lo.saturating_add(1).min(hi);
        if lo <= floor {
            break;
        }
        // Wider for the next: to about half the most at this density, at
        // most eight times as wide.
        let wider = width.saturating_mul(8);
        width = match i64::try_from(i128::from(width) * (most as i128 / 2) / held.max(1) as i128) {
            Ok(w) => w.clamp(width, wider),
            Err(_) => wider,
        };
    }
    let shown = state.out(reader, "web").records(shown)?.into_inner();
    Ok((shown, next.map(|c| (state.cursors.seal(c, context), Some(c))), None, None))
}

/// `GET /intel`.
pub(super) async fn search(State(state): State<Site>, signed: Signed, UrlQuery(mut s): UrlQuery<Search>) -> Result<Response, WebError> {
    let reader = state.reader(&signed.caller.partner, Through::AnyShare).await?;
    // A bare value in the text field is searched as the observable it is,
    // unless asked for as text.
    let typed = s.q.clone();
    let inferred = s.as_observable();
    let mut context = format!("web|{}|{}", signed.caller.partner, s.link());
    let (mut records, mut next, correlation, mut count) = find(&state, &reader, &s, &context, COUNT_TO).await?;
    // No whole word matched anything the reader may see: the words as
    // prefixes (the box then shows the `*`, and the next pages keep it).
    let mut widened = false;
    if inferred.is_none() && records.is_empty() && next.is_none() && s.next.is_empty() && !s.q.trim().is_empty() && !s.q.trim_end().ends_with('*') {
        s.q = format!("{}*", s.q.trim_end());
        context = format!("web|{}|{}", signed.caller.partner, s.link());
        (records, next, _, count) = find(&state, &reader, &s, &context, COUNT_TO).await?;
        widened = true;
    }
    let at: usize = s.at.parse().unwrap_or(0);
    if inferred.is_some() {
        s.q = typed.clone();
        s.observable.clear();
    }
    let names = super::author_names(&state).await?;
    let author = |r: &Record| r.created_by_ref.as_ref().map(|a| names.get(a).cloned().unwrap_or_else(|| a.clone())).unwrap_or_default();
    // The author list offers the partners the caller may know of (need to
    // know, as `GET /api/v1/partners`), and the platform's definitions.
    let known = state.partners_known_to(&signed.caller).await?;
    let mut sorted_names: Vec<(String, String)> = known.into_iter().map(|p| (p.id, p.name)).collect();
    sorted_names.push((policy::ext::ENTENTE_IDENTITY.to_owned(), super::PLATFORM.to_owned()));
    sorted_names.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let text = inferred.is_none() && s.observable.trim().is_empty() && (!s.q.trim().is_empty() || !s.label.trim().is_empty());
    let ranked = text && s.sort == "relevance" && !s.q.trim_end().ends_with('*');
    let words = store::TextQuery::new(&format!("{} {}", s.q, s.label)).words;
    let body = html! {
        form.search method="get" action="/intel" role="search" {
            div { label for="type" { "Type" } input #type name="type" value=(s.kind) placeholder="indicator, malware"; }
            div { label for="q" { "Text" } input #q name="q" value=(s.q) placeholder="words of a name, description, label, pattern"; }
            div { label for="label" { "Label" } input #label name="label" value=(s.label) placeholder="phishing"; }
            div {
                label for="partner" { "Author" }
                select #partner name="partner" {
                    option value="" { "any partner" }
                    @for (id, n) in &sorted_names { option value=(id) selected[*id == s.partner] { (n) } }
                }
            }
            div { label for="observable" { "Observable" } input #observable name="observable" value=(s.observable) placeholder="ipv4-addr:198.51.100.7"; }
            div { label for="after" { "Added after" } input #after name="after" value=(s.after) placeholder="2026-01-01"; }
            div { label for="before" { "Added before" } input #before name="before" value=(s.before) placeholder="2026-12-31"; }
            div {
                label for="sort" { "Order" }
                select #sort name="sort" {
                    option value="" { "newest first" }
                    option value="relevance" selected[s.sort == "relevance"] { "best match first" }
                }
            }
            button type="submit" { "Search" }
        }
        p.hint { "For a TAXII 2.1 client (with an API token): everything released to your partner is the collection "
            code { "/taxii2/" (taxii::API_ROOT) "/collections/" (node::release::EVERYTHING) "/" } "; each agreement's is on its page. The attack patterns you may see, by tactic: " a href="/intel/attack" { "the ATT&CK matrix" } "." }
        @if let Some((kind, _)) = &inferred {
            p.hint { "“" (typed) "” looks like a value of type " code { (kind) } ": these are the objects carrying it. "
                a href={ "/intel?q=" (enc(&typed)) "&text=1" } { "Search it as text instead" } }
        }
        @if let Some(c) = correlation.as_ref().filter(|c| !c.partners.is_empty()) {
            table.correlation {
                caption { "Reported by (" (c.object_count) " object" @if c.object_count != 1 { "s" } "; first seen " (c.first_seen.as_deref().unwrap_or_default()) ", last seen " (c.last_seen.as_deref().unwrap_or_default()) ")" }
                thead { tr { th scope="col" { "Partner" } th.num scope="col" { "Objects" } th scope="col" { "First seen" } th scope="col" { "Last seen" } } }
                tbody {
                    @for p in &c.partners {
                        tr { td { (names.get(&p.partner).cloned().unwrap_or_else(|| p.partner.clone())) } td.num { (p.objects) } td { (p.first_seen) } td { (p.last_seen) } }
                    }
                }
            }
        }
        @if correlation.as_ref().is_some_and(|c| c.noisy) {
            p.hint { "More than " (PAGE) " objects you may see carry it: a common value." }
        }
        @if widened {
            p.hint { "No whole word matches “" (s.q.trim_end_matches('*')) "”: these are the words beginning with it." }
        }
        @if records.is_empty() {
            @match &next {
                None => p { "Nothing you may see matches." },
                Some((_, Some(from))) => p { "Nothing you may see matches among the objects added since " (Timestamp::from_micros(*from).to_string()) "; “More results” searches older ones." },
                Some((_, None)) => p { "Nothing you may see among the first " (READ_BUDGET) " matches; “More results” reads the next ones." },
            }
        }
        @else {
            p.found { (showing(at, records.len(), count)) }
            table.results {
                thead { tr {
                    th scope="col" { "Type" } th scope="col" { "Name" } th scope="col" { "TLP" } th scope="col" { "Author" } th scope="col" { "Labels" }
                    th scope="col" aria-sort=[(!ranked).then_some("descending")] { @if ranked { a href={ "/intel?" (resorted(&s, "")) } { "Added" } } @else { "Added ▾" } }
                    @if text { th scope="col" aria-sort=[ranked.then_some("descending")] { @if ranked { "Match ▾" } @else { a href={ "/intel?" (resorted(&s, "relevance")) } { "Match" } } } }
                } }
                tbody {
                    @for r in &records {
                        @let v = json_of(r);
                        @let name = name_of(&v);
                        tr {
                            td { (r.object_type) }
                            td { a href={ "/intel/" (r.id) } { @if name.is_empty() { (r.id) } @else { (name) } } }
                            td { (crate::kit::badge::tlp(r)) (crate::kit::badge::pap(&v)) }
                            td { (author(r)) }
                            td { (labels_of(&v)) }
                            td { (Timestamp::from_micros(r.date_added.0).as_str().get(..10).unwrap_or_default()) }
                            @if text { td { (matched_in(&v, &words)) } }
                        }
                    }
                }
            }
        }
        @if let Some((n, _)) = &next {
            p.more { a href={ "/intel?" (s.link()) "&next=" (enc(n)) "&at=" (at + records.len()) } { "More results" } }
        }
        @if !records.is_empty() {
            p.downloads { "Download these results (at most " (crate::download::MOST) "): "
                @for (i, (f, label)) in crate::download::FORMATS.iter().enumerate() {
                    @if i > 0 { " · " }
                    a href={ "/intel/download?" (s.link()) "&format=" (f) } download { (label) }
                }
            }
        }
    };
    Ok(page(layout("Intelligence", Some(&signed), body)))
}

/// "1–50 of 1,234": the results shown, from `at` on, and of how many
/// (when counted: "more than 1,000" past the cap, "at least 57" when
/// counting stopped at its budget of hits read).
fn showing(at: usize, shown: usize, count: Option<store::text::Count>) -> String {
    let range = format!("{}–{}", thousands(at + 1), thousands(at + shown));
    match count {
        Some(c) if c.exact => format!("{range} of {}", thousands(at + c.counted)),
        Some(c) if c.counted >= COUNT_TO => format!("{range} of more than {}", thousands(at + c.counted)),
        Some(c) => format!("{range} of at least {}", thousands(at + c.counted)),
        None => range,
    }
}

/// `n` with a comma every three digits.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The search's link with another order, from its first page.
fn resorted(s: &Search, sort: &str) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [("type", &s.kind), ("q", &s.q), ("label", &s.label), ("partner", &s.partner), ("observable", &s.observable), ("after", &s.after), ("before", &s.before)] {
        q.append_pair(k, v);
    }
    q.append_pair("sort", sort);
    q.finish()
}

/// An object's labels, comma-separated.
fn labels_of(v: &Value) -> String {
    v.get("labels").and_then(Value::as_array).map(|ls| ls.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")).unwrap_or_default()
}

/// Where a text search's words are in an object: the first of its fields
/// (name, labels, description, the rest: the best-match tiers,
/// [`store::text::TIERS`]) that holds them all, with the ones before it.
fn matched_in(v: &Value, words: &[String]) -> &'static str {
    let Some(f) = store::TextFields::of(v) else { return "" };
    let mut seen = String::new();
    for (field, label) in [(&f.name, "name"), (&f.labels, "labels"), (&f.description, "description"), (&f.body, "pattern, values")] {
        seen.push(' ');
        seen.push_str(field);
        let held = |w: &String| seen.split(' ').any(|x| x == w || x.starts_with(w.as_str()));
        if words.iter().all(held) {
            return label;
        }
    }
    ""
}

pub(super) fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A property value: strings as text, the rest as compact JSON (escaped
/// too); the ids of a `…_ref` or `…_refs` property as links ([`link`]).
fn value(key: &str, v: &Value, links: &Links) -> Markup {
    let linked = (key.ends_with("_ref") || key.ends_with("_refs")) && key != "object_marking_refs";
    match v {
        Value::String(s) if linked => link(s, links),
        // A report's (or grouping's) contents, grouped by type.
        Value::Array(ids) if key == "object_refs" && ids.iter().all(Value::is_string) => {
            let mut groups: std::collections::BTreeMap<&str, Vec<&str>> = std::collections::BTreeMap::new();
            for id in ids.iter().filter_map(Value::as_str) {
                groups.entry(id.split_once("--").map_or("", |(t, _)| t)).or_default().push(id);
            }
            html! {
                @for (ty, members) in &groups {
                    p.group { strong { (ty) } " (" (members.len()) ")" }
                    ul.refs { @for id in members { li { (link(id, links)) } } }
                }
            }
        }
        Value::Array(ids) if linked && ids.iter().all(Value::is_string) => html! {
            ul.refs { @for id in ids.iter().filter_map(Value::as_str) { li { (link(id, links)) } } }
        },
        Value::String(s) => html! { (s) },
        other => html! { code { (other.to_string()) } },
    }
}

/// A link to an object: its type and name when the reader may see it;
/// "not available to you" (and nothing of it) when not, or when it is
/// not one of the first [`RESOLVED`] named on the page.
fn link(id: &str, links: &Links) -> Markup {
    match links.names.get(id) {
        Some((ty, name)) => html! { a href={ "/intel/" (id) } { (ty) ": " (if name.is_empty() { id } else { name }) } },
        None if links.partners.contains_key(id) => html! { a href={ "/intel/" (id) } { "identity: " (links.partners[id]) } },
        None if links.resolved.contains(id) => html! { code { (id) } " " span.na { "not available to you" } },
        None => html! { a href={ "/intel/" (id) } { code { (id) } } },
    }
}

/// How many ids one object page resolves to a type and a name.
const RESOLVED: usize = 200;

/// How many tags of the node's MISP taxonomies the note form offers to
/// pick from (any of them may be typed).
const MAX_PICKED: usize = 2_000;

/// How many relationships, and how many reports and notes, an object page lists.
const LINKED: usize = 100;

/// What an object page shows of the objects linked to it: the type and
/// name of each id it resolved that the reader may see (released and
/// logged like the object), the ids it resolved, its relationships both
/// ways and the reports, groupings, notes and opinions naming it.
#[derive(Default)]
struct Links {
    names: std::collections::HashMap<String, (String, String)>,
    resolved: std::collections::HashSet<String>,
    relationships: Vec<Record>,
    more_relationships: bool,
    mentions: Vec<Record>,
    more_mentions: bool,
    /// The object's author by id, with the name the page's "Author" gives
    /// it: an author's identity the gate does not release is still named.
    partners: std::collections::HashMap<String, String>,
}

/// The ids in an object's `…_ref` and `…_refs` properties (its author and
/// markings left out), in order, once each.
pub(crate) fn named_ids(object: &Value) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    if let Value::Object(map) = object {
        for (k, v) in map.iter().filter(|(k, _)| (k.ends_with("_ref") || k.ends_with("_refs")) && *k != "created_by_ref" && *k != "object_marking_refs") {
            let _ = k;
            let found: Vec<&str> = match v {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            for id in found {
                if !ids.iter().any(|x| x == id) {
                    ids.push(id.to_owned());
                }
            }
        }
    }
    ids
}

/// The links of the object `id` (whose latest visible version is
/// `object`), read through the reader's gate: relationships and reports
/// naming it by the store's index of what they link
/// ([`store::ObservableKey::linked`]; the JSON is checked too), then the
/// type and name of the ids it and they name.
async fn links_of(state: &Site, reader: &Arc<Reader>, id: &StixId, object: &Value) -> Result<Links, WebError> {
    let (store, r, target) = (state.store.clone(), reader.clone(), id.to_string());
    let mut ids = named_ids(object);
    // Its author too, named on the page by its identity's name.
    if let Some(author) = object.get("created_by_ref").and_then(Value::as_str).filter(|a| !ids.iter().any(|x| x == a)) {
        ids.insert(0, author.to_owned());
    }
    let (relationships, more_relationships, mentions, more_mentions) = crate::blocking(move || {
        let linking = |types: &[&str]| {
            let q = store::Query {
                types: types.iter().map(|t| (*t).to_owned()).collect(),
                observables: vec![store::ObservableKey::linked(&target)],
                versions: Versions::LAST,
                gate: Some(r.gate()),
                limit: Some(LINKED),
                ..store::Query::default()
            };
            store.query(&q)
        };
        let names_it = |rec: &Record| {
            let v = json_of(rec);
            let is = |k: &str| v.get(k).and_then(Value::as_str) == Some(target.as_str());
            is("source_ref") || is("target_ref") || v.get("object_refs").and_then(Value::as_array).is_some_and(|a| a.iter().any(|x| x.as_str() == Some(target.as_str())))
        };
        let rel = linking(&["relationship"])?;
        let men = linking(&["report", "grouping", "note", "opinion"])?;
        Ok((rel.records.into_iter().filter(names_it).collect::<Vec<_>>(), rel.more, men.records.into_iter().filter(names_it).collect::<Vec<_>>(), men.more))
    })
    .await?;
    let relationships = state.out(reader, "web").records(relationships)?.into_inner();
    let mentions = state.out(reader, "web").records(mentions)?.into_inner();
    for rel in &relationships {
        let v = json_of(rel);
        for end in ["source_ref", "target_ref"].iter().filter_map(|k| v.get(*k).and_then(Value::as_str)) {
            if end != id.as_str() && !ids.iter().any(|x| x == end) {
                ids.push(end.to_owned());
            }
        }
    }
    ids.retain(|i| StixId::parse(i).is_ok());
    ids.truncate(RESOLVED);
    let (store, r, wanted) = (state.store.clone(), reader.clone(), ids.clone());
    let found = crate::blocking(move || {
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let q = store::Query { ids: wanted, versions: Versions::LAST, gate: Some(r.gate()), ..store::Query::default() };
        Ok(store.query(&q)?.records)
    })
    .await?;
    let found = state.out(reader, "web").records(found)?.into_inner();
    let names = found.iter().map(|rec| (rec.id.clone(), (rec.object_type.clone(), name_of(&json_of(rec))))).collect();
    Ok(Links { names, resolved: ids.into_iter().collect(), relationships, more_relationships, mentions, more_mentions, partners: Default::default() })
}

/// The types whose page gathers their threat context ([`threat_context`]).
const THREATS: &[&str] = &["threat-actor", "intrusion-set", "campaign", "malware"];

/// A threat's context on its page: how many indicators (that the reader
/// may see) indicate it, and a timeline, oldest first, of what the page
/// already read through the reader's gate — its own `first_seen` and
/// `last_seen`, each relationship (at its `start_time`, else when it was
/// created), each report, grouping, note or opinion naming it (`published`,
/// else created) and each sighting (`first_seen`, else created, with its
/// count and `last_seen`). An entry naming an object the reader may not
/// see says so and nothing of it ([`link`]).
fn threat_context(id: &str, object: &Value, links: &Links, sightings: &[Record]) -> Markup {
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let mut entries: Vec<(i64, String, Markup)> = Vec::new();
    let mut at = |when: Option<String>, what: Markup| {
        if let Some(t) = when.as_deref().and_then(|w| Timestamp::parse(w).ok()) {
            entries.push((t.micros(), t.to_string(), what));
        }
    };
    at(text(object, "first_seen"), html! { "first seen" });
    at(text(object, "last_seen"), html! { "last seen" });
    let mut indicators = 0;
    for rel in &links.relationships {
        let v = json_of(rel);
        let kind = text(&v, "relationship_type").unwrap_or_else(|| "related-to".into());
        let outgoing = text(&v, "source_ref").as_deref() == Some(id);
        let other = text(&v, if outgoing { "target_ref" } else { "source_ref" }).unwrap_or_default();
        if !outgoing && kind == "indicates" && other.starts_with("indicator--") && links.names.contains_key(&other) {
            indicators += 1;
        }
        let what = if outgoing { html! { a href={ "/intel/" (rel.id) } { (kind) } " " (link(&other, links)) } } else { html! { (link(&other, links)) " " a href={ "/intel/" (rel.id) } { (kind) } " it" } };
        at(text(&v, "start_time").or_else(|| text(&v, "created")), what);
    }
    for m in &links.mentions {
        let v = json_of(m);
        let label = text(&v, "name").or_else(|| text(&v, "abstract")).unwrap_or_else(|| m.id.clone());
        at(text(&v, "published").or_else(|| text(&v, "created")), html! { "named in the " (m.object_type) " " a href={ "/intel/" (m.id) } { (label) } });
    }
    for r in sightings {
        let v = json_of(r);
        let count = v.get("count").and_then(Value::as_u64).unwrap_or(1);
        let last = text(&v, "last_seen");
        at(text(&v, "first_seen").or_else(|| text(&v, "created")), html! {
            a href={ "/intel/" (r.id) } { "sighted" } " " (count) " time" @if count != 1 { "s" }
            @if let Some(l) = last { " (last seen " (l) ")" }
        });
    }
    entries.sort_by_key(|e| e.0);
    html! {
        h2 { "Threat context" }
        p { (indicators) " indicator" @if indicators != 1 { "s" } " you may see indicate" @if indicators == 1 { "s" } " it (among the first " (LINKED) " relationships)." }
        @if entries.is_empty() { p { "Nothing dated that you may see." } }
        @else {
            ol.timeline {
                @for (_, when, what) in &entries { li { time datetime=(when) { (when) } " — " (what) } }
            }
        }
    }
}

/// How many sightings an object page lists.
const SIGHTINGS: usize = 50;

/// A version's signature status, as the node tells it.
use node::provenance::Status as Sig;

/// A signature status in words.
fn sig_text(sig: &Sig) -> &'static str {
    match sig {
        Sig::Here => "authored on this node (signed when served)",
        Sig::Verified => "verified with the author's key",
        Sig::Vouched(_) => "verified with the key of the partner that vouches for its source",
        Sig::Invalid => "does not verify",
        Sig::Unchecked(why) => why,
    }
}

/// A signature status's style class.
fn sig_class(sig: &Sig) -> &'static str {
    match sig {
        Sig::Here | Sig::Verified | Sig::Vouched(_) => "ok",
        Sig::Invalid => "bad",
        Sig::Unchecked(_) => "none",
    }
}

/// The object page's other facts: each version's signature status, the
/// sightings of it the caller may see, and (for its author or the node's
/// administrator) the release decision per partner.
struct Facts {
    signatures: Vec<Sig>,
    sightings: Vec<Record>,
    more_sightings: bool,
    release: Option<Vec<(String, bool, String)>>,
}

async fn facts_of(state: &Site, reader: &Arc<Reader>, signed: &Signed, versions: &[Record], id: &StixId) -> Result<Facts, WebError> {
    let index = state.agreement_index().await?;
    let author = versions.iter().rev().find_map(|r| r.created_by_ref.clone());
    let node_admin = signed.caller.node_admin;
    let explain = node_admin || author.as_deref() == Some(signed.caller.partner.as_str());
    // The release table names the partners the caller may know of only.
    let known: Vec<String> = if explain { state.partners_known_to(&signed.caller).await?.into_iter().map(|p| p.id).collect() } else { Vec::new() };
    let (store, registry, r, versions, target) = (state.store.clone(), state.registry.clone(), reader.clone(), versions.to_vec(), id.to_string());
    let agreements = state.agreements.clone();
    let (signatures, sightings, more_sightings, release) = crate::blocking(move || {
        let partners = registry.partners()?;
        let hosted = |p: &str| partners.iter().any(|x| x.hosted && x.id == p);
        let keys = agreements.keys(&*store)?;
        let signatures = node::provenance::status_of(&*store, &keys, &hosted, &versions)?;
        // Sightings of it: the visible sightings indexed under what they are
        // of (`sighting_of_ref`); the JSON is checked too, so a key collision
        // could hide a sighting but never show another object's.
        let q = store::Query {
            types: vec!["sighting".into()],
            observables: vec![store::ObservableKey::sighting_of(&target)],
            versions: Versions::LAST,
            gate: Some(r.gate()),
            limit: Some(SIGHTINGS),
            ..store::Query::default()
        };
        let page = store.query(&q)?;
        let more = page.more;
        let sightings: Vec<Record> = page
            .records
            .into_iter()
            .filter(|rec| serde_json::from_slice::<Value>(&rec.json).ok().and_then(|v| v.get("sighting_of_ref").and_then(Value::as_str).map(|s| s == target)).unwrap_or(false))
            .collect();
        let release = explain.then(|| {
            let latest = versions.last().expect("a shown object has a version");
            node::release::explain_to(latest, &partners, &known, &index, &Timestamp::now())
        });
        Ok((signatures, sightings, more, release))
    })
    .await?;
    let sightings = state.out(reader, "web").records(sightings)?.into_inner();
    Ok(Facts { signatures, sightings, more_sightings, release })
}

/// `GET /intel/{id}`.
pub(super) async fn show(State(state): State<Site>, signed: Signed, Path(id): Path<String>) -> Result<Response, WebError> {
    let id = StixId::parse(&id).map_err(|_| WebError::NotFound)?;
    let me = signed.caller.partner.clone();
    let reader = state.reader(&signed.caller.partner, Through::AnyShare).await?;
    let versions = state.visible_versions(&reader, &id, "web").await?.into_inner();
    let Some(latest) = versions.last().cloned() else { return Err(WebError::NotFound) };
    let object = json_of(&latest);
    let names = super::author_names(&state).await?;
    let partner = |p: &str| names.get(p).cloned().unwrap_or_else(|| p.to_owned());
    let index = state.agreement_index().await?;
    let shared: Vec<String> = latest
        .shared_under
        .split_whitespace()
        .filter_map(|a| StixId::parse(a).ok())
        .filter_map(|a| index.agreement(&a).filter(|x| x.is_party(&me)).map(|x| x.terms.title.clone()))
        .collect();
    // A received object: the agreement it arrived under and its holder here,
    // for a reader party to that agreement.
    let received = node::release::held_by(&latest)
        .and_then(|via| index.agreement(&via.agreement).filter(|x| x.is_party(&me)).map(|x| (x.terms.title.clone(), via.holder.to_string())));
    // A source's object (docs/sources.md): the author it names is no
    // partner here; the partner that holds it (here, or on the node it came
    // from) answers for it.
    let source = object.get("created_by_ref").and_then(Value::as_str).filter(|a| !names.contains_key(*a)).map(str::to_owned);
    let holder_of_source = match (&received, latest.created_by_ref.as_deref()) {
        (Some(_), _) => "the partner it came from".to_owned(),
        (None, Some(holder)) => partner(holder),
        (None, None) => "its holder".to_owned(),
    };
    let (store, r, json) = (state.store.clone(), reader.clone(), latest.json.clone());
    let author = detect::author_of(&latest).map(str::to_owned);
    let dir = state.keys.data_dir().to_owned();
    let taxonomies = if node::detect::may_sight(&signed.caller) {
        let dir = dir.clone();
        crate::blocking(move || node::taxonomies::of(&dir).map_err(store::Error::Internal)).await?
    } else {
        None
    };
    let (also, flagged) = crate::blocking(move || {
        let Ok(o) = model::Object::parse(&json, &model::Limits::default()) else { return Ok((0, Vec::new())) };
        let mut cs = Vec::new();
        for ob in o.observables() {
            cs.push(detect::correlate(&*store, &r, ob.kind, &ob.value, detect::NOISY_DEFAULT, false, 0)?.0);
        }
        // Its values on a warning list (benign resolvers, private ranges, top domains).
        let lists = node::warninglists::flagging(&dir).map_err(store::Error::Internal)?;
        let flagged = node::warninglists::flags(&lists, o.observables().iter().map(|ob| (ob.kind, ob.value.as_str())));
        Ok((detect::also_reported_by(author.as_deref(), &cs), flagged))
    })
    .await?;
    let facts = facts_of(&state, &reader, &signed, &versions, &id).await?;
    let mut links = links_of(&state, &reader, &id, &object).await?;
    // The author alone: named as "Author" names it.
    let author_ref = object.get("created_by_ref").and_then(Value::as_str).unwrap_or_default();
    links.partners = names.iter().filter(|(k, _)| k.as_str() == author_ref).map(|(k, v)| (k.clone(), v.clone())).collect();
    // Another partner's object the caller's partner came by under an
    // agreement: an analyst may tell its author it is a false positive.
    let report_fp = node::detect::may_sight(&signed.caller)
        && detect::author_of(&latest).is_some_and(|a| a != signed.caller.partner.as_str())
        && crate::feedback::came_by(&latest, &index, &signed.caller.partner).is_some();
    let name = name_of(&object);
    let title = if name.is_empty() { latest.id.clone() } else { name };
    let markings: Vec<&str> = object.get("object_marking_refs").and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let body = html! {
        dl.facts {
            dt { "Type" } dd { (latest.object_type) }
            dt { "Id" } dd { code { (latest.id) } }
            dt { "Author" } dd { (latest.created_by_ref.as_deref().map(partner).unwrap_or_else(|| "(none named)".to_owned())) }
            @if let Some(source) = source {
                dt { "Sourced from" } dd { code { (source) } " (not a partner: " (holder_of_source) " answers for it)" }
            }
            dt { "TLP" } dd { (crate::kit::badge::tlp(&latest)) (crate::kit::badge::pap(&object)) }
            dt { "Markings" } dd { @if markings.is_empty() { "none" } @else { @for m in &markings { code { (m) } " " } } }
            @if let Some((title, holder)) = &received {
                dt { "Received under" } dd { (title) " (held by " (partner(holder)) ")" }
            }
            dt { "Shared under" } dd {
                @if !shared.is_empty() { (shared.join(", ")) }
                @else if received.is_some() { "not shared on" }
                @else { "no agreement you are party to" }
            }
            dt { "Also reported by" } dd { (also) " other partner" @if also != 1 { "s" } }
            @if !flagged.is_empty() {
                dt { "On a warning list" }
                dd.warning { (crate::kit::badge::warning_lists(&flagged)) }
            }
        }
        p.downloads { "Download " @if matches!(latest.object_type.as_str(), "report" | "grouping") { "it and its contents you may see" } @else { "it" } ": "
            @for (i, (f, label)) in crate::download::FORMATS.iter().enumerate() {
                @if i > 0 { " · " }
                a href={ "/intel/" (latest.id) "/download?format=" (f) } download { (label) }
            }
        }
        h2 { "Properties" }
        table.props {
            tbody {
                @if let Value::Object(map) = &object {
                    @for (k, v) in map { tr { th scope="row" { (k) } td { (value(k, v, &links)) } } }
                }
            }
        }
        @if report_fp {
            details.feedback {
                summary { "Report a false positive" }
                form.stack method="post" action={ "/intel/" (latest.id) "/false-positive" } {
                    (crate::kit::form::csrf_field(&signed))
                    label for="fp-explanation" { "Why it is a false positive (sent to its author alone)" }
                    textarea #fp-explanation name="explanation" rows="3" required {}
                    button type="submit" { "Report" }
                }
            }
        }
        h2 { "Relationships" }
        p { a href={ "/intel/" (latest.id) "/graph" } { "See its neighbourhood as a graph" } }
        @if links.relationships.is_empty() { p { "No relationship with it that you may see." } }
        @else {
            table {
                thead { tr { th scope="col" { "Relationship" } th scope="col" { "With" } th scope="col" { "By" } } }
                tbody {
                    @for rel in &links.relationships {
                        @let v = json_of(rel);
                        @let kind = v.get("relationship_type").and_then(Value::as_str).unwrap_or("related-to");
                        @let outgoing = v.get("source_ref").and_then(Value::as_str) == Some(latest.id.as_str());
                        @let other = v.get(if outgoing { "target_ref" } else { "source_ref" }).and_then(Value::as_str).unwrap_or_default();
                        tr {
                            td { a href={ "/intel/" (rel.id) } { @if outgoing { (kind) } @else { (kind) " (by it)" } } }
                            td { (link(other, &links)) }
                            td { (rel.created_by_ref.as_deref().map(partner).unwrap_or_default()) }
                        }
                    }
                }
            }
            @if links.more_relationships { p.hint { "Only the first " (LINKED) " are listed." } }
        }
        h2 #notes { "In reports and notes" }
        @if links.mentions.is_empty() { p { "No report, grouping, note or opinion naming it that you may see." } }
        @else {
            ul {
                @for m in &links.mentions {
                    @let v = json_of(m);
                    @let label = v.get("name").or_else(|| v.get("abstract")).or_else(|| v.get("explanation")).or_else(|| v.get("opinion")).and_then(Value::as_str).unwrap_or(m.id.as_str()).to_owned();
                    @let tags = labels_of(&v);
                    li { (m.object_type) ": " a href={ "/intel/" (m.id) } { (label) } " " (crate::kit::badge::tlp(m)) " by " (m.created_by_ref.as_deref().map(partner).unwrap_or_default())
                        @if m.object_type == "note" && m.shared_under.trim().is_empty() && m.created_by_ref.as_deref() == Some(signed.caller.partner.as_str()) { " " span.hint { "(kept on this node)" } }
                        @if !tags.is_empty() { " " span.tags { "tags: " (tags) } } }
                }
            }
            @if links.more_mentions { p.hint { "Only the first " (LINKED) " are listed." } }
        }
        @if node::detect::may_sight(&signed.caller) {
            details.feedback {
                summary { "Add a note" }
                form.stack method="post" action={ "/intel/" (latest.id) "/note" } {
                    (crate::kit::form::csrf_field(&signed))
                    label for="note-content" { "Note (kept on this node for your partner; shared with no one)" }
                    textarea #note-content name="content" rows="3" required {}
                    label for="note-tags" { "Tags (TLP, PAP, admiralty scale)" }
                    select #note-tags name="tags" multiple size="6" {
                        @for t in node::curation::taxonomy() { option value=(t) { (t) } }
                    }
                    @if let Some(t) = &taxonomies {
                        label for="note-misp-tag-1" { "Tags from MISP taxonomies (" (t.namespaces().len()) " installed; " code { "namespace:predicate=\"value\"" } ")" }
                        input #note-misp-tag-1 type="text" name="tags" list="misp-tags" autocomplete="off";
                        input #note-misp-tag-2 type="text" name="tags" list="misp-tags" autocomplete="off" aria-label="Another tag from MISP taxonomies";
                        datalist #misp-tags {
                            @for tag in t.tags().take(MAX_PICKED) { option value=(tag) {} }
                        }
                        @if t.len() > MAX_PICKED { p.hint { "The first " (MAX_PICKED) " of " (t.len()) " tags are offered; any tag of the installed taxonomies may be typed." } }
                    }
                    button type="submit" { "Add the note" }
                }
            }
        }
        @if THREATS.contains(&latest.object_type.as_str()) {
            (threat_context(&latest.id, &object, &links, &facts.sightings))
        }
        h2 { "Versions" }
        table {
            thead { tr { th scope="col" { "Version" } th scope="col" { "Added" } th scope="col" { "Author's signature" } } }
            tbody {
                @for (v, sig) in versions.iter().zip(&facts.signatures).rev() {
                    tr { td { (v.version) } td { (v.date_added.to_string()) } td { span class={ "sig " (sig_class(sig)) } { (sig_text(sig)) @if let Sig::Vouched(by) = sig { " (" (partner(by)) ")" } } } }
                }
            }
        }
        h2 { "Sightings" }
        @if facts.sightings.is_empty() { p { "No sighting of it that you may see." } }
        @else {
            table {
                thead { tr { th scope="col" { "Sighting" } th scope="col" { "By" } th.num scope="col" { "Count" } th scope="col" { "Last seen" } } }
                tbody {
                    @for r in &facts.sightings {
                        @let v = json_of(r);
                        tr {
                            td { a href={ "/intel/" (r.id) } { (r.id) } }
                            td { (r.created_by_ref.as_deref().map(partner).unwrap_or_default()) }
                            td.num { (v.get("count").map(Value::to_string).unwrap_or_default()) }
                            td { (v.get("last_seen").and_then(Value::as_str).unwrap_or_default()) }
                        }
                    }
                }
            }
            @if facts.more_sightings { p.hint { "Only the first " (SIGHTINGS) " are listed." } }
        }
        @if let Some(rows) = &facts.release {
            h2 { "Release to each partner" }
            p.hint { "Shown to the object's author and the node's administrator: what each partner would receive of the latest version now, and why." }
            table {
                thead { tr { th scope="col" { "Partner" } th scope="col" { "Decision" } th scope="col" { "Why" } } }
                tbody {
                    @for (p, allowed, why) in rows {
                        tr { td { (partner(p)) } td { @if *allowed { span.allow { "released" } } @else { span.deny { "withheld" } } } td { (why) } }
                    }
                }
            }
        }
    };
    Ok(page(layout(&title, Some(&signed), body)))
}

#[cfg(test)]
mod tests {
    use super::{bare_value, showing, thousands, COUNT_TO};

    #[test]
    fn the_count_says_how_far_it_counted() {
        use store::text::Count;
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(showing(0, 50, Some(Count { counted: 63, exact: true })), "1–50 of 63");
        assert_eq!(showing(50, 13, Some(Count { counted: 13, exact: true })), "51–63 of 63");
        assert_eq!(showing(0, 50, Some(Count { counted: COUNT_TO, exact: false })), "1–50 of more than 1,000");
        assert_eq!(showing(0, 50, Some(Count { counted: 57, exact: false })), "1–50 of at least 57");
        assert_eq!(showing(0, 10, None), "1–10");
    }

    /// Values an analyst pastes are recognised by type; words and
    /// sentences stay text.
    #[test]
    fn a_bare_value_is_searched_as_its_observable() {
        let cases = [
            ("198.51.100.7", Some(("ipv4-addr", "198.51.100.7"))),
            ("2001:db8::1", Some(("ipv6-addr", "2001:db8::1"))),
            ("https://evil.example/x?a=1", Some(("url", "https://evil.example/x?a=1"))),
            ("ops@evil.example", Some(("email-addr", "ops@evil.example"))),
            ("D41D8CD98F00B204E9800998ECF8427E", Some(("file", "d41d8cd98f00b204e9800998ecf8427e"))),
            ("Evil-Domain.Example", Some(("domain-name", "evil-domain.example"))),
            ("GlacierLock", None),
            ("glacier lock", None),
            ("v1.2", None),
            ("12:30", None),
            ("deadbeef", None),
            ("a@b", None),
            ("", None),
        ];
        for (q, want) in cases {
            assert_eq!(bare_value(q).as_ref().map(|(k, v)| (*k, v.as_str())), want, "{q:?}");
        }
    }
}
