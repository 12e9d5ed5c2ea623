//! `entente extract`: indicators in a report's text, for review
//! (JSON Lines, one candidate per line) or as a STIX bundle of a report and
//! its indicators to share (docs/sources.md#indicators-from-report-text).

use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::{bail, Context};

use crate::cli::ExtractArgs;
use crate::config::Config;

pub fn run(args: &ExtractArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let mut raw = Vec::new();
    if args.file.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut raw).context("reading standard input")?;
    } else {
        raw = std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    }
    let Ok(text) = String::from_utf8(raw) else {
        bail!("{}: not UTF-8 text (a PDF or an office document: save it as text or HTML first)", args.file.display());
    };
    let name = args.file.to_string_lossy().to_ascii_lowercase();
    let text = if args.html || name.ends_with(".html") || name.ends_with(".htm") { extract::html_text(&text) } else { text };
    let mut found = extract::extract(&text);
    let lists_dir = args.warninglists.clone().unwrap_or_else(|| config.data_dir.join("warninglists"));
    if args.warninglists.is_some() || lists_dir.is_dir() {
        let lists = extract::WarningLists::load(&lists_dir, args.max_list_entries)?;
        for (list, why) in lists.skipped() {
            eprintln!("warning list left out: {list} ({why})");
        }
        lists.mark(&mut found);
        eprintln!("checked against {} warning lists in {}", lists.len(), lists_dir.display());
    } else {
        eprintln!("no warning lists (pass --warninglists DIR, or put them in {})", lists_dir.display());
    }
    let benign = found.iter().filter(|c| c.warning.is_some()).count();
    eprintln!("{} candidates, {benign} on a warning list", found.len());
    let mut out = std::io::stdout().lock();
    match &args.report {
        None => {
            for c in &found {
                writeln!(out, "{}", serde_json::to_string(c)?)?;
            }
        }
        Some(title) => {
            let Some(tlp) = model::tlp::Tlp::parse(&args.tlp) else { bail!("--tlp {}: one of clear, green, amber, amber+strict, red", args.tlp) };
            let chosen: Vec<extract::Candidate> = found.into_iter().filter(|c| c.warning.is_none()).collect();
            if chosen.is_empty() {
                bail!("{}: no indicator found that is not on a warning list: no report to make", args.file.display());
            }
            let now = model::Timestamp::now().to_string();
            let description = format!("Indicators extracted from {}", args.file.display());
            let objects = extract::report(title, &description, &chosen, &now, &[tlp.marking_id().to_owned()]);
            let bundle = serde_json::json!({ "type": "bundle", "id": format!("bundle--{}", uuid::Uuid::new_v4()), "objects": objects });
            writeln!(out, "{}", serde_json::to_string_pretty(&bundle)?)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
