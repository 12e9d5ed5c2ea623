//! `entente stats`: counts of stored objects by type and by producer.

use std::process::ExitCode;

use crate::config::Config;

pub fn run(config: &Config) -> anyhow::Result<ExitCode> {
    let store = super::open(config)?.store;
    let stats = store.stats()?;
    println!("{} objects, {} versions", stats.objects, stats.versions);
    println!("\n{:<32} {:>12} {:>12}", "type", "objects", "versions");
    for (ty, objects, versions) in &stats.by_type {
        println!("{ty:<32} {objects:>12} {versions:>12}");
    }
    println!("\n{:<60} {:>12} {:>12}", "producer", "objects", "versions");
    for (author, objects, versions) in &stats.by_producer {
        let label = if author.is_empty() { "(none)".to_owned() } else { producer_label(&*store, author) };
        println!("{label:<60} {objects:>12} {versions:>12}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `name (identity--…)` when the producer's identity object is stored.
fn producer_label(store: &dyn store::Store, author: &str) -> String {
    let name = model::StixId::parse(author)
        .ok()
        .and_then(|id| store.get(&id, &store::Versions::LAST).ok())
        .and_then(|recs| recs.into_iter().next())
        .and_then(|r| serde_json::from_slice::<serde_json::Value>(&r.json).ok())
        .and_then(|v| v.get("name").and_then(|n| n.as_str()).map(str::to_owned));
    match name {
        Some(n) => format!("{n} ({author})"),
        None => author.to_owned(),
    }
}
