//! `reserveMemory(bytes)`: the page's warm-up grows the module's memory
//! ahead of the first open.
//!
//! A wasm memory grows in pages the browser maps on first touch. Opening
//! the 1,000-image package repository (4.6 MB) takes the memory from ~4
//! to ~18 MB, and on the machines measured here those first touches made
//! the first open ~2× a later one (whose allocations reuse freed memory):
//! `openArchive` 200 vs 85 ms. Touched once at load, while the user picks
//! a file, the memory is ready.

use wasm_bindgen::prelude::*;

/// Page size of the operating systems that back a wasm memory.
const OS_PAGE: usize = 4096;

/// JS: `reserveMemory(bytes)`. Allocates `bytes`, writes one byte in every
/// 4 KiB of them, and frees them: the allocator keeps the memory for later
/// allocations. Returns the memory's size in bytes afterwards.
#[wasm_bindgen(js_name = reserveMemory)]
pub fn reserve_memory(bytes: u32) -> f64 {
    let mut buf: Vec<u8> = Vec::with_capacity(bytes as usize);
    for slot in buf.spare_capacity_mut().iter_mut().step_by(OS_PAGE) {
        slot.write(0);
    }
    std::hint::black_box(&buf);
    drop(buf);
    (core::arch::wasm32::memory_size::<0>() * 65536) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::*;

    fn memory_bytes() -> usize {
        core::arch::wasm32::memory_size::<0>() * 65536
    }

    #[wasm_bindgen_test]
    fn reserving_grows_the_memory_and_says_its_size() {
        // Beyond what any earlier test in this instance left free.
        let before = memory_bytes();
        let after = reserve_memory(before as u32 + (8 << 20)) as usize;
        assert!(after >= before + (8 << 20), "{before} → {after}");
        assert_eq!(after, memory_bytes());
    }
}
