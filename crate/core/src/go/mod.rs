//! Ports of the Go code whose exact output imgpkg 0.43.1 (built with Go
//! 1.23) writes into registries and tars, so that Airlock's digests are
//! imgpkg's.
//!
//! | module | Go source reproduced |
//! | --- | --- |
//! | [`tar`] | `archive/tar` `Writer.WriteHeader` (regular files and directories) |
//! | [`flate`] | `compress/flate` at `BestSpeed`, `compress/gzip` around it |
//! | [`json`] | `encoding/json` string escaping (`json.Marshal`) |
//! | [`path`] | `path.Clean`, `path.Split`, `path.Join` |
//! | [`yaml`] | go-yaml v2.4.0 `yaml.Marshal` (encoder and emitter) |
//!
//! Each is checked byte for byte against output of Go itself (Go 1.23.2,
//! go-yaml v2.4.0): the corpus in `tests/fixtures/go-corpus/`, made by
//! `tests/go-corpus/main.go` (see `tests/go-corpus/README.md`), compared in
//! `crate/core/tests/go_corpus.rs`. Nothing here does IO.

pub mod flate;
pub mod json;
pub mod path;
pub mod tar;
pub mod yaml;
