//! A small front for tests that makes real Distribution behave like
//! registries with chunk rules (ECR: chunks of at least 5 MiB but the last;
//! GHCR: no chunk over a limit): it announces `OCI-Chunk-Min-Length` on
//! every new upload, answers `416` to a `PATCH` over `max` bytes or one that
//! follows a chunk under `min`, and `413` to a `PUT` whose body is over
//! `max`. Everything else goes to the registry unchanged. HTTP/1.1, one
//! request per connection, 127.0.0.1 only.

use std::collections::HashMap;
use std::io::{BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::fault_proxy::{open_upstream, read_head, Head};

/// What the front saw.
#[derive(Debug, Default, Clone)]
pub struct FrontLog {
    /// `PATCH` body lengths forwarded to the registry, in order.
    pub chunks: Vec<u64>,
    /// Requests refused: (method and path, status).
    pub refused: Vec<(String, u16)>,
    /// `PUT` body lengths forwarded.
    pub puts: Vec<u64>,
}

/// The running front (see the module doc).
pub struct ChunkFront {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// What it saw so far.
    pub log: Arc<Mutex<FrontLog>>,
    stop: Arc<AtomicBool>,
}

#[derive(Clone, Copy)]
struct Rules {
    min: u64,
    max: u64,
}

impl ChunkFront {
    /// A front on a free port in front of the registry at
    /// `127.0.0.1:upstream_port`: chunks of at least `min` bytes (but the
    /// last), at most `max`.
    pub fn start(upstream_port: u16, min: u64, max: u64) -> ChunkFront {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(FrontLog::default()));
        let stop = Arc::new(AtomicBool::new(false));
        // Upload path → the last chunk was under the minimum.
        let short: Arc<Mutex<HashMap<String, bool>>> = Arc::default();
        let rules = Rules { min, max };
        {
            let (log, stop) = (log.clone(), stop.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(conn) = conn else { continue };
                    let (log, short) = (log.clone(), short.clone());
                    std::thread::spawn(move || {
                        let _ = serve(conn, upstream_port, rules, &log, &short);
                    });
                }
            });
        }
        ChunkFront { port, log, stop }
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// A copy of what it saw.
    pub fn log(&self) -> FrontLog {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for ChunkFront {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn refuse(
    client: &mut TcpStream,
    reader: &mut BufReader<TcpStream>,
    head: &Head,
    status: u16,
    log: &Mutex<FrontLog>,
) -> std::io::Result<()> {
    std::io::copy(&mut reader.take(head.content_length), &mut std::io::sink())?;
    let (text, body) = match status {
        413 => (
            "Request Entity Too Large",
            String::from("<html><body>413 Request Entity Too Large</body></html>"),
        ),
        _ => (
            "Requested Range Not Satisfiable",
            String::from(
                r#"{"errors":[{"code":"BLOB_UPLOAD_INVALID","message":"chunk size not accepted"}]}"#,
            ),
        ),
    };
    let resp = format!(
        "HTTP/1.1 {status} {text}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    client.write_all(resp.as_bytes())?;
    let what = head
        .request_line
        .split(' ')
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    log.lock().unwrap().refused.push((what, status));
    Ok(())
}

fn serve(
    mut client: TcpStream,
    upstream_port: u16,
    rules: Rules,
    log: &Mutex<FrontLog>,
    short: &Mutex<HashMap<String, bool>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let Some(head) = read_head(&mut reader, &client)? else {
        return Ok(());
    };
    let mut parts = head.request_line.split(' ');
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("");
    let path = target.split('?').next().unwrap_or("").to_string();
    let is_upload = path.contains("/blobs/uploads/");
    let len = head.content_length;
    if is_upload && method == "PATCH" {
        let after_short = short.lock().unwrap().get(&path).copied().unwrap_or(false);
        if len > rules.max || after_short {
            refuse(&mut client, &mut reader, &head, 416, log)?;
            let _ = client.shutdown(Shutdown::Both);
            return Ok(());
        }
    }
    if is_upload && method == "PUT" && len > rules.max {
        refuse(&mut client, &mut reader, &head, 413, log)?;
        let _ = client.shutdown(Shutdown::Both);
        return Ok(());
    }
    // The client's Host is kept: Locations point at whatever is in front.
    let mut up = open_upstream(&head, upstream_port, None)?;
    std::io::copy(&mut (&mut reader).take(len), &mut up)?;
    let mut response = Vec::new();
    up.read_to_end(&mut response)?;
    let accepted = response.starts_with(b"HTTP/1.1 202");
    if is_upload && method == "PATCH" && accepted {
        log.lock().unwrap().chunks.push(len);
        short.lock().unwrap().insert(path.clone(), len < rules.min);
    }
    if is_upload && method == "PUT" {
        log.lock().unwrap().puts.push(len);
    }
    if is_upload && method == "POST" && accepted {
        // Announce the minimum on the new session.
        let at = response
            .windows(2)
            .position(|w| w == b"\r\n")
            .map_or(0, |i| i + 2);
        let header = format!("OCI-Chunk-Min-Length: {}\r\n", rules.min);
        response.splice(at..at, header.into_bytes());
    }
    client.write_all(&response)?;
    let _ = client.shutdown(Shutdown::Both);
    Ok(())
}
