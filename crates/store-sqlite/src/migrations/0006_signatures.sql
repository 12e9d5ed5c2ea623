-- Authors' signatures over object versions (provenance, docs/federation.md),
-- keyed by the object's id and the microseconds of its own version.
CREATE TABLE signatures (
    id      TEXT    NOT NULL,
    version INTEGER NOT NULL,
    signer  TEXT    NOT NULL,
    value   TEXT    NOT NULL,
    PRIMARY KEY (id, version)
) WITHOUT ROWID;
