//! HEAD many blobs, each in its repository, and report which exist: the
//! check a thin import runs before it writes anything.
//!
//! ```text
//!  for each (repository, digest), at once:  HEAD /v2/<repo>/blobs/<digest>
//!     200 -> Some(size)    404 -> None    else -> the first error ends it
//! ```

use crate::digest::Digest;
use crate::reference::Repository;

use super::auth::PULL_ACTIONS;
use super::blob_head::HeadBlob;
use super::client::{CallId, Client, ClientEvent, RequestId, Transmit};
use super::error::RegistryError;
use super::http::{HttpResponse, TransportError};
use super::op::OpOutput;
use super::Machine;

/// Probes a list of blobs (see the module doc).
#[derive(Debug)]
pub struct BlobProbe {
    client: Client,
    calls: Vec<CallId>,
    found: Vec<Option<Option<u64>>>,
    error: Option<RegistryError>,
}

impl BlobProbe {
    /// Starts one `HEAD` per `(repository, digest)` on `client`, all at once.
    pub fn new(mut client: Client, blobs: &[(Repository, Digest)]) -> BlobProbe {
        let calls = blobs
            .iter()
            .map(|(r, d)| client.start(HeadBlob::new(r.clone(), *d, PULL_ACTIONS)))
            .collect();
        BlobProbe {
            client,
            calls,
            found: vec![None; blobs.len()],
            error: None,
        }
    }

    /// Per blob, in order: `Some(size)` when present, `None` when absent;
    /// or the first error.
    pub fn result(&self) -> Option<Result<Vec<Option<u64>>, RegistryError>> {
        if let Some(e) = &self.error {
            return Some(Err(e.clone()));
        }
        self.found
            .iter()
            .copied()
            .collect::<Option<Vec<_>>>()
            .map(Ok)
    }

    /// Ends the probe and returns its client (tokens kept for the next machine).
    pub fn into_client(self) -> Client {
        self.client
    }

    fn drain(&mut self) {
        while let Some(ev) = self.client.poll_event() {
            if let ClientEvent::Completed { call, result } = ev {
                let Some(i) = self.calls.iter().position(|c| *c == call) else {
                    continue;
                };
                match result {
                    Ok(OpOutput::BlobSize(s)) => self.found[i] = Some(s),
                    Ok(other) => {
                        self.error.get_or_insert(RegistryError::UnexpectedOutput {
                            output: format!("{other:?}"),
                            context: "probing a blob".into(),
                        });
                    }
                    Err(e) => {
                        self.error.get_or_insert(e);
                    }
                }
            }
        }
    }
}

impl Machine for BlobProbe {
    fn poll_transmit(&mut self, now_ms: u64) -> Option<Transmit> {
        if self.is_finished() {
            return None;
        }
        let t = self.client.poll_transmit(now_ms);
        self.drain();
        t
    }

    fn handle_response(
        &mut self,
        id: RequestId,
        now_ms: u64,
        result: Result<HttpResponse, TransportError>,
    ) {
        self.client.handle_response(id, now_ms, result);
        self.drain();
    }

    fn poll_timeout(&self) -> Option<u64> {
        self.client.poll_timeout()
    }

    fn is_finished(&self) -> bool {
        self.error.is_some() || self.found.iter().all(Option::is_some)
    }
}
