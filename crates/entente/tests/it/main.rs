//! End-to-end tests of the `entente` command: the real binary, real files,
//! a real store.

mod audit;
// It reads the server's memory from /proc.
#[cfg(target_os = "linux")]
mod bodies;
mod cli;
mod crisis;
mod demo;
mod dialogue;
mod disputes;
mod remedies;
mod exercises;
mod faults;
mod federation;
mod in_kind;
mod kit_agreements;
mod misp;
mod modules;
mod nodes;
mod objectives;
mod proxy;
mod public;
mod resources;
mod roundtrip;
mod scorecard;
mod screenshots;
mod serve;
mod sovereignty;
mod statements;
mod tls;
mod two_servers;

use std::path::Path;
use std::process::{Command, Output};

/// Runs `entente` with `args` in `dir`, with no inherited ENTENTE_* settings.
pub(crate) fn entente(dir: &Path, args: &[&str]) -> Output {
    entente_env(dir, args, &[])
}

pub(crate) fn entente_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = command(dir, args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run entente")
}

/// The `entente args` command in `dir`, not started, with no inherited
/// ENTENTE_* settings.
pub(crate) fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_entente"));
    cmd.current_dir(dir).args(args).env("ENTENTE_LOG", "warn");
    for (k, _) in std::env::vars() {
        if k.starts_with("ENTENTE_") && k != "ENTENTE_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A server process, killed when the test ends however it ends.
pub(crate) struct Server(pub std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port free right now.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
