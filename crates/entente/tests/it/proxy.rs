//! A fault-injecting TCP proxy for the federation fault test: it listens on
//! loopback, forwards to a peer's port and, while switched to faulty, picks
//! faults per connection at random from a seeded generator.
//!
//! The faults, each decided when a connection is accepted:
//!
//! - refuse (15% of connections): the connection is closed at once, before
//!   a byte is forwarded;
//! - delay (40%): every chunk either way waits a random time, up to a
//!   random 10 to 150 ms, before it is forwarded;
//! - cut: after a random number of bytes towards the peer (15%: up to 400,
//!   inside the first requests) or back from it (30%: up to 1,000 or up to
//!   20,000, inside a response's headers or its page, or pages later), both
//!   sides are shut down;
//! - duplicate pages (40% of connections, then half of their requests): a
//!   request's `added_after=` is rewritten to one of the last few earlier
//!   values already served through this proxy, so the peer answers with a
//!   page overlapping pages the puller already stored, and that page's
//!   `X-TAXII-Date-Added-Last` takes the puller's cursor back. This is what
//!   a peer with a paging bug, or something in between that retries
//!   requests it had already answered, does to a puller. Rewriting the
//!   request is simpler than replaying an earlier response body (no HTTP
//!   framing to redo on the way back: the peer writes a true response,
//!   headers and `more` included, to a request it really got) and just as
//!   hard on the puller.
//!
//! Requests towards the peer are read as HTTP/1.1 heads (the puller sends
//! only GETs; a body named by `Content-Length` is forwarded as it is), so a
//! keep-alive connection's every request can be rewritten; responses are
//! forwarded as bytes. Switching to clean stops every fault at once,
//! including on connections already open. On demand, faulty or not, the
//! proxy holds the next request for a page before it reaches the peer
//! (`hold_next_page`, `release`), so a test can kill the puller while it
//! waits for that page.
//!
//! The seed fixes the order of fault decisions, not which connection meets
//! which: the threads of the puller and of the proxy interleave as the
//! machine schedules them, so a replay reproduces the mix of faults, not the
//! exact trace.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The shared seeded generator (SplitMix64).
pub(crate) use model::rng::Rng;

/// What the proxy has done since it started.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Connections accepted.
    pub connections: u64,
    /// Connections closed at once.
    pub refused: u64,
    /// Connections given delays.
    pub delayed: u64,
    /// Connections cut inside a request.
    pub cut_requests: u64,
    /// Connections cut inside a response.
    pub cut_responses: u64,
    /// Requests whose `added_after` went back to an earlier value.
    pub duplicate_pages: u64,
    /// Requests for a page of objects (`/objects/`) seen.
    pub object_requests: u64,
}

impl Counts {
    /// Whether every kind of fault happened since `before`.
    pub fn every_fault_since(&self, before: &Counts) -> bool {
        self.refused > before.refused
            && self.delayed > before.delayed
            && self.cut_requests > before.cut_requests
            && self.cut_responses > before.cut_responses
            && self.duplicate_pages > before.duplicate_pages
    }
}

struct State {
    rng: Rng,
    counts: Counts,
    /// Every `added_after` value seen, in order.
    seen_after: Vec<String>,
    /// Hold the next request for a page of objects.
    hold: bool,
    /// A request is held (the puller waits for its page).
    held: bool,
}

struct Shared {
    target: u16,
    faulty: AtomicBool,
    /// Connections forwarding now.
    open: AtomicU64,
    stop: AtomicBool,
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn faulty(&self) -> bool {
        self.faulty.load(Ordering::SeqCst)
    }
}

/// The proxy; it stops when dropped.
pub(crate) struct Proxy {
    pub port: u16,
    shared: Arc<Shared>,
}

/// The faults one connection gets.
#[derive(Debug, Default)]
struct Plan {
    /// Longest wait before a chunk, in milliseconds (0: none).
    delay_ms: u64,
    /// Bytes towards the peer before the cut.
    cut_request: Option<usize>,
    /// Bytes back from the peer before the cut.
    cut_response: Option<usize>,
    /// Chance that a request with `added_after` is taken back.
    duplicate: f64,
}

impl Proxy {
    /// A clean proxy on a free loopback port in front of `127.0.0.1:target`.
    pub fn start(target: u16, seed: u64) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            target,
            faulty: AtomicBool::new(false),
            open: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            state: Mutex::new(State { rng: Rng(seed), counts: Counts::default(), seen_after: Vec::new(), hold: false, held: false }),
            changed: Condvar::new(),
        });
        let s = shared.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    accept(&s, conn);
                }
            }
        });
        Proxy { port, shared }
    }

    /// The peer's TAXII root through this proxy.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/taxii2/", self.port)
    }

    /// Faults on (`true`) or off, at once, open connections included.
    pub fn set_faulty(&self, on: bool) {
        self.shared.faulty.store(on, Ordering::SeqCst);
    }

    /// What the proxy has done so far.
    pub fn counts(&self) -> Counts {
        self.shared.state().counts
    }

    /// Connections forwarding now (open both ways or one).
    pub fn open(&self) -> u64 {
        self.shared.open.load(Ordering::SeqCst)
    }

    /// Holds the next request for a page of objects before it reaches the
    /// peer, until [`Proxy::release`]: its puller waits for that page.
    pub fn hold_next_page(&self) {
        self.shared.state().hold = true;
    }

    /// Waits until a request is held, or `deadline` passes; whether one is.
    pub fn wait_held(&self, deadline: Instant) -> bool {
        let mut state = self.shared.state();
        while !state.held {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            state = self.shared.changed.wait_timeout(state, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
        }
        true
    }

    /// Lets a held request go (and holds none any more).
    pub fn release(&self) {
        let mut state = self.shared.state();
        (state.hold, state.held) = (false, false);
        self.shared.changed.notify_all();
    }

    /// Waits until `n` requests for objects were seen in all, or `deadline`
    /// passes; whether they were.
    pub fn wait_object_requests(&self, n: u64, deadline: Instant) -> bool {
        let mut state = self.shared.state();
        while state.counts.object_requests < n {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            state = self.shared.changed.wait_timeout(state, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
        }
        true
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.set_faulty(false);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn accept(shared: &Arc<Shared>, client: TcpStream) {
    let plan = {
        let mut st = shared.state();
        st.counts.connections += 1;
        if shared.faulty() {
            let r = &mut st.rng;
            if r.probability(0.15) {
                st.counts.refused += 1;
                drop(st);
                let _ = client.shutdown(Shutdown::Both);
                return;
            }
            let plan = Plan {
                delay_ms: if r.probability(0.4) { r.range(10, 150) } else { 0 },
                cut_request: r.probability(0.15).then(|| r.range(0, 400) as usize),
                cut_response: r.probability(0.3).then(|| if r.probability(0.5) { r.range(0, 1000) } else { r.range(0, 20_000) } as usize),
                duplicate: if r.probability(0.4) { 0.5 } else { 0.0 },
            };
            st.counts.delayed += u64::from(plan.delay_ms > 0);
            plan
        } else {
            Plan::default()
        }
    };
    let Ok(peer) = TcpStream::connect(("127.0.0.1", shared.target)) else {
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    let plan = Arc::new(plan);
    let (c2, p2) = (client.try_clone().unwrap(), peer.try_clone().unwrap());
    let (s1, s2, plan2) = (shared.clone(), shared.clone(), plan.clone());
    let open = Arc::new(Open::new(shared.clone()));
    let open2 = open.clone();
    std::thread::spawn(move || {
        requests(&s1, &plan, client, peer);
        drop(open);
    });
    std::thread::spawn(move || {
        responses(&s2, &plan2, p2, c2);
        drop(open2);
    });
}

/// Counts a connection open while either of its threads forwards.
struct Open(Arc<Shared>);

impl Open {
    fn new(shared: Arc<Shared>) -> Open {
        shared.open.fetch_add(1, Ordering::SeqCst);
        Open(shared)
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Both sides shut: the cut.
fn cut(a: &TcpStream, b: &TcpStream) {
    let _ = a.shutdown(Shutdown::Both);
    let _ = b.shutdown(Shutdown::Both);
}

/// What became of a forwarded chunk.
#[derive(PartialEq, Eq)]
enum Flow {
    /// Forwarded; go on.
    Go,
    /// The plan's cut: both sides shut.
    Cut,
    /// A side had closed.
    Closed,
}

/// Forwards `bytes` from `from` to `to` under `plan`, `sent` bytes having
/// gone this way before, cutting after `cut_at` bytes in all.
fn forward(shared: &Shared, plan: &Plan, cut_at: Option<usize>, sent: &mut usize, bytes: &[u8], from: &TcpStream, to: &mut TcpStream) -> Flow {
    if plan.delay_ms > 0 && shared.faulty() {
        let wait = shared.state().rng.range(0, plan.delay_ms);
        std::thread::sleep(Duration::from_millis(wait));
    }
    let mut bytes = bytes;
    let mut cutting = false;
    if let Some(at) = cut_at.filter(|_| shared.faulty()) {
        if *sent + bytes.len() > at {
            bytes = &bytes[..at.saturating_sub(*sent)];
            cutting = true;
        }
    }
    if to.write_all(bytes).is_err() {
        cut(from, to);
        return Flow::Closed;
    }
    *sent += bytes.len();
    if cutting {
        cut(from, to);
        return Flow::Cut;
    }
    Flow::Go
}

/// Client to peer: request heads read, counted, perhaps rewritten.
fn requests(shared: &Shared, plan: &Plan, mut client: TcpStream, mut peer: TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let mut sent = 0usize;
    let mut body_left = 0usize;
    loop {
        let n = match client.read(&mut chunk) {
            Ok(0) | Err(_) => {
                let _ = peer.shutdown(Shutdown::Write);
                return;
            }
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        loop {
            if body_left > 0 {
                let take = body_left.min(buf.len());
                if take == 0 {
                    break;
                }
                let part: Vec<u8> = buf.drain(..take).collect();
                body_left -= take;
                match forward(shared, plan, plan.cut_request, &mut sent, &part, &client, &mut peer) {
                    Flow::Go => {}
                    Flow::Cut => {
                        shared.state().counts.cut_requests += 1;
                        return;
                    }
                    Flow::Closed => return,
                }
                continue;
            }
            let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else { break };
            let head: Vec<u8> = buf.drain(..end + 4).collect();
            let (head, length, held) = rewrite(shared, plan, &head);
            if held {
                let mut st = shared.state();
                while st.held && !shared.stop.load(Ordering::SeqCst) {
                    st = shared.changed.wait_timeout(st, Duration::from_millis(100)).unwrap_or_else(|p| p.into_inner()).0;
                }
            }
            body_left = length;
            match forward(shared, plan, plan.cut_request, &mut sent, &head, &client, &mut peer) {
                Flow::Go => {}
                Flow::Cut => {
                    shared.state().counts.cut_requests += 1;
                    return;
                }
                Flow::Closed => return,
            }
        }
    }
}

/// One request head: counted, perhaps held, its `added_after` remembered
/// and perhaps taken back to an earlier one. Returns the head to send, its
/// body's length and whether it is held.
fn rewrite(shared: &Shared, plan: &Plan, head: &[u8]) -> (Vec<u8>, usize, bool) {
    let text = String::from_utf8_lossy(head).into_owned();
    let length = text
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-length")).map(|(_, v)| v.trim().parse().unwrap_or(0)))
        .unwrap_or(0);
    let line_end = text.find("\r\n").unwrap_or(text.len());
    let line = &text[..line_end];
    let mut st = shared.state();
    let mut held = false;
    if line.contains("/objects/") {
        st.counts.object_requests += 1;
        if st.hold {
            (st.hold, st.held, held) = (false, true, true);
        }
        shared.changed.notify_all();
    }
    let Some(at) = line.find("added_after=") else { return (head.to_vec(), length, held) };
    let start = at + "added_after=".len();
    let stop = line[start..].find(['&', ' ']).map_or(line.len(), |i| start + i);
    let after = line[start..stop].to_owned();
    let earlier: Vec<String> = st.seen_after.iter().filter(|s| s.len() == after.len() && **s < after).cloned().collect();
    if !st.seen_after.contains(&after) {
        st.seen_after.push(after.clone());
    }
    if !shared.faulty() || plan.duplicate == 0.0 || earlier.is_empty() || !st.rng.probability(plan.duplicate) {
        return (head.to_vec(), length, held);
    }
    // One of the last few values before this one: the overlap stays a few
    // pages, not the whole history.
    let back = st.rng.range(1, earlier.len().min(4) as u64) as usize;
    let to = earlier[earlier.len() - back].clone();
    st.counts.duplicate_pages += 1;
    (format!("{}{to}{}", &text[..start], &text[stop..]).into_bytes(), length, held)
}

/// Peer to client: bytes as they come.
fn responses(shared: &Shared, plan: &Plan, mut peer: TcpStream, mut client: TcpStream) {
    let mut chunk = [0u8; 8192];
    let mut sent = 0usize;
    loop {
        let n = match peer.read(&mut chunk) {
            Ok(0) | Err(_) => {
                let _ = client.shutdown(Shutdown::Write);
                return;
            }
            Ok(n) => n,
        };
        match forward(shared, plan, plan.cut_response, &mut sent, &chunk[..n], &peer, &mut client) {
            Flow::Go => {}
            Flow::Cut => {
                shared.state().counts.cut_responses += 1;
                return;
            }
            Flow::Closed => return,
        }
    }
}
