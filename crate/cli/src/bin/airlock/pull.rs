//! `airlock pull`: imgpkg's `pull -b/-i/--lock -o DIR [-r]` (spec §6):
//! extract a bundle (or image), then rewrite `.imgpkg/images.yml` to the
//! bundle's repository when that repository hosts every image.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};

use airlock_cli::source::{block_on, FileSource};
use airlock_cli::transport::{run_downloads, NativeReader, NativeTransport};
use airlock_core::digest::Digest;
use airlock_core::discover::{manifest_unknown, read_locations, RegistryReader, NOT_A_BUNDLE};
use airlock_core::lock::{self, ImagesLock};
use airlock_core::manifest::{media_type, Manifest};
use airlock_core::reference::{Reference, Repository};
use airlock_core::registry::download::{DownloadJob, Downloads};
use airlock_core::registry::http::BlobSink;
use airlock_core::registry::read::FetchedImage;
use airlock_core::tar::EntryKind;
use clap::Args;

use crate::error::CliError;

const NOT_AN_IMAGE: &str = "Unable to pull non-images, such as image indexes. (hint: provide a specific digest to the image instead)";
use crate::flags::RegistryFlags;
use crate::pull_files::{make_dirs, rewrite_in_place, safe_path, write_entry};

#[derive(Args, Debug)]
pub struct PullArgs {
    /// Bundle reference to pull
    #[arg(short = 'b', long = "bundle")]
    pub bundle: Option<String>,
    /// Image reference to pull
    #[arg(short = 'i', long = "image")]
    pub image: Option<String>,
    /// BundleLock file naming the bundle to pull
    #[arg(long = "lock")]
    pub lock: Option<PathBuf>,
    /// Output directory (removed first)
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    /// Also pull nested bundles into .imgpkg/bundles/
    #[arg(short = 'r', long = "recursive")]
    pub recursive: bool,
    /// Refuse to pull a bundle with -i
    #[arg(long = "image-is-bundle-check", default_value_t = true, action = clap::ArgAction::Set)]
    pub image_is_bundle_check: bool,
    #[command(flatten)]
    pub registry: RegistryFlags,
}

struct Puller<'t> {
    reader: NativeReader<'t>,
    transport: &'t NativeTransport,
    registry: &'t RegistryFlags,
    temp: PathBuf,
}

pub fn run(args: &PullArgs) -> Result<i32, CliError> {
    let sources = [
        args.bundle.is_some(),
        args.image.is_some(),
        args.lock.is_some(),
    ];
    if sources.iter().filter(|s| **s).count() != 1 {
        return Err(CliError::Usage(
            "Expected either --lock, --bundle (-b), or --image (-i)",
        ));
    }
    let Some(output) = &args.output else {
        return Err(CliError::Usage("Expected --output (-o) to be set"));
    };
    let o = output.to_string_lossy();
    if o == "/" || o == "." || o == ".." || o.is_empty() {
        return Err(CliError::OutputDirectory(o.into_owned()));
    }
    if args.recursive && args.image.is_some() {
        return Err(CliError::Usage(
            "Cannot use --recursive (-r) flag when pulling a bundle",
        ));
    }
    let (reference, want_bundle) = if let Some(b) = &args.bundle {
        (Reference::parse(b)?, true)
    } else if let Some(i) = &args.image {
        (Reference::parse(i)?, false)
    } else {
        let path = args.lock.as_ref().expect("one source");
        let bytes = std::fs::read(path).map_err(|source| CliError::ReadPath {
            path: path.display().to_string(),
            source,
        })?;
        let l = lock::BundleLock::parse(&bytes, &path.display().to_string())?;
        (l.reference()?, true)
    };
    let transport = args.registry.transport(8)?;
    let temp = std::env::temp_dir().join(format!("airlock-pull-{}", std::process::id()));
    let mut p = Puller {
        reader: NativeReader::new(&transport, args.registry.client()?),
        transport: &transport,
        registry: &args.registry,
        temp,
    };
    let result = p.pull(args, &reference, want_bundle, output);
    let _ = std::fs::remove_file(&p.temp);
    let _ = std::fs::remove_file(p.temp.with_extension("tar"));
    result?;
    println!("Succeeded");
    Ok(0)
}

impl Puller<'_> {
    fn fetch(&mut self, r: &Reference) -> Result<FetchedImage, CliError> {
        match block_on(self.reader.fetch_image(r, true)) {
            Ok(Some(f)) => Ok(f),
            Ok(None) => Err(CliError::ManifestUnknown(manifest_unknown(&r.name()))),
            Err(source) => Err(CliError::Fetch {
                reference: r.name(),
                source,
            }),
        }
    }

    fn pull(
        &mut self,
        args: &PullArgs,
        r: &Reference,
        want_bundle: bool,
        output: &Path,
    ) -> Result<(), CliError> {
        let f = self.fetch(r)?;
        let repo = r.repository().clone();
        if !want_bundle {
            if media_type::is_index(&f.manifest.media_type) {
                return Err(CliError::Usage(NOT_AN_IMAGE));
            }
            if args.image_is_bundle_check && f.is_bundle() {
                return Err(CliError::Usage("Expected bundle flag when pulling a bundle (hint: Use -b instead of -i for bundles)"));
            }
            println!("Pulling image '{}'", repo.at(&f.manifest.digest).name());
            reset_dir(output)?;
            self.extract(&repo, &f, output, "  ")?;
            return Ok(());
        }
        if !f.is_bundle() {
            return Err(CliError::Usage(NOT_A_BUNDLE));
        }
        reset_dir(output)?;
        let mut processed = HashMap::new();
        let mut nested = 0usize;
        let relocated = self.pull_bundle(
            &repo,
            f,
            output,
            Path::new(""),
            "",
            args.recursive,
            &mut processed,
            &mut nested,
        )?;
        println!("\nLocating image lock file images...");
        if relocated {
            println!("The bundle repo ({}) is hosting every image specified in the bundle's Images Lock file (.imgpkg/images.yml)", repo.name());
        } else {
            println!("One or more images not found in bundle repo; skipping lock file update");
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)] // imgpkg's recursive pull, state passed down
    fn pull_bundle(
        &mut self,
        repo: &Repository,
        f: FetchedImage,
        base: &Path,
        bundle_path: &Path,
        indent: &str,
        recursive: bool,
        processed: &mut HashMap<String, bool>,
        nested: &mut usize,
    ) -> Result<bool, CliError> {
        let digest = f.manifest.digest;
        let root = bundle_path.as_os_str().is_empty();
        if root {
            println!("{indent}Pulling bundle '{}'", repo.at(&digest).name());
        } else {
            println!(
                "{indent}Pulling nested bundle '{}'",
                repo.at(&digest).name()
            );
        }
        let dir = base.join(bundle_path);
        self.extract(repo, &f, &dir, &format!("{indent}  "))
            .map_err(|e| CliError::Extract(Box::new(e)))?;
        let images_yml = dir.join(".imgpkg/images.yml");
        let bytes = std::fs::read(&images_yml).map_err(|source| CliError::ReadPath {
            path: images_yml.display().to_string(),
            source,
        })?;
        let lock = ImagesLock::parse(&bytes, &images_yml.display().to_string())?;
        let (relocated, hints) = self.relocated(repo, &digest, &lock)?;
        if recursive {
            for img in &lock.images {
                if let Some(&was_bundle) = processed.get(&img.image) {
                    if was_bundle {
                        println!("{indent}  Pulling nested bundle '{}'", img.image);
                        println!("{indent}  Skipped, already downloaded");
                    }
                    continue;
                }
                let Some(d) = img.digest() else { continue };
                let primary = if relocated {
                    repo.at(&d)
                } else {
                    img.reference()?
                };
                let (is_b, fetched) = match hints.get(&d) {
                    Some(false) => (false, None),
                    _ => {
                        let nf = self.fetch(&primary)?;
                        (nf.is_bundle(), Some(nf))
                    }
                };
                processed.insert(img.image.clone(), is_b);
                if !is_b {
                    continue;
                }
                *nested += 1;
                if root && *nested == 1 {
                    println!("\nNested bundles");
                }
                let nf = match fetched {
                    Some(nf) => nf,
                    None => self.fetch(&primary)?,
                };
                let sub = Path::new(".imgpkg/bundles").join(d.tag_form());
                self.pull_bundle(
                    primary.repository(),
                    nf,
                    base,
                    &sub,
                    &format!("{indent}  "),
                    recursive,
                    processed,
                    nested,
                )?;
            }
        }
        if relocated {
            rewrite_in_place(
                &images_yml,
                lock::relocated_images_yml(&lock, repo).as_bytes(),
            )
            .map_err(CliError::RewriteImagesYml)?;
        }
        Ok(relocated)
    }

    /// Whether `repo` hosts every image (locations image, else every
    /// digest present), and the `isBundle` hints from the locations image.
    fn relocated(
        &mut self,
        repo: &Repository,
        bundle: &Digest,
        lock: &ImagesLock,
    ) -> Result<(bool, HashMap<Digest, bool>), CliError> {
        let mut hints = HashMap::new();
        match block_on(self.reader.fetch_locations(repo, bundle)) {
            Ok(Some(img)) => {
                let locs =
                    block_on(read_locations(&img)).map_err(|e| CliError::Locations(Box::new(e)))?;
                for l in locs.images {
                    if let Some(d) = l
                        .image
                        .rsplit_once('@')
                        .and_then(|(_, d)| Digest::parse(d).ok())
                    {
                        hints.insert(d, l.is_bundle);
                    }
                }
                return Ok((true, hints));
            }
            Ok(None) => {}
            Err(e) => return Err(e.into()),
        }
        for img in &lock.images {
            let Some(d) = img.digest() else { continue };
            match block_on(self.reader.exists(repo, &d)) {
                Ok(true) => {}
                Ok(false) => return Ok((false, hints)),
                Err(e) if matches!(e.status(), Some(401 | 403)) => return Ok((false, hints)),
                Err(e) => return Err(e.into()),
            }
        }
        Ok((true, hints))
    }

    /// Extracts an image's layers into `dir` (last layer first, whiteouts
    /// honoured; links and devices skipped; no path may leave `dir`).
    fn extract(
        &mut self,
        repo: &Repository,
        f: &FetchedImage,
        dir: &Path,
        indent: &str,
    ) -> Result<(), CliError> {
        let Ok(Manifest::Image(m)) =
            Manifest::parse(f.manifest.raw.clone(), Some(&f.manifest.media_type))
        else {
            return Err(CliError::Usage(NOT_AN_IMAGE));
        };
        make_dirs(dir)?;
        let mut written: HashSet<PathBuf> = HashSet::new();
        let mut deleted: HashSet<PathBuf> = HashSet::new();
        let n = m.layers.len();
        for (i, l) in m.layers.iter().enumerate().rev() {
            println!("{indent}Extracting layer '{}' ({}/{n})", l.digest, n - i);
            self.download(repo, &l.digest, l.size)?;
            self.extract_layer(dir, &mut written, &mut deleted)?;
        }
        Ok(())
    }

    fn download(&mut self, repo: &Repository, digest: &Digest, size: u64) -> Result<(), CliError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&self.temp)?;
        file.set_len(size)?;
        let t = self.transport.clone().with_output_file(file);
        let mut d = Downloads::new(
            self.registry.client()?,
            vec![DownloadJob {
                repository: repo.clone(),
                sink: BlobSink {
                    digest: *digest,
                    size,
                    offset: 0,
                },
            }],
            1,
        );
        run_downloads(&t, &mut d, &mut |_| {})?;
        Ok(())
    }

    fn extract_layer(
        &mut self,
        dir: &Path,
        written: &mut HashSet<PathBuf>,
        deleted: &mut HashSet<PathBuf>,
    ) -> Result<(), CliError> {
        // Uncompress to a second temp file, then read it as a tar.
        let tar_path = self.temp.with_extension("tar");
        {
            let mut src = File::open(&self.temp)?;
            let mut magic = [0u8; 2];
            let gz = src.read(&mut magic)? == 2 && magic == [0x1f, 0x8b];
            let src = File::open(&self.temp)?;
            let mut out = File::create(&tar_path)?;
            if gz {
                std::io::copy(&mut flate2::read::GzDecoder::new(src), &mut out)
                    .map_err(CliError::Decompress)?;
            } else {
                std::io::copy(&mut { src }, &mut out)?;
            }
        }
        let src = FileSource::open(&tar_path)?;
        let index = block_on(airlock_core::tar::index(&src))?;
        let mut layer_written = Vec::new();
        for e in index.iter() {
            let Some(rel) = safe_path(&e.name) else {
                return Err(CliError::UnsafeEntry(e.name.clone()));
            };
            if rel.as_os_str().is_empty() {
                continue;
            }
            let base = rel.file_name().map(|b| b.to_string_lossy().into_owned());
            if let Some(target) = base.as_deref().and_then(|b| b.strip_prefix(".wh.")) {
                deleted.insert(rel.with_file_name(target));
                continue;
            }
            if written.contains(&rel) || rel.ancestors().any(|a| deleted.contains(a)) {
                continue;
            }
            let target = dir.join(&rel);
            match e.kind {
                // imgpkg makes only the parent of a directory entry.
                EntryKind::Directory => {
                    if let Some(parent) = target.parent() {
                        make_dirs(parent)?;
                    }
                }
                EntryKind::Regular | EntryKind::Contiguous => {
                    let data = block_on(airlock_core::tar::read_entry(&src, e, u64::MAX))?;
                    write_entry(&target, e.mode, &data)?;
                    layer_written.push(rel);
                }
                // Symlinks, hard links, devices, FIFOs: skipped, as imgpkg does.
                _ => {}
            }
        }
        written.extend(layer_written);
        Ok(())
    }
}

/// imgpkg removes the output directory before pulling into it.
fn reset_dir(dir: &Path) -> Result<(), CliError> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(CliError::Remove {
                path: dir.display().to_string(),
                source,
            })
        }
    }
    make_dirs(dir)?;
    Ok(())
}
