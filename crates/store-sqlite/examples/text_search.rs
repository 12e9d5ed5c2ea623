//! What a text search's first page costs as the store grows: `cargo xtask bench search`.
//!
//! Fills one SQLite store with `--small` objects (default 100,000), times
//! the first page of text searches, then grows the same store to `--big`
//! (default 1,000,000) and times them again: p50 and p99 over `--reads`
//! searches each (default 200, fewer when one search's reads pass `--secs`
//! seconds, default 15, at least 5), and the ratio of the big store's p99 to
//! the small one's (the targets: ≤ 50 ms p99 at 1,000,000 and
//! ≤ 2× the cost at 100,000). A page is what `/intel?q=` asks of the
//! store: 50 objects through [`store::text::search`] with a gate that
//! refuses a third of the objects (one author of three) and a last-version
//! choice, JSON included, and where the page says so the matches counted
//! on to 1,000 through the same gate (the page's "1–50 of N"); the release
//! log and the HTML are not in it.
//!
//! The objects are indicators, malware and reports with names,
//! descriptions (a dozen words), labels and patterns drawn from a
//! vocabulary of 5,000 made-up words, skewed (word `i` drawn with
//! weight about `1/(i+1)`, 17 draws an object), so searches run for a
//! common word (in about three objects of four), a middling one (about
//! 2 %), a rare one (about 0.05 %), two common words together, each whole,
//! newest first and best match first; and prefixes (`word*`), newest
//! first. A plain listing (the
//! 50 oldest, gated, no words: one range read) is timed beside them as
//! the reference.

use store::bench_text::{arg, run};

fn main() {
    let small: usize = arg("--small").and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let big: usize = arg("--big").and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let reads: usize = arg("--reads").and_then(|v| v.parse().ok()).unwrap_or(200);
    let secs: f64 = arg("--secs").and_then(|v| v.parse().ok()).unwrap_or(15.0);
    let dir = arg("--dir").map(std::path::PathBuf::from).unwrap_or_else(|| std::env::temp_dir().join("entente-search-bench"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench dir");
    let store = store_sqlite::SqliteStore::open(&dir).expect("store");
    println!("{}", run(&store, "SQLite", small, big, reads, secs, &|| ()));
    let size = std::fs::metadata(dir.join(store_sqlite::FILE_NAME)).map(|m| m.len()).unwrap_or(0);
    println!("database file: {} MB", size / 1_000_000);
}
