-- A page of a collection reads its memberships in date order and joins each
-- to its version: with the version's rowid and flags in the date-order
-- index, the read never visits the membership rows themselves (one B-tree
-- descent per row fewer; docs/benchmarks.md, TAXII paged read).
DROP INDEX collection_objects_order;
CREATE INDEX collection_objects_order ON collection_objects (collection, date_added, object, is_last, is_first, version);
