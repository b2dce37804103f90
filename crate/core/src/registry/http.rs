//! HTTP values exchanged between the protocol core and a transport.
//!
//! The core never performs IO: it hands a [`HttpRequest`] to the transport
//! and gets back a [`HttpResponse`] (or a [`TransportError`]). Request bodies
//! that are blobs are described, not materialised: the transport streams them
//! from their [`BlobSource`] so large layers never sit in memory.

use std::fmt;
use std::sync::Arc;

use crate::digest::Digest;
use crate::plan::BlobSource;

/// The HTTP methods the registry protocol uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`.
    Get,
    /// `HEAD`.
    Head,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// The method as it goes on the request line (`GET`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A blob (or a byte range of one) that the transport streams as a request
/// body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobBody {
    /// The blob's digest.
    pub digest: Digest,
    /// Where the bytes come from. For [`BlobSource::TarEntry`] the offset is
    /// the entry's offset in the tar the transport was given.
    pub source: BlobSource,
    /// Offset of the first byte to send, relative to the blob's start.
    pub offset: u64,
    /// Number of bytes to send.
    pub length: u64,
    /// The blob's total size (the body is the whole blob when `offset` is
    /// 0 and `length` equals it; only then can the transport verify the
    /// digest while streaming).
    pub size: u64,
    /// For [`BlobSource::Registry`]: the authorised `GET` of the blob in its
    /// source repository, whose response body the transport pipes into this
    /// request (following redirects itself, never carrying `Authorization`
    /// to another host).
    pub fetch: Option<Box<HttpRequest>>,
}

/// A request body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RequestBody {
    /// No body (`Content-Length: 0`).
    #[default]
    Empty,
    /// These bytes (manifests, small chunks); shared so that retries do not copy them.
    Bytes(Arc<Vec<u8>>),
    /// A blob or a range of one, streamed by the transport from where it is.
    Blob(BlobBody),
}

impl RequestBody {
    /// The exact number of bytes the body has (sent as `Content-Length`).
    pub fn len(&self) -> u64 {
        match self {
            RequestBody::Empty => 0,
            RequestBody::Bytes(b) => b.len() as u64,
            RequestBody::Blob(b) => b.length,
        }
    }

    /// Whether the body has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A request for the transport to perform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The request's method.
    pub method: Method,
    /// Absolute `http://` or `https://` URL.
    pub url: String,
    /// Header names and values, in order. `Content-Length` is not included:
    /// the transport derives it from the body.
    pub headers: Vec<(String, String)>,
    /// The body to send.
    pub body: RequestBody,
    /// The largest response body the core accepts; the transport fails the
    /// request with [`TransportErrorKind::BodyTooLarge`] beyond it.
    pub max_response_body: u64,
    /// For a blob download: where a `200` body goes instead of memory.
    pub sink: Option<BlobSink>,
}

/// Where the transport streams a `200` response body (a blob download):
/// exactly `size` bytes written at `offset` of the transport's output file,
/// hashed on the way and checked against `digest`. The response handed back
/// has an empty body. Other statuses are read into memory as usual. Writing
/// is positional, so a retried download simply writes the same range again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobSink {
    /// The digest the written bytes must hash to.
    pub digest: Digest,
    /// Number of bytes the body must have.
    pub size: u64,
    /// Offset in the output file where the first byte goes.
    pub offset: u64,
}

impl HttpRequest {
    /// The first value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// A response, with its body read up to the request's limit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// Header names and values, in the order received (names as sent).
    pub headers: Vec<(String, String)>,
    /// The body, read up to [`HttpRequest::max_response_body`]; empty for a `HEAD`, and for a `200`
    /// streamed to a [`BlobSink`].
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A response with these parts.
    pub fn new(status: u16, headers: Vec<(String, String)>, body: Vec<u8>) -> HttpResponse {
        HttpResponse {
            status,
            headers,
            body,
        }
    }

    /// The first value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Every value of a header (case-insensitive name).
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// `Content-Length`, when sent and a number.
    pub fn content_length(&self) -> Option<u64> {
        self.header("content-length")?.trim().parse().ok()
    }

    /// `Content-Type` without its parameters (`""` when not sent).
    pub fn media_type(&self) -> String {
        self.header("content-type")
            .map(|s| s.split(';').next().unwrap_or("").trim().to_string())
            .unwrap_or_default()
    }

    /// `Docker-Content-Digest`, when sent and a valid digest.
    pub fn content_digest(&self) -> Option<Digest> {
        Digest::parse(self.header("docker-content-digest")?.trim()).ok()
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// What went wrong below HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportErrorKind {
    /// DNS, connection refused, reset before a response.
    Connect,
    /// No response headers within the configured time.
    Timeout,
    /// The connection broke while sending or receiving.
    Io,
    /// TLS handshake or certificate failure.
    Tls,
    /// The response body exceeded [`HttpRequest::max_response_body`].
    BodyTooLarge,
    /// The request body's source could not be read (tar file error).
    Source,
    /// The source registry refused the piped blob `GET` with this status.
    SourceStatus(u16),
    /// Anything else (invalid URL, unsupported feature).
    Other,
}

/// What a transport hands back for a request: the response, or why there
/// was none.
pub type HttpResult = Result<HttpResponse, TransportError>;

/// A failure below HTTP, reported by a transport.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TransportError {
    /// What class of failure it is (connect, timeout, TLS, body too large, ...).
    pub kind: TransportErrorKind,
    /// The transport's own description (the OS or browser error).
    pub message: String,
}

impl TransportError {
    /// An error of `kind` with `message`.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> TransportError {
        TransportError {
            kind,
            message: message.into(),
        }
    }

    /// Worth retrying: the same request may well succeed.
    pub fn is_temporary(&self) -> bool {
        match self.kind {
            TransportErrorKind::Connect | TransportErrorKind::Timeout | TransportErrorKind::Io => {
                true
            }
            TransportErrorKind::SourceStatus(s) => is_retryable_status(s),
            _ => false,
        }
    }
}

/// Statuses worth retrying: ggcr's set (408, 500, 502, 503, 504, 499, 522)
/// plus 429.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 499 | 500 | 502 | 503 | 504 | 522)
}

/// `scheme://authority` of an absolute URL, lowercased, with default ports
/// removed, e.g. `https://registry.corp`.
pub fn url_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority
        .rsplit('@')
        .next()
        .unwrap_or(authority)
        .to_ascii_lowercase();
    let authority = match (scheme.as_str(), authority.rsplit_once(':')) {
        ("https", Some((h, "443"))) | ("http", Some((h, "80"))) => h.to_string(),
        _ => authority,
    };
    Some(format!("{scheme}://{authority}"))
}

/// Resolves a `Location` (or `Link`) value against the URL of the request it
/// answered: absolute URLs are kept, `/path` keeps the origin, anything else
/// is relative to the request path's directory.
pub fn resolve_location(base_url: &str, location: &str) -> String {
    let location = location.trim();
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.to_string();
    }
    let origin = url_origin(base_url).unwrap_or_default();
    if let Some(rest) = location.strip_prefix("//") {
        let scheme = base_url.split("://").next().unwrap_or("https");
        return format!("{scheme}://{rest}");
    }
    if location.starts_with('/') {
        return format!("{origin}{location}");
    }
    // Relative path: replace the last segment of the base path.
    let after_origin = base_url
        .split_once("://")
        .map(|(_, r)| r)
        .unwrap_or("")
        .split_once('/')
        .map(|(_, p)| format!("/{p}"))
        .unwrap_or_else(|| "/".to_string());
    let path = after_origin.split(['?', '#']).next().unwrap_or("/");
    let dir = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "/",
    };
    format!("{origin}{dir}{location}")
}

/// Appends `key=value` to a URL's query (`?` or `&` as needed), keeping any
/// existing query such as Distribution's `?_state=`.
pub fn append_query(url: &str, key: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{key}={}", percent_encode(value))
}

/// Percent-encodes everything outside RFC 3986 unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The canonical reason phrase of a status code (for error messages).
pub fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Request Entity Too Large",
        416 => "Requested Range Not Satisfiable",
        429 => "Too Many Requests",
        499 => "Client Closed Request",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_statuses() {
        for s in [408, 429, 499, 500, 502, 503, 504, 522] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [200, 400, 401, 403, 404, 405, 501] {
            assert!(!is_retryable_status(s), "{s}");
        }
    }

    #[test]
    fn resolves_locations() {
        let base = "http://127.0.0.1:5000/v2/dst/x/blobs/uploads/";
        assert_eq!(
            resolve_location(base, "/v2/dst/x/blobs/uploads/abc?_state=s"),
            "http://127.0.0.1:5000/v2/dst/x/blobs/uploads/abc?_state=s"
        );
        assert_eq!(
            resolve_location(base, "https://other/up/1"),
            "https://other/up/1"
        );
        assert_eq!(
            resolve_location(base, "abc"),
            "http://127.0.0.1:5000/v2/dst/x/blobs/uploads/abc"
        );
        assert_eq!(resolve_location(base, "//cdn/x"), "http://cdn/x");
    }

    #[test]
    fn appends_query_with_the_right_separator() {
        assert_eq!(
            append_query("http://h/u/1?_state=a%3D", "digest", "sha256:ab"),
            "http://h/u/1?_state=a%3D&digest=sha256%3Aab"
        );
        assert_eq!(
            append_query("http://h/u/1", "digest", "sha256:ab"),
            "http://h/u/1?digest=sha256%3Aab"
        );
    }

    #[test]
    fn origins_compare_without_default_ports() {
        assert_eq!(
            url_origin("https://Reg.io:443/v2/").as_deref(),
            Some("https://reg.io")
        );
        assert_eq!(
            url_origin("http://127.0.0.1:5000/v2/x?y").as_deref(),
            Some("http://127.0.0.1:5000")
        );
    }
}
