-- Authors' signatures over object versions (provenance, docs/federation.md),
-- found by the object's id and the microseconds of its own version. A rowid
-- table: rows (a few hundred bytes each) are appended, only the small
-- (id, version) index takes random inserts.
CREATE TABLE signatures (
    id      TEXT    NOT NULL,
    version INTEGER NOT NULL,
    signer  TEXT    NOT NULL,
    value   TEXT    NOT NULL
);
CREATE UNIQUE INDEX signatures_version ON signatures (id, version);
