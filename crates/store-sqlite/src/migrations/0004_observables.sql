-- The observable index: one entry per observable a version carries (an
-- SCO's values, the values an indicator's pattern tests for), keyed by
-- store::ObservableKey (16 bytes). Correlation and search by observable
-- read it by key; there is no table of pairs. Versions stored before this
-- migration have no entries.
CREATE TABLE observables (
    key    BLOB    NOT NULL,
    object INTEGER NOT NULL,  -- objects.date_added
    PRIMARY KEY (key, object)
) WITHOUT ROWID;
CREATE INDEX observables_object ON observables (object);  -- dropped by migration 16: deletions go by key
