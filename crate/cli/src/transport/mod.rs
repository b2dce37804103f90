//! Native transport: drives any [`Machine`](airlock_core::registry::Machine) with `ureq` (rustls) on a small
//! pool of std threads. No async runtime.
//!
//! ```text
//!   driver thread                         worker threads (N)
//!   machine.poll_transmit(now) ──jobs──>  perform HttpRequest
//!                                           (stream blob bodies from the tar
//!                                            file / memory / source registry)
//!   machine.handle_response  <──results── response or TransportError
//!   machine.handle_progress  <──progress─ bytes sent
//!   sleep until poll_timeout() when nothing is in flight
//! ```
//!
//! Redirects are not followed here (the core does it, dropping credentials
//! when the origin changes), except for the source `GET` piped into a blob
//! upload, which this module follows itself under the same rule.
//!
//! The parts: `config` (settings, CA certificates, the agent), `execute`
//! (one request), `drive` (the pool and the driver loop), `io` (positional
//! reads and writes, checking readers), `reader` (registry reads and
//! downloads). Credentials are in [`crate::credentials`].

mod config;
mod drive;
mod execute;
mod flight;
mod gate;
mod io;
mod reader;

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use ureq::Agent;

use airlock_core::registry::RegistryError;

use crate::dir_source::PositionalRead;

pub use config::{NativeConfig, NativeSetupError};
pub use drive::run_copy;
pub use flight::FlightStats;
pub use io::write_all_at;
pub use reader::{run_downloads, run_read, NativeReader};

/// Driving a machine stopped without it finishing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriveError {
    #[error("internal error: the registry session stalled (nothing in flight, nothing scheduled)")]
    Stalled,
}

impl From<DriveError> for RegistryError {
    fn from(e: DriveError) -> RegistryError {
        match e {
            DriveError::Stalled => RegistryError::Stalled,
        }
    }
}

/// The native transport (cheap to clone).
#[derive(Clone)]
pub struct NativeTransport {
    agent: Agent,
    tar: Option<Arc<dyn PositionalRead>>,
    output: Option<Arc<File>>,
    workers: usize,
    flight: Arc<flight::FlightMeter>,
    /// At most this many requests performed at once across every machine
    /// driven through this transport and its clones (`None`: each machine's
    /// own limit only).
    gate: Option<Arc<gate::Gate>>,
}

impl std::fmt::Debug for NativeTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeTransport")
            .field("tar", &self.tar.is_some())
            .field("workers", &self.workers)
            .finish()
    }
}

impl NativeTransport {
    pub fn new(config: &NativeConfig) -> Result<NativeTransport, NativeSetupError> {
        Ok(NativeTransport {
            agent: config::agent(config)?,
            tar: None,
            output: None,
            workers: config.workers.max(1),
            flight: Arc::default(),
            gate: None,
        })
    }

    /// Caps the requests performed at once at `limit` across every machine
    /// driven through this transport and its clones, e.g. parallel copy
    /// sessions sharing `--concurrency`.
    pub fn with_request_limit(mut self, limit: usize) -> NativeTransport {
        self.gate = Some(Arc::new(gate::Gate::new(limit)));
        self
    }

    /// Requests in flight so far over every machine this transport (and its
    /// clones) drove: the mean weighted by time, and the most at once.
    pub fn flight(&self) -> FlightStats {
        self.flight.stats()
    }

    /// The tar file that [`BlobSource::TarEntry`](airlock_core::plan::BlobSource::TarEntry) offsets refer to.
    pub fn with_tar_file(self, file: File) -> NativeTransport {
        self.with_tar_bytes(Arc::new(file))
    }

    /// Where [`BlobSource::TarEntry`](airlock_core::plan::BlobSource::TarEntry)
    /// offsets refer to, when that is not one file: an OCI layout directory
    /// ([`crate::dir_source::DirSource`]).
    pub fn with_tar_bytes(mut self, bytes: Arc<dyn PositionalRead>) -> NativeTransport {
        self.tar = Some(bytes);
        self
    }

    /// The file that blob downloads ([`BlobSink`](airlock_core::registry::http::BlobSink)) are written into.
    pub fn with_output_file(mut self, file: File) -> NativeTransport {
        self.output = Some(Arc::new(file));
        self
    }

    pub fn with_tar_path(self, path: &Path) -> Result<NativeTransport, NativeSetupError> {
        let f = File::open(path).map_err(|source| NativeSetupError::OpenTar {
            path: path.display().to_string(),
            source,
        })?;
        Ok(self.with_tar_file(f))
    }
}
