-- The text index: one row per version with text to search, a tsvector of
-- the words of its name and aliases (weight A), labels (B), description
-- (C) and the rest (D: pattern, values, hashes, notes, external ids),
-- cut into words by store::text::words and given to the 'simple'
-- configuration, so both backends index the same words. The words of the
-- versions already stored are added by lib.rs right after this step.
CREATE TABLE IF NOT EXISTS object_text (
    object BIGINT   PRIMARY KEY,  -- objects.date_added
    words  tsvector NOT NULL
);
CREATE INDEX IF NOT EXISTS object_text_words ON object_text USING GIN (words);
