//! `cargo xtask interop`: the checks that need the ecosystem's real Python
//! packages, from a virtualenv at `target/interop-venv`, against the already
//! built `target/debug/entente` (or `$ENTENTE_BIN`): the OASIS patterning
//! conformance cases (through `entente pattern --jsonl`), then the TAXII 2.1
//! interoperability tests under `tests/interop/` (taxii2-client,
//! stix2-validator, medallion's suite, PyMISP for MISP import and export)
//! with pytest. With arguments (`cargo xtask interop tests/interop/test_misp.py`,
//! or `-k schemathesis`), only pytest runs, with them: one file or test at a
//! time while working on it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

/// The virtualenv, kept between runs.
const VENV: &str = "target/interop-venv";
/// Written after a successful `pip install`; holds what was installed.
const STAMP: &str = ".requirements-installed";

/// Sets up the virtualenv if needed and runs pytest on `tests/interop`
/// (or, given `only`, pytest with those arguments alone).
pub fn run(root: &Path, only: &[String]) -> anyhow::Result<()> {
    let tests = root.join("tests/interop");
    let requirements = tests.join("requirements.txt");

    let Some(python3) = python3() else {
        if crate::in_ci() {
            bail!("python3 is required for the interoperability tests in CI");
        }
        eprintln!("python3 not found: skipping the interoperability tests (tests/interop)");
        return Ok(());
    };

    let entente = std::env::var_os("ENTENTE_BIN").map_or_else(|| root.join("target/debug/entente"), PathBuf::from);
    if !entente.is_file() && crate::in_ci() {
        bail!("{} does not exist: build it (cargo build) before `cargo xtask interop`", entente.display());
    }

    let venv = root.join(VENV);
    let python = venv.join("bin/python");
    if !python.is_file() {
        crate::run(Command::new(&python3).args(["-m", "venv"]).arg(&venv))
            .context("creating the virtualenv (on Debian: apt-get install python3-venv)")?;
    }

    // Install only when requirements.txt (or the interpreter) changed since the last install.
    let wanted = format!(
        "{}\n{}",
        version_of(&python).unwrap_or_default(),
        std::fs::read_to_string(&requirements).with_context(|| format!("reading {}", requirements.display()))?
    );
    let stamp = venv.join(STAMP);
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        crate::run(
            Command::new(&python)
                .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
                .arg(&requirements),
        )?;
        std::fs::write(&stamp, &wanted).with_context(|| format!("writing {}", stamp.display()))?;
    }

    if !only.is_empty() {
        let shown = format!("{} -m pytest {}", python.display(), only.join(" "));
        eprintln!("$ ENTENTE_BIN={} {shown}", entente.display());
        let mut pytest = Command::new(&python);
        if std::env::var_os("MEDALLION_SUITE_DIR").is_none() && std::env::var_os("ENTENTE_MEDALLION_SUITE").is_none() {
            pytest.env("ENTENTE_MEDALLION_SUITE", "off");
        }
        let status = pytest
            .args(["-m", "pytest", "-ra", "-p", "no:cacheprovider"])
            .args(only)
            .current_dir(root)
            .env("ENTENTE_BIN", &entente)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .status()
            .with_context(|| format!("starting {shown}"))?;
        return check(&shown, status);
    }

    // The OASIS patterning suites, through `entente pattern --jsonl`.
    crate::run(
        Command::new(&python)
            .arg(root.join("crates/pattern/tests/oasis/run_conformance.py"))
            .arg("--quiet")
            .arg("--cases")
            .arg(root.join("target/oasis-cases"))
            .arg(format!("--extract-args=--sdist-dir {}", root.join("target/oasis-sdists").display()))
            .arg("--")
            .arg(&entente)
            .args(["pattern", "--jsonl"]),
    )
    .context("the OASIS patterning conformance cases")?;

    let shown = format!("{} -m pytest tests/interop", python.display());
    eprintln!("$ ENTENTE_BIN={} {shown}", entente.display());
    let mut pytest = Command::new(&python);
    if std::env::var_os("MEDALLION_SUITE_DIR").is_none() && std::env::var_os("ENTENTE_MEDALLION_SUITE").is_none() {
        // No release of medallion on PyPI ships its test suite, and CI reaches
        // only the registries: the suite runs where a source checkout is given
        // (docs/taxii-conformance.md has its last results).
        eprintln!("MEDALLION_SUITE_DIR is not set: medallion's own suite is left out of this run");
        pytest.env("ENTENTE_MEDALLION_SUITE", "off");
    }
    let status = pytest
        .args(["-m", "pytest", "-ra", "-p", "no:cacheprovider"])
        .arg(&tests)
        .current_dir(root)
        .env("ENTENTE_BIN", &entente)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .status()
        .with_context(|| format!("starting {shown}"))?;
    check(&shown, status)?;

    // The same clients against nodes on PostgreSQL, when the test command
    // has a server (it always does in CI): each node gets its own database.
    if let Some(url) = std::env::var_os("ENTENTE_TEST_DATABASE_URL") {
        let shown = format!("{shown} (nodes on PostgreSQL)");
        eprintln!("$ {shown}");
        let status = Command::new(&python)
            .args(["-m", "pytest", "-ra", "-p", "no:cacheprovider"])
            .arg(tests.join("test_taxii2_client.py"))
            .arg(tests.join("test_stix2_validator.py"))
            .current_dir(root)
            .env("ENTENTE_BIN", &entente)
            .env("ENTENTE_INTEROP_DATABASE_URL", url)
            .env("ENTENTE_MEDALLION_SUITE", "off")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .status()
            .with_context(|| format!("starting {shown}"))?;
        check(&shown, status)?;
    } else if crate::in_ci() {
        bail!("the interop tests on PostgreSQL need ENTENTE_TEST_DATABASE_URL (set by `cargo xtask test`)");
    }
    Ok(())
}

fn check(shown: &str, status: std::process::ExitStatus) -> anyhow::Result<()> {
    match status.code() {
        Some(0) => Ok(()),
        // pytest's "no tests were collected": never a pass.
        Some(5) => bail!("{shown} collected no tests"),
        _ => bail!("{shown} failed: {status}"),
    }
}

/// The first python3 on PATH that runs.
fn python3() -> Option<PathBuf> {
    let ok = Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success());
    ok.then(|| PathBuf::from("python3"))
}

/// `python --version` of an interpreter, to reinstall when it changes.
fn version_of(python: &Path) -> Option<String> {
    let out = Command::new(python).arg("--version").output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
