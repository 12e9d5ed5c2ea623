//! `cargo xtask bench postgres`: import and a full read of N objects on
//! PostgreSQL beside SQLite, on the same machine in the same run.
//!
//! Both stores are durable: SQLite runs as Entente always runs it (WAL,
//! `synchronous=FULL`); PostgreSQL is a throwaway server of its own with
//! `fsync=on`, `synchronous_commit=on` and `full_page_writes=on` (the test
//! helper in pg.rs turns fsync off, which would flatter PostgreSQL). Its other
//! settings are the stock ones, plus `pg_stat_statements` and I/O timing so
//! the run can say where the server spends its time. Extra server settings
//! for experiments: `ENTENTE_BENCH_PG_OPTIONS="-c shared_buffers=1GB ..."`;
//! another build of the binary (a candidate fix): `ENTENTE_BENCH_BIN=PATH`.
//!
//! Measured, wall time and the client's peak RSS (the server's memory is not
//! counted): `entente import FILE` into a fresh SQLite data dir, then into a
//! fresh PostgreSQL database; `entente export -o FILE` (every version,
//! streamed from the store) from each. Target: PostgreSQL ingest at least
//! half of SQLite's.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context};

use crate::bench::{measure, today, Measured};
use crate::run as sh;

/// Entry point, called as `bench_pg::run(root, objects)` by bench.rs.
pub fn run(root: &Path, objects: u64) -> anyhow::Result<()> {
    // ENTENTE_BENCH_BIN: measure another build (a candidate fix) instead.
    let bin = match std::env::var_os("ENTENTE_BENCH_BIN") {
        Some(bin) => PathBuf::from(bin),
        None => {
            sh(Command::new("cargo").args(["build", "--release", "--quiet", "-p", "entente"]))?;
            root.join("target/release/entente")
        }
    };
    let work = root.join("target/bench");
    std::fs::create_dir_all(&work)?;
    let data = work.join(format!("generated-{objects}.json"));
    if !data.exists() {
        eprintln!("generating {objects} objects");
        sh(Command::new(&bin)
            .args(["generate", "--objects", &objects.to_string(), "--producers", "10", "--seed", "1", "-o"])
            .arg(&data))?;
    }
    let size_mb = std::fs::metadata(&data)?.len() as f64 / 1e6;

    let server = DurablePg::start()?;
    server.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")?;
    let settings = server.psql(
        "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings
         WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_level', 'shared_buffers',
                        'max_wal_size', 'checkpoint_timeout', 'wal_buffers', 'work_mem', 'server_version')",
    )?;

    let sqlite_dir: PathBuf = work.join("pg-bench-sqlite");
    let _ = std::fs::remove_dir_all(&sqlite_dir);
    let entente = |store: &Store, log: &Path| -> anyhow::Result<Command> {
        let mut c = Command::new(&bin);
        // The import logs `store_secs` (time inside Store::put) at debug.
        c.env("ENTENTE_LOG", "warn,entente::cmd::import=debug")
            .env("ENTENTE_LOG_FORMAT", "json")
            .stderr(Stdio::from(File::create(log)?));
        match store {
            Store::Sqlite => c.arg("--data-dir").arg(&sqlite_dir),
            Store::Pg => c.arg("--database-url").arg(&server.url),
        };
        Ok(c)
    };

    // Imports side by side, then the reads side by side, so that each pair
    // is measured as close together as this noisy machine allows.
    let log = |name: &str| work.join(format!("pg-bench-{name}.log"));
    eprintln!("import into SQLite");
    let sqlite_imp = timed(entente(&Store::Sqlite, &log("sqlite-import"))?.arg("import").arg(&data), &log("sqlite-import"))?;
    eprintln!("import into PostgreSQL");
    server.psql("SELECT pg_stat_statements_reset(), pg_stat_reset_shared('wal'), pg_stat_reset_shared('bgwriter')")?;
    let pg_imp = timed(entente(&Store::Pg, &log("pg-import"))?.arg("import").arg(&data), &log("pg-import"))?;
    // The backend flushes its table counters as it exits, just after the client.
    std::thread::sleep(std::time::Duration::from_secs(1));
    let pg_import_profile = server.profile()?;
    let sizes = (
        dir_size(&sqlite_dir)? as f64 / 1e6,
        server.psql("SELECT pg_database_size(current_database())")?.parse::<f64>()? / 1e6,
    );

    let out = work.join("pg-bench-export.json");
    eprintln!("export from SQLite");
    let sqlite_exp = timed(entente(&Store::Sqlite, &log("sqlite-export"))?.args(["export", "-o"]).arg(&out), &log("sqlite-export"))?;
    let sqlite_bytes = std::fs::metadata(&out)?.len();
    eprintln!("export from PostgreSQL");
    server.psql("SELECT pg_stat_statements_reset()")?;
    let pg_exp = timed(entente(&Store::Pg, &log("pg-export"))?.args(["export", "-o"]).arg(&out), &log("pg-export"))?;
    let pg_bytes = std::fs::metadata(&out)?.len();
    let pg_export_profile = server.statements()?;
    let _ = std::fs::remove_file(&out);
    let _ = std::fs::remove_dir_all(&sqlite_dir);
    if sqlite_bytes != pg_bytes {
        bail!("the exports differ in size: SQLite {sqlite_bytes} bytes, PostgreSQL {pg_bytes}");
    }
    let store_secs = (store_secs(&log("sqlite-import")), store_secs(&log("pg-import")));
    drop(server);

    let rate = |m: &Measured| objects as f64 / m.secs;
    let (si, pi, se, pe) = (rate(&sqlite_imp), rate(&pg_imp), rate(&sqlite_exp), rate(&pg_exp));
    let row = |what: &str, m: &Measured, r: f64, ratio: &str| {
        println!("| {what} | {r:.0} | {ratio} | {:.2} s | {:.0} MB |", m.secs, m.peak_rss_mb);
    };
    println!("\n## PostgreSQL beside SQLite, {objects} objects ({size_mb:.0} MB), {}", today());
    println!("| measure | objects/s | PostgreSQL / SQLite | time | peak RSS (client) |");
    println!("|---|---:|---:|---:|---:|");
    row("`entente import`, SQLite", &sqlite_imp, si, "");
    row("`entente import`, PostgreSQL", &pg_imp, pi, &format!("**{:.2}**", pi / si));
    row("`entente export`, SQLite", &sqlite_exp, se, "");
    row("`entente export`, PostgreSQL", &pg_exp, pe, &format!("**{:.2}**", pe / se));
    println!("\nserver: {settings}");
    println!("store size after import: SQLite {:.0} MB, PostgreSQL {:.0} MB", sizes.0, sizes.1);
    let secs = |s: Option<f64>| s.map_or("?".to_owned(), |s| format!("{s:.2} s"));
    println!(
        "time inside Store::put: SQLite {} of {:.2} s, PostgreSQL {} of {:.2} s",
        secs(store_secs.0),
        sqlite_imp.secs,
        secs(store_secs.1),
        pg_imp.secs
    );
    println!("\nPostgreSQL during the import:\n{pg_import_profile}");
    println!("PostgreSQL during the export:\n{pg_export_profile}");
    let verdict = if pi >= si / 2.0 { "holds" } else { "MISSED" };
    println!("target: PostgreSQL ingest ≥ 0.50 of SQLite's: {verdict} ({:.2})", pi / si);
    Ok(())
}

enum Store {
    Sqlite,
    Pg,
}

/// `measure`, naming the log that holds the child's standard error.
fn timed(cmd: &mut Command, log: &Path) -> anyhow::Result<Measured> {
    measure(cmd).with_context(|| format!("its log: {}", log.display()))
}

/// `store_secs` from the import's debug log line, summed over files.
fn store_secs(log: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(log).ok()?;
    let mut total = None;
    for line in text.lines().filter(|l| l.contains("file imported")) {
        let rest = &line[line.find("\"store_secs\":")? + "\"store_secs\":".len()..];
        let value: f64 = rest.split([',', '}']).next()?.trim().parse().ok()?;
        *total.get_or_insert(0.0) += value;
    }
    total
}

fn dir_size(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let meta = entry?.metadata()?;
        total += if meta.is_dir() { 0 } else { meta.len() };
    }
    Ok(total)
}

/// A throwaway server with durable settings (fsync on), and statistics.
struct DurablePg(crate::pg::PgServer);

impl std::ops::Deref for DurablePg {
    type Target = crate::pg::PgServer;
    fn deref(&self) -> &crate::pg::PgServer {
        &self.0
    }
}

fn pg_bin(name: &str) -> Option<PathBuf> {
    crate::pg::bin(name)
}

impl DurablePg {
    fn start() -> anyhow::Result<DurablePg> {
        let mut settings = "-c fsync=on -c synchronous_commit=on -c full_page_writes=on \
             -c shared_preload_libraries=pg_stat_statements -c track_io_timing=on -c track_wal_io_timing=on"
            .to_owned();
        if let Ok(extra) = std::env::var("ENTENTE_BENCH_PG_OPTIONS") {
            settings.push(' ');
            settings.push_str(&extra);
        }
        crate::pg::PgServer::start_settings(&settings).map(DurablePg)
    }

    /// Runs one SQL statement with psql; its output, unaligned, no headers.
    fn psql(&self, sql: &str) -> anyhow::Result<String> {
        let psql = pg_bin("psql").context("psql not found")?;
        let out = Command::new(psql)
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "entente", "-d", "postgres"])
            .args(["-p", &self.port.to_string(), "-F", " | ", "-c", sql])
            .output()
            .context("running psql")?;
        if !out.status.success() {
            bail!("psql {sql:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// The statements that took the server's time, as a markdown table.
    fn statements(&self) -> anyhow::Result<String> {
        let rows = self.psql(
            "SELECT calls, round(total_exec_time::numeric / 1000, 2), round((blk_read_time + blk_write_time)::numeric / 1000, 2),
                    rows, shared_blks_read, shared_blks_dirtied, shared_blks_written, pg_size_pretty(wal_bytes),
                    regexp_replace(left(query, 70), '\\s+', ' ', 'g')
             FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat%' ORDER BY total_exec_time DESC LIMIT 5",
        )?;
        let mut table = String::from(
            "| calls | exec s | of which block I/O s | rows | blocks read | dirtied | written by backend | WAL | statement |\n\
             |---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
        );
        for line in rows.lines() {
            table.push_str(&format!("| {} |\n", line.replace('`', "'")));
        }
        Ok(table)
    }

    /// Statements, then WAL and checkpoint counters since the last reset.
    fn profile(&self) -> anyhow::Result<String> {
        let wal = self.psql(
            "SELECT 'WAL ' || pg_size_pretty(wal_bytes) || ', ' || wal_fpi || ' full-page images, ' || wal_write || ' writes ('
                    || round(wal_write_time::numeric / 1000, 2) || ' s), ' || wal_sync || ' syncs ('
                    || round(wal_sync_time::numeric / 1000, 2) || ' s), ' || wal_buffers_full || ' times WAL buffers full'
             FROM pg_stat_wal",
        )?;
        let ckpt = self.psql(
            "SELECT 'checkpoints: ' || checkpoints_timed || ' timed, ' || checkpoints_req || ' requested (write '
                    || round(checkpoint_write_time::numeric / 1000, 2) || ' s, sync ' || round(checkpoint_sync_time::numeric / 1000, 2)
                    || ' s); buffers written by checkpointer ' || buffers_checkpoint || ', bgwriter ' || buffers_clean
                    || ', backends ' || buffers_backend || ' (backend fsyncs ' || buffers_backend_fsync || ')'
             FROM pg_stat_bgwriter",
        )?;
        let scans = self.psql(
            "SELECT 'table objects: ' || seq_scan || ' sequential scans reading ' || seq_tup_read || ' rows; '
                    || coalesce(idx_scan, 0) || ' index scans; ' || n_tup_ins || ' rows inserted, ' || n_tup_upd || ' updated'
             FROM pg_stat_user_tables WHERE relname = 'objects'",
        )?;
        Ok(format!("{}\n{scans}\n{wal}\n{ckpt}\n", self.statements()?))
    }
}

