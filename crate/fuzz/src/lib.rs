//! The entry points live in the testkit (so the normal suite runs the
//! corpora through the same code); this crate compiles that one file
//! without the rest of the testkit.

#[path = "../../testkit/src/fuzz_entry.rs"]
pub mod entry;
