//! Starting and stopping a Distribution registry (and its token issuer)
//! on 127.0.0.1.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use airlock_core::reference::Repository;

use super::{free_port, TempDir};

pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// The `http.headers` every test and demo registry sends (the page reads
/// the registry cross-origin); `tests/support/registry-cors.yml`.
const CORS_HEADERS: &str = include_str!("../../../../tests/support/registry-cors.yml");
pub const USER: &str = "airlock";
pub const PASSWORD: &str = "airlock-pass";

/// How the registry authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    None,
    /// htpasswd Basic auth with USER / PASSWORD.
    Basic,
    /// Docker token auth with a local issuer accepting USER / PASSWORD.
    Token,
}

/// How to start a [`TestRegistry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistryOptions {
    /// How clients authenticate.
    pub auth: Auth,
    /// Serve HTTPS only, with a certificate for 127.0.0.1 signed by a test
    /// CA ([`TestRegistry::ca_cert`]).
    pub tls: bool,
    /// The port to listen on (`None`: a free one).
    pub port: Option<u16>,
    /// Accept manifests whose layers list `https://` URLs (foreign,
    /// non-distributable layers), which Distribution refuses by default
    /// (`validation.manifests.urls.allow`).
    pub allow_layer_urls: bool,
}

impl RegistryOptions {
    /// Plain HTTP on a free port, layer URLs refused.
    pub fn new(auth: Auth) -> RegistryOptions {
        RegistryOptions {
            auth,
            tls: false,
            port: None,
            allow_layer_urls: false,
        }
    }
}

/// A running Distribution registry.
pub struct TestRegistry {
    /// How clients authenticate.
    pub auth: Auth,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Its configuration, storage and logs.
    pub dir: TempDir,
    registry: Option<Child>,
    issuer: Option<Child>,
    /// With [`Auth::Token`]: the token issuer's port on 127.0.0.1.
    pub issuer_port: Option<u16>,
    /// With TLS: the CA that signed the registry's certificate.
    pub ca_cert: Option<PathBuf>,
    allow_layer_urls: bool,
}

impl TestRegistry {
    /// Plain HTTP on a free port.
    pub fn start(auth: Auth) -> TestRegistry {
        TestRegistry::start_with_options(RegistryOptions::new(auth))
    }

    /// Serving HTTPS only, with a certificate for 127.0.0.1 signed by a
    /// test CA (`ca_cert`).
    pub fn start_tls(auth: Auth) -> TestRegistry {
        TestRegistry::start_with_options(RegistryOptions {
            tls: true,
            ..RegistryOptions::new(auth)
        })
    }

    /// On a given port (e.g. 5000, where the golden fixtures' refs point).
    pub fn start_on_port(auth: Auth, port: u16) -> TestRegistry {
        TestRegistry::start_with_options(RegistryOptions {
            port: Some(port),
            ..RegistryOptions::new(auth)
        })
    }

    /// As `options` say.
    pub fn start_with_options(options: RegistryOptions) -> TestRegistry {
        let RegistryOptions {
            auth,
            tls,
            port,
            allow_layer_urls,
        } = options;
        let port = port.unwrap_or_else(free_port);
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
            allow_layer_urls,
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
        self_signed(
            d,
            "airlock-test-issuer",
            "issuer-key.pem",
            "issuer-cert.pem",
        );
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
        let run = |args: &[&str]| openssl(&d, args);
        std::fs::write(
            d.join("ext.cnf"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        self_signed(&d, "airlock-test-ca", "ca.key", "ca.pem");
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
        let validation = if self.allow_layer_urls {
            "validation:\n  manifests:\n    urls:\n      allow:\n        - ^https://\n"
        } else {
            ""
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
{auth}{validation}http:
  addr: 127.0.0.1:{port}
  secret: airlock-test-not-secret
{tls}{CORS_HEADERS}"#,
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

/// `openssl ARGS` in `dir`; panics when it fails.
fn openssl(dir: &Path, args: &[&str]) {
    let st = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl is needed for TLS and token auth tests");
    assert!(st.success(), "openssl {args:?} failed");
}

/// A self-signed RSA certificate for `cn` (valid two days) and its key,
/// written in `dir`.
fn self_signed(dir: &Path, cn: &str, key: &str, cert: &str) {
    let subj = format!("/CN={cn}");
    openssl(
        dir,
        &[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", &subj,
            "-keyout", key, "-out", cert,
        ],
    );
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
