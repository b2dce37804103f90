//! Native transport: drives any [`Machine`] with `ureq` (rustls) on a small
//! pool of std threads. No async runtime.
//!
//! ```text
//!   driver thread                         worker threads (N)
//!   machine.poll_transmit(now) ──jobs──>  perform HttpRequest
//!                                           (stream blob bodies from the tar
//!                                            file / memory / source registry)
//!   machine.handle_response  <──results── response or TransportError
//!   machine.handle_progress  <──progress─ bytes sent
//!   sleep until poll_timeout() when nothing is in flight
//! ```
//!
//! Redirects are not followed here (the core does it, dropping credentials
//! when the origin changes), except for the source `GET` piped into a blob
//! upload, which this module follows itself under the same rule.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use ureq::{Agent, SendBody};

use airlock_core::digest::{Digest, Hasher};
use airlock_core::discover::RegistryReader;
use airlock_core::plan::BlobSource;
use airlock_core::reference::{Reference, Repository};
use airlock_core::registry::copy::{CopyError, CopyEvent, CopySession, CopySummary};
use airlock_core::registry::credentials::{
    CredentialChain, CredentialError, DockerConfig, GlobalCredentials,
};
use airlock_core::registry::download::{Downloaded, Downloads};
use airlock_core::registry::http::{
    url_origin, BlobBody, BlobSink, HttpRequest, HttpResponse, Method, RequestBody, TransportError,
    TransportErrorKind,
};
use airlock_core::registry::read::{FetchedImage, LocationsImage, Read as ReadHelper, ReadOutput};
use airlock_core::registry::{Client, Machine, RegistryError, RequestId};

/// Connection settings (imgpkg's `--registry-*` flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeConfig {
    /// Extra CA certificates (PEM files), added to the system roots.
    pub ca_cert_paths: Vec<PathBuf>,
    /// `--registry-verify-certs` (default true).
    pub verify_certs: bool,
    /// `--registry-response-header-timeout` (default 30 s).
    pub response_header_timeout: Duration,
    /// Connection setup timeout.
    pub connect_timeout: Duration,
    /// Worker threads (requests performed at once). The machine limits its
    /// own concurrency; this only needs to be a little above it.
    pub workers: usize,
}

impl Default for NativeConfig {
    fn default() -> Self {
        NativeConfig {
            ca_cert_paths: Vec::new(),
            verify_certs: true,
            response_header_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(30),
            workers: 8,
        }
    }
}

/// Setting up the transport failed.
#[derive(Debug, thiserror::Error)]
pub enum NativeSetupError {
    #[error("Reading CA certificates from '{path}': {source}")]
    ReadCa {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("Adding CA certificates from '{0}': failed")]
    AddCa(String),
    #[error("opening {path}: {source}")]
    OpenTar {
        path: String,
        #[source]
        source: io::Error,
    },
}

/// Driving a machine stopped without it finishing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriveError {
    #[error("internal error: the registry session stalled (nothing in flight, nothing scheduled)")]
    Stalled,
}

impl From<DriveError> for RegistryError {
    fn from(e: DriveError) -> RegistryError {
        match e {
            DriveError::Stalled => RegistryError::Stalled,
        }
    }
}

/// Where system CA bundles usually are.
const SYSTEM_CA_FILES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// The native transport (cheap to clone).
#[derive(Clone)]
pub struct NativeTransport {
    agent: Agent,
    tar: Option<Arc<File>>,
    output: Option<Arc<File>>,
    workers: usize,
}

impl std::fmt::Debug for NativeTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeTransport")
            .field("tar", &self.tar.is_some())
            .field("workers", &self.workers)
            .finish()
    }
}

fn load_pem(path: &Path) -> Result<Vec<Certificate<'static>>, NativeSetupError> {
    let text = std::fs::read(path).map_err(|source| NativeSetupError::ReadCa {
        path: path.display().to_string(),
        source,
    })?;
    Ok(ureq::tls::parse_pem(&text)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(c)) => Some(c.to_owned()),
            _ => None,
        })
        .collect())
}

impl NativeTransport {
    pub fn new(config: &NativeConfig) -> Result<NativeTransport, NativeSetupError> {
        let mut tls = TlsConfig::builder();
        if !config.verify_certs {
            tls = tls.disable_verification(true);
        }
        if !config.ca_cert_paths.is_empty() {
            let mut roots = Vec::new();
            for sys in SYSTEM_CA_FILES {
                if let Ok(certs) = load_pem(Path::new(sys)) {
                    if !certs.is_empty() {
                        roots.extend(certs);
                        break;
                    }
                }
            }
            for p in &config.ca_cert_paths {
                let certs = load_pem(p)?;
                if certs.is_empty() {
                    return Err(NativeSetupError::AddCa(p.display().to_string()));
                }
                roots.extend(certs);
            }
            tls = tls.root_certs(RootCerts::Specific(Arc::new(roots)));
        }
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_recv_response(Some(config.response_header_timeout))
            .tls_config(tls.build())
            .build()
            .into();
        Ok(NativeTransport {
            agent,
            tar: None,
            output: None,
            workers: config.workers.max(1),
        })
    }

    /// The tar file that [`BlobSource::TarEntry`] offsets refer to.
    pub fn with_tar_file(mut self, file: File) -> NativeTransport {
        self.tar = Some(Arc::new(file));
        self
    }

    /// The file that blob downloads ([`BlobSink`]) are written into.
    pub fn with_output_file(mut self, file: File) -> NativeTransport {
        self.output = Some(Arc::new(file));
        self
    }

    pub fn with_tar_path(self, path: &Path) -> Result<NativeTransport, NativeSetupError> {
        let f = File::open(path).map_err(|source| NativeSetupError::OpenTar {
            path: path.display().to_string(),
            source,
        })?;
        Ok(self.with_tar_file(f))
    }

    /// Performs one request, blocking; `progress` gets cumulative body
    /// bytes sent.
    pub fn execute(
        &self,
        request: &HttpRequest,
        progress: &mut dyn FnMut(u64),
    ) -> Result<HttpResponse, TransportError> {
        let mut source_check = SourceCheck::default();
        let result = match &request.body {
            RequestBody::Empty => self.send(request, None, progress),
            RequestBody::Bytes(b) => {
                let mut r: Box<dyn Read + Send> = Box::new(SharedSlice {
                    data: b.clone(),
                    pos: 0,
                    end: b.len(),
                });
                self.send(request, Some((&mut r, b.len() as u64)), progress)
            }
            RequestBody::Blob(blob) => {
                let mut reader = self.blob_reader(blob, &mut source_check)?;
                self.send(request, Some((&mut reader, blob.length)), progress)
            }
        };
        match (result, source_check.take_error()) {
            (_, Some(e)) => Err(e),
            (r, None) => r,
        }
    }

    fn send(
        &self,
        request: &HttpRequest,
        body: Option<(&mut Box<dyn Read + Send>, u64)>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<HttpResponse, TransportError> {
        let mut builder = ureq::http::Request::builder()
            .method(request.method.as_str())
            .uri(&request.url);
        for (k, v) in &request.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let has_body = matches!(request.method, Method::Post | Method::Put | Method::Patch);
        let response = if has_body {
            let len = body.as_ref().map(|(_, l)| *l).unwrap_or(0);
            builder = builder.header("content-length", len.to_string());
            match body {
                Some((reader, _)) => {
                    let mut counting = CountingReader {
                        inner: reader,
                        sent: 0,
                        last_report: 0,
                        progress,
                    };
                    let req = builder
                        .body(SendBody::from_reader(&mut counting))
                        .map_err(|e| {
                            TransportError::new(TransportErrorKind::Other, e.to_string())
                        })?;
                    let r = self.agent.run(req);
                    let sent = counting.sent;
                    (counting.progress)(sent);
                    r
                }
                None => {
                    let req = builder.body(SendBody::none()).map_err(|e| {
                        TransportError::new(TransportErrorKind::Other, e.to_string())
                    })?;
                    self.agent.run(req)
                }
            }
        } else {
            let req = builder
                .body(())
                .map_err(|e| TransportError::new(TransportErrorKind::Other, e.to_string()))?;
            self.agent.run(req)
        };
        let mut response = response.map_err(map_error)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = if request.method == Method::Head {
            Vec::new()
        } else if let (Some(sink), 200) = (&request.sink, status) {
            let Some(file) = &self.output else {
                return Err(TransportError::new(
                    TransportErrorKind::Other,
                    "a blob download was asked for, but the transport has no output file",
                ));
            };
            let mut reader = response
                .body_mut()
                .with_config()
                .limit(sink.size.saturating_add(1))
                .reader();
            write_blob_at(&mut reader, file, sink)?;
            Vec::new()
        } else {
            response
                .body_mut()
                .with_config()
                .limit(request.max_response_body)
                .read_to_vec()
                .map_err(map_error)?
        };
        Ok(HttpResponse::new(status, headers, body))
    }

    fn blob_reader(
        &self,
        blob: &BlobBody,
        check: &mut SourceCheck,
    ) -> Result<Box<dyn Read + Send>, TransportError> {
        let whole = blob.offset == 0 && blob.length == blob.size;
        let inner: Box<dyn Read + Send> = match &blob.source {
            BlobSource::Inline(bytes) => {
                let start = blob.offset as usize;
                let end = (blob.offset + blob.length) as usize;
                if end > bytes.len() {
                    return Err(TransportError::new(
                        TransportErrorKind::Source,
                        format!(
                            "blob {} has {} bytes, {end} wanted",
                            blob.digest,
                            bytes.len()
                        ),
                    ));
                }
                Box::new(SharedSlice {
                    data: bytes.clone(),
                    pos: start,
                    end,
                })
            }
            BlobSource::TarEntry { offset, .. } => {
                let Some(file) = &self.tar else {
                    return Err(TransportError::new(
                        TransportErrorKind::Source,
                        format!(
                            "blob {} comes from a tar, but no tar file was given to the transport",
                            blob.digest
                        ),
                    ));
                };
                Box::new(RangeReader {
                    file: file.clone(),
                    pos: offset + blob.offset,
                    remaining: blob.length,
                })
            }
            BlobSource::Registry { .. } => {
                let Some(fetch) = &blob.fetch else {
                    return Err(TransportError::new(
                        TransportErrorKind::Other,
                        format!("blob {} from a registry has no source request", blob.digest),
                    ));
                };
                self.open_source(fetch, blob)?
            }
            BlobSource::Skip => {
                return Err(TransportError::new(
                    TransportErrorKind::Source,
                    format!(
                        "blob {} is not part of the source (non-distributable)",
                        blob.digest
                    ),
                ))
            }
        };
        let state = Arc::new(Mutex::new(None));
        check.error = Some(state.clone());
        Ok(Box::new(VerifyingReader {
            inner,
            hasher: whole.then(Hasher::new),
            expected: blob.digest,
            length: blob.length,
            read: 0,
            error: state,
        }))
    }

    /// `GET`s a blob from its source registry for piping, following
    /// redirects and dropping `Authorization` when the origin changes.
    fn open_source(
        &self,
        fetch: &HttpRequest,
        blob: &BlobBody,
    ) -> Result<Box<dyn Read + Send>, TransportError> {
        let mut url = fetch.url.clone();
        let origin = url_origin(&fetch.url);
        for _ in 0..10 {
            let mut b = ureq::http::Request::builder().method("GET").uri(&url);
            for (k, v) in &fetch.headers {
                if k.eq_ignore_ascii_case("authorization") && url_origin(&url) != origin {
                    continue;
                }
                b = b.header(k.as_str(), v.as_str());
            }
            if blob.offset > 0 {
                b = b.header(
                    "range",
                    format!("bytes={}-{}", blob.offset, blob.offset + blob.length - 1),
                );
            }
            let req = b
                .body(())
                .map_err(|e| TransportError::new(TransportErrorKind::Other, e.to_string()))?;
            let resp = self.agent.run(req).map_err(map_error)?;
            let status = resp.status().as_u16();
            if matches!(status, 301 | 302 | 303 | 307 | 308) {
                let Some(loc) = resp.headers().get("location").and_then(|v| v.to_str().ok()) else {
                    break;
                };
                url = airlock_core::registry::http::resolve_location(&url, loc);
                continue;
            }
            if status != 200 && status != 206 {
                // Describe the source's answer the way every registry error
                // is described: its error envelope, or a bounded text body.
                let body = resp
                    .into_body()
                    .into_with_config()
                    .limit(16 << 10)
                    .read_to_vec()
                    .unwrap_or_default();
                let answer = airlock_core::registry::RegistryError::from_response(
                    airlock_core::registry::Method::Get,
                    &url,
                    &HttpResponse {
                        status,
                        headers: Vec::new(),
                        body,
                    },
                );
                return Err(TransportError::new(
                    TransportErrorKind::SourceStatus(status),
                    format!("source of blob {}: {answer}", blob.digest),
                ));
            }
            return Ok(Box::new(
                resp.into_body().into_with_config().limit(u64::MAX).reader(),
            ));
        }
        Err(TransportError::new(
            TransportErrorKind::Other,
            format!(
                "GET {} (source of blob {}): too many redirects",
                fetch.url, blob.digest
            ),
        ))
    }

    /// Drives `machine` until it finishes. `on_wake` runs on the driver
    /// thread after every batch of activity (drain events there).
    pub fn drive<M: Machine + ?Sized>(
        &self,
        machine: &mut M,
        on_wake: &mut dyn FnMut(&mut M),
    ) -> Result<(), DriveError> {
        let start = Instant::now();
        let now = || start.elapsed().as_millis() as u64;
        let (job_tx, job_rx) = mpsc::channel::<(RequestId, HttpRequest)>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (msg_tx, msg_rx) = mpsc::channel::<Msg>();
        for _ in 0..self.workers {
            let rx = job_rx.clone();
            let tx = msg_tx.clone();
            let transport = self.clone();
            std::thread::spawn(move || loop {
                let job = match rx.lock() {
                    Ok(guard) => guard.recv(),
                    Err(_) => return,
                };
                let Ok((id, request)) = job else { return };
                let progress_tx = tx.clone();
                let mut progress = |n: u64| {
                    let _ = progress_tx.send(Msg::Progress(id, n));
                };
                let result = transport.execute(&request, &mut progress);
                if tx.send(Msg::Response(id, result)).is_err() {
                    return;
                }
            });
        }
        drop(msg_tx);
        let mut in_flight = 0usize;
        loop {
            while let Some(t) = machine.poll_transmit(now()) {
                in_flight += 1;
                if job_tx.send((t.id, t.request)).is_err() {
                    break;
                }
            }
            on_wake(machine);
            if machine.is_finished() {
                return Ok(());
            }
            let deadline = machine.poll_timeout();
            let msg = if in_flight == 0 {
                match deadline {
                    Some(t) => {
                        let n = now();
                        if t > n {
                            std::thread::sleep(Duration::from_millis(t - n));
                        }
                        continue;
                    }
                    None => return Err(DriveError::Stalled),
                }
            } else {
                match deadline {
                    Some(t) => {
                        let wait = t.saturating_sub(now());
                        match msg_rx.recv_timeout(Duration::from_millis(wait)) {
                            Ok(m) => m,
                            Err(RecvTimeoutError::Timeout) => continue,
                            Err(RecvTimeoutError::Disconnected) => return Err(DriveError::Stalled),
                        }
                    }
                    None => match msg_rx.recv() {
                        Ok(m) => m,
                        Err(_) => return Err(DriveError::Stalled),
                    },
                }
            };
            match msg {
                Msg::Response(id, r) => {
                    in_flight -= 1;
                    machine.handle_response(id, now(), r);
                }
                Msg::Progress(id, n) => machine.handle_progress(id, n),
            }
        }
    }
}

/// imgpkg's keychain from this process's environment, the given flags, and
/// the Docker config file (`$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`; a missing file is fine).
pub fn keychain_from_environment(
    flags: GlobalCredentials,
) -> Result<CredentialChain, CredentialError> {
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let docker = load_docker_config(&env)?;
    CredentialChain::new(&env, flags, docker)
}

/// Reads the Docker config file the environment points at, if it exists.
pub fn load_docker_config(
    env: &BTreeMap<String, String>,
) -> Result<Option<DockerConfig>, CredentialError> {
    let dir = match env.get("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => match env.get("HOME").filter(|h| !h.is_empty()) {
            Some(h) => Path::new(h).join(".docker"),
            None => return Ok(None),
        },
    };
    let path = dir.join("config.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => DockerConfig::parse(&path.display().to_string(), &text).map(Some),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CredentialError::DockerConfig {
            path: path.display().to_string(),
            message: e.to_string(),
        }),
    }
}

enum Msg {
    Response(RequestId, Result<HttpResponse, TransportError>),
    Progress(RequestId, u64),
}

/// Runs a copy session to the end, passing every event to `on_event`.
pub fn run_copy(
    transport: &NativeTransport,
    session: &mut CopySession,
    on_event: &mut dyn FnMut(CopyEvent),
) -> Result<CopySummary, CopyError> {
    let drive = transport.drive(session, &mut |s: &mut CopySession| {
        while let Some(e) = s.poll_event() {
            on_event(e);
        }
    });
    while let Some(e) = session.poll_event() {
        on_event(e);
    }
    if let Err(e) = drive {
        return Err(CopyError::Registry {
            action: "copying".into(),
            source: e.into(),
        });
    }
    session.result().unwrap_or(Err(CopyError::Cancelled))
}

/// Runs a read helper to the end.
pub fn run_read(
    transport: &NativeTransport,
    read: &mut ReadHelper,
) -> Result<ReadOutput, RegistryError> {
    transport
        .drive(read, &mut |_| {})
        .map_err(RegistryError::from)?;
    read.take_result()
        .unwrap_or_else(|| Err(RegistryError::NoResult { what: "read" }))
}

/// [`RegistryReader`] over this transport: each read runs to the end with
/// [`run_read`], reusing one client (and its tokens).
pub struct NativeReader<'t> {
    transport: &'t NativeTransport,
    client: Option<Client>,
}

impl<'t> NativeReader<'t> {
    pub fn new(transport: &'t NativeTransport, client: Client) -> NativeReader<'t> {
        NativeReader {
            transport,
            client: Some(client),
        }
    }

    /// The client back, with its cached tokens.
    pub fn into_client(self) -> Client {
        self.client.expect("client present between reads")
    }

    fn run(
        &mut self,
        make: impl FnOnce(Client) -> ReadHelper,
    ) -> Result<ReadOutput, RegistryError> {
        let client = self.client.take().expect("client present between reads");
        let mut read = make(client);
        let r = run_read(self.transport, &mut read);
        self.client = Some(read.into_client());
        r
    }
}

fn unexpected(o: ReadOutput) -> RegistryError {
    RegistryError::UnexpectedOutput {
        output: format!("{o:?}"),
        context: "of a read".into(),
    }
}

impl RegistryReader for NativeReader<'_> {
    async fn fetch_image(
        &mut self,
        reference: &Reference,
        with_config: bool,
    ) -> Result<Option<FetchedImage>, RegistryError> {
        match self.run(|c| ReadHelper::fetch_image(c, reference, with_config))? {
            ReadOutput::Image(i) => Ok(i),
            o => Err(unexpected(o)),
        }
    }

    async fn fetch_blob(
        &mut self,
        repository: &Repository,
        digest: &Digest,
        max: u64,
    ) -> Result<Vec<u8>, RegistryError> {
        match self.run(|c| ReadHelper::fetch_blob(c, repository, digest, max))? {
            ReadOutput::Blob(b) => Ok(b),
            o => Err(unexpected(o)),
        }
    }

    async fn exists(
        &mut self,
        repository: &Repository,
        digest: &Digest,
    ) -> Result<bool, RegistryError> {
        match self.run(|c| ReadHelper::exists(c, repository, digest))? {
            ReadOutput::Exists(b) => Ok(b),
            o => Err(unexpected(o)),
        }
    }

    async fn fetch_locations(
        &mut self,
        repository: &Repository,
        bundle: &Digest,
    ) -> Result<Option<LocationsImage>, RegistryError> {
        match self.run(|c| ReadHelper::fetch_locations(c, repository, bundle))? {
            ReadOutput::Locations(l) => Ok(l),
            o => Err(unexpected(o)),
        }
    }
}

/// Runs blob downloads into the transport's output file; `on_done` gets
/// each finished blob.
pub fn run_downloads(
    transport: &NativeTransport,
    downloads: &mut Downloads,
    on_done: &mut dyn FnMut(Downloaded),
) -> Result<(), RegistryError> {
    let drive = transport.drive(downloads, &mut |d: &mut Downloads| {
        while let Some(x) = d.poll_done() {
            on_done(x);
        }
    });
    while let Some(x) = downloads.poll_done() {
        on_done(x);
    }
    drive.map_err(RegistryError::from)?;
    downloads
        .result()
        .unwrap_or_else(|| Err(RegistryError::NoResult { what: "downloads" }))
}

fn map_error(e: ureq::Error) -> TransportError {
    use ureq::Error as E;
    let kind = match &e {
        E::Timeout(_) => TransportErrorKind::Timeout,
        E::HostNotFound | E::ConnectionFailed => TransportErrorKind::Connect,
        E::Io(io) => match io.kind() {
            io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound => {
                TransportErrorKind::Connect
            }
            io::ErrorKind::InvalidData => TransportErrorKind::Tls,
            // rustls failures can arrive wrapped in io errors.
            _ if io.to_string().contains("certificate") => TransportErrorKind::Tls,
            _ => TransportErrorKind::Io,
        },
        E::Tls(_) | E::Rustls(_) | E::Pem(_) => TransportErrorKind::Tls,
        E::BodyExceedsLimit(_) => TransportErrorKind::BodyTooLarge,
        E::Protocol(_) => TransportErrorKind::Io,
        _ => TransportErrorKind::Other,
    };
    let message = match &e {
        E::Timeout(ureq::Timeout::RecvResponse) => "timeout awaiting response headers".to_string(),
        _ => e.to_string(),
    };
    TransportError::new(kind, message)
}

/// Reads a range of shared bytes without copying them.
struct SharedSlice {
    data: Arc<Vec<u8>>,
    pos: usize,
    end: usize,
}

impl Read for SharedSlice {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.end - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Reads a byte range of a file with positional reads (no shared cursor,
/// so many uploads can read the same tar at once).
struct RangeReader {
    file: Arc<File>,
    pos: u64,
    remaining: u64,
}

impl Read for RangeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(self.remaining) as usize;
        let n = read_at(&self.file, &mut buf[..want], self.pos)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "unexpected EOF in tar file",
            ));
        }
        self.pos += n as u64;
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, pos)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, pos)
}

/// Copies a blob body into `file` at `sink.offset` with positional writes,
/// checking its size and sha256 (ggcr's messages).
fn write_blob_at(
    reader: &mut dyn Read,
    file: &File,
    sink: &BlobSink,
) -> Result<(), TransportError> {
    let mut hasher = Hasher::new();
    let mut buf = vec![0u8; 256 << 10];
    let mut written = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                return Err(TransportError::new(
                    TransportErrorKind::Io,
                    format!("reading blob {}: {e}", sink.digest),
                ))
            }
        };
        if written + n as u64 > sink.size {
            return Err(TransportError::new(
                TransportErrorKind::Source,
                format!(
                    "error verifying size; got more than {}, want {}",
                    sink.size, sink.size
                ),
            ));
        }
        write_all_at(file, &buf[..n], sink.offset + written).map_err(|e| {
            TransportError::new(
                TransportErrorKind::Other,
                format!("writing blob {}: {e}", sink.digest),
            )
        })?;
        hasher.update(&buf[..n]);
        written += n as u64;
    }
    if written != sink.size {
        return Err(TransportError::new(
            TransportErrorKind::Io,
            format!("error verifying size; got {written}, want {}", sink.size),
        ));
    }
    let got = hasher.finish();
    if got != sink.digest {
        return Err(TransportError::new(
            TransportErrorKind::Source,
            format!(
                "error verifying sha256 checksum after reading {written} bytes; got \"{got}\", want \"{}\"",
                sink.digest
            ),
        ));
    }
    Ok(())
}

/// Writes all of `buf` at `pos` (positional: no shared cursor).
pub fn write_all_at(file: &File, mut buf: &[u8], mut pos: u64) -> io::Result<()> {
    while !buf.is_empty() {
        let n = write_at(file, buf, pos)?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::WriteZero, "wrote 0 bytes"));
        }
        buf = &buf[n..];
        pos += n as u64;
    }
    Ok(())
}

#[cfg(unix)]
fn write_at(file: &File, buf: &[u8], pos: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::write_at(file, buf, pos)
}

#[cfg(windows)]
fn write_at(file: &File, buf: &[u8], pos: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_write(file, buf, pos)
}

/// Where a [`VerifyingReader`] leaves a content error for `execute`.
#[derive(Default)]
struct SourceCheck {
    error: Option<Arc<Mutex<Option<TransportError>>>>,
}

impl SourceCheck {
    fn take_error(&mut self) -> Option<TransportError> {
        self.error
            .take()
            .and_then(|s| s.lock().ok().and_then(|mut g| g.take()))
    }
}

/// Checks size (and, for whole blobs, sha256) of what is streamed, and
/// fails the upload before its last byte if the source is corrupt.
struct VerifyingReader {
    inner: Box<dyn Read + Send>,
    hasher: Option<Hasher>,
    expected: Digest,
    length: u64,
    read: u64,
    error: Arc<Mutex<Option<TransportError>>>,
}

impl VerifyingReader {
    fn fail(&mut self, message: String) -> io::Error {
        if let Ok(mut g) = self.error.lock() {
            *g = Some(TransportError::new(
                TransportErrorKind::Source,
                message.clone(),
            ));
        }
        io::Error::new(io::ErrorKind::InvalidData, message)
    }
}

impl Read for VerifyingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let remaining = self.length - self.read;
        if remaining == 0 {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(remaining) as usize;
        let n = match self.inner.read(&mut buf[..want]) {
            Ok(n) => n,
            Err(e) => {
                let msg = format!("reading blob {}: {e}", self.expected);
                return Err(self.fail(msg));
            }
        };
        if n == 0 {
            let msg = format!(
                "error verifying size; got {}, want {}",
                self.read, self.length
            );
            return Err(self.fail(msg));
        }
        self.read += n as u64;
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
            if self.read == self.length {
                let got = self.hasher.take().map(Hasher::finish);
                if got != Some(self.expected) {
                    let msg = format!(
                        "error verifying sha256 checksum after reading {} bytes; got {:?}, want {:?}",
                        self.read,
                        got.map(|d| d.to_string()).unwrap_or_default(),
                        self.expected.to_string()
                    );
                    return Err(self.fail(msg));
                }
            }
        }
        Ok(n)
    }
}

/// Counts body bytes and reports progress every MiB.
struct CountingReader<'a, 'p> {
    inner: &'a mut Box<dyn Read + Send>,
    sent: u64,
    last_report: u64,
    progress: &'p mut dyn FnMut(u64),
}

impl Read for CountingReader<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sent += n as u64;
        if self.sent - self.last_report >= 1 << 20 {
            self.last_report = self.sent;
            (self.progress)(self.sent);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;

    fn get(url: &str) -> HttpRequest {
        HttpRequest {
            method: Method::Get,
            url: url.to_string(),
            headers: vec![],
            body: RequestBody::Empty,
            max_response_body: 16,
            sink: None,
        }
    }

    #[test]
    fn response_header_timeout_is_reported_as_such() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hold = std::thread::spawn(move || {
            let (s, _) = listener.accept().unwrap();
            std::thread::sleep(Duration::from_millis(1500));
            drop(s);
        });
        let t = NativeTransport::new(&NativeConfig {
            response_header_timeout: Duration::from_millis(300),
            ..NativeConfig::default()
        })
        .unwrap();
        let e = t
            .execute(&get(&format!("http://127.0.0.1:{port}/v2/")), &mut |_| {})
            .unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Timeout);
        assert_eq!(e.message, "timeout awaiting response headers");
        assert!(e.is_temporary());
        hold.join().unwrap();
    }

    #[test]
    fn body_limit_and_refused_connections() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            let _ = std::io::Read::read(&mut s, &mut buf);
            let body = "x".repeat(100);
            write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
        });
        let t = NativeTransport::new(&NativeConfig::default()).unwrap();
        let e = t
            .execute(&get(&format!("http://127.0.0.1:{port}/big")), &mut |_| {})
            .unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::BodyTooLarge);
        server.join().unwrap();
        // Nothing listens there any more.
        let e = t
            .execute(&get(&format!("http://127.0.0.1:{port}/")), &mut |_| {})
            .unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Connect, "{e:?}");
    }

    #[test]
    fn docker_config_is_found_through_docker_config_or_home() {
        use airlock_core::reference::Repository;
        use airlock_core::registry::auth::{Credentials, Keychain};
        let dir = std::env::temp_dir().join(format!("airlock-dockercfg-{}", std::process::id()));
        std::fs::create_dir_all(dir.join(".docker")).unwrap();
        std::fs::write(
            dir.join(".docker/config.json"),
            r#"{"auths":{"127.0.0.1:5000":{"auth":"dTpw"}}}"#,
        )
        .unwrap();
        let mut env = BTreeMap::new();
        env.insert("HOME".to_string(), dir.display().to_string());
        let d = load_docker_config(&env).unwrap().unwrap();
        let chain = CredentialChain::new(&env, GlobalCredentials::default(), Some(d)).unwrap();
        let repo = Repository::parse("127.0.0.1:5000/ab/cd").unwrap();
        assert_eq!(chain.resolve(&repo).unwrap(), Credentials::basic("u", "p"));
        env.insert(
            "DOCKER_CONFIG".to_string(),
            dir.join("nothing-here").display().to_string(),
        );
        assert!(load_docker_config(&env).unwrap().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_ca_file_is_reported() {
        let e = NativeTransport::new(&NativeConfig {
            ca_cert_paths: vec![PathBuf::from("/nonexistent/ca.pem")],
            ..NativeConfig::default()
        })
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Reading CA certificates from '/nonexistent/ca.pem': "),
            "{e}"
        );
    }
}
