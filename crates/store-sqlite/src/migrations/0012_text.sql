-- The text index (FTS5): one row per version with text to search, its
-- rowid the version's date_added, its columns the words of the name and
-- aliases, labels, description, and the rest (pattern, values, hashes,
-- notes, external ids), cut into words by store::text::words before they
-- reach SQLite. Contentless: the words are not kept twice, the JSON holds
-- them. The words of the versions already stored are added by schema.rs
-- right after this step.
CREATE VIRTUAL TABLE IF NOT EXISTS object_text USING fts5(
    name, labels, description, body,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0'
);
