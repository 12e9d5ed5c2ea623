//! `cargo xtask bench taxii`: Entente's TAXII 2.1 server against medallion,
//! the OASIS reference server (memory backend), then Entente alone at scale.
//!
//! Both servers run on loopback and are driven, one after the other, by the
//! same client (a small blocking HTTP/1.1 client over `std::net`, keep-alive,
//! no Nagle) with the same generated data:
//!
//! 1. ingest: POST the file in envelopes of 1,000 objects, waiting for each
//!    status to be `complete`;
//! 2. paged read: the whole collection, `limit=1000&match[version]=all`,
//!    following `next` (every version, so that it compares with `entente export`);
//! 3. 1,000 GETs of random object ids (`objects/{id}/`), one at a time: p50, p99;
//! 4. a filtered query: `match[type]=indicator` and `added_after` the date
//!    added of the middle object, paged like the read.
//!
//! At `--objects N` (default 10,000) Entente and medallion are compared; at
//! `--big M` (default 1,000,000; 0 skips it) Entente runs alone, beside
//! `entente import --collection` and `entente export` of the same file into
//! and from a separate data directory. At that size the export and the
//! paged read each run three times, after the kernel has written back what
//! came before (`sync`), and the median of each is compared: single runs
//! of either varied by a third on this machine. The server's peak memory
//! is its `VmHWM` read from /proc just before it is stopped with SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::Deserialize;

use crate::bench::{flag, measure, today};

/// Objects per POST and per page.
const PAGE: usize = 1000;
/// Random GETs by id.
const GETS: usize = 1000;
/// Runs of the export and of the paged read at scale (their median counts).
const REPEATS: usize = 3;
/// The reference server's interpreter (created by `cargo xtask interop`).
const VENV_PYTHON: &str = "target/interop-venv/bin/python";
/// TAXII 2.1 media type.
const TAXII: &str = "application/taxii+json;version=2.1";

pub fn run(root: &Path, bin: &Path, work: &Path, args: &[String]) -> anyhow::Result<()> {
    let small: usize = flag(args, "--objects").map(str::parse).transpose()?.unwrap_or(10_000);
    let big: usize = flag(args, "--big").map(str::parse).transpose()?.unwrap_or(1_000_000);
    let python = root.join(VENV_PYTHON);
    if !python.is_file() {
        bail!("{} is missing: run `cargo xtask interop` once to create it (it installs medallion)", python.display());
    }
    let work = work.join("taxii");
    std::fs::create_dir_all(&work)?;
    let mut report = String::new();

    // 1. Entente and medallion on the same N objects (`--objects 0` skips it).
    let mut small_figures = None;
    if small > 0 {
        let node = EntenteNode::create(bin, &work.join("small-node"))?;
        let data = generate(bin, &work, small, &node.partner)?;
        let ids = random_ids(&data, GETS)?;
        eprintln!("entente: {small} objects");
        let ent = node.serve(bin, &work.join("small-entente.log"))?.drive(&data, &ids, 1)?;
        eprintln!("medallion: {small} objects");
        let med = Medallion::start(&python, &work)?.drive(&data, &ids, 1)?;
        let size_mb = std::fs::metadata(&data)?.len() as f64 / 1e6;
        report += &compare_table(small, size_mb, &ent, &med);
        small_figures = Some(ent);
    }

    // 2. Entente alone at M objects, beside import and export of the same file.
    if big > 0 {
        let node = EntenteNode::create(bin, &work.join("big-node"))?;
        let data = generate(bin, &work, big, &node.partner)?;
        let ids = random_ids(&data, GETS)?;
        let reference = EntenteNode::create(bin, &work.join("big-reference"))?;
        eprintln!("entente import / export: {big} objects");
        let imp = measure(
            Command::new(bin)
                .env("ENTENTE_LOG", "warn")
                .arg("--data-dir")
                .arg(&reference.dir)
                .args(["import", "--collection", &reference.collection])
                .arg(&data),
        )?;
        let out = work.join("export.json");
        let mut exports = Vec::new();
        for _ in 0..REPEATS {
            settle();
            let exp = measure(Command::new(bin).env("ENTENTE_LOG", "warn").arg("--data-dir").arg(&reference.dir).args(["export", "-o"]).arg(&out))?;
            let _ = std::fs::remove_file(&out);
            exports.push(exp.secs);
        }
        let _ = std::fs::remove_dir_all(&reference.dir);
        eprintln!("entente: {big} objects over TAXII");
        let run = node.serve(bin, &work.join("big-entente.log"))?.drive(&data, &ids, REPEATS)?;
        let size_mb = std::fs::metadata(&data)?.len() as f64 / 1e6;
        report += &scale_table(big, size_mb, &run, imp.secs, imp.peak_rss_mb, &exports, small_figures.as_ref(), small);
    }
    println!("{report}");
    Ok(())
}

/// What one run of the client measured on one server.
struct Figures {
    posted: usize,
    ingest_secs: f64,
    read: usize,
    /// The median of the paged reads.
    read_secs: f64,
    /// Of `read_secs`, the client's own JSON scanning of the pages.
    read_client_secs: f64,
    /// Every paged read's time, in the order they ran.
    read_samples: Vec<f64>,
    get_p50_ms: f64,
    get_p99_ms: f64,
    get_max_ms: f64,
    filtered: usize,
    filtered_secs: f64,
    peak_mb: f64,
}

// ---------------------------------------------------------------- the servers

/// An Entente data directory set up for the bench: partner, token, collection.
struct EntenteNode {
    dir: PathBuf,
    partner: String,
    token: String,
    collection: String,
}

impl EntenteNode {
    fn create(bin: &Path, dir: &Path) -> anyhow::Result<Self> {
        let _ = std::fs::remove_dir_all(dir);
        let cli = |args: &[&str]| capture(Command::new(bin).env("ENTENTE_LOG", "warn").arg("--data-dir").arg(dir).args(args));
        let partner = cli(&["init", "--name", "Bench"])?;
        let token = cli(&["token", "create", "--partner", &partner, "--role", "analyst"])?;
        let collection = cli(&["collection", "create", "--title", "bench", "--write", "all"])?;
        Ok(EntenteNode { dir: dir.to_owned(), partner, token, collection })
    }

    fn serve(&self, bin: &Path, log: &Path) -> anyhow::Result<Running> {
        let port = free_port()?;
        let child = Command::new(bin)
            .env("ENTENTE_LOG", "warn")
            .env("ENTENTE_TAXII_MAX_PAGE_SIZE", PAGE.to_string())
            .arg("--data-dir")
            .arg(&self.dir)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log)?)
            .spawn()
            .context("starting entente serve")?;
        Running::ready(child, "entente", port, "/taxii2/root", &self.collection, format!("Bearer {}", self.token), log)
    }
}

/// medallion 3.0.0, memory backend, one collection, on 127.0.0.1.
struct Medallion;

impl Medallion {
    const COLLECTION: &'static str = "91a7b528-80eb-42ed-a74d-c6fbd5a26116";
    const USER: &'static str = "bench";
    const PASSWORD: &'static str = "bench-password";

    fn start(python: &Path, work: &Path) -> anyhow::Result<Running> {
        let port = free_port()?;
        let base = format!("http://127.0.0.1:{port}");
        // The memory backend's data file: discovery, the api root, an empty collection.
        let data = serde_json::json!({
            "/discovery": {"title": "medallion bench", "default": format!("{base}/root/"), "api_roots": [format!("{base}/root/")]},
            "root": {
                "information": {"title": "root", "versions": [TAXII], "max_content_length": 104_857_600},
                "status": [],
                "collections": [{
                    "id": Self::COLLECTION, "title": "bench", "description": "", "can_read": true, "can_write": true,
                    "media_types": ["application/stix+json;version=2.1"], "objects": [], "manifest": []
                }]
            }
        });
        let data_file = work.join("medallion-data.json");
        std::fs::write(&data_file, serde_json::to_vec(&data)?)?;
        // Paging sessions (`next`) live 30 s by default; the first page alone
        // may take longer than that here.
        let config = serde_json::json!({
            "backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend",
                        "filename": data_file, "session_timeout": 3600},
            "users": {Self::USER: Self::PASSWORD},
            "taxii": {"max_page_size": PAGE}
        });
        let config_file = work.join("medallion-config.json");
        std::fs::write(&config_file, serde_json::to_vec_pretty(&config)?)?;
        let log = work.join("medallion.log");
        let child = Command::new(python)
            .args(["-m", "medallion.scripts.run", "--host", "127.0.0.1", "--port", &port.to_string(), "--log-level", "WARN"])
            .arg(&config_file)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .context("starting medallion")?;
        let auth = format!("Basic {}", base64(&format!("{}:{}", Self::USER, Self::PASSWORD)));
        Running::ready(child, "medallion", port, "/root", Self::COLLECTION, auth, &log)
    }
}

/// A started server and a client connected to it.
struct Running {
    child: Option<Child>,
    name: &'static str,
    client: Client,
    /// `/taxii2/root/collections/{id}/objects/`
    objects: String,
    /// `/taxii2/root`
    api_root: String,
}

impl Running {
    fn ready(
        child: Child,
        name: &'static str,
        port: u16,
        api_root: &str,
        collection: &str,
        auth: String,
        log: &Path,
    ) -> anyhow::Result<Self> {
        let mut running = Running {
            child: Some(child),
            name,
            client: Client::new(format!("127.0.0.1:{port}"), auth),
            objects: format!("{api_root}/collections/{collection}/objects/"),
            api_root: api_root.to_owned(),
        };
        let start = Instant::now();
        loop {
            if let Some(status) = running.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                bail!("{name} exited ({status}) before listening; see {}", log.display());
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            if start.elapsed() > Duration::from_secs(60) {
                bail!("{name} did not listen within 60 s; see {}", log.display());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(running)
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Runs the whole client against this server, then stops it.
    /// Ingests, then reads the whole collection `reads` times (the median
    /// counts), then the GETs and the filtered query.
    fn drive(mut self, data: &Path, ids: &[String], reads: usize) -> anyhow::Result<Figures> {
        let (posted, ingest_secs) = self.ingest(data)?;
        eprintln!("  {}: ingest {posted} in {ingest_secs:.2} s", self.name);
        let read_query = "limit=1000&match%5Bversion%5D=all";
        let mut all_reads = Vec::new();
        for _ in 0..reads.max(1) {
            if reads > 1 {
                settle();
            }
            let read = self.page_through(read_query, posted / 2)?;
            eprintln!("  {}: paged read {} in {:.2} s", self.name, read.count, read.secs);
            if read.count != posted {
                bail!("{}: the paged read returned {} objects, {posted} were posted", self.name, read.count);
            }
            all_reads.push(read);
        }
        let read_samples: Vec<f64> = all_reads.iter().map(|r| r.secs).collect();
        all_reads.sort_by(|a, b| a.secs.total_cmp(&b.secs));
        let read = all_reads.swap_remove(all_reads.len() / 2);
        let (p50, p99, max) = self.gets(ids)?;
        eprintln!("  {}: GET p50 {p50:.2} ms, p99 {p99:.2} ms", self.name);
        let middle = read.middle.context("no X-TAXII-Date-Added-Last header on the paged read")?;
        let filtered = self.page_through(&format!("limit=1000&match%5Btype%5D=indicator&added_after={}", encode(&middle)), 0)?;
        eprintln!("  {}: filtered query {} in {:.2} s", self.name, filtered.count, filtered.secs);
        let peak_mb = vm_hwm_mb(self.pid())?;
        self.stop()?;
        Ok(Figures {
            posted,
            ingest_secs,
            read: read.count,
            read_secs: read.secs,
            read_client_secs: read.client_secs,
            read_samples,
            get_p50_ms: p50,
            get_p99_ms: p99,
            get_max_ms: max,
            filtered: filtered.count,
            filtered_secs: filtered.secs,
            peak_mb,
        })
    }

    /// POSTs the file in envelopes of `PAGE` objects; waits for each to complete.
    fn ingest(&mut self, data: &Path) -> anyhow::Result<(usize, f64)> {
        let mut lines = BufReader::new(std::fs::File::open(data)?).lines();
        let mut posted = 0;
        let mut body = Vec::with_capacity(1 << 20);
        let start = Instant::now();
        loop {
            body.clear();
            body.extend_from_slice(b"{\"objects\":[");
            let mut n = 0;
            for line in lines.by_ref() {
                let line = line?;
                if line.trim().is_empty() {
                    continue;
                }
                if n > 0 {
                    body.push(b',');
                }
                body.extend_from_slice(line.as_bytes());
                n += 1;
                if n == PAGE {
                    break;
                }
            }
            if n == 0 {
                break;
            }
            body.extend_from_slice(b"]}");
            let r = self.client.send("POST", &self.objects, Some(&body))?;
            if r.status != 202 {
                bail!("{}: POST answered {}: {}", self.name, r.status, r.excerpt());
            }
            let mut status: Status = serde_json::from_slice(&r.body).with_context(|| format!("{}: status {}", self.name, r.excerpt()))?;
            while status.status != "complete" {
                std::thread::sleep(Duration::from_millis(20));
                let r = self.client.send("GET", &format!("{}/status/{}/", self.api_root, status.id), None)?;
                status = serde_json::from_slice(&r.body).with_context(|| format!("{}: status {}", self.name, r.excerpt()))?;
            }
            if status.failure_count > 0 || status.success_count != n as u64 {
                bail!("{}: {} of {n} objects failed: {}", self.name, status.failure_count, r.excerpt());
            }
            posted += n;
        }
        Ok((posted, start.elapsed().as_secs_f64()))
    }

    /// GETs the listing with `query`, following `next` to the end. Notes the
    /// `X-TAXII-Date-Added-Last` of the page where the count reaches `middle`.
    fn page_through(&mut self, query: &str, middle: usize) -> anyhow::Result<Paged> {
        let mut paged = Paged { count: 0, secs: 0.0, client_secs: 0.0, middle: None };
        let mut path = format!("{}?{query}", self.objects);
        let start = Instant::now();
        loop {
            let r = self.client.send("GET", &path, None)?;
            if r.status != 200 {
                bail!("{}: GET {path} answered {}: {}", self.name, r.status, r.excerpt());
            }
            let parse = Instant::now();
            let page: Envelope = serde_json::from_slice(&r.body).with_context(|| format!("{}: page {}", self.name, r.excerpt()))?;
            paged.client_secs += parse.elapsed().as_secs_f64();
            let before = paged.count;
            paged.count += page.objects.len();
            if paged.middle.is_none() && before < middle.max(1) && paged.count >= middle.max(1) {
                paged.middle = r.header("x-taxii-date-added-last").map(str::to_owned);
            }
            match (page.more, page.next) {
                (true, Some(next)) => path = format!("{}?{query}&next={}", self.objects, encode(&next)),
                (true, None) => bail!("{}: more=true without next", self.name),
                (false, _) => break,
            }
        }
        paged.secs = start.elapsed().as_secs_f64();
        Ok(paged)
    }

    /// One GET per id, one at a time: (p50, p99, max) in milliseconds.
    fn gets(&mut self, ids: &[String]) -> anyhow::Result<(f64, f64, f64)> {
        let mut ms = Vec::with_capacity(ids.len());
        for id in ids {
            let path = format!("{}{id}/", self.objects);
            let start = Instant::now();
            let r = self.client.send("GET", &path, None)?;
            ms.push(start.elapsed().as_secs_f64() * 1e3);
            if r.status != 200 || !r.body.windows(id.len()).any(|w| w == id.as_bytes()) {
                bail!("{}: GET {path} answered {}: {}", self.name, r.status, r.excerpt());
            }
        }
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms[((ms.len() as f64 * q).ceil() as usize).clamp(1, ms.len()) - 1];
        Ok((at(0.50), at(0.99), at(1.0)))
    }

    /// SIGTERM, then wait (SIGKILL after 30 s).
    fn stop(&mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else { return Ok(()) };
        signal(child.id(), libc::SIGTERM);
        let start = Instant::now();
        while child.try_wait()?.is_none() {
            if start.elapsed() > Duration::from_secs(30) {
                eprintln!("{} did not stop on SIGTERM within 30 s: killing it", self.name);
                child.kill()?;
                child.wait()?;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // On an error midway, never leave a server behind.
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[allow(unsafe_code)]
fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: kill(2) on the id of a child we started and have not reaped.
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}

struct Paged {
    count: usize,
    secs: f64,
    client_secs: f64,
    middle: Option<String>,
}

/// A TAXII envelope; objects are scanned, not kept.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    more: bool,
    next: Option<String>,
    #[serde(default)]
    objects: Vec<serde::de::IgnoredAny>,
}

/// The parts of a TAXII status resource the bench checks.
#[derive(Deserialize)]
struct Status {
    id: String,
    status: String,
    #[serde(default)]
    success_count: u64,
    #[serde(default)]
    failure_count: u64,
}

// ----------------------------------------------------------------- the client

/// A blocking HTTP/1.1 client: one keep-alive connection, Nagle off.
struct Client {
    addr: String,
    auth: String,
    conn: Option<BufReader<TcpStream>>,
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn excerpt(&self) -> String {
        String::from_utf8_lossy(&self.body[..self.body.len().min(400)]).into_owned()
    }
}

impl Client {
    fn new(addr: String, auth: String) -> Self {
        Client { addr, auth, conn: None }
    }

    fn send(&mut self, method: &str, path: &str, body: Option<&[u8]>) -> anyhow::Result<Response> {
        let reused = self.conn.is_some();
        match self.try_send(method, path, body) {
            Ok(r) => Ok(r),
            // The server may have closed an idle keep-alive connection: once more on a new one.
            Err(_) if reused => {
                self.conn = None;
                self.try_send(method, path, body).with_context(|| format!("{method} {path}"))
            }
            Err(e) => Err(anyhow::Error::new(e).context(format!("{method} {path}"))),
        }
    }

    fn try_send(&mut self, method: &str, path: &str, body: Option<&[u8]>) -> std::io::Result<Response> {
        let result = self.exchange(method, path, body);
        if result.is_err() {
            self.conn = None;
        }
        result
    }

    fn exchange(&mut self, method: &str, path: &str, body: Option<&[u8]>) -> std::io::Result<Response> {
        if self.conn.is_none() {
            let s = TcpStream::connect(&self.addr)?;
            s.set_nodelay(true)?;
            // medallion's first page of a large collection takes minutes.
            s.set_read_timeout(Some(Duration::from_secs(3600)))?;
            self.conn = Some(BufReader::with_capacity(1 << 16, s));
        }
        let conn = self.conn.as_mut().expect("connected above");
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: {}\r\nAccept: {TAXII}\r\n", self.addr, self.auth);
        if let Some(b) = body {
            head += &format!("Content-Type: {TAXII}\r\nContent-Length: {}\r\n", b.len());
        }
        head += "\r\n";
        let stream = conn.get_mut();
        stream.write_all(head.as_bytes())?;
        if let Some(b) = body {
            stream.write_all(b)?;
        }

        let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_owned());
        let mut line = String::new();
        if conn.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let http10 = line.starts_with("HTTP/1.0");
        let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| bad("bad status line"))?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            if conn.read_line(&mut line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        let get = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
        let mut close = get("connection").map_or(http10, |v| v.eq_ignore_ascii_case("close"));
        let mut body = Vec::new();
        if get("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
            loop {
                line.clear();
                conn.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16).map_err(|_| bad("bad chunk size"))?;
                if size == 0 {
                    // Trailers, up to the empty line.
                    loop {
                        line.clear();
                        if conn.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
                            break;
                        }
                    }
                    break;
                }
                let at = body.len();
                body.resize(at + size, 0);
                conn.read_exact(&mut body[at..])?;
                line.clear();
                conn.read_line(&mut line)?;
            }
        } else if let Some(n) = get("content-length") {
            let n: usize = n.parse().map_err(|_| bad("bad content-length"))?;
            body.resize(n, 0);
            conn.read_exact(&mut body)?;
        } else if method != "HEAD" && status != 204 && status != 304 {
            conn.read_to_end(&mut body)?;
            close = true;
        }
        if close {
            self.conn = None;
        }
        Ok(Response { status, headers, body })
    }
}

// ------------------------------------------------------------------ the parts

/// Generates `n` objects authored by `author`, as JSON Lines (kept between
/// runs: the author is fixed per data directory, so the file is named by it).
fn generate(bin: &Path, work: &Path, n: usize, author: &str) -> anyhow::Result<PathBuf> {
    for old in std::fs::read_dir(work)? {
        let p = old?.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        if name.starts_with(&format!("generated-{n}-")) && name.ends_with(".jsonl") {
            let _ = std::fs::remove_file(&p);
        }
    }
    let file = work.join(format!("generated-{n}-{}.jsonl", author.trim_start_matches("identity--")));
    eprintln!("generating {n} objects");
    crate::run(
        Command::new(bin)
            .env("ENTENTE_LOG", "warn")
            .args(["generate", "--objects", &n.to_string(), "--seed", "1", "--author", author, "--format", "jsonl", "-o"])
            .arg(&file),
    )?;
    Ok(file)
}

/// `count` ids drawn at random (fixed seed, with repeats) from the file's objects.
fn random_ids(data: &Path, count: usize) -> anyhow::Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let lines = BufReader::new(std::fs::File::open(data)?).lines().count();
    let mut rng = crate::rng::Rng(0x9E37_79B9_7F4A_7C15);
    let mut wanted: Vec<(usize, usize)> = (0..count).map(|i| (rng.below(lines as u64) as usize, i)).collect();
    wanted.sort_unstable();
    let mut ids = vec![String::new(); count];
    let mut next = 0;
    for (n, line) in BufReader::new(std::fs::File::open(data)?).lines().enumerate() {
        let line = line?;
        while next < wanted.len() && wanted[next].0 == n {
            ids[wanted[next].1] = serde_json::from_str::<Id>(&line)?.id;
            next += 1;
        }
    }
    Ok(ids)
}

/// Runs a command, returning its trimmed standard output.
fn capture(cmd: &mut Command) -> anyhow::Result<String> {
    let shown = format!("{cmd:?}");
    let out = cmd.stderr(Stdio::inherit()).output().with_context(|| format!("starting {shown}"))?;
    if !out.status.success() {
        bail!("{shown} failed: {}", out.status);
    }
    Ok(String::from_utf8(out.stdout)?.trim().to_owned())
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The peak resident memory of a running process (VmHWM), in MB.
fn vm_hwm_mb(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .context("no VmHWM in /proc/PID/status")?;
    Ok(kb / 1024.0)
}

/// Percent-encodes all but the unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out += &format!("%{b:02X}");
        }
    }
    out
}

fn base64(s: &str) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in s.as_bytes().chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

// ---------------------------------------------------------------- the report

fn rate(n: usize, secs: f64) -> f64 {
    n as f64 / secs
}

/// 1234567.8 → "1,234,568"
fn thousands(x: f64) -> String {
    let s = format!("{:.0}", x);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn compare_table(n: usize, size_mb: f64, e: &Figures, m: &Figures) -> String {
    let mut t = format!("\n## TAXII: Entente against medallion, {} objects ({size_mb:.1} MB), {}\n\n", thousands(n as f64), today());
    t += "| measure | Entente | medallion | Entente ÷ medallion |\n|---|---:|---:|---:|\n";
    let (ei, mi) = (rate(e.posted, e.ingest_secs), rate(m.posted, m.ingest_secs));
    t += &format!(
        "| ingest: POST, 1,000 per envelope | {} obj/s ({:.2} s) | {} obj/s ({:.1} s) | {:.0}× |\n",
        thousands(ei),
        e.ingest_secs,
        thousands(mi),
        m.ingest_secs,
        ei / mi
    );
    let (er, mr) = (rate(e.read, e.read_secs), rate(m.read, m.read_secs));
    t += &format!(
        "| paged read: `limit=1000`, every version | {} obj/s ({:.2} s) | {} obj/s ({:.1} s) | {:.0}× |\n",
        thousands(er),
        e.read_secs,
        thousands(mr),
        m.read_secs,
        er / mr
    );
    t += &format!("| GET by id, p50 | {:.2} ms | {:.1} ms | {:.0}× |\n", e.get_p50_ms, m.get_p50_ms, m.get_p50_ms / e.get_p50_ms);
    t += &format!("| GET by id, p99 | {:.2} ms | {:.1} ms | {:.0}× |\n", e.get_p99_ms, m.get_p99_ms, m.get_p99_ms / e.get_p99_ms);
    t += &format!(
        "| filtered: `match[type]=indicator` + `added_after` (second half) | {:.3} s ({} objects) | {:.1} s ({} objects) | {:.0}× |\n",
        e.filtered_secs,
        e.filtered,
        m.filtered_secs,
        m.filtered,
        m.filtered_secs / e.filtered_secs
    );
    t += &format!("| server peak memory (VmHWM) | {:.0} MB | {:.0} MB | – |\n", e.peak_mb, m.peak_mb);
    t += &format!(
        "\nGET max: Entente {:.2} ms, medallion {:.1} ms. Target: Entente ≥ 100× medallion on ingest, paged read and GET latency.\n",
        e.get_max_ms, m.get_max_ms
    );
    t
}

/// Waits for the kernel to write back what earlier steps left dirty, so
/// that a measurement does not pay for them.
fn settle() {
    let _ = Command::new("sync").status();
    std::thread::sleep(Duration::from_millis(500));
}

/// The median of some timings, and all of them as text.
fn median_of(samples: &[f64]) -> (f64, String) {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let all = samples.iter().map(|s| format!("{s:.2}")).collect::<Vec<_>>().join(", ");
    (sorted[sorted.len() / 2], all)
}

#[allow(clippy::too_many_arguments)]
fn scale_table(n: usize, size_mb: f64, r: &Figures, imp_secs: f64, imp_mb: f64, exports: &[f64], small: Option<&Figures>, small_n: usize) -> String {
    let (exp_secs, exp_all) = median_of(exports);
    let (_, read_all) = median_of(&r.read_samples);
    let mut t = format!("\n## TAXII: Entente alone, {} objects ({size_mb:.0} MB), {}\n\n", thousands(n as f64), today());
    t += "| measure | objects/s | vs reference | time | peak RSS |\n|---|---:|---:|---:|---:|\n";
    let (ir, er) = (rate(n, imp_secs), rate(n, exp_secs));
    let (ti, tr) = (rate(r.posted, r.ingest_secs), rate(r.read, r.read_secs));
    t += &format!("| `entente import --collection` (reference) | {} | 1.00 | {imp_secs:.2} s | {imp_mb:.0} MB |\n", thousands(ir));
    t += &format!("| TAXII ingest: POST, 1,000 per envelope | {} | {:.2} of import | {:.2} s | – |\n", thousands(ti), ti / ir, r.ingest_secs);
    t += &format!("| `entente export` (reference) | {} | 1.00 | {exp_secs:.2} s (median of {exp_all}) | – |\n", thousands(er));
    t += &format!(
        "| TAXII paged read: `limit=1000`, every version | {} | {:.2} of export | {:.2} s (median of {read_all}; client parsing {:.2} s) | – |\n",
        thousands(tr),
        tr / er,
        r.read_secs,
        r.read_client_secs
    );
    t += &format!(
        "| filtered: `match[type]=indicator` + `added_after` (second half) | {} | – | {:.2} s ({} objects) | – |\n",
        thousands(rate(r.filtered, r.filtered_secs)),
        r.filtered_secs,
        r.filtered
    );
    t += &format!("| server (`entente serve`) over the whole run | – | – | – | {:.0} MB |\n", r.peak_mb);
    t += &format!("\nGET by id: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms", r.get_p50_ms, r.get_p99_ms, r.get_max_ms);
    if let Some(small) = small {
        t += &format!(
            " (at {} objects: p50 {:.2} ms, p99 {:.2} ms)",
            thousands(small_n as f64),
            small.get_p50_ms,
            small.get_p99_ms
        );
    }
    t += ".\n";
    t += "Targets: TAXII ingest ≥ 0.50 of import, paged read ≥ 0.50 of export, GET p99 < 5 ms, server peak < 300 MB.\n";
    t
}
