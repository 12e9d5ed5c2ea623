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
    let mut url = reqwest::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
    for _ in 0..=MAX_REDIRECTS {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{url}: only http and https are fetched"));
        }
        let host = url.host_str().ok_or_else(|| format!("{url}: no host"))?.to_owned();
        let port = url.port_or_known_default().unwrap_or(443);
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> = (bare, port).to_socket_addrs().map_err(|e| format!("{url}: cannot resolve {host}: {e}"))?.collect();
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
        let response = client.get(url.clone()).send().map_err(|e| format!("{url}: {e}"))?;
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
        let mut body = Vec::new();
        response.take(max_bytes + 1).read_to_end(&mut body).map_err(|e| format!("{url}: reading the answer: {e}"))?;
        if body.len() as u64 > max_bytes {
            return Err(format!("{url}: larger than {max_bytes} bytes"));
        }
        return Ok(body);
    }
    Err(format!("{url}: more than {MAX_REDIRECTS} redirects"))
}

/// Pulls `source` once for `holder`: fetches, converts, stores; what went
/// wrong as a whole is the status's `error`, each refused item counted.
/// Blocking.
pub fn pull(node: &node::Node, holder: &policy::PartnerId, source: &Source, now: &Timestamp, max_bytes: u64) -> Status {
    let mut status = Status { last_attempt: Some(now.as_str().to_owned()), ..Status::default() };
    let raws = match source.kind {
        Kind::Stix => fetch(&source.url, source, max_bytes).and_then(|b| sources::from_stix(&b)),
        Kind::Csv => fetch(&source.url, source, max_bytes).and_then(|b| sources::from_list(&b, source, now, &mut status)),
        Kind::Misp => misp_feed(source, holder, max_bytes, &mut status),
    };
    let stored = raws.and_then(|raws| node.store_pulled(holder, source, raws, &mut status).map_err(|e| format!("storing: {e}")));
    match stored {
        Ok(()) => status.last_success = Some(now.as_str().to_owned()),
        Err(e) => status.error = Some(e),
    }
    status
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
    let mut statuses = Statuses::load(data_dir)?;
    let mut pulled = 0;
    for s in sources {
        if !sources::due(s, statuses.sources.get(&s.name), now) {
            continue;
        }
        let mut status = pull(node, holder, s, now, MAX_BYTES);
        status.pulls = statuses.sources.get(&s.name).map_or(0, |p| p.pulls) + 1;
        if status.error.is_some() {
            status.last_success = statuses.sources.get(&s.name).and_then(|p| p.last_success.clone());
        }
        match &status.error {
            Some(e) => tracing::warn!(source = %s.name, error = %e, "feed pull failed"),
            None => tracing::info!(source = %s.name, added = status.added, unchanged = status.unchanged, refused = status.refused, "feed pulled"),
        }
        statuses.sources.insert(s.name.clone(), status);
        statuses.save(data_dir)?;
        pulled += 1;
    }
    Ok(pulled)
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
