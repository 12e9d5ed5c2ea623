-- The text index's vocabulary, one row per word indexed: a query word
-- ending in `*` longer than the prefix indexes (migration 14: 2 to 4
-- characters) is read as the words it begins (`glacier*` as `glacier OR
-- glacierlock OR …`, found by a range read of this table), which FTS5
-- merges lazily newest first, stopping at the page; FTS5's own prefix
-- query reads and merges the list of every such word before its first hit
-- (docs/benchmarks.md, "Text search as the store grows").
CREATE VIRTUAL TABLE IF NOT EXISTS object_text_vocab USING fts5vocab(object_text, 'row');
