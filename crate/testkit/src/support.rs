//! Real-registry test support: Distribution (`/usr/bin/docker-registry`) on
//! 127.0.0.1 in three auth modes, a token issuer, a fault-injecting proxy,
//! and plan builders. Every process started here is killed on `Drop`;
//! nothing listens beyond loopback. A missing `docker-registry` fails the
//! test (it is not skipped).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airlock_core::digest::Digest;
use airlock_core::plan::{BlobSource, PlannedManifest, RelocationPlan};
use airlock_core::reference::Repository;

use crate::random::Rng;

pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";
pub const USER: &str = "airlock";
pub const PASSWORD: &str = "airlock-pass";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("airlock-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// How the registry authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    None,
    /// htpasswd Basic auth with USER / PASSWORD.
    Basic,
    /// Docker token auth with a local issuer accepting USER / PASSWORD.
    Token,
}

/// A running Distribution registry.
pub struct TestRegistry {
    pub auth: Auth,
    pub port: u16,
    pub dir: TempDir,
    registry: Option<Child>,
    issuer: Option<Child>,
    pub issuer_port: Option<u16>,
    /// With TLS: the CA that signed the registry's certificate.
    pub ca_cert: Option<PathBuf>,
}

impl TestRegistry {
    pub fn start(auth: Auth) -> TestRegistry {
        TestRegistry::start_with(auth, false)
    }

    /// Serving HTTPS only, with a certificate for 127.0.0.1 signed by a
    /// test CA (`ca_cert`).
    pub fn start_tls(auth: Auth) -> TestRegistry {
        TestRegistry::start_with(auth, true)
    }

    /// On a given port (e.g. 5000, where the golden fixtures' refs point).
    pub fn start_on_port(auth: Auth, port: u16) -> TestRegistry {
        TestRegistry::start_full(auth, false, port)
    }

    fn start_with(auth: Auth, tls: bool) -> TestRegistry {
        TestRegistry::start_full(auth, tls, free_port())
    }

    fn start_full(auth: Auth, tls: bool, port: u16) -> TestRegistry {
        assert!(
            Path::new(REGISTRY_BIN).exists(),
            "{REGISTRY_BIN} is missing: install Debian's docker-registry package (these tests need a real registry)"
        );
        let dir = TempDir::new("registry");
        let mut r = TestRegistry {
            auth,
            port,
            dir,
            registry: None,
            issuer: None,
            issuer_port: None,
            ca_cert: None,
        };
        if tls {
            r.make_certs();
        }
        if auth == Auth::Token {
            r.start_issuer();
        }
        if auth == Auth::Basic {
            let st = Command::new("htpasswd")
                .args(["-bBc"])
                .arg(r.dir.path().join("htpasswd"))
                .args([USER, PASSWORD])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("htpasswd (apache2-utils) is needed for Basic auth tests");
            assert!(st.success());
        }
        r.write_config();
        r.spawn();
        r
    }

    fn start_issuer(&mut self) {
        let d = self.dir.path();
        let st = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=airlock-test-issuer",
                "-keyout",
            ])
            .arg(d.join("issuer-key.pem"))
            .arg("-out")
            .arg(d.join("issuer-cert.pem"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl is needed for token auth tests");
        assert!(st.success(), "openssl req failed");
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/support/token_issuer.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args([
                "--port",
                "0",
                "--issuer",
                "airlock-test-issuer",
                "--service",
                "airlock-test-registry",
            ])
            .args(["--user", USER, "--password", PASSWORD])
            .arg("--key")
            .arg(d.join("issuer-key.pem"))
            .arg("--cert")
            .arg(d.join("issuer-cert.pem"))
            .arg("--log")
            .arg(d.join("issuer.log"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 is needed for token auth tests");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line
            .trim()
            .strip_prefix("PORT=")
            .unwrap_or_else(|| panic!("token issuer said {line:?}"))
            .parse()
            .unwrap();
        self.issuer_port = Some(port);
        self.issuer = Some(child);
    }

    fn make_certs(&mut self) {
        let d = self.dir.path().to_path_buf();
        let run = |args: &[&str]| {
            let st = Command::new("openssl")
                .args(args)
                .current_dir(&d)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("openssl is needed for TLS tests");
            assert!(st.success(), "openssl {args:?} failed");
        };
        std::fs::write(
            d.join("ext.cnf"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        run(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=airlock-test-ca",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ]);
        run(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ]);
        run(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            "server.pem",
            "-extfile",
            "ext.cnf",
        ]);
        self.ca_cert = Some(d.join("ca.pem"));
    }

    fn write_config(&self) {
        let d = self.dir.path();
        let auth = match self.auth {
            Auth::None => String::new(),
            Auth::Basic => format!(
                "auth:\n  htpasswd:\n    realm: airlock-test\n    path: {}\n",
                d.join("htpasswd").display()
            ),
            Auth::Token => format!(
                "auth:\n  token:\n    realm: http://127.0.0.1:{}/token\n    service: airlock-test-registry\n    issuer: airlock-test-issuer\n    rootcertbundle: {}\n",
                self.issuer_port.unwrap(),
                d.join("issuer-cert.pem").display()
            ),
        };
        let tls = if self.ca_cert.is_some() {
            format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                d.join("server.pem").display(),
                d.join("server.key").display()
            )
        } else {
            String::new()
        };
        let config = format!(
            r#"version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: {data}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
{auth}http:
  addr: 127.0.0.1:{port}
  secret: airlock-test-not-secret
{tls}  headers:
    X-Content-Type-Options: [nosniff]
    Access-Control-Allow-Origin: ['*']
    Access-Control-Allow-Methods: ['HEAD, GET, OPTIONS, POST, PUT, PATCH, DELETE']
    Access-Control-Allow-Headers: ['Authorization, Accept, Content-Type, Content-Length, Content-Range, Range, Docker-Content-Digest']
    Access-Control-Expose-Headers: ['Docker-Content-Digest, Location, Content-Length, Range, Docker-Upload-UUID, WWW-Authenticate, Link']
"#,
            data = d.join("data").display(),
            port = self.port
        );
        std::fs::write(d.join("config.yml"), config).unwrap();
    }

    fn spawn(&mut self) {
        let d = self.dir.path();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(d.join("registry.log"))
            .unwrap();
        let child = Command::new(REGISTRY_BIN)
            .arg("serve")
            .arg(d.join("config.yml"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("spawning docker-registry");
        self.registry = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = simple_get_status(self.port, "/v2/") {
                if status == 200 || status == 401 || (status == 400 && self.ca_cert.is_some()) {
                    return;
                }
            }
            if let Some(Ok(Some(st))) = self.registry.as_mut().map(|c| c.try_wait()) {
                panic!("docker-registry exited early ({st}); log:\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "registry did not answer on 127.0.0.1:{}; log:\n{}",
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn repo(&self, path: &str) -> Repository {
        Repository::parse(&format!("{}/{path}", self.host())).unwrap()
    }

    /// Stops the registry process (storage kept).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.registry.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port and storage.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// The token issuer's request log: (user, scopes, status) per request.
    pub fn issuer_requests(&self) -> Vec<(String, Vec<String>, u16)> {
        let text = std::fs::read_to_string(self.dir.path().join("issuer.log")).unwrap_or_default();
        text.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    v["user"].as_str().unwrap_or("").to_string(),
                    v["scopes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| s.as_str().unwrap().to_string())
                        .collect(),
                    v["status"].as_u64().unwrap() as u16,
                )
            })
            .collect()
    }

    /// A bearer or basic `Authorization` value for verification requests.
    pub fn admin_auth(&self, scope: &str) -> Option<String> {
        use base64::Engine as _;
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
        );
        match self.auth {
            Auth::None => None,
            Auth::Basic => Some(basic),
            Auth::Token => {
                let url = format!(
                    "http://127.0.0.1:{}/token?service=airlock-test-registry&scope={}",
                    self.issuer_port.unwrap(),
                    scope
                );
                let mut r = ureq::get(&url)
                    .header("Authorization", &basic)
                    .call()
                    .unwrap();
                let v: serde_json::Value =
                    serde_json::from_slice(&r.body_mut().read_to_vec().unwrap()).unwrap();
                Some(format!("Bearer {}", v["token"].as_str().unwrap()))
            }
        }
    }

    /// GET a path with admin credentials; (status, headers, body).
    pub fn get(&self, path: &str, accept: Option<&str>) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let repo_scope = path
            .strip_prefix("/v2/")
            .and_then(|p| p.split("/manifests/").next())
            .map(|p| {
                p.split("/blobs/")
                    .next()
                    .unwrap()
                    .split("/tags/")
                    .next()
                    .unwrap()
                    .to_string()
            })
            .map(|r| format!("repository:{r}:pull"))
            .unwrap_or_default();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut req = agent.get(&format!("http://{}{path}", self.host()));
        if let Some(a) = self.admin_auth(&repo_scope) {
            req = req.header("Authorization", &a);
        }
        if let Some(a) = accept {
            req = req.header("Accept", a);
        }
        let mut r = req.call().unwrap();
        let status = r.status().as_u16();
        let headers = r
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let body = r
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()
            .unwrap();
        (status, headers, body)
    }

    pub fn manifest(&self, repo: &str, reference: &str) -> Option<Vec<u8>> {
        let (s, _, b) = self.get(
            &format!("/v2/{repo}/manifests/{reference}"),
            Some(airlock_core::manifest::media_type::ACCEPT_MANIFESTS),
        );
        (s == 200).then_some(b)
    }

    pub fn blob(&self, repo: &str, digest: &Digest) -> Option<Vec<u8>> {
        let (s, _, b) = self.get(&format!("/v2/{repo}/blobs/{digest}"), None);
        (s == 200).then_some(b)
    }

    pub fn tags(&self, repo: &str) -> Vec<String> {
        let (s, _, b) = self.get(&format!("/v2/{repo}/tags/list"), None);
        if s != 200 {
            return Vec::new();
        }
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        v["tags"]
            .as_array()
            .map(|a| a.iter().map(|t| t.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    }

    /// Every tag of `repo` points at a manifest whose blobs and children
    /// (recursively) are all fetchable and match their digests.
    pub fn assert_tags_complete(&self, repo: &str) -> usize {
        let tags = self.tags(repo);
        for t in &tags {
            let raw = self
                .manifest(repo, t)
                .unwrap_or_else(|| panic!("tag {t} listed but its manifest is missing"));
            self.assert_manifest_complete(repo, &raw, t);
        }
        tags.len()
    }

    fn assert_manifest_complete(&self, repo: &str, raw: &[u8], what: &str) {
        let m = airlock_core::manifest::Manifest::parse(raw.to_vec(), None).unwrap();
        match m {
            airlock_core::manifest::Manifest::Image(img) => {
                for d in std::iter::once(&img.config).chain(&img.layers) {
                    let b = self
                        .blob(repo, &d.digest)
                        .unwrap_or_else(|| panic!("{what}: blob {} missing", d.digest));
                    assert_eq!(Digest::of(&b), d.digest, "{what}: blob content");
                }
            }
            airlock_core::manifest::Manifest::Index(idx) => {
                for c in &idx.manifests {
                    let raw = self
                        .manifest(repo, &c.digest.to_string())
                        .unwrap_or_else(|| panic!("{what}: child {} missing", c.digest));
                    assert_eq!(Digest::of(&raw), c.digest);
                    self.assert_manifest_complete(repo, &raw, what);
                }
            }
        }
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        self.kill();
        if let Some(mut c) = self.issuer.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `GET path` with a bare TCP client; the status, or None if not answering.
fn simple_get_status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(
        &format!("127.0.0.1:{port}").parse().unwrap(),
        Duration::from_millis(200),
    )
    .ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).ok()?;
    line.split_whitespace().nth(1)?.parse().ok()
}

// ---- fault-injecting proxy ------------------------------------------------

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
}

/// An HTTP/1.1 proxy on 127.0.0.1 that injects faults: a deterministic
/// share of requests get 500 or a dropped connection, and exactly one gets
/// 429 with `Retry-After: 1`. One upstream connection per request.
pub struct FaultProxy {
    pub port: u16,
    pub requests: Arc<AtomicUsize>,
    pub faults: Arc<Mutex<Vec<(usize, Fault, String)>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl FaultProxy {
    /// `rate_percent` of requests (after the first `grace`) are faulted.
    pub fn start(upstream_port: u16, rate_percent: u64, seed: u64) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let faults = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let rng = Arc::new(Mutex::new(Rng::new(seed)));
        let sent_429 = Arc::new(std::sync::atomic::AtomicBool::new(false));
        {
            let (requests, faults, stop) = (requests.clone(), faults.clone(), stop.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(conn) = conn else { continue };
                    let (requests, faults, rng, sent_429) = (
                        requests.clone(),
                        faults.clone(),
                        rng.clone(),
                        sent_429.clone(),
                    );
                    std::thread::spawn(move || {
                        let _ = serve_conn(
                            conn,
                            upstream_port,
                            port,
                            rate_percent,
                            &requests,
                            &faults,
                            &rng,
                            &sent_429,
                        );
                    });
                }
            });
        }
        FaultProxy {
            port,
            requests,
            faults,
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

#[allow(clippy::too_many_arguments)]
fn serve_conn(
    mut client: TcpStream,
    upstream_port: u16,
    own_port: u16,
    rate: u64,
    requests: &AtomicUsize,
    faults: &Mutex<Vec<(usize, Fault, String)>>,
    rng: &Mutex<Rng>,
    sent_429: &std::sync::atomic::AtomicBool,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    // One request per connection: every answer closes it. A TLS
    // ClientHello (the client's https probe) is refused at once.
    if reader.fill_buf()?.first() == Some(&0x16) {
        let _ = client.shutdown(Shutdown::Both);
        return Ok(());
    }
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let end = line == "\r\n";
        head.push(line);
        if end {
            break;
        }
    }
    let request_line = head[0].trim().to_string();
    let content_length: u64 = head
        .iter()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    let n = requests.fetch_add(1, Ordering::SeqCst);
    let is_ping = request_line.starts_with("GET /v2/ ");
    let fault = if n == 0 || is_ping {
        Fault::Forward
    } else if !sent_429.load(Ordering::SeqCst) && n >= 3 {
        sent_429.store(true, Ordering::SeqCst);
        Fault::TooMany
    } else if rng.lock().unwrap().below(100) < rate {
        match rng.lock().unwrap().below(3) {
            0 => Fault::Error500,
            1 => Fault::DropBefore,
            _ => Fault::DropAfter,
        }
    } else {
        Fault::Forward
    };
    faults
        .lock()
        .unwrap()
        .push((n, fault, request_line.clone()));
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
        Fault::Forward | Fault::DropAfter => {
            let mut up = TcpStream::connect(("127.0.0.1", upstream_port))?;
            for line in &head {
                let lower = line.to_ascii_lowercase();
                if lower.starts_with("connection:") {
                    continue;
                }
                if lower.starts_with("host:") {
                    // Keep the proxy's address so Locations point back here.
                    up.write_all(format!("Host: 127.0.0.1:{own_port}\r\n").as_bytes())?;
                } else if line == "\r\n" {
                    up.write_all(b"Connection: close\r\n\r\n")?;
                } else {
                    up.write_all(line.as_bytes())?;
                }
            }
            std::io::copy(&mut (&mut reader).take(content_length), &mut up)?;
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

// ---- plan builders -----------------------------------------------------------

// Shared by several test crates; each uses only some of them.
#[allow(unused_imports)]
pub use crate::random::bytes;
#[allow(unused_imports)]
pub use crate::synth::plans::{image, index, inline_blob, item, small_plan};
#[allow(unused_imports)]
pub use airlock_core::manifest::media_type::OCI_MANIFEST;

/// Asserts every manifest of the plan is in the registry byte for byte,
/// upload tags and final tags included.
pub fn assert_plan_present(reg: &TestRegistry, plan: &RelocationPlan) {
    let repo = plan.repository.path();
    fn walk(reg: &TestRegistry, repo: &str, m: &PlannedManifest) {
        assert_eq!(
            reg.manifest(repo, &m.digest.to_string()).as_deref(),
            Some(m.raw.as_slice()),
            "manifest {}",
            m.digest
        );
        for b in &m.blobs {
            if b.source != BlobSource::Skip {
                assert!(reg.blob(repo, &b.digest).is_some(), "blob {}", b.digest);
            }
        }
        for c in &m.children {
            walk(reg, repo, c);
        }
    }
    for it in plan.items.iter().chain(&plan.locations) {
        walk(reg, &repo, &it.manifest);
        for t in &it.tags {
            assert_eq!(
                reg.manifest(&repo, t).as_deref(),
                Some(it.manifest.raw.as_slice()),
                "tag {t}"
            );
        }
    }
    for t in &plan.tags {
        assert_eq!(
            reg.manifest(&repo, &t.tag).as_deref(),
            Some(t.raw.as_slice()),
            "tag {}",
            t.tag
        );
    }
}

// ---- running copies ----------------------------------------------------------

use airlock_cli::transport::{run_copy, NativeConfig, NativeTransport};
use airlock_core::registry::auth::Keychain;
use airlock_core::registry::copy::{CopyError, CopyEvent, CopyOptions, CopySession, CopySummary};
use airlock_core::registry::{Client, ClientConfig};

pub fn transport() -> NativeTransport {
    NativeTransport::new(&NativeConfig::default()).unwrap()
}

/// Runs a copy of `plan` with the given credentials.
pub fn copy(
    plan: &RelocationPlan,
    keychain: Box<dyn Keychain>,
    options: CopyOptions,
) -> (Result<CopySummary, CopyError>, Vec<CopyEvent>) {
    copy_with(
        &transport(),
        plan,
        keychain,
        options,
        ClientConfig::default(),
        &mut |_| {},
    )
}

pub fn copy_with(
    transport: &NativeTransport,
    plan: &RelocationPlan,
    keychain: Box<dyn Keychain>,
    options: CopyOptions,
    config: ClientConfig,
    on_event: &mut dyn FnMut(&CopyEvent),
) -> (Result<CopySummary, CopyError>, Vec<CopyEvent>) {
    let client = Client::new(config, keychain);
    let mut session = CopySession::new(client, plan.clone(), options);
    let mut events = Vec::new();
    let r = run_copy(transport, &mut session, &mut |e| {
        on_event(&e);
        events.push(e);
    });
    (r, events)
}
