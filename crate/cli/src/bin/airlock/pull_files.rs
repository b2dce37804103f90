//! Files and directories as `imgpkg pull` (0.43.1,
//! `pkg/imgpkg/image/dir_image.go`) creates them:
//!
//! - a regular file is created with `os.OpenFile(path, O_RDWR|O_CREATE|
//!   O_TRUNC, perm)`, where `perm` is the entry's mode when it has group or
//!   other bits, else its user bits copied to group and other; the process
//!   umask then applies (no chmod afterwards);
//! - directories are made with `os.MkdirAll(dir, 0777)` (umask applied)
//!   as the parents of files; a directory entry itself creates nothing
//!   (`case tar.TypeDir: return nil`), so empty directories are not made;
//! - the `.imgpkg/images.yml` rewrite is `os.WriteFile(path, bytes, 0600)`
//!   on the extracted file: truncated in place, keeping its mode.
//!
//! Only the permission bits (`0o777`) are used: unlike imgpkg, no setuid,
//! setgid or sticky bit is ever set.

use std::fs::{DirBuilder, OpenOptions};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

/// The permission bits a file entry is created with (before the umask):
/// the entry's bits when it has group or other bits, else the user bits
/// copied to group and other.
pub fn file_mode(mode: u32) -> u32 {
    let m = mode & 0o777;
    if m & 0o077 != 0 {
        m
    } else {
        let u = (m & 0o700) >> 6;
        m | (u << 3) | u
    }
}

/// `os.MkdirAll(dir, 0777)`: missing directories created with 0777 less
/// the umask; existing ones left as they are.
pub fn make_dirs(dir: &Path) -> io::Result<()> {
    let mut b = DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o777);
    }
    b.create(dir)
}

/// Writes an extracted file: its parents made, an existing file replaced,
/// created with [`file_mode`] of the entry's mode (the umask applies).
pub fn write_entry(path: &Path, entry_mode: u32, data: &[u8]) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        make_dirs(parent)?;
    }
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(file_mode(entry_mode));
    }
    #[cfg(not(unix))]
    let _ = entry_mode;
    opts.open(path)?.write_all(data)
}

/// `os.WriteFile(path, bytes, 0600)`: an existing file is truncated and
/// keeps its mode; a missing one is created 0600 (less the umask).
pub fn rewrite_in_place(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(bytes)
}

/// A tar entry name as a relative path inside the output directory, or
/// `None` when it would leave it (absolute, or `..` past the top).
pub fn safe_path(name: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in Path::new(name).components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_bits_go_to_group_and_other_only_when_those_are_empty() {
        // imgpkg: `userPermission | userPermission>>3 | userPermission>>6`,
        // unless `mode&0077 > 0`, then the entry's mode.
        assert_eq!(file_mode(0o600), 0o666);
        assert_eq!(file_mode(0o700), 0o777);
        assert_eq!(file_mode(0o400), 0o444);
        assert_eq!(file_mode(0o640), 0o640);
        assert_eq!(file_mode(0o604), 0o604);
        assert_eq!(file_mode(0o100644), 0o644);
    }

    #[test]
    fn entry_names_stay_inside_the_output() {
        assert_eq!(safe_path("a/./b/../c"), Some(PathBuf::from("a/c")));
        assert_eq!(safe_path("./"), Some(PathBuf::new()));
        assert_eq!(safe_path("../x"), None);
        assert_eq!(safe_path("/etc/passwd"), None);
    }
}
