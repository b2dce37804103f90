//! Handing the first gzip pass of a docker-archive from one `Archive` to
//! another: the page compresses the layers on its main thread to show the
//! final digests in the preview, and its push worker (another wasm
//! instance with its own `Archive` of the same `File`) takes those results
//! instead of reading and compressing every layer again. The upload still
//! compresses each layer while sending it and checks the stream against
//! the digest handed over, so a wrong hand-off fails that blob's upload
//! (nothing is tagged), never a push of other bytes.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use super::archive::{to_js, Archive};
use super::error::{Code, WasmError};
use airlock_core::digest::Digest;
use airlock_core::formats::docker_gzip::{self, GzippedLayer};
use airlock_core::formats::{AnyArchive, Format, ImageArchive};
use airlock_core::imageset::NodeKind;
use airlock_core::plan::BlobSource;

/// One layer's compressed form, keyed by its diff ID (JS shape).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GzippedLayerJs {
    diff_id: String,
    digest: String,
    size: u64,
}

/// Offset in the tar of every layer's data → what `f` says of that layer
/// (its diff ID in the archive as opened, its compressed form once gzipped).
fn by_offset<T>(a: &ImageArchive, f: impl Fn(&Digest, u64) -> T) -> HashMap<u64, T> {
    let mut out = HashMap::new();
    for node in &a.set.nodes {
        if let NodeKind::Image { layers, .. } = &node.kind {
            for l in layers {
                if let BlobSource::TarEntry { offset, .. }
                | BlobSource::GzipTarEntry { offset, .. } = l.source
                {
                    out.insert(offset, f(&l.digest, l.size));
                }
            }
        }
    }
    out
}

fn argument(message: String) -> WasmError {
    WasmError::new(Code::Argument, message)
}

#[wasm_bindgen]
impl Archive {
    /// `gzippedLayers()` → `[{diffId, digest, size}]` once
    /// `compressLayers()` finished, else `null`: what `useGzippedLayers()`
    /// of another `Archive` of the same file takes.
    #[wasm_bindgen(js_name = gzippedLayers, unchecked_return_type = "GzippedLayer[] | null")]
    pub fn gzipped_layers(&self) -> Result<JsValue, JsValue> {
        let gzipped = self.gzipped.borrow();
        let (AnyArchive::Image(a), Some(gz)) = (&self.core, gzipped.as_ref()) else {
            return Ok(JsValue::NULL);
        };
        let diff_ids = by_offset(a, |d, _| *d);
        let mut out: Vec<GzippedLayerJs> = by_offset(gz, |d, s| (*d, s))
            .into_iter()
            .filter_map(|(offset, (digest, size))| {
                diff_ids.get(&offset).map(|diff| GzippedLayerJs {
                    diff_id: diff.to_string(),
                    digest: digest.to_string(),
                    size,
                })
            })
            .collect();
        out.sort_by(|x, y| x.diff_id.cmp(&y.diff_id));
        Ok(to_js(&out)?)
    }

    /// `useGzippedLayers(layers)`: takes the first gzip pass's results
    /// (`gzippedLayers()` of another `Archive` of the same file) instead of
    /// running it; `plan()` and `copy()` with `dockerLayers: 'gzip'` then
    /// use them. Throws `E_ARGUMENT` for another format, a malformed entry
    /// (naming its index and field) or a layer of this archive missing from
    /// the list.
    #[wasm_bindgen(js_name = useGzippedLayers)]
    pub fn use_gzipped_layers(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GzippedLayer[]")] layers: JsValue,
    ) -> Result<(), JsValue> {
        let a = match &self.core {
            AnyArchive::Image(a) if a.format == Format::DockerArchive => a,
            other => {
                return Err(argument(format!(
                    "useGzippedLayers: this {} has no docker-archive layers",
                    other.format().as_str()
                ))
                .into())
            }
        };
        let list: Vec<GzippedLayerJs> = serde_wasm_bindgen::from_value(layers).map_err(|e| {
            argument(format!(
                "useGzippedLayers: expected [{{diffId, digest, size}}]: {e}"
            ))
        })?;
        let mut map = HashMap::new();
        for (i, l) in list.iter().enumerate() {
            let parse = |field: &str, v: &str| {
                Digest::parse(v).map_err(|e| {
                    argument(format!("useGzippedLayers: entry {i}: {field} '{v}': {e}"))
                })
            };
            let diff_id = parse("diffId", &l.diff_id)?;
            let digest = parse("digest", &l.digest)?;
            map.insert(
                diff_id,
                GzippedLayer {
                    digest,
                    size: l.size,
                },
            );
        }
        let gz = docker_gzip::with_gzip_layers(a, &map)
            .map_err(|e| argument(format!("useGzippedLayers: {e}")))?;
        *self.gzipped.borrow_mut() = Some(gz);
        Ok(())
    }
}
