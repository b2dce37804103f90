//! Making a [`Receipt`]: what destination repositories hold, read from the
//! registry (`airlock receipt REPO…`, and the page's "Download receipt").
//!
//! ```text
//!  new()        no repository, or two registries ──> error at once
//!  per repository, in order:
//!    GET /v2/<repo>/tags/list (Link pagination)
//!    level 0:   GET every tagged manifest            ┐ `concurrency` GETs
//!    level n+1: GET every index child not seen yet   ┘ in flight at once
//!  ──> Receipt (manifests and the blobs they reference, sorted)
//! ```
//!
//! A level's answers are read in request order once all have arrived, so the
//! receipt (and the first error reported) does not depend on timing. A tag
//! deleted while listing is left out; an index child that is absent is an
//! error.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::digest::Digest;
use crate::manifest::Manifest;
use crate::receipt::{Entry, Receipt, ReceiptError, RepositoryRecord};
use crate::reference::Repository;

use super::auth::PULL_ACTIONS;
use super::client::{CallId, Client};
use super::error::RegistryError;
use super::manifest_get::GetManifest;
use super::on_client::OnClient;
use super::op::{FetchedManifest, OpOutput};
use super::tags_list::ListTags;

/// Manifest GETs in flight at once unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 8;

type Fetched = Result<Option<FetchedManifest>, RegistryError>;

/// One level of manifests being fetched.
#[derive(Debug, Default)]
struct Level {
    /// `(tag if a tagged manifest, reference)` in request order.
    refs: Vec<(Option<String>, String)>,
    results: Vec<Option<Fetched>>,
    calls: HashMap<CallId, usize>,
    started: usize,
    arrived: usize,
}

/// What one repository holds so far.
#[derive(Debug, Default)]
struct Walked {
    tags: BTreeMap<String, Digest>,
    manifests: BTreeMap<Digest, Entry>,
    blobs: BTreeMap<Digest, Entry>,
}

/// Walks repositories into a [`Receipt`] (see the module doc). Drive it as
/// a [`Machine`](super::Machine) (through [`OnClient`]); read [`ReceiptWalk::result`] once finished.
#[derive(Debug)]
pub struct ReceiptWalk {
    client: Client,
    repositories: Vec<Repository>,
    created_at: String,
    concurrency: usize,
    /// Index into `repositories` of the one being walked.
    current: usize,
    tags_call: Option<CallId>,
    level: Level,
    walked: Walked,
    records: Vec<RepositoryRecord>,
    result: Option<Result<Receipt, ReceiptError>>,
}

impl ReceiptWalk {
    /// Walks `repositories` (all on one registry; a repeated one is walked
    /// once), `concurrency` manifest GETs at a time. `created_at` is the
    /// RFC 3339 time written into the receipt (the core has no clock).
    pub fn new(
        mut client: Client,
        repositories: &[Repository],
        created_at: &str,
        concurrency: usize,
    ) -> ReceiptWalk {
        let mut repos: Vec<Repository> = Vec::new();
        for r in repositories {
            if !repos.iter().any(|x| x.path() == r.path()) {
                repos.push(r.clone());
            }
        }
        let mut result = None;
        match repositories.first() {
            None => result = Some(Err(ReceiptError::NoRepository)),
            Some(first) => {
                if let Some(other) = repositories
                    .iter()
                    .find(|r| r.registry() != first.registry())
                {
                    result = Some(Err(ReceiptError::MixedRegistries {
                        first: first.name(),
                        other: other.name(),
                    }));
                }
            }
        }
        let tags_call = match (&result, repos.first()) {
            (None, Some(r)) => Some(client.start(ListTags::new(r.clone()))),
            _ => None,
        };
        ReceiptWalk {
            client,
            repositories: repos,
            created_at: created_at.to_string(),
            concurrency: concurrency.max(1),
            current: 0,
            tags_call,
            level: Level::default(),
            walked: Walked::default(),
            records: Vec::new(),
            result,
        }
    }

    /// The receipt or the first error, once finished.
    pub fn result(&self) -> Option<&Result<Receipt, ReceiptError>> {
        self.result.as_ref()
    }

    /// Takes the result, once finished.
    pub fn take_result(&mut self) -> Option<Result<Receipt, ReceiptError>> {
        self.result.take()
    }

    /// Manifests recorded so far (for progress).
    pub fn manifests_seen(&self) -> usize {
        self.records
            .iter()
            .map(|r| r.manifests.len())
            .sum::<usize>()
            + self.walked.manifests.len()
    }

    fn repo(&self) -> &Repository {
        &self.repositories[self.current]
    }

    fn fail(&mut self, e: ReceiptError) {
        self.client.abort_all();
        self.result = Some(Err(e));
    }

    fn registry_error(&self, source: RegistryError) -> ReceiptError {
        ReceiptError::Registry {
            repository: self.repo().name(),
            source: Box::new(source),
        }
    }

    fn on_tags(&mut self, result: Result<OpOutput, RegistryError>) {
        self.tags_call = None;
        let mut tags = match result {
            Ok(OpOutput::Tags(t)) => t,
            Ok(other) => {
                let e = RegistryError::UnexpectedOutput {
                    output: format!("{other:?}"),
                    context: "listing tags for a receipt".into(),
                };
                return self.fail(self.registry_error(e));
            }
            Err(e) => return self.fail(self.registry_error(e)),
        };
        tags.sort();
        tags.dedup();
        let refs = tags.into_iter().map(|t| (Some(t.clone()), t)).collect();
        self.start_level(refs);
    }

    fn start_level(&mut self, refs: Vec<(Option<String>, String)>) {
        if refs.is_empty() {
            return self.next_repository();
        }
        self.level = Level {
            results: vec![None; refs.len()],
            refs,
            ..Level::default()
        };
        self.fill();
    }

    /// Starts GETs up to `concurrency` in flight.
    fn fill(&mut self) {
        while self.level.started < self.level.refs.len()
            && self.level.started - self.level.arrived < self.concurrency
        {
            let i = self.level.started;
            let reference = self.level.refs[i].1.clone();
            let call = self.client.start(GetManifest::new(
                self.repo().clone(),
                reference,
                PULL_ACTIONS,
            ));
            self.level.calls.insert(call, i);
            self.level.started += 1;
        }
    }

    fn on_manifest(&mut self, i: usize, result: Result<OpOutput, RegistryError>) {
        let fetched = match result {
            Ok(OpOutput::Manifest(m)) => Ok(m),
            Ok(other) => Err(RegistryError::UnexpectedOutput {
                output: format!("{other:?}"),
                context: "fetching a manifest for a receipt".into(),
            }),
            Err(e) => Err(e),
        };
        self.level.results[i] = Some(fetched);
        self.level.arrived += 1;
        if self.level.arrived == self.level.refs.len() {
            self.finish_level();
        } else {
            self.fill();
        }
    }

    /// Reads a whole level in request order; queues the children not seen.
    fn finish_level(&mut self) {
        let level = std::mem::take(&mut self.level);
        let repo = self.repo().clone();
        let mut next = Vec::new();
        let mut queued = BTreeSet::new();
        for ((tag, reference), result) in level.refs.iter().zip(level.results) {
            let what = match tag {
                Some(t) => format!("tag {t}"),
                None => format!("{}@{reference}", repo.name()),
            };
            let fetched = match result.expect("every answer arrived") {
                Err(e) => return self.fail(self.registry_error(e)),
                Ok(Some(m)) => m,
                // A tag deleted while listing: it holds nothing any more.
                Ok(None) if tag.is_some() => continue,
                Ok(None) => {
                    return self.fail(ReceiptError::Manifest {
                        repository: repo.name(),
                        reference: what,
                        message: "listed by an index but not in the repository".into(),
                    })
                }
            };
            if let Some(t) = tag {
                self.walked.tags.insert(t.clone(), fetched.digest);
            }
            if self.walked.manifests.contains_key(&fetched.digest) {
                continue;
            }
            let parsed = match Manifest::parse(fetched.raw.clone(), Some(&fetched.media_type)) {
                Ok(p) => p,
                Err(e) => {
                    return self.fail(ReceiptError::Manifest {
                        repository: repo.name(),
                        reference: what,
                        message: e.to_string(),
                    })
                }
            };
            self.walked.manifests.insert(
                fetched.digest,
                Entry {
                    digest: fetched.digest,
                    size: fetched.raw.len() as u64,
                    media_type: fetched.media_type.clone(),
                },
            );
            match parsed {
                Manifest::Image(img) => {
                    for d in std::iter::once(&img.config).chain(&img.layers) {
                        self.walked.blobs.entry(d.digest).or_insert_with(|| Entry {
                            digest: d.digest,
                            size: d.size,
                            media_type: d.media_type.clone(),
                        });
                    }
                }
                Manifest::Index(ix) => {
                    for c in &ix.manifests {
                        if !self.walked.manifests.contains_key(&c.digest) && queued.insert(c.digest)
                        {
                            next.push((None, c.digest.to_string()));
                        }
                    }
                }
            }
        }
        // A child another manifest of this level turned out to be needs no GET.
        next.retain(|(_, d)| {
            Digest::parse(d).map_or(true, |d| !self.walked.manifests.contains_key(&d))
        });
        self.start_level(next);
    }

    fn next_repository(&mut self) {
        let walked = std::mem::take(&mut self.walked);
        self.records.push(RepositoryRecord {
            name: self.repo().path(),
            tags: walked.tags,
            manifests: walked.manifests.into_values().collect(),
            blobs: walked.blobs.into_values().collect(),
        });
        self.current += 1;
        if self.current < self.repositories.len() {
            let r = self.repo().clone();
            self.tags_call = Some(self.client.start(ListTags::new(r)));
            return;
        }
        let mut repositories = std::mem::take(&mut self.records);
        repositories.sort_by(|a, b| a.name.cmp(&b.name));
        self.result = Some(Ok(Receipt {
            registry: self.repositories[0].registry().as_str().to_string(),
            created_at: self.created_at.clone(),
            repositories,
        }));
    }
}

impl OnClient for ReceiptWalk {
    crate::client_in_field!(client);

    fn on_completed(&mut self, call: CallId, result: Result<OpOutput, RegistryError>) {
        if self.result.is_some() {
            return;
        }
        if self.tags_call == Some(call) {
            self.on_tags(result);
        } else if let Some(i) = self.level.calls.remove(&call) {
            self.on_manifest(i, result);
        }
    }

    fn is_done(&self) -> bool {
        self.result.is_some()
    }
}
