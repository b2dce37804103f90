//! Receipts: what destination repositories hold, written on the air-gapped
//! side (`airlock receipt REPO… -o receipt.json`) and read on the connected
//! side to leave those layers out of a thin tar (`--skip-blobs`).
//!
//! Made by [`ReceiptWalk`](crate::registry::receipt_walk::ReceiptWalk):
//!
//! ```text
//!  for each repository:  GET tags/list (Link pagination)
//!     level 0:            GET every tagged manifest
//!     level n+1:          GET every index child not seen yet
//!  -> manifests (digest, size, media type) and the blobs they reference
//!     (configs and layers: digest, size, media type), sorted by digest
//! ```
//!
//! The file is deterministic: keys in a fixed order, every list sorted, one
//! entry per line. It names registries, repositories, tags and digests;
//! never a credential.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Deserialize;

use crate::digest::Digest;
use crate::reference::{Registry, Repository};
use crate::registry::RegistryError;

/// `kind` of a receipt.
pub const KIND: &str = "AirlockReceipt";
/// The only format version written and read.
pub const VERSION: u32 = 1;
/// Receipts larger than this are refused (a 1,000-image repository's is
/// well under 1 MiB).
pub const MAX_RECEIPT_BYTES: u64 = 64 << 20;

/// A manifest or blob a repository holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// The manifest's or blob's digest.
    pub digest: Digest,
    /// Its size in bytes (from the manifest that references it, or the manifest's own length).
    pub size: u64,
    /// Its media type as the registry or the referencing manifest gives it.
    pub media_type: String,
}

/// One repository of a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryRecord {
    /// The path inside the registry (`apps/name`).
    pub name: String,
    /// Every tag and the digest it points at.
    pub tags: BTreeMap<String, Digest>,
    /// Every manifest reached from a tag (index children included), by digest.
    pub manifests: Vec<Entry>,
    /// Every config and layer those manifests reference, by digest.
    pub blobs: Vec<Entry>,
}

/// A receipt (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// `host[:port]` of the registry.
    pub registry: String,
    /// RFC 3339 UTC time it was made (given by the caller: the core has no clock).
    pub created_at: String,
    /// Sorted by name.
    pub repositories: Vec<RepositoryRecord>,
}

/// Why a receipt cannot be made or read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReceiptError {
    /// The file is larger than [`MAX_RECEIPT_BYTES`].
    #[error("{file}: {size} bytes is more than the {limit} bytes a receipt may have")]
    TooLarge {
        /// The receipt file, as named on the command line.
        file: String,
        /// Its size, in bytes.
        size: u64,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The file is not JSON of a receipt's shape.
    #[error("{file}: not a valid receipt (JSON): {message}")]
    Json {
        /// The receipt file.
        file: String,
        /// The JSON parser's error.
        message: String,
    },
    /// A field has a wrong value (kind, version, a digest, a name or tag listed twice, a count
    /// that does not match the lists).
    #[error("{file}: {field}: {message}")]
    Field {
        /// The receipt file.
        file: String,
        /// The field's path (`repositories[2].blobs[0].digest`, `counts.blobs`, ...).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The receipt was made on another registry than the one being copied to.
    #[error("{file}: registry: the receipt was made for '{receipt}', but the destination is '{destination}'")]
    RegistryMismatch {
        /// The receipt file.
        file: String,
        /// The registry the receipt names.
        receipt: String,
        /// The destination registry.
        destination: String,
    },
    /// The repositories given to a [`ReceiptWalk`](crate::registry::receipt_walk::ReceiptWalk) are on more than one registry.
    #[error("receipt: the repositories {first} and {other} are on different registries; make one receipt per registry")]
    MixedRegistries {
        /// The first repository.
        first: String,
        /// A repository on another registry.
        other: String,
    },
    /// A [`ReceiptWalk`](crate::registry::receipt_walk::ReceiptWalk) was given no repository.
    #[error("receipt: no repository given")]
    NoRepository,
    /// A registry request of the walk failed.
    #[error("receipt of {repository}: {source}")]
    Registry {
        /// The repository being walked.
        repository: String,
        /// The registry's error.
        source: Box<RegistryError>,
    },
    /// A manifest of the walk is missing or cannot be parsed.
    #[error("receipt of {repository}: {reference}: {message}")]
    Manifest {
        /// The repository being walked.
        repository: String,
        /// The tag or digest of the manifest.
        reference: String,
        /// What is wrong (not in the repository, or the manifest parser's error).
        message: String,
    },
}

fn field(file: &str, field: impl Into<String>, message: impl Into<String>) -> ReceiptError {
    ReceiptError::Field {
        file: file.to_string(),
        field: field.into(),
        message: message.into(),
    }
}

/// Seconds since the epoch as RFC 3339 UTC, `YYYY-MM-DDTHH:MM:SSZ`
/// (civil-from-days): the receipt's `createdAt` from the caller's clock.
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Counts written in (and checked against) the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Number of repositories.
    pub repositories: u64,
    /// Number of tags, over all repositories.
    pub tags: u64,
    /// Number of manifest entries, over all repositories.
    pub manifests: u64,
    /// Number of blob entries, over all repositories.
    pub blobs: u64,
    /// Sum of the blob entries' sizes, in bytes.
    pub blob_bytes: u64,
}

impl Receipt {
    /// Totals over repositories (a blob held by two repositories counts
    /// once in `blobs` and `blob_bytes`).
    pub fn counts(&self) -> Counts {
        let mut blobs = BTreeMap::new();
        for r in &self.repositories {
            for b in &r.blobs {
                blobs.insert(b.digest, b.size);
            }
        }
        Counts {
            repositories: self.repositories.len() as u64,
            tags: self.repositories.iter().map(|r| r.tags.len() as u64).sum(),
            manifests: self
                .repositories
                .iter()
                .map(|r| r.manifests.len() as u64)
                .sum(),
            blobs: blobs.len() as u64,
            blob_bytes: blobs.values().sum(),
        }
    }

    /// Every blob and the repositories (paths) that hold it.
    pub fn blob_holders(&self) -> BTreeMap<Digest, (u64, Vec<String>)> {
        let mut out: BTreeMap<Digest, (u64, Vec<String>)> = BTreeMap::new();
        for r in &self.repositories {
            for b in &r.blobs {
                out.entry(b.digest)
                    .or_insert_with(|| (b.size, Vec::new()))
                    .1
                    .push(r.name.clone());
            }
        }
        out
    }

    /// The deterministic JSON form (ends with a newline).
    pub fn to_json(&self) -> String {
        let c = self.counts();
        let q = |s: &str| serde_json::to_string(s).expect("strings serialize");
        let entry = |e: &Entry| {
            format!(
                "{{\"digest\":\"{}\",\"size\":{},\"mediaType\":{}}}",
                e.digest,
                e.size,
                q(&e.media_type)
            )
        };
        let list = |out: &mut String, items: Vec<String>| {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push_str("[\n");
            let n = items.len();
            for (i, s) in items.into_iter().enumerate() {
                out.push_str("        ");
                out.push_str(&s);
                out.push_str(if i + 1 < n { ",\n" } else { "\n" });
            }
            out.push_str("      ]");
        };
        let mut out = String::new();
        let _ = write!(
            out,
            "{{\n  \"kind\": \"{KIND}\",\n  \"version\": {VERSION},\n  \"registry\": {},\n  \"createdAt\": {},\n  \"counts\": {{\"repositories\":{},\"tags\":{},\"manifests\":{},\"blobs\":{},\"blobBytes\":{}}},\n  \"repositories\": [",
            q(&self.registry),
            q(&self.created_at),
            c.repositories,
            c.tags,
            c.manifests,
            c.blobs,
            c.blob_bytes
        );
        let n = self.repositories.len();
        for (i, r) in self.repositories.iter().enumerate() {
            let _ = write!(
                out,
                "\n    {{\n      \"name\": {},\n      \"tags\": ",
                q(&r.name)
            );
            list(
                &mut out,
                r.tags
                    .iter()
                    .map(|(t, d)| format!("{{\"tag\":{},\"digest\":\"{d}\"}}", q(t)))
                    .collect(),
            );
            out.push_str(",\n      \"manifests\": ");
            list(&mut out, r.manifests.iter().map(entry).collect());
            out.push_str(",\n      \"blobs\": ");
            list(&mut out, r.blobs.iter().map(entry).collect());
            out.push_str(if i + 1 < n { "\n    }," } else { "\n    }\n  " });
        }
        out.push_str("]\n}\n");
        out
    }

    /// Parses and validates a receipt; `file` names it in errors.
    pub fn parse(bytes: &[u8], file: &str) -> Result<Receipt, ReceiptError> {
        if bytes.len() as u64 > MAX_RECEIPT_BYTES {
            return Err(ReceiptError::TooLarge {
                file: file.to_string(),
                size: bytes.len() as u64,
                limit: MAX_RECEIPT_BYTES,
            });
        }
        let raw: RawReceipt = serde_json::from_slice(bytes).map_err(|e| ReceiptError::Json {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        if raw.kind != KIND {
            return Err(field(
                file,
                "kind",
                format!("'{}' is not '{KIND}'", raw.kind),
            ));
        }
        if raw.version != VERSION {
            return Err(field(
                file,
                "version",
                format!(
                    "{} is not a version this Airlock reads (expected {VERSION})",
                    raw.version
                ),
            ));
        }
        if raw.registry.is_empty() {
            return Err(field(file, "registry", "is empty"));
        }
        Registry::parse(&raw.registry)
            .map_err(|e| field(file, "registry", format!("'{}': {e}", raw.registry)))?;
        let mut repositories = Vec::new();
        let mut names = BTreeSet::new();
        for (i, r) in raw.repositories.into_iter().enumerate() {
            let at = format!("repositories[{i}]");
            Repository::parse(&format!("{}/{}", raw.registry, r.name))
                .map_err(|e| field(file, format!("{at}.name"), format!("'{}': {e}", r.name)))?;
            if !names.insert(r.name.clone()) {
                return Err(field(
                    file,
                    format!("{at}.name"),
                    format!("'{}' is listed twice", r.name),
                ));
            }
            let mut tags = BTreeMap::new();
            for (j, t) in r.tags.into_iter().enumerate() {
                let d = parse_digest(file, &format!("{at}.tags[{j}].digest"), &t.digest)?;
                if tags.insert(t.tag.clone(), d).is_some() {
                    return Err(field(
                        file,
                        format!("{at}.tags[{j}].tag"),
                        format!("'{}' is listed twice", t.tag),
                    ));
                }
            }
            let manifests = entries(file, &format!("{at}.manifests"), r.manifests)?;
            let blobs = entries(file, &format!("{at}.blobs"), r.blobs)?;
            repositories.push(RepositoryRecord {
                name: r.name,
                tags,
                manifests,
                blobs,
            });
        }
        repositories.sort_by(|a, b| a.name.cmp(&b.name));
        let receipt = Receipt {
            registry: raw.registry,
            created_at: raw.created_at,
            repositories,
        };
        let c = receipt.counts();
        let rc = raw.counts;
        for (name, have, want) in [
            ("repositories", rc.repositories, c.repositories),
            ("tags", rc.tags, c.tags),
            ("manifests", rc.manifests, c.manifests),
            ("blobs", rc.blobs, c.blobs),
            ("blobBytes", rc.blob_bytes, c.blob_bytes),
        ] {
            if have != want {
                return Err(field(
                    file,
                    format!("counts.{name}"),
                    format!("says {have}, but the file lists {want} (truncated or edited?)"),
                ));
            }
        }
        Ok(receipt)
    }

    /// Refuses a receipt made for another registry than `destination`.
    pub fn check_registry(&self, file: &str, destination: &Registry) -> Result<(), ReceiptError> {
        check_registry(file, &self.registry, destination)
    }
}

/// Refuses `receipt_registry` (from a receipt named `file`) for `destination`.
pub fn check_registry(
    file: &str,
    receipt_registry: &str,
    destination: &Registry,
) -> Result<(), ReceiptError> {
    if receipt_registry == destination.as_str() {
        Ok(())
    } else {
        Err(ReceiptError::RegistryMismatch {
            file: file.to_string(),
            receipt: receipt_registry.to_string(),
            destination: destination.as_str().to_string(),
        })
    }
}

fn parse_digest(file: &str, at: &str, s: &str) -> Result<Digest, ReceiptError> {
    Digest::parse(s).map_err(|e| field(file, at, format!("{e} (expected sha256:<64 hex>)")))
}

fn entries(file: &str, at: &str, raw: Vec<RawEntry>) -> Result<Vec<Entry>, ReceiptError> {
    let mut out: BTreeMap<Digest, Entry> = BTreeMap::new();
    for (i, e) in raw.into_iter().enumerate() {
        let digest = parse_digest(file, &format!("{at}[{i}].digest"), &e.digest)?;
        if out
            .insert(
                digest,
                Entry {
                    digest,
                    size: e.size,
                    media_type: e.media_type,
                },
            )
            .is_some()
        {
            return Err(field(
                file,
                format!("{at}[{i}].digest"),
                format!("{digest} is listed twice"),
            ));
        }
    }
    Ok(out.into_values().collect())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReceipt {
    kind: String,
    version: u32,
    registry: String,
    #[serde(rename = "createdAt")]
    created_at: String,
    counts: RawCounts,
    repositories: Vec<RawRepository>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCounts {
    repositories: u64,
    tags: u64,
    manifests: u64,
    blobs: u64,
    #[serde(rename = "blobBytes")]
    blob_bytes: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRepository {
    name: String,
    tags: Vec<RawTag>,
    manifests: Vec<RawEntry>,
    blobs: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTag {
    tag: String,
    digest: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    digest: String,
    size: u64,
    #[serde(rename = "mediaType")]
    media_type: String,
}
