//! MISP's taxonomies (`<data dir>/taxonomies`: MISP's
//! `<namespace>/machinetag.json` layout, as the `pytaxonomies` package
//! ships them in its `data/misp-taxonomies` folder; never copied into this
//! repository), loaded once per process and data directory, for the tags
//! an analyst's note may carry beside the built-in TLP, PAP and admiralty
//! scale ([`crate::curation`]). A tag is written as MISP writes it:
//! `namespace:predicate="value"` for a predicate with values, else
//! `namespace:predicate`. A node's taxonomies change when its operator
//! installs new ones: restart ([`crate::folders`], as the warning lists).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::folders::Folder;

/// The loaded taxonomies: every tag they define, and their namespaces.
#[derive(Default, Debug)]
pub struct Taxonomies {
    tags: BTreeSet<String>,
    namespaces: Vec<String>,
}

impl Taxonomies {
    /// Every `machinetag.json` one level under `dir` (or in it). An
    /// unreadable file, or one not in MISP's format, is an error naming it.
    pub fn load(dir: &Path) -> Result<Taxonomies, String> {
        let files = crate::folders::files_named(dir, "machinetag.json", 1)?;
        if files.is_empty() {
            return Err(format!("{}: no MISP taxonomy (machinetag.json) in it", dir.display()));
        }
        let mut t = Taxonomies::default();
        for path in files {
            let v = crate::folders::read_json(&path, "a MISP taxonomy")?;
            t.add(&v).map_err(|m| format!("{}: not a MISP taxonomy: {m}", path.display()))?;
        }
        Ok(t)
    }

    /// Adds one taxonomy (a parsed `machinetag.json`).
    fn add(&mut self, v: &Value) -> Result<(), String> {
        let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let namespace = text(v, "namespace").ok_or("no `namespace`")?;
        let predicates = v.get("predicates").and_then(Value::as_array).ok_or("no `predicates`")?;
        let mut with_values: HashMap<String, Vec<String>> = HashMap::new();
        for group in v.get("values").and_then(Value::as_array).into_iter().flatten() {
            let Some(p) = text(group, "predicate") else { continue };
            let entries = group.get("entry").and_then(Value::as_array).into_iter().flatten().filter_map(|e| text(e, "value"));
            with_values.entry(p).or_default().extend(entries);
        }
        for p in predicates.iter().filter_map(|p| text(p, "value")) {
            match with_values.get(&p) {
                Some(values) if !values.is_empty() => {
                    for value in values {
                        self.tags.insert(format!("{namespace}:{p}=\"{value}\""));
                    }
                }
                _ => {
                    self.tags.insert(format!("{namespace}:{p}"));
                }
            }
        }
        self.namespaces.push(namespace);
        Ok(())
    }

    /// Whether `tag` is one of the taxonomies' tags, exactly as written.
    pub fn contains(&self, tag: &str) -> bool {
        self.tags.contains(tag)
    }

    /// Every tag, in order.
    pub fn tags(&self) -> impl Iterator<Item = &str> {
        self.tags.iter().map(String::as_str)
    }

    /// How many tags.
    pub fn len(&self) -> usize {
        self.tags.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// The taxonomies' namespaces, in the order loaded.
    pub fn namespaces(&self) -> &[String] {
        &self.namespaces
    }
}

/// The taxonomies under `data_dir` (`taxonomies`), none if it has no such
/// directory; the error of one that cannot be read.
pub fn of(data_dir: &Path) -> Result<Option<Arc<Taxonomies>>, String> {
    static FOLDER: Folder<Taxonomies> = Folder::new("taxonomies", "taxonomies");
    FOLDER.of(data_dir, Taxonomies::load)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, v: &Value) {
        std::fs::create_dir_all(dir.join(name)).unwrap();
        std::fs::write(dir.join(name).join("machinetag.json"), v.to_string()).unwrap();
    }

    #[test]
    fn tags_are_written_as_misp_writes_them() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "estimative-language", &serde_json::json!({
            "namespace": "estimative-language", "description": "…", "version": 1,
            "predicates": [{ "value": "likelihood-probability" }, { "value": "confidence-in-analytic-judgment" }],
            "values": [
                { "predicate": "likelihood-probability", "entry": [{ "value": "almost-no-chance" }, { "value": "very-likely" }] },
                { "predicate": "confidence-in-analytic-judgment", "entry": [{ "value": "low" }] }
            ]
        }));
        write(dir.path(), "workflow", &serde_json::json!({ "namespace": "workflow", "predicates": [{ "value": "todo" }, { "value": "complete" }] }));
        let t = Taxonomies::load(dir.path()).unwrap();
        assert!(t.contains("estimative-language:likelihood-probability=\"very-likely\""));
        assert!(t.contains("estimative-language:confidence-in-analytic-judgment=\"low\""));
        assert!(t.contains("workflow:todo"), "a predicate without values is a tag itself");
        assert!(!t.contains("estimative-language:likelihood-probability"), "a predicate with values is not");
        assert!(!t.contains("workflow:todo=\"x\""));
        assert_eq!(t.len(), 5);
        assert_eq!(t.namespaces(), ["estimative-language", "workflow"]);
    }

    #[test]
    fn a_bad_taxonomy_or_an_empty_directory_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Taxonomies::load(dir.path()).unwrap_err().contains("no MISP taxonomy"));
        write(dir.path(), "broken", &serde_json::json!({ "predicates": [] }));
        let e = Taxonomies::load(dir.path()).unwrap_err();
        assert!(e.contains("broken") && e.contains("no `namespace`"), "{e}");
    }
}
