//! The text index: what of an object is searched as text, the words it
//! is cut into, the backend-neutral query, and the gated walk over its
//! ranked hits.
//!
//! Words are cut here, not by the database: lowercase runs of letters
//! and digits, everything else a separator. Both backends are given the
//! words already cut (SQLite FTS5 with the `unicode61` tokenizer,
//! PostgreSQL `to_tsvector('simple', …)`), so they index and match the
//! same words: `evil-corp.example` is the words `evil corp example`
//! on either. A query's words all have to match, each as a prefix of an
//! indexed word.

use serde_json::Value;

use crate::{chooses, Gate, Query, Record, Result, Store, Versions};

/// The most characters of one field indexed: a longer description is
/// found by its beginning only (PostgreSQL refuses a tsvector over 1 MB).
pub const MAX_FIELD_CHARS: usize = 32_000;

/// The most words of a query: the rest are ignored.
pub const MAX_QUERY_WORDS: usize = 16;

/// What of one version is indexed, each field already cut into words
/// ([`words`]). The fields weigh in that order in the ranking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextFields {
    /// `name` and `aliases`.
    pub name: String,
    /// `labels`.
    pub labels: String,
    /// `description`.
    pub description: String,
    /// The rest an analyst searches for: `pattern`, an observable's
    /// `value` and `hashes`, a note's `abstract` and `content`, an
    /// opinion's `explanation`, external ids (`T1566`, `CVE-…`).
    pub body: String,
}

impl TextFields {
    /// The indexed fields of an object (its JSON value), or `None` when it
    /// has no text to index.
    pub fn of(value: &Value) -> Option<TextFields> {
        let s = |k: &str| value.get(k).and_then(Value::as_str).unwrap_or_default();
        let list = |k: &str| -> String {
            value.get(k).and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" ")).unwrap_or_default()
        };
        let hashes = value.get("hashes").and_then(Value::as_object).map(|h| h.values().filter_map(Value::as_str).collect::<Vec<_>>().join(" ")).unwrap_or_default();
        let external = value
            .get("external_references")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|r| r.get("external_id").and_then(Value::as_str)).collect::<Vec<_>>().join(" "))
            .unwrap_or_default();
        let fields = TextFields {
            name: words(&format!("{} {}", s("name"), list("aliases"))),
            labels: words(&list("labels")),
            description: words(s("description")),
            body: words(&[s("pattern"), s("value"), &hashes, s("abstract"), s("content"), s("explanation"), &external].join(" ")),
        };
        (fields != TextFields::default()).then_some(fields)
    }

    /// The indexed fields of a stored version's JSON, for indexing what
    /// was stored before the index existed.
    pub fn of_stored(json: &[u8]) -> Option<TextFields> {
        TextFields::of(&serde_json::from_slice::<Value>(json).ok()?)
    }
}

/// `text` cut into words: lowercase runs of letters and digits, separated
/// by one space, at most [`MAX_FIELD_CHARS`] characters of `text` read.
pub fn words(text: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in text.chars().take(MAX_FIELD_CHARS) {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

/// The order of a text search's hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextOrder {
    /// Most recently added first.
    #[default]
    Newest,
    /// Best match first (a word in the name weighs most, then labels,
    /// description, the rest), the newest first among equals.
    Rank,
}

/// A text search over the index: every stored version whose indexed
/// words include each of `words` (as a prefix), filtered like a
/// [`Query`]. Backends read it with [`Store::text_hits`]; callers use
/// [`search`], which applies the reader's gate.
#[derive(Debug, Clone, Default)]
pub struct TextQuery {
    /// The words to find (from [`words`]); empty matches nothing.
    pub words: Vec<String>,
    /// Object types; empty does not filter.
    pub types: Vec<String>,
    /// Authors (`created_by_ref`); empty does not filter.
    pub authors: Vec<String>,
    /// Only versions added strictly after this (microseconds).
    pub added_after: Option<i64>,
    /// Only versions added strictly before this (microseconds).
    pub added_before: Option<i64>,
    /// The order of the hits.
    pub order: TextOrder,
    /// Where to go on from ([`TextPage::next`]): with [`TextOrder::Newest`]
    /// only versions added strictly before it; with [`TextOrder::Rank`]
    /// how many hits to skip.
    pub from: Option<i64>,
    /// Hits to return at most.
    pub limit: usize,
}

impl TextQuery {
    /// A query for the words of `text` ([`words`], at most
    /// [`MAX_QUERY_WORDS`]).
    pub fn new(text: &str) -> TextQuery {
        TextQuery { words: words(text).split(' ').filter(|w| !w.is_empty()).take(MAX_QUERY_WORDS).map(str::to_owned).collect(), ..TextQuery::default() }
    }
}

/// One text hit as a backend returns it: the version (with its JSON) and
/// whether it is the latest stored version of its object.
pub type TextHit = (Record, bool);

/// A page of a gated text search.
#[derive(Debug, Clone, Default)]
pub struct TextPage {
    /// The versions shown, in the query's order.
    pub records: Vec<Record>,
    /// Where the next page goes on from ([`TextQuery::from`]), when there
    /// may be more.
    pub next: Option<i64>,
}

/// A page of at most `want` objects matching `q` that `gate` lets through
/// and `keep` accepts, in `q`'s order: for each object, the latest
/// version the reader may see, when it matches (as [`Versions::LAST`]
/// through a gate, [`chooses`]). Hits the gate refuses are skipped before
/// the page is counted, so neither the page nor its `next` reveals them;
/// `keep` is asked before the gate, so a version it refuses is never
/// handed over. At most `budget` hits are read: the page then ends early
/// with a `next` to go on from.
pub fn search(store: &dyn Store, q: &TextQuery, gate: &Gate, keep: &dyn Fn(&Record) -> bool, want: usize, budget: usize) -> Result<TextPage> {
    let mut page = TextPage::default();
    if q.words.is_empty() || want == 0 {
        return Ok(page);
    }
    let choice = Query { versions: Versions::LAST, gate: Some(gate.clone()), ..Query::default() };
    let mut raw = q.clone();
    let mut read = 0usize;
    let mut chunk = (want * 2).clamp(32, 1_000);
    loop {
        raw.limit = chunk;
        let hits = store.text_hits(&raw)?;
        let ended = hits.len() < chunk;
        for (r, is_last) in hits {
            read += 1;
            let position = match q.order {
                TextOrder::Newest => r.date_added.0,
                TextOrder::Rank => raw.from.unwrap_or(0) + 1,
            };
            raw.from = Some(position);
            if keep(&r) && chooses(&choice, gate, &r, false, is_last, &mut || store.versions_of(&r.id, None))? {
                page.records.push(r);
                if page.records.len() == want {
                    page.next = Some(position);
                    return Ok(page);
                }
            }
            if read >= budget {
                page.next = Some(position);
                return Ok(page);
            }
        }
        if ended {
            return Ok(page);
        }
        chunk = (chunk * 2).min(4_000);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lowercase_runs_of_letters_and_digits() {
        assert_eq!(words("  Evil-Corp.example: GlacierLock v2!"), "evil corp example glacierlock v2");
        assert_eq!(words("[ipv4-addr:value = '198.51.100.7']"), "ipv4 addr value 198 51 100 7");
        assert_eq!(words("Ünïcode ÉTÉ"), "ünïcode été");
        assert_eq!(words("--"), "");
        assert_eq!(TextQuery::new("a\"b*c OR d").words, vec!["a", "b", "c", "or", "d"]);
    }

    #[test]
    fn fields_take_what_an_analyst_searches() {
        let v = serde_json::json!({
            "type": "indicator", "name": "Glacier", "aliases": ["GL"], "labels": ["Phishing"],
            "description": "Sent by mail", "pattern": "[domain-name:value = 'evil.example']",
            "external_references": [{"source_name": "mitre-attack", "external_id": "T1566"}]
        });
        let f = TextFields::of(&v).unwrap();
        assert_eq!(f.name, "glacier gl");
        assert_eq!(f.labels, "phishing");
        assert_eq!(f.description, "sent by mail");
        assert_eq!(f.body, "domain name value evil example t1566");
        assert_eq!(TextFields::of(&serde_json::json!({"type": "identity"})), None);
    }
}
