//! Blob downloads into one output file (an imgpkg tar being written, a
//! layer being pulled), `concurrency` at a time: each job is a
//! [`DownloadBlob`] whose body the transport writes at the job's offset.
//!
//! ```text
//!  pending ──start (≤ concurrency)──> GET blob ──200──> transport writes
//!                                        │               + verifies ──> done
//!                                        └ error ──> stop, report it
//! ```

use std::collections::{HashMap, VecDeque};

use crate::digest::Digest;
use crate::reference::Repository;

use super::blob_get::DownloadBlob;
use super::client::{CallId, Client};
use super::error::RegistryError;
use super::http::BlobSink;
use super::on_client::OnClient;
use super::op::OpOutput;

/// One blob to fetch from `repository` into the output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadJob {
    /// The repository to `GET` the blob from.
    pub repository: Repository,
    /// Which blob, how many bytes, and where in the output file they go.
    pub sink: BlobSink,
}

/// A finished download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// The blob's digest.
    pub digest: Digest,
    /// Bytes written (its size).
    pub size: u64,
}

/// The download machine (see the module doc).
#[derive(Debug)]
pub struct Downloads {
    client: Client,
    pending: VecDeque<DownloadJob>,
    active: HashMap<CallId, DownloadJob>,
    concurrency: usize,
    done: VecDeque<Downloaded>,
    error: Option<RegistryError>,
    finished: bool,
}

impl Downloads {
    /// Starts up to `concurrency` (at least 1) of `jobs` at once, in order, on `client`.
    pub fn new(client: Client, jobs: Vec<DownloadJob>, concurrency: usize) -> Downloads {
        let mut d = Downloads {
            client,
            pending: jobs.into(),
            active: HashMap::new(),
            concurrency: concurrency.max(1),
            done: VecDeque::new(),
            error: None,
            finished: false,
        };
        d.start_more();
        d
    }

    fn start_more(&mut self) {
        if self.error.is_some() {
            return;
        }
        while self.active.len() < self.concurrency {
            let Some(job) = self.pending.pop_front() else {
                break;
            };
            let call = self
                .client
                .start(DownloadBlob::new(job.repository.clone(), job.sink.clone()));
            self.active.insert(call, job);
        }
        if self.active.is_empty() && self.pending.is_empty() {
            self.finished = true;
        }
    }

    /// The next finished download, for progress reporting.
    pub fn poll_done(&mut self) -> Option<Downloaded> {
        self.done.pop_front()
    }

    /// Once finished: `Ok` when every job was written and verified.
    pub fn result(&self) -> Option<Result<(), RegistryError>> {
        if !self.finished {
            return None;
        }
        Some(match &self.error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        })
    }

    /// Ends the machine and returns its client.
    pub fn into_client(self) -> Client {
        self.client
    }
}

impl OnClient for Downloads {
    crate::client_in_field!(client);

    fn on_completed(&mut self, call: CallId, result: Result<OpOutput, RegistryError>) {
        let Some(job) = self.active.remove(&call) else {
            return;
        };
        match result {
            Ok(OpOutput::BlobStored(size)) => self.done.push_back(Downloaded {
                digest: job.sink.digest,
                size,
            }),
            Ok(other) => {
                let context = format!("downloading {}", job.sink.digest);
                self.error = Some(RegistryError::unexpected(&other, context))
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        if self.error.is_some() {
            self.client.abort_all();
            self.active.clear();
            self.finished = true;
        } else {
            self.start_more();
        }
    }

    fn is_done(&self) -> bool {
        self.finished
    }
}
