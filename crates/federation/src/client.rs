//! The HTTP client for each peer (its own CA, or the public roots), kept
//! across rounds, and finding the API root a peer serves.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;
use store::PeerRecord;

/// TAXII 2.1's media type, asked for on every read.
pub(crate) const TAXII: &str = "application/taxii+json;version=2.1";

/// The HTTP client for a peer, kept across rounds (its connections stay
/// open between them) while the peer's URL and CA stay the same.
pub(crate) fn client(peer: &PeerRecord) -> Result<reqwest::blocking::Client, String> {
    type Clients = std::sync::Mutex<HashMap<(String, String, Option<String>), reqwest::blocking::Client>>;
    static CLIENTS: std::sync::OnceLock<Clients> = std::sync::OnceLock::new();
    let key = (peer.id.clone(), peer.url.clone(), peer.ca_pem.clone());
    let clients = CLIENTS.get_or_init(Default::default);
    if let Some(c) = clients.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(c.clone());
    }
    let made = new_client(peer)?;
    let mut clients = clients.lock().unwrap_or_else(|p| p.into_inner());
    clients.retain(|k, _| k.0 != peer.id);
    clients.insert(key, made.clone());
    Ok(made)
}

fn new_client(peer: &PeerRecord) -> Result<reqwest::blocking::Client, String> {
    let mut b = reqwest::blocking::Client::builder()
        .use_rustls_tls()
        .timeout(Duration::from_secs(60))
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none());
    if let Some(pem) = &peer.ca_pem {
        b = b.tls_built_in_root_certs(false);
        for c in reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| format!("the peer's CA: {e}"))? {
            b = b.add_root_certificate(c);
        }
    }
    b.build().map_err(|e| e.to_string())
}

/// The API root to read: the peer's URL itself if it is one, else the
/// first API root its discovery names (relative URLs against the peer's).
pub(crate) fn api_root(http: &reqwest::blocking::Client, peer: &PeerRecord, token: &str) -> Result<String, String> {
    let r = http
        .get(&peer.url)
        .header("Accept", TAXII)
        .bearer_auth(token)
        .send()
        .map_err(|e| format!("{}: {}", peer.url, causes(&e)))?;
    if !r.status().is_success() {
        return Err(format!("{}: HTTP {}", peer.url, r.status()));
    }
    let v: Value = r.json().map_err(|e| format!("{}: {}", peer.url, causes(&e)))?;
    let Some(roots) = v.get("api_roots").and_then(Value::as_array) else {
        return Ok(with_slash(&peer.url));
    };
    let first = v.get("default").and_then(Value::as_str).or_else(|| roots.first().and_then(Value::as_str));
    let Some(root) = first else { return Err(format!("{}: the discovery names no API root", peer.url)) };
    if root.starts_with("http://") || root.starts_with("https://") {
        check_url(root)?;
        return Ok(with_slash(root));
    }
    // A path: on the peer's own scheme, host and port.
    Ok(with_slash(&format!("{}{}", origin(&peer.url), root)))
}

fn with_slash(u: &str) -> String {
    if u.ends_with('/') {
        u.to_owned()
    } else {
        format!("{u}/")
    }
}

/// An error with its causes (reqwest's own message says only "error
/// sending request"; refused, reset and timed out differ below it).
pub(crate) fn causes(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The scheme, host and port of a URL (`https://host:port`).
pub(crate) fn origin(url: &str) -> &str {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let host_end = url[scheme_end..].find('/').map_or(url.len(), |i| scheme_end + i);
    &url[..host_end]
}

/// Checks a peer URL: `https://`, or `http://` to a loopback address only
/// (tests and a node talking to itself); no user info, a host.
pub fn check_url(url: &str) -> Result<(), String> {
    let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(format!("{url:?}: a peer URL starts with https:// (or http:// on loopback)"));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return Err(format!("{url:?}: a peer URL names a host (and no user)"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{url:?}: spaces or control characters"));
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !tls && !loopback {
        return Err(format!("{url:?}: plain http is for loopback only; use https://"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_url;

    #[test]
    fn urls() {
        for ok in ["https://node-b.example:8443/taxii2/", "http://127.0.0.1:8081/taxii2/", "http://localhost/taxii2/", "http://[::1]:80/"] {
            assert_eq!(check_url(ok), Ok(()), "{ok}");
        }
        for bad in ["http://node-b.example/taxii2/", "ftp://x/", "https:///x", "https://user@host/", "https://a b/", "node-b:8443"] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
