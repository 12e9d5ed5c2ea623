-- Object versions. date_added is the rowid: microseconds since the epoch,
-- strictly increasing, so paging is a range scan of the table itself.
CREATE TABLE objects (
    date_added     INTEGER PRIMARY KEY,
    id             TEXT    NOT NULL,
    type           TEXT    NOT NULL,
    version        INTEGER NOT NULL,  -- microseconds of modified / created / date_added
    version_text   TEXT    NOT NULL,  -- the version as the object writes it
    spec_version   TEXT    NOT NULL,
    created_by_ref TEXT,
    is_first       INTEGER NOT NULL,
    is_last        INTEGER NOT NULL,
    revoked        INTEGER NOT NULL,
    json           BLOB    NOT NULL
);
CREATE UNIQUE INDEX objects_id_version ON objects (id, version);
CREATE INDEX objects_type ON objects (type, date_added);

