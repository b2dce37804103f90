//! Chunked uploads: the 413 fallback, `OCI-Chunk-Min-Length`, 416, resume
//! from the session's `Range`, sessions that expire, `Location`s that
//! change with every chunk.

use std::sync::Arc;

use airlock_core::digest::Digest;
use airlock_core::plan::BlobSource;
use airlock_core::reference::Repository;
use airlock_core::registry::blob_upload::{UploadBlob, UploadOptions};
use airlock_core::registry::http::{
    HttpRequest, HttpResponse, Method, RequestBody, TransportError, TransportErrorKind,
};
use airlock_core::registry::op::{BlobOutcome, OpOutput};
use airlock_core::registry::upload_chunks::{ChunkReason, UploadMode};
use airlock_testkit::scenario::{resp, OneOp, RespExt, Scenario};

const HOST: &str = "reg.example";
const UPLOADS: &str = "https://reg.example/v2/dst/x/blobs/uploads/";

fn data(size: usize) -> (Digest, Arc<Vec<u8>>) {
    let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    (Digest::of(&data), Arc::new(data))
}

fn upload(size: usize, chunk_size: Option<u64>) -> OneOp {
    let (d, data) = data(size);
    OneOp::new(UploadBlob::new(
        Repository::parse("reg.example/dst/x").unwrap(),
        d,
        size as u64,
        BlobSource::Inline(data),
        UploadOptions {
            check_exists: false,
            mount_from: None,
            chunk_size,
        },
    ))
}

fn session(name: &str) -> String {
    format!("{UPLOADS}{name}")
}

fn accepted(location: &str) -> HttpResponse {
    resp(202).h("Location", location)
}

fn put_url(size: usize, location: &str) -> String {
    let sep = if location.contains('?') { '&' } else { '?' };
    format!(
        "{location}{sep}digest={}",
        data(size).0.to_string().replace(':', "%3A")
    )
}

fn blob_url(size: usize) -> String {
    format!("https://reg.example/v2/dst/x/blobs/{}", data(size).0)
}

fn uploaded(size: usize, mode: UploadMode, resumes: u32) -> OpOutput {
    OpOutput::Blob(BlobOutcome::Uploaded {
        bytes: size as u64,
        mode,
        resumes,
    })
}

fn chunked(chunk_size: u64, reason: ChunkReason) -> UploadMode {
    UploadMode::Chunked { chunk_size, reason }
}

/// `(method, Content-Range, body offset, body length)` of every request
/// with a body.
fn bodies(log: &[(u64, HttpRequest)]) -> Vec<(Method, Option<String>, u64, u64)> {
    log.iter()
        .filter_map(|(_, r)| match &r.body {
            RequestBody::Blob(b) => Some((
                r.method,
                r.header("content-range").map(str::to_string),
                b.offset,
                b.length,
            )),
            _ => None,
        })
        .collect()
}

/// The `Content-Range` of every request with a body.
fn ranges(log: &[(u64, HttpRequest)]) -> Vec<String> {
    bodies(log).into_iter().map(|b| b.1.unwrap()).collect()
}

/// The usual steps of an upload to `reg.example/dst/x`, its sessions named
/// as [`session`] names them.
trait UploadSteps {
    /// `POST` to start an upload, answered 202 with the session `to`.
    fn post_to(self, to: &str) -> Self;
    /// `PATCH` at the session `from`, answered 202 with the session `to`.
    fn patch_to(self, from: &str, to: &str) -> Self;
    /// The closing `PUT` of the `size`-byte blob at the session `at`, answered 201.
    fn put_done(self, size: usize, at: &str) -> Self;
    /// A `PATCH` at each session but the last, each answered with the next
    /// one, then the closing `PUT` at the last.
    fn patches_then_put(self, size: usize, sessions: &[&str]) -> Self;
}

impl UploadSteps for Scenario {
    fn post_to(self, to: &str) -> Self {
        self.expect(
            Method::Post,
            UPLOADS,
            accepted(&format!("/v2/dst/x/blobs/uploads/{to}")),
        )
    }
    fn patch_to(self, from: &str, to: &str) -> Self {
        self.expect(
            Method::Patch,
            &session(from),
            accepted(&format!("/v2/dst/x/blobs/uploads/{to}")),
        )
    }
    fn put_done(self, size: usize, at: &str) -> Self {
        self.expect(Method::Put, &put_url(size, &session(at)), resp(201))
    }
    fn patches_then_put(self, size: usize, sessions: &[&str]) -> Self {
        let patched = sessions
            .windows(2)
            .fold(self, |s, w| s.patch_to(w[0], w[1]));
        patched.put_done(size, sessions[sessions.len() - 1])
    }
}

fn reset() -> TransportError {
    TransportError::new(TransportErrorKind::Io, "connection reset by peer")
}

const KIB: usize = 1024;

#[test]
fn monolithic_413_falls_back_to_chunks_at_the_same_session() {
    let size = 1024 * KIB;
    let mut m = upload(size, None);
    let log = Scenario::new()
        .ping_ok(HOST)
        .post_to("a?_state=0")
        .expect(
            Method::Put,
            &put_url(size, &session("a?_state=0")),
            resp(413).body(b"<html>413 Request Entity Too Large</html>"),
        )
        .patches_then_put(size, &["a?_state=0", "a?_state=1", "a?_state=2"])
        .run(&mut m);
    assert_eq!(
        bodies(&log),
        vec![
            (Method::Put, None, 0, size as u64),
            (Method::Patch, Some("0-524287".into()), 0, 512 * 1024),
            (
                Method::Patch,
                Some("524288-1048575".into()),
                512 * 1024,
                512 * 1024
            ),
        ]
    );
    assert_eq!(log.last().unwrap().1.body, RequestBody::Empty);
    assert_eq!(
        m.output().unwrap(),
        uploaded(size, chunked(512 << 10, ChunkReason::TooLarge), 0)
    );
}

#[test]
fn a_413_on_a_chunk_halves_it_and_resends_at_the_same_offset() {
    let mut m = upload(10, Some(8));
    let log = Scenario::new()
        .ping_ok(HOST)
        .post_to("a")
        .expect(Method::Patch, &session("a"), resp(413))
        .patches_then_put(10, &["a", "b", "c", "d"])
        .run(&mut m);
    assert_eq!(ranges(&log), ["0-7", "0-3", "4-7", "8-9"]);
    assert_eq!(
        m.output().unwrap(),
        uploaded(10, chunked(4, ChunkReason::TooLarge), 0)
    );
}

#[test]
fn a_413_with_no_smaller_chunk_allowed_fails_naming_the_request() {
    let mut m = upload(10, None);
    Scenario::new()
        .ping_ok(HOST)
        .post_to("a")
        .expect(Method::Put, &put_url(10, &session("a")), resp(413))
        .run(&mut m);
    let e = m.output().unwrap_err().to_string();
    assert!(
        e.contains("413") && e.contains("PUT https://reg.example/v2/dst/x/blobs/uploads/a?digest="),
        "{e}"
    );
}

#[test]
fn chunk_min_length_raises_the_chunk_size() {
    let mut m = upload(10, Some(2));
    let log = Scenario::new()
        .ping_ok(HOST)
        .expect(
            Method::Post,
            UPLOADS,
            accepted("/v2/dst/x/blobs/uploads/a").h("OCI-Chunk-Min-Length", "4"),
        )
        .patches_then_put(10, &["a", "b", "c", "d"])
        .run(&mut m);
    assert_eq!(ranges(&log), ["0-3", "4-7", "8-9"]);
    assert_eq!(
        m.output().unwrap(),
        uploaded(10, chunked(4, ChunkReason::Requested), 0)
    );
}

#[test]
fn a_416_lowers_the_chunk_once_then_resyncs_with_the_session() {
    let mut m = upload(10, Some(8));
    let log = Scenario::new()
        .ping_ok(HOST)
        .post_to("a?s=0")
        .expect(Method::Patch, &session("a?s=0"), resp(416))
        .expect(
            Method::Get,
            &session("a?s=0"),
            resp(204)
                .h("Range", "0-0")
                .h("Location", "/v2/dst/x/blobs/uploads/a?s=g"),
        )
        .patches_then_put(10, &["a?s=g", "a?s=4", "a?s=8", "a?s=10"])
        .run(&mut m);
    assert_eq!(ranges(&log), ["0-7", "0-3", "4-7", "8-9"]);
    assert_eq!(
        m.output().unwrap(),
        uploaded(10, chunked(4, ChunkReason::RangeRefused), 1)
    );
}

#[test]
fn a_second_416_starts_the_blob_again() {
    let mut m = upload(10, Some(8));
    Scenario::new()
        .ping_ok(HOST)
        .post_to("a")
        .expect(Method::Patch, &session("a"), resp(416))
        .expect(Method::Get, &session("a"), resp(204).h("Range", "0-0"))
        .expect(Method::Patch, &session("a"), resp(416))
        .expect(Method::Head, &blob_url(10), resp(200))
        .run(&mut m);
    assert_eq!(m.output().unwrap(), OpOutput::Blob(BlobOutcome::Present));
}

#[test]
fn a_dropped_chunk_resumes_from_the_range_the_session_reports() {
    let mut m = upload(10, Some(4));
    let log = Scenario::new()
        .ping_ok(HOST)
        .post_to("a?s=0")
        .patch_to("a?s=0", "a?s=4")
        .expect_err(Method::Patch, &session("a?s=4"), reset())
        .expect(
            Method::Get,
            &session("a?s=4"),
            resp(204)
                .h("Range", "0-3")
                .h("Location", "/v2/dst/x/blobs/uploads/a?s=4b"),
        )
        .patches_then_put(10, &["a?s=4b", "a?s=8", "a?s=10"])
        .run(&mut m);
    assert_eq!(ranges(&log), ["0-3", "4-7", "4-7", "8-9"]);
    // The status request waited for the backoff.
    assert_eq!((log[3].0, log[4].0), (0, 100));
    assert_eq!(
        m.output().unwrap(),
        uploaded(10, chunked(4, ChunkReason::Requested), 1)
    );
}

#[test]
fn a_5xx_on_a_chunk_resumes_where_the_session_stands() {
    // The registry took the whole chunk before failing: continue after it.
    let mut m = upload(10, Some(4));
    let log = Scenario::new()
        .ping_ok(HOST)
        .post_to("a")
        .expect(Method::Patch, &session("a"), resp(503))
        .expect(Method::Get, &session("a"), resp(204).h("Range", "0-3"))
        .patches_then_put(10, &["a", "b", "c"])
        .run(&mut m);
    assert_eq!(ranges(&log), ["0-3", "4-7", "8-9"]);
    assert!(matches!(
        m.output().unwrap(),
        OpOutput::Blob(BlobOutcome::Uploaded { resumes: 1, .. })
    ));
}

#[test]
fn a_session_that_cannot_say_where_it_stands_starts_the_blob_again() {
    // Range absent, malformed, beyond the blob; Distribution's 400
    // BLOB_UPLOAD_INVALID (its stored size no longer matches `_state`).
    let answers = [
        resp(204),
        resp(204).h("Range", "bytes 0-3"),
        resp(204).h("Range", "4-7"),
        resp(204).h("Range", "0-99"),
        resp(400).body(
            br#"{"errors":[{"code":"BLOB_UPLOAD_INVALID","message":"blob upload invalid"}]}"#,
        ),
    ];
    for answer in answers {
        let mut m = upload(10, Some(4));
        Scenario::new()
            .ping_ok(HOST)
            .post_to("a")
            .expect_err(Method::Patch, &session("a"), reset())
            .expect(Method::Get, &session("a"), answer.clone())
            .expect(Method::Head, &blob_url(10), resp(404))
            .post_to("n")
            .patches_then_put(10, &["n", "n1", "n2", "n3"])
            .run(&mut m);
        assert_eq!(
            m.output().unwrap(),
            uploaded(10, chunked(4, ChunkReason::Requested), 0),
            "{answer:?}"
        );
    }
}

#[test]
fn a_session_that_expires_between_chunks_starts_the_blob_again() {
    let mut m = upload(10, Some(4));
    let log = Scenario::new()
        .ping_ok(HOST)
        .post_to("a")
        .patch_to("a", "b")
        .expect(
            Method::Patch,
            &session("b"),
            resp(404).body(br#"{"errors":[{"code":"BLOB_UPLOAD_UNKNOWN","message":"blob upload unknown to registry"}]}"#),
        )
        .expect(Method::Head, &blob_url(10), resp(404))
        .post_to("n")
        .patches_then_put(10, &["n", "n1", "n2", "n3"])
        .run(&mut m);
    assert_eq!(ranges(&log), ["0-3", "4-7", "0-3", "4-7", "8-9"]);
    assert!(m.output().is_ok());
}

#[test]
fn every_chunk_goes_to_the_location_of_the_previous_answer() {
    // Absolute, relative and query-only changes; an answer without a
    // Location keeps the URL it went to.
    let mut m = upload(10, Some(3));
    Scenario::new()
        .ping_ok(HOST)
        .expect(
            Method::Post,
            UPLOADS,
            accepted("https://up.example/s/1?t=a"),
        )
        .expect(
            Method::Patch,
            "https://up.example/s/1?t=a",
            accepted("2?t=b"),
        )
        .expect(Method::Patch, "https://up.example/s/2?t=b", resp(202))
        .expect(
            Method::Patch,
            "https://up.example/s/2?t=b",
            accepted("/s/3"),
        )
        .expect(
            Method::Patch,
            "https://up.example/s/3",
            accepted("/s/4?t=d"),
        )
        .expect(
            Method::Put,
            &put_url(10, "https://up.example/s/4?t=d"),
            resp(201),
        )
        .run(&mut m);
    assert!(m.output().is_ok());
}

#[test]
fn a_dropped_closing_put_after_chunks_asks_the_session_first() {
    // The PUT's answer was lost after the registry committed the blob:
    // the session is gone (404) and the blob is there.
    let mut m = upload(10, Some(5));
    Scenario::new()
        .ping_ok(HOST)
        .post_to("a")
        .patch_to("a", "b")
        .patch_to("b", "c")
        .expect_err(Method::Put, &put_url(10, &session("c")), reset())
        .expect(Method::Get, &session("c"), resp(404))
        .expect(Method::Head, &blob_url(10), resp(200))
        .run(&mut m);
    assert_eq!(m.output().unwrap(), OpOutput::Blob(BlobOutcome::Present));
}
