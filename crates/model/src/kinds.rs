//! The STIX 2.1 object types: which category each belongs to and which
//! properties the specification requires of it. A flat table.

/// The four kinds of STIX 2.1 object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// STIX Domain Object (indicator, malware, identity, …, and custom `new-sdo` types).
    Sdo,
    /// STIX Relationship Object (relationship, sighting, custom `new-sro` types).
    Sro,
    /// STIX Cyber-observable Object (ipv4-addr, file, …, custom `new-sco` types).
    Sco,
    /// STIX Meta Object (marking-definition, language-content, extension-definition).
    Smo,
}

/// Requirement on an object type: every group must have at least one of its
/// properties present (a group of one is a plain required property).
type Required = &'static [&'static [&'static str]];

const TYPES: &[(&str, Category, Required)] = &[
    ("attack-pattern", Category::Sdo, &[&["name"]]),
    ("campaign", Category::Sdo, &[&["name"]]),
    ("course-of-action", Category::Sdo, &[&["name"]]),
    ("grouping", Category::Sdo, &[&["context"], &["object_refs"]]),
    ("identity", Category::Sdo, &[&["name"]]),
    ("incident", Category::Sdo, &[&["name"]]),
    ("indicator", Category::Sdo, &[&["pattern"], &["pattern_type"], &["valid_from"]]),
    ("infrastructure", Category::Sdo, &[&["name"]]),
    ("intrusion-set", Category::Sdo, &[&["name"]]),
    ("location", Category::Sdo, &[&["region", "country", "latitude"]]),
    ("malware", Category::Sdo, &[&["is_family"]]),
    ("malware-analysis", Category::Sdo, &[&["product"], &["result", "analysis_sco_refs"]]),
    ("note", Category::Sdo, &[&["content"], &["object_refs"]]),
    ("observed-data", Category::Sdo, &[&["first_observed"], &["last_observed"], &["number_observed"], &["object_refs", "objects"]]),
    ("opinion", Category::Sdo, &[&["opinion"], &["object_refs"]]),
    ("report", Category::Sdo, &[&["name"], &["published"], &["object_refs"]]),
    ("threat-actor", Category::Sdo, &[&["name"]]),
    ("tool", Category::Sdo, &[&["name"]]),
    ("vulnerability", Category::Sdo, &[&["name"]]),
    ("relationship", Category::Sro, &[&["relationship_type"], &["source_ref"], &["target_ref"]]),
    ("sighting", Category::Sro, &[&["sighting_of_ref"]]),
    ("artifact", Category::Sco, &[&["payload_bin", "url"]]),
    ("autonomous-system", Category::Sco, &[&["number"]]),
    ("directory", Category::Sco, &[&["path"]]),
    ("domain-name", Category::Sco, &[&["value"]]),
    ("email-addr", Category::Sco, &[&["value"]]),
    ("email-message", Category::Sco, &[&["is_multipart"]]),
    ("file", Category::Sco, &[&["hashes", "name"]]),
    ("ipv4-addr", Category::Sco, &[&["value"]]),
    ("ipv6-addr", Category::Sco, &[&["value"]]),
    ("mac-addr", Category::Sco, &[&["value"]]),
    ("mutex", Category::Sco, &[&["name"]]),
    ("network-traffic", Category::Sco, &[&["protocols"]]),
    ("process", Category::Sco, &[]),
    ("software", Category::Sco, &[&["name"]]),
    ("url", Category::Sco, &[&["value"]]),
    ("user-account", Category::Sco, &[]),
    ("windows-registry-key", Category::Sco, &[]),
    ("x509-certificate", Category::Sco, &[]),
    ("marking-definition", Category::Smo, &[&["definition", "extensions"]]),
    ("language-content", Category::Smo, &[&["object_ref"], &["contents"]]),
    ("extension-definition", Category::Smo, &[&["name"], &["schema"], &["version"], &["extension_types"], &["created_by_ref"]]),
];

/// The category of a type defined by the STIX 2.1 specification, or `None`
/// for a custom type.
pub fn category_of(object_type: &str) -> Option<Category> {
    TYPES.iter().find(|(t, _, _)| *t == object_type).map(|(_, c, _)| *c)
}

/// The groups of required properties of a specified type (empty for custom types).
pub(crate) fn required_of(object_type: &str) -> Required {
    TYPES.iter().find(|(t, _, _)| *t == object_type).map(|(_, _, r)| *r).unwrap_or(&[])
}

/// All types the specification defines, with their category.
pub fn specified_types() -> impl Iterator<Item = (&'static str, Category)> {
    TYPES.iter().map(|(t, c, _)| (*t, *c))
}
