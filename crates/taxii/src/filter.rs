//! The filter parameters of TAXII listings (`added_after`, `limit`, `next`,
//! `match[id|type|version|spec_version]`), parsed from a query string with
//! an error that names the parameter at fault.

use model::{StixId, Timestamp};

/// What a listing was asked for. Lists are OR within themselves; the
/// parameters are ANDed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only items added strictly after this time.
    pub added_after: Option<Timestamp>,
    /// Requested page size (before the server's maximum applies).
    pub limit: Option<usize>,
    /// The opaque cursor of the previous page.
    pub next: Option<String>,
    /// `match[id]`.
    pub ids: Vec<StixId>,
    /// `match[type]`.
    pub types: Vec<String>,
    /// `match[version]`: `first`, `last`, `all`, timestamps. Empty means `last`.
    pub versions: Vec<VersionMatch>,
    /// `match[spec_version]`.
    pub spec_versions: Vec<String>,
}

/// One value of `match[version]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionMatch {
    /// The earliest version.
    First,
    /// The latest version.
    Last,
    /// Every version.
    All,
    /// The version with this timestamp.
    At(Timestamp),
}

/// A parameter the server cannot honour.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{parameter}: {message}")]
pub struct FilterError {
    /// The query parameter at fault.
    pub parameter: String,
    /// What is wrong with it.
    pub message: String,
}

fn err(parameter: &str, message: impl Into<String>) -> FilterError {
    FilterError { parameter: parameter.to_owned(), message: message.into() }
}

fn values(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(',').map(str::trim).filter(|v| !v.is_empty())
}

fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// Which parameters an endpoint accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `objects/` and `manifest/`: every filter.
    Listing,
    /// `objects/{id}/`: `added_after`, `limit`, `next`, `match[version]`, `match[spec_version]`.
    Object,
    /// `objects/{id}/versions/`: `added_after`, `limit`, `next`, `match[spec_version]`.
    Versions,
}

impl Filter {
    /// Parses a query string (without `?`) for an endpoint.
    pub fn parse(query: &str, endpoint: Endpoint) -> Result<Filter, FilterError> {
        let mut f = Filter::default();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let (key, value) = (key.as_ref(), value.as_ref());
            let allowed = match (endpoint, key) {
                (_, "added_after" | "limit" | "next" | "match[spec_version]") => true,
                (Endpoint::Listing, "match[id]" | "match[type]" | "match[version]") => true,
                (Endpoint::Object, "match[version]") => true,
                (_, k) if k.starts_with("match[") => {
                    return Err(err(k, "this filter is not supported on this endpoint"));
                }
                _ => false, // other parameters are not TAXII's; ignore them
            };
            if !allowed {
                continue;
            }
            match key {
                "added_after" => {
                    let t = Timestamp::parse(value)
                        .map_err(|_| err(key, format!("`{}` is not an RFC 3339 UTC timestamp", clip(value))))?;
                    f.added_after = Some(t);
                }
                "limit" => {
                    let n: usize = value
                        .parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| err(key, format!("`{}` is not a positive integer", clip(value))))?;
                    f.limit = Some(n);
                }
                "next" => f.next = Some(value.to_owned()),
                "match[id]" => {
                    for v in values(value) {
                        f.ids.push(StixId::parse(v).map_err(|e| err(key, e))?);
                    }
                }
                "match[type]" => {
                    for v in values(value) {
                        let ok = v.len() >= 3
                            && v.len() <= 250
                            && v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                        if !ok {
                            return Err(err(key, format!("`{}` is not a STIX type name", clip(v))));
                        }
                        f.types.push(v.to_owned());
                    }
                }
                "match[version]" => {
                    for v in values(value) {
                        f.versions.push(match v {
                            "first" => VersionMatch::First,
                            "last" => VersionMatch::Last,
                            "all" => VersionMatch::All,
                            t => VersionMatch::At(Timestamp::parse(t).map_err(|_| {
                                err(key, format!("`{}` is not first, last, all or a timestamp", clip(t)))
                            })?),
                        });
                    }
                }
                "match[spec_version]" => {
                    for v in values(value) {
                        let ok = v.split_once('.').is_some_and(|(a, b)| {
                            !a.is_empty() && !b.is_empty() && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
                        });
                        if !ok {
                            return Err(err(key, format!("`{}` is not a STIX version such as 2.1", clip(v))));
                        }
                        f.spec_versions.push(v.to_owned());
                    }
                }
                _ => {}
            }
        }
        Ok(f)
    }

    /// A canonical text of everything but `next` and `limit`: the query a
    /// cursor belongs to.
    pub fn fingerprint(&self) -> String {
        let mut ids: Vec<&str> = self.ids.iter().map(StixId::as_str).collect();
        ids.sort_unstable();
        let mut types = self.types.clone();
        types.sort_unstable();
        let mut versions: Vec<String> = self
            .versions
            .iter()
            .map(|v| match v {
                VersionMatch::First => "first".to_owned(),
                VersionMatch::Last => "last".to_owned(),
                VersionMatch::All => "all".to_owned(),
                VersionMatch::At(t) => t.micros().to_string(),
            })
            .collect();
        versions.sort_unstable();
        let mut specs = self.spec_versions.clone();
        specs.sort_unstable();
        format!(
            "a={}|i={}|t={}|v={}|s={}",
            self.added_after.as_ref().map_or(String::new(), |t| t.micros().to_string()),
            ids.join(","),
            types.join(","),
            versions.join(","),
            specs.join(",")
        )
    }
}
