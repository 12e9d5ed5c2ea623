//! The demo's servers: one `entente serve` child process of this executable
//! per node, each on its own data dir and port, and the signals (Ctrl-C,
//! SIGTERM) that stop the demo and, through it, every child.

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// How long a server may take to listen, and to stop after SIGTERM.
const START: Duration = Duration::from_secs(60);
const STOP: Duration = Duration::from_secs(30);

/// A server that dies this soon after starting, [`QUICK_DEATHS`] times in
/// a row, is not restarted again.
const QUICK: Duration = Duration::from_secs(10);
const QUICK_DEATHS: u32 = 3;

/// The error that ends the demo when it was told to stop mid-way.
#[derive(Debug)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// Set once SIGINT (Ctrl-C) or SIGTERM arrives; waiting on it is an
/// interruptible sleep.
#[derive(Clone, Default)]
pub struct Stop(Arc<(Mutex<bool>, Condvar)>);

impl Stop {
    /// From now on SIGINT and SIGTERM set the returned flag instead of
    /// ending the process.
    pub fn watch() -> anyhow::Result<Stop> {
        let stop = Stop::default();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (ready_tx, ready_rx) = mpsc::channel();
        let flag = stop.clone();
        std::thread::Builder::new().name("demo-signals".into()).spawn(move || {
            runtime.block_on(signalled(ready_tx));
            flag.set();
        })?;
        ready_rx.recv().context("the signal watcher stopped")?.context("watching for Ctrl-C and SIGTERM")?;
        Ok(stop)
    }

    fn set(&self) {
        let (lock, cvar) = &*self.0;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
        cvar.notify_all();
    }

    /// Waits up to `d`; true if the demo was told to stop (at once if it was).
    pub fn wait(&self, d: Duration) -> bool {
        let (lock, cvar) = &*self.0;
        let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
        let (guard, _) = cvar.wait_timeout_while(guard, d, |stopped| !*stopped).unwrap_or_else(|p| p.into_inner());
        *guard
    }

    /// `Err(Interrupted)` once the demo was told to stop.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.wait(Duration::ZERO) {
            return Err(Interrupted.into());
        }
        Ok(())
    }

    /// Sleeps `d` unless told to stop first (then `Err(Interrupted)`).
    pub fn sleep(&self, d: Duration) -> anyhow::Result<()> {
        if self.wait(d) {
            return Err(Interrupted.into());
        }
        Ok(())
    }
}

/// Registers for SIGINT and SIGTERM, says so on `ready`, and returns when
/// one arrives.
async fn signalled(ready: mpsc::Sender<std::io::Result<()>>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (mut int, mut term) = match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
            (Ok(i), Ok(t)) => (i, t),
            (Err(e), _) | (_, Err(e)) => {
                let _ = ready.send(Err(e));
                return std::future::pending().await;
            }
        };
        let _ = ready.send(Ok(()));
        tokio::select! {
            _ = int.recv() => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ready.send(Ok(()));
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Fails, naming the port, unless every port is free on 127.0.0.1.
pub fn check_free(ports: &[u16]) -> anyhow::Result<()> {
    for &port in ports {
        if let Err(e) = TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
            bail!(
                "port {port} on 127.0.0.1 is not free ({e}): is another demo or server running? \
                 Stop it, or choose other ports with --base-port P or --ports A,B,C"
            );
        }
    }
    Ok(())
}

struct Server {
    name: &'static str,
    port: u16,
    child: Option<Child>,
    log: PathBuf,
    data_dir: PathBuf,
    sync_interval: u64,
    /// When the current child was started, and how many times in a row it
    /// died soon after starting.
    started: Instant,
    quick_deaths: u32,
}

impl Server {
    /// Why the server is gone, with the end of its log.
    fn gone(&self, status: ExitStatus) -> anyhow::Error {
        let tail = File::open(&self.log)
            .map(|f| {
                let lines: Vec<String> = BufReader::new(f).lines().map_while(Result::ok).collect();
                lines[lines.len().saturating_sub(5)..].join("\n")
            })
            .unwrap_or_default();
        anyhow::anyhow!("{}'s server (port {}) stopped: {status}; the end of {}:\n{tail}", self.name, self.port, self.log.display())
    }
}

/// The running servers; dropping them stops them.
#[derive(Default)]
pub struct Servers(Vec<Server>);

impl Servers {
    /// Starts `entente serve` on `data_dir` (its working directory too, so
    /// no `entente.toml` of the caller's applies), listening on 127.0.0.1:`port`
    /// and pulling from its peers every `sync_interval` seconds (0: never); its output
    /// goes to `<data_dir>/serve.log` and its process id to
    /// `<data_dir>/serve.pid`. Its own process group keeps a terminal's
    /// Ctrl-C for the demo, which stops it in order.
    pub fn start(&mut self, name: &'static str, data_dir: &Path, port: u16, sync_interval: u64) -> anyhow::Result<()> {
        let child = spawn(name, data_dir, port, sync_interval)?;
        let log = data_dir.join("serve.log");
        self.0.push(Server {
            name,
            port,
            child: Some(child),
            log,
            data_dir: data_dir.to_owned(),
            sync_interval,
            started: Instant::now(),
            quick_deaths: 0,
        });
        Ok(())
    }

    /// Waits until every server accepts connections.
    pub fn wait_listening(&mut self, stop: &Stop) -> anyhow::Result<()> {
        let deadline = Instant::now() + START;
        for i in 0..self.0.len() {
            while TcpStream::connect((Ipv4Addr::LOCALHOST, self.0[i].port)).is_err() {
                self.check()?;
                if Instant::now() > deadline {
                    bail!("{}'s server did not listen on port {} within {} s; see {}", self.0[i].name, self.0[i].port, START.as_secs(), self.0[i].log.display());
                }
                stop.sleep(Duration::from_millis(50))?;
            }
        }
        Ok(())
    }

    /// Fails if a server has stopped (while starting, a server that dies
    /// is a fault to report, not to hide).
    pub fn check(&mut self) -> anyhow::Result<()> {
        for s in &mut self.0 {
            if let Some(child) = &mut s.child {
                if let Some(status) = child.try_wait()? {
                    s.child = None;
                    return Err(s.gone(status));
                }
            }
        }
        Ok(())
    }

    /// Restarts a server that has stopped, saying so: a newcomer may kill
    /// a node to watch federation converge again. A server that dies
    /// within [`QUICK`] of starting [`QUICK_DEATHS`] times in a row is
    /// broken, not killed: that fails, with the end of its log.
    pub fn revive(&mut self) -> anyhow::Result<()> {
        for s in &mut self.0 {
            let Some(child) = &mut s.child else { continue };
            let Some(status) = child.try_wait()? else { continue };
            s.child = None;
            if s.started.elapsed() < QUICK {
                s.quick_deaths += 1;
                if s.quick_deaths >= QUICK_DEATHS {
                    return Err(s.gone(status));
                }
            } else {
                s.quick_deaths = 0;
            }
            eprintln!("{}'s server (port {}) stopped ({status}): restarting it", s.name, s.port);
            s.child = Some(spawn(s.name, &s.data_dir, s.port, s.sync_interval)?);
            s.started = Instant::now();
        }
        Ok(())
    }

    /// Sends every server SIGTERM and waits for each to exit (killing one
    /// that takes longer than 30 s). Fails if one did not stop cleanly.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        for s in &mut self.0 {
            if let Some(child) = &mut s.child {
                terminate(child);
            }
        }
        let deadline = Instant::now() + STOP;
        let mut failed = Vec::new();
        for s in &mut self.0 {
            let Some(mut child) = s.child.take() else { continue };
            loop {
                if let Some(status) = child.try_wait()? {
                    if !status.success() {
                        failed.push(format!("{} stopped with {status} (see {})", s.name, s.log.display()));
                    }
                    break;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    child.wait()?;
                    failed.push(format!("{} did not stop within {} s and was killed", s.name, STOP.as_secs()));
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        if !failed.is_empty() {
            bail!("{}", failed.join("; "));
        }
        Ok(())
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            eprintln!("entente demo: {e}");
        }
    }
}

/// Starts one node's `entente serve` (see [`Servers::start`]).
fn spawn(name: &str, data_dir: &Path, port: u16, sync_interval: u64) -> anyhow::Result<Child> {
    let exe = std::env::current_exe().context("finding this executable")?;
    let log = data_dir.join("serve.log");
    let out = File::options().create(true).append(true).open(&log).with_context(|| format!("opening {}", log.display()))?;
    let mut cmd = Command::new(exe);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("ENTENTE_") && key != "ENTENTE_LOG" {
            cmd.env_remove(&*key);
        }
    }
    cmd.current_dir(data_dir)
        .env("ENTENTE_SYNC_INTERVAL", sync_interval.to_string())
        .env("NO_COLOR", "1")
        .arg("--data-dir")
        .arg(data_dir)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out);
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let child = cmd.spawn().with_context(|| format!("starting {name}'s server"))?;
    let pid = data_dir.join("serve.pid");
    std::fs::write(&pid, format!("{}\n", child.id())).with_context(|| format!("writing {}", pid.display()))?;
    Ok(child)
}

/// Asks a child to stop: SIGTERM.
#[cfg(unix)]
#[allow(unsafe_code)]
fn terminate(child: &mut Child) {
    // SAFETY: kill(2) takes no pointers; the id is that of a child this
    // process started and has not reaped, so it cannot name another process.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
}

/// Asks a child to stop: elsewhere than Unix, kills it.
#[cfg(not(unix))]
fn terminate(child: &mut Child) {
    let _ = child.kill();
}
