//! A size-limited tmpfs mounted on a test's directory (needs root), to fill
//! a disk on purpose; unmounted on drop.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A mounted tmpfs.
pub struct Tmpfs {
    dir: PathBuf,
}

fn mount(args: &[&str], dir: &Path) -> Result<(), String> {
    let out = Command::new("mount")
        .args(args)
        .arg(dir)
        .output()
        .map_err(|e| format!("running mount: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "mount {} {}: {}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Tmpfs {
    /// Mounts a tmpfs of `bytes` on `dir` (created if missing); `Err` when
    /// this machine does not allow it (not root, no mount namespace).
    pub fn mount(dir: &Path, bytes: u64) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        mount(
            &["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"],
            dir,
        )?;
        Ok(Tmpfs {
            dir: dir.to_path_buf(),
        })
    }

    /// Grows (or shrinks) it to `bytes`, keeping its files.
    pub fn resize(&self, bytes: u64) {
        mount(&["-o", &format!("remount,size={bytes}")], &self.dir).unwrap();
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}
