//! The browser transport: drives a registry [`Machine`] (the sans-IO copy
//! session) with `fetch`, and with `XMLHttpRequest` for large blob bodies.
//!
//! Blob bodies are `File.slice(offset, offset + size)` handed straight to
//! the browser: layer bytes never enter wasm memory (except docker-archive
//! layers sent gzip-compressed, compressed one chunk at a time:
//! [`super::gzip_body`]). Blob uploads over 256 KiB use XHR only because
//! `fetch` reports no upload progress; everything else is
//! `fetch` with `credentials: "omit"` (no cookies, no browser login prompt).
//!
//! ```text
//!  loop {
//!      perform every request the session hands out (it limits concurrency)
//!      report session events as progress
//!      finished? -> done
//!      wait for a response / upload progress / the session's timeout / cancel
//!  }
//! ```

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::blob_source::BlobSource;
use super::error::describe_js;
use super::global::{global, Deadline};
use airlock_core::plan::BlobSource as PlanBlobSource;
use airlock_core::registry::{
    HttpRequest, HttpResponse, HttpResult, Machine, RequestBody, RequestId, TransportError,
    TransportErrorKind,
};

/// Headers the browser sets itself or forbids; sending them would also force
/// CORS preflights the registry may not allow.
const SKIP_HEADERS: &[&str] = &[
    "content-length",
    "user-agent",
    "host",
    "connection",
    "accept-encoding",
];

/// Blob bodies up to this size go by `fetch` (no upload progress); larger
/// ones by XHR, whose upload progress moves the page's progress bar.
const SMALL_BODY: u64 = 256 * 1024;

/// What a finished or progressing request reports back to the driver loop.
enum Report {
    Done(RequestId, HttpResult),
    Progress(RequestId, u64),
}

/// Shared between the driver loop and the request callbacks.
#[derive(Default)]
pub(crate) struct Inbox {
    reports: RefCell<VecDeque<Report>>,
    /// Resolves the promise the driver is waiting on, if it is waiting.
    wake: RefCell<Option<js_sys::Function>>,
    /// XHRs and fetch abort controllers in flight, to abort on cancel.
    xhrs: RefCell<HashMap<RequestId, XhrInFlight>>,
    aborts: RefCell<HashMap<RequestId, web_sys::AbortController>>,
    /// Requests the browser could not send at all (network error or CORS).
    pub(crate) send_failures: Cell<u32>,
    /// Requests in flight now, and their time-weighted sum (for the mean).
    in_flight: Cell<u32>,
    flight: Cell<FlightStats>,
    /// Compressed docker-archive layers being sent (`dockerLayers: 'gzip'`).
    gzip: super::gzip_body::GzipBodies,
}

/// How many requests were in flight, over a run.
#[derive(Default, Clone, Copy)]
pub(crate) struct FlightStats {
    /// Since the first request (ms).
    pub started_ms: f64,
    last_ms: f64,
    /// Sum of (requests in flight × ms).
    area: f64,
    /// The most at once.
    pub max: u32,
}

impl FlightStats {
    /// The mean number of requests in flight since the first one.
    pub(crate) fn mean(&self) -> f64 {
        let span = self.last_ms - self.started_ms;
        if span > 0.0 {
            self.area / span
        } else {
            0.0
        }
    }
}

impl Inbox {
    /// Counts a request in or out of flight (`delta` ±1).
    fn count(&self, delta: i32) {
        let now = js_sys::Date::now();
        let mut f = self.flight.get();
        if f.started_ms == 0.0 {
            f.started_ms = now;
            f.last_ms = now;
        }
        f.area += f64::from(self.in_flight.get()) * (now - f.last_ms);
        f.last_ms = now;
        let n = self.in_flight.get().saturating_add_signed(delta);
        self.in_flight.set(n);
        f.max = f.max.max(n);
        self.flight.set(f);
    }

    /// Requests in flight over the run so far.
    pub(crate) fn flight(&self) -> FlightStats {
        self.flight.get()
    }

    fn push(&self, r: Report) {
        if matches!(r, Report::Done(..)) {
            self.count(-1);
        }
        if let Report::Done(_, Err(e)) = &r {
            if e.kind == TransportErrorKind::Connect {
                self.send_failures.set(self.send_failures.get() + 1);
            }
        }
        self.reports.borrow_mut().push_back(r);
        if let Some(f) = self.wake.borrow_mut().take() {
            let _ = f.call0(&JsValue::NULL);
        }
    }

    /// Wakes the driver loop (after a cancel).
    pub(crate) fn poke(&self) {
        if let Some(f) = self.wake.borrow_mut().take() {
            let _ = f.call0(&JsValue::NULL);
        }
    }

    /// Aborts every request in flight (their reports arrive as errors).
    pub(crate) fn abort_all(&self) {
        for (_, x) in self.xhrs.borrow_mut().drain() {
            // Its onabort handler reports the error; then the handlers go.
            let _ = x.xhr.abort();
        }
        for (_, a) in self.aborts.borrow_mut().drain() {
            a.abort();
        }
    }

    /// Waits for a report, or `timeout_ms`. The timer is cleared when a
    /// report comes first: a push wakes thousands of times, and stale timers
    /// would each cost the worker a task.
    async fn wait(&self, timeout_ms: i32) {
        if !self.reports.borrow().is_empty() {
            return;
        }
        let g = global();
        let mut timer = None;
        let mut setup = |resolve: js_sys::Function, _reject: js_sys::Function| {
            if let Some(g) = &g {
                timer = g
                    .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, timeout_ms)
                    .ok();
            }
            *self.wake.borrow_mut() = Some(resolve);
        };
        let promise = js_sys::Promise::new(&mut setup);
        let _ = JsFuture::from(promise).await;
        self.wake.borrow_mut().take();
        if let (Some(g), Some(t)) = (&g, timer) {
            g.clear_timeout(t);
        }
    }
}

/// The error of a request its deadline aborted.
fn timed_out(ms: u32) -> TransportError {
    TransportError::new(
        TransportErrorKind::Timeout,
        format!(
            "no response headers within {} s (responseHeaderTimeoutMs {ms})",
            f64::from(ms) / 1000.0
        ),
    )
}

/// The driver's view of where requests go.
pub(crate) struct Driver {
    /// The tar blob bodies come from (`None`: requests without blob bodies).
    pub source: Option<BlobSource>,
    /// `location.origin` of the page: URLs on the page's own host are sent
    /// with the page's scheme (the same-origin nginx deployment).
    pub page_origin: String,
    pub inbox: Rc<Inbox>,
    pub cancelled: Rc<Cell<bool>>,
    /// Upload blob bodies with `fetch` instead of `XMLHttpRequest` (no
    /// upload progress: a blob counts when it is done).
    pub fetch_blobs: bool,
    /// How long a request may wait for its response headers once its body
    /// is sent, in ms (the CLI's `--registry-response-header-timeout`);
    /// 0 waits for ever. A request past it is aborted and reported as a
    /// [`TransportErrorKind::Timeout`], which the session retries.
    pub response_timeout_ms: u32,
}

/// The default of [`Driver::response_timeout_ms`]: the CLI's 30 s.
pub(crate) const RESPONSE_TIMEOUT_MS: u32 = 30_000;

impl Driver {
    /// Runs `machine` to completion. `on_tick` is called after every batch
    /// of reports (for progress).
    pub async fn run<M: Machine>(
        &self,
        machine: &mut M,
        mut on_tick: impl FnMut(&mut M),
        mut on_cancel: impl FnMut(&mut M),
    ) {
        let mut cancel_sent = false;
        loop {
            if self.cancelled.get() && !cancel_sent {
                cancel_sent = true;
                on_cancel(machine);
                self.inbox.abort_all();
            }
            let now = js_sys::Date::now() as u64;
            while let Some(t) = machine.poll_transmit(now) {
                self.perform(t.id, t.request);
            }
            on_tick(machine);
            if machine.is_finished() {
                self.inbox.abort_all();
                return;
            }
            let timeout = machine
                .poll_timeout()
                .map(|t| t.saturating_sub(now).min(1000) as i32)
                .unwrap_or(1000)
                .max(1);
            self.inbox.wait(timeout).await;
            let reports: Vec<Report> = self.inbox.reports.borrow_mut().drain(..).collect();
            let now = js_sys::Date::now() as u64;
            for r in reports {
                match r {
                    Report::Done(id, result) => {
                        self.inbox.xhrs.borrow_mut().remove(&id);
                        self.inbox.aborts.borrow_mut().remove(&id);
                        let result = result.map(|r| self.response_from_page(r));
                        machine.handle_response(id, now, result);
                    }
                    Report::Progress(id, bytes) => machine.handle_progress(id, bytes),
                }
            }
        }
    }

    /// The other half of [`Driver::url_for`]: the registry behind a page
    /// served over plain HTTP answers with `Location`s on `http://<page
    /// host>`, which the core knows as `https://<page host>` (it pinged
    /// https first, and the driver sent that to the page's origin). Moving
    /// them back keeps the core's view consistent, so it keeps sending
    /// credentials to upload locations on the registry's own origin.
    fn response_from_page(&self, mut response: HttpResponse) -> HttpResponse {
        let Some(("http", page_host)) = self.page_origin.split_once("://") else {
            return response;
        };
        for (k, v) in response.headers.iter_mut() {
            if !k.eq_ignore_ascii_case("location") {
                continue;
            }
            if let Some(rest) = v.strip_prefix("http://") {
                let host = rest.split('/').next().unwrap_or("");
                if host.eq_ignore_ascii_case(page_host) {
                    *v = format!("https://{rest}");
                }
            }
        }
        response
    }

    pub(crate) fn url_for(&self, url: &str) -> String {
        // http://host/… or https://host/… where host is the page's host:
        // use the page's scheme, so requests stay same-origin.
        let Some((page_scheme, page_host)) = self.page_origin.split_once("://") else {
            return url.to_string();
        };
        match url.split_once("://") {
            Some((_, rest)) => {
                let host = rest.split('/').next().unwrap_or("");
                if host.eq_ignore_ascii_case(page_host) {
                    format!("{page_scheme}://{rest}")
                } else {
                    url.to_string()
                }
            }
            None => url.to_string(),
        }
    }

    fn perform(&self, id: RequestId, req: HttpRequest) {
        let url = self.url_for(&req.url);
        let inbox = self.inbox.clone();
        inbox.count(1);
        if req.sink.is_some() {
            inbox.push(Report::Done(
                id,
                Err(TransportError::new(
                    TransportErrorKind::Other,
                    "the browser transport cannot download blobs to a file",
                )),
            ));
            return;
        }
        match &req.body {
            RequestBody::Blob(b) => {
                if let PlanBlobSource::GzipTarEntry { offset, size } = b.source {
                    return self.perform_gzip(id, req.clone(), url, offset, size);
                }
                let blob = match &b.source {
                    PlanBlobSource::TarEntry { offset, .. } => match &self.source {
                        Some(source) => source.slice(offset + b.offset, b.length),
                        None => Err(super::error::WasmError::new(
                            super::error::Code::Internal,
                            "a blob body without an opened tar",
                        )),
                    },
                    PlanBlobSource::Inline(bytes) => {
                        let start = b.offset as usize;
                        let end = (b.offset + b.length) as usize;
                        bytes_blob(bytes.get(start..end).unwrap_or(&[]))
                    }
                    other => Err(super::error::WasmError::new(
                        super::error::Code::Internal,
                        format!("the browser cannot stream a blob from {other:?}"),
                    )),
                };
                match blob {
                    // Small bodies by fetch: their progress would say
                    // nothing, and XHR's upload events cost a wake each.
                    Ok(blob) if self.fetch_blobs || b.length <= SMALL_BODY => {
                        let max = req.max_response_body;
                        // A large body by fetch shows no progress: no
                        // deadline can tell a slow link from a dead one.
                        let timeout = if b.length <= SMALL_BODY {
                            self.response_timeout_ms
                        } else {
                            0
                        };
                        wasm_bindgen_futures::spawn_local(async move {
                            let result =
                                fetch(id, &req, &url, max, Some(blob), timeout, &inbox).await;
                            inbox.push(Report::Done(id, result));
                        });
                    }
                    Ok(blob) => xhr(id, &req, &url, Some(&blob), self.response_timeout_ms, inbox),
                    Err(e) => inbox.push(Report::Done(
                        id,
                        Err(TransportError::new(TransportErrorKind::Source, e.message)),
                    )),
                }
            }
            _ => {
                let max = req.max_response_body;
                let timeout = self.response_timeout_ms;
                wasm_bindgen_futures::spawn_local(async move {
                    let result = fetch(id, &req, &url, max, None, timeout, &inbox).await;
                    inbox.push(Report::Done(id, result));
                });
            }
        }
    }

    /// A compressed docker-archive layer's body (or one chunk of it):
    /// compressed from the tar's bytes into memory, then sent as the other
    /// blob bodies are.
    fn perform_gzip(&self, id: RequestId, req: HttpRequest, url: String, offset: u64, size: u64) {
        let inbox = self.inbox.clone();
        let source = self.source.clone();
        let fetch_blobs = self.fetch_blobs;
        let timeout = self.response_timeout_ms;
        wasm_bindgen_futures::spawn_local(async move {
            let RequestBody::Blob(b) = &req.body else {
                return;
            };
            let bytes = match &source {
                Some(s) => inbox.gzip.range(s, offset, size, b.offset, b.length).await,
                None => Err(super::error::WasmError::new(
                    super::error::Code::Internal,
                    "a blob body without an opened tar",
                )),
            };
            let blob = bytes.and_then(|bytes| bytes_blob(&bytes));
            match blob {
                Ok(blob) if fetch_blobs => {
                    let max = req.max_response_body;
                    let result = fetch(id, &req, &url, max, Some(blob), 0, &inbox).await;
                    inbox.push(Report::Done(id, result));
                }
                Ok(blob) => xhr(id, &req, &url, Some(&blob), timeout, inbox),
                Err(e) => inbox.push(Report::Done(
                    id,
                    Err(TransportError::new(TransportErrorKind::Source, e.message)),
                )),
            }
        });
    }
}

/// A blob upload with upload progress.
fn xhr(
    id: RequestId,
    req: &HttpRequest,
    url: &str,
    body: Option<&web_sys::Blob>,
    timeout_ms: u32,
    inbox: Rc<Inbox>,
) {
    let fail = |inbox: &Inbox, msg: String| {
        inbox.push(Report::Done(
            id,
            Err(TransportError::new(TransportErrorKind::Other, msg)),
        ))
    };
    let xhr = match web_sys::XmlHttpRequest::new() {
        Ok(x) => x,
        Err(e) => return fail(&inbox, describe_js(&e)),
    };
    if let Err(e) = xhr.open(req.method.as_str(), url) {
        return fail(&inbox, describe_js(&e));
    }
    xhr.set_response_type(web_sys::XmlHttpRequestResponseType::Arraybuffer);
    for (k, v) in &req.headers {
        if SKIP_HEADERS.contains(&k.to_ascii_lowercase().as_str()) {
            continue;
        }
        if let Err(e) = xhr.set_request_header(k, v) {
            return fail(&inbox, describe_js(&e));
        }
    }
    // Once the body is sent, the response headers have `timeout_ms`.
    let deadline: Rc<RefCell<Option<Deadline>>> = Rc::default();
    // Progress: `loaded` is bytes sent so far.
    let upload = xhr.upload().ok().map(|upload| {
        let inbox_p = inbox.clone();
        let on_progress =
            Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
                inbox_p.push(Report::Progress(id, e.loaded() as u64));
            });
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        let (x3, deadline_u) = (xhr.clone(), deadline.clone());
        let on_sent = Closure::<dyn FnMut()>::new(move || {
            let x = x3.clone();
            *deadline_u.borrow_mut() = Deadline::start(timeout_ms, move || {
                let _ = x.abort();
            });
        });
        upload.set_onload(Some(on_sent.as_ref().unchecked_ref()));
        UploadHandlers {
            target: upload,
            _on_progress: on_progress,
            _on_sent: on_sent,
        }
    });
    let done = Rc::new(Cell::new(false));
    let x2 = xhr.clone();
    let inbox_l = inbox.clone();
    let done_l = done.clone();
    let deadline_l = deadline.clone();
    let on_load = Closure::<dyn FnMut()>::new(move || {
        deadline_l.borrow_mut().take();
        if done_l.replace(true) {
            return;
        }
        let status = x2.status().unwrap_or(0);
        let headers = parse_raw_headers(&x2.get_all_response_headers().unwrap_or_default());
        let body = x2
            .response()
            .ok()
            .filter(|r| !r.is_null() && !r.is_undefined())
            .map(|r| js_sys::Uint8Array::new(&r).to_vec())
            .unwrap_or_default();
        inbox_l.push(Report::Done(
            id,
            Ok(HttpResponse::new(status, headers, body)),
        ));
    });
    let inbox_e = inbox.clone();
    let done_e = done.clone();
    let on_error = Closure::<dyn FnMut()>::new(move || {
        let expired = deadline.borrow_mut().take().is_some_and(|d| d.fired());
        if done_e.replace(true) {
            return;
        }
        let error = if expired {
            timed_out(timeout_ms)
        } else {
            TransportError::new(
                TransportErrorKind::Connect,
                "the browser could not send the upload (network error, or blocked by CORS)",
            )
        };
        inbox_e.push(Report::Done(id, Err(error)));
    });
    xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
    xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    xhr.set_onabort(Some(on_error.as_ref().unchecked_ref()));
    let sent = match body {
        Some(b) => xhr.send_with_opt_blob(Some(b)),
        None => xhr.send(),
    };
    let in_flight = XhrInFlight {
        xhr,
        upload,
        _on_load: on_load,
        _on_error: on_error,
    };
    if let Err(e) = sent {
        if !done.replace(true) {
            fail(&inbox, describe_js(&e));
        }
        return;
    }
    inbox.xhrs.borrow_mut().insert(id, in_flight);
}

/// An XHR in flight with its event handlers. The driver drops it when the
/// request's report is handled (or aborts it on cancel): the handlers are
/// taken off the XHR first, then freed, so a push of thousands of uploads
/// keeps no closures (they were leaked with `forget()` before).
pub(crate) struct XhrInFlight {
    xhr: web_sys::XmlHttpRequest,
    upload: Option<UploadHandlers>,
    _on_load: Closure<dyn FnMut()>,
    _on_error: Closure<dyn FnMut()>,
}

/// The upload target of an [`XhrInFlight`], with its progress and sent handlers.
struct UploadHandlers {
    target: web_sys::XmlHttpRequestUpload,
    _on_progress: Closure<dyn FnMut(web_sys::ProgressEvent)>,
    _on_sent: Closure<dyn FnMut()>,
}

impl Drop for XhrInFlight {
    fn drop(&mut self) {
        self.xhr.set_onload(None);
        self.xhr.set_onerror(None);
        self.xhr.set_onabort(None);
        if let Some(upload) = &self.upload {
            upload.target.set_onprogress(None);
            upload.target.set_onload(None);
        }
    }
}

pub(crate) fn bytes_blob(bytes: &[u8]) -> Result<web_sys::Blob, super::error::WasmError> {
    let parts = js_sys::Array::new();
    parts.push(&js_sys::Uint8Array::from(bytes));
    web_sys::Blob::new_with_u8_array_sequence(&parts)
        .map_err(|e| super::error::WasmError::new(super::error::Code::Internal, describe_js(&e)))
}

fn parse_raw_headers(raw: &str) -> Vec<(String, String)> {
    raw.split("\r\n")
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

async fn fetch(
    id: RequestId,
    req: &HttpRequest,
    url: &str,
    max_body: u64,
    blob: Option<web_sys::Blob>,
    timeout_ms: u32,
    inbox: &Inbox,
) -> HttpResult {
    let other = |e: JsValue| TransportError::new(TransportErrorKind::Other, describe_js(&e));
    let init = web_sys::RequestInit::new();
    init.set_method(req.method.as_str());
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    init.set_cache(web_sys::RequestCache::NoStore);
    init.set_redirect(web_sys::RequestRedirect::Follow);
    let headers = web_sys::Headers::new().map_err(other)?;
    for (k, v) in &req.headers {
        if !SKIP_HEADERS.contains(&k.to_ascii_lowercase().as_str()) {
            headers.append(k, v).map_err(other)?;
        }
    }
    init.set_headers(&headers);
    if let RequestBody::Bytes(b) = &req.body {
        let arr = js_sys::Uint8Array::from(b.as_slice());
        init.set_body(&arr);
    }
    if let Some(b) = &blob {
        init.set_body(b);
    }
    let abort = web_sys::AbortController::new().map_err(other)?;
    init.set_signal(Some(&abort.signal()));
    inbox.aborts.borrow_mut().insert(id, abort.clone());
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(other)?;
    let g =
        global().ok_or_else(|| TransportError::new(TransportErrorKind::Other, "no fetch here"))?;
    let deadline = Deadline::start(timeout_ms, move || abort.abort());
    let resp: web_sys::Response = JsFuture::from(g.fetch(&request))
        .await
        .map_err(|e| {
            let aborted = e
                .dyn_ref::<js_sys::Error>()
                .map(|e| e.name() == "AbortError")
                .unwrap_or(false);
            if aborted && deadline.as_ref().is_some_and(Deadline::fired) {
                timed_out(timeout_ms)
            } else if aborted {
                TransportError::new(TransportErrorKind::Other, "request aborted")
            } else {
                TransportError::new(
                    TransportErrorKind::Connect,
                    "the browser could not send the request (network error, or blocked by CORS)",
                )
            }
        })?
        .dyn_into()
        .map_err(other)?;
    // The deadline is for the response headers (as the CLI's).
    drop(deadline);
    let mut out_headers = Vec::new();
    if let Ok(Some(iter)) = js_sys::try_iter(&resp.headers()) {
        for pair in iter.flatten() {
            let pair: js_sys::Array = pair.unchecked_into();
            out_headers.push((
                pair.get(0).as_string().unwrap_or_default(),
                pair.get(1).as_string().unwrap_or_default(),
            ));
        }
    }
    let status = resp.status();
    let declared = resp
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<u64>().ok());
    // A HEAD's Content-Length is the size of what a GET would return.
    if req.method.as_str() != "HEAD" && declared.is_some_and(|n| n > max_body) {
        return Err(TransportError::new(
            TransportErrorKind::BodyTooLarge,
            format!("response body over {max_body} bytes"),
        ));
    }
    // A HEAD has no body, and most push answers (202, 201) declare an empty
    // one: reading it would cost every request another wait for the
    // browser's body stream.
    let body = if req.method.as_str() == "HEAD" || declared == Some(0) {
        Vec::new()
    } else {
        let buf = JsFuture::from(resp.array_buffer().map_err(other)?)
            .await
            .map_err(|e| TransportError::new(TransportErrorKind::Io, describe_js(&e)))?;
        let bytes = js_sys::Uint8Array::new(&buf);
        if bytes.length() as u64 > max_body {
            return Err(TransportError::new(
                TransportErrorKind::BodyTooLarge,
                format!("response body over {max_body} bytes"),
            ));
        }
        bytes.to_vec()
    };
    Ok(HttpResponse::new(status, out_headers, body))
}

/// Whether a server answers at `url` at all: an opaque `no-cors` request
/// succeeds when it does, even when CORS hides the answer from the page. A
/// CORS refusal and a network failure look the same to `fetch`; this tells
/// them apart.
pub(crate) async fn answers_without_cors(url: &str) -> bool {
    let init = web_sys::RequestInit::new();
    init.set_mode(web_sys::RequestMode::NoCors);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    init.set_cache(web_sys::RequestCache::NoStore);
    let Ok(req) = web_sys::Request::new_with_str_and_init(url, &init) else {
        return false;
    };
    let Some(g) = global() else {
        return false;
    };
    JsFuture::from(g.fetch(&req)).await.is_ok()
}
