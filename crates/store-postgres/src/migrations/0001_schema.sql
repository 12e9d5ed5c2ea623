-- Object versions. date_added: microseconds since the epoch, strictly
-- increasing in commit order (see the clock table).
CREATE TABLE objects (
    date_added     BIGINT  PRIMARY KEY,
    id             TEXT    NOT NULL,
    type           TEXT    NOT NULL,
    version        BIGINT  NOT NULL,
    version_text   TEXT    NOT NULL,
    spec_version   TEXT    NOT NULL,
    created_by_ref TEXT,
    posted_by      TEXT,
    is_first       BOOLEAN NOT NULL,
    is_last        BOOLEAN NOT NULL,
    revoked        BOOLEAN NOT NULL,
    json           BYTEA   NOT NULL
);
CREATE UNIQUE INDEX objects_id_version ON objects (id, version);
CREATE INDEX objects_type ON objects (type, date_added);

CREATE TABLE collection_objects (
    date_added BIGINT  PRIMARY KEY,
    collection TEXT    NOT NULL,
    object     BIGINT  NOT NULL,
    id         TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    version    BIGINT  NOT NULL,
    is_first   BOOLEAN NOT NULL,
    is_last    BOOLEAN NOT NULL
);
CREATE UNIQUE INDEX collection_objects_version ON collection_objects (collection, id, version);
CREATE INDEX collection_objects_order ON collection_objects (collection, date_added);
CREATE INDEX collection_objects_type ON collection_objects (collection, type, date_added);
CREATE INDEX collection_objects_object ON collection_objects (object);

-- The store's one clock: the last date_added handed out. Every write
-- transaction locks this row, so date_added follows commit order across
-- every server on the database (a plain SEQUENCE would not: a transaction
-- could commit a smaller value after a reader paged past it).
CREATE TABLE clock (
    one  BOOLEAN PRIMARY KEY DEFAULT true CHECK (one),
    last BIGINT  NOT NULL
);
INSERT INTO clock (one, last) VALUES (true, 0);

CREATE TABLE partners (id TEXT PRIMARY KEY, name TEXT NOT NULL, hosted BOOLEAN NOT NULL);
CREATE TABLE tokens (
    id      TEXT PRIMARY KEY,
    hash    BYTEA   NOT NULL,
    partner TEXT    NOT NULL,
    "user"  TEXT    NOT NULL,
    role    TEXT    NOT NULL,
    created BIGINT  NOT NULL,
    expires BIGINT,
    revoked BOOLEAN NOT NULL DEFAULT false
);
CREATE TABLE collections (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    description TEXT,
    readers     TEXT NOT NULL,
    writers     TEXT NOT NULL
);
CREATE TABLE statuses (id TEXT PRIMARY KEY, owner TEXT NOT NULL, json BYTEA NOT NULL);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
