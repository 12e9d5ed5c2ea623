//! `entente pattern`: validate a STIX pattern, or answer conformance cases
//! over the JSON Lines protocol (`--jsonl`) that any harness can drive.

use std::io::{self, BufWriter};
use std::process::ExitCode;

use anyhow::bail;

use crate::cli::PatternArgs;

pub fn run(args: &PatternArgs) -> anyhow::Result<ExitCode> {
    if args.jsonl {
        let stdout = io::stdout();
        pattern::run_jsonl(io::stdin().lock(), BufWriter::new(stdout.lock()))?;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(text) = &args.pattern else {
        bail!("give a pattern to validate, or --jsonl");
    };
    match pattern::validate(text) {
        Ok(_) => {
            println!("valid");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("invalid: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}
