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
use super::client::{CallId, Client};
use super::error::RegistryError;
use super::on_client::OnClient;
use super::op::OpOutput;

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
}

impl OnClient for BlobProbe {
    crate::client_in_field!(client);

    fn on_completed(&mut self, call: CallId, result: Result<OpOutput, RegistryError>) {
        let Some(i) = self.calls.iter().position(|c| *c == call) else {
            return;
        };
        match result {
            Ok(OpOutput::BlobSize(s)) => self.found[i] = Some(s),
            Ok(other) => {
                self.error
                    .get_or_insert(RegistryError::unexpected(&other, "probing a blob"));
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
    }

    fn is_done(&self) -> bool {
        self.error.is_some() || self.found.iter().all(Option::is_some)
    }
}
