//! End-to-end tests of the `entente` command: the real binary, real files,
//! a real store.

mod audit;
mod cli;
mod federation;
mod roundtrip;
mod serve;
mod tls;
mod two_servers;

use std::path::Path;
use std::process::{Command, Output};

/// Runs `entente` with `args` in `dir`, with no inherited ENTENTE_* settings.
pub(crate) fn entente(dir: &Path, args: &[&str]) -> Output {
    entente_env(dir, args, &[])
}

pub(crate) fn entente_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_entente"));
    cmd.current_dir(dir).args(args).env("ENTENTE_LOG", "warn");
    for (k, _) in std::env::vars() {
        if k.starts_with("ENTENTE_") && k != "ENTENTE_LOG" {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run entente")
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
