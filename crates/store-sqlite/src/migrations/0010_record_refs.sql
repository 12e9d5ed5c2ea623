-- Partnership records are indexed by the records they name in their
-- top-level `…_ref` and `…_refs` properties (their agreement first), under
-- a key in the observables table (store::ObservableKey::refers_to). The
-- keys are computed in Rust: schema.rs adds those of the records already
-- stored right after this step.
SELECT 1;
