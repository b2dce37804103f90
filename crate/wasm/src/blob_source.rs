//! A random-access byte source over a JS `Blob` (a `File` is a `Blob`).
//!
//! Each read is `blob.slice(start, end).arrayBuffer()`: the browser reads
//! only that range from disk, so opening a tarball of any size reads only
//! the tar headers, `manifest.json` and the bundle layers.

use wasm_bindgen_futures::JsFuture;

use super::error::{describe_js, Code, WasmError};
use airlock_core::source::SourceError;

/// Offsets are `u64` (a tar can exceed 4 GiB; wasm32's `usize` is 32 bits).
/// JS numbers hold integers exactly up to 2^53, far beyond any file.
#[derive(Clone, Debug)]
pub struct BlobSource {
    blob: web_sys::Blob,
    len: u64,
}

impl BlobSource {
    /// A source over a `Blob` of `bytes` (for tests).
    #[cfg(test)]
    pub(crate) fn of_bytes(bytes: &[u8]) -> BlobSource {
        BlobSource::new(crate::transport::bytes_blob(bytes).unwrap())
    }

    pub fn new(blob: web_sys::Blob) -> BlobSource {
        let len = blob.size() as u64;
        BlobSource { blob, len }
    }

    pub fn blob(&self) -> &web_sys::Blob {
        &self.blob
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The sub-`Blob` for `offset..offset+size` (no bytes are read): this is
    /// what the fetch transport passes as a request body.
    pub fn slice(&self, offset: u64, size: u64) -> Result<web_sys::Blob, WasmError> {
        let end = offset
            .checked_add(size)
            .filter(|&e| e <= self.len)
            .ok_or_else(|| {
                WasmError::new(
                    Code::Read,
                    format!(
                        "range {offset}+{size} is outside the file ({} bytes)",
                        self.len
                    ),
                )
            })?;
        self.blob
            .slice_with_f64_and_f64(offset as f64, end as f64)
            .map_err(|e| WasmError::new(Code::Read, describe_js(&e)))
    }

    /// Reads up to `len` bytes at `offset` (fewer at the end of the file).
    pub async fn read_range(&self, offset: u64, len: usize) -> Result<Vec<u8>, WasmError> {
        if offset >= self.len || len == 0 {
            return Ok(Vec::new());
        }
        let size = (len as u64).min(self.len - offset);
        let part = self.slice(offset, size)?;
        let buf = JsFuture::from(part.array_buffer()).await.map_err(|e| {
            WasmError::new(
                Code::Read,
                format!("reading the file at offset {offset}: {}", describe_js(&e)),
            )
        })?;
        Ok(js_sys::Uint8Array::new(&buf).to_vec())
    }
}

impl airlock_core::source::ByteSource for BlobSource {
    fn len(&self) -> u64 {
        self.len
    }

    async fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        self.read_range(offset, len)
            .await
            .map_err(|e| SourceError::Io {
                offset,
                len,
                message: e.message,
            })
    }
}

/// Tars up to this size are read whole to be opened: a `Blob.slice` read
/// costs the page ~4 ms however short, and a package repository of 1,000
/// images (4.6 MB) took 15 windowed reads. Larger tars are read in
/// windows, their large layers skipped.
pub(crate) const READ_WHOLE: u64 = 16 << 20;

/// What a tar is opened from: the whole file in memory when it is small
/// ([`READ_WHOLE`]), else ranges of the `Blob`. One type for both, so the
/// readers are compiled once.
pub(crate) struct OpenSource<'a> {
    blob: &'a BlobSource,
    whole: Option<Vec<u8>>,
}

impl<'a> OpenSource<'a> {
    pub(crate) async fn new(blob: &'a BlobSource) -> Result<OpenSource<'a>, WasmError> {
        let whole = if blob.len() <= READ_WHOLE {
            Some(blob.read_range(0, blob.len() as usize).await?)
        } else {
            None
        };
        Ok(OpenSource { blob, whole })
    }
}

impl airlock_core::source::ByteSource for OpenSource<'_> {
    fn len(&self) -> u64 {
        self.blob.len()
    }

    fn in_memory(&self) -> Option<&[u8]> {
        self.whole.as_deref()
    }

    async fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        match &self.whole {
            Some(bytes) => bytes.read_at(offset, len).await,
            None => self.blob.read_at(offset, len).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::*;

    #[wasm_bindgen_test]
    async fn reads_ranges_and_short_reads_at_the_end() {
        let data: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let src = BlobSource::of_bytes(&data);
        assert_eq!(src.len(), 10_000);
        assert_eq!(src.read_range(0, 512).await.unwrap(), &data[..512]);
        assert_eq!(
            src.read_range(9_000, 512).await.unwrap(),
            &data[9_000..9_512]
        );
        assert_eq!(src.read_range(9_900, 512).await.unwrap(), &data[9_900..]);
        assert!(src.read_range(10_000, 512).await.unwrap().is_empty());
    }

    #[wasm_bindgen_test]
    async fn open_source_reads_like_the_blob_whole_or_not() {
        use airlock_core::source::ByteSource;
        let data: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let src = BlobSource::of_bytes(&data);
        let open = OpenSource::new(&src).await.unwrap();
        assert_eq!(open.whole.as_deref(), Some(&data[..]));
        assert_eq!(open.in_memory(), Some(&data[..]));
        let windowed = OpenSource {
            blob: &src,
            whole: None,
        };
        assert_eq!(windowed.in_memory(), None);
        for (offset, len) in [(0, 512), (9_900, 512), (10_000, 512), (20_000, 1)] {
            let want = src.read_at(offset, len).await.unwrap();
            assert_eq!(
                open.read_at(offset, len).await.unwrap(),
                want,
                "{offset}+{len}"
            );
            assert_eq!(
                windowed.read_at(offset, len).await.unwrap(),
                want,
                "{offset}+{len}"
            );
        }
    }

    #[wasm_bindgen_test]
    fn slice_outside_the_file_is_a_read_error() {
        let src = BlobSource::of_bytes(b"abc");
        let err = src.slice(2, 5).unwrap_err();
        assert_eq!(err.code, Code::Read);
        assert_eq!(src.slice(1, 2).unwrap().size(), 2.0);
    }
}
