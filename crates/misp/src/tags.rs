//! MISP tags, sorted into what STIX carries them as: `tlp:*` into TLP 2.0
//! markings, `misp-galaxy:TYPE="VALUE"` into galaxy clusters, and every
//! other tag (`PAP:*` included) into a label kept as written. Also the
//! galaxy types each STIX object type stands for, as misp-stix sorts them.

use model::tlp::Tlp;

use crate::types::Cluster;

/// What one tag means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tag {
    /// A TLP level (`tlp:white` and `tlp:clear` are both CLEAR).
    Tlp(Tlp),
    /// A galaxy cluster named by a tag (`misp-galaxy:threat-actor="APT 28"`).
    Galaxy(Cluster),
    /// Anything else, a label as written (`PAP:GREEN`, `osint:source-type="blog-post"`).
    Label(String),
}

/// Sorts one tag.
pub fn classify(tag: &str) -> Tag {
    let lower = tag.to_ascii_lowercase();
    if let Some(level) = lower.strip_prefix("tlp:") {
        if let Some(t) = Tlp::parse(level.trim()) {
            return Tag::Tlp(t);
        }
    }
    if let Some(rest) = tag.strip_prefix("misp-galaxy:") {
        if let Some((ty, value)) = rest.split_once('=') {
            let value = value.trim().trim_matches('"');
            if !ty.is_empty() && !value.is_empty() {
                return Tag::Galaxy(Cluster {
                    galaxy_type: ty.trim().to_owned(),
                    value: value.to_owned(),
                    uuid: None,
                    description: String::new(),
                });
            }
        }
    }
    Tag::Label(tag.to_owned())
}

/// The most restrictive TLP among `tags`, if any is one.
pub fn tlp_of(tags: &[String]) -> Option<Tlp> {
    tags.iter().filter_map(|t| if let Tag::Tlp(l) = classify(t) { Some(l) } else { None }).max()
}

/// The labels among `tags` (neither TLP nor galaxy), in order, once each.
pub fn labels_of(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        if let Tag::Label(l) = classify(t) {
            if !out.contains(&l) {
                out.push(l);
            }
        }
    }
    out
}

/// The galaxy clusters named by `tags`.
pub fn clusters_of(tags: &[String]) -> Vec<Cluster> {
    tags.iter().filter_map(|t| if let Tag::Galaxy(c) = classify(t) { Some(c) } else { None }).collect()
}

/// The STIX type a galaxy type's clusters become (misp-stix's table), or
/// `None` for galaxies with no STIX construct (kept as labels instead).
pub fn stix_type_of_galaxy(galaxy_type: &str) -> Option<&'static str> {
    Some(match galaxy_type {
        "threat-actor" | "microsoft-activity-group" | "360net-threat-actor" | "mitre-ics-groups" => "threat-actor",
        "mitre-intrusion-set"
        | "mitre-enterprise-attack-intrusion-set"
        | "mitre-mobile-attack-intrusion-set"
        | "mitre-pre-attack-intrusion-set" => "intrusion-set",
        "android" | "backdoor" | "banker" | "cryptominers" | "malpedia" | "mitre-enterprise-attack-malware"
        | "mitre-ics-software" | "mitre-malware" | "mitre-mobile-attack-malware" | "ransomware" | "stealer" => "malware",
        "botnet" | "rat" | "exploit-kit" | "tds" | "tool" | "mitre-tool" | "mitre-enterprise-attack-tool"
        | "mitre-mobile-attack-tool" => "tool",
        "mitre-attack-pattern"
        | "mitre-enterprise-attack-attack-pattern"
        | "mitre-mobile-attack-attack-pattern"
        | "mitre-pre-attack-attack-pattern"
        | "mitre-ics-techniques"
        | "cmtmf-attack-pattern" => "attack-pattern",
        _ => return None,
    })
}

/// The galaxy type the export names a STIX object type's clusters under
/// (one that [`stix_type_of_galaxy`] reads back to the same type).
pub fn galaxy_of_stix_type(stix_type: &str) -> Option<&'static str> {
    Some(match stix_type {
        "threat-actor" => "threat-actor",
        "intrusion-set" => "mitre-intrusion-set",
        "malware" => "mitre-malware",
        "tool" => "mitre-tool",
        "attack-pattern" => "mitre-attack-pattern",
        _ => return None,
    })
}

/// The MISP tag for a TLP level.
pub fn tlp_tag(t: Tlp) -> String {
    format!("tlp:{}", t.name())
}
