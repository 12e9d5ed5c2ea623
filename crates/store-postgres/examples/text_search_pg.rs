//! What a text search's first page costs as a PostgreSQL store grows:
//! `cargo xtask bench search --postgres` (a throwaway server, as `cargo
//! xtask postgres`), or this example with `--url postgres://…` (a scratch
//! database: the objects are added to what it holds). After each filling
//! the tables are analyzed, as autovacuum would do later. The data, searches
//! and table are the SQLite example's (`store::bench_text`): see
//! `crates/store-sqlite/examples/text_search.rs`.

use store::bench_text::{arg, run};

fn main() {
    let small: usize = arg("--small").and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let big: usize = arg("--big").and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let reads: usize = arg("--reads").and_then(|v| v.parse().ok()).unwrap_or(200);
    let secs: f64 = arg("--secs").and_then(|v| v.parse().ok()).unwrap_or(15.0);
    let url = arg("--url").or_else(|| std::env::var("ENTENTE_TEST_DATABASE_URL").ok()).expect("--url postgres://… (a scratch database)");
    let store = store_postgres::PgStore::open(&url).expect("store");
    let analyze = || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
        c.batch_execute("ANALYZE objects; ANALYZE object_text").expect("analyze");
    };
    println!("{}", run(&store, "PostgreSQL", small, big, reads, secs, &analyze));
}
