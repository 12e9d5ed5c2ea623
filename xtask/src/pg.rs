//! A throwaway PostgreSQL server for the test suite: `initdb` into a
//! temporary folder, `pg_ctl start` on a free loopback port, stopped and
//! removed when dropped. Run as the `postgres` user when we are root
//! (PostgreSQL refuses to run as root).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

/// A running throwaway server.
pub struct PgServer {
    dir: PathBuf,
    run_as: Option<String>,
    /// Its loopback port.
    pub port: u16,
    /// A URL for a superuser connection to its `postgres` database.
    pub url: String,
}

/// Server settings for the test suite: speed over durability.
pub const TEST_SETTINGS: &str = "-c fsync=off -c synchronous_commit=off -c max_connections=300";

/// Where the PostgreSQL programs are: PATH, else Debian's folders.
pub fn bin(name: &str) -> Option<PathBuf> {
    let on_path = Command::new(name).arg("--version").output().is_ok_and(|o| o.status.success());
    if on_path {
        return Some(PathBuf::from(name));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin").join(name)))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found.pop()
}

/// Whether this process runs as root.
fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn command(run_as: &Option<String>, program: &Path) -> Command {
    match run_as {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl PgServer {
    /// Starts a server for the test suite, or says why it cannot.
    pub fn start(root: &Path) -> anyhow::Result<PgServer> {
        let _ = root;
        Self::start_with(TEST_SETTINGS)
    }

    /// Starts a server with these `-c name=value` settings, or says why it
    /// cannot (PostgreSQL not installed).
    pub fn start_with(settings: &str) -> anyhow::Result<PgServer> {
        let (Some(initdb), Some(pg_ctl)) = (bin("initdb"), bin("pg_ctl")) else {
            bail!("PostgreSQL server programs (initdb, pg_ctl) not found: apt-get install postgresql");
        };
        let run_as = if is_root() {
            let user = ["postgres", "nobody"]
                .into_iter()
                .find(|u| Command::new("id").arg(u).output().is_ok_and(|o| o.status.success()))
                .context("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as")?;
            Some(user.to_owned())
        } else {
            None
        };
        let dir = std::env::temp_dir().join(format!("entente-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        if let Some(user) = &run_as {
            crate::run(Command::new("chown").arg(user).arg(&dir))?;
        }
        let data = dir.join("data");
        let out = command(&run_as, &initdb)
            .arg("-D")
            .arg(&data)
            .args(["-U", "entente", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"])
            .output()
            .context("running initdb")?;
        if !out.status.success() {
            bail!("initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let port = free_port()?;
        let options = format!("-p {port} -k {} -c listen_addresses=127.0.0.1 {settings}", dir.display());
        let server =
            PgServer { dir: dir.clone(), run_as: run_as.clone(), port, url: format!("postgres://entente@127.0.0.1:{port}/postgres") };
        let out = command(&run_as, &pg_ctl)
            .arg("-D")
            .arg(&data)
            .arg("-o")
            .arg(&options)
            .arg("-l")
            .arg(dir.join("server.log"))
            .args(["-w", "-t", "60", "start"])
            .output()
            .context("running pg_ctl start")?;
        if !out.status.success() {
            let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
            bail!("pg_ctl start failed: {}{log}", String::from_utf8_lossy(&out.stderr));
        }
        eprintln!("throwaway PostgreSQL on 127.0.0.1:{port} (data in {})", dir.display());
        Ok(server)
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if let Some(pg_ctl) = bin("pg_ctl") {
            let _ = command(&self.run_as, &pg_ctl)
                .arg("-D")
                .arg(self.dir.join("data"))
                .args(["-m", "immediate", "-w", "stop"])
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
