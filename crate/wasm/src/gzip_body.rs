//! The bodies of gzip-compressed docker-archive layers
//! ([`BlobSource::GzipTarEntry`](airlock_core::plan::BlobSource), the page's
//! `dockerLayers: 'gzip'`): the layer read back from `File.slice` and
//! compressed again with the core's Go-exact encoder
//! ([`GoGzipWriter`], the one the plan's digests came from), in memory, one
//! request body at a time. A push of such layers always goes in `PATCH`
//! chunks above the chunk size, so one body is at most a chunk; the encoder
//! state of each layer is kept between its chunks (they are sent in order),
//! so a layer is compressed once per push, not once per chunk. A body
//! wanted again (a resumed or retried upload) starts the layer over.

use std::collections::HashMap;

use super::blob_source::BlobSource;
use super::error::{Code, WasmError};
use airlock_core::go::flate::GoGzipWriter;

/// Bytes of the layer read per `File.slice`.
const READ: usize = 1 << 20;

/// Where one layer's compression stands.
pub(crate) struct Cursor {
    /// `None` once the stream is finished.
    gz: Option<GoGzipWriter>,
    /// Layer bytes read so far.
    read: u64,
    /// Offset in the gzip stream of `pending[0]`.
    pos: u64,
    /// Compressed bytes not yet sent.
    pending: Vec<u8>,
}

impl Cursor {
    fn new() -> Cursor {
        Cursor {
            gz: Some(GoGzipWriter::new()),
            read: 0,
            pos: 0,
            pending: Vec::new(),
        }
    }
}

/// Each layer's [`Cursor`], by the layer's offset in the tar.
#[derive(Default)]
pub(crate) struct GzipBodies {
    cursors: std::cell::RefCell<HashMap<u64, Cursor>>,
}

impl GzipBodies {
    /// Bytes `from..from + len` of the gzip stream of the layer at
    /// `offset..offset + size` of the tar.
    pub(crate) async fn range(
        &self,
        source: &BlobSource,
        offset: u64,
        size: u64,
        from: u64,
        len: u64,
    ) -> Result<Vec<u8>, WasmError> {
        let mut c = match self.cursors.borrow_mut().remove(&offset) {
            Some(c) if c.pos <= from => c,
            _ => Cursor::new(),
        };
        let end = from + len;
        while c.pos + (c.pending.len() as u64) < end {
            let Some(gz) = c.gz.as_mut() else {
                break;
            };
            // What is before `from` is not wanted (a resumed body).
            let skip = (from.saturating_sub(c.pos) as usize).min(c.pending.len());
            c.pending.drain(..skip);
            c.pos += skip as u64;
            if c.read == size {
                if let Some(gz) = c.gz.take() {
                    gz.finish(&mut c.pending);
                }
                continue;
            }
            let want = READ.min((size - c.read) as usize);
            let bytes = source.read_range(offset + c.read, want).await?;
            if bytes.is_empty() {
                return Err(WasmError::new(
                    Code::Read,
                    format!(
                        "the layer at offset {offset} ends after {} of its {size} bytes",
                        c.read
                    ),
                ));
            }
            c.read += bytes.len() as u64;
            gz.write(&bytes, &mut c.pending);
        }
        let have = c.pos + c.pending.len() as u64;
        if c.pos > from || have < end {
            return Err(WasmError::new(
                Code::Internal,
                format!(
                    "the gzip stream of the layer at offset {offset} has {have} bytes, bytes {from}..{end} wanted"
                ),
            ));
        }
        let start = (from - c.pos) as usize;
        let out = c.pending[start..start + len as usize].to_vec();
        c.pending.drain(..start + len as usize);
        c.pos = end;
        if c.gz.is_some() || !c.pending.is_empty() {
            self.cursors.borrow_mut().insert(offset, c);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::*;

    /// Chunks in order, a chunk wanted again and the whole stream all give
    /// the bytes of one pass of the core's encoder.
    #[wasm_bindgen_test]
    async fn chunks_are_the_core_encoders_stream() {
        let mut layer = Vec::new();
        let mut x: u32 = 7;
        for i in 0..3_000_000u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            layer.push(if i % 3 == 0 { (x >> 24) as u8 } else { b'a' });
        }
        let mut tar = vec![0u8; 512];
        tar.extend_from_slice(&layer);
        let src = BlobSource::of_bytes(&tar);
        let mut want = Vec::new();
        let mut gz = GoGzipWriter::new();
        gz.write(&layer, &mut want);
        gz.finish(&mut want);
        let n = want.len() as u64;
        let size = layer.len() as u64;
        let bodies = GzipBodies::default();
        let whole = bodies.range(&src, 512, size, 0, n).await.unwrap();
        assert_eq!(whole, want);
        let chunk = 700_000u64;
        let mut got = Vec::new();
        let mut from = 0;
        while from < n {
            let len = chunk.min(n - from);
            got.extend(bodies.range(&src, 512, size, from, len).await.unwrap());
            if from == chunk {
                // A retried chunk: the layer starts over.
                let again = bodies.range(&src, 512, size, from, len).await.unwrap();
                assert_eq!(again, want[from as usize..(from + len) as usize]);
            }
            from += len;
        }
        assert_eq!(got, want);
        let err = bodies.range(&src, 512, size, 0, n + 1).await.unwrap_err();
        assert_eq!(err.code, Code::Internal);
    }
}
