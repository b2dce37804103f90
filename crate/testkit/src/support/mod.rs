//! Real-registry test support: Distribution (`/usr/bin/docker-registry`) on
//! 127.0.0.1 in three auth modes with a token issuer ([`TestRegistry`]),
//! reading it back with admin credentials, a fault-injecting proxy
//! ([`FaultProxy`]), nginx with a body limit ([`Nginx`]), a front with
//! chunk rules ([`ChunkFront`]), and running copies through the native transport.
//! Every process started here is killed on `Drop`; nothing listens beyond
//! loopback. A missing `docker-registry` fails the test (it is not skipped).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

mod chunk_front;
mod cli;
mod copy;
mod fault_proxy;
mod inspect;
mod nginx;
mod registry;
mod shaping_proxy;
mod tmpfs;
mod tools;

pub use chunk_front::{ChunkFront, FrontLog};
pub use cli::{fixture, read_fixture, run_airlock, tar_import_args, Airlock};
pub use copy::{copy, copy_anonymous, copy_with, transport};
pub use fault_proxy::{Fault, FaultChooser, FaultProxy};
pub use inspect::assert_plan_present;
pub use nginx::{Nginx, NginxOptions, NGINX_BIN};
pub use registry::{Auth, RegistryOptions, TestRegistry, PASSWORD, REGISTRY_BIN, USER};
pub use shaping_proxy::{LinkShape, ShapingProxy};
pub use tmpfs::Tmpfs;
pub use tools::{skopeo, tar_create, tar_extract, SKOPEO_BIN};

// Plan builders, shared by several test crates; each uses only some of them.
#[allow(unused_imports)]
pub use crate::random::bytes;
#[allow(unused_imports)]
pub use crate::synth::plans::{
    image, index, inline_blob, item, one_image_plan, small_plan, sourced_from,
};
#[allow(unused_imports)]
pub use airlock_core::manifest::media_type::OCI_MANIFEST;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new empty directory whose name contains `tag`.
    pub fn new(tag: &str) -> TempDir {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("airlock-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `tar` written to `DIR/in.tar`, `DIR` a fresh [`TempDir`] whose name has
/// `tag`.
pub fn write_tar(tag: &str, tar: &crate::synth::SynthTar) -> (TempDir, PathBuf) {
    let dir = TempDir::new(tag);
    let file = dir.path().join("in.tar");
    tar.write_to(&file).unwrap();
    (dir, file)
}

/// A port on 127.0.0.1 free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
