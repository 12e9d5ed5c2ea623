//! `cargo xtask tidy`: the house rules that a compiler does not check.
//!
//! - every Rust file opens with a `//!` line saying what lives there;
//! - the layers depend only downwards (ARCHITECTURE.md, "Invariants"):
//!   checked on the resolved graph of normal dependencies, transitively;
//! - no ignored or should-panic tests;
//! - every image README.md and `docs/*.md` show is a file git tracks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context};
use serde_json::Value;

/// (crate, forbidden dependencies): what each layer must not know, even
/// through other crates.
const FORBIDDEN: &[(&str, &[&str])] = &[
    ("entente-model", &["tokio", "axum", "hyper", "rusqlite", "postgres", "tokio-postgres", "reqwest", "clap", "entente-store", "entente-node"]),
    ("entente-pattern", &["tokio", "axum", "hyper", "rusqlite", "postgres", "tokio-postgres", "reqwest", "clap", "entente-store", "entente-node"]),
    ("entente-policy", &["tokio", "axum", "hyper", "rusqlite", "postgres", "tokio-postgres", "reqwest", "clap", "entente-store", "entente-node"]),
    // The release log: std::fs and the model (which reads patterns with
    // `pattern`), nothing above it.
    ("entente-audit", &["tokio", "axum", "hyper", "rusqlite", "postgres", "tokio-postgres", "reqwest", "clap", "entente-store", "entente-policy", "entente-taxii", "entente-server", "entente-node"]),
    // The module kit: pure, like policy; no maud either (pages are the web
    // layer's), no store (records reach them as values). The modules have
    // the same rule, found by their manifest ([`MODULE`]).
    ("entente-partnership", &["tokio", "axum", "hyper", "rusqlite", "postgres", "tokio-postgres", "reqwest", "clap", "maud", "entente-store", "entente-server"]),
    // The scorecard: pure formulas over an Evidence value (node gathers
    // it), and its snapshots' module, pure like the others.
    ("entente-scorecard", &["tokio", "axum", "hyper", "rusqlite", "postgres", "tokio-postgres", "reqwest", "clap", "maud", "entente-store", "entente-server", "entente-node"]),
    // Reports (HTML and PDF from a document model): pure, knows none of
    // Entente's crates; callers hand it text.
    ("entente-report", &["tokio", "axum", "hyper", "rusqlite", "postgres", "tokio-postgres", "reqwest", "clap", "maud", "entente-model", "entente-policy", "entente-store", "entente-node", "entente-server"]),
    // MISP conversion: pure like the module kit; reads and writes feed files only.
    ("entente-misp", &["tokio", "axum", "hyper", "rusqlite", "postgres", "tokio-postgres", "reqwest", "clap", "maud", "entente-store", "entente-server"]),
    ("entente-extract", &["tokio", "axum", "hyper", "rusqlite", "postgres", "tokio-postgres", "reqwest", "clap", "maud", "entente-store", "entente-server", "entente-node"]),
    // The service layer every interface calls: blocking calls over the
    // foundation crates, no runtime, HTTP, pages, command line or SQL.
    ("entente-node", &["tokio", "axum", "hyper", "rusqlite", "postgres", "tokio-postgres", "reqwest", "clap", "maud", "entente-server", "entente-taxii"]),
    ("entente-taxii", &["tokio", "axum", "hyper", "rusqlite", "postgres", "tokio-postgres", "clap", "entente-node"]),
    ("entente-store", &["tokio", "axum", "hyper", "rusqlite", "postgres", "tokio-postgres", "clap", "entente-node"]),
    ("entente-store-sqlite", &["axum", "hyper", "clap", "tokio-postgres", "postgres", "entente-node"]),
    ("entente-store-postgres", &["axum", "clap", "rusqlite", "entente-node"]),
    // Pull sync: blocking HTTP (reqwest) over node; no HTTP framework,
    // pages, command line, SQL, nor the server that schedules it (the
    // modules' arrival check is passed in: see FORBIDDEN_DIRECT).
    ("entente-federation", &["axum", "clap", "rusqlite", "postgres", "tokio-postgres", "maud", "entente-server"]),
    // The pages: over node and the modules; never the server that mounts
    // them, pull sync, the command line or SQL.
    ("entente-web", &["clap", "rusqlite", "postgres", "tokio-postgres", "entente-server", "entente-federation"]),
    // The REST API: over node and the modules; never the server that mounts
    // it, the pages, the command line or SQL.
    ("entente-rest", &["clap", "maud", "rusqlite", "postgres", "tokio-postgres", "entente-server", "entente-web"]),
    ("entente-server", &["clap"]),
];

/// What a partnership module may not depend on, even through other crates:
/// the kit's rule. A module is a crate whose manifest says
/// `[package.metadata.entente] layer = "module"`; it may depend on another
/// module only when it lists it in `uses = ["entente-..."]` there, so a new
/// module needs no line in this file.
const MODULE: &[&str] =
    &["tokio", "axum", "hyper", "rusqlite", "postgres", "tokio-postgres", "reqwest", "clap", "maud", "entente-store", "entente-server", "entente-node", "entente-federation", "entente-web"];

/// (crate, forbidden direct dependencies): what a crate must reach only
/// through the layer that owns it (SQL through `store-*`, HTTP through `server`).
const FORBIDDEN_DIRECT: &[(&str, &[&str])] = &[
    ("entente-server", &["rusqlite", "postgres", "tokio-postgres"]),
    ("entente", &["axum", "hyper", "rusqlite", "postgres", "tokio-postgres"]),
    ("entente-audit", &["entente-pattern"]),
    // Federation reaches the module kit only through node's module service.
    ("entente-federation", &["entente-partnership"]),
];

/// (crate, the only crates that may depend on it directly): a layer only
/// its composers use.
const ONLY_USED_BY: &[(&str, &[&str])] = &[
    // The REST API reads the peers' sync status (`federation::SyncStatus`).
    ("entente-federation", &["entente-server", "entente-rest", "entente"]),
    // Only the pages render HTML.
    ("maud", &["entente-web"]),
];

pub fn run(root: &Path) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    check_files(root, &mut problems)?;
    check_images(root, &mut problems)?;
    check_layers(&mut problems)?;
    if problems.is_empty() {
        eprintln!("tidy: ok");
        return Ok(());
    }
    for p in &problems {
        eprintln!("tidy: {p}");
    }
    bail!("tidy found {} problems", problems.len())
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                rust_files(&path, out)?;
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
    Ok(())
}

fn check_files(root: &Path, problems: &mut Vec<String>) -> anyhow::Result<()> {
    let mut files = Vec::new();
    for dir in ["crates", "xtask", "fuzz"] {
        if root.join(dir).exists() {
            rust_files(&root.join(dir), &mut files)?;
        }
    }
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        let rel = file.strip_prefix(root).unwrap_or(&file).display().to_string();
        check_text(&rel, &text, problems);
    }
    Ok(())
}

/// The rules for one Rust source file.
pub(crate) fn check_text(rel: &str, text: &str, problems: &mut Vec<String>) {
    let ignore_attr = ["#[", "ignore"].concat();
    let should_panic_attr = ["#[", "should_panic"].concat();
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if !first.starts_with("//!") {
        problems.push(format!("{rel}: must open with a `//!` line saying what lives there"));
    }
    if text.contains(&ignore_attr) || text.contains(&should_panic_attr) {
        problems.push(format!("{rel}: no ignored or should-panic tests"));
    }
    let lines = text.lines().count();
    if lines > 1500 {
        problems.push(format!("{rel}: {lines} lines; split it (house limit about 1,000)"));
    }
}

/// The images a Markdown text shows: the targets of `![alt](target)` and
/// of `<img src="target">`, web addresses left out.
pub(crate) fn image_links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("![") {
        rest = &rest[at + 2..];
        let Some(close) = rest.find("](") else { break };
        let target = &rest[close + 2..];
        if let Some(end) = target.find(')') {
            // A title after the target (`![a](img.png "title")`) is not part of it.
            out.push(target[..end].split_whitespace().next().unwrap_or_default().to_owned());
        }
    }
    let mut rest = text;
    while let Some(at) = rest.find("<img ") {
        rest = &rest[at + 5..];
        let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
        if let Some(src) = tag.find("src=\"") {
            let value = &tag[src + 5..];
            out.push(value[..value.find('"').unwrap_or(value.len())].to_owned());
        }
    }
    out.retain(|t| !t.is_empty() && !t.starts_with("http://") && !t.starts_with("https://"));
    out
}

/// Every image README.md and `docs/*.md` show is a file in the tree that
/// git tracks (committed or added), so a clone shows it.
fn check_images(root: &Path, problems: &mut Vec<String>) -> anyhow::Result<()> {
    let listed = Command::new("git").arg("-C").arg(root).args(["ls-files", "-z"]).output();
    // Outside a git checkout (a source archive): the files must exist.
    let tracked: Option<BTreeSet<String>> = match listed {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).split('\0').filter(|p| !p.is_empty()).map(str::to_owned).collect()),
        _ => None,
    };
    let mut pages = vec![std::path::PathBuf::from("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).context("reading docs")? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path.strip_prefix(root).unwrap_or(&path).to_owned());
        }
    }
    pages.sort();
    for page in pages {
        let text = std::fs::read_to_string(root.join(&page)).with_context(|| format!("reading {}", page.display()))?;
        let dir = page.parent().unwrap_or(Path::new(""));
        for link in image_links(&text) {
            let target = normalise(&dir.join(link.split('#').next().unwrap_or_default()));
            let ok = match &tracked {
                Some(files) => files.contains(&target),
                None => root.join(&target).is_file(),
            };
            if !ok {
                problems.push(format!("{}: the image {link} is not a file git tracks ({target})", page.display()));
            }
        }
    }
    Ok(())
}

/// `a/b/../c` as `a/c`, with `/` between parts, as `git ls-files` lists paths.
fn normalise(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

/// Walks the resolved graph of normal (non-dev, non-build) dependencies.
fn check_layers(problems: &mut Vec<String>) -> anyhow::Result<()> {
    let out = Command::new("cargo")
        .args(["metadata", "--format-version", "1", "--locked"])
        .output()
        .or_else(|_| Command::new("cargo").args(["metadata", "--format-version", "1"]).output())?;
    if !out.status.success() {
        bail!("cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let meta: Value = serde_json::from_slice(&out.stdout)?;
    check_graph(&meta, problems);
    Ok(())
}

/// The layer rules on a `cargo metadata` document.
pub(crate) fn check_graph(meta: &Value, problems: &mut Vec<String>) {
    let names: BTreeMap<&str, &str> = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p["id"].as_str()?, p["name"].as_str()?)))
        .collect();
    let mut edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for node in meta["resolve"]["nodes"].as_array().into_iter().flatten() {
        let id = node["id"].as_str().unwrap_or_default();
        for dep in node["deps"].as_array().into_iter().flatten() {
            let normal = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k["kind"].is_null());
            if normal {
                edges.entry(id).or_default().push(dep["pkg"].as_str().unwrap_or_default());
            }
        }
    }
    for (krate, forbidden) in FORBIDDEN_DIRECT {
        let Some((start, _)) = names.iter().find(|(_, n)| *n == krate) else { continue };
        for dep in edges.get(start).into_iter().flatten() {
            let name = names.get(dep).copied().unwrap_or_default();
            if forbidden.contains(&name) {
                problems.push(format!("{krate} must not depend directly on {name} (ARCHITECTURE.md, Invariants)"));
            }
        }
    }
    for (krate, users) in ONLY_USED_BY {
        for (user, deps) in &edges {
            let user = names.get(user).copied().unwrap_or_default();
            if users.contains(&user) {
                continue;
            }
            if deps.iter().any(|d| names.get(d).copied() == Some(*krate)) {
                problems.push(format!("{user} must not depend on {krate}: only {} do (ARCHITECTURE.md, Invariants)", users.join(" and ")));
            }
        }
    }
    let reach = |start: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start];
        while let Some(id) = stack.pop() {
            for dep in edges.get(id).into_iter().flatten() {
                if seen.insert(*dep) {
                    stack.push(dep);
                }
            }
        }
        seen
    };
    for (krate, forbidden) in FORBIDDEN {
        let Some((start, _)) = names.iter().find(|(_, n)| *n == krate) else { continue };
        for dep in reach(start) {
            let name = names.get(dep).copied().unwrap_or_default();
            if forbidden.contains(&name) {
                problems.push(format!("{krate} must not depend on {name} (ARCHITECTURE.md, Invariants)"));
            }
        }
    }
    // The partnership modules, by their manifests: the kit's rule, and other
    // modules only where declared.
    let modules: BTreeMap<&str, (&str, Vec<&str>)> = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["metadata"]["entente"]["layer"].as_str() == Some("module"))
        .filter_map(|p| {
            let uses = p["metadata"]["entente"]["uses"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            Some((p["id"].as_str()?, (p["name"].as_str()?, uses)))
        })
        .collect();
    for (id, (krate, uses)) in &modules {
        for dep in reach(id) {
            let name = names.get(dep).copied().unwrap_or_default();
            if MODULE.contains(&name) {
                problems.push(format!("{krate} must not depend on {name}: a partnership module is pure (ARCHITECTURE.md, Invariants)"));
            }
            if modules.contains_key(dep) && !uses.contains(&name) {
                problems.push(format!("{krate} depends on the module {name} without declaring it in [package.metadata.entente] uses (docs/modules.md)"));
            }
        }
    }
}

#[cfg(test)]
#[path = "tidy_tests.rs"]
mod tests;
