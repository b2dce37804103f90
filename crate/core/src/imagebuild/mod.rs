//! Single-layer images built from files, byte-identical to imgpkg's.
//!
//! imgpkg turns a directory into an image in two places: `imgpkg push -b|-i
//! -f DIR` and the "image locations" image it writes next to every bundle
//! it copies (`sha256-<bundle>.image-locations.imgpkg`). Both go through
//! `TarImage.AsFileImage` and `NewFileImage`:
//!
//! 1. a tar written by Go's `archive/tar` (see [`go_tar`], [`go::tar`]), entries in
//!    `filepath.Walk` order (see [`tree_from_files`]): the root as `.`,
//!    directories with mode 0700, files with their permission bits `& 0700`,
//!    all with a zero ModTime and no owner;
//! 2. the layer is that tar gzipped by go-containerregistry with Go's
//!    `compress/gzip` at BestSpeed (see [`go::flate`]); its diff_id
//!    is the sha256 of the tar;
//! 3. the config is `mutate.Append(empty.Image, …)` with one history entry
//!    (author and created_by `imgpkg`, zero time), plus `config.Labels` when
//!    labels are given;
//! 4. the manifest is Docker schema 2 with one
//!    `application/vnd.docker.image.rootfs.diff.tar.gzip` layer.
//!
//! Everything here is pure: no IO, no clock.

use std::collections::BTreeMap;

use crate::digest::Digest;
use crate::go;
use crate::manifest::{media_type, BUNDLE_LABEL};

pub use crate::go::flate::go_gzip_best_speed;

/// The single file in an image-locations image.
pub const LOCATIONS_FILE: &str = "image-locations.yml";

/// One tar entry, as imgpkg writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TreeEntry {
    /// A directory (written with mode 0700, no trailing slash). The root is
    /// `"."`.
    Dir {
        /// Slash-separated path inside the tar (`.` for the root, `.imgpkg`, ...).
        path: String,
    },
    /// A regular file; `mode` is written as given (imgpkg passes
    /// `perm & 0o700`).
    File {
        /// Slash-separated path inside the tar.
        path: String,
        /// Mode bits written into the header.
        mode: u32,
        /// The file's bytes.
        contents: Vec<u8>,
    },
}

enum Node {
    Dir(BTreeMap<String, Node>),
    File(u32, Vec<u8>),
}

/// The entries `filepath.Walk` visits for a directory holding `files`
/// (`(relative path, mode, contents)`, `/`-separated): the root `"."`
/// first, then each directory's children sorted by name (bytewise), every
/// directory followed at once by its own contents. Directories are implied
/// by the file paths (so empty directories cannot be expressed). Modes are
/// kept as given.
///
/// # Panics
///
/// If a path has no file name, or names a file and a directory at once.
pub fn tree_from_files(files: &[(String, u32, Vec<u8>)]) -> Vec<TreeEntry> {
    let mut root: BTreeMap<String, Node> = BTreeMap::new();
    for (path, mode, contents) in files {
        let parts: Vec<&str> = path
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        let Some((file, dirs)) = parts.split_last() else {
            panic!("file path {path:?} names no file");
        };
        let mut cur = &mut root;
        for dir in dirs {
            let node = cur
                .entry((*dir).to_string())
                .or_insert_with(|| Node::Dir(BTreeMap::new()));
            cur = match node {
                Node::Dir(children) => children,
                Node::File(..) => panic!("{path:?}: {dir:?} is a file, not a directory"),
            };
        }
        if cur
            .insert((*file).to_string(), Node::File(*mode, contents.clone()))
            .is_some_and(|old| matches!(old, Node::Dir(_)))
        {
            panic!("{path:?} is a directory, not a file");
        }
    }

    fn walk(prefix: &str, children: &BTreeMap<String, Node>, out: &mut Vec<TreeEntry>) {
        for (name, node) in children {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            match node {
                Node::Dir(grandchildren) => {
                    out.push(TreeEntry::Dir { path: path.clone() });
                    walk(&path, grandchildren, out);
                }
                Node::File(mode, contents) => out.push(TreeEntry::File {
                    path,
                    mode: *mode,
                    contents: contents.clone(),
                }),
            }
        }
    }

    let mut out = vec![TreeEntry::Dir { path: ".".into() }];
    walk("", &root, &mut out);
    out
}

/// The tar Go's `archive/tar` Writer writes for `entries`, in the order
/// given: each header from [`go::tar::header`], file data padded to 512
/// bytes, then the two zero blocks of `Close` (no padding to a 10 KiB
/// record). Directories are header-only.
///
/// # Panics
///
/// If Go would refuse an entry: a mode that does not fit (above 0o7777777),
/// a file path ending in `/`, or a path of more than 1 MiB.
pub fn go_tar(entries: &[TreeEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in entries {
        let (name, mode, kind, contents): (&str, u32, go::tar::Kind, &[u8]) = match entry {
            TreeEntry::Dir { path } => (path, 0o700, go::tar::Kind::Directory, &[]),
            TreeEntry::File {
                path,
                mode,
                contents,
            } => (path, *mode, go::tar::Kind::Regular, contents),
        };
        let header = go::tar::Header {
            name,
            size: contents.len() as u64,
            mode,
            kind,
        };
        match go::tar::header(&header) {
            Ok(h) => out.extend_from_slice(&h),
            Err(e) => panic!("{e}"),
        }
        out.extend_from_slice(contents);
        out.resize(
            out.len() + go::tar::padding(contents.len() as u64) as usize,
            0,
        );
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

/// A built single-layer image: every blob and digest needed to push it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltImage {
    /// The manifest's exact bytes (Docker schema 2), pushed as is.
    pub manifest_raw: Vec<u8>,
    /// sha256 of `manifest_raw`.
    pub manifest_digest: Digest,
    /// The config's exact bytes.
    pub config_raw: Vec<u8>,
    /// sha256 of `config_raw`.
    pub config_digest: Digest,
    /// The gzip layer blob.
    pub layer: Vec<u8>,
    /// sha256 of `layer` (the compressed blob).
    pub layer_digest: Digest,
    /// sha256 of the uncompressed tar.
    pub diff_id: Digest,
}

/// imgpkg's `NewFileImage` over the tar of `entries`: one Docker gzip layer,
/// the imgpkg history entry, and `config.Labels` only when `labels` is not
/// empty.
pub fn build_file_image(entries: &[TreeEntry], labels: &BTreeMap<String, String>) -> BuiltImage {
    let tar = go_tar(entries);
    let diff_id = Digest::of(&tar);
    let layer = go_gzip_best_speed(&tar);
    let layer_digest = Digest::of(&layer);

    let config_raw = config_json(&diff_id, labels).into_bytes();
    let config_digest = Digest::of(&config_raw);

    let manifest_raw = format!(
        concat!(
            r#"{{"schemaVersion":2,"mediaType":"{}","#,
            r#""config":{{"mediaType":"{}","size":{},"digest":"{}"}},"#,
            r#""layers":[{{"mediaType":"{}","size":{},"digest":"{}"}}]}}"#
        ),
        media_type::DOCKER_MANIFEST,
        media_type::DOCKER_CONFIG,
        config_raw.len(),
        config_digest,
        media_type::DOCKER_LAYER,
        layer.len(),
        layer_digest,
    )
    .into_bytes();
    let manifest_digest = Digest::of(&manifest_raw);

    BuiltImage {
        manifest_raw,
        manifest_digest,
        config_raw,
        config_digest,
        layer,
        layer_digest,
        diff_id,
    }
}

/// The image-locations image imgpkg pushes for a bundle: the root directory
/// and `image-locations.yml` (mode 0600) holding `image_locations_yml`.
pub fn locations_image(image_locations_yml: &[u8]) -> BuiltImage {
    let entries = [
        TreeEntry::Dir { path: ".".into() },
        TreeEntry::File {
            path: LOCATIONS_FILE.into(),
            mode: 0o600,
            contents: image_locations_yml.to_vec(),
        },
    ];
    build_file_image(&entries, &BTreeMap::new())
}

/// The bundle image `imgpkg push -b REF -f DIR` builds, for the files under
/// DIR as `(relative path, permission bits, contents)`. Modes are reduced
/// to `mode & 0o700` as imgpkg does (without `--preserve-permissions`),
/// so passing the file system's bits (e.g. 0o644) is right.
pub fn bundle_image(files: &[(String, u32, Vec<u8>)]) -> BuiltImage {
    let masked: Vec<(String, u32, Vec<u8>)> = files
        .iter()
        .map(|(p, m, c)| (p.clone(), m & 0o700, c.clone()))
        .collect();
    let mut labels = BTreeMap::new();
    labels.insert(BUNDLE_LABEL.to_string(), "true".to_string());
    build_file_image(&tree_from_files(&masked), &labels)
}

/// go-containerregistry's `ConfigFile` as `json.Marshal` writes it for
/// these images (field order of the struct, empty fields omitted).
fn config_json(diff_id: &Digest, labels: &BTreeMap<String, String>) -> String {
    let config = if labels.is_empty() {
        "{}".to_string()
    } else {
        // encoding/json writes map keys sorted bytewise, as BTreeMap holds them.
        let pairs: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{}:{}", go::json::string(k), go::json::string(v)))
            .collect();
        format!(r#"{{"Labels":{{{}}}}}"#, pairs.join(","))
    };
    format!(
        concat!(
            r#"{{"architecture":"","created":"0001-01-01T00:00:00Z","#,
            r#""history":[{{"author":"imgpkg","created":"0001-01-01T00:00:00Z","created_by":"imgpkg"}}],"#,
            r#""os":"","rootfs":{{"type":"layers","diff_ids":["{}"]}},"config":{}}}"#
        ),
        diff_id, config
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(path: &str) -> (String, u32, Vec<u8>) {
        (path.to_string(), 0o644, path.as_bytes().to_vec())
    }

    fn paths(entries: &[TreeEntry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| match e {
                TreeEntry::Dir { path } => format!("{path}/"),
                TreeEntry::File { path, .. } => path.clone(),
            })
            .collect()
    }

    #[test]
    fn walk_order_is_per_directory() {
        // "a" sorts before "a-b", so a's contents come before a-b, unlike a
        // plain sort of full paths ('-' < '/').
        let entries = tree_from_files(&[
            f("a-b"),
            f("a/c"),
            f("B"),
            f(".imgpkg/images.yml"),
            f("a/b/x"),
        ]);
        assert_eq!(
            paths(&entries),
            [
                "./",
                ".imgpkg/",
                ".imgpkg/images.yml",
                "B",
                "a/",
                "a/b/",
                "a/b/x",
                "a/c",
                "a-b"
            ]
        );
    }

    #[test]
    #[should_panic(expected = "is a file")]
    fn file_and_directory_conflict_panics() {
        tree_from_files(&[f("a"), f("a/b")]);
    }

    #[test]
    fn labels_are_sorted_and_only_present_when_given() {
        let d = Digest::of(b"");
        assert!(config_json(&d, &BTreeMap::new()).ends_with(r#""config":{}}"#));
        let mut labels = BTreeMap::new();
        labels.insert("z".to_string(), "1".to_string());
        labels.insert("a".to_string(), "2".to_string());
        assert!(config_json(&d, &labels).ends_with(r#""config":{"Labels":{"a":"2","z":"1"}}}"#));
    }
}
