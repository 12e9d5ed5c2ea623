//! The partnership modules this node runs: the registry, one line per
//! module (docs/modules.md), and the module service as the REST API
//! (`rest::modules`) and the `entente module` command call it.

use std::sync::Arc;

use partnership::Module;

pub use rest::modules::*;

/// The partnership modules of this build: one line each.
pub fn registered() -> Modules {
    #[allow(unused_mut)]
    let mut modules: Vec<Arc<dyn Module>> = vec![
        Arc::new(::agreements::Agreements),
        Arc::new(crisis::Crisis),
        Arc::new(dialogue::Dialogue),
        Arc::new(disputes::Disputes),
        Arc::new(exercises::Exercises),
        Arc::new(exercises::Exchanges),
        Arc::new(objectives::Objectives),
        Arc::new(resources::Resources),
        Arc::new(scorecard::Snapshots),
        Arc::new(statements::Statements),
    ];
    // The kit's example module, first, in builds for tests only (feature `example-module`).
    #[cfg(feature = "example-module")]
    modules.insert(0, Arc::new(partnership::suite::Notes));
    ::node::modules::build(modules)
}

