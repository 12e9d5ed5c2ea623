//! The test suite's throwaway PostgreSQL server. The server code lives in
//! `store-postgres` (its tests start private servers too) in a file that
//! needs only the standard library, included here so that xtask stays free
//! of the database crates.

#[path = "../../crates/store-postgres/src/testing/server.rs"]
mod server;

use std::path::Path;

pub use server::{bin, PgServer, TEST_SETTINGS};

impl PgServer {
    /// Starts a server for the test suite, or says why it cannot.
    pub fn for_tests(_root: &Path) -> anyhow::Result<PgServer> {
        PgServer::start_settings(TEST_SETTINGS)
    }

    /// [`PgServer::start_with`] with an `anyhow` error.
    pub fn start_settings(settings: &str) -> anyhow::Result<PgServer> {
        PgServer::start_with(settings).map_err(anyhow::Error::msg)
    }
}
