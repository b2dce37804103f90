//! An HTTP/1.1 proxy on 127.0.0.1 that injects faults between a client
//! and a registry.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::random::Rng;

/// What the proxy does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Forward,
    /// Answer 500 without forwarding.
    Error500,
    /// Close the connection without forwarding (after reading the head).
    DropBefore,
    /// Forward, then close the connection without relaying the answer.
    DropAfter,
    /// Answer 429 with `Retry-After: 1`.
    TooMany,
    /// Forward the head and this many body bytes, then close both
    /// connections (a connection cut in the middle of a request body).
    CutBody(u64),
}

/// Chooses the fault for request `n` (0-based) from its request line and
/// `Content-Length`.
pub type FaultChooser = Arc<dyn Fn(usize, &str, u64) -> Fault + Send + Sync>;

/// An HTTP/1.1 proxy on 127.0.0.1 that injects faults: a deterministic
/// share of requests get 500 or a dropped connection, and exactly one gets
/// 429 with `Retry-After: 1` ([`FaultProxy::start`]); or whatever a script
/// chooses ([`FaultProxy::start_scripted`]). One upstream connection per
/// request.
pub struct FaultProxy {
    pub port: u16,
    pub requests: Arc<AtomicUsize>,
    pub faults: Arc<Mutex<Vec<(usize, Fault, String)>>>,
    /// Request body bytes forwarded to the upstream so far.
    pub forwarded: Arc<AtomicU64>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl FaultProxy {
    /// `rate_percent` of requests (after the first `grace`) are faulted.
    pub fn start(upstream_port: u16, rate_percent: u64, seed: u64) -> FaultProxy {
        let rng = Mutex::new(Rng::new(seed));
        let sent_429 = std::sync::atomic::AtomicBool::new(false);
        FaultProxy::start_scripted(
            upstream_port,
            Arc::new(move |n, request_line, _| {
                let is_ping = request_line.starts_with("GET /v2/ ");
                if n == 0 || is_ping {
                    Fault::Forward
                } else if !sent_429.load(Ordering::SeqCst) && n >= 3 {
                    sent_429.store(true, Ordering::SeqCst);
                    Fault::TooMany
                } else if rng.lock().unwrap().below(100) < rate_percent {
                    match rng.lock().unwrap().below(3) {
                        0 => Fault::Error500,
                        1 => Fault::DropBefore,
                        _ => Fault::DropAfter,
                    }
                } else {
                    Fault::Forward
                }
            }),
        )
    }

    /// Every request gets the fault `choose` picks.
    pub fn start_scripted(upstream_port: u16, choose: FaultChooser) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let faults = Arc::new(Mutex::new(Vec::new()));
        let forwarded = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let shared = Shared {
            requests: requests.clone(),
            faults: faults.clone(),
            forwarded: forwarded.clone(),
            choose,
        };
        let stopped = stop.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(conn) = conn else { continue };
                let shared = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve_conn(conn, upstream_port, port, &shared);
                });
            }
        });
        FaultProxy {
            port,
            requests,
            faults,
            forwarded,
            stop,
        }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn fault_count(&self) -> usize {
        self.faults
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, f, _)| *f != Fault::Forward)
            .count()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// A request's head as read from the client: its lines (with `\r\n`), the
/// request line, and `Content-Length` (0 when absent).
pub(super) struct Head {
    pub lines: Vec<String>,
    pub request_line: String,
    pub content_length: u64,
}

/// Reads one request head; `None` at end of stream or for a TLS
/// ClientHello (the client's https probe), which is refused.
pub(super) fn read_head(
    reader: &mut BufReader<TcpStream>,
    client: &TcpStream,
) -> std::io::Result<Option<Head>> {
    if reader.fill_buf()?.first() == Some(&0x16) {
        let _ = client.shutdown(Shutdown::Both);
        return Ok(None);
    }
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let end = line == "\r\n";
        lines.push(line);
        if end {
            break;
        }
    }
    let request_line = lines[0].trim().to_string();
    let content_length = lines
        .iter()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    Ok(Some(Head {
        lines,
        request_line,
        content_length,
    }))
}

/// Opens an upstream connection and sends the head with `Connection:
/// close` (and `Host` rewritten to `127.0.0.1:<own_port>`, when given, so
/// `Location`s point back at the proxy).
pub(super) fn open_upstream(
    head: &Head,
    upstream_port: u16,
    own_port: Option<u16>,
) -> std::io::Result<TcpStream> {
    let mut up = TcpStream::connect(("127.0.0.1", upstream_port))?;
    for line in &head.lines {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("connection:") {
            continue;
        }
        if let (true, Some(own_port)) = (lower.starts_with("host:"), own_port) {
            up.write_all(format!("Host: 127.0.0.1:{own_port}\r\n").as_bytes())?;
        } else if line == "\r\n" {
            up.write_all(b"Connection: close\r\n\r\n")?;
        } else {
            up.write_all(line.as_bytes())?;
        }
    }
    Ok(up)
}

/// What the proxy's connections share with it: its counters, the fault log
/// and the chooser.
#[derive(Clone)]
struct Shared {
    requests: Arc<AtomicUsize>,
    faults: Arc<Mutex<Vec<(usize, Fault, String)>>>,
    forwarded: Arc<AtomicU64>,
    choose: FaultChooser,
}

fn serve_conn(
    mut client: TcpStream,
    upstream_port: u16,
    own_port: u16,
    shared: &Shared,
) -> std::io::Result<()> {
    let Shared {
        requests,
        faults,
        forwarded,
        choose,
    } = shared;
    let mut reader = BufReader::new(client.try_clone()?);
    // One request per connection: every answer closes it.
    let Some(head) = read_head(&mut reader, &client)? else {
        return Ok(());
    };
    let content_length = head.content_length;
    let n = requests.fetch_add(1, Ordering::SeqCst);
    let fault = choose(n, &head.request_line, content_length);
    faults
        .lock()
        .unwrap()
        .push((n, fault, head.request_line.clone()));
    match fault {
        Fault::DropBefore => {}
        Fault::Error500 | Fault::TooMany => {
            std::io::copy(
                &mut (&mut reader).take(content_length),
                &mut std::io::sink(),
            )?;
            let resp = if fault == Fault::Error500 {
                "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: 14\r\nConnection: close\r\n\r\ninjected fault"
            } else {
                "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            };
            client.write_all(resp.as_bytes())?;
        }
        Fault::CutBody(after) => {
            let mut up = open_upstream(&head, upstream_port, Some(own_port))?;
            let sent = std::io::copy(&mut (&mut reader).take(after.min(content_length)), &mut up)?;
            forwarded.fetch_add(sent, Ordering::SeqCst);
            let _ = up.shutdown(Shutdown::Both);
        }
        Fault::Forward | Fault::DropAfter => {
            let mut up = open_upstream(&head, upstream_port, Some(own_port))?;
            let sent = std::io::copy(&mut (&mut reader).take(content_length), &mut up)?;
            forwarded.fetch_add(sent, Ordering::SeqCst);
            let mut response = Vec::new();
            up.read_to_end(&mut response)?;
            if fault == Fault::Forward {
                client.write_all(&response)?;
            }
        }
    }
    let _ = client.shutdown(Shutdown::Both);
    Ok(())
}
