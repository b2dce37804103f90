//! Documents derived from a relocated bundle, for the preview's downloads:
//! the bundle's configuration with its image references rewritten to the
//! destination (what `kbld -f <config> -f .imgpkg/images.yml` resolves them
//! to after `imgpkg copy`), and, for a package-repository bundle, the
//! `PackageRepository` resource that installs it with kapp-controller.
//!
//! Pure: text in, text out. No IO, no clock.
//!
//! # The rewrite rule
//!
//! For a bundle relocated to repository `R`, every entry of its
//! `.imgpkg/images.yml` (an ImagesLock) maps to `R@<digest of its image>`.
//! The strings that name an entry are: its `kbld.carvel.dev/id` annotation,
//! its `image` value as written, and that value in normalised form
//! (`index.docker.io/library/…`). Then, in every YAML document of every
//! configuration file (a regular file ending in `.yml` or `.yaml` outside
//! `.imgpkg/`, in path order):
//!
//! - a scalar that is a mapping **value** or a sequence **item** (never a
//!   key), written plain, `'single'` or `"double"` quoted, without an
//!   explicit tag other than `!!str`, whose value equals one of those
//!   strings, is replaced by `R@<digest>`, keeping its quoting style;
//! - nothing else changes: comments, key order, indentation, other
//!   scalars, block scalars (`|`, `>`), anchors and aliases (an alias of a
//!   replaced anchor follows it) are kept byte for byte.
//!
//! The files are joined in path order; a file that does not start with a
//! document marker gets a `---` line before it, so the output is one valid
//! multi-document YAML stream.
//!
//! Differences from kbld itself: kbld re-serialises every document (its own
//! key order and quoting) and adds `kbld.k14s.io/images` annotations; by
//! default it only looks at values of keys named `image` (plus configured
//! search rules), and fails on an image it cannot resolve. This rewrite
//! keeps the text, looks at every string value, and leaves strings that
//! name no images.yml entry alone.
//!
//! # PackageRepository
//!
//! A bundle is a package repository when one of its `packages/…` YAML files
//! holds a document whose top-level `kind` is `Package` or
//! `PackageMetadata`. Its resource is
//!
//! ```yaml
//! ---
//! apiVersion: packaging.carvel.dev/v1alpha1
//! kind: PackageRepository
//! metadata:
//!   name: <last path segment of the bundle's source repository>
//! spec:
//!   fetch:
//!     imgpkgBundle:
//!       image: R@<bundle digest>
//! ```
//!
//! with the name lower-cased and cut to a DNS-1123 subdomain (characters
//! other than `a-z0-9.-` become `-`; `packages` when nothing is left).

use std::collections::HashMap;

use granit_parser::{Event, Options, Parser, ScalarStyle};

use crate::digest::Digest;
use crate::imageset::{Bundle, ImageSet};
use crate::lock::ImagesLock;
use crate::planner::PlanOutput;
use crate::reference::{Reference, Repository};

/// The annotation kbld writes on each images.yml entry.
pub const KBLD_ID: &str = "kbld.carvel.dev/id";

/// The largest configuration file rewritten (bytes).
pub const MAX_FILE: usize = 16 << 20;

/// Why a file could not be rewritten.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: line {line}: {message}")]
pub struct KbldError {
    /// The file, as named by the caller.
    pub file: String,
    /// 1-based line where the YAML parser stopped (0 when the whole file is refused).
    pub line: usize,
    /// What is wrong (the file is too large, or its YAML does not parse).
    pub message: String,
}

/// The result of rewriting one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    /// The rewritten text.
    pub text: String,
    /// Scalars replaced.
    pub replaced: usize,
}

/// Old string → new reference, for one bundle relocated to `repo`.
pub fn relocation_map(lock: &ImagesLock, repo: &Repository) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for img in &lock.images {
        let Some(digest) = img.digest() else {
            continue;
        };
        let to = repo.at(&digest).name();
        let mut names = vec![img.image.clone(), img.original.clone()];
        if let Some(id) = img.annotation(KBLD_ID) {
            names.push(id.to_string());
            // The id as ggcr would name it, too (`nginx:1` →
            // `index.docker.io/library/nginx:1`).
            if let Ok(r) = Reference::parse(id) {
                names.push(r.name());
            }
        }
        for n in names {
            if !n.is_empty() {
                map.entry(n).or_insert_with(|| to.clone());
            }
        }
    }
    map
}

#[derive(Clone, Copy)]
enum Frame {
    Seq,
    /// Nodes seen so far in the mapping (even = next is a key).
    Map(usize),
}

/// Rewrites the scalars of every document in `text` that equal a key of
/// `map` (see the module docs for the rule). `file` names the input in
/// errors.
pub fn rewrite_yaml(
    text: &str,
    map: &HashMap<String, String>,
    file: &str,
) -> Result<Rewritten, KbldError> {
    if text.len() > MAX_FILE {
        return Err(KbldError {
            file: file.to_string(),
            line: 0,
            message: format!("{} bytes, more than the {MAX_FILE} rewritten", text.len()),
        });
    }
    let mut options = Options::default();
    options.flow_nesting_limit = 100;
    options.block_nesting_limit = 100;
    let parser = Parser::new_from_str_with_options(text, options);
    let mut stack: Vec<Frame> = Vec::new();
    // (byte range, replacement) in document order.
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    for next in parser {
        let (event, span) = next.map_err(|e| KbldError {
            file: file.to_string(),
            line: e.marker().line(),
            message: e.info().to_string(),
        })?;
        // Whether this node is a mapping key; counts it in its parent.
        let mut node_is_key = || match stack.last_mut() {
            Some(Frame::Map(n)) => {
                let key = *n % 2 == 0;
                *n += 1;
                key
            }
            _ => false,
        };
        match event {
            Event::SequenceStart(..) => {
                node_is_key();
                stack.push(Frame::Seq);
            }
            Event::MappingStart(..) => {
                node_is_key();
                stack.push(Frame::Map(0));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                stack.pop();
            }
            Event::Alias(_) => {
                node_is_key();
            }
            Event::DocumentStart(..) => stack.clear(),
            Event::Scalar(value, style, _, tag) => {
                let is_key = node_is_key();
                if is_key {
                    continue;
                }
                let quoted = match style {
                    ScalarStyle::Plain => None,
                    ScalarStyle::SingleQuoted => Some('\''),
                    ScalarStyle::DoubleQuoted => Some('"'),
                    _ => continue,
                };
                if let Some(t) = &tag {
                    let t = t.to_string();
                    if !(t.ends_with(":str") || t == "!!str") {
                        continue;
                    }
                }
                let Some(to) = map.get(value.as_ref()) else {
                    continue;
                };
                let Some(range) = span.byte_range() else {
                    continue;
                };
                let Some(src) = text.get(range.clone()) else {
                    continue;
                };
                // The span may or may not include the quotes; replace the
                // whole written scalar either way.
                let (range, new) = match quoted {
                    None => (range, to.clone()),
                    Some(q) if src.starts_with(q) => (range, format!("{q}{to}{q}")),
                    Some(q) => {
                        let start = range.start.saturating_sub(1);
                        let end = (range.end + 1).min(text.len());
                        if text.as_bytes().get(start) == Some(&(q as u8))
                            && text.as_bytes().get(end - 1) == Some(&(q as u8))
                        {
                            (start..end, format!("{q}{to}{q}"))
                        } else {
                            (range, to.clone())
                        }
                    }
                };
                edits.push((range, new));
            }
            _ => {}
        }
    }
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    let mut replaced = 0;
    for (r, new) in edits {
        if r.start < pos {
            continue;
        }
        out.push_str(&text[pos..r.start]);
        out.push_str(&new);
        pos = r.end;
        replaced += 1;
    }
    out.push_str(&text[pos..]);
    Ok(Rewritten {
        text: out,
        replaced,
    })
}

fn is_yaml(path: &str) -> bool {
    path.ends_with(".yml") || path.ends_with(".yaml")
}

/// The bundle's configuration files (see the module docs), in path order.
pub fn config_files(bundle: &Bundle) -> Vec<&crate::imageset::BundleFile> {
    let mut files: Vec<_> = bundle
        .files
        .iter()
        .filter(|f| is_yaml(&f.path) && !f.path.starts_with(".imgpkg/"))
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// The bundle's configuration with every image reference moved to `repo`,
/// as one multi-document YAML stream. `Ok(None)` when the bundle has no
/// configuration files.
pub fn relocated_config(bundle: &Bundle, repo: &Repository) -> Result<Option<String>, KbldError> {
    let files = config_files(bundle);
    if files.is_empty() {
        return Ok(None);
    }
    let map = relocation_map(&bundle.lock, repo);
    let mut out = String::new();
    for f in files {
        let text = String::from_utf8_lossy(&f.contents);
        let r = rewrite_yaml(&text, &map, &f.path)?;
        if !r.text.trim_start().starts_with("---") {
            out.push_str("---\n");
        }
        out.push_str(&r.text);
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(Some(out))
}

/// Top-level `kind` of every document in `text` (`None` for documents
/// without one). Errors make the file count as no documents.
fn document_kinds(text: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut count = 0usize; // nodes in the top-level mapping
    let mut want_kind = false;
    let mut top_is_map = false;
    for next in Parser::new_from_str(text) {
        let Ok((event, _)) = next else {
            return Vec::new();
        };
        let at_top = depth == 1 && top_is_map;
        match event {
            Event::DocumentStart(..) => {
                out.push(None);
                depth = 0;
                count = 0;
                want_kind = false;
                top_is_map = false;
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if depth == 0 {
                    top_is_map = matches!(event, Event::MappingStart(..));
                } else if at_top {
                    count += 1;
                    want_kind = false;
                }
                depth += 1;
            }
            Event::MappingEnd | Event::SequenceEnd => depth = depth.saturating_sub(1),
            Event::Scalar(v, ..) if at_top => {
                if count % 2 == 0 {
                    want_kind = v == "kind";
                } else if want_kind {
                    if let Some(last) = out.last_mut() {
                        *last = Some(v.to_string());
                    }
                    want_kind = false;
                }
                count += 1;
            }
            Event::Alias(_) if at_top => {
                count += 1;
                want_kind = false;
            }
            _ => {}
        }
    }
    out
}

/// Whether the bundle is a package repository (see the module docs).
pub fn is_package_repository(bundle: &Bundle) -> bool {
    bundle
        .files
        .iter()
        .filter(|f| f.path.starts_with("packages/") && is_yaml(&f.path))
        .any(|f| {
            document_kinds(&String::from_utf8_lossy(&f.contents))
                .iter()
                .flatten()
                .any(|k| k == "Package" || k == "PackageMetadata")
        })
}

/// `metadata.name` for a bundle whose source is `source` (`repo@digest`).
pub fn package_repository_name(source: &str) -> String {
    let repo = source.split('@').next().unwrap_or("");
    let last = repo.rsplit('/').next().unwrap_or("");
    let mut name: String = last
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    name.truncate(253);
    let name = name.trim_matches(|c: char| c == '-' || c == '.');
    if name.is_empty() {
        "packages".to_string()
    } else {
        name.to_string()
    }
}

/// The `PackageRepository` resource for a bundle at `repo@digest`.
pub fn package_repository(name: &str, repo: &Repository, digest: &Digest) -> String {
    format!(
        "---\napiVersion: packaging.carvel.dev/v1alpha1\nkind: PackageRepository\nmetadata:\n  name: {name}\nspec:\n  fetch:\n    imgpkgBundle:\n      image: {}\n",
        repo.at(digest).name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const D1: &str = "sha256:95cdec99a5b01a74bed240f40f9f59e71ce86dbaf85f869cea6d35c441f4c1b6";
    const D2: &str = "sha256:11ec1c1648f89d64201c926e7a4abb84c6ab34c0eb4fa211903b2fed15b06a4e";

    fn lock() -> ImagesLock {
        let yml = format!(
            "---\napiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\nimages:\n- annotations:\n    kbld.carvel.dev/id: 127.0.0.1:5000/src/app1:v1\n  image: 127.0.0.1:5000/src/app1@{D1}\n- annotations:\n    kbld.carvel.dev/id: nginx:1.25\n  image: nginx@{D2}\n"
        );
        ImagesLock::parse(yml.as_bytes(), "images.yml").unwrap()
    }

    fn repo() -> Repository {
        Repository::parse("registry.corp:5000/team/app").unwrap()
    }

    fn map() -> HashMap<String, String> {
        relocation_map(&lock(), &repo())
    }

    #[test]
    fn map_names_ids_images_and_normalised_forms() {
        let m = map();
        let to1 = format!("registry.corp:5000/team/app@{D1}");
        let to2 = format!("registry.corp:5000/team/app@{D2}");
        assert_eq!(m["127.0.0.1:5000/src/app1:v1"], to1);
        assert_eq!(m[&format!("127.0.0.1:5000/src/app1@{D1}")], to1);
        assert_eq!(m["nginx:1.25"], to2);
        assert_eq!(m["index.docker.io/library/nginx:1.25"], to2);
        assert_eq!(m[&format!("nginx@{D2}")], to2);
        assert_eq!(m[&format!("index.docker.io/library/nginx@{D2}")], to2);
    }

    #[test]
    fn rewrites_values_and_items_keeping_everything_else() {
        let text = "# a comment\napiVersion: v1   # trailing\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image: 127.0.0.1:5000/src/app1:v1\n  - name: b\n    image: \"nginx:1.25\"\n  - image: 'nginx:1.25'\n    name: c\n  list: [nginx:1.25, other]\n---\nimages:\n- nginx:1.25\n- unrelated:1\n";
        let r = rewrite_yaml(text, &map(), "x.yml").unwrap();
        let to1 = format!("registry.corp:5000/team/app@{D1}");
        let to2 = format!("registry.corp:5000/team/app@{D2}");
        let want = format!("# a comment\napiVersion: v1   # trailing\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image: {to1}\n  - name: b\n    image: \"{to2}\"\n  - image: '{to2}'\n    name: c\n  list: [{to2}, other]\n---\nimages:\n- {to2}\n- unrelated:1\n");
        assert_eq!(r.text, want);
        assert_eq!(r.replaced, 5);
    }

    #[test]
    fn keys_block_scalars_and_tagged_scalars_are_left_alone() {
        let text = "nginx:1.25: key\nliteral: |\n  nginx:1.25\nint: !!int 3\ntagged: !custom nginx:1.25\nstr: !!str nginx:1.25\nanchored: &a nginx:1.25\nalias: *a\n";
        let r = rewrite_yaml(text, &map(), "x.yml").unwrap();
        let to2 = format!("registry.corp:5000/team/app@{D2}");
        assert_eq!(
            r.text,
            format!("nginx:1.25: key\nliteral: |\n  nginx:1.25\nint: !!int 3\ntagged: !custom nginx:1.25\nstr: !!str {to2}\nanchored: &a {to2}\nalias: *a\n")
        );
        assert_eq!(r.replaced, 2);
    }

    #[test]
    fn non_ascii_text_and_crlf_are_kept() {
        let text = "name: \"café ☕\"\r\nimage: nginx:1.25\r\nnote: ünïcode\r\n";
        let r = rewrite_yaml(text, &map(), "x.yml").unwrap();
        assert_eq!(
            r.text,
            format!(
                "name: \"café ☕\"\r\nimage: registry.corp:5000/team/app@{D2}\r\nnote: ünïcode\r\n"
            )
        );
    }

    #[test]
    fn bad_yaml_names_the_file_and_line() {
        let e = rewrite_yaml("a: b\nc: [unclosed\n", &map(), "config/bad.yml").unwrap_err();
        assert_eq!(e.file, "config/bad.yml");
        assert!(e.line >= 2, "{e}");
        let big = "a".repeat(MAX_FILE + 1);
        assert!(rewrite_yaml(&big, &map(), "big.yml").is_err());
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let text = "[".repeat(10_000);
        assert!(rewrite_yaml(&text, &map(), "deep.yml").is_err());
    }

    fn bundle(files: &[(&str, &str)]) -> Bundle {
        let lock = lock();
        Bundle {
            node: 0,
            digest: Digest::parse(D1).unwrap(),
            files: files
                .iter()
                .map(|(p, c)| crate::imageset::BundleFile {
                    path: p.to_string(),
                    mode: 0o644,
                    contents: Arc::new(c.as_bytes().to_vec()),
                })
                .collect(),
            images_yml: Arc::new(lock.to_yaml().into_bytes()),
            lock,
            images: Vec::new(),
        }
    }

    #[test]
    fn relocated_config_joins_config_files_in_path_order() {
        let b = bundle(&[
            (".imgpkg/images.yml", "image: nginx:1.25\n"),
            ("config/z.yml", "image: nginx:1.25"),
            ("config/a.yaml", "---\nimage: 127.0.0.1:5000/src/app1:v1\n"),
            ("README.md", "image: nginx:1.25\n"),
        ]);
        let out = relocated_config(&b, &repo()).unwrap().unwrap();
        assert_eq!(
            out,
            format!("---\nimage: registry.corp:5000/team/app@{D1}\n---\nimage: registry.corp:5000/team/app@{D2}\n")
        );
        assert_eq!(
            relocated_config(&bundle(&[(".imgpkg/images.yml", "")]), &repo()).unwrap(),
            None
        );
    }

    #[test]
    fn package_repositories_are_recognised() {
        let pkg = bundle(&[
            (".imgpkg/images.yml", ""),
            (
                "packages/app.corp.com/1.0.0.yml",
                "---\napiVersion: data.packaging.carvel.dev/v1alpha1\nkind: PackageMetadata\nmetadata:\n  name: app.corp.com\n---\nmetadata: {kind: Package}\nkind: Package\n",
            ),
        ]);
        assert!(is_package_repository(&pkg));
        let nested_kind = bundle(&[("packages/x.yml", "spec:\n  kind: Package\n")]);
        assert!(!is_package_repository(&nested_kind));
        let outside = bundle(&[("config/x.yml", "kind: Package\n")]);
        assert!(!is_package_repository(&outside));
        let other = bundle(&[("packages/x.yml", "kind: ConfigMap\n")]);
        assert!(!is_package_repository(&other));
    }

    #[test]
    fn package_repository_resource() {
        assert_eq!(
            package_repository_name(&format!("index.docker.io/corp/My_Packages@{D1}")),
            "my-packages"
        );
        assert_eq!(package_repository_name(&format!("r/__@{D1}")), "packages");
        let d = Digest::parse(D1).unwrap();
        assert_eq!(
            package_repository("my-packages", &repo(), &d),
            format!("---\napiVersion: packaging.carvel.dev/v1alpha1\nkind: PackageRepository\nmetadata:\n  name: my-packages\nspec:\n  fetch:\n    imgpkgBundle:\n      image: registry.corp:5000/team/app@{D1}\n")
        );
    }
}

/// The derived documents of one plan: what the page's `plan()` offers as
/// downloads and the CLI writes for `--kbld-output` and
/// `--package-repository-output`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Derived {
    /// Bundle digest → configuration with relocated image references.
    pub kbld: std::collections::BTreeMap<String, String>,
    /// Bundle digest → `PackageRepository`.
    pub package_repositories: std::collections::BTreeMap<String, String>,
    /// Bundles whose configuration could not be rewritten, and why.
    pub kbld_errors: Vec<String>,
}

/// The derived documents of `out` (planned from `set`): each planned
/// bundle's relocated configuration ([`relocated_config`]) and, for a
/// package-repository bundle, its `PackageRepository`.
pub fn derive(set: &ImageSet, out: &PlanOutput) -> Derived {
    let repo = &out.plan.repository;
    let mut d = Derived::default();
    for b in &out.bundles {
        let Some(bundle) = set.bundles.values().find(|x| x.digest == b.digest) else {
            continue;
        };
        match relocated_config(bundle, repo) {
            Ok(Some(text)) => {
                d.kbld.insert(b.digest.to_string(), text);
            }
            Ok(None) => {}
            Err(e) => d.kbld_errors.push(format!(
                "bundle {}: config not rewritten for the destination: {e}",
                b.source
            )),
        }
        if is_package_repository(bundle) {
            d.package_repositories.insert(
                b.digest.to_string(),
                package_repository(&package_repository_name(&b.source), repo, &b.digest),
            );
        }
    }
    d
}
