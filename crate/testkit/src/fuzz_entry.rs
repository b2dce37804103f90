//! The fuzz targets' entry points: one function per target taking arbitrary
//! bytes. A call must return (no panic, no hang, bounded memory) whatever the
//! input. `crate/fuzz` compiles this very file into its libFuzzer targets
//! (`#[path]`), and `crate/core/tests/fuzz_regressions.rs` runs the kept
//! regression inputs and corpora through it without libFuzzer. It uses only
//! the core and std, so the fuzz build does not instrument the rest of the
//! testkit.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use airlock_core::archive::Archive;
use airlock_core::digest::Digest;
use airlock_core::imgpkg_tar::manifest_json;
use airlock_core::lock::{self, BundleLock, ImageLocations, ImagesLock};
use airlock_core::plan::BlobSource;
use airlock_core::planner::{self, PlanOptions};
use airlock_core::reference::{Reference, Registry, Repository};
use airlock_core::registry::auth::{
    parse_token_response, parse_www_authenticate, Credentials, Keychain,
};
use airlock_core::registry::blob_get::GetBlob;
use airlock_core::registry::blob_head::HeadBlob;
use airlock_core::registry::blob_upload::{UploadBlob, UploadOptions};
use airlock_core::registry::client::{Client, ClientConfig, ClientEvent};
use airlock_core::registry::error::parse_error_envelope;
use airlock_core::registry::http::{
    resolve_location, HttpResponse, HttpResult, TransportError, TransportErrorKind,
};
use airlock_core::registry::manifest_get::GetManifest;
use airlock_core::registry::manifest_head::HeadManifest;
use airlock_core::registry::manifest_put::PutManifest;
use airlock_core::registry::op::Operation;
use airlock_core::registry::tags_list::ListTags;
use airlock_core::registry::upload_probe::UploadProbe;
use airlock_core::source::ByteSource;
use airlock_core::tar;
use airlock_core::verify;

/// The fuzz targets, by name (the names of `crate/fuzz/fuzz_targets/*.rs`
/// and of the `corpus/` and `regressions/` folders).
/// A target's entry point.
pub type Entry = fn(&[u8]);

pub const TARGETS: &[(&str, Entry)] = &[
    ("tar_index", tar_index),
    ("manifest_json", manifest_json),
    ("lock_yaml", lock_yaml),
    ("reference", reference),
    ("www_authenticate", www_authenticate),
    ("registry_response", registry_response),
    ("archive_mutate", archive_mutate),
];

/// The valid imgpkg tar the structure-aware target mutates.
pub const SIMPLE_BUNDLE_TAR: &[u8] =
    include_bytes!("../../../tests/fixtures/simple-bundle/simple-bundle.tar");

/// Runs a future that is immediately ready (slice sources never wait);
/// panics if it is not, which would itself be a finding.
pub fn now<F: Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1_000_000 {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("a future over a byte slice did not complete");
}

/// The tar header index over a slice source, then every small entry read.
pub fn tar_index(data: &[u8]) {
    let Ok(index) = now(tar::index(data)) else {
        return;
    };
    for e in index.iter() {
        let _ = index.get(&e.name);
        let _ = e.data_range();
        let _ = now(tar::read_entry(data, e, 1 << 16));
    }
    let _ = index.end_offset();
}

/// `manifest.json` parsing and everything derived from a parsed entry.
pub fn manifest_json(data: &[u8]) {
    let Ok(list) = manifest_json::parse(data) else {
        return;
    };
    for d in &list {
        let _ = d.sort_key();
        if let Some(img) = &d.image {
            image(img);
        }
        if let Some(idx) = &d.image_index {
            index(idx);
        }
    }
    let again = manifest_json::to_json(&list);
    let _ = manifest_json::parse(&again);
}

fn image(img: &manifest_json::ImageDescriptor) {
    let _ = (
        img.refs(),
        img.first_ref(),
        img.sort_key(),
        img.is_root_bundle(),
    );
    let _ = (img.config.verify(), img.manifest.verify());
    for l in img.layers() {
        let _ = (l.parse_digest(), l.parse_diff_id(), l.is_distributable());
    }
}

fn index(idx: &manifest_json::IndexDescriptor) {
    let _ = (
        idx.refs(),
        idx.first_ref(),
        idx.parse_digest(),
        idx.verify(),
    );
    idx.images().iter().for_each(image);
    idx.indexes().iter().for_each(index);
}

/// ImagesLock / BundleLock / ImageLocations YAML (and the dispatcher).
pub fn lock_yaml(data: &[u8]) {
    let file = ".imgpkg/images.yml";
    if let Ok(l) = ImagesLock::parse(data, file) {
        let _ = l.to_yaml();
        for i in &l.images {
            let _ = i.reference();
            let _ = i.digest();
            let _ = i.annotations_sorted();
        }
        if let Ok(repo) = Repository::parse("registry.corp.internal/airgap") {
            let _ = l.relocated_to(&repo).to_yaml();
            let _ = lock::relocated_images_yml(&l, &repo);
        }
    }
    if let Ok(b) = BundleLock::parse(data, "bundle.lock.yml") {
        let _ = b.reference();
        let _ = b.to_yaml();
    }
    if let Ok(l) = ImageLocations::parse(data, "image-locations.imgpkg") {
        let _ = l.normalized();
        let _ = l.to_yaml();
    }
    if let Err(e) = lock::parse_lock_file(data, "lock.yml") {
        let _ = (e.to_string(), e.line(), e.detail());
    }
}

/// Image references, repositories and registries.
pub fn reference(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    for r in [
        Reference::parse(&s),
        Reference::parse_tag(&s),
        Reference::parse_digest(&s),
        Reference::parse_digest_form(&s),
    ]
    .into_iter()
    .flatten()
    {
        let _ = (r.name(), r.identifier(), r.tag(), r.digest(), r.original());
        let _ = r.registry().host();
        let _ = r.registry().is_insecure_by_default();
        let _ = Reference::parse(&r.name());
    }
    if let Ok(repo) = Repository::parse(&s) {
        let _ = (repo.path(), repo.name(), repo.registry().host());
        let _ = repo.tagged("latest");
        let _ = repo.at(&Digest::of(data));
    }
    if let Ok(reg) = Registry::parse(&s) {
        let _ = (reg.host(), reg.as_str());
    }
}

/// `WWW-Authenticate` challenges (one value per line), token responses and
/// registry error envelopes.
pub fn www_authenticate(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let _ = parse_www_authenticate(s.split('\n'));
    let _ = parse_token_response(data);
    let _ = parse_error_envelope(data);
    let _ = resolve_location(
        "https://registry.example:5000/v2/a/b/blobs/uploads/x?y=1",
        &s,
    );
}

/// Reads the fuzz input as a stream of small decisions.
struct Bytes<'a> {
    data: &'a [u8],
}

impl Bytes<'_> {
    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    fn u8(&mut self) -> u8 {
        let Some((&b, rest)) = self.data.split_first() else {
            return 0;
        };
        self.data = rest;
        b
    }
    fn u16(&mut self) -> u16 {
        u16::from(self.u8()) << 8 | u16::from(self.u8())
    }
    fn take(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.data.len());
        let (a, rest) = self.data.split_at(n);
        self.data = rest;
        a
    }
    fn string(&mut self) -> String {
        let n = usize::from(self.u8());
        String::from_utf8_lossy(self.take(n)).into_owned()
    }
}

const STATUSES: &[u16] = &[
    200, 201, 202, 204, 206, 301, 307, 308, 400, 401, 403, 404, 416, 429, 500, 503,
];
const HEADERS: &[&str] = &[
    "Location",
    "Range",
    "Docker-Content-Digest",
    "Content-Type",
    "WWW-Authenticate",
    "Link",
    "Content-Length",
    "Docker-Upload-UUID",
    "Retry-After",
    "Content-Range",
];

/// One transport answer taken from the input.
fn answer(b: &mut Bytes<'_>) -> HttpResult {
    let pick = b.u8();
    if pick >= 240 {
        let kind = match pick % 4 {
            0 => TransportErrorKind::Connect,
            1 => TransportErrorKind::Io,
            2 => TransportErrorKind::BodyTooLarge,
            _ => TransportErrorKind::Other,
        };
        return Err(TransportError::new(kind, "fuzzed transport failure"));
    }
    let status = if pick < 200 {
        STATUSES[usize::from(pick) % STATUSES.len()]
    } else {
        b.u16() % 1000
    };
    let mut headers = Vec::new();
    for _ in 0..(b.u8() % 6) {
        let name = HEADERS[usize::from(b.u8()) % HEADERS.len()];
        headers.push((name.to_string(), b.string()));
    }
    let len = usize::from(b.u16() % 4096);
    let body = b.take(len).to_vec();
    Ok(HttpResponse::new(status, headers, body))
}

struct FuzzKeychain;

impl Keychain for FuzzKeychain {
    fn resolve(
        &self,
        _repository: &Repository,
    ) -> Result<Credentials, airlock_core::registry::auth::AuthError> {
        Ok(Credentials::basic("user", "pass"))
    }
}

/// One registry operation (chosen by the first byte) run through the client
/// (auth, retries, redirects) against answers taken from the input: any
/// status, `Location`/`Range`/digest/challenge headers and error bodies.
/// The operation must finish; once the input is used up every request fails.
pub fn registry_response(data: &[u8]) {
    let mut b = Bytes { data };
    let Ok(repo) = Repository::parse("registry.example:5000/dst/app") else {
        return;
    };
    let raw = Arc::new(br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]}"#.to_vec());
    let blob = Arc::new(vec![7u8; 300]);
    let blob_digest = Digest::of(&blob);
    let op: Box<dyn Operation> = match b.u8() % 8 {
        0 => Box::new(HeadManifest::new(repo, "v1", "pull")),
        1 => Box::new(GetManifest::new(repo, "v1", "pull")),
        2 => Box::new(GetManifest::new(repo, Digest::of(&raw).to_string(), "pull")),
        3 => Box::new(PutManifest::new(
            repo,
            "v1",
            "application/vnd.oci.image.manifest.v1+json",
            raw,
        )),
        4 => Box::new(ListTags::new(repo)),
        5 => Box::new(HeadBlob::new(repo, blob_digest, "pull")),
        6 => Box::new(GetBlob::new(repo, blob_digest, 1 << 16)),
        _ => {
            let options = UploadOptions {
                check_exists: b.u8() & 1 == 1,
                mount_from: Repository::parse("registry.example:5000/src/app")
                    .ok()
                    .filter(|_| b.u8() & 1 == 1),
                chunk_size: Some(u64::from(b.u8() % 4) * 100).filter(|c| *c > 0),
            };
            let _ = UploadProbe::new(repo.clone());
            Box::new(UploadBlob::new(
                repo,
                blob_digest,
                blob.len() as u64,
                BlobSource::Inline(blob),
                options,
            ))
        }
    };
    let mut client = Client::new(ClientConfig::default(), Box::new(FuzzKeychain));
    let call = client.start_boxed(op);
    let mut now_ms = 0u64;
    let mut after_input = 0u32;
    let finished = |client: &mut Client| {
        let mut done = false;
        while let Some(ev) = client.poll_event() {
            if let ClientEvent::Completed { call: c, result } = ev {
                if c == call {
                    if let Err(e) = result {
                        let _ = (e.to_string(), e.status(), e.is_denied(), e.codes());
                    }
                    done = true;
                }
            }
        }
        done
    };
    for _ in 0..100_000 {
        if finished(&mut client) {
            return;
        }
        if let Some(t) = client.poll_transmit(now_ms) {
            let result = if b.is_empty() {
                after_input += 1;
                assert!(
                    after_input < 1000,
                    "operation keeps sending requests after every request failed"
                );
                Err(TransportError::new(
                    TransportErrorKind::Other,
                    "input exhausted",
                ))
            } else {
                answer(&mut b)
            };
            client.handle_response(t.id, now_ms, result);
            continue;
        }
        if finished(&mut client) {
            return;
        }
        match client.poll_timeout() {
            Some(t) => now_ms = now_ms.max(t),
            None => panic!("client stalled: no request, no timeout, no result"),
        }
    }
    panic!("operation did not finish");
}

/// Mutates the simple-bundle tar as told by the input (bytes of a header
/// field: name, size, checksum, type; bytes of `manifest.json` or a layer;
/// truncation), then opens, verifies and plans it like `bad_archives.rs`.
pub fn archive_mutate(data: &[u8]) {
    let mut tar = SIMPLE_BUNDLE_TAR.to_vec();
    let Ok(index) = now(tar::index(SIMPLE_BUNDLE_TAR)) else {
        return;
    };
    let entries = index.entries();
    let mut b = Bytes { data };
    for _ in 0..16 {
        if b.is_empty() {
            break;
        }
        let op = b.u8();
        let entry = &entries[usize::from(b.u8()) % entries.len()];
        let header = entry.header_offset as usize;
        // (field offset, length) of the ustar header fields worth mutating.
        let (start, len) = match op % 8 {
            0 => (header, 100),                                     // name
            1 => (header + 124, 12),                                // size
            2 => (header + 148, 8),                                 // checksum
            3 => (header + 156, 1),                                 // type flag
            4 => (header + 345, 155),                               // prefix
            5 => (entry.data_offset as usize, entry.size as usize), // data
            6 if tar.is_empty() => continue,
            6 => {
                let cut = usize::from(b.u16()) % tar.len();
                tar.truncate(cut);
                continue;
            }
            _ => (0, tar.len()),
        };
        if len == 0 || start >= tar.len() {
            continue;
        }
        let at = start + usize::from(b.u16()) % len.min(tar.len() - start);
        let n = usize::from(b.u8() % 16);
        let bytes = b.take(n);
        for (i, v) in bytes.iter().enumerate() {
            if let Some(slot) = tar.get_mut(at + i) {
                *slot = *v;
            }
        }
        if op & 0x80 != 0 {
            fix_checksum(&mut tar, header);
        }
    }
    // The input's last byte picks the read buffer and the plan options, so
    // each execution runs one of each (both paths stay covered).
    diagnose(&tar, data.last().copied().unwrap_or(0));
}

/// Recomputes a ustar header's checksum so mutations get past it.
fn fix_checksum(tar: &mut [u8], header: usize) {
    let Some(block) = tar.get_mut(header..header + 512) else {
        return;
    };
    block[148..156].fill(b' ');
    let sum: u32 = block.iter().map(|&v| u32::from(v)).sum();
    let text = format!("{sum:06o}\0 ");
    block[148..156].copy_from_slice(text.as_bytes());
}

/// Open + verify + plan, as the CLI and the page do. `flags` bit 0: hash
/// blobs with a 512-byte buffer (`check_blob_with_buffer`) instead of 4 KiB
/// reads (`check_blob`); bit 1: plan with `--repo-based-tags` and
/// `--include-non-distributable-layers`.
pub fn diagnose(bytes: &[u8], flags: u8) {
    let Ok(archive) = now(Archive::open(bytes)) else {
        return;
    };
    let _ = verify::structural(&archive);
    for c in verify::blob_checks(&archive) {
        if flags & 1 == 0 {
            let _ = now(verify::check_blob(bytes, &c, 1 << 12, &mut |_| {}));
        } else {
            let mut buf = [0u8; 512];
            let _ = now(verify::check_blob_with_buffer(
                bytes,
                &c,
                &mut buf,
                &mut |_| {},
            ));
        }
    }
    let Ok(repo) = Repository::parse("registry.corp.internal/airgap") else {
        return;
    };
    let opts = PlanOptions {
        repo_based_tags: flags & 2 != 0,
        include_non_distributable_layers: flags & 2 != 0,
    };
    if let Ok(out) = planner::plan(&archive.set, &repo, opts) {
        // Every planned item reached (not formatted: that was most of the time).
        let _ = out.plan.items.len() + out.plan.tags.len() + out.bundles.len();
    }
    let _ = bytes.len() as u64 == ByteSource::len(bytes);
}
