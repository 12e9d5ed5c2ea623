//! Curation of received intelligence, kept on this node: an analyst's note
//! on an object, with tags from a taxonomy, authored by the analyst's
//! partner and shared with no one ([`add_note`]). It is a STIX `note`
//! naming the object (`object_refs`), so the object's page lists it with
//! the other notes and opinions naming it, through the release gate: the
//! author's partner sees it, no other partner does, and no sync offers it
//! (it is shared under no agreement). Sharing one is sharing the note like
//! any object of the partner's.
//!
//! The taxonomy is MISP's machine tags for what an analyst grades: TLP
//! 2.0, PAP, and the admiralty scale (source reliability A–F, information
//! credibility 1–6), written as MISP writes them
//! (`admiralty-scale:source-reliability="b"`); and, when the node has
//! them installed, every tag of MISP's taxonomies ([`crate::taxonomies`],
//! [`add_note_tagged`]).

use model::{StixId, Timestamp};
use serde_json::json;
use store::{PutOptions, Record, Store};

/// The most characters of a note's text.
pub const MAX_NOTE_CHARS: usize = 10_000;

/// The tags a note may carry: TLP 2.0, PAP, the admiralty scale.
pub fn taxonomy() -> Vec<String> {
    let mut tags: Vec<String> = ["clear", "green", "amber", "amber+strict", "red"].iter().map(|t| format!("tlp:{t}")).collect();
    tags.extend(["clear", "green", "amber", "red"].iter().map(|t| format!("pap:{t}")));
    tags.extend(["a", "b", "c", "d", "e", "f"].iter().map(|r| format!("admiralty-scale:source-reliability=\"{r}\"")));
    tags.extend(["1", "2", "3", "4", "5", "6"].iter().map(|c| format!("admiralty-scale:information-credibility=\"{c}\"")));
    tags
}

/// Writes `partner`'s note on `target` (its latest version the caller may
/// see): `content` (required, at most [`MAX_NOTE_CHARS`]), `tags` each from
/// [`taxonomy`] (as `labels`), `object_refs` the target, shared under no
/// agreement. The note's id, or what to fix, naming the property.
pub fn add_note(store: &dyn Store, partner: &StixId, target: &Record, content: &str, tags: &[String], now: &Timestamp) -> Result<String, String> {
    add_note_tagged(store, partner, target, content, tags, None, now)
}

/// [`add_note`], a tag also accepted when it is one of `more`'s (the
/// node's MISP taxonomies), exactly as MISP writes it.
pub fn add_note_tagged(
    store: &dyn Store,
    partner: &StixId,
    target: &Record,
    content: &str,
    tags: &[String],
    more: Option<&crate::taxonomies::Taxonomies>,
    now: &Timestamp,
) -> Result<String, String> {
    let content = content.trim();
    if content.is_empty() || content.chars().count() > MAX_NOTE_CHARS {
        return Err(format!("content: write the note (at most {MAX_NOTE_CHARS} characters)"));
    }
    let known = taxonomy();
    let mut labels: Vec<String> = Vec::new();
    for tag in tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        if !known.iter().any(|k| k == tag) && !more.is_some_and(|m| m.contains(tag)) {
            return Err(match more {
                Some(_) => format!("tags: “{tag}” is in no taxonomy of this node (TLP, PAP, admiralty scale, its MISP taxonomies; written namespace:predicate=\"value\")"),
                None => format!("tags: “{tag}” is not in the taxonomy (TLP, PAP, admiralty scale)"),
            });
        }
        if !labels.iter().any(|l| l == tag) {
            labels.push(tag.to_owned());
        }
    }
    let abstract_: String = content.lines().next().unwrap_or_default().chars().take(80).collect();
    let mut v = json!({
        "type": "note", "spec_version": "2.1", "id": format!("note--{}", uuid::Uuid::new_v4()),
        "created": now.as_str(), "modified": now.as_str(), "created_by_ref": partner.as_str(),
        "abstract": abstract_, "content": content, "object_refs": [target.id],
    });
    if !labels.is_empty() {
        v["labels"] = json!(labels);
    }
    let object = model::Object::from_value(v).map_err(|e| e.to_string())?;
    let options = PutOptions { posted_by: Some(partner.to_string()), only_author: true, ..PutOptions::default() };
    store.put(std::slice::from_ref(&object), &options).map_err(|e| e.to_string())?;
    Ok(object.id().to_string())
}
