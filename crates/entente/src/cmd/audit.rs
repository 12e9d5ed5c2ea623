//! `entente audit`: check the release log's hash chain (`verify`) and list
//! its entries (`show`).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};

use crate::cli::AuditCommand;
use crate::config::Config;

pub fn run(command: AuditCommand, config: &Config) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify { log } => {
            // A node that never released anything has no log yet: that is
            // the empty log, intact. A log named with --log must exist.
            let missing_is_empty = log.is_none() && config.data_dir.is_dir();
            verify(&path(log, config), missing_is_empty)
        }
        AuditCommand::Show { log, recipient, object, limit } => {
            let recipient = recipient.as_deref().map(parse_id).transpose()?;
            let object = object.as_deref().map(parse_id).transpose()?;
            show(&path(log, config), recipient.as_ref(), object.as_ref(), limit)
        }
    }
}

/// `--log`, else `<data-dir>/release.log`.
fn path(log: Option<PathBuf>, config: &Config) -> PathBuf {
    log.unwrap_or_else(|| config.data_dir.join("release.log"))
}

fn parse_id(raw: &str) -> anyhow::Result<model::StixId> {
    model::StixId::parse(raw).map_err(|e| anyhow!(e))
}

fn open(path: &Path) -> anyhow::Result<BufReader<File>> {
    let file = File::open(path).with_context(|| format!("release log {}", path.display()))?;
    Ok(BufReader::with_capacity(1 << 16, file))
}

fn verify(path: &Path, missing_is_empty: bool) -> anyhow::Result<ExitCode> {
    let report = if missing_is_empty && !path.exists() { ::audit::Report::default() } else { ::audit::verify(open(path)?) };
    let head = match &report.head {
        Some(h) => format!("head {h}"),
        None => "no head (empty)".to_owned(),
    };
    let retention = if report.retention > 0 { format!(", {} withheld or deleted", report.retention) } else { String::new() };
    let counts = format!(
        "{} entries, {} releases ({} object versions), {} denials{retention}, {head}",
        report.entries, report.releases, report.items_released, report.denials
    );
    match &report.problem {
        None => {
            println!("release log {}: {counts}: chain intact", path.display());
            Ok(ExitCode::SUCCESS)
        }
        Some(problem) => {
            println!("release log {}: {problem}", path.display());
            println!("before it: {counts}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn show(
    path: &Path,
    recipient: Option<&model::StixId>,
    object: Option<&model::StixId>,
    limit: Option<usize>,
) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut latest = VecDeque::new();
    let mut failure = None;
    for read in ::audit::entries(open(path)?) {
        let entry = match read {
            Ok(e) => e,
            Err(problem) => {
                failure = Some(problem);
                break;
            }
        };
        let wanted = recipient.is_none_or(|r| entry.recipient == *r)
            && object.is_none_or(|o| entry.items.iter().any(|i| i.object == *o));
        if !wanted {
            continue;
        }
        match limit {
            None => writeln!(out, "{}", entry.to_line())?,
            Some(n) => {
                latest.push_back(entry);
                if latest.len() > n {
                    latest.pop_front();
                }
            }
        }
    }
    for entry in latest {
        writeln!(out, "{}", entry.to_line())?;
    }
    out.flush()?;
    if let Some(problem) = failure {
        bail!("release log {}: {problem}; run `entente audit verify`", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
