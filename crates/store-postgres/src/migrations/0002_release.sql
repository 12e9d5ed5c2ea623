-- What the release decision reads, kept beside each version so a read
-- decides without parsing the object (see store::release_facts).
-- shared_under: the agreements it is shared under, space-separated, derived
--   from its memberships of agreement collections (x-entente-agreement--…).
-- recalled: the object's latest version revokes it.
ALTER TABLE objects ADD COLUMN facts BYTEA NOT NULL DEFAULT '\x';
ALTER TABLE objects ADD COLUMN shared_under TEXT NOT NULL DEFAULT '';
ALTER TABLE objects ADD COLUMN recalled BOOLEAN NOT NULL DEFAULT false;
