//! The text index: what of an object is searched as text, the words it
//! is cut into, the backend-neutral query, and the gated walk over its
//! ranked hits.
//!
//! Words are cut here, not by the database: lowercase runs of letters
//! and digits, everything else a separator. Both backends are given the
//! words already cut (SQLite FTS5 with the `unicode61` tokenizer,
//! PostgreSQL `to_tsvector('simple', …)`), so they index and match the
//! same words: `evil-corp.example` is the words `evil corp example`
//! on either. A query's words all have to match, each a whole indexed
//! word, or each as the beginning of one when the query asks for
//! prefixes ([`TextQuery::prefix`]: a query text ending in `*`).
//!
//! Best match ([`TextOrder::Rank`]) is by where the words are, in tiers:
//! every word in the name (or aliases); else every word in the name or
//! labels; else in those or the description; else anywhere; newest first
//! within a tier. Each tier is a newest-first walk of the index that stops
//! at the page, so a word in most objects costs what a rare one does: the
//! decision recorded in docs/benchmarks.md ("Text search as the store
//! grows"), taken over a scored rank (bm25, `ts_rank`) whose cost grew
//! with the number of matches. A prefix search is newest first only: on
//! SQLite a prefix of 2 to 4 characters is read from FTS5's prefix indexes
//! as lazily as a whole word, a longer one as the words it begins, ORed
//! (found in the index's vocabulary; up to 64, else FTS5's prefix query,
//! which reads every such word's list before its first hit); PostgreSQL reads every query, whole words or
//! prefixes, newest first in windows of `date_added` that stop at the page
//! (its GIN index hands matches out unordered).

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
    /// Best match first, in tiers (the words all in the name, then all in
    /// the name or labels, then those or the description, then anywhere:
    /// [`TIERS`]), the newest first within a tier.
    Rank,
}

/// The tiers of [`TextOrder::Rank`]: tier `k` holds the versions whose
/// words are all found in the first `k + 1` of these fields and not all
/// in the first `k`. Backends name them in their own terms (FTS5 columns;
/// tsvector weights A to D, the name's and labels' words also tagged).
pub const TIERS: [&str; 4] = ["name", "labels", "description", "body"];

/// A text search over the index: every stored version whose indexed
/// words include each of `words` (whole, or as a prefix), filtered like a
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
    /// The order of the hits ([`TextQuery::order`] gives the one used).
    pub order: TextOrder,
    /// Each word matches the beginning of an indexed word, not only a
    /// whole one; newest first whatever `order` says.
    pub prefix: bool,
    /// Where to go on from ([`TextPage::next`]): with [`TextOrder::Newest`]
    /// only versions added strictly before it; with [`TextOrder::Rank`]
    /// how many hits to skip.
    pub from: Option<i64>,
    /// Hits to return at most.
    pub limit: usize,
    /// Hand the hits over without their JSON (`json` empty), everything
    /// the release decision reads kept: what [`search_counted`] asks for
    /// the hits it only counts. Backends read them from the release
    /// columns alone (SQLite: a covering index, never the row with its
    /// JSON).
    pub without_json: bool,
    /// Whether `keep` (in [`search_counted`]) reads a hit's JSON: then the
    /// hits counted beyond the page are read with it too (slower at
    /// scale); else they are read [`TextQuery::without_json`].
    pub keep_reads_json: bool,
}

impl TextQuery {
    /// A query for the words of `text` ([`words`], at most
    /// [`MAX_QUERY_WORDS`]), prefixes when `text` ends with `*`.
    pub fn new(text: &str) -> TextQuery {
        TextQuery {
            words: words(text).split(' ').filter(|w| !w.is_empty()).take(MAX_QUERY_WORDS).map(str::to_owned).collect(),
            prefix: text.trim_end().ends_with('*'),
            ..TextQuery::default()
        }
    }

    /// The order the hits come in: [`TextOrder::Newest`] for a prefix
    /// search, else `order`.
    pub fn order(&self) -> TextOrder {
        if self.prefix {
            TextOrder::Newest
        } else {
            self.order
        }
    }
}

/// How many matches of a search the reader may see, as far as they were
/// counted ([`search_counted`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    /// The matches counted, the page's included.
    pub counted: usize,
    /// Whether that is all of them; else there are at least `counted`
    /// (counting stopped at its cap or its budget of hits read).
    pub exact: bool,
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
    Ok(search_counted(store, q, gate, keep, want, budget, 0, 0)?.0)
}

/// [`search`], and the matches the reader may see counted from the same
/// place on, through the same gate and `keep` (a hit the reader may not
/// see is never counted): at most `count_to` of them, reading at most
/// `count_budget` hits beyond the page. With `count_to` 0, nothing
/// beyond the page is read and the count is the page's.
///
/// Once the page is full, the hits are read only to be counted: without
/// their JSON ([`TextQuery::without_json`]; the gate decides on the
/// release facts) unless [`TextQuery::keep_reads_json`], and in chunks
/// sized by the share of hits the reader has seen pass so far, so that
/// one read usually reaches the cap.
#[allow(clippy::too_many_arguments)]
pub fn search_counted(
    store: &dyn Store,
    q: &TextQuery,
    gate: &Gate,
    keep: &dyn Fn(&Record) -> bool,
    want: usize,
    budget: usize,
    count_to: usize,
    count_budget: usize,
) -> Result<(TextPage, Count)> {
    let mut page = TextPage::default();
    let mut count = Count { counted: 0, exact: true };
    if q.words.is_empty() || want == 0 {
        return Ok((page, count));
    }
    let choice = Query { versions: Versions::LAST, gate: Some(gate.clone()), ..Query::default() };
    let mut raw = q.clone();
    raw.order = q.order();
    let mut read = 0usize;
    // Hits read after the page was full (counting only).
    let mut beyond = 0usize;
    let mut chunk = (want * 2).clamp(32, 1_000);
    loop {
        let counting = page.records.len() == want;
        if counting {
            // Hits to read to reach the cap at the share passed so far
            // (one in ten at least), a tenth more; within the budget.
            let passed = count.counted.max(1) as f64 / (read + beyond).max(1) as f64;
            let left = (want.max(count_to) + 1).saturating_sub(count.counted) as f64;
            let guess = (left / passed.max(0.1) * 1.1).ceil() as usize;
            chunk = guess.max(chunk).clamp(32, count_budget.saturating_sub(beyond).max(32));
        }
        raw.without_json = counting && !q.keep_reads_json;
        raw.limit = chunk;
        let hits = store.text_hits(&raw)?;
        let ended = hits.len() < chunk;
        for (r, is_last) in hits {
            let full = page.records.len() == want;
            if full {
                beyond += 1;
            } else {
                read += 1;
            }
            let position = match raw.order {
                TextOrder::Newest => r.date_added.0,
                TextOrder::Rank => raw.from.unwrap_or(0) + 1,
            };
            raw.from = Some(position);
            if keep(&r) && chooses(&choice, gate, &r, false, is_last, &mut || store.versions_of(&r.id, None))? {
                count.counted += 1;
                if !full {
                    page.records.push(r);
                    if page.records.len() == want {
                        page.next = Some(position);
                    }
                }
                if count.counted > want.max(count_to) {
                    // One past the cap: there are more than `count_to`.
                    count.counted -= 1;
                    count.exact = false;
                    return Ok((page, count));
                }
            }
            let full = page.records.len() == want;
            if full && (count_to <= want || beyond >= count_budget) {
                count.exact = false;
                return Ok((page, count));
            }
            if !full && read >= budget {
                page.next = Some(position);
                count.exact = false;
                return Ok((page, count));
            }
        }
        if ended {
            if page.records.len() == want && count.exact {
                // Counted to the end: nothing after the page.
                page.next = (count.counted > want).then_some(page.next).flatten();
            }
            return Ok((page, count));
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
