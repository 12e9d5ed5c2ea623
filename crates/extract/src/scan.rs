//! The scanner: tokens of the text, refanged, classified.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::{Candidate, Kind};

/// Defanged forms and what they stand for, matched case-insensitively.
const FANGS: &[(&str, &str)] = &[
    ("[.]", "."),
    ("(.)", "."),
    ("{.}", "."),
    ("[dot]", "."),
    ("(dot)", "."),
    ("{dot}", "."),
    ("\\.", "."),
    ("[://]", "://"),
    ("[:]", ":"),
    ("[@]", "@"),
    ("(@)", "@"),
    ("[at]", "@"),
    ("(at)", "@"),
    ("hxxps", "https"),
    ("hxxp", "http"),
    ("fxp", "ftp"),
];

/// Suffixes that are top-level domains but far more often file extensions
/// in a report (`readme.md`, `loader.py`, `run.sh`): a name ending in one
/// counts as a domain only when the text defanged it or it has a subdomain.
const FILE_LIKE: &[&str] = &["md", "py", "sh", "pl", "ps", "rs", "zip", "mov", "so", "cc", "sys", "bin", "doc", "log", "cfg"];

/// How many words back a version word makes four dotted numbers a version.
const VERSION_WINDOW: usize = 5;

/// Words shortly after which four dotted numbers are a version, not an
/// address (undefanged).
const VERSION_WORDS: &[&str] = &["version", "ver", "ver.", "v", "v.", "build", "release", "firmware"];

/// `s` with every defanged form put back (`1[.]2[.]3[.]4` → `1.2.3.4`,
/// `hxxps` → `https`).
pub fn refang(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    'outer: while !rest.is_empty() {
        for (fang, plain) in FANGS {
            if rest.len() >= fang.len() && rest.is_char_boundary(fang.len()) && rest[..fang.len()].eq_ignore_ascii_case(fang) {
                // `fxp` and `hxxp` only as a scheme, not inside words.
                let scheme = fang.starts_with('h') || fang.starts_with('f');
                if !scheme || rest[fang.len()..].starts_with("://") || rest[fang.len()..].starts_with("[://]") || rest[fang.len()..].starts_with("[:]//") {
                    out.push_str(plain);
                    rest = &rest[fang.len()..];
                    continue 'outer;
                }
            }
        }
        let c = rest.chars().next().expect("not empty");
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Characters that end a token: never part of an indicator.
fn separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ',' | ';' | '|' | '`' | '*' | '\u{201c}' | '\u{201d}' | '\u{2018}' | '\u{2019}')
}

/// Every indicator in `text`, each once, in the order of first appearance.
pub fn extract(text: &str) -> Vec<Candidate> {
    let mut found: Vec<Candidate> = Vec::new();
    let mut seen: HashMap<(Kind, String), usize> = HashMap::new();
    let mut start = None;
    // The last few words: "version of the agent was 2.4.1.7".
    let mut recent: std::collections::VecDeque<String> = std::collections::VecDeque::with_capacity(VERSION_WINDOW + 1);
    let mut note = |token: &str, at: usize| {
        let after_version = recent.iter().any(|w| VERSION_WORDS.contains(&w.as_str()));
        recent.push_back(token.to_ascii_lowercase());
        if recent.len() > VERSION_WINDOW {
            recent.pop_front();
        }
        if let Some((kind, value, defanged)) = classify(token) {
            // "version 2.4.1.7" is a version, not an address, unless defanged.
            if kind == Kind::Ipv4 && after_version && !defanged {
                return;
            }
            match seen.get(&(kind, value.clone())) {
                Some(&i) => {
                    found[i].count += 1;
                    found[i].defanged |= defanged;
                }
                None => {
                    seen.insert((kind, value.clone()), found.len());
                    found.push(Candidate { kind, value, defanged, count: 1, at, warning: None });
                }
            }
        }
    };
    for (i, c) in text.char_indices() {
        if separator(c) {
            if let Some(s) = start.take() {
                note(&text[s..i], s);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        note(&text[s..], s);
    }
    found
}

/// What one token is, if an indicator: its kind, canonical value, and
/// whether it was defanged.
fn classify(token: &str) -> Option<(Kind, String, bool)> {
    if token.len() > 2048 {
        return None;
    }
    let plain = refang(token);
    let defanged = plain != token;
    let t = plain.trim_start_matches(['(', '[', '{']).trim_end_matches([')', ']', '}', '.', ':', '!', '?']);
    if t.is_empty() {
        return None;
    }
    let lower = t.to_ascii_lowercase();
    if let Some(url) = url(t, &lower) {
        return Some((Kind::Url, url, defanged));
    }
    if let Some((local, domain)) = t.split_once('@') {
        let ok_local = !local.is_empty() && local.len() <= 64 && local.chars().all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c));
        return (ok_local && host_name(domain, true)).then(|| (Kind::Email, format!("{local}@{}", domain.to_ascii_lowercase()), defanged));
    }
    if let Some(id) = cve(t) {
        return Some((Kind::Cve, id, defanged));
    }
    if attack(t) {
        return Some((Kind::Attack, t.to_owned(), defanged));
    }
    if t.bytes().all(|b| b.is_ascii_hexdigit()) {
        let kind = match t.len() {
            32 => Kind::Md5,
            40 => Kind::Sha1,
            64 => Kind::Sha256,
            128 => Kind::Sha512,
            _ => return None,
        };
        return Some((kind, lower, defanged));
    }
    if let Some(ip) = ipv4(t) {
        return Some((Kind::Ipv4, ip.to_string(), defanged));
    }
    if let Some(ip) = ipv6(t) {
        return Some((Kind::Ipv6, ip.to_string(), defanged));
    }
    // A name written with capitals in running text is code (`System.IO`)
    // more often than a domain, unless the text defanged it.
    // `evil[.]example/admin/` (a defanged path with no scheme): the name.
    let lower = match lower.split_once('/') {
        Some((host, _)) if defanged && !host.is_empty() => host.to_owned(),
        _ => lower,
    };
    // `name:8443`: the name.
    let name = lower.rsplit_once(':').filter(|(_, p)| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())).map_or(lower.as_str(), |(h, _)| h);
    if (defanged || !t.bytes().any(|b| b.is_ascii_uppercase())) && domain(name, defanged) {
        return Some((Kind::Domain, name.to_owned(), defanged));
    }
    None
}

fn url(t: &str, lower: &str) -> Option<String> {
    let scheme = ["http://", "https://", "ftp://"].into_iter().find(|s| lower.starts_with(s))?;
    let rest = &t[scheme.len()..];
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(host_port, |(h, _)| h),
    };
    let ok = host.parse::<Ipv4Addr>().is_ok() || host.parse::<Ipv6Addr>().is_ok() || host_name(host, true);
    ok.then(|| format!("{scheme}{}{}", authority.to_ascii_lowercase(), &rest[authority.len()..]))
}

fn cve(t: &str) -> Option<String> {
    let up = t.to_ascii_uppercase();
    let rest = up.strip_prefix("CVE-")?;
    let (year, number) = rest.split_once('-')?;
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    (year.len() == 4 && digits(year) && (4..=7).contains(&number.len()) && digits(number)).then_some(up)
}

fn attack(t: &str) -> bool {
    let Some(rest) = t.strip_prefix('T') else { return false };
    let (id, sub) = rest.split_once('.').map_or((rest, None), |(a, b)| (a, Some(b)));
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    digits(id, 4) && sub.is_none_or(|s| digits(s, 3))
}

fn ipv4(t: &str) -> Option<Ipv4Addr> {
    let host = t.rsplit_once(':').filter(|(_, p)| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())).map_or(t, |(h, _)| h);
    host.parse().ok()
}

fn ipv6(t: &str) -> Option<Ipv6Addr> {
    if t.matches(':').count() < 2 {
        return None;
    }
    // `[2001:db8::1]:443`, its opening bracket already trimmed.
    let host = t.trim_start_matches('[').split(']').next().unwrap_or_default();
    host.parse::<Ipv6Addr>().ok().filter(|ip| !ip.is_unspecified() && host.len() >= 6)
}

/// A domain name in running text: a public suffix and at least one label
/// before it; a file-like suffix only when defanged or with a subdomain.
fn domain(lower: &str, defanged: bool) -> bool {
    if !host_name(lower, false) {
        return false;
    }
    let labels = lower.split('.').count();
    let last = lower.rsplit('.').next().unwrap_or_default();
    defanged || labels > 2 || !FILE_LIKE.contains(&last)
}

/// A host name: labels of letters, digits and hyphens, a known public
/// suffix with a label before it. `loose`: in a URL or an e-mail address,
/// where the context already says it is a host.
fn host_name(host: &str, loose: bool) -> bool {
    let host = host.trim_end_matches('.');
    if host.len() > 253 || !host.contains('.') {
        return false;
    }
    let lower = host.to_ascii_lowercase();
    let labels_ok = lower.split('.').all(|l| {
        !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-') && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || (loose && b == b'_'))
    });
    if !labels_ok || lower.rsplit('.').next().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    match psl::suffix(lower.as_bytes()) {
        Some(s) if s.is_known() => s.as_bytes().len() < lower.len(),
        _ => false,
    }
}

/// The text of an HTML document: tags dropped (scripts and styles with
/// their content), the common entities decoded, block ends as spaces.
pub fn html_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&entities(&rest[..open]));
        out.push(' ');
        let tag = &rest[open..];
        let lower_start: String = tag.chars().take(8).collect::<String>().to_ascii_lowercase();
        let skip_to = if lower_start.starts_with("<script") {
            "</script>"
        } else if lower_start.starts_with("<style") {
            "</style>"
        } else if lower_start.starts_with("<!--") {
            "-->"
        } else {
            ">"
        };
        let lower_tag = tag.to_ascii_lowercase();
        match lower_tag.find(skip_to) {
            Some(end) => rest = &tag[end + skip_to.len()..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(&entities(rest));
    out
}

fn entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let Some(semi) = after.char_indices().take(12).find(|(_, c)| *c == ';').map(|(i, _)| i) else {
            out.push('&');
            rest = &after[1..];
            continue;
        };
        let name = &after[1..semi];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            _ => name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
