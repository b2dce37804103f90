//! The native edge of Airlock: the `ureq` transport that drives the core's
//! sans-IO registry machines on std threads, random-access file sources (a tar file, or a directory read as one),
//! and credential loading from the environment and the Docker config.
//! The `airlock` binary (`src/bin/airlock/`) is the front end built on it.

pub mod credentials;
pub mod dir_source;
pub mod source;
pub mod transport;
