//! `openArchive(file)` and the `Archive` object the page works with:
//! the tree, bundle files, verify inputs, the plan preview and the copy.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::blob_source::BlobSource;
use super::error::{Code, WasmError};
use airlock_core::archive::{Archive as CoreArchive, ArchiveError};
use airlock_core::digest::Digest;
use airlock_core::inspect;
use airlock_core::kbld;
use airlock_core::planner::{self, PlanOptions, PlanOutput};
use airlock_core::reference::Repository;
use airlock_core::thin;
use airlock_core::verify;

/// Serializes for JS: maps as plain objects, u64 as numbers.
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, WasmError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| WasmError::new(Code::Internal, format!("serializing for JS: {e}")))
}

fn archive_error(e: ArchiveError) -> WasmError {
    match e {
        ArchiveError::Tar(t) => WasmError::new(Code::NotTar, format!("not a readable tar: {t}")),
        other => WasmError::new(Code::Format, other.to_string()),
    }
}

/// JS: `await openArchive(file)`. Reads the tar headers, `manifest.json`
/// and the bundle layers only. Throws `E_NOT_TAR`, `E_FORMAT`, `E_READ`.
#[wasm_bindgen(js_name = openArchive)]
pub async fn open_archive(file: web_sys::Blob) -> Result<Archive, JsValue> {
    let name = js_sys::Reflect::get(&file, &"name".into())
        .ok()
        .and_then(|v| v.as_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "the tarball".to_string());
    let source = BlobSource::new(file);
    let core = CoreArchive::open(&source).await.map_err(archive_error)?;
    // A thin tar's list of the layers it left out (`None` for a full tar).
    let omitted = thin::read_omitted(&source, &core, &name)
        .await
        .map_err(|e| WasmError::new(Code::Format, e.to_string()))?;
    Ok(Archive {
        source,
        core,
        name,
        omitted,
        checks: OnceCell::new(),
    })
}

/// An opened imgpkg tarball.
#[wasm_bindgen]
pub struct Archive {
    /// The tar; the copy streams blob bodies from it.
    pub(crate) source: BlobSource,
    pub(crate) core: CoreArchive,
    /// The file's name (`File.name`), for messages.
    pub(crate) name: String,
    /// A thin tar's omitted-blobs entry.
    pub(crate) omitted: Option<thin::Omitted>,
    /// The verify checks by entry name, built on first use.
    checks: OnceCell<HashMap<String, verify::BlobCheck>>,
}

/// Options for `plan()` and `copy()`, from JS.
#[derive(serde::Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct PlanArgs {
    pub repository: String,
    pub repo_based_tags: bool,
    pub include_non_distributable_layers: bool,
}

impl PlanArgs {
    pub(crate) fn from_js(v: JsValue) -> Result<PlanArgs, WasmError> {
        serde_wasm_bindgen::from_value(v)
            .map_err(|e| WasmError::new(Code::Argument, format!("invalid options: {e}")))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlanJs {
    repository: String,
    images: Vec<planner::PlanRow>,
    lock: Option<String>,
    lock_error: Option<String>,
    /// Bundle digest → `.imgpkg/images.yml` as `imgpkg pull` writes it.
    images_yml: BTreeMap<String, String>,
    /// Bundle digest → its config YAML with image references moved to the
    /// destination ([`airlock_core::kbld`]); bundles without config files are left
    /// out.
    kbld: BTreeMap<String, String>,
    /// Bundle digest → `PackageRepository` resource, for package-repository
    /// bundles.
    package_repositories: BTreeMap<String, String>,
    warnings: Vec<String>,
}

impl Archive {
    fn blob_check(&self, name: &str) -> Result<verify::BlobCheck, WasmError> {
        self.checks
            .get_or_init(|| {
                verify::blob_checks(&self.core)
                    .into_iter()
                    .map(|c| (c.name.clone(), c))
                    .collect()
            })
            .get(name)
            .cloned()
            .ok_or_else(|| {
                WasmError::new(
                    Code::Argument,
                    format!("no layer entry '{name}' to verify in this tar"),
                )
            })
    }

    /// The plan; a thin tar's omitted layers count as in the destination
    /// (the push checks that before it writes).
    pub(crate) fn plan_output(&self, args: &PlanArgs) -> Result<PlanOutput, WasmError> {
        match &self.omitted {
            Some(o) => {
                let mut set = self.core.set.clone();
                thin::resolve_all(&mut set, o, &repository_of(args)?);
                plan_set(&set, args)
            }
            None => plan_set(&self.core.set, args),
        }
    }
}

/// The destination of `args`, or `E_ARGUMENT`.
pub(crate) fn repository_of(args: &PlanArgs) -> Result<Repository, WasmError> {
    Repository::parse(args.repository.trim()).map_err(|e| {
        WasmError::new(
            Code::Argument,
            format!("'{}' is not a repository: {e}", args.repository.trim()),
        )
    })
}

/// Plans `set` into the destination of `args`.
pub(crate) fn plan_set(
    set: &airlock_core::imageset::ImageSet,
    args: &PlanArgs,
) -> Result<PlanOutput, WasmError> {
    let repo = repository_of(args)?;
    planner::plan(
        set,
        &repo,
        PlanOptions {
            repo_based_tags: args.repo_based_tags,
            include_non_distributable_layers: args.include_non_distributable_layers,
        },
    )
    .map_err(|e| WasmError::new(Code::Format, e.to_string()))
}

#[wasm_bindgen]
impl Archive {
    /// Size of the tar in bytes.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> f64 {
        self.core.size as f64
    }

    /// The display tree, the same JSON `airlock inspect --json` prints
    /// ([`inspect::Tree`]): `{nodes: [{id, kind, digest, source, tag,
    /// media_type, root, size, platform, config_media_type, config_digest,
    /// config_size, layers: [{digest, media_type, size, present,
    /// non_distributable}], children: [id]}], top: [id], root: id|null,
    /// bundles: [{node, digest, files: [{path, size, mode}], images: [{image,
    /// digest, node}]}], problems: [{subject, message}], blob_count,
    /// blob_bytes}`.
    #[wasm_bindgen(unchecked_return_type = "Tree")]
    pub fn tree(&self) -> Result<JsValue, JsValue> {
        let mut tree = inspect::tree(&self.core.set);
        if let Some(o) = &self.omitted {
            // The omitted layers are not problems of a thin tar.
            tree.problems = thin::filter_problems(&self.core, o, tree.problems);
        }
        Ok(to_js(&tree)?)
    }

    /// A bundle file's contents as text (invalid UTF-8 replaced).
    #[wasm_bindgen(js_name = bundleFile)]
    pub fn bundle_file(&self, bundle_digest: &str, path: &str) -> Result<String, JsValue> {
        let bundle = self
            .core
            .set
            .bundles
            .values()
            .find(|b| b.digest.to_string() == bundle_digest)
            .ok_or_else(|| {
                WasmError::new(
                    Code::Argument,
                    format!("no bundle {bundle_digest} in this tar"),
                )
            })?;
        let file = bundle.file(path).ok_or_else(|| {
            WasmError::new(
                Code::Argument,
                format!("no file '{path}' in bundle {bundle_digest}"),
            )
        })?;
        Ok(String::from_utf8_lossy(&file.contents).into_owned())
    }

    /// `[{name, offset, size, expectedSize, digest}]`: every layer entry to
    /// hash (the verify workers read `offset..offset+size`).
    #[wasm_bindgen(js_name = blobsToVerify, unchecked_return_type = "BlobToVerify[]")]
    pub fn blobs_to_verify(&self) -> Result<JsValue, JsValue> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct B {
            name: String,
            offset: u64,
            size: u64,
            expected_size: u64,
            digest: String,
        }
        let out: Vec<B> = verify::blob_checks(&self.core)
            .into_iter()
            .map(|c| B {
                name: c.name,
                offset: c.offset,
                size: c.size,
                expected_size: c.expected_size,
                digest: c.digest.to_string(),
            })
            .collect();
        Ok(to_js(&out)?)
    }

    /// The problem for a blob the verify workers hashed, with the text
    /// `airlock verify` prints (`{subject, message}`), or `null` when
    /// `actualDigest` is the entry's digest. `bytesRead`: bytes hashed.
    /// Throws `E_ARGUMENT` for an unknown entry or a malformed digest.
    #[wasm_bindgen(js_name = checkDigest, unchecked_return_type = "Problem | null")]
    pub fn check_digest(
        &self,
        name: &str,
        actual_digest: &str,
        bytes_read: f64,
    ) -> Result<JsValue, JsValue> {
        let check = self.blob_check(name)?;
        let actual = Digest::parse(actual_digest).map_err(|e| {
            WasmError::new(
                Code::Argument,
                format!("'{actual_digest}' is not a digest: {e}"),
            )
        })?;
        match verify::judge(&check, actual, bytes_read as u64) {
            Some(p) => Ok(to_js(&p)?),
            None => Ok(JsValue::NULL),
        }
    }

    /// The problem for a blob the verify workers could not read (`error`
    /// says why), as the CLI words it. Throws `E_ARGUMENT` for an unknown
    /// entry.
    #[wasm_bindgen(js_name = readProblem, unchecked_return_type = "Problem")]
    pub fn read_problem(&self, name: &str, error: &str) -> Result<JsValue, JsValue> {
        let check = self.blob_check(name)?;
        Ok(to_js(&verify::read_problem(&check, &error))?)
    }

    /// `[{subject, message}]`: problems found without hashing layers.
    #[wasm_bindgen(js_name = verifyStructure, unchecked_return_type = "Problem[]")]
    pub fn verify_structure(&self) -> Result<JsValue, JsValue> {
        let problems = verify::structural(&self.core);
        let problems = match &self.omitted {
            // A thin tar's omitted layers are expected to be missing.
            Some(o) => thin::filter_problems(&self.core, o, problems),
            None => problems,
        };
        Ok(to_js(&problems)?)
    }

    /// The preview: `{repository, images: [{kind, source, destination,
    /// tags}], lock, lockError, imagesYml: {bundleDigest: text}, kbld:
    /// {bundleDigest: text}, packageRepositories: {bundleDigest: text},
    /// warnings}`.
    /// Throws `E_ARGUMENT` for a bad repository.
    #[wasm_bindgen(unchecked_return_type = "Plan")]
    pub fn plan(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PlanOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let args = PlanArgs::from_js(options)?;
        let out = self.plan_output(&args)?;
        let (lock, lock_error) = match &out.lock_output {
            Ok(l) => (Some(l.clone()), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let repo = &out.plan.repository;
        let mut warnings = out.warnings.clone();
        let mut kbld_docs = BTreeMap::new();
        let mut package_repositories = BTreeMap::new();
        for b in &out.bundles {
            let Some(bundle) = self
                .core
                .set
                .bundles
                .values()
                .find(|x| x.digest == b.digest)
            else {
                continue;
            };
            match kbld::relocated_config(bundle, repo) {
                Ok(Some(text)) => {
                    kbld_docs.insert(b.digest.to_string(), text);
                }
                Ok(None) => {}
                Err(e) => warnings.push(format!(
                    "bundle {}: config not rewritten for the destination: {e}",
                    b.source
                )),
            }
            if kbld::is_package_repository(bundle) {
                package_repositories.insert(
                    b.digest.to_string(),
                    kbld::package_repository(
                        &kbld::package_repository_name(&b.source),
                        repo,
                        &b.digest,
                    ),
                );
            }
        }
        let js = PlanJs {
            repository: out.plan.repository.name(),
            images: out.rows(),
            lock,
            lock_error,
            images_yml: out
                .bundles
                .iter()
                .map(|b| (b.digest.to_string(), b.pulled_images_yml.clone()))
                .collect(),
            kbld: kbld_docs,
            package_repositories,
            warnings,
        };
        Ok(to_js(&js)?)
    }
}
