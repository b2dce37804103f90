//! `airlock copy` from a registry (`-b`, `-i`, `--lock`) to a repository or
//! a tarball (`--to-tar`, `--resume`).

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use airlock_cli::source::{block_on, FileSource};
use airlock_cli::transport::{run_downloads, write_all_at, NativeReader, NativeTransport};
use airlock_core::digest::{Digest, Hasher};
use airlock_core::discover::{self, DiscoverOptions, Source};
use airlock_core::export::{self, TarLayout};
use airlock_core::imageset::ImageSet;
use airlock_core::lock::{self, LockFile};
use airlock_core::plan::BlobSource;
use airlock_core::planner;
use airlock_core::reference::{Reference, Repository};
use airlock_core::registry::download::{DownloadJob, Downloads};
use airlock_core::registry::http::BlobSink;

use crate::copy_args::CopyArgs;
use crate::error::CliError;
use crate::push::push_plan;

pub fn run(args: &CopyArgs) -> Result<i32, CliError> {
    let (source, images_lock) = source_of(args)?;
    // --skip-blobs files are read (and refused) before any request.
    let skip = crate::thin::load_skip_set(&args.skip_blobs)?;
    let transport = args.registry.transport(args.concurrency + 2)?;
    let client = args.registry.client()?;
    let mut reader = NativeReader::new(&transport, client);
    let set = block_on(discover::discover(
        &mut reader,
        &source,
        DiscoverOptions {
            cosign_signatures: args.cosign_signatures,
        },
    ))?;
    drop(reader);
    if let Some(repo) = &args.to_repo {
        let repo = Repository::parse(repo)?;
        let mut out = planner::plan(&set, &repo, args.plan_options())?;
        if let Some(l) = &images_lock {
            // imgpkg writes the input ImagesLock back, each image relocated.
            out.lock_output = Ok(l.relocated_to(&repo).to_yaml());
        }
        let documents = args.derived.prepare(&set, &out, &source_name(args))?;
        push_plan(args, &out, &transport, &mut Default::default())?;
        documents.write()?;
    } else if let Some(path) = &args.to_tar {
        to_tar(args, &set, path, &transport, &skip)?;
    }
    eprintln!("Succeeded");
    Ok(0)
}

/// The source as the flags name it, for messages.
fn source_name(args: &CopyArgs) -> String {
    match (&args.bundle, &args.image, &args.lock) {
        (Some(b), _, _) => b.clone(),
        (_, Some(i), _) => i.clone(),
        (_, _, Some(l)) => l.display().to_string(),
        _ => String::new(),
    }
}

/// The registry source named by the flags.
fn source_of(args: &CopyArgs) -> Result<(Source, Option<lock::ImagesLock>), CliError> {
    if let Some(b) = &args.bundle {
        return Ok((Source::Bundle(Reference::parse(b)?), None));
    }
    if let Some(i) = &args.image {
        return Ok((Source::Image(Reference::parse(i)?), None));
    }
    let Some(path) = &args.lock else {
        return Err(CliError::Usage(
            "Expected either --lock, --bundle (-b), --image (-i), or --tar as a source",
        ));
    };
    let bytes = std::fs::read(path).map_err(|source| CliError::ReadPath {
        path: path.display().to_string(),
        source,
    })?;
    match lock::parse_lock_file(&bytes, &path.display().to_string())? {
        LockFile::Bundle(b) => Ok((Source::BundleLock(b), None)),
        LockFile::Images(l) => Ok((Source::ImagesLock(l.clone()), Some(l))),
    }
}

/// Go's `time.Duration` string, roughly (`1.5ms`, `2.01s`).
fn go_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 1_000 {
        format!("{ns}ns")
    } else if ns < 1_000_000 {
        format!("{}µs", trim(ns as f64 / 1e3))
    } else if ns < 1_000_000_000 {
        format!("{}ms", trim(ns as f64 / 1e6))
    } else {
        format!("{}s", trim(ns as f64 / 1e9))
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The temporary file an export is written to before it is renamed.
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "airlock.tar".into());
    path.with_file_name(format!(".{name}.airlock-{}.tmp", std::process::id()))
}

/// A file seen with zeros appended, so that a tar cut short by an
/// interrupted export still indexes: the cut entry then fails its hash.
struct ZeroPadded {
    file: FileSource,
    pad: u64,
}

impl airlock_core::source::ByteSource for ZeroPadded {
    fn len(&self) -> u64 {
        self.file.len() + self.pad
    }

    async fn read_at(
        &self,
        offset: u64,
        len: usize,
    ) -> Result<Vec<u8>, airlock_core::source::SourceError> {
        let real = self.file.len();
        let mut out = if offset < real {
            self.file.read_at(offset, len).await?
        } else {
            Vec::new()
        };
        let want = (len as u64).min(self.len().saturating_sub(offset)) as usize;
        out.resize(want, 0);
        Ok(out)
    }
}

/// Layers of an existing tar that verify, by digest: (data offset, size).
fn reusable_layers(path: &Path, layout: &TarLayout) -> Vec<(Digest, u64, u64)> {
    use airlock_core::source::ByteSource;
    let Ok(file) = FileSource::open(path) else {
        return Vec::new();
    };
    let max = layout.layers.iter().map(|l| l.size).max().unwrap_or(0);
    let real = file.len();
    let src = ZeroPadded {
        file,
        pad: max + airlock_core::tar::padding(real) + 4096,
    };
    let Ok(index) = block_on(airlock_core::tar::index(&src)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for slot in &layout.layers {
        let Some(e) = index.get(&slot.digest.tar_entry_name()) else {
            continue;
        };
        if e.size != slot.size {
            continue;
        }
        if e.data_offset + e.size > real {
            continue;
        }
        if hash_range(src.file.file(), e.data_offset, e.size).ok() == Some(slot.digest) {
            out.push((slot.digest, e.data_offset, e.size));
        }
    }
    out
}

fn hash_range(file: &File, offset: u64, size: u64) -> std::io::Result<Digest> {
    use std::io::{Seek, SeekFrom};
    let mut f = file.try_clone()?;
    f.seek(SeekFrom::Start(offset))?;
    let mut h = Hasher::new();
    let mut r = f.take(size);
    let mut buf = vec![0u8; 256 << 10];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    if h.len() != size {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "short layer",
        ));
    }
    Ok(h.finish())
}

fn copy_range(
    from: &File,
    from_off: u64,
    size: u64,
    to: &File,
    to_off: u64,
) -> Result<(), CliError> {
    use std::io::{Seek, SeekFrom};
    let mut f = from.try_clone()?;
    f.seek(SeekFrom::Start(from_off))?;
    let mut r = f.take(size);
    let mut buf = vec![0u8; 256 << 10];
    let mut pos = to_off;
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        write_all_at(to, &buf[..n], pos)?;
        pos += n as u64;
    }
    Ok(())
}

fn to_tar(
    args: &CopyArgs,
    set: &ImageSet,
    path: &Path,
    transport: &NativeTransport,
    skip: &airlock_core::thin::SkipSet,
) -> Result<(), CliError> {
    let layout = export::layout(set, args.include_non_distributable_layers)?;
    let layout = crate::thin::thin_export(skip, set, layout);
    let count = layout.descriptors.len();
    eprintln!("copy | exporting {count} images...");
    for d in &layout.descriptors {
        let r = match (&d.image_index, &d.image) {
            (Some(i), _) => i.first_ref().unwrap_or_default().to_string(),
            (None, Some(i)) => i.first_ref().unwrap_or_default().to_string(),
            _ => String::new(),
        };
        eprintln!("copy | will export {r}");
    }
    eprintln!("copy | exported {count} images");
    let reuse = if args.resume && path.exists() {
        let r = reusable_layers(path, &layout);
        eprintln!(
            "copy | Going to reuse {} layers from the tar already in disk",
            r.len()
        );
        r
    } else {
        Vec::new()
    };
    let tmp = temp_path(path);
    let result = write_tar(args, &layout, path, &tmp, &reuse, transport);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
        return result;
    }
    std::fs::rename(&tmp, path).map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        CliError::Rename {
            from: tmp.display().to_string(),
            to: path.display().to_string(),
            source,
        }
    })?;
    crate::output::print_warnings_list(&layout.warnings);
    Ok(())
}

fn write_tar(
    args: &CopyArgs,
    layout: &TarLayout,
    path: &Path,
    tmp: &Path,
    reuse: &[(Digest, u64, u64)],
    transport: &NativeTransport,
) -> Result<(), CliError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp)
        .map_err(|source| CliError::Create {
            path: tmp.display().to_string(),
            source,
        })?;
    file.set_len(layout.total_size)?;
    eprintln!("copy | writing layers...");
    let started = Instant::now();
    write_all_at(&file, &layout.manifest_entry, 0)?;
    for slot in &layout.layers {
        write_all_at(&file, &slot.header, slot.header_offset)?;
    }
    write_all_at(&file, TarLayout::end_marker(), layout.end_offset)?;
    eprintln!(
        "copy | done: file 'manifest.json' ({})",
        go_duration(started.elapsed())
    );
    let mut jobs = Vec::new();
    let old = if reuse.is_empty() {
        None
    } else {
        Some(File::open(path)?)
    };
    for slot in &layout.layers {
        if let (Some(old), Some(&(_, off, size))) =
            (&old, reuse.iter().find(|(d, _, _)| *d == slot.digest))
        {
            let t = Instant::now();
            copy_range(old, off, size, &file, slot.data_offset)?;
            eprintln!(
                "copy | done: file '{}' ({})",
                slot.digest.tar_entry_name(),
                go_duration(t.elapsed())
            );
            continue;
        }
        let BlobSource::Registry { repository } = &slot.source else {
            return Err(CliError::NoRegistrySource(slot.digest));
        };
        jobs.push(DownloadJob {
            repository: repository.clone(),
            sink: BlobSink {
                digest: slot.digest,
                size: slot.size,
                offset: slot.data_offset,
            },
        });
    }
    if !jobs.is_empty() {
        let transport = transport.clone().with_output_file(file.try_clone()?);
        let mut downloads = Downloads::new(args.registry.client()?, jobs, args.concurrency);
        let t = Instant::now();
        run_downloads(&transport, &mut downloads, &mut |d| {
            eprintln!(
                "copy | done: file '{}' ({})",
                d.digest.tar_entry_name(),
                go_duration(t.elapsed())
            );
        })?;
    }
    file.sync_all()?;
    Ok(())
}
