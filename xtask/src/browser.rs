//! The browser tests' prerequisites: `chromedriver` and Chromium. In CI,
//! running as root on Debian, `cargo xtask test` installs them when they
//! are missing (`apt-get install chromium chromium-driver`); elsewhere it
//! says that the browser tests will be left out (the tests themselves fail
//! in CI and skip outside it, `crates/server/tests/it/browser/driver.rs`).

use std::path::PathBuf;
use std::process::Command;

use anyhow::bail;

use crate::{in_ci, run};

/// The first of `names` that is a file: `env` if set, then `/usr/bin`,
/// then `PATH` (the order the tests' driver looks in).
fn find(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::iter::once(PathBuf::from("/usr/bin")).chain(std::env::split_paths(&path)).collect();
    names.iter().flat_map(|n| dirs.iter().map(move |d| d.join(n))).find(|p| p.is_file())
}

/// What is missing of chromedriver and Chromium.
fn missing() -> Vec<&'static str> {
    let mut m = Vec::new();
    if find("ENTENTE_CHROMEDRIVER", &["chromedriver"]).is_none() {
        m.push("chromedriver");
    }
    if find("ENTENTE_CHROMIUM", &["chromium", "chromium-browser", "google-chrome"]).is_none() {
        m.push("chromium");
    }
    m
}

#[allow(unsafe_code)]
fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Makes sure the browser tests can run: installs chromedriver and
/// Chromium in CI when missing (as root, with apt-get), else says why not.
pub fn ensure() -> anyhow::Result<()> {
    let missing = missing();
    if missing.is_empty() {
        return Ok(());
    }
    let what = missing.join(" and ");
    if !in_ci() {
        eprintln!("browser tests LEFT OUT (outside CI only): {what} not found (Debian: apt-get install chromium chromium-driver)");
        return Ok(());
    }
    let has_apt = Command::new("apt-get").arg("--version").output().is_ok_and(|o| o.status.success());
    if !is_root() || !has_apt {
        bail!("the browser tests are required in CI and {what} is missing: install chromium and chromium-driver (Debian), or run as root with apt-get");
    }
    eprintln!("installing chromium and chromium-driver for the browser tests");
    run(Command::new("apt-get").arg("update").env("DEBIAN_FRONTEND", "noninteractive"))?;
    run(Command::new("apt-get").args(["install", "-y", "chromium", "chromium-driver"]).env("DEBIAN_FRONTEND", "noninteractive"))?;
    let still = self::missing();
    if !still.is_empty() {
        bail!("{} still missing after apt-get install", still.join(" and "));
    }
    Ok(())
}

/// Makes sure the PDF reports' font is there (Debian's `fonts-dejavu-core`,
/// which the report tests embed): installs it in CI when missing (as root,
/// with apt-get), else says why not. Outside CI a missing font fails those
/// tests with the package's name.
pub fn ensure_fonts() -> anyhow::Result<()> {
    let font = std::path::Path::new("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
    if font.exists() || std::env::var_os("ENTENTE_PDF_FONT_DIR").is_some() || !in_ci() {
        return Ok(());
    }
    let has_apt = Command::new("apt-get").arg("--version").output().is_ok_and(|o| o.status.success());
    if !is_root() || !has_apt {
        bail!("the PDF report tests need {} (Debian: fonts-dejavu-core), or ENTENTE_PDF_FONT_DIR naming a folder with DejaVuSans.ttf", font.display());
    }
    eprintln!("installing fonts-dejavu-core for the PDF report tests");
    run(Command::new("apt-get").arg("update").env("DEBIAN_FRONTEND", "noninteractive"))?;
    run(Command::new("apt-get").args(["install", "-y", "fonts-dejavu-core"]).env("DEBIAN_FRONTEND", "noninteractive"))?;
    if !font.exists() {
        bail!("{} still missing after apt-get install fonts-dejavu-core", font.display());
    }
    Ok(())
}
