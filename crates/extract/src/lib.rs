//! Indicators in report text, for an analyst turning a vendor's report into
//! intelligence to share (docs/sources.md#indicators-from-report-text).
//!
//! [`extract`] finds IPv4 and IPv6 addresses, domain names, URLs, e-mail
//! addresses, MD5/SHA-1/SHA-256/SHA-512 hashes, CVE ids and ATT&CK
//! technique ids in plain text (HTML through [`html_text`]), defanged forms
//! included (`1[.]2[.]3[.]4`, `hxxps://`, `evil[dot]example`, `a[@]b`), each
//! once, in the order of its first appearance. [`WarningLists`] (MISP's
//! warning lists, read from a directory) marks the candidates that are
//! known benign (public resolvers, private ranges, top sites) so the
//! analyst leaves them out. [`Candidate::pattern`] and
//! [`Candidate::observable`] give each candidate's STIX form.
//!
//! Pure: no network, no store.

mod scan;
mod stix;
mod warninglists;

pub use scan::{extract, html_text, refang};
pub use stix::report;
pub use warninglists::{Error, WarningLists};

use serde::Serialize;

/// What a candidate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// An IPv4 address.
    Ipv4,
    /// An IPv6 address.
    Ipv6,
    /// A domain name (its suffix a public one).
    Domain,
    /// A URL (http, https or ftp).
    Url,
    /// An e-mail address.
    Email,
    /// An MD5 hash (32 hex digits).
    Md5,
    /// A SHA-1 hash (40 hex digits).
    Sha1,
    /// A SHA-256 hash (64 hex digits).
    Sha256,
    /// A SHA-512 hash (128 hex digits).
    Sha512,
    /// A CVE id (`CVE-2024-3400`).
    Cve,
    /// A MITRE ATT&CK technique id (`T1059`, `T1059.001`).
    Attack,
}

impl Kind {
    /// Its name, as in JSON (`ipv4`, `sha256`, `attack`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ipv4 => "ipv4",
            Kind::Ipv6 => "ipv6",
            Kind::Domain => "domain",
            Kind::Url => "url",
            Kind::Email => "email",
            Kind::Md5 => "md5",
            Kind::Sha1 => "sha1",
            Kind::Sha256 => "sha256",
            Kind::Sha512 => "sha512",
            Kind::Cve => "cve",
            Kind::Attack => "attack",
        }
    }
}

/// A value found in the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// What it is.
    pub kind: Kind,
    /// Its value, refanged and in its canonical case (domains, hashes and
    /// e-mail domains lower case; CVE and ATT&CK ids upper case).
    pub value: String,
    /// Whether the text had it defanged (at least once).
    pub defanged: bool,
    /// How many times it appears.
    pub count: usize,
    /// The byte offset of its first appearance in the text it was found in.
    pub at: usize,
    /// The warning list it is on (its name), if any: a benign value to
    /// leave out. Set by [`WarningLists::mark`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}
