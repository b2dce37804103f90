//! Single-layer images built from files, byte-identical to imgpkg's.

pub mod goflate;

pub use goflate::go_gzip_best_speed;
