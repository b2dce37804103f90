//! A streaming sha256 for the verify workers: each worker instantiates the
//! wasm module, reads 4 MiB `Blob.slice`s and feeds them here.

use wasm_bindgen::prelude::*;

use airlock_core::digest::Hasher;

/// `new Sha256()`, `update(bytes)` any number of times, then `finish()`
/// giving `"sha256:<hex>"`. `finish` consumes the object.
#[wasm_bindgen(js_name = Sha256)]
pub struct Sha256 {
    inner: Hasher,
}

#[wasm_bindgen(js_class = Sha256)]
impl Sha256 {
    #[wasm_bindgen(constructor)]
    #[allow(clippy::new_without_default)] // a JS constructor, not a Rust API
    pub fn new() -> Sha256 {
        Sha256 {
            inner: Hasher::new(),
        }
    }

    /// Adds bytes to the hash.
    pub fn update(&mut self, bytes: &[u8]) {
        self.inner.update(bytes);
    }

    /// Bytes hashed so far (as a JS number; exact below 2^53).
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> f64 {
        self.inner.len() as f64
    }

    /// The digest, `"sha256:<hex>"`.
    pub fn finish(self) -> String {
        self.inner.finish().to_string()
    }
}
