//! Performing one request: the body streamed from memory, the tar file or
//! the source registry (checked as it goes), the response read into memory
//! or written into the output file, `ureq` errors mapped to the core's
//! [`TransportError`] kinds.

use std::io::{self, Read};
use std::sync::{Arc, Mutex};

use ureq::SendBody;

use airlock_core::digest::Hasher;
use airlock_core::plan::BlobSource;
use airlock_core::registry::http::{
    url_origin, BlobBody, HttpRequest, HttpResponse, HttpResult, Method, RequestBody,
    TransportError, TransportErrorKind,
};

use super::io::{
    write_blob_at, CountingReader, GzipRangeReader, RangeReader, SharedSlice, SourceCheck,
    VerifyingReader,
};
use super::NativeTransport;

impl NativeTransport {
    /// Performs one request, blocking; `progress` gets cumulative body
    /// bytes sent.
    pub fn execute(&self, request: &HttpRequest, progress: &mut dyn FnMut(u64)) -> HttpResult {
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
    ) -> HttpResult {
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
                Box::new(self.tar_range(blob, offset + blob.offset, blob.length)?)
            }
            // Compressed again from the start; a resumed body drops the
            // bytes already sent.
            BlobSource::GzipTarEntry { offset, size } => Box::new(GzipRangeReader::new(
                self.tar_range(blob, *offset, *size)?,
                blob.offset,
            )),
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

    /// `len` bytes of the tar at `pos`, for `blob`'s body.
    fn tar_range(
        &self,
        blob: &BlobBody,
        pos: u64,
        len: u64,
    ) -> Result<RangeReader, TransportError> {
        let Some(file) = &self.tar else {
            return Err(TransportError::new(
                TransportErrorKind::Source,
                format!(
                    "blob {} comes from a tar, but no tar file was given to the transport",
                    blob.digest
                ),
            ));
        };
        Ok(RangeReader {
            file: file.clone(),
            pos,
            remaining: len,
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::NativeConfig;
    use std::io::Write;
    use std::net::TcpListener;
    use std::time::Duration;

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
}
