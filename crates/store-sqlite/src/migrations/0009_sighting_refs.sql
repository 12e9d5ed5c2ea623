-- Sightings are indexed by what they are of (`sighting_of_ref`), under a
-- key in the observables table. The keys are computed in Rust: schema.rs
-- adds those of the sightings already stored right after this step.
SELECT 1;
