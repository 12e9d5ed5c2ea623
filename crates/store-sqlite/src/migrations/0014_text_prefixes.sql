-- The text index again, with prefix indexes of 2, 3 and 4 characters: a
-- query word ending in `*` of that length (`ka0*`) is then read from the
-- index lazily, newest first, stopping at the page, as a whole word is;
-- without one FTS5 reads and merges the list of every word beginning with
-- the prefix before its first hit (81 ms p99 for a common word's prefix at
-- 1,000,000 objects; docs/benchmarks.md, "Text search as the store
-- grows"). A longer prefix matches fewer words and is read as before. An
-- FTS5 table's options are fixed when it is made: it is made again, and
-- the words of the versions stored are added by schema.rs right after
-- this step.
DROP TABLE IF EXISTS object_text;
CREATE VIRTUAL TABLE object_text USING fts5(
    name, labels, description, body,
    content = '', contentless_delete = 1,
    prefix = '2 3 4',
    tokenize = 'unicode61 remove_diacritics 0'
);
