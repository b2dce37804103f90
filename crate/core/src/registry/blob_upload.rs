//! Upload a blob (ggcr `remote.writer.uploadOne`, with a monolithic PUT by
//! default).
//!
//! ```text
//!  HEAD blob ──200──────────────────────────────────────────> Present
//!    │404, 5xx      (skipped when the caller already knows it is absent)
//!    ▼
//!  POST uploads/ [?mount=<d>&from=<src>] ──201 (mount)──────> Mounted
//!    │202 Location          └─mount refused (4xx) ──> POST uploads/ (no mount)
//!    ▼
//!  [PATCH <Location> chunk, Content-Range]* ──202 Location──┐  (chunk_size set
//!    ▼                                          ◄───────────┘   and blob larger)
//!  PUT <Location>&digest=<d>  (remaining bytes, or empty) ──201──> Uploaded
//! ```
//!
//! `Location` may be relative (resolved against the request URL) and may
//! carry a query (`?_state=`): `digest=` is then appended with `&`.
//! PATCH and PUT are [`RetryMode::Restart`]: after a temporary failure the
//! upload starts over from `HEAD`, because a used upload URL cannot be
//! replayed.

use crate::digest::Digest;
use crate::plan::BlobSource;
use crate::reference::Repository;

use super::auth::{repository_scope, PULL_ACTIONS, PUSH_ACTIONS};
use super::error::RegistryError;
use super::http::{
    append_query, percent_encode, resolve_location, BlobBody, HttpResponse, Method, RequestBody,
    TransportError,
};
use super::op::{
    blob_path, upload_path, BlobOutcome, OpOutput, OpRequest, Operation, RetryMode, Target,
};

/// How many times an upload restarts by itself after its session was lost
/// (404 `BLOB_UPLOAD_UNKNOWN`, 416) before giving up.
const MAX_SELF_RESTARTS: u32 = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Head,
    Post { mount: bool },
    Patch { location: String, offset: u64 },
    Put { location: String, offset: u64 },
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
    /// larger; `None`: one `PUT` with the whole body.
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
            options,
            state,
            self_restarts: 0,
            output: None,
        }
    }

    fn finish(&mut self, out: Result<BlobOutcome, RegistryError>) {
        self.state = State::Done;
        self.output = Some(out.map(OpOutput::Blob));
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

    fn after_location(&mut self, url: &str, resp: &HttpResponse, offset: u64) {
        let Some(loc) = resp.header("location") else {
            return self.finish(Err(RegistryError::MissingLocation {
                url: url.to_string(),
                status: resp.status,
            }));
        };
        let location = resolve_location(url, loc);
        let chunked = matches!(self.options.chunk_size, Some(c) if c > 0 && self.size > c);
        self.state = if chunked && offset < self.size {
            State::Patch { location, offset }
        } else {
            State::Put { location, offset }
        };
    }

    /// The upload session was lost: start again (bounded).
    fn self_restart(&mut self, err: RegistryError) {
        if self.self_restarts < MAX_SELF_RESTARTS {
            self.self_restarts += 1;
            self.state = State::Head;
        } else {
            self.finish(Err(err));
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
                let chunk = self.options.chunk_size.unwrap_or(self.size).max(1);
                let len = chunk.min(self.size - offset);
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
        }
    }

    fn handle_response(&mut self, url: &str, response: Result<HttpResponse, TransportError>) {
        let state = self.state.clone();
        let method = match state {
            State::Head => Method::Head,
            State::Post { .. } => Method::Post,
            State::Patch { .. } => Method::Patch,
            State::Put { .. } => Method::Put,
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
                202 => self.after_location(url, &resp, 0),
                400..=499 if mount => self.state = State::Post { mount: false },
                _ => self.finish(Err(RegistryError::from_response(method, url, &resp))),
            },
            State::Patch { offset, .. } => match resp.status {
                201..=204 => {
                    let chunk = self.options.chunk_size.unwrap_or(self.size).max(1);
                    let next = offset + chunk.min(self.size - offset);
                    if resp.header("location").is_some() {
                        self.after_location(url, &resp, next)
                    } else {
                        // Keep the same URL.
                        let location = url.to_string();
                        self.state = if next < self.size {
                            State::Patch {
                                location,
                                offset: next,
                            }
                        } else {
                            State::Put {
                                location,
                                offset: next,
                            }
                        };
                    }
                }
                404 | 416 => self.self_restart(RegistryError::from_response(method, url, &resp)),
                _ => self.finish(Err(RegistryError::from_response(method, url, &resp))),
            },
            State::Put { .. } => match resp.status {
                201 | 204 | 200 => self.finish(Ok(BlobOutcome::Uploaded { bytes: self.size })),
                404 | 416 => self.self_restart(RegistryError::from_response(method, url, &resp)),
                _ => self.finish(Err(RegistryError::from_response(method, url, &resp))),
            },
            State::Done => {}
        }
    }

    fn restart(&mut self) {
        self.state = State::Head;
    }

    fn poll_output(&mut self) -> Option<Result<OpOutput, RegistryError>> {
        self.output.take()
    }
}
