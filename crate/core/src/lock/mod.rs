//! imgpkg's lock files: `ImagesLock` (`.imgpkg/images.yml`, `copy --lock`,
//! `--lock-output` for images), `BundleLock` (`--lock-output` for bundles,
//! `copy --lock`, `pull --lock`) and `ImageLocations` (`image-locations.yml`
//! in the locations image), read and written as imgpkg 0.43.1 does
//! (`pkg/imgpkg/lockconfig`, `pkg/imgpkg/bundle/image_locations_config.go`).
//!
//! Reading follows `sigs.k8s.io/yaml` v1.4 ([`crate::yaml::decode`] then
//! the JSON half in `gojson`): lock files are strict (unknown keys and
//! duplicate keys are errors), image locations are not. Error messages are
//! imgpkg's (`Unmarshaling images lock: … unknown field "x"`, `Validating
//! images lock: Expected ref to be in digest form, got 'nginx:v1'`); the
//! [`LockError`] also names the file and the line, which imgpkg does not.
//!
//! Writing is imgpkg's `AsBytes`: `---\n` and go-yaml v2 output with sorted
//! keys ([`crate::go::yaml`]).

mod gojson;

use std::fmt;

use gojson::{decode, Decoded, GoError, Phase, SliceTy, StructTy, Ty};

use crate::digest::Digest;
use crate::reference::{Reference, ReferenceError, Repository};
use crate::yaml::{self, Limits, Value, YamlError};

/// The only `apiVersion` imgpkg knows for all three documents.
pub const API_VERSION: &str = "imgpkg.carvel.dev/v1alpha1";
/// The `kind` of an `images.yml` / `--lock-output` images lock.
pub const IMAGES_LOCK_KIND: &str = "ImagesLock";
/// The `kind` of a `--lock-output` bundle lock (`bundle.image` and `bundle.tag`).
pub const BUNDLE_LOCK_KIND: &str = "BundleLock";
/// The `kind` of `image-locations.yml`, the file of the locations image written beside each
/// bundle on copy.
pub const IMAGE_LOCATIONS_KIND: &str = "ImageLocations";

// Go structs (field names as their `json` tags).
static IMAGE_REF: StructTy = StructTy {
    name: "ImageRef",
    go_type: "lockconfig.ImageRef",
    fields: &[("image", Ty::Str), ("annotations", Ty::MapStrStr)],
};
static IMAGE_REFS: SliceTy = SliceTy {
    go_type: "[]lockconfig.ImageRef",
    elem: Ty::Struct(&IMAGE_REF),
};
static IMAGES_LOCK: StructTy = StructTy {
    name: "ImagesLock",
    go_type: "lockconfig.ImagesLock",
    fields: &[
        ("apiVersion", Ty::Str),
        ("kind", Ty::Str),
        ("images", Ty::Slice(&IMAGE_REFS)),
    ],
};
static BUNDLE_REF: StructTy = StructTy {
    name: "BundleRef",
    go_type: "lockconfig.BundleRef",
    fields: &[("image", Ty::Str), ("tag", Ty::Str)],
};
static BUNDLE_LOCK: StructTy = StructTy {
    name: "BundleLock",
    go_type: "lockconfig.BundleLock",
    fields: &[
        ("apiVersion", Ty::Str),
        ("kind", Ty::Str),
        ("bundle", Ty::Struct(&BUNDLE_REF)),
    ],
};
static IMAGE_LOCATION: StructTy = StructTy {
    name: "ImageLocation",
    go_type: "bundle.ImageLocation",
    fields: &[("image", Ty::Str), ("isBundle", Ty::Bool)],
};
static IMAGE_LOCATION_LIST: SliceTy = SliceTy {
    go_type: "[]bundle.ImageLocation",
    elem: Ty::Struct(&IMAGE_LOCATION),
};
static IMAGE_LOCATIONS_CONFIG: StructTy = StructTy {
    name: "ImageLocationsConfig",
    go_type: "bundle.ImageLocationsConfig",
    fields: &[
        ("apiVersion", Ty::Str),
        ("kind", Ty::Str),
        ("images", Ty::Slice(&IMAGE_LOCATION_LIST)),
    ],
};

/// What went wrong, roughly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LockErrorKind {
    /// Over the input size limit.
    TooLarge,
    /// Not UTF-8/UTF-16, or characters YAML does not allow.
    Encoding,
    /// Not YAML.
    Syntax,
    /// YAML that cannot be decoded: duplicate keys, alias bombs, bad merges
    /// or tags, too deep, too many nodes.
    Yaml,
    /// The document does not fit the schema: unknown field, wrong type.
    Schema,
    /// Wrong `apiVersion` or `kind`, or an image not in digest form.
    Validation,
}

/// A lock file that could not be read.
///
/// [`message`](LockError::message) is exactly imgpkg's error text;
/// `Display` adds where: `… (images.yml, line 4: why)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockError {
    kind: LockErrorKind,
    message: String,
    file: String,
    line: Option<usize>,
    detail: Option<String>,
}

impl LockError {
    /// Which class of problem it is.
    pub fn kind(&self) -> LockErrorKind {
        self.kind
    }

    /// imgpkg's message, e.g. `Validating images lock: Expected ref to be in
    /// digest form, got 'nginx:v1'`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The name of the file, as given to the parser.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The 1-based line the problem was found on, when known.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// A short explanation beyond imgpkg's message, when there is one.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    fn wrap(mut self, prefix: &str) -> LockError {
        self.message = format!("{prefix}: {}", self.message);
        self
    }
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}", self.message, self.file)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for LockError {}

/// How one of the three documents is read and what its errors say.
struct DocSpec {
    ty: &'static StructTy,
    strict: bool,
    kind: &'static str,
    unmarshal_prefix: &'static str,
    validate_prefix: Option<&'static str>,
}

const IMAGES_LOCK_SPEC: DocSpec = DocSpec {
    ty: &IMAGES_LOCK,
    strict: true,
    kind: IMAGES_LOCK_KIND,
    unmarshal_prefix: "Unmarshaling images lock",
    validate_prefix: Some("Validating images lock"),
};
const BUNDLE_LOCK_SPEC: DocSpec = DocSpec {
    ty: &BUNDLE_LOCK,
    strict: true,
    kind: BUNDLE_LOCK_KIND,
    unmarshal_prefix: "Unmarshaling bundle lock",
    validate_prefix: Some("Validating bundle lock"),
};
const IMAGE_LOCATIONS_SPEC: DocSpec = DocSpec {
    ty: &IMAGE_LOCATIONS_CONFIG,
    strict: false,
    kind: IMAGE_LOCATIONS_KIND,
    unmarshal_prefix: "Unmarshaling image locations config",
    validate_prefix: None,
};

/// The struct's field slots, with the document's lines.
struct Fields {
    slots: Vec<Option<(Decoded, usize)>>,
    empty_document: bool,
}

impl Fields {
    fn get(&self, i: usize) -> Option<&(Decoded, usize)> {
        self.slots.get(i).and_then(Option::as_ref)
    }

    fn string(&self, i: usize) -> (String, Option<usize>) {
        string_slot(self.get(i))
    }
}

fn string_slot(slot: Option<&(Decoded, usize)>) -> (String, Option<usize>) {
    match slot {
        Some((Decoded::Str(s), line)) => (s.clone(), Some(*line)),
        Some((_, line)) => (String::new(), Some(*line)),
        None => (String::new(), None),
    }
}

impl DocSpec {
    fn error(
        &self,
        kind: LockErrorKind,
        message: String,
        file: &str,
        line: Option<usize>,
        detail: Option<String>,
    ) -> LockError {
        LockError {
            kind,
            message,
            file: file.to_string(),
            line,
            detail,
        }
    }

    /// Steps 1 (strict YAML → JSON → struct) and 2–3 (`apiVersion`, `kind`).
    fn read(&self, bytes: &[u8], file: &str) -> Result<Fields, LockError> {
        let unmarshal = |kind, message: String, line, detail| {
            self.error(kind, message, file, line, detail)
                .wrap(self.unmarshal_prefix)
        };
        let root =
            yaml::decode_first_document(bytes, self.strict, &Limits::default()).map_err(|e| {
                let kind = match e {
                    YamlError::TooLarge { .. } => LockErrorKind::TooLarge,
                    YamlError::Encoding { .. } => LockErrorKind::Encoding,
                    YamlError::Syntax { .. } => LockErrorKind::Syntax,
                    YamlError::Decode { .. } => LockErrorKind::Yaml,
                };
                let message = match e {
                    YamlError::TooLarge { .. } => e.message(),
                    _ => format!("error converting YAML to JSON: {}", e.message()),
                };
                unmarshal(kind, message, e.line(), None)
            })?;
        let empty_document = root
            .as_ref()
            .is_none_or(|r| matches!(r.data, yaml::Data::Null));
        let decoded =
            decode(root.as_ref(), Ty::Struct(self.ty), self.strict).map_err(|e: GoError| {
                let message = match e.phase {
                    Phase::ToJson => format!("error converting YAML to JSON: {}", e.message),
                    Phase::Json => format!(
                        "error unmarshaling JSON: while decoding JSON: {}",
                        e.message
                    ),
                };
                unmarshal(LockErrorKind::Schema, message, e.line, e.detail)
            })?;
        let slots = match decoded {
            Decoded::Struct(slots) => slots,
            _ => vec![None; self.ty.fields.len()],
        };
        let fields = Fields {
            slots,
            empty_document,
        };
        self.check_header(&fields, file)?;
        Ok(fields)
    }

    fn validation_error(
        &self,
        message: String,
        file: &str,
        line: Option<usize>,
        detail: Option<String>,
    ) -> LockError {
        let err = self.error(LockErrorKind::Validation, message, file, line, detail);
        match self.validate_prefix {
            Some(prefix) => err.wrap(prefix),
            None => err,
        }
    }

    fn check_header(&self, fields: &Fields, file: &str) -> Result<(), LockError> {
        let found = |what: &str, value: &str, line: Option<usize>| {
            if fields.empty_document {
                "the document is empty".to_string()
            } else if line.is_none() {
                format!("{what} is missing")
            } else {
                format!("got {what} '{value}'")
            }
        };
        let (api_version, line) = fields.string(0);
        if api_version != API_VERSION {
            return Err(self.validation_error(
                format!("Validating apiVersion: Unknown version (known: {API_VERSION})"),
                file,
                line,
                Some(found("apiVersion", &api_version, line)),
            ));
        }
        let (kind, line) = fields.string(1);
        if kind != self.kind {
            return Err(self.validation_error(
                format!("Validating kind: Unknown kind (known: {})", self.kind),
                file,
                line,
                Some(found("kind", &kind, line)),
            ));
        }
        Ok(())
    }

    /// Step 4: `regname.NewDigest`, failing as `Expected ref to be in digest
    /// form, got '…'`.
    fn digest_ref(
        &self,
        image: &str,
        file: &str,
        line: Option<usize>,
    ) -> Result<Reference, LockError> {
        Reference::parse_digest(image).map_err(|e: ReferenceError| {
            let detail = if image.is_empty() {
                "the image is missing".to_string()
            } else if !image.contains('@') {
                "not a digest reference: expected <repository>@sha256:<64 hex digits>".to_string()
            } else {
                e.to_string()
            };
            self.validation_error(
                format!("Expected ref to be in digest form, got '{image}'"),
                file,
                line,
                Some(detail),
            )
        })
    }
}

/// One image of an [`ImagesLock`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedImage {
    /// The image in ggcr `Name()` form (`index.docker.io/library/nginx@sha256:…`),
    /// as imgpkg rewrites it after loading. This is what is written out.
    pub image: String,
    /// The image as written in the file.
    pub original: String,
    /// Annotations in the order they were written. Written out sorted.
    pub annotations: Vec<(String, String)>,
}

impl LockedImage {
    /// An entry for a digest reference, without annotations.
    pub fn new(reference: &Reference) -> LockedImage {
        LockedImage {
            image: reference.name(),
            original: reference.original().to_string(),
            annotations: Vec::new(),
        }
    }

    /// `image` parsed as a digest reference.
    pub fn reference(&self) -> Result<Reference, ReferenceError> {
        Reference::parse_digest(&self.image)
    }

    /// The digest of `image`.
    pub fn digest(&self) -> Option<Digest> {
        self.reference().ok().and_then(|r| r.digest().copied())
    }

    /// The value of annotation `key`.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Annotations in the order imgpkg writes them (go-yaml's key order),
    /// one per key (the last one written wins).
    pub fn annotations_sorted(&self) -> Vec<(&str, &str)> {
        let mut last: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
        for (k, v) in &self.annotations {
            last.insert(k, v);
        }
        let mut out: Vec<(&str, &str)> = last.into_iter().collect();
        out.sort_by(|a, b| yaml::key_order(a.0, b.0).then_with(|| a.0.cmp(b.0)));
        out
    }

    fn to_value(&self) -> Value {
        let mut entry = Vec::new();
        if !self.annotations.is_empty() {
            let annotations = self
                .annotations_sorted()
                .into_iter()
                .map(|(k, v)| (k.to_string(), Value::str(v)))
                .collect();
            entry.push(("annotations".to_string(), Value::Map(annotations)));
        }
        if !self.image.is_empty() {
            entry.push(("image".to_string(), Value::str(&self.image)));
        }
        Value::Map(entry)
    }
}

/// `kind: ImagesLock`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImagesLock {
    /// The images, in the order the file lists them.
    pub images: Vec<LockedImage>,
}

impl ImagesLock {
    /// Reads an ImagesLock as imgpkg's `NewImagesLockFromBytes` does: strict
    /// YAML, `apiVersion`/`kind` checks, every image a digest reference, then
    /// every image normalised to its `Name()` form. `file` names the input in
    /// errors.
    pub fn parse(bytes: &[u8], file: &str) -> Result<ImagesLock, LockError> {
        let spec = &IMAGES_LOCK_SPEC;
        let fields = spec.read(bytes, file)?;
        let mut images = Vec::new();
        if let Some((Decoded::Slice(entries), _)) = fields.get(2) {
            for (entry, entry_line) in entries {
                let slots: &[Option<(Decoded, usize)>] = match entry {
                    Decoded::Struct(slots) => slots,
                    _ => &[],
                };
                let (original, line) = string_slot(slots.first().and_then(Option::as_ref));
                let reference = spec.digest_ref(&original, file, line.or(Some(*entry_line)))?;
                let annotations = match slots.get(1).and_then(Option::as_ref) {
                    Some((Decoded::Map(entries), _)) => entries
                        .iter()
                        .map(|(k, v, _)| (k.clone(), v.clone()))
                        .collect(),
                    _ => Vec::new(),
                };
                images.push(LockedImage {
                    image: reference.name(),
                    original,
                    annotations,
                });
            }
        }
        Ok(ImagesLock { images })
    }

    /// imgpkg's `AsBytes`: `---\n`, then `apiVersion`, `images` (left out when
    /// there are none; each entry `annotations` (left out when empty) then
    /// `image`), `kind`.
    pub fn to_yaml(&self) -> String {
        let mut doc = vec![
            ("apiVersion".to_string(), Value::str(API_VERSION)),
            ("kind".to_string(), Value::str(IMAGES_LOCK_KIND)),
        ];
        if !self.images.is_empty() {
            doc.push((
                "images".to_string(),
                Value::Seq(self.images.iter().map(LockedImage::to_value).collect()),
            ));
        }
        format!("---\n{}", yaml::to_string(&Value::Map(doc)))
    }

    /// The same lock with every image moved to `repository` (same digest),
    /// annotations and order kept: what `imgpkg pull -b` writes for a
    /// relocated bundle.
    pub fn relocated_to(&self, repository: &Repository) -> ImagesLock {
        let repo = repository.name();
        ImagesLock {
            images: self
                .images
                .iter()
                .map(|img| {
                    let image = match img.image.split_once('@') {
                        Some((_, digest)) => format!("{repo}@{digest}"),
                        None => img.image.clone(),
                    };
                    LockedImage {
                        image,
                        original: img.original.clone(),
                        annotations: img.annotations.clone(),
                    }
                })
                .collect(),
        }
    }
}

/// `kind: BundleLock`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleLock {
    /// `bundle.image`, a digest reference, as written (imgpkg does not
    /// normalise it).
    pub image: String,
    /// `bundle.tag`, the tag to recreate (`None` when absent or empty).
    pub tag: Option<String>,
}

impl BundleLock {
    /// Reads a BundleLock as imgpkg's `NewBundleLockFromBytes` does.
    pub fn parse(bytes: &[u8], file: &str) -> Result<BundleLock, LockError> {
        let spec = &BUNDLE_LOCK_SPEC;
        let fields = spec.read(bytes, file)?;
        let bundle: &[Option<(Decoded, usize)>] = match fields.get(2) {
            Some((Decoded::Struct(slots), _)) => slots,
            _ => &[],
        };
        let (image, line) = string_slot(bundle.first().and_then(Option::as_ref));
        let line = line.or(fields.get(2).map(|(_, l)| *l));
        spec.digest_ref(&image, file, line)?;
        let (tag, _) = string_slot(bundle.get(1).and_then(Option::as_ref));
        Ok(BundleLock {
            image,
            tag: (!tag.is_empty()).then_some(tag),
        })
    }

    /// `image` parsed as a digest reference.
    pub fn reference(&self) -> Result<Reference, ReferenceError> {
        Reference::parse_digest(&self.image)
    }

    /// imgpkg's `AsBytes`: `---\n` then `apiVersion`, `bundle` (`image`,
    /// `tag`; empty ones left out), `kind`.
    pub fn to_yaml(&self) -> String {
        let mut bundle = Vec::new();
        if !self.image.is_empty() {
            bundle.push(("image".to_string(), Value::str(&self.image)));
        }
        if let Some(tag) = self.tag.as_deref().filter(|t| !t.is_empty()) {
            bundle.push(("tag".to_string(), Value::str(tag)));
        }
        let doc = vec![
            ("apiVersion".to_string(), Value::str(API_VERSION)),
            ("bundle".to_string(), Value::Map(bundle)),
            ("kind".to_string(), Value::str(BUNDLE_LOCK_KIND)),
        ];
        format!("---\n{}", yaml::to_string(&Value::Map(doc)))
    }
}

/// One entry of an [`ImageLocations`] document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageLocation {
    /// The image as the bundle's `images.yml` names it (normalised), not
    /// where it was copied to.
    pub image: String,
    /// Whether `image` is itself a bundle (imgpkg's `isBundle`).
    pub is_bundle: bool,
}

/// `kind: ImageLocations`, the content of `image-locations.yml`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageLocations {
    /// One entry per image the bundle references, in file order.
    pub images: Vec<ImageLocation>,
}

impl ImageLocations {
    /// Reads `image-locations.yml` as imgpkg's `NewLocationConfigFromBytes`:
    /// not strict (unknown keys ignored), `apiVersion` and `kind` checked.
    pub fn parse(bytes: &[u8], file: &str) -> Result<ImageLocations, LockError> {
        let fields = IMAGE_LOCATIONS_SPEC.read(bytes, file)?;
        let mut images = Vec::new();
        if let Some((Decoded::Slice(entries), _)) = fields.get(2) {
            for (entry, _) in entries {
                let slots: &[Option<(Decoded, usize)>] = match entry {
                    Decoded::Struct(slots) => slots,
                    _ => &[],
                };
                let (image, _) = string_slot(slots.first().and_then(Option::as_ref));
                let is_bundle = matches!(
                    slots.get(1).and_then(Option::as_ref),
                    Some((Decoded::Bool(true), _))
                );
                images.push(ImageLocation { image, is_bundle });
            }
        }
        Ok(ImageLocations { images })
    }

    /// The entries imgpkg writes: one per digest (the first one seen wins,
    /// as in `Bundle.NoteCopy`), sorted by `image`.
    pub fn normalized(&self) -> Vec<ImageLocation> {
        let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut out: Vec<ImageLocation> = Vec::new();
        for loc in &self.images {
            // imgpkg keys on the digest of the image (`DigestStr()`).
            let key = match loc.image.rsplit_once('@') {
                Some((_, digest)) => digest.to_string(),
                None => loc.image.clone(),
            };
            if seen.insert(key) {
                out.push(loc.clone());
            }
        }
        out.sort_by(|a, b| a.image.cmp(&b.image));
        out
    }

    /// imgpkg's `AsBytes`: `---\n`, `apiVersion`, `images` (`null` when
    /// there are none; each `image` then `isBundle`), `kind`.
    pub fn to_yaml(&self) -> String {
        let entries = self.normalized();
        let images = if entries.is_empty() {
            Value::Null
        } else {
            Value::Seq(
                entries
                    .into_iter()
                    .map(|loc| {
                        Value::Map(vec![
                            ("image".to_string(), Value::Str(loc.image)),
                            ("isBundle".to_string(), Value::Bool(loc.is_bundle)),
                        ])
                    })
                    .collect(),
            )
        };
        let doc = vec![
            ("apiVersion".to_string(), Value::str(API_VERSION)),
            ("images".to_string(), images),
            ("kind".to_string(), Value::str(IMAGE_LOCATIONS_KIND)),
        ];
        format!("---\n{}", yaml::to_string(&Value::Map(doc)))
    }
}

/// What `imgpkg copy --lock FILE` accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockFile {
    /// A `BundleLock` (`kind: BundleLock`): copy the bundle it names.
    Bundle(BundleLock),
    /// An `ImagesLock` (`kind: ImagesLock`): copy the images it lists.
    Images(ImagesLock),
}

/// `lockconfig.NewLockFromPath`: a BundleLock, else an ImagesLock; when both
/// fail, `Trying to read bundle or images lock file: <the ImagesLock error>`.
pub fn parse_lock_file(bytes: &[u8], file: &str) -> Result<LockFile, LockError> {
    if let Ok(bundle) = BundleLock::parse(bytes, file) {
        return Ok(LockFile::Bundle(bundle));
    }
    ImagesLock::parse(bytes, file)
        .map(LockFile::Images)
        .map_err(|e| e.wrap("Trying to read bundle or images lock file"))
}

/// The `.imgpkg/images.yml` that `imgpkg pull -b` writes for a bundle found
/// relocated to `bundle_repo`: every image becomes `<bundle_repo>@<digest>`,
/// annotations and order are kept.
pub fn relocated_images_yml(lock: &ImagesLock, bundle_repo: &Repository) -> String {
    lock.relocated_to(bundle_repo).to_yaml()
}
