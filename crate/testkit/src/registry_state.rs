//! Independent views of what a real test registry holds, for the thin
//! transfer tests: a walk over raw HTTP (no Airlock parsing), the blob and
//! manifest link files of the registry's storage directory, and a snapshot
//! of tags and manifests to compare before and after.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use airlock_core::digest::Digest;

use crate::support::TestRegistry;

/// What a repository holds, found by following tags and index children
/// with raw GETs: manifests and blobs as `digest -> (size, media type)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walked {
    pub tags: BTreeMap<String, String>,
    pub manifests: BTreeMap<String, (u64, String)>,
    pub blobs: BTreeMap<String, (u64, String)>,
}

fn sha256(raw: &[u8]) -> String {
    Digest::of(raw).to_string()
}

/// Walks `repo` of `reg` over HTTP, parsing manifests as plain JSON.
pub fn walk(reg: &TestRegistry, repo: &str) -> Walked {
    let mut out = Walked::default();
    let mut todo: Vec<String> = Vec::new();
    for t in reg.tags(repo) {
        let raw = reg
            .manifest(repo, &t)
            .unwrap_or_else(|| panic!("{repo}:{t} listed but missing"));
        out.tags.insert(t, sha256(&raw));
        todo.push(sha256(&raw));
    }
    while let Some(d) = todo.pop() {
        if out.manifests.contains_key(&d) {
            continue;
        }
        let raw = reg
            .manifest(repo, &d)
            .unwrap_or_else(|| panic!("{repo}@{d} missing"));
        assert_eq!(sha256(&raw), d, "{repo}@{d}: bytes do not match");
        let v: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        let mt = v["mediaType"].as_str().unwrap_or_default().to_string();
        out.manifests.insert(d.clone(), (raw.len() as u64, mt));
        let desc = |x: &serde_json::Value| {
            (
                x["digest"].as_str().unwrap().to_string(),
                x["size"].as_u64().unwrap(),
                x["mediaType"].as_str().unwrap_or_default().to_string(),
            )
        };
        if let Some(children) = v["manifests"].as_array() {
            for c in children {
                todo.push(desc(c).0);
            }
        } else {
            let mut blobs = vec![desc(&v["config"])];
            blobs.extend(v["layers"].as_array().into_iter().flatten().map(desc));
            for (d, size, mt) in blobs {
                out.blobs.entry(d).or_insert((size, mt));
            }
        }
    }
    out
}

fn repo_dir(reg: &TestRegistry, repo: &str) -> PathBuf {
    reg.dir
        .path()
        .join("data/docker/registry/v2/repositories")
        .join(repo)
}

fn links(dir: PathBuf) -> BTreeSet<String> {
    let Ok(rd) = std::fs::read_dir(dir.join("sha256")) else {
        return BTreeSet::new();
    };
    rd.filter_map(|e| e.ok())
        .filter(|e| e.path().join("link").exists())
        .map(|e| format!("sha256:{}", e.file_name().to_string_lossy()))
        .collect()
}

/// The blob digests linked into `repo` in the storage directory
/// (`_layers/sha256/<hex>/link`: every layer and config uploaded or mounted).
pub fn blob_links(reg: &TestRegistry, repo: &str) -> BTreeSet<String> {
    links(repo_dir(reg, repo).join("_layers"))
}

/// The manifest digests linked into `repo` (`_manifests/revisions`).
pub fn manifest_links(reg: &TestRegistry, repo: &str) -> BTreeSet<String> {
    links(repo_dir(reg, repo).join("_manifests/revisions"))
}

/// Every blob link file under the registry's storage, as `repo sha256:…`.
pub fn all_blob_links(reg: &TestRegistry) -> BTreeSet<String> {
    let root = reg.dir.path().join("data/docker/registry/v2/repositories");
    let mut out = BTreeSet::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.filter_map(|e| e.ok()) {
            let p = e.path();
            if p.file_name().is_some_and(|n| n == "_layers") {
                let repo = d.strip_prefix(&root).unwrap().display().to_string();
                for l in links(p) {
                    out.insert(format!("{repo} {l}"));
                }
            } else if p.is_dir()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('_'))
            {
                stack.push(p);
            }
        }
    }
    out
}

/// Tags (with the bytes of what they point at) and linked manifests of a
/// repository: equal before and after means nothing was written there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub tags: BTreeMap<String, Vec<u8>>,
    pub manifests: BTreeSet<String>,
    pub blob_links: BTreeSet<String>,
    /// Upload sessions started in the repository (`_uploads/<uuid>`).
    pub uploads: BTreeSet<String>,
}

pub fn snapshot(reg: &TestRegistry, repo: &str) -> Snapshot {
    let tags = reg
        .tags(repo)
        .into_iter()
        .map(|t| {
            let raw = reg.manifest(repo, &t).unwrap_or_default();
            (t, raw)
        })
        .collect();
    Snapshot {
        tags,
        manifests: manifest_links(reg, repo),
        blob_links: all_blob_links(reg),
        uploads: std::fs::read_dir(repo_dir(reg, repo).join("_uploads"))
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// `DELETE /v2/<repo>/blobs/<digest>` (the registry has deletes enabled):
/// unlinks the blob from the repository; returns the status.
pub fn delete_blob(reg: &TestRegistry, repo: &str, digest: &str) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.delete(&format!("http://{}/v2/{repo}/blobs/{digest}", reg.host()));
    if let Some(a) = reg.admin_auth(&format!("repository:{repo}:*")) {
        req = req.header("Authorization", &a);
    }
    req.call().unwrap().status().as_u16()
}
