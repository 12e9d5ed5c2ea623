//! A throwaway PostgreSQL server: `initdb` into a temporary folder,
//! `pg_ctl start` on a free loopback port, stopped and removed when dropped.
//! Run as the `postgres` user when we are root (PostgreSQL refuses to run as
//! root). Standard library only: `xtask` includes this file too (`#[path]`),
//! to start the test suite's server, without depending on this crate.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// A running throwaway server.
pub struct PgServer {
    dir: PathBuf,
    run_as: Option<String>,
    options: String,
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

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

impl PgServer {
    /// Starts a server with these `-c name=value` settings, or says why it
    /// cannot (PostgreSQL not installed, no user to run it as).
    pub fn start_with(settings: &str) -> Result<PgServer, String> {
        let (Some(initdb), Some(_)) = (bin("initdb"), bin("pg_ctl")) else {
            return Err("PostgreSQL server programs (initdb, pg_ctl) not found: apt-get install postgresql".into());
        };
        let run_as = if is_root() {
            let user = ["postgres", "nobody"]
                .into_iter()
                .find(|u| Command::new("id").arg(u).output().is_ok_and(|o| o.status.success()))
                .ok_or("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as")?;
            Some(user.to_owned())
        } else {
            None
        };
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!("entente-pg-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        if let Some(user) = &run_as {
            let ok = Command::new("chown").arg(user).arg(&dir).status().is_ok_and(|s| s.success());
            if !ok {
                return Err(format!("chown {user} {} failed", dir.display()));
            }
        }
        let out = command(&run_as, &initdb)
            .arg("-D")
            .arg(dir.join("data"))
            .args(["-U", "entente", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"])
            .output()
            .map_err(|e| format!("running initdb: {e}"))?;
        if !out.status.success() {
            return Err(format!("initdb failed: {}", String::from_utf8_lossy(&out.stderr)));
        }
        let port = free_port()?;
        let options = format!("-p {port} -k {} -c listen_addresses=127.0.0.1 {settings}", dir.display());
        let server = PgServer {
            dir: dir.clone(),
            run_as,
            options,
            port,
            url: format!("postgres://entente@127.0.0.1:{port}/postgres"),
        };
        server.start()?;
        eprintln!("throwaway PostgreSQL on 127.0.0.1:{port} (data in {})", dir.display());
        Ok(server)
    }

    fn pg_ctl(&self) -> Result<Command, String> {
        let pg_ctl = bin("pg_ctl").ok_or("pg_ctl not found")?;
        let mut c = command(&self.run_as, &pg_ctl);
        c.arg("-D").arg(self.dir.join("data"));
        Ok(c)
    }

    /// Starts the (stopped) server and waits until it accepts connections.
    pub fn start(&self) -> Result<(), String> {
        let out = self
            .pg_ctl()?
            .arg("-o")
            .arg(&self.options)
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .args(["-w", "-t", "60", "start"])
            .output()
            .map_err(|e| format!("running pg_ctl start: {e}"))?;
        if !out.status.success() {
            let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
            return Err(format!("pg_ctl start failed: {}{log}", String::from_utf8_lossy(&out.stderr)));
        }
        Ok(())
    }

    /// Stops the server at once, as a crash would (`-m immediate`: no
    /// checkpoint, connections cut).
    pub fn crash(&self) -> Result<(), String> {
        let out = self
            .pg_ctl()?
            .args(["-m", "immediate", "-w", "stop"])
            .output()
            .map_err(|e| format!("running pg_ctl stop: {e}"))?;
        if !out.status.success() {
            return Err(format!("pg_ctl stop failed: {}", String::from_utf8_lossy(&out.stderr)));
        }
        Ok(())
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self.crash();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
