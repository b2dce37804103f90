//! Moved: the flate/gzip input generator (`input(kind, size)`, `KINDS`,
//! `SIZES`) and the specification of its algorithm are in
//! `crate/testkit/src/go_inputs.rs`, used as `airlock_testkit::go_inputs`.
//! `main.go`'s `input()` must stay identical to it in behaviour; the
//! manifest's `input_sha256` values check that.
