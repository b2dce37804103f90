//! A userspace TCP proxy on 127.0.0.1 that shapes a link for benchmarks:
//! a round-trip latency and a bandwidth per direction, shared by every
//! connection through it (one link), like a WAN between a client and a
//! registry. Bytes are relayed in order; each read is released when the
//! link would have carried it (serialised at the bandwidth after the bytes
//! before it) plus half the round trip. Only loopback addresses.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The link's shape.
#[derive(Debug, Clone, Copy)]
pub struct LinkShape {
    /// Round-trip time added (half each way).
    pub rtt: Duration,
    /// Bits per second in each direction.
    pub bits_per_second: u64,
}

/// One direction of the link: when it is free again.
struct Direction {
    free_at: Mutex<Instant>,
    bytes: AtomicU64,
}

/// The running proxy (stops accepting on `Drop`).
pub struct ShapingProxy {
    /// Its port on 127.0.0.1.
    pub port: u16,
    up: Arc<Direction>,
    down: Arc<Direction>,
    connections: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl ShapingProxy {
    /// A proxy on a free port relaying to `127.0.0.1:upstream_port`.
    pub fn start(upstream_port: u16, shape: LinkShape) -> ShapingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let dir = || {
            Arc::new(Direction {
                free_at: Mutex::new(Instant::now()),
                bytes: AtomicU64::new(0),
            })
        };
        let (up, down) = (dir(), dir());
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicU64::new(0));
        {
            let (up, down, stop, connections) =
                (up.clone(), down.clone(), stop.clone(), connections.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(client) = conn else { continue };
                    let Ok(server) = TcpStream::connect(("127.0.0.1", upstream_port)) else {
                        continue;
                    };
                    connections.fetch_add(1, Ordering::SeqCst);
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                    relay(client, server, up.clone(), shape);
                    relay(s2, c2, down.clone(), shape);
                }
            });
        }
        ShapingProxy {
            port,
            up,
            down,
            connections,
            stop,
        }
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Bytes carried client → server and server → client so far, and the
    /// connections opened.
    pub fn counters(&self) -> (u64, u64, u64) {
        (
            self.up.bytes.load(Ordering::SeqCst),
            self.down.bytes.load(Ordering::SeqCst),
            self.connections.load(Ordering::SeqCst),
        )
    }
}

impl Drop for ShapingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Relays `from` → `to` through `dir`: a reader thread stamps each read
/// with its release time, a writer thread waits for it and writes.
fn relay(mut from: TcpStream, mut to: TcpStream, dir: Arc<Direction>, shape: LinkShape) {
    // About 4 MiB in flight per connection and direction (more than a
    // 1 Gbit/s x 20 ms link holds).
    let (tx, rx) = sync_channel::<(Instant, Vec<u8>)>(64);
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let now = Instant::now();
            let on_wire = Duration::from_nanos(
                (n as u64 * 8).saturating_mul(1_000_000_000) / shape.bits_per_second.max(1),
            );
            let release = {
                let mut free = dir.free_at.lock().unwrap();
                let start = (*free).max(now);
                *free = start + on_wire;
                *free + shape.rtt / 2
            };
            dir.bytes.fetch_add(n as u64, Ordering::SeqCst);
            if tx.send((release, buf[..n].to_vec())).is_err() {
                break;
            }
        }
    });
    std::thread::spawn(move || {
        while let Ok((release, data)) = rx.recv() {
            let now = Instant::now();
            if release > now {
                std::thread::sleep(release - now);
            }
            if to.write_all(&data).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An echo server on 127.0.0.1 (one thread per connection).
    fn echo() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut c) = conn else { continue };
                std::thread::spawn(move || {
                    let mut w = c.try_clone().unwrap();
                    let _ = std::io::copy(&mut c, &mut w);
                });
            }
        });
        port
    }

    /// A proxy with this link in front of an [`echo`] server.
    fn echo_through(rtt: Duration, bits_per_second: u64) -> ShapingProxy {
        let shape = LinkShape {
            rtt,
            bits_per_second,
        };
        ShapingProxy::start(echo(), shape)
    }

    /// Sends `data` through the proxy to the echo server and reads it back.
    fn round_trip(proxy: &ShapingProxy, data: &[u8]) -> Duration {
        let mut c = TcpStream::connect(proxy.host()).unwrap();
        let mut w = c.try_clone().unwrap();
        let owned = data.to_vec();
        let t0 = Instant::now();
        let writer = std::thread::spawn(move || w.write_all(&owned).unwrap());
        let mut back = vec![0u8; data.len()];
        c.read_exact(&mut back).unwrap();
        let elapsed = t0.elapsed();
        writer.join().unwrap();
        assert_eq!(back, data, "the proxy must relay the bytes unchanged");
        elapsed
    }

    #[test]
    fn a_round_trip_takes_at_least_the_rtt() {
        let rtt = Duration::from_millis(80);
        let proxy = echo_through(rtt, 1_000_000_000);
        for _ in 0..3 {
            let t = round_trip(&proxy, b"x");
            assert!(
                t >= rtt,
                "a 1-byte round trip took {t:?}, expected >= {rtt:?}"
            );
        }
        let (up, down, conns) = proxy.counters();
        assert_eq!((up, down, conns), (3, 3, 3));
    }

    #[test]
    fn bytes_are_paced_at_the_bandwidth() {
        // 8 Mbit/s = 1 MB/s: 256 KiB need >= 262 ms on the wire each way
        // (pipelined), plus the round trip.
        let rtt = Duration::from_millis(10);
        let proxy = echo_through(rtt, 8_000_000);
        let data: Vec<u8> = (0..256 * 1024).map(|i| (i % 251) as u8).collect();
        let t = round_trip(&proxy, &data);
        let wire = Duration::from_nanos(data.len() as u64 * 8 * 1000 / 8);
        assert!(
            t >= wire + rtt,
            "256 KiB round trip took {t:?}, expected >= {:?}",
            wire + rtt
        );
        assert_eq!(proxy.counters().0, data.len() as u64);
    }
}
