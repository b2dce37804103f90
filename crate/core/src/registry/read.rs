//! Read helpers used outside the copy (planning from a registry, `pull`,
//! existence probes), each a [`Machine`](super::Machine) a transport can drive.
//!
//! ```text
//!  ResolveDigest   HEAD manifest (GET fallback)         -> Option<Digest>
//!  Exists          HEAD R@digest                        -> bool
//!  FetchImage      GET manifest [+ GET config blob]     -> Option<FetchedImage>
//!  FetchLocations  GET <repo>:sha256-<hex>.image-locations.imgpkg
//!                  (404/401/403 = absent) + GET its single layer
//!                                                       -> Option<LocationsImage>
//!  ListTags        GET tags/list, Link pagination       -> Vec<String>
//! ```
//!
//! Each helper owns a [`Client`]; take it back with `into_client()` to reuse
//! its token cache for the next read.

use crate::digest::Digest;
use crate::manifest::{media_type, ConfigFile, Manifest};
use crate::reference::{Reference, Repository};

use super::auth::PULL_ACTIONS;
use super::blob_get::GetBlob;
use super::client::{CallId, Client};
use super::error::RegistryError;
use super::manifest_get::GetManifest;
use super::manifest_head::HeadManifest;
use super::on_client::OnClient;
use super::op::{FetchedManifest, OpOutput};
use super::tags_list::ListTags;

/// Configs and locations layers larger than this are refused.
pub const MAX_SMALL_BLOB: u64 = 64 << 20;

/// A manifest and, for an image, its config blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedImage {
    /// The manifest, digest-verified.
    pub manifest: FetchedManifest,
    /// The config blob's bytes (images only, when asked for).
    pub config: Option<Vec<u8>>,
}

impl FetchedImage {
    /// An image (not an index) whose config has imgpkg's bundle label.
    pub fn is_bundle(&self) -> bool {
        media_type::is_image(&self.manifest.media_type)
            && self
                .config
                .as_ref()
                .and_then(|c| ConfigFile::parse(c.clone()).ok())
                .is_some_and(|c| c.is_bundle())
    }
}

/// A bundle's locations image: its manifest and its single layer (a gzipped
/// tar holding `image-locations.yml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationsImage {
    /// The locations image's manifest.
    pub manifest: FetchedManifest,
    /// Its single layer's bytes (gzip).
    pub layer: Vec<u8>,
}

/// What a read produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOutput {
    /// From [`Read::resolve_digest`]: the digest, `None` when absent.
    Digest(Option<Digest>),
    /// From [`Read::exists`].
    Exists(bool),
    /// From [`Read::fetch_image`]: `None` when absent.
    Image(Option<FetchedImage>),
    /// From [`Read::fetch_locations`]: `None` when absent or not accessible.
    Locations(Option<LocationsImage>),
    /// From [`Read::list_tags`] and [`Read::list_tags_paged`].
    Tags(Vec<String>),
    /// From [`Read::fetch_blob`]: the digest-verified bytes.
    Blob(Vec<u8>),
}

#[derive(Debug, Clone)]
enum Kind {
    Blob { digest: Digest, max: u64 },
    Resolve,
    Exists,
    Image { with_config: bool },
    Locations,
    Tags { page_size: u32 },
}

/// A read helper (see the module doc).
#[derive(Debug)]
pub struct Read {
    client: Client,
    kind: Kind,
    repository: Repository,
    reference: String,
    call: Option<CallId>,
    manifest: Option<FetchedManifest>,
    result: Option<Result<ReadOutput, RegistryError>>,
}

fn reference_string(reference: &Reference) -> String {
    match reference.digest() {
        Some(d) => d.to_string(),
        None => reference.tag().unwrap_or("latest").to_string(),
    }
}

impl Read {
    fn new(mut client: Client, kind: Kind, repository: Repository, reference: String) -> Read {
        let call = match &kind {
            Kind::Resolve | Kind::Exists => client.start(HeadManifest::new(
                repository.clone(),
                reference.clone(),
                PULL_ACTIONS,
            )),
            Kind::Image { .. } | Kind::Locations => client.start(GetManifest::new(
                repository.clone(),
                reference.clone(),
                PULL_ACTIONS,
            )),
            Kind::Blob { digest, max } => {
                client.start(GetBlob::new(repository.clone(), *digest, *max))
            }
            Kind::Tags { page_size } => {
                client.start(ListTags::with_page_size(repository.clone(), *page_size))
            }
        };
        Read {
            client,
            kind,
            repository,
            reference,
            call: Some(call),
            manifest: None,
            result: None,
        }
    }

    /// The digest a tag (or digest) reference resolves to; `None` if absent.
    pub fn resolve_digest(client: Client, reference: &Reference) -> Read {
        Read::new(
            client,
            Kind::Resolve,
            reference.repository().clone(),
            reference_string(reference),
        )
    }

    /// Whether `repository@digest` exists.
    pub fn exists(client: Client, repository: &Repository, digest: &Digest) -> Read {
        Read::new(client, Kind::Exists, repository.clone(), digest.to_string())
    }

    /// The manifest (digest-verified) and, if `with_config` and it is an
    /// image, its config blob. `None` when the manifest is absent.
    pub fn fetch_image(client: Client, reference: &Reference, with_config: bool) -> Read {
        Read::new(
            client,
            Kind::Image { with_config },
            reference.repository().clone(),
            reference_string(reference),
        )
    }

    /// The locations image of `bundle` in `repository`; `None` when the
    /// registry answers 404, 401 or 403.
    pub fn fetch_locations(client: Client, repository: &Repository, bundle: &Digest) -> Read {
        Read::new(
            client,
            Kind::Locations,
            repository.clone(),
            format!("{}.image-locations.imgpkg", bundle.tag_form()),
        )
    }

    /// A blob's bytes (digest-verified), refused beyond `max` bytes: for
    /// bundle layers and other small blobs only.
    pub fn fetch_blob(client: Client, repository: &Repository, digest: &Digest, max: u64) -> Read {
        Read::new(
            client,
            Kind::Blob {
                digest: *digest,
                max,
            },
            repository.clone(),
            digest.to_string(),
        )
    }

    /// Every tag of a repository.
    pub fn list_tags(client: Client, repository: &Repository) -> Read {
        Read::list_tags_paged(client, repository, super::tags_list::PAGE_SIZE)
    }

    /// Every tag, asking for `page_size` per page (following `Link`).
    pub fn list_tags_paged(client: Client, repository: &Repository, page_size: u32) -> Read {
        Read::new(
            client,
            Kind::Tags { page_size },
            repository.clone(),
            String::new(),
        )
    }

    /// The result, once finished.
    pub fn result(&self) -> Option<&Result<ReadOutput, RegistryError>> {
        self.result.as_ref()
    }

    /// Takes the result out, once finished (later calls return `None`).
    pub fn take_result(&mut self) -> Option<Result<ReadOutput, RegistryError>> {
        self.result.take()
    }

    /// The registry client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Ends the read and returns its client (tokens kept for the next machine).
    pub fn into_client(self) -> Client {
        self.client
    }

    fn on_read(&mut self, result: Result<OpOutput, RegistryError>) {
        self.call = None;
        let out = match (&self.kind, result) {
            (Kind::Locations, Err(e))
                if self.manifest.is_none() && matches!(e.status(), Some(401 | 403)) =>
            {
                Ok(ReadOutput::Locations(None))
            }
            (Kind::Locations, Err(e)) if self.manifest.is_none() => {
                Err(RegistryError::LocationsFetch(Box::new(e)))
            }
            (_, Err(e)) => Err(e),
            (Kind::Resolve, Ok(OpOutput::ManifestDescriptor(d))) => {
                Ok(ReadOutput::Digest(d.map(|d| d.digest)))
            }
            (Kind::Exists, Ok(OpOutput::ManifestDescriptor(d))) => {
                Ok(ReadOutput::Exists(d.is_some()))
            }
            (Kind::Image { .. }, Ok(OpOutput::Manifest(None))) => Ok(ReadOutput::Image(None)),
            (Kind::Locations, Ok(OpOutput::Manifest(None))) => Ok(ReadOutput::Locations(None)),
            (Kind::Image { with_config }, Ok(OpOutput::Manifest(Some(m)))) => {
                let with_config = *with_config;
                if with_config && media_type::is_image(&m.media_type) {
                    match Manifest::parse(m.raw.clone(), Some(&m.media_type)) {
                        Ok(Manifest::Image(img)) => {
                            self.call = Some(self.client.start(GetBlob::new(
                                self.repository.clone(),
                                img.config.digest,
                                MAX_SMALL_BLOB,
                            )));
                            self.manifest = Some(m);
                            return;
                        }
                        Ok(Manifest::Index(_)) => Ok(ReadOutput::Image(Some(FetchedImage {
                            manifest: m,
                            config: None,
                        }))),
                        Err(e) => Err(RegistryError::InvalidManifest(e)),
                    }
                } else {
                    Ok(ReadOutput::Image(Some(FetchedImage {
                        manifest: m,
                        config: None,
                    })))
                }
            }
            (Kind::Locations, Ok(OpOutput::Manifest(Some(m)))) => {
                match Manifest::parse(m.raw.clone(), Some(&m.media_type)) {
                    Ok(Manifest::Image(img)) => {
                        if img.layers.len() != 1 {
                            Err(RegistryError::LocationsLayerCount(img.layers.len()))
                        } else if img.layers[0].media_type != media_type::DOCKER_LAYER {
                            Err(RegistryError::LocationsLayerMediaType(
                                img.layers[0].media_type.clone(),
                            ))
                        } else {
                            self.call = Some(self.client.start(GetBlob::new(
                                self.repository.clone(),
                                img.layers[0].digest,
                                MAX_SMALL_BLOB,
                            )));
                            self.manifest = Some(m);
                            return;
                        }
                    }
                    Ok(Manifest::Index(_)) => Err(RegistryError::LocationsIsIndex),
                    Err(e) => Err(RegistryError::InvalidManifest(e)),
                }
            }
            (Kind::Image { .. }, Ok(OpOutput::BlobBytes(b))) => {
                Ok(ReadOutput::Image(Some(FetchedImage {
                    manifest: self.manifest.take().expect("manifest before config"),
                    config: Some(b),
                })))
            }
            (Kind::Locations, Ok(OpOutput::BlobBytes(b))) => {
                Ok(ReadOutput::Locations(Some(LocationsImage {
                    manifest: self.manifest.take().expect("manifest before layer"),
                    layer: b,
                })))
            }
            (Kind::Tags { .. }, Ok(OpOutput::Tags(t))) => Ok(ReadOutput::Tags(t)),
            (Kind::Blob { .. }, Ok(OpOutput::BlobBytes(b))) => Ok(ReadOutput::Blob(b)),
            (_, Ok(other)) => Err(RegistryError::unexpected(
                &other,
                format!("reading {}", self.reference),
            )),
        };
        self.result = Some(out);
    }
}

impl OnClient for Read {
    crate::client_in_field!(client);

    fn on_completed(&mut self, call: CallId, result: Result<OpOutput, RegistryError>) {
        if Some(call) == self.call {
            self.on_read(result);
        }
    }

    fn is_done(&self) -> bool {
        self.result.is_some()
    }
}
