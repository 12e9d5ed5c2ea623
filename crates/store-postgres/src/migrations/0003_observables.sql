-- The observable index (see store::ObservableKey): one entry per observable
-- a version carries. Versions stored before this migration have none.
CREATE TABLE observables (
    key    BYTEA  NOT NULL,
    object BIGINT NOT NULL,  -- objects.date_added
    PRIMARY KEY (key, object)
);
CREATE INDEX observables_object ON observables (object);
