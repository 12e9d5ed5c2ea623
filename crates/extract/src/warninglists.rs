//! MISP's warning lists: values known to be benign (public resolvers,
//! private ranges, cloud ranges, top sites) that an analyst leaves out of
//! what it shares. Read from a directory of MISP's `list.json` files (the
//! `pymispwarninglists` package ships them: docs/sources.md), never copied
//! into this repository.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{Candidate, Kind};

/// A warning lists directory that cannot be read as one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The directory or a file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// What could not be read.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A list is not in MISP's warning list format.
    #[error("{path}: not a MISP warning list: {message}")]
    Format {
        /// The list.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The directory holds no list.
    #[error("{0}: no warning list (list.json) in it")]
    Empty(PathBuf),
}

#[derive(Deserialize)]
struct ListFile {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    list: Vec<String>,
    #[serde(default)]
    matching_attributes: Vec<String>,
}

/// The MISP attribute types a candidate kind is checked as.
fn attributes(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Ipv4 | Kind::Ipv6 => &["ip-src", "ip-dst", "domain|ip", "ip-src|port", "ip-dst|port", "ip"],
        Kind::Domain => &["domain", "hostname", "domain|ip"],
        Kind::Url => &["url", "uri", "link"],
        Kind::Email => &["email", "email-src", "email-dst"],
        Kind::Md5 => &["md5", "filename|md5"],
        Kind::Sha1 => &["sha1", "filename|sha1"],
        Kind::Sha256 => &["sha256", "filename|sha256"],
        Kind::Sha512 => &["sha512", "filename|sha512"],
        Kind::Cve => &["vulnerability"],
        Kind::Attack => &[],
    }
}

/// One list's name and the kinds it applies to.
struct List {
    name: String,
    /// Empty: every kind.
    applies: Vec<Kind>,
}

impl List {
    fn applies(&self, kind: Kind) -> bool {
        self.applies.is_empty() || self.applies.contains(&kind)
    }
}

/// The loaded warning lists, indexed for lookups in constant time per
/// value (a network list is scanned).
#[derive(Default)]
pub struct WarningLists {
    lists: Vec<List>,
    /// Exact values (lower case), `string` lists: value → lists.
    strings: HashMap<String, Vec<u16>>,
    /// Host names, `hostname` lists and `string` entries starting with a
    /// dot: a name matches itself and every name below it.
    hosts: HashMap<String, Vec<u16>>,
    /// Single addresses of `cidr` lists.
    addresses: HashMap<IpAddr, Vec<u16>>,
    /// Networks of `cidr` lists.
    networks: Vec<(IpAddr, u8, u16)>,
    /// `substring` lists' entries (lower case).
    substrings: Vec<(String, u16)>,
    /// Lists left out: (name, why).
    skipped: Vec<(String, String)>,
}

impl WarningLists {
    /// Every `list.json` under `dir` (MISP's layout: `lists/<name>/list.json`),
    /// but lists of more than `max_entries` entries (the top million sites:
    /// about a hundred megabytes each in memory) and `regex` lists, which
    /// are named in [`WarningLists::skipped`].
    pub fn load(dir: &Path, max_entries: usize) -> Result<WarningLists, Error> {
        let mut files = Vec::new();
        find(dir, &mut files, 0)?;
        files.sort();
        if files.is_empty() {
            return Err(Error::Empty(dir.to_owned()));
        }
        let mut w = WarningLists::default();
        for path in files {
            let bytes = std::fs::read(&path).map_err(|source| Error::Io { path: path.clone(), source })?;
            let file: ListFile = serde_json::from_slice(&bytes).map_err(|e| Error::Format { path: path.clone(), message: e.to_string() })?;
            w.add(file, max_entries);
        }
        Ok(w)
    }

    fn add(&mut self, file: ListFile, max_entries: usize) {
        if file.list.len() > max_entries {
            self.skipped.push((file.name, format!("{} entries, more than {max_entries}", file.list.len())));
            return;
        }
        if !matches!(file.kind.as_str(), "string" | "hostname" | "cidr" | "substring") {
            self.skipped.push((file.name, format!("type {} is not supported", file.kind)));
            return;
        }
        let Ok(n) = u16::try_from(self.lists.len()) else {
            self.skipped.push((file.name, "too many lists".into()));
            return;
        };
        let all = [Kind::Ipv4, Kind::Ipv6, Kind::Domain, Kind::Url, Kind::Email, Kind::Md5, Kind::Sha1, Kind::Sha256, Kind::Sha512, Kind::Cve, Kind::Attack];
        let applies = if file.matching_attributes.is_empty() {
            Vec::new()
        } else {
            all.into_iter().filter(|k| attributes(*k).iter().any(|a| file.matching_attributes.iter().any(|m| m == a))).collect()
        };
        for entry in &file.list {
            let e = entry.trim().to_ascii_lowercase();
            if e.is_empty() {
                continue;
            }
            match file.kind.as_str() {
                "cidr" => match e.split_once('/') {
                    Some((ip, bits)) => {
                        if let (Ok(ip), Ok(bits)) = (ip.parse::<IpAddr>(), bits.parse::<u8>()) {
                            let full = if ip.is_ipv4() { 32 } else { 128 };
                            if bits >= full {
                                self.addresses.entry(ip).or_default().push(n);
                            } else {
                                self.networks.push((ip, bits, n));
                            }
                        }
                    }
                    None => {
                        if let Ok(ip) = e.parse::<IpAddr>() {
                            self.addresses.entry(ip).or_default().push(n);
                        }
                    }
                },
                "hostname" => self.hosts.entry(e.trim_start_matches('.').to_owned()).or_default().push(n),
                "substring" => self.substrings.push((e, n)),
                _ => match e.strip_prefix('.') {
                    Some(host) => self.hosts.entry(host.to_owned()).or_default().push(n),
                    None => self.strings.entry(e).or_default().push(n),
                },
            }
        }
        self.lists.push(List { name: file.name, applies });
    }

    /// The small set a node flags with when it has no MISP lists
    /// installed: three lists of facts from the RFCs and the resolvers'
    /// operators, not MISP's data — the private ranges of RFC 1918, the
    /// special-use IPv4 ranges of RFC 5735 (with RFC 6598's shared address
    /// space) and the best-known public DNS resolvers (Google 8.8.8.8 and
    /// 8.8.4.4, Cloudflare 1.1.1.1 and 1.0.0.1, Quad9 9.9.9.9). Their
    /// names end in "(built in)" so a page says which set flagged a value.
    pub fn built_in() -> WarningLists {
        let ips = ["ip-src", "ip-dst", "domain|ip", "ip-src|port", "ip-dst|port"].map(str::to_owned).to_vec();
        let file = |name: &str, list: &[&str]| ListFile { name: name.to_owned(), kind: "cidr".to_owned(), list: list.iter().map(|e| (*e).to_owned()).collect(), matching_attributes: ips.clone() };
        let mut w = WarningLists::default();
        w.add(file("Private networks, RFC 1918 (built in)", &["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]), usize::MAX);
        w.add(
            file(
                "Special-use IPv4 ranges, RFC 5735 and RFC 6598 (built in)",
                &["0.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4"],
            ),
            usize::MAX,
        );
        w.add(file("Public DNS resolvers (built in)", &["8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9"]), usize::MAX);
        w
    }

    /// How many lists are loaded.
    pub fn len(&self) -> usize {
        self.lists.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }

    /// The lists left out, with why.
    pub fn skipped(&self) -> &[(String, String)] {
        &self.skipped
    }

    /// The name of the first list `value` of `kind` is on, if any.
    pub fn check(&self, kind: Kind, value: &str) -> Option<&str> {
        let hit = |ns: Option<&Vec<u16>>| ns.and_then(|ns| ns.iter().map(|n| &self.lists[usize::from(*n)]).find(|l| l.applies(kind)));
        let lower = value.to_ascii_lowercase();
        if let Some(l) = hit(self.strings.get(&lower)) {
            return Some(&l.name);
        }
        let host = match kind {
            Kind::Domain => Some(lower.as_str()),
            Kind::Email => lower.rsplit_once('@').map(|(_, d)| d),
            Kind::Url => lower.split_once("://").map(|(_, r)| r.split(['/', '?', '#', ':']).next().unwrap_or_default()),
            _ => None,
        };
        if let Some(host) = host {
            let mut name = host;
            loop {
                if let Some(l) = hit(self.hosts.get(name)) {
                    return Some(&l.name);
                }
                match name.split_once('.') {
                    Some((_, parent)) if parent.contains('.') || !parent.is_empty() => name = parent,
                    _ => break,
                }
            }
        }
        if matches!(kind, Kind::Ipv4 | Kind::Ipv6) {
            if let Ok(ip) = value.parse::<IpAddr>() {
                if let Some(l) = hit(self.addresses.get(&ip)) {
                    return Some(&l.name);
                }
                for (net, bits, n) in &self.networks {
                    let l = &self.lists[usize::from(*n)];
                    if l.applies(kind) && within(ip, *net, *bits) {
                        return Some(&l.name);
                    }
                }
            }
        }
        self.substrings
            .iter()
            .find(|(s, n)| self.lists[usize::from(*n)].applies(kind) && lower.contains(s.as_str()))
            .map(|(_, n)| self.lists[usize::from(*n)].name.as_str())
    }

    /// Marks each candidate on a list with the list's name.
    pub fn mark(&self, candidates: &mut [Candidate]) {
        for c in candidates {
            c.warning = self.check(c.kind, &c.value).map(str::to_owned);
        }
    }
}

/// Whether `ip` is in `net`/`bits`.
fn within(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - u32::from(bits.min(32))) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - u32::from(bits.min(128))) };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// The `list.json` files under `dir`, a few levels deep.
fn find(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io { path: dir.to_owned(), source })?;
    for entry in entries {
        let entry = entry.map_err(|source| Error::Io { path: dir.to_owned(), source })?;
        let path = entry.path();
        if path.is_dir() && depth < 6 {
            find(&path, out, depth + 1)?;
        } else if path.file_name().is_some_and(|n| n == "list.json") {
            out.push(path);
        }
    }
    Ok(())
}

// Exactly which entries MISP's lists hold is the lists' business; these
// keep the matching rules honest on small lists written here.
#[cfg(test)]
mod tests {
    use super::*;

    fn lists(files: &[(&str, &str, &[&str], &[&str])]) -> WarningLists {
        let mut w = WarningLists::default();
        for (name, kind, list, attrs) in files {
            w.add(
                ListFile {
                    name: (*name).into(),
                    kind: (*kind).into(),
                    list: list.iter().map(|s| (*s).to_owned()).collect(),
                    matching_attributes: attrs.iter().map(|s| (*s).to_owned()).collect(),
                },
                1000,
            );
        }
        w
    }

    #[test]
    fn the_built_in_set_flags_private_reserved_and_resolver_addresses_only() {
        let w = WarningLists::built_in();
        assert_eq!(w.len(), 3);
        assert_eq!(w.check(Kind::Ipv4, "192.168.4.20"), Some("Private networks, RFC 1918 (built in)"));
        assert_eq!(w.check(Kind::Ipv4, "172.31.255.255"), Some("Private networks, RFC 1918 (built in)"));
        assert_eq!(w.check(Kind::Ipv4, "172.32.0.1"), None, "just past 172.16.0.0/12");
        assert_eq!(w.check(Kind::Ipv4, "198.51.100.7"), Some("Special-use IPv4 ranges, RFC 5735 and RFC 6598 (built in)"));
        assert_eq!(w.check(Kind::Ipv4, "127.0.0.1"), Some("Special-use IPv4 ranges, RFC 5735 and RFC 6598 (built in)"));
        assert_eq!(w.check(Kind::Ipv4, "9.9.9.9"), Some("Public DNS resolvers (built in)"));
        assert_eq!(w.check(Kind::Ipv4, "8.8.8.9"), None);
        assert_eq!(w.check(Kind::Ipv4, "185.220.101.4"), None, "a public address on no list");
        assert_eq!(w.check(Kind::Domain, "10.0.0.1"), None, "address lists apply to addresses");
    }

    #[test]
    fn each_list_type_matches_as_misp_describes_it() {
        let w = lists(&[
            ("private", "cidr", &["10.0.0.0/8", "192.168.0.0/16", "fd00::/8"], &["ip-src", "ip-dst"]),
            ("resolvers", "cidr", &["8.8.8.8", "2001:4860:4860::8888"], &["ip-dst"]),
            ("top", "hostname", &["example.org"], &["domain", "hostname", "url"]),
            ("google", "string", &[".google.com", "goo.gl"], &["domain", "url"]),
            ("sinkholes", "substring", &["sinkhole"], &[]),
            ("patterns", "regex", &["^a"], &[]),
        ]);
        let on = |k, v| w.check(k, v);
        assert_eq!(on(Kind::Ipv4, "10.1.2.3"), Some("private"));
        assert_eq!(on(Kind::Ipv4, "11.1.2.3"), None);
        assert_eq!(on(Kind::Ipv4, "8.8.8.8"), Some("resolvers"));
        assert_eq!(on(Kind::Ipv6, "fd12::1"), Some("private"));
        assert_eq!(on(Kind::Ipv6, "2001:4860:4860::8888"), Some("resolvers"));
        assert_eq!(on(Kind::Domain, "cdn.example.org"), Some("top"), "a name below a listed host");
        assert_eq!(on(Kind::Domain, "badexample.org"), None, "not a suffix by label");
        assert_eq!(on(Kind::Url, "https://www.example.org/x"), Some("top"));
        assert_eq!(on(Kind::Domain, "mail.google.com"), Some("google"));
        assert_eq!(on(Kind::Domain, "goo.gl"), Some("google"));
        assert_eq!(on(Kind::Email, "x@example.org"), None, "the top sites list is not for e-mail");
        assert_eq!(on(Kind::Domain, "sinkhole.example.net"), Some("sinkholes"));
        assert_eq!(on(Kind::Md5, "d41d8cd98f00b204e9800998ecf8427e"), None);
        assert_eq!(w.len(), 5);
        assert_eq!(w.skipped().len(), 1, "the regex list is named as left out");
    }

    #[test]
    fn a_directory_without_lists_or_with_a_bad_one_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(WarningLists::load(dir.path(), 10), Err(Error::Empty(_))));
        std::fs::create_dir(dir.path().join("bad")).unwrap();
        std::fs::write(dir.path().join("bad/list.json"), "{\"name\": 1}").unwrap();
        let e = WarningLists::load(dir.path(), 10).err().unwrap().to_string();
        assert!(e.contains("bad/list.json") && e.contains("not a MISP warning list"), "{e}");
    }
}
