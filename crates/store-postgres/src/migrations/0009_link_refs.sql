-- Relationships, reports, groupings, notes and opinions are indexed by the
-- objects they link (`source_ref`, `target_ref`, `object_refs`), under a
-- key in the observables table (store::ObservableKey::linked), so an
-- object page finds its relationships both ways and the reports naming it.
-- The keys are computed in Rust: lib.rs adds those of the objects
-- already stored right after this step.
SELECT 1;
