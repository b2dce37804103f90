//! The check a thin import runs before it writes anything: is every layer
//! the thin tar left out already in the registry?
//!
//! ```text
//!  new()    a receipt made on another registry than REPO's ──> OtherRegistry
//!  round 1  HEAD /v2/<REPO>/blobs/<d>, every omitted blob at once
//!  round 2  for each blob still absent: HEAD it in every other repository
//!           of REPO's registry that its receipt names (found: mount it)
//!  all found ──> ThinCheckOutcome (where each blob is)
//!  any absent ──> ThinCheckError::Missing (each blob, the images that need
//!                 it, the receipt or tar that promised it)
//!  a request failed ──> ThinCheckError::Check
//! ```
//!
//! The CLI (`airlock copy --tar`) and the page's push drive the same
//! machine and print its outcome and errors as they are; nothing is written
//! by it (HEADs only), so a refusal leaves the registry as it was.

use std::collections::BTreeMap;
use std::fmt;

use crate::digest::Digest;
use crate::inspect::human_size;
use crate::receipt::{self, ReceiptError};
use crate::reference::Repository;
use crate::thin::{Omitted, OmittedBlob};

use super::blob_probe::BlobProbe;
use super::client::{Client, RequestId, Transmit};
use super::error::RegistryError;
use super::http::HttpResult;
use super::Machine;

/// One omitted layer the registry does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingBlob {
    /// `sha256:<hex>`.
    pub digest: String,
    /// Bytes.
    pub size: u64,
    /// `Refs[0]` of every image that needs it.
    pub images: Vec<String>,
    /// What promised it: `receipt FILE` or `tar FILE`.
    pub promised_by: String,
}

impl fmt::Display for MissingBlob {
    /// The line the refusal lists it with.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "  {} ({} bytes), needed by {}; promised by {}",
            self.digest,
            self.size,
            crate::thin::images_text(&self.images),
            self.promised_by
        )
    }
}

fn lines(missing: &[MissingBlob]) -> String {
    missing
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Why a thin import stops before writing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ThinCheckError {
    /// A receipt of the tar was made on another registry than the destination's.
    #[error("{tar}: {source}; nothing was pushed")]
    OtherRegistry {
        /// The thin tar's name.
        tar: String,
        /// The mismatch.
        #[source]
        source: ReceiptError,
    },
    /// A HEAD failed (auth, network, a registry error).
    #[error("checking the omitted layers in {repo}: {source}")]
    Check {
        /// The destination repository.
        repo: String,
        /// What failed.
        #[source]
        source: Box<RegistryError>,
    },
    /// Some omitted layers are nowhere to be found.
    #[error("{tar} is a thin tar, and {} of its {total} omitted layer(s) are not in {repo} (nor in the repositories its receipts name); nothing was pushed:\n{}\nImport the tar those layers came with first, or export again against a fresh receipt", .missing.len(), lines(.missing))]
    Missing {
        /// The thin tar's name.
        tar: String,
        /// Omitted layers in all.
        total: usize,
        /// The destination repository.
        repo: String,
        /// Every layer not found, by digest.
        missing: Vec<MissingBlob>,
    },
}

/// Where each omitted layer was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThinCheckOutcome {
    /// The destination repository.
    pub repo: Repository,
    /// Each omitted blob and the repository holding it (the destination,
    /// or another repository of its registry to mount from).
    pub found: BTreeMap<Digest, Repository>,
    /// Bytes of the omitted blobs.
    pub bytes: u64,
}

impl ThinCheckOutcome {
    /// Blobs already in the destination repository (the copy needs no
    /// request for them: [`CopySession::with_present_blobs`](super::CopySession::with_present_blobs)).
    pub fn present(&self) -> Vec<Digest> {
        self.found
            .iter()
            .filter(|(_, r)| **r == self.repo)
            .map(|(d, _)| *d)
            .collect()
    }

    /// Blobs to mount from another repository.
    pub fn to_mount(&self) -> usize {
        self.found.values().filter(|r| **r != self.repo).count()
    }
}

impl fmt::Display for ThinCheckOutcome {
    /// The summary line the CLI prints and the page shows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "thin tar: all {} omitted layers ({}) are in the registry ({} to mount from other repositories)",
            self.found.len(),
            human_size(self.bytes),
            self.to_mount()
        )
    }
}

/// The thin import check (see the module doc). Drive it as a [`Machine`];
/// read [`ThinCheck::result`] once finished.
#[derive(Debug)]
pub struct ThinCheck {
    tar: String,
    repo: Repository,
    omitted: Omitted,
    /// `(repository, digest)` asked in the running round, in order.
    asked: Vec<(Repository, Digest)>,
    probe: Option<BlobProbe>,
    client: Option<Client>,
    round: u8,
    found: BTreeMap<Digest, Repository>,
    result: Option<Result<ThinCheckOutcome, ThinCheckError>>,
}

impl ThinCheck {
    /// Checks the blobs `omitted` lists (the entry of the thin tar named
    /// `tar`) against `repo`.
    pub fn new(client: Client, tar: &str, omitted: &Omitted, repo: &Repository) -> ThinCheck {
        let mut check = ThinCheck {
            tar: tar.to_string(),
            repo: repo.clone(),
            omitted: omitted.clone(),
            asked: Vec::new(),
            probe: None,
            client: Some(client),
            round: 0,
            found: BTreeMap::new(),
            result: None,
        };
        for p in &omitted.promises {
            if let Some(r) = &p.registry {
                if let Err(source) = receipt::check_registry(&p.file, r, repo.registry()) {
                    check.result = Some(Err(ThinCheckError::OtherRegistry {
                        tar: tar.to_string(),
                        source,
                    }));
                    return check;
                }
            }
        }
        let first = omitted
            .by_digest()
            .into_keys()
            .map(|d| (repo.clone(), d))
            .collect();
        check.start_round(first);
        check
    }

    /// The outcome, once finished.
    pub fn result(&self) -> Option<&Result<ThinCheckOutcome, ThinCheckError>> {
        self.result.as_ref()
    }

    /// Takes the outcome, once finished.
    pub fn take_result(&mut self) -> Option<Result<ThinCheckOutcome, ThinCheckError>> {
        self.result.take()
    }

    /// The client back (its token cache serves the copy that follows).
    pub fn into_client(self) -> Client {
        self.client
            .or(self.probe.map(BlobProbe::into_client))
            .expect("the check holds its client, or its probe does")
    }

    fn start_round(&mut self, asked: Vec<(Repository, Digest)>) {
        self.round += 1;
        if asked.is_empty() {
            return self.finish();
        }
        let client = self.client.take().expect("client between rounds");
        self.probe = Some(BlobProbe::new(client, &asked));
        self.asked = asked;
    }

    /// A round is over: record what it found, start the next or finish.
    fn advance(&mut self) {
        if !self.probe.as_ref().is_some_and(|p| p.is_finished()) {
            return;
        }
        let probe = self.probe.take().expect("probe checked above");
        let outcome = probe.result();
        self.client = Some(probe.into_client());
        match outcome {
            Some(Ok(sizes)) => {
                for ((r, d), s) in self.asked.iter().zip(sizes) {
                    if s.is_some() && !self.found.contains_key(d) {
                        self.found.insert(*d, r.clone());
                    }
                }
            }
            Some(Err(e)) => {
                self.result = Some(Err(ThinCheckError::Check {
                    repo: self.repo.to_string(),
                    source: Box::new(e),
                }));
                return;
            }
            None => {}
        }
        if self.round >= 2 {
            return self.finish();
        }
        let next = self.second_round();
        self.start_round(next);
    }

    /// Each blob still absent, in every other repository its receipt names.
    fn second_round(&self) -> Vec<(Repository, Digest)> {
        let repo_path = self.repo.path();
        self.omitted
            .by_digest()
            .into_iter()
            .filter(|(d, _)| !self.found.contains_key(d))
            .flat_map(|(d, b)| {
                b.repositories
                    .iter()
                    .filter(|path| **path != repo_path)
                    .filter_map(|path| {
                        Repository::parse(&format!("{}/{path}", self.repo.registry())).ok()
                    })
                    .map(move |r| (r, d))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn finish(&mut self) {
        let blobs = self.omitted.by_digest();
        let missing: Vec<MissingBlob> = blobs
            .iter()
            .filter(|(d, _)| !self.found.contains_key(d))
            .map(|(_, b)| self.missing(b))
            .collect();
        self.result = Some(if missing.is_empty() {
            Ok(ThinCheckOutcome {
                repo: self.repo.clone(),
                found: std::mem::take(&mut self.found),
                bytes: self.omitted.bytes(),
            })
        } else {
            Err(ThinCheckError::Missing {
                tar: self.tar.clone(),
                total: blobs.len(),
                repo: self.repo.to_string(),
                missing,
            })
        });
    }

    fn missing(&self, b: &OmittedBlob) -> MissingBlob {
        MissingBlob {
            digest: b.digest.clone(),
            size: b.size,
            images: b.images.clone(),
            promised_by: self.omitted.promised_by(b),
        }
    }
}

impl Machine for ThinCheck {
    fn poll_transmit(&mut self, now_ms: u64) -> Option<Transmit> {
        loop {
            if self.result.is_some() {
                return None;
            }
            let probe = self.probe.as_mut()?;
            let t = probe.poll_transmit(now_ms);
            if t.is_some() {
                return t;
            }
            let round = self.round;
            self.advance();
            if self.round == round {
                return None;
            }
        }
    }

    fn handle_response(&mut self, id: RequestId, now_ms: u64, result: HttpResult) {
        if let Some(p) = self.probe.as_mut() {
            p.handle_response(id, now_ms, result);
        }
        self.advance();
    }

    fn poll_timeout(&self) -> Option<u64> {
        self.probe.as_ref().and_then(Machine::poll_timeout)
    }

    fn is_finished(&self) -> bool {
        self.result.is_some()
    }
}
