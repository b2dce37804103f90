//! imgpkg's `manifest.json`: the index of an imgpkg tar (spec §1.2).
//!
//! The file is Go `encoding/json` output of structs without JSON tags, so:
//!
//! * keys are the Go field names (PascalCase) in declaration order;
//! * nil slices and maps are `null`, empty ones `[]` / `{}` (kept apart here
//!   as `None` / `Some(empty)` so that output is byte-identical);
//! * map keys are sorted; strings are escaped as [`go::json`] describes;
//! * reading matches keys case-insensitively, ignores unknown keys, leaves
//!   fields missing from older imgpkg versions (`OrigRef`, `Labels`) at their
//!   zero values, and treats `null` as "leave unchanged" for strings and
//!   numbers and as nil for slices, maps and pointers.
//!
//! `Raw` strings are kept exactly: their bytes are what the digests are over.
//! Digests stay strings in the model; `parse_*` accessors turn them into
//! [`Digest`]s with errors that name the field.
//!
//! Known differences from Go when reading: invalid UTF-8 and lone surrogate
//! escapes are rejected (Go substitutes U+FFFD; imgpkg never writes either),
//! a negative `Size` is rejected (Go's field is `int64`), and a key repeated
//! inside one object replaces a slice rather than merging element-wise.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Serialize;

use crate::digest::{Digest, DigestError};
use crate::go;
use crate::manifest::media_type;

/// `map[string]string`, sorted like Go's encoder sorts map keys.
pub type Labels = BTreeMap<String, String>;

/// The label imgpkg puts on the root bundle of a tar (v0.13.0 and later).
pub const ROOT_BUNDLE_LABEL: &str = "dev.carvel.imgpkg.copy.root-bundle";

/// One element of the top-level array: `{"ImageIndex": …, "Image": …}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageOrIndex {
    /// `ImageIndex`: set when the element is an index (imgpkg writes one of the two).
    pub image_index: Option<IndexDescriptor>,
    /// `Image`: set when the element is an image.
    pub image: Option<ImageDescriptor>,
}

/// An image stored in the tar: manifest and config inline, layers as files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageDescriptor {
    /// `[source digest reference]`; only the first is used.
    pub refs: Option<Vec<String>>,
    /// `Layers`: one per layer of the manifest (nil for none).
    pub layers: Option<Vec<LayerDescriptor>>,
    /// `Config`: the image's config blob.
    pub config: ConfigDescriptor,
    /// `Manifest`: the image's manifest.
    pub manifest: ManifestDescriptor,
    /// Tag to recreate at the destination ("" for none).
    pub tag: String,
    /// The ImagesLock `image:` value that led here ("" when unknown or before v0.28).
    pub orig_ref: String,
    /// `{"dev.carvel.imgpkg.copy.root-bundle": ""}` on the root bundle, else nil.
    pub labels: Option<Labels>,
}

/// A layer of an image; its blob is the tar entry `sha256-<hex>.tar.gz`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerDescriptor {
    /// `MediaType` of the layer descriptor.
    pub media_type: String,
    /// `Digest` of the compressed blob, as written (`sha256:<hex>`).
    pub digest: String,
    /// "" for media types that are not layers (v0.41 and later).
    #[serde(rename = "DiffID")]
    pub diff_id: String,
    /// Size of the compressed blob.
    pub size: u64,
}

/// `Config`: the config blob, inline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConfigDescriptor {
    /// `Digest` of the config, as written.
    pub digest: String,
    /// `Raw`: the config's exact bytes (what `Digest` is over).
    pub raw: String,
}

/// `Manifest`: the image manifest, inline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManifestDescriptor {
    /// `MediaType` of the manifest.
    pub media_type: String,
    /// `Digest` of the manifest, as written.
    pub digest: String,
    /// `Raw`: the manifest's exact bytes, pushed as is.
    pub raw: String,
}

/// An image index with its child images and child indexes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IndexDescriptor {
    /// `[source digest reference]`; only the first is used.
    pub refs: Option<Vec<String>>,
    /// `Images`: the child images the tar stores (nil for none).
    pub images: Option<Vec<ImageDescriptor>>,
    /// `Indexes`: the child indexes the tar stores (nil for none).
    pub indexes: Option<Vec<IndexDescriptor>>,
    /// `MediaType` of the index.
    pub media_type: String,
    /// `Digest` of the index, as written.
    pub digest: String,
    /// `Raw`: the index's exact bytes, pushed as is.
    pub raw: String,
    /// Tag to recreate at the destination ("" for none).
    pub tag: String,
    /// The ImagesLock `image:` value that led here ("" when unknown).
    pub orig_ref: String,
    /// Labels such as the root-bundle label; nil when there are none.
    pub labels: Option<Labels>,
}

/// Why `manifest.json` could not be read or a field of it used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestJsonError {
    /// The bytes are not JSON of imgpkg's shape (the serde or UTF-8 error).
    #[error("parsing manifest.json: {0}")]
    Json(String),
    /// A `Digest` or `DiffID` field is not `sha256:<64 hex>`.
    #[error("manifest.json field {field} {value:?} is not a valid digest: {source}")]
    BadDigest {
        /// The field (`Manifest.Digest`, `Layers[].DiffID`, ...).
        field: &'static str,
        /// The value as written.
        value: String,
        /// Why it is not a digest.
        source: DigestError,
    },
    /// A `Raw` field does not hash to the `Digest` beside it.
    #[error("manifest.json field {field} is {expected} but its Raw content hashes to {actual}")]
    RawMismatch {
        /// The digest field (`Config.Digest`, `Manifest.Digest`, `ImageIndex.Digest`).
        field: &'static str,
        /// The digest the field gives.
        expected: Digest,
        /// The digest of the `Raw` bytes.
        actual: Digest,
    },
    /// Two `Layers` entries give one digest two different sizes.
    #[error("manifest.json lists layer {digest} with two sizes, {first} and {second}")]
    ConflictingLayerSize {
        /// The layer's digest.
        digest: Digest,
        /// The first size seen, in bytes.
        first: u64,
        /// The other size, in bytes.
        second: u64,
    },
}

fn parse_digest_field(field: &'static str, value: &str) -> Result<Digest, ManifestJsonError> {
    Digest::parse(value).map_err(|source| ManifestJsonError::BadDigest {
        field,
        value: value.to_string(),
        source,
    })
}

fn verify_raw(field: &'static str, digest: &str, raw: &str) -> Result<Digest, ManifestJsonError> {
    let expected = parse_digest_field(field, digest)?;
    let actual = Digest::of(raw.as_bytes());
    if actual != expected {
        return Err(ManifestJsonError::RawMismatch {
            field,
            expected,
            actual,
        });
    }
    Ok(expected)
}

impl ImageOrIndex {
    /// imgpkg's sort key: an index's `Digest`; an image's
    /// `Manifest.Digest + "/" + Config.Digest`.
    pub fn sort_key(&self) -> String {
        match (&self.image_index, &self.image) {
            (Some(idx), _) => idx.digest.clone(),
            (None, Some(img)) => img.sort_key(),
            (None, None) => String::new(),
        }
    }
}

impl ImageDescriptor {
    /// `Refs`, nil read as empty.
    pub fn refs(&self) -> &[String] {
        self.refs.as_deref().unwrap_or_default()
    }

    /// `Refs[0]`, the source identity.
    pub fn first_ref(&self) -> Option<&str> {
        self.refs().first().map(String::as_str)
    }

    /// `Layers`, nil read as empty.
    pub fn layers(&self) -> &[LayerDescriptor] {
        self.layers.as_deref().unwrap_or_default()
    }

    /// imgpkg's sort key for an image: `Manifest.Digest + "/" + Config.Digest`.
    pub fn sort_key(&self) -> String {
        format!("{}/{}", self.manifest.digest, self.config.digest)
    }

    /// Whether this image carries the root-bundle label.
    pub fn is_root_bundle(&self) -> bool {
        self.labels
            .as_ref()
            .is_some_and(|l| l.contains_key(ROOT_BUNDLE_LABEL))
    }
}

impl LayerDescriptor {
    /// `Digest` as a [`Digest`].
    pub fn parse_digest(&self) -> Result<Digest, ManifestJsonError> {
        parse_digest_field("Layers[].Digest", &self.digest)
    }

    /// `DiffID` as a [`Digest`]; `None` when it is "".
    pub fn parse_diff_id(&self) -> Result<Option<Digest>, ManifestJsonError> {
        if self.diff_id.is_empty() {
            return Ok(None);
        }
        parse_digest_field("Layers[].DiffID", &self.diff_id).map(Some)
    }

    /// Whether ggcr would copy this layer's blob (not a foreign layer).
    pub fn is_distributable(&self) -> bool {
        !media_type::is_non_distributable(&self.media_type)
    }
}

impl ConfigDescriptor {
    /// `Digest` as a [`Digest`].
    pub fn parse_digest(&self) -> Result<Digest, ManifestJsonError> {
        parse_digest_field("Config.Digest", &self.digest)
    }

    /// Checks that `Raw` hashes to `Digest` and returns the digest.
    pub fn verify(&self) -> Result<Digest, ManifestJsonError> {
        verify_raw("Config.Digest", &self.digest, &self.raw)
    }
}

impl ManifestDescriptor {
    /// `Digest` as a [`Digest`].
    pub fn parse_digest(&self) -> Result<Digest, ManifestJsonError> {
        parse_digest_field("Manifest.Digest", &self.digest)
    }

    /// Checks that `Raw` hashes to `Digest` and returns the digest.
    pub fn verify(&self) -> Result<Digest, ManifestJsonError> {
        verify_raw("Manifest.Digest", &self.digest, &self.raw)
    }
}

impl IndexDescriptor {
    /// `Refs`, nil read as empty.
    pub fn refs(&self) -> &[String] {
        self.refs.as_deref().unwrap_or_default()
    }

    /// `Refs[0]`, the source identity.
    pub fn first_ref(&self) -> Option<&str> {
        self.refs().first().map(String::as_str)
    }

    /// `Images`, nil read as empty.
    pub fn images(&self) -> &[ImageDescriptor] {
        self.images.as_deref().unwrap_or_default()
    }

    /// `Indexes`, nil read as empty.
    pub fn indexes(&self) -> &[IndexDescriptor] {
        self.indexes.as_deref().unwrap_or_default()
    }

    /// `Digest` as a [`Digest`].
    pub fn parse_digest(&self) -> Result<Digest, ManifestJsonError> {
        parse_digest_field("ImageIndex.Digest", &self.digest)
    }

    /// Checks that `Raw` hashes to `Digest` and returns the digest.
    pub fn verify(&self) -> Result<Digest, ManifestJsonError> {
        verify_raw("ImageIndex.Digest", &self.digest, &self.raw)
    }
}

/// Every layer blob the tar should hold, as imgpkg writes them: from every
/// image at any depth, sorted by digest, each digest once. Non-distributable
/// layers are left out unless `include_non_distributable`.
pub fn layers_to_write(
    list: &[ImageOrIndex],
    include_non_distributable: bool,
) -> Result<Vec<(Digest, u64)>, ManifestJsonError> {
    fn image(
        img: &ImageDescriptor,
        all: bool,
        out: &mut Vec<(Digest, u64)>,
    ) -> Result<(), ManifestJsonError> {
        for l in img.layers() {
            if all || l.is_distributable() {
                out.push((l.parse_digest()?, l.size));
            }
        }
        Ok(())
    }
    fn index(
        idx: &IndexDescriptor,
        all: bool,
        out: &mut Vec<(Digest, u64)>,
    ) -> Result<(), ManifestJsonError> {
        for child in idx.indexes() {
            index(child, all, out)?;
        }
        for img in idx.images() {
            image(img, all, out)?;
        }
        Ok(())
    }
    let mut out = Vec::new();
    for item in list {
        if let Some(img) = &item.image {
            image(img, include_non_distributable, &mut out)?;
        } else if let Some(idx) = &item.image_index {
            index(idx, include_non_distributable, &mut out)?;
        }
    }
    out.sort_by_key(|(d, _)| *d);
    let mut deduped: Vec<(Digest, u64)> = Vec::with_capacity(out.len());
    for (d, size) in out {
        match deduped.last() {
            Some(&(last, first)) if last == d => {
                if first != size {
                    return Err(ManifestJsonError::ConflictingLayerSize {
                        digest: d,
                        first,
                        second: size,
                    });
                }
            }
            _ => deduped.push((d, size)),
        }
    }
    Ok(deduped)
}

// ---------------------------------------------------------------------------
// Reading, with Go encoding/json semantics.

/// Parses `manifest.json`. A top-level `null` is an empty list, as in Go.
pub fn parse(bytes: &[u8]) -> Result<Vec<ImageOrIndex>, ManifestJsonError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut list: Option<Vec<ImageOrIndex>> = None;
    SliceSeed(&mut list)
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| ManifestJsonError::Json(e.to_string()))?;
    Ok(list.unwrap_or_default())
}

/// Go's key matching: exact, else case-insensitive with Unicode simple
/// folding (which also folds U+017F to `s` and U+212A to `k`).
fn key_matches(key: &str, field: &str) -> bool {
    let mut k = key.chars();
    for f in field.chars() {
        let Some(c) = k.next() else { return false };
        let f = f.to_ascii_lowercase();
        let ok = c.to_ascii_lowercase() == f
            || (f == 's' && c == '\u{17f}')
            || (f == 'k' && c == '\u{212a}');
        if !ok {
            return false;
        }
    }
    k.next().is_none()
}

/// A Go struct: its JSON field names and how to decode each into itself.
trait GoStruct: Default {
    const NAME: &'static str;
    const FIELDS: &'static [&'static str];
    fn decode_field<'de, A: MapAccess<'de>>(
        &mut self,
        i: usize,
        map: &mut A,
    ) -> Result<(), A::Error>;
}

/// A value decoded "into" an existing Go value.
trait GoValue: Default {
    fn decode<'de, D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error>;
}

impl GoValue for String {
    fn decode<'de, D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        StrSeed(self).deserialize(d)
    }
}

struct StructSeed<'a, T>(&'a mut T);

impl<'de, T: GoStruct> Visitor<'de> for StructSeed<'_, T> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a JSON object or null for {}", T::NAME)
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(()) // null into a struct: no change
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match T::FIELDS.iter().position(|f| key_matches(&key, f)) {
                Some(i) => self.0.decode_field(i, &mut map)?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// `*T`: null sets nil, an object decodes into the (possibly new) value.
struct PtrSeed<'a, T>(&'a mut Option<T>);

impl<'de, T: GoStruct> Visitor<'de> for PtrSeed<'_, T> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a JSON object or null for {}", T::NAME)
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        *self.0 = None;
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        StructSeed(self.0.get_or_insert_with(T::default)).visit_map(map)
    }
}

/// `string`: null leaves it unchanged.
struct StrSeed<'a>(&'a mut String);

impl<'de> Visitor<'de> for StrSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON string or null")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        v.clone_into(self.0);
        Ok(())
    }
    fn visit_string<E>(self, v: String) -> Result<(), E> {
        *self.0 = v;
        Ok(())
    }
}

/// `int64` sizes (non-negative here): null leaves it unchanged; only
/// integer literals are accepted, as Go's `ParseInt` does.
struct SizeSeed<'a>(&'a mut u64);

impl<'de> Visitor<'de> for SizeSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a non-negative integer no larger than 9223372036854775807, or null")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<(), E> {
        if v > i64::MAX as u64 {
            return Err(E::invalid_value(serde::de::Unexpected::Unsigned(v), &self));
        }
        *self.0 = v;
        Ok(())
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<(), E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::invalid_value(serde::de::Unexpected::Signed(v), &self)),
        }
    }
}

/// `[]T`: null sets nil, an array replaces the slice (`[]` is empty, not nil).
struct SliceSeed<'a, T>(&'a mut Option<Vec<T>>);

impl<'de, T: GoValue> Visitor<'de> for SliceSeed<'_, T> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON array or null")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        *self.0 = None;
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(NewSeed::<T>(PhantomData))? {
            out.push(v);
        }
        *self.0 = Some(out);
        Ok(())
    }
}

/// A fresh zero value decoded from JSON (an array element).
struct NewSeed<T>(PhantomData<T>);

impl<'de, T: GoValue> DeserializeSeed<'de> for NewSeed<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        let mut v = T::default();
        v.decode(d)?;
        Ok(v)
    }
}

/// `map[string]string`: null sets nil; an object adds to the map (creating
/// it if nil); a null value stores "".
struct LabelsSeed<'a>(&'a mut Option<Labels>);

impl<'de> Visitor<'de> for LabelsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object of strings, or null")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        *self.0 = None;
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let labels = self.0.get_or_insert_with(Labels::new);
        while let Some(key) = map.next_key::<String>()? {
            let mut value = String::new();
            map.next_value_seed(StrSeed(&mut value))?;
            labels.insert(key, value);
        }
        Ok(())
    }
}

/// The seeds that are their own visitors: `deserialize` hands the value,
/// whatever its JSON type, to the visitor.
macro_rules! seed_visits_any {
    ($([$($bound:tt)*] $seed:ty),* $(,)?) => {$(
        impl<'de, $($bound)*> DeserializeSeed<'de> for $seed {
            type Value = ();
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_any(self)
            }
        }
    )*};
}
seed_visits_any!(
    [T: GoStruct] StructSeed<'_, T>,
    [T: GoStruct] PtrSeed<'_, T>,
    [] StrSeed<'_>,
    [] SizeSeed<'_>,
    [T: GoValue] SliceSeed<'_, T>,
    [] LabelsSeed<'_>,
);

macro_rules! go_value_for_struct {
    ($($t:ty),*) => {$(
        impl GoValue for $t {
            fn decode<'de, D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
                StructSeed(self).deserialize(d)
            }
        }
    )*};
}
go_value_for_struct!(
    ImageOrIndex,
    ImageDescriptor,
    LayerDescriptor,
    IndexDescriptor
);

/// Implements [`GoStruct`] from the Go field names in declaration order, each
/// with the seed that decodes it and the Rust field it decodes into.
macro_rules! go_struct {
    ($t:ty, $name:literal { $($key:literal => $seed:ident($field:ident)),* $(,)? }) => {
        impl GoStruct for $t {
            const NAME: &'static str = $name;
            const FIELDS: &'static [&'static str] = &[$($key),*];
            fn decode_field<'de, A: MapAccess<'de>>(
                &mut self,
                i: usize,
                map: &mut A,
            ) -> Result<(), A::Error> {
                match Self::FIELDS[i] {
                    $($key => map.next_value_seed($seed(&mut self.$field)),)*
                    other => unreachable!("{other} is not a field of {}", Self::NAME),
                }
            }
        }
    };
}

go_struct!(ImageOrIndex, "ImageOrImageIndexDescriptor" {
    "ImageIndex" => PtrSeed(image_index),
    "Image" => PtrSeed(image),
});

go_struct!(ImageDescriptor, "ImageDescriptor" {
    "Refs" => SliceSeed(refs),
    "Layers" => SliceSeed(layers),
    "Config" => StructSeed(config),
    "Manifest" => StructSeed(manifest),
    "Tag" => StrSeed(tag),
    "OrigRef" => StrSeed(orig_ref),
    "Labels" => LabelsSeed(labels),
});

go_struct!(LayerDescriptor, "ImageLayerDescriptor" {
    "MediaType" => StrSeed(media_type),
    "Digest" => StrSeed(digest),
    "DiffID" => StrSeed(diff_id),
    "Size" => SizeSeed(size),
});

go_struct!(ConfigDescriptor, "ConfigDescriptor" {
    "Digest" => StrSeed(digest),
    "Raw" => StrSeed(raw),
});

go_struct!(ManifestDescriptor, "ManifestDescriptor" {
    "MediaType" => StrSeed(media_type),
    "Digest" => StrSeed(digest),
    "Raw" => StrSeed(raw),
});

go_struct!(IndexDescriptor, "ImageIndexDescriptor" {
    "Refs" => SliceSeed(refs),
    "Images" => SliceSeed(images),
    "Indexes" => SliceSeed(indexes),
    "MediaType" => StrSeed(media_type),
    "Digest" => StrSeed(digest),
    "Raw" => StrSeed(raw),
    "Tag" => StrSeed(tag),
    "OrigRef" => StrSeed(orig_ref),
    "Labels" => LabelsSeed(labels),
});

// ---------------------------------------------------------------------------
// Writing, byte-identical to Go's json.Marshal.

/// Serializes like Go's `json.Marshal`: compact, no trailing newline, keys
/// in field order, strings escaped by [`go::json::GoFormatter`].
pub fn to_json(list: &[ImageOrIndex]) -> Vec<u8> {
    go::json::marshal(list).expect("these types always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fold_like_go() {
        assert!(key_matches("Refs", "Refs"));
        assert!(key_matches("refs", "Refs"));
        assert!(key_matches("REFS", "Refs"));
        assert!(key_matches("diffid", "DiffID"));
        assert!(key_matches("Ref\u{17f}", "Refs"));
        assert!(key_matches("\u{212a}", "K"));
        assert!(!key_matches("Ref", "Refs"));
        assert!(!key_matches("Refss", "Refs"));
        assert!(!key_matches("Rëfs", "Refs"));
    }
}
