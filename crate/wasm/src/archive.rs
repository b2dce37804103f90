//! `openArchive(file)` and the `Archive` object the page works with:
//! the tree, bundle files, verify inputs, the plan preview and the copy.
//! The tar may be an imgpkg tarball, an OCI layout or a docker-archive
//! ([`airlock_core::formats::open_any`], the CLI's detection).

use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::blob_source::{BlobSource, OpenSource};
use super::error::{describe_js, Code, WasmError};
use airlock_core::archive::ArchiveError;
use airlock_core::digest::Digest;
use airlock_core::formats::destination::{
    Destination, DestinationError, Relocation, PREFIX_FOR_IMGPKG,
};
use airlock_core::formats::docker_gzip::{self, DockerLayers};
use airlock_core::formats::{self, AnyArchive, Format, FormatError, ImageArchive, OpenError};
use airlock_core::inspect;
use airlock_core::kbld;
use airlock_core::planner::{self, PlanOptions, PlanOutput};
use airlock_core::reference::Repository;
use airlock_core::thin;
use airlock_core::verify;

/// Serializes for JS: maps as plain objects, u64 as numbers. Through one
/// JSON text and the browser's `JSON.parse`: for the 1,000-image tree that is
/// ~4× faster than building the objects field by field from wasm (each
/// string a separate decode).
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, WasmError> {
    let text = serde_json::to_string(value)
        .map_err(|e| WasmError::new(Code::Internal, format!("serializing for JS: {e}")))?;
    js_sys::JSON::parse(&text).map_err(|e| {
        WasmError::new(
            Code::Internal,
            format!("serializing for JS: {}", describe_js(&e)),
        )
    })
}

fn archive_error(e: OpenError) -> WasmError {
    match e {
        OpenError::Imgpkg(ArchiveError::Tar(t)) | OpenError::Format(FormatError::Tar(t)) => {
            WasmError::new(Code::NotTar, format!("not a readable tar: {t}"))
        }
        other => WasmError::new(Code::Format, other.to_string()),
    }
}

fn destination_error(e: DestinationError) -> WasmError {
    let code = match e {
        DestinationError::Plan { .. } => Code::Format,
        _ => Code::Argument,
    };
    WasmError::new(code, e.to_string())
}

/// JS: `await openArchive(file)`. Reads the tar headers, then
/// `manifest.json` and the bundle layers (imgpkg), or `index.json` and
/// every manifest and config (OCI layout), or `manifest.json` and the
/// configs (docker-archive) only. Throws `E_NOT_TAR`, `E_FORMAT`, `E_READ`,
/// and `E_ARGUMENT` for something that is not a `File` or `Blob`.
#[wasm_bindgen(js_name = openArchive)]
pub async fn open_archive(
    #[wasm_bindgen(unchecked_param_type = "Blob")] file: JsValue,
) -> Result<Archive, JsValue> {
    let file: web_sys::Blob = file.dyn_into().map_err(|v| {
        WasmError::new(
            Code::Argument,
            format!(
                "openArchive: expected a File or Blob, got {}",
                if v.is_null() {
                    "null".to_string()
                } else {
                    v.js_typeof().as_string().unwrap_or_default()
                }
            ),
        )
    })?;
    let name = js_sys::Reflect::get(&file, &"name".into())
        .ok()
        .and_then(|v| v.as_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "the tarball".to_string());
    let source = BlobSource::new(file);
    let opening = OpenSource::new(&source).await?;
    let core = formats::open_any(&opening).await.map_err(archive_error)?;
    // A thin tar's list of the layers it left out (`None` for a full tar).
    let omitted = match &core {
        AnyArchive::Imgpkg(a) => thin::read_omitted(&opening, a, &name)
            .await
            .map_err(|e| WasmError::new(Code::Format, e.to_string()))?,
        AnyArchive::Image(_) => None,
    };
    Ok(Archive {
        source,
        core,
        name,
        omitted,
        checks: OnceCell::new(),
        gzipped: Rc::default(),
    })
}

/// An opened tarball: imgpkg, OCI layout or docker-archive.
#[wasm_bindgen]
pub struct Archive {
    /// The tar; the copy streams blob bodies from it.
    pub(crate) source: BlobSource,
    pub(crate) core: AnyArchive,
    /// The file's name (`File.name`), for messages.
    pub(crate) name: String,
    /// A thin tar's omitted-blobs entry (imgpkg tars only).
    pub(crate) omitted: Option<thin::Omitted>,
    /// The verify checks by entry name, built on first use.
    checks: OnceCell<HashMap<String, verify::BlobCheck>>,
    /// The docker-archive with its layers gzip-compressed
    /// (`dockerLayers: 'gzip'`), once `compressLayers()` or a copy made it.
    pub(crate) gzipped: Rc<RefCell<Option<ImageArchive>>>,
}

/// Options for `plan()` and `copy()`, from JS.
#[derive(serde::Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct PlanArgs {
    pub repository: String,
    pub repo_based_tags: bool,
    pub include_non_distributable_layers: bool,
    /// `repository` is a prefix (`--to-repo-prefix`); OCI layouts and
    /// docker-archives only.
    pub to_repo_prefix: bool,
    /// `"tar"` (default) or `"gzip"` (`--docker-layers`); docker-archives
    /// only.
    pub docker_layers: Option<String>,
}

impl PlanArgs {
    pub(crate) fn from_js(v: JsValue) -> Result<PlanArgs, WasmError> {
        let args: PlanArgs = serde_wasm_bindgen::from_value(v)
            .map_err(|e| WasmError::new(Code::Argument, format!("invalid options: {e}")))?;
        args.layers()?;
        Ok(args)
    }

    /// How docker-archive layers are sent; `E_ARGUMENT` for another value.
    pub(crate) fn layers(&self) -> Result<DockerLayers, WasmError> {
        match self.docker_layers.as_deref() {
            None | Some("tar") => Ok(DockerLayers::Tar),
            Some("gzip") => Ok(DockerLayers::Gzip),
            Some(other) => Err(WasmError::new(
                Code::Argument,
                format!("option dockerLayers is '{other}'; expected 'tar' or 'gzip'"),
            )),
        }
    }
}

/// The docker-archive `a` with every layer gzip-compressed: one pass over
/// the layers (each checked against its diff ID and compressed on the way,
/// the core's [`docker_gzip`], as `airlock copy --docker-layers gzip`
/// does), `progress` getting the bytes read. A bad layer is `E_VERIFY` with
/// every problem.
pub(crate) async fn gzip_archive(
    source: &BlobSource,
    a: &ImageArchive,
    progress: &mut dyn FnMut(u64),
) -> Result<ImageArchive, WasmError> {
    let gzipped = docker_gzip::gzip_all(source, a, progress)
        .await
        .map_err(|problems| {
            let list: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            WasmError::new(
                Code::Verify,
                format!(
                    "the docker-archive's layers do not match their diff IDs: {}",
                    list.join("; ")
                ),
            )
        })?;
    docker_gzip::with_gzip_layers(a, &gzipped)
        .map_err(|e| WasmError::new(Code::Format, e.to_string()))
}

/// `dockerLayers: 'gzip'` for an archive that is not a docker-archive.
fn gzip_refused(format: Format) -> WasmError {
    WasmError::new(
        Code::Argument,
        format!(
            "option dockerLayers 'gzip' is for docker-archive tars; this {}'s layers are pushed as they are",
            format.as_str()
        ),
    )
}

/// One image of an OCI layout or docker-archive placed (`copy` prints it).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MappingJs {
    source: String,
    destination: String,
    digest: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlanJs {
    repository: String,
    /// Every destination repository, in push order.
    repositories: Vec<String>,
    /// Where each image of an OCI layout or docker-archive lands (empty for
    /// imgpkg tars).
    mappings: Vec<MappingJs>,
    /// The media types of the layers pushed (OCI layouts, docker-archives;
    /// `…tar+gzip` with `dockerLayers: 'gzip'`).
    layer_media_types: Vec<String>,
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
                self.core
                    .blob_checks()
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

    pub(crate) fn repository(args: &PlanArgs) -> Result<Repository, WasmError> {
        Repository::parse(args.repository.trim()).map_err(|e| {
            WasmError::new(
                Code::Argument,
                format!("'{}' is not a repository: {e}", args.repository.trim()),
            )
        })
    }

    /// Where an OCI layout's or docker-archive's images go.
    pub(crate) fn destination(args: &PlanArgs) -> Result<Destination, WasmError> {
        if args.to_repo_prefix {
            let prefix = args.repository.trim();
            if prefix.is_empty() {
                return Err(WasmError::new(
                    Code::Argument,
                    "the destination prefix is empty",
                ));
            }
            Ok(Destination::Prefix(prefix.to_string()))
        } else {
            Ok(Destination::Repository(Self::repository(args)?))
        }
    }

    /// What a push does: one plan (imgpkg), or one plan per destination
    /// repository (OCI layout, docker-archive: the CLI's
    /// [`Relocation`]), pushed in turn.
    pub(crate) fn plan_outputs(&self, args: &PlanArgs) -> Result<Planned, WasmError> {
        match &self.core {
            AnyArchive::Imgpkg(a) => {
                if args.layers()? == DockerLayers::Gzip {
                    return Err(gzip_refused(self.core.format()));
                }
                if args.to_repo_prefix {
                    return Err(WasmError::new(Code::Argument, PREFIX_FOR_IMGPKG));
                }
                let out = match &self.omitted {
                    // A thin tar's omitted layers count as in the
                    // destination (the push checks that before it writes).
                    Some(o) => {
                        let mut set = a.set.clone();
                        thin::resolve_all(&mut set, o, &Self::repository(args)?);
                        plan_imgpkg(&set, args)?
                    }
                    None => plan_imgpkg(&a.set, args)?,
                };
                Ok(Planned {
                    plans: vec![out],
                    relocation: None,
                    layer_media_types: Vec::new(),
                })
            }
            AnyArchive::Image(a) => {
                let dest = Self::destination(args)?;
                let relocation = match args.layers()? {
                    DockerLayers::Tar => Relocation::new(a, &dest).map(|r| (r, layer_media_types(a))),
                    DockerLayers::Gzip => {
                        if a.format != Format::DockerArchive {
                            return Err(gzip_refused(a.format));
                        }
                        let gzipped = self.gzipped.borrow();
                        let Some(gz) = gzipped.as_ref() else {
                            return Err(WasmError::new(
                                Code::Argument,
                                "option dockerLayers 'gzip': the layers are not compressed yet (await archive.compressLayers() first)",
                            ));
                        };
                        Relocation::new(gz, &dest).map(|r| (r, layer_media_types(gz)))
                    }
                }
                .map_err(destination_error)?;
                let (relocation, layer_media_types) = relocation;
                Ok(Planned {
                    plans: relocation.plans.clone(),
                    relocation: Some(relocation),
                    layer_media_types,
                })
            }
        }
    }
}

/// Plans an imgpkg tar's `set` into the destination of `args`.
pub(crate) fn plan_imgpkg(
    set: &airlock_core::imageset::ImageSet,
    args: &PlanArgs,
) -> Result<PlanOutput, WasmError> {
    planner::plan(
        set,
        &Archive::repository(args)?,
        PlanOptions {
            repo_based_tags: args.repo_based_tags,
            include_non_distributable_layers: args.include_non_distributable_layers,
        },
    )
    .map_err(|e| WasmError::new(Code::Format, e.to_string()))
}

impl Archive {
    /// Problems less a thin tar's omitted layers (which are expected).
    fn thin_filtered(
        &self,
        problems: Vec<airlock_core::imageset::Problem>,
    ) -> Vec<airlock_core::imageset::Problem> {
        match (&self.omitted, &self.core) {
            (Some(o), AnyArchive::Imgpkg(a)) => thin::filter_problems(a, o, problems),
            _ => problems,
        }
    }

    /// Each bundle's `.imgpkg/images.yml`, relocated config (kbld) and
    /// `PackageRepository` for one plan, into the preview.
    fn bundle_documents(&self, out: &PlanOutput, js: &mut PlanJs) {
        for b in &out.bundles {
            js.images_yml
                .insert(b.digest.to_string(), b.pulled_images_yml.clone());
        }
        let d = kbld::derive(self.core.set(), out);
        js.kbld.extend(d.kbld);
        js.package_repositories.extend(d.package_repositories);
        js.warnings.extend(d.kbld_errors);
    }
}

/// The plans of a push, and for an OCI layout or docker-archive where each
/// image lands.
pub(crate) struct Planned {
    pub plans: Vec<PlanOutput>,
    pub relocation: Option<Relocation>,
    /// The media types of the layers an OCI layout's or docker-archive's
    /// images are pushed with (empty for imgpkg tars).
    pub layer_media_types: Vec<String>,
}

/// Every layer media type of the images of `a`, each once, sorted.
fn layer_media_types(a: &ImageArchive) -> Vec<String> {
    let mut out = std::collections::BTreeSet::new();
    for node in &a.set.nodes {
        if let airlock_core::imageset::NodeKind::Image { layers, .. } = &node.kind {
            out.extend(layers.iter().map(|l| l.media_type.clone()));
        }
    }
    out.into_iter().collect()
}

#[wasm_bindgen]
impl Archive {
    /// `compressLayers(onProgress?)` → `Promise<void>`: the first pass of
    /// `dockerLayers: 'gzip'` (`airlock copy --docker-layers gzip`): every
    /// layer of a docker-archive read once, checked against its diff ID and
    /// compressed with the core's Go-exact gzip to learn its digest and
    /// size; `plan()` then shows those. `onProgress({bytesDone,
    /// bytesTotal})`. Kept for this archive (a second call resolves at
    /// once). Rejects with `E_ARGUMENT` for another format, `E_VERIFY` for
    /// a layer that does not match its diff ID, `E_READ`.
    #[wasm_bindgen(js_name = compressLayers)]
    pub fn compress_layers(&self, on_progress: Option<js_sys::Function>) -> js_sys::Promise {
        let source = self.source.clone();
        let core = match &self.core {
            AnyArchive::Image(a) if a.format == Format::DockerArchive => Ok(a.clone()),
            other => Err(gzip_refused(other.format())),
        };
        let cell = self.gzipped.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let a = core?;
            if cell.borrow().is_none() {
                let gz = gzip_with_progress(&source, &a, on_progress.as_ref()).await?;
                *cell.borrow_mut() = Some(gz);
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Size of the tar in bytes.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> f64 {
        self.core.size() as f64
    }

    /// The tar's format: `"imgpkg"`, `"oci-layout"` or `"docker-archive"`.
    #[wasm_bindgen(getter, unchecked_return_type = "ArchiveFormat")]
    pub fn format(&self) -> Result<JsValue, JsValue> {
        Ok(to_js(&self.core.format())?)
    }

    /// The format as `airlock inspect` names it (`OCI image layout
    /// (oci-archive)`).
    #[wasm_bindgen(getter, js_name = formatName)]
    pub fn format_name(&self) -> String {
        self.core.format().as_str().to_string()
    }

    /// `[{name, tag, digest, label, node}]`: the top-level images of an OCI
    /// layout or docker-archive with the names the archive gives them (the
    /// `images` of `airlock inspect --json`); empty for an imgpkg tar.
    #[wasm_bindgen(unchecked_return_type = "ArchiveImageName[]")]
    pub fn images(&self) -> Result<JsValue, JsValue> {
        match &self.core {
            AnyArchive::Image(a) => Ok(to_js(&a.names())?),
            AnyArchive::Imgpkg(_) => Ok(to_js(&Vec::<()>::new())?),
        }
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
        let mut tree = inspect::tree(self.core.set());
        tree.problems = self.thin_filtered(tree.problems);
        Ok(to_js(&tree)?)
    }

    /// A bundle file's contents as text (invalid UTF-8 replaced).
    #[wasm_bindgen(js_name = bundleFile)]
    pub fn bundle_file(&self, bundle_digest: &str, path: &str) -> Result<String, JsValue> {
        let bundle = self
            .core
            .set()
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
        let out: Vec<B> = self
            .core
            .blob_checks()
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
        Ok(to_js(&self.thin_filtered(self.core.structural_problems()))?)
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
        let planned = self.plan_outputs(&args)?;
        let mut js = PlanJs {
            repository: match &planned.relocation {
                Some(_) => args.repository.trim().to_string(),
                None => planned.plans[0].plan.repository.name(),
            },
            repositories: planned
                .plans
                .iter()
                .map(|p| p.plan.repository.name())
                .collect(),
            mappings: Vec::new(),
            layer_media_types: planned.layer_media_types.clone(),
            images: Vec::new(),
            lock: None,
            lock_error: None,
            images_yml: BTreeMap::new(),
            kbld: BTreeMap::new(),
            package_repositories: BTreeMap::new(),
            warnings: Vec::new(),
        };
        for out in &planned.plans {
            js.images.extend(out.rows());
            js.warnings.extend(out.warnings.iter().cloned());
            self.bundle_documents(out, &mut js);
        }
        match &planned.relocation {
            Some(r) => {
                js.mappings = r
                    .mappings
                    .iter()
                    .map(|m| MappingJs {
                        source: m.source.clone(),
                        destination: m.destination(),
                        digest: m.digest.to_string(),
                    })
                    .collect();
                js.lock = r.lock();
                if js.lock.is_none() {
                    js.lock_error = Some("the archive holds no image to lock".to_string());
                }
            }
            None => match &planned.plans[0].lock_output {
                Ok(l) => js.lock = Some(l.clone()),
                Err(e) => js.lock_error = Some(e.to_string()),
            },
        }
        Ok(to_js(&js)?)
    }
}

/// [`gzip_archive`], reporting `{bytesDone, bytesTotal}` to `on_progress`
/// at most every 50 ms.
pub(crate) async fn gzip_with_progress(
    source: &BlobSource,
    a: &ImageArchive,
    on_progress: Option<&js_sys::Function>,
) -> Result<ImageArchive, WasmError> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct P {
        bytes_done: u64,
        bytes_total: u64,
    }
    let total: u64 = a.blob_checks.iter().map(|c| c.size).sum();
    let mut done = 0u64;
    let mut last = 0.0;
    let mut report = |n: u64| {
        done += n;
        let now = js_sys::Date::now();
        if let Some(f) = on_progress {
            if now - last > 50.0 || done == total {
                last = now;
                if let Ok(v) = to_js(&P {
                    bytes_done: done,
                    bytes_total: total,
                }) {
                    let _ = f.call1(&JsValue::NULL, &v);
                }
            }
        }
    };
    gzip_archive(source, a, &mut report).await
}
