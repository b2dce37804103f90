//! Protocol scenarios, driven deterministically in-process.

mod client;
mod copy;
mod ops;
mod upload;
