-- The release columns of every version, keyed by date_added, without the
-- JSON: a text search counting its matches through the reader's gate
-- (store::text::search_counted, TextQuery::without_json) reads the facts
-- the gate decides on from this index alone, a few entries a page, instead
-- of each hit's row with its JSON (about three rows a 4 KiB page). At
-- 1,000,000 versions the counted hits lie spread over the whole table
-- (docs/benchmarks.md, "Text search as the store grows").
CREATE INDEX IF NOT EXISTS objects_release ON objects (
    date_added, id, type, version_text, version, spec_version, created_by_ref, posted_by,
    facts, shared_under, recalled, is_first, is_last
);
