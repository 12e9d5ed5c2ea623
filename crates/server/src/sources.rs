//! The feed puller: every source of the configuration (`[[sources]]`,
//! [`node::sources`]) is pulled when due, through the outbound URL guard
//! (each address a host resolves to, and every redirect's, checked before
//! connecting; the connection goes to the address checked), with bounded
//! size and time, and what it gave stored through the one write path held
//! by the node's partner. Each source's status is written to the data
//! directory after each pull (`entente sources` prints it).

use std::io::Read;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use model::Timestamp;
use node::sources::{self, Kind, Source, Status, Statuses};

use crate::AppState;

/// The largest answer one fetch reads.
pub const MAX_BYTES: u64 = 64 << 20;
/// The longest one fetch may take.
pub const TIMEOUT: Duration = Duration::from_secs(60);
/// Redirects followed (each checked by the guard).
const MAX_REDIRECTS: usize = 5;

/// Fetches `url` for `source`: refuses a URL whose host resolves to an
/// address the guard refuses (direct or after a redirect), a body larger
/// than `max_bytes`, and anything slower than [`TIMEOUT`]. Blocking.
pub fn fetch(url: &str, source: &Source, max_bytes: u64) -> Result<Vec<u8>, String> {
    fetch_with(url, source, max_bytes, &[]).map(|(body, _)| body)
}

/// [`fetch`] sending `headers`, answering the response's headers too (a
/// redirect to another host drops `Authorization`).
pub fn fetch_with(url: &str, source: &Source, max_bytes: u64, headers: &[(&str, String)]) -> Result<(Vec<u8>, reqwest::header::HeaderMap), String> {
    fetch_resolved(url, source, max_bytes, headers, &|host, port| (host, port).to_socket_addrs().map(Iterator::collect))
}

/// How a host name becomes addresses: the system's resolver in use, a
/// resolver of the test's in the tests.
pub type Resolve<'a> = &'a dyn Fn(&str, u16) -> std::io::Result<Vec<SocketAddr>>;

/// [`fetch_with`] resolving names by `resolve`: every address a name gives
/// is checked by the guard, and the connection goes to the first of them
/// (never to a second lookup's answer).
pub fn fetch_resolved(url: &str, source: &Source, max_bytes: u64, headers: &[(&str, String)], resolve: Resolve<'_>) -> Result<(Vec<u8>, reqwest::header::HeaderMap), String> {
    let first_host = reqwest::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_owned));
    let mut url = reqwest::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
    for _ in 0..=MAX_REDIRECTS {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{url}: only http and https are fetched"));
        }
        let host = url.host_str().ok_or_else(|| format!("{url}: no host"))?.to_owned();
        let port = url.port_or_known_default().unwrap_or(443);
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> = resolve(bare, port).map_err(|e| format!("{url}: cannot resolve {host}: {e}"))?;
        let addr = *addrs.first().ok_or_else(|| format!("{url}: {host} resolves to no address"))?;
        for a in &addrs {
            sources::guard::check(a.ip(), &source.allow).map_err(|e| format!("{url}: refused: {e}"))?;
        }
        let client = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(15))
            .resolve(bare, addr)
            .user_agent(concat!("entente/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("{url}: {e}"))?;
        let mut request = client.get(url.clone());
        for (name, value) in headers {
            if name.eq_ignore_ascii_case("authorization") && url.host_str().map(str::to_owned) != first_host {
                continue;
            }
            request = request.header(*name, value);
        }
        let response = request.send().map_err(|e| format!("{url}: {e}"))?;
        let status = response.status();
        if status.is_redirection() {
            let to = response.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()).ok_or_else(|| format!("{url}: {status} without a Location"))?;
            url = url.join(to).map_err(|e| format!("{url}: redirect to {to:?}: {e}"))?;
            continue;
        }
        if !status.is_success() {
            return Err(format!("{url}: {status}"));
        }
        if response.content_length().is_some_and(|n| n > max_bytes) {
            return Err(format!("{url}: larger than {max_bytes} bytes"));
        }
        let headers = response.headers().clone();
        let mut body = Vec::new();
        response.take(max_bytes + 1).read_to_end(&mut body).map_err(|e| format!("{url}: reading the answer: {e}"))?;
        if body.len() as u64 > max_bytes {
            return Err(format!("{url}: larger than {max_bytes} bytes"));
        }
        return Ok((body, headers));
    }
    Err(format!("{url}: more than {MAX_REDIRECTS} redirects"))
}

/// Pulls `source` once for `holder`: fetches, converts, stores; what went
/// wrong as a whole is the status's `error`, each refused item counted.
/// A TAXII collection is read from the start. Blocking.
pub fn pull(node: &node::Node, holder: &policy::PartnerId, source: &Source, now: &Timestamp, max_bytes: u64) -> Status {
    pull_after(node, holder, source, now, max_bytes, None)
}

/// [`pull`] continuing from the `previous` pull's status (a TAXII
/// collection from its cursor; the cursor moves only when what was read
/// is stored).
pub fn pull_after(node: &node::Node, holder: &policy::PartnerId, source: &Source, now: &Timestamp, max_bytes: u64, previous: Option<&Status>) -> Status {
    let mut status = Status { last_attempt: Some(now.as_str().to_owned()), cursor: previous.and_then(|p| p.cursor.clone()), ..Status::default() };
    let mut cursor = status.cursor.clone();
    let raws = match source.kind {
        Kind::Stix => fetch(&source.url, source, max_bytes).and_then(|b| sources::from_stix(&b)),
        Kind::Csv => fetch(&source.url, source, max_bytes).and_then(|b| sources::from_list(&b, source, now, &mut status)),
        Kind::Misp => misp_feed(source, holder, max_bytes, &mut status),
        Kind::Taxii => taxii_collection(source, max_bytes, &mut cursor),
    };
    let stored = raws.and_then(|raws| node.store_pulled(holder, source, raws, &mut status).map_err(|e| format!("storing: {e}")));
    match stored {
        Ok(()) => {
            status.last_success = Some(now.as_str().to_owned());
            status.cursor = cursor;
        }
        Err(e) => status.error = Some(e),
    }
    status
}

/// The most pages one pull of a TAXII collection reads (the rest comes
/// with the next pull, from the cursor).
pub const MAX_TAXII_PAGES: usize = 100;

/// A TAXII 2.1 collection of another server, page by page from `cursor`
/// (`added_after`), following `next` while the server says `more`, at
/// most [`MAX_TAXII_PAGES`] and `max_bytes` in all (the rest with the
/// next pull); `cursor` becomes the last page's `X-TAXII-Date-Added-Last`.
/// Each page through the URL guard and limits.
fn taxii_collection(source: &Source, max_bytes: u64, cursor: &mut Option<String>) -> Result<Vec<Vec<u8>>, String> {
    let collection = source.collection.as_deref().ok_or("`collection` is required for a taxii source")?;
    let base = format!("{}/collections/{collection}/objects/", source.url.trim_end_matches('/'));
    let mut headers = vec![("Accept", ::taxii::MEDIA_TYPE.to_owned())];
    if let Some(auth) = source.authorization()? {
        headers.push(("Authorization", auth));
    }
    let mut raws = Vec::new();
    let (mut next, mut read): (Option<String>, u64) = (None, 0);
    // A `next` continues the query it came from: the same `added_after`.
    let mut after = cursor.clone();
    for _ in 0..MAX_TAXII_PAGES {
        let mut url = reqwest::Url::parse(&base).map_err(|e| format!("{base}: {e}"))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("limit", "1000");
            if let Some(after) = after.as_deref() {
                q.append_pair("added_after", after);
            }
            if let Some(n) = &next {
                q.append_pair("next", n);
            }
        }
        let before = cursor.clone();
        let (body, answered) = fetch_with(url.as_str(), source, max_bytes - read, &headers)?;
        read += body.len() as u64;
        let (objects, more, following) = sources::from_taxii_envelope(&body)?;
        raws.extend(objects);
        if let Some(last) = answered.get(::taxii::DATE_ADDED_LAST).and_then(|v| v.to_str().ok()) {
            Timestamp::parse(last).map_err(|e| format!("{url}: {} is not a timestamp: {e}", ::taxii::DATE_ADDED_LAST))?;
            *cursor = Some(last.to_owned());
        }
        match (more, following) {
            (true, Some(n)) => next = Some(n),
            // More without `next`: a new query from the new cursor, if it moved.
            (true, None) if *cursor != before => (next, after) = (None, cursor.clone()),
            (true, None) => return Err(format!("{url}: the server says more but gives neither `next` nor a later {}", ::taxii::DATE_ADDED_LAST)),
            (false, _) => return Ok(raws),
        }
        if read >= max_bytes / 2 {
            // The next page might not fit: the rest with the next pull.
            return Ok(raws);
        }
    }
    Ok(raws)
}

/// A MISP feed: its manifest, then each event; an event that cannot be
/// fetched or read is refused by name and the others kept.
fn misp_feed(source: &Source, holder: &policy::PartnerId, max_bytes: u64, status: &mut Status) -> Result<Vec<Vec<u8>>, String> {
    let base = source.url.trim_end_matches('/');
    let manifest = fetch(&format!("{base}/manifest.json"), source, max_bytes)?;
    let mut raws = Vec::new();
    for uuid in sources::misp_manifest(&manifest)? {
        let name = format!("{uuid}.json");
        match fetch(&format!("{base}/{name}"), source, max_bytes).and_then(|b| sources::from_misp_event(&b, &name, holder, status)) {
            Ok(objects) => raws.extend(objects),
            Err(e) => status.refuse(format!("event {name}: {e}")),
        }
    }
    Ok(raws)
}

/// Pulls every source due at `now` (one after the other) for `holder`
/// (the node's partner), keeping the statuses in `data_dir`. Blocking.
/// Returns how many were pulled.
pub fn pull_due(node: &node::Node, holder: &policy::PartnerId, sources: &[Source], data_dir: &std::path::Path, now: &Timestamp) -> std::io::Result<usize> {
    let mut pulled = 0;
    for s in sources {
        if kept_pull(node, holder, s, data_dir, now, &|previous| sources::due(s, previous, now))?.is_some() {
            pulled += 1;
        }
    }
    Ok(pulled)
}

/// Pulls `source` now, due or not (the administrator's "pull now"), and
/// keeps its status in `data_dir` as a scheduled pull does: the status,
/// its `error` saying why the pull failed if it did. Blocking.
pub fn pull_now(node: &node::Node, holder: &policy::PartnerId, source: &Source, data_dir: &std::path::Path, now: &Timestamp) -> std::io::Result<Status> {
    Ok(kept_pull(node, holder, source, data_dir, now, &|_| true)?.unwrap_or_default())
}

/// One pull at a time in this process reads, updates and writes
/// `sources.json` (the scheduler's and the administrator's would otherwise
/// write over each other's status).
static KEEPING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Pulls `s` when `wanted` says so given its last status, and keeps the
/// new status (pulls counted, the last success kept when this one failed).
fn kept_pull(
    node: &node::Node,
    holder: &policy::PartnerId,
    s: &Source,
    data_dir: &std::path::Path,
    now: &Timestamp,
    wanted: &dyn Fn(Option<&Status>) -> bool,
) -> std::io::Result<Option<Status>> {
    let _one = KEEPING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut statuses = Statuses::load(data_dir)?;
    let previous = statuses.sources.get(&s.name);
    if !wanted(previous) {
        return Ok(None);
    }
    let mut status = pull_after(node, holder, s, now, MAX_BYTES, previous);
    status.pulls = previous.map_or(0, |p| p.pulls) + 1;
    if status.error.is_some() {
        status.last_success = previous.and_then(|p| p.last_success.clone());
    }
    match &status.error {
        Some(e) => tracing::warn!(source = %s.name, error = %e, "feed pull failed"),
        None => tracing::info!(source = %s.name, added = status.added, unchanged = status.unchanged, refused = status.refused, "feed pulled"),
    }
    statuses.sources.insert(s.name.clone(), status.clone());
    statuses.save(data_dir)?;
    Ok(Some(status))
}

/// Runs forever: every 30 seconds, pulls the sources that are due, for
/// the node's partner.
pub async fn run(state: AppState, sources: Vec<Source>, data_dir: PathBuf) {
    let Ok(holder) = model::StixId::parse(&state.node.partner) else {
        tracing::error!("feed sources: the node's partner id does not parse; no pulls");
        return;
    };
    let mut tick = tokio::time::interval(Duration::from_secs(30));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let (node, holder, list, dir) = (state.services(), holder.clone(), sources.clone(), data_dir.clone());
        match tokio::task::spawn_blocking(move || pull_due(&node, &holder, &list, &dir, &Timestamp::now())).await {
            // What was stored may hold indicators: detection indexes again.
            Ok(Ok(n)) if n > 0 => state.indicators.invalidate(),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "feed sources: cannot keep their status"),
            Err(e) => tracing::error!(error = %e, "feed sources: the pull task failed"),
        }
    }
}
