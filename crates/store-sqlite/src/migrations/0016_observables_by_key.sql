-- The observable index keeps one B-tree, by key (its primary key, for
-- reads by key): the second, by version (`observables_object`, migration
-- 4), existed for deletions alone and cost every put one more entry per
-- key (a ledger record has two or three). A version's entries are now
-- deleted by their primary key, the keys computed from the JSON being
-- deleted (store::ObservableKey::of, write.rs `drop_version`); a version
-- whose JSON no longer parses is unindexed by a scan of the table.
DROP INDEX IF EXISTS observables_object;
