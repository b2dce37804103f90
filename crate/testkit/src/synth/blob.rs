//! Where a synthetic blob's bytes come from: memory, a seed, or zeros.

use std::io::{self, Read};
use std::sync::Arc;

use airlock_core::digest::{Digest, Hasher};

use crate::random::RandomReader;

/// Streams `len` zero bytes.
struct ZeroReader {
    remaining: u64,
}

impl Read for ZeroReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (buf.len() as u64).min(self.remaining) as usize;
        buf[..n].fill(0);
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// sha256 of `len` zero bytes, streamed (a large `len` takes a while: pass
/// a known digest to [`LayerSpec::Zeros`](super::LayerSpec::Zeros) instead).
pub fn zeros_digest(len: u64) -> Digest {
    BlobData::Zeros { len }.digest()
}

fn hash_reader(mut r: impl Read) -> Digest {
    let mut h = Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut buf).expect("synthetic readers do not fail");
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    h.finish()
}

/// Where a blob's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobData {
    /// Bytes in memory.
    Bytes(Arc<Vec<u8>>),
    /// `len` incompressible bytes generated from `seed` whenever needed.
    Random { seed: u64, len: u64 },
    /// `len` zero bytes ([`SynthTar::write_to`](super::SynthTar::write_to) leaves
    /// them as a hole).
    Zeros { len: u64 },
}

impl BlobData {
    /// Bytes held in memory.
    pub fn bytes(b: impl Into<Vec<u8>>) -> BlobData {
        BlobData::Bytes(Arc::new(b.into()))
    }

    /// The number of bytes.
    pub fn len(&self) -> u64 {
        match self {
            BlobData::Bytes(b) => b.len() as u64,
            BlobData::Random { len, .. } | BlobData::Zeros { len } => *len,
        }
    }

    /// No bytes at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A reader over the bytes.
    pub fn reader(&self) -> Box<dyn Read + Send + '_> {
        match self {
            BlobData::Bytes(b) => Box::new(b.as_slice()),
            BlobData::Random { seed, len } => Box::new(RandomReader::new(*seed, *len)),
            BlobData::Zeros { len } => Box::new(ZeroReader { remaining: *len }),
        }
    }

    /// sha256 of the bytes (streamed).
    pub fn digest(&self) -> Digest {
        match self {
            BlobData::Bytes(b) => Digest::of(b),
            BlobData::Random { .. } | BlobData::Zeros { .. } => hash_reader(self.reader()),
        }
    }

    /// The bytes in memory (for small blobs).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len() as usize);
        self.reader()
            .read_to_end(&mut out)
            .expect("synthetic readers do not fail");
        out
    }
}
