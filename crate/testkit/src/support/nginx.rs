//! Real nginx (`/usr/sbin/nginx`) on 127.0.0.1 as a reverse proxy in front
//! of a registry, with a request body limit (`client_max_body_size`) and
//! nginx's own request buffering on or off. Killed on `Drop`.

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{free_port, TempDir};

/// The nginx binary (Debian's nginx-light).
pub const NGINX_BIN: &str = "/usr/sbin/nginx";

/// How the proxy is set up.
#[derive(Debug, Clone)]
pub struct NginxOptions {
    /// `client_max_body_size`, e.g. `8m` (nginx's default is `1m`; `0`: no limit).
    pub max_body: String,
    /// `proxy_request_buffering`: nginx reads a whole request body before
    /// it opens the upstream request (its default), so a client cut in the
    /// middle of a body never reaches the registry.
    pub request_buffering: bool,
}

/// A running nginx proxying `/v2/` to an upstream registry.
pub struct Nginx {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Its configuration and logs.
    pub dir: TempDir,
    child: Option<Child>,
}

impl Nginx {
    /// Starts nginx on a free port in front of `upstream` (`host:port`).
    pub fn start(upstream: &str, options: &NginxOptions) -> Nginx {
        assert!(
            Path::new(NGINX_BIN).exists(),
            "{NGINX_BIN} is missing: install Debian's nginx-light package (scripts/setup.sh does)"
        );
        let dir = TempDir::new("nginx");
        let port = free_port();
        let p = dir.path().display().to_string();
        let user = if is_root() { "user root root;" } else { "" };
        let buffering = if options.request_buffering {
            "on"
        } else {
            "off"
        };
        let conf = format!(
            r#"{user}
worker_processes 1;
pid {p}/nginx.pid;
error_log {p}/error.log warn;
daemon off;
events {{ worker_connections 256; }}
http {{
    access_log {p}/access.log;
    client_body_temp_path {p}/client_body;
    proxy_temp_path {p}/proxy;
    fastcgi_temp_path {p}/fastcgi;
    uwsgi_temp_path {p}/uwsgi;
    scgi_temp_path {p}/scgi;
    upstream registry {{ server {upstream}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{port};
        location /v2/ {{
            proxy_pass http://registry;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto $scheme;
            client_max_body_size {max};
            proxy_request_buffering {buffering};
            proxy_buffering off;
        }}
    }}
}}
"#,
            max = options.max_body,
        );
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = Command::new(NGINX_BIN)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf_path)
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let mut n = Nginx {
            port,
            dir,
            child: Some(child),
        };
        n.wait_ready();
        n
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(status)) = c.try_wait() {
                    panic!("nginx exited ({status}):\n{}", self.log());
                }
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "nginx did not listen on 127.0.0.1:{} within 15 s:\n{}",
            self.port,
            self.log()
        );
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Its error log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    /// Its access log (one line per request: method, URL, status).
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default()
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
