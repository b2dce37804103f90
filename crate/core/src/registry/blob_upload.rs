//! Upload a blob (ggcr `remote.writer.uploadOne`, with a monolithic PUT by
//! default, chunks on request or when a proxy refuses the body, and resume
//! inside a chunked blob).
//!
//! ```text
//!  HEAD blob ──200──────────────────────────────────────────> Present
//!    │404, 5xx      (skipped when the caller already knows it is absent)
//!    ▼
//!  POST uploads/ [?mount=<d>&from=<src>] ──201 (mount)──────> Mounted
//!    │202 Location          └─mount refused (4xx) ──> POST uploads/ (no mount)
//!    │   [OCI-Chunk-Min-Length]
//!    ▼
//!  [PATCH <Location> chunk, Content-Range]* ──202 Location──┐  (chunk size set
//!    │  413 → halve the chunk, same offset       ◄──────────┘   and blob larger)
//!    │  416 → lower the chunk once, then GET <Location>
//!    │  network error / 5xx → GET <Location> ── Range: 0-N ──> PATCH from N+1
//!    │                          └─ 404 / 400 / no Range ──> HEAD (start again)
//!    ▼
//!  PUT <Location>&digest=<d>  (remaining bytes, or empty) ──201──> Uploaded
//!    └─ 413 on a whole body → PATCH chunks (halving from 64 MiB) at that Location
//! ```
//!
//! `Location` may be relative (resolved against the request URL) and may
//! carry a query (`?_state=`): `digest=` is then appended with `&`. Every
//! answer's `Location` replaces the previous one (Distribution's `_state`
//! changes with each chunk). PATCH and PUT are [`RetryMode::Restart`]: after
//! a temporary failure the client calls [`Operation::restart`], which asks
//! the upload session where it stands (chunked uploads) or starts over from
//! `HEAD` (a used monolithic upload URL cannot be replayed).
//!
//! Distribution 2.8 cancels an upload whose stored size differs from the
//! offset its `_state` names, so after a chunk that reached it only in part
//! its `GET` answers `400 BLOB_UPLOAD_INVALID` and the blob starts again; a
//! front that buffers request bodies (nginx's default) keeps a cut chunk
//! from it, and the upload resumes.

use crate::digest::Digest;
use crate::plan::BlobSource;
use crate::reference::Repository;

use super::auth::{repository_scope, PULL_ACTIONS, PUSH_ACTIONS};
use super::error::RegistryError;
use super::http::{
    append_query, percent_encode, resolve_location, BlobBody, HttpResponse, HttpResult, Method,
    RequestBody,
};
use super::op::{
    blob_path, upload_path, BlobOutcome, OpOutput, OpRequest, Operation, RetryMode, Target,
};
use super::upload_chunks::{
    fallback_chunk, lowered_chunk, parse_min_length, parse_upload_range, ChunkReason, UploadMode,
};

/// How many times an upload restarts by itself after its session was lost
/// (404 `BLOB_UPLOAD_UNKNOWN`, 416, a session that cannot say where it
/// stands) before giving up.
const MAX_SELF_RESTARTS: u32 = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Head,
    Post {
        mount: bool,
    },
    Patch {
        location: String,
        offset: u64,
    },
    Put {
        location: String,
        offset: u64,
    },
    /// `GET <location>`: how many bytes the session holds (resume).
    Status {
        location: String,
    },
    Done,
}

/// Options for one upload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadOptions {
    /// `HEAD` first and skip when present.
    pub check_exists: bool,
    /// Try `POST ?mount=<digest>&from=<repo>` first (same registry only).
    pub mount_from: Option<Repository>,
    /// Send the body in `PATCH` chunks of this size when the blob is
    /// larger (raised to the registry's `OCI-Chunk-Min-Length`); `None` or
    /// `Some(0)`: one `PUT` with the whole body, in chunks only if that is
    /// refused with 413.
    pub chunk_size: Option<u64>,
}

/// Upload one blob to a repository.
#[derive(Debug)]
pub struct UploadBlob {
    repository: Repository,
    digest: Digest,
    size: u64,
    source: BlobSource,
    options: UploadOptions,
    state: State,
    self_restarts: u32,
    /// The chunk size in use (before the registry's minimum is applied).
    chunk: Option<u64>,
    /// Why chunks are used.
    reason: ChunkReason,
    /// `OCI-Chunk-Min-Length` of the current session.
    min_chunk: u64,
    /// A 416 already lowered the chunk size.
    lowered_416: bool,
    /// Some `PATCH` of this blob was accepted.
    patched: bool,
    /// The last upload URL the registry handed out, and the offset it
    /// stood at then.
    confirmed: Option<(String, u64)>,
    /// Times the upload continued where its session stood.
    resumes: u32,
    output: Option<Result<OpOutput, RegistryError>>,
}

impl UploadBlob {
    /// An upload of the `size`-byte blob `digest` from `source` into `repository`, as `options` say
    /// (check first, mount, chunked or monolithic).
    pub fn new(
        repository: Repository,
        digest: Digest,
        size: u64,
        source: BlobSource,
        options: UploadOptions,
    ) -> Self {
        let state = initial_state(&options);
        UploadBlob {
            repository,
            digest,
            size,
            source,
            chunk: options.chunk_size.filter(|c| *c > 0),
            options,
            state,
            self_restarts: 0,
            reason: ChunkReason::Requested,
            min_chunk: 0,
            lowered_416: false,
            patched: false,
            confirmed: None,
            resumes: 0,
            output: None,
        }
    }

    fn finish(&mut self, out: Result<BlobOutcome, RegistryError>) {
        self.state = State::Done;
        self.output = Some(out.map(OpOutput::Blob));
    }

    fn uploaded(&mut self) {
        let mode = match self.chunk_len() {
            Some(chunk_size) if self.patched => UploadMode::Chunked {
                chunk_size,
                reason: self.reason,
            },
            _ => UploadMode::Monolithic,
        };
        self.finish(Ok(BlobOutcome::Uploaded {
            bytes: self.size,
            mode,
            resumes: self.resumes,
        }));
    }

    /// The chunk size in effect: the one in use, at least the registry's
    /// minimum.
    fn chunk_len(&self) -> Option<u64> {
        self.chunk.map(|c| c.max(self.min_chunk).max(1))
    }

    /// Whether the blob goes in `PATCH` chunks.
    fn chunked(&self) -> bool {
        matches!(self.chunk_len(), Some(c) if self.size > c)
    }

    /// The length of the chunk starting at `offset`.
    fn patch_len(&self, offset: u64) -> u64 {
        self.chunk_len()
            .unwrap_or(self.size)
            .min(self.size - offset)
    }

    fn body(&self, offset: u64, length: u64) -> RequestBody {
        if length == 0 {
            return RequestBody::Empty;
        }
        RequestBody::Blob(BlobBody {
            digest: self.digest,
            source: self.source.clone(),
            offset,
            length,
            size: self.size,
            fetch: None,
        })
    }

    /// The session stands at `offset` of `location`: send the next chunk,
    /// or the closing `PUT` (with what is left when not chunked).
    fn continue_at(&mut self, location: String, offset: u64) {
        self.confirmed = Some((location.clone(), offset));
        self.state = if self.chunked() && offset < self.size {
            State::Patch { location, offset }
        } else {
            State::Put { location, offset }
        };
    }

    fn after_location(&mut self, url: &str, resp: &HttpResponse, offset: u64) {
        let Some(loc) = resp.header("location") else {
            return self.finish(Err(RegistryError::MissingLocation {
                url: url.to_string(),
                status: resp.status,
            }));
        };
        let location = resolve_location(url, loc);
        self.continue_at(location, offset);
    }

    /// The upload session was lost: start again (bounded).
    fn self_restart(&mut self, err: RegistryError) {
        if self.self_restarts < MAX_SELF_RESTARTS {
            self.self_restarts += 1;
            self.start_over();
        } else {
            self.finish(Err(err));
        }
    }

    fn start_over(&mut self) {
        self.confirmed = None;
        self.patched = false;
        self.state = State::Head;
    }

    /// `PATCH` answered: the chunk `offset..offset+len` is in.
    fn on_patch(&mut self, url: &str, resp: &HttpResponse, offset: u64) {
        let len = self.patch_len(offset);
        let err = || RegistryError::from_response(Method::Patch, url, resp);
        match resp.status {
            201..=204 => {
                self.patched = true;
                let next = offset + len;
                let location = resp
                    .header("location")
                    .map(|l| resolve_location(url, l))
                    .unwrap_or_else(|| url.to_string());
                self.continue_at(location, next);
            }
            // A proxy's body limit: the chunk never reached the registry.
            413 => match self
                .chunk_len()
                .and_then(|c| lowered_chunk(c, self.min_chunk))
            {
                Some(c) => {
                    self.chunk = Some(c);
                    self.reason = ChunkReason::TooLarge;
                    self.state = State::Patch {
                        location: url.to_string(),
                        offset,
                    };
                }
                None => self.finish(Err(err())),
            },
            416 if !self.lowered_416 => {
                self.lowered_416 = true;
                if let Some(c) = self
                    .chunk_len()
                    .and_then(|c| lowered_chunk(c, self.min_chunk))
                {
                    self.chunk = Some(c);
                    self.reason = ChunkReason::RangeRefused;
                }
                self.state = State::Status {
                    location: url.to_string(),
                };
            }
            404 | 416 => self.self_restart(err()),
            _ => self.finish(Err(err())),
        }
    }

    /// `PUT` answered.
    fn on_put(&mut self, url: &str, resp: &HttpResponse, location: String, offset: u64) {
        let err = || RegistryError::from_response(Method::Put, url, resp);
        match resp.status {
            201 | 204 | 200 => self.uploaded(),
            // The whole (remaining) body was too large for a proxy: send
            // it in chunks to the same session, which never saw it.
            413 if offset < self.size => {
                let refused = self.size - offset;
                let smaller = match self.chunk_len() {
                    Some(c) if c < refused => lowered_chunk(c, self.min_chunk),
                    _ => fallback_chunk(refused, self.min_chunk),
                };
                match smaller {
                    Some(c) => {
                        self.chunk = Some(c);
                        self.reason = ChunkReason::TooLarge;
                        self.continue_at(location, offset);
                    }
                    None => self.finish(Err(err())),
                }
            }
            404 | 416 => self.self_restart(err()),
            _ => self.finish(Err(err())),
        }
    }

    /// `GET <location>` answered: continue from the `Range` it reports, or
    /// start again when the session is gone or cannot say.
    fn on_status(&mut self, url: &str, resp: &HttpResponse) {
        let err = || RegistryError::from_response(Method::Get, url, resp);
        match resp.status {
            200..=204 => {
                let held = resp.header("range").and_then(parse_upload_range);
                match held {
                    Some(n) if n <= self.size => {
                        let location = resp
                            .header("location")
                            .map(|l| resolve_location(url, l))
                            .unwrap_or_else(|| url.to_string());
                        self.resumes += 1;
                        self.continue_at(location, n);
                    }
                    _ => self.self_restart(err()),
                }
            }
            400 | 404 | 416 => self.self_restart(err()),
            _ => self.finish(Err(err())),
        }
    }
}

fn initial_state(options: &UploadOptions) -> State {
    if options.check_exists {
        State::Head
    } else {
        State::Post {
            mount: options.mount_from.is_some(),
        }
    }
}

impl Operation for UploadBlob {
    fn repository(&self) -> &Repository {
        &self.repository
    }

    fn scopes(&self) -> Vec<String> {
        let mut s = vec![repository_scope(&self.repository, PUSH_ACTIONS)];
        if let Some(from) = &self.options.mount_from {
            if from != &self.repository {
                s.push(repository_scope(from, PULL_ACTIONS));
            }
        }
        s
    }

    fn poll_transmit(&mut self) -> Option<OpRequest> {
        match &self.state {
            State::Done => None,
            State::Head => Some(OpRequest::new(
                Method::Head,
                Target::Path(blob_path(&self.repository, &self.digest)),
            )),
            State::Post { mount } => {
                let mut path = upload_path(&self.repository);
                if *mount {
                    if let Some(from) = &self.options.mount_from {
                        path = format!(
                            "{path}?mount={}&from={}",
                            percent_encode(&self.digest.to_string()),
                            percent_encode(&from.path())
                        );
                    }
                }
                let mut req = OpRequest::new(Method::Post, Target::Path(path));
                req.follow_redirects = false;
                Some(req)
            }
            State::Patch { location, offset } => {
                let len = self.patch_len(*offset);
                let mut req = OpRequest::new(Method::Patch, Target::Url(location.clone()))
                    .header("Content-Type", "application/octet-stream")
                    .header("Content-Range", format!("{offset}-{}", offset + len - 1))
                    .body(self.body(*offset, len))
                    .retry(RetryMode::Restart);
                req.follow_redirects = false;
                Some(req)
            }
            State::Put { location, offset } => {
                let url = append_query(location, "digest", &self.digest.to_string());
                let mut req = OpRequest::new(Method::Put, Target::Url(url))
                    .header("Content-Type", "application/octet-stream")
                    .body(self.body(*offset, self.size - offset))
                    .retry(RetryMode::Restart);
                req.follow_redirects = false;
                Some(req)
            }
            State::Status { location } => {
                let mut req = OpRequest::new(Method::Get, Target::Url(location.clone()));
                req.follow_redirects = false;
                Some(req)
            }
        }
    }

    fn handle_response(&mut self, url: &str, response: HttpResult) {
        let state = self.state.clone();
        let method = match state {
            State::Head => Method::Head,
            State::Post { .. } => Method::Post,
            State::Patch { .. } => Method::Patch,
            State::Put { .. } => Method::Put,
            State::Status { .. } => Method::Get,
            State::Done => return,
        };
        let resp = match response {
            Ok(r) => r,
            Err(e) => return self.finish(Err(RegistryError::transport(method, url, e))),
        };
        match state {
            State::Head => match resp.status {
                200 => self.finish(Ok(BlobOutcome::Present)),
                // 404: absent. A 5xx that outlived the retries is treated as
                // absent too and the blob is uploaded again (harmless: blobs
                // are content-addressed): Distribution's filesystem driver
                // leaves a zero-length link after a write failed (a full
                // disk, a crash) and answers 500 to HEAD until an upload
                // rewrites it. A registry that is really broken fails the
                // upload itself, with its own error.
                404 | 500..=599 => {
                    self.state = State::Post {
                        mount: self.options.mount_from.is_some(),
                    }
                }
                _ => self.finish(Err(RegistryError::from_response(method, url, &resp))),
            },
            State::Post { mount } => match resp.status {
                201 if mount => self.finish(Ok(BlobOutcome::Mounted)),
                201 => {
                    // Some registries answer 201 to a plain POST with an
                    // already-complete upload; treat as present.
                    self.finish(Ok(BlobOutcome::Present))
                }
                202 => {
                    self.min_chunk = parse_min_length(resp.header("oci-chunk-min-length"));
                    self.after_location(url, &resp, 0)
                }
                400..=499 if mount => self.state = State::Post { mount: false },
                _ => self.finish(Err(RegistryError::from_response(method, url, &resp))),
            },
            State::Patch { offset, .. } => self.on_patch(url, &resp, offset),
            State::Put { location, offset } => self.on_put(url, &resp, location, offset),
            State::Status { .. } => self.on_status(url, &resp),
            State::Done => {}
        }
    }

    /// After a temporary failure of a `PATCH` or `PUT`: a chunked upload
    /// asks its session where it stands; anything else starts over.
    fn restart(&mut self) {
        match (&self.state, &self.confirmed) {
            (State::Patch { .. } | State::Put { .. }, Some((location, _))) if self.chunked() => {
                self.state = State::Status {
                    location: location.clone(),
                }
            }
            _ => self.start_over(),
        }
    }

    fn poll_output(&mut self) -> Option<Result<OpOutput, RegistryError>> {
        self.output.take()
    }
}
