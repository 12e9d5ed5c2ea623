-- Who submitted each version (the author of record when created_by_ref is absent).
ALTER TABLE objects ADD COLUMN posted_by TEXT;

-- Membership of versions in TAXII collections. date_added is the date the
-- version was added to the collection, from the same clock as objects.
CREATE TABLE collection_objects (
    date_added INTEGER PRIMARY KEY,
    collection TEXT    NOT NULL,
    object     INTEGER NOT NULL,  -- objects.date_added of the version
    id         TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    is_first   INTEGER NOT NULL,
    is_last    INTEGER NOT NULL
);
CREATE UNIQUE INDEX collection_objects_version ON collection_objects (collection, id, version);
CREATE INDEX collection_objects_order ON collection_objects (collection, date_added);
CREATE INDEX collection_objects_type ON collection_objects (collection, type, date_added);
CREATE INDEX collection_objects_object ON collection_objects (object);

-- The node's own records.
CREATE TABLE partners (id TEXT PRIMARY KEY, name TEXT NOT NULL, hosted INTEGER NOT NULL);
CREATE TABLE tokens (
    id      TEXT PRIMARY KEY,
    hash    BLOB    NOT NULL,
    partner TEXT    NOT NULL,
    user    TEXT    NOT NULL,
    role    TEXT    NOT NULL,
    created INTEGER NOT NULL,
    expires INTEGER,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE collections (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    description TEXT,
    readers     TEXT NOT NULL,  -- JSON: "all" or {"partners": [...]}
    writers     TEXT NOT NULL
);
CREATE TABLE statuses (id TEXT PRIMARY KEY, owner TEXT NOT NULL, json BLOB NOT NULL);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
