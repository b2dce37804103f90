//! Writes synthetic imgpkg tarballs (see `airlock_testkit::synth`) for benchmarks
//! and the browser end-to-end tests.
//!
//! ```sh
//! cargo run --release -p airlock-testkit --bin gen -- big --images 8 --layers 4 --layer-size 16MiB -o big.tar
//! cargo run --release -p airlock-testkit --bin gen -- sparse --size 5GiB -o sparse.tar
//! cargo run --release -p airlock-testkit --bin gen -- package-repo -o repo.tar
//! cargo run --release -p airlock-testkit --bin gen -- package-repo-release --release 2 -o v2.tar
//! cargo run --release -p airlock-testkit --bin gen -- bad --all -o bad-tars/
//! ```
//!
//! Prints one JSON line per tar written on stdout: path, size, blob count,
//! root bundle digest and tag.

use std::path::{Path, PathBuf};
use std::time::Instant;

use airlock_core::digest::Digest;
use airlock_testkit::synth::{self, ExportOptions, PackageRepoOptions, SynthTar, TarVersion};
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "gen", about = "Write synthetic imgpkg tarballs")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Args)]
struct Out {
    /// Output file
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
}

#[derive(Args)]
struct Export {
    /// Write non-distributable layers too (`--include-non-distributable-layers`)
    #[arg(long = "include-non-distributable-layers")]
    include_non_distributable_layers: bool,
    /// Write the tar as imgpkg before v0.13 did (no Labels, no OrigRef)
    #[arg(long = "pre-v0-13", conflicts_with = "pre_v0_28")]
    pre_v0_13: bool,
    /// Write the tar as imgpkg before v0.28 did (no OrigRef)
    #[arg(long = "pre-v0-28")]
    pre_v0_28: bool,
}

impl Export {
    fn options(&self) -> ExportOptions {
        ExportOptions {
            include_non_distributable_layers: self.include_non_distributable_layers,
            version: if self.pre_v0_13 {
                TarVersion::PreV0_13
            } else if self.pre_v0_28 {
                TarVersion::PreV0_28
            } else {
                TarVersion::Current
            },
        }
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// A bundle of N images × M layers × S bytes of incompressible data (streamed)
    Big {
        #[arg(long, default_value_t = 8)]
        images: usize,
        #[arg(long, default_value_t = 4)]
        layers: usize,
        #[arg(long = "layer-size", default_value = "16MiB", value_parser = parse_size)]
        layer_size: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[command(flatten)]
        out: Out,
    },
    /// A bundle whose image has one all-zero layer of SIZE bytes, written as a hole
    Sparse {
        #[arg(long, default_value = "5GiB", value_parser = parse_size)]
        size: u64,
        /// Where to cache the sha256 of the zeros (default: next to the output)
        #[arg(long = "zeros-cache")]
        zeros_cache: Option<PathBuf>,
        #[command(flatten)]
        out: Out,
    },
    /// A kapp-controller package repository bundle with nested package bundles
    PackageRepo {
        /// The tag `-b` named ("" = copied by digest)
        #[arg(long, default_value = "v1.2.0")]
        tag: String,
        /// Add an image with a non-distributable layer
        #[arg(long = "non-distributable")]
        non_distributable: bool,
        /// Add a third nesting level
        #[arg(long)]
        deep: bool,
        #[command(flatten)]
        export: Export,
        #[command(flatten)]
        out: Out,
    },
    /// A package repository of N package bundles x M small images each
    LargePackageRepo {
        #[arg(long, default_value_t = 100)]
        packages: usize,
        #[arg(long = "images-per-package", default_value_t = 10)]
        images_per_package: usize,
        #[arg(long, default_value = "v1.0.0")]
        tag: String,
        #[command(flatten)]
        out: Out,
    },
    /// Release 1 or 2 of a package repository (release 2 changes the first --changed packages)
    PackageRepoRelease {
        #[arg(long, default_value_t = 100)]
        packages: usize,
        #[arg(long = "images-per-package", default_value_t = 1)]
        images_per_package: usize,
        #[arg(long = "layer-size", default_value = "2MiB", value_parser = parse_size)]
        layer_size: u64,
        #[arg(long, default_value_t = 10)]
        changed: usize,
        #[arg(long, default_value_t = 1)]
        release: u32,
        #[command(flatten)]
        out: Out,
    },
    /// A bundle with two images sharing a layer
    SimpleBundle {
        #[arg(long, default_value = "v1.0.0")]
        tag: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[command(flatten)]
        export: Export,
        #[command(flatten)]
        out: Out,
    },
    /// `imgpkg copy -i` of one image, or of a multi-arch index
    Image {
        #[arg(long)]
        index: bool,
        #[arg(long, default_value = "v1")]
        tag: String,
        #[command(flatten)]
        out: Out,
    },
    /// Run the chunk-rules front (testkit `ChunkFront`) on 127.0.0.1 in front of a
    /// registry until killed; prints `{"port": N}` once listening
    ChunkFront {
        /// The registry's port on 127.0.0.1
        #[arg(long)]
        upstream: u16,
        #[arg(long, default_value = "5MiB", value_parser = parse_size)]
        min: u64,
        #[arg(long, default_value = "16MiB", value_parser = parse_size)]
        max: u64,
    },
    /// Run a latency and bandwidth shaping TCP proxy (testkit `ShapingProxy`) on
    /// 127.0.0.1 in front of a port until killed; prints `{"port": N}` once listening
    ShapeProxy {
        /// The port on 127.0.0.1 to relay to
        #[arg(long)]
        upstream: u16,
        /// Round-trip time added, in milliseconds
        #[arg(long = "rtt-ms", default_value_t = 20)]
        rtt_ms: u64,
        /// Bandwidth per direction, in Mbit/s
        #[arg(long, default_value_t = 1000)]
        mbit: u64,
    },
    /// Measure in-memory sha256 throughput (MiB/s), one thread and all cores
    HashSpeed {
        #[arg(long, default_value = "256MiB", value_parser = parse_size)]
        size: u64,
    },
    /// A malformed tar (NAME), or all of them (--all, -o is a directory)
    Bad {
        name: Option<String>,
        #[arg(long)]
        all: bool,
        /// List the case names and the text each must produce
        #[arg(long)]
        list: bool,
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
    },
}

/// `16MiB`, `5GiB`, `512KiB`, `1.5GiB`, `100k`, `1000`.
fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("bad size {s:?}"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        other => return Err(format!("unknown size unit {other:?}")),
    };
    Ok((n * mult as f64).round() as u64)
}

fn root_of(tar: &SynthTar) -> (Option<String>, String) {
    for i in &tar.manifest {
        if let Some(img) = &i.image {
            if img.is_root_bundle() {
                return (Some(img.manifest.digest.clone()), img.tag.clone());
            }
        }
    }
    (None, String::new())
}

fn write(tar: &SynthTar, path: &Path) -> Result<(), String> {
    let start = Instant::now();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    tar.write_to(path)
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    let (root, tag) = root_of(tar);
    eprintln!(
        "gen: wrote {} ({} bytes, {} blobs) in {:.2?}",
        path.display(),
        tar.size(),
        tar.blobs.len(),
        start.elapsed()
    );
    println!(
        "{}",
        serde_json::json!({
            "path": path.display().to_string(),
            "size": tar.size(),
            "blobs": tar.blobs.len(),
            "blob_bytes": tar.blob_bytes(),
            "root_bundle": root,
            "tag": tag,
        })
    );
    Ok(())
}

/// sha256(zeros of `len`), from (or else into) a one-line cache file.
fn zeros_digest_cached(len: u64, cache_dir: &Path) -> Digest {
    let file = cache_dir.join(format!(".zeros-{len}.sha256"));
    if let Ok(text) = std::fs::read_to_string(&file) {
        if let Ok(d) = Digest::parse(text.trim()) {
            return d;
        }
    }
    let start = Instant::now();
    let d = synth::zeros_digest(len);
    eprintln!(
        "gen: sha256 of {len} zero bytes computed in {:.2?}",
        start.elapsed()
    );
    let _ = std::fs::create_dir_all(cache_dir);
    let _ = std::fs::write(&file, format!("{d}\n"));
    d
}

/// Best of five: sha256 of `size` random bytes in memory, on one thread
/// and split over every core.
fn hash_speed(size: u64) {
    let buf = airlock_testkit::random::bytes(1, size as usize);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mib = size as f64 / (1 << 20) as f64;
    let mut one = f64::MAX;
    let mut all = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        std::hint::black_box(Digest::of(&buf));
        one = one.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        std::thread::scope(|s| {
            for part in buf.chunks(buf.len().div_ceil(threads)) {
                s.spawn(move || std::hint::black_box(Digest::of(part)));
            }
        });
        all = all.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{}",
        serde_json::json!({
            "bytes": size,
            "one_thread_mib_s": (mib / one).round(),
            "threads": threads,
            "all_threads_mib_s": (mib / all).round(),
        })
    );
}

fn run() -> Result<(), String> {
    match Cli::parse().command {
        Cmd::ShapeProxy {
            upstream,
            rtt_ms,
            mbit,
        } => {
            let proxy = airlock_testkit::support::ShapingProxy::start(
                upstream,
                airlock_testkit::support::LinkShape {
                    rtt: std::time::Duration::from_millis(rtt_ms),
                    bits_per_second: mbit * 1_000_000,
                },
            );
            println!("{}", serde_json::json!({ "port": proxy.port }));
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
        Cmd::ChunkFront { upstream, min, max } => {
            let front = airlock_testkit::support::ChunkFront::start(upstream, min, max);
            println!("{}", serde_json::json!({ "port": front.port }));
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
        Cmd::Big {
            images,
            layers,
            layer_size,
            seed,
            out,
        } => {
            let start = Instant::now();
            let tar = synth::big_bundle(synth::BigOptions {
                images,
                layers,
                layer_size,
                seed,
            });
            eprintln!("gen: digests computed in {:.2?}", start.elapsed());
            write(&tar, &out.output)
        }
        Cmd::Sparse {
            size,
            zeros_cache,
            out,
        } => {
            let dir = zeros_cache.unwrap_or_else(|| {
                out.output
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| PathBuf::from("."))
            });
            let zeros = zeros_digest_cached(size, &dir);
            write(&synth::sparse_bundle(size, Some(zeros)), &out.output)
        }
        Cmd::PackageRepo {
            tag,
            non_distributable,
            deep,
            export,
            out,
        } => {
            let pr = synth::package_repository(&PackageRepoOptions {
                tag,
                non_distributable,
                deep,
                export: export.options(),
            });
            write(&pr.tar, &out.output)
        }
        Cmd::LargePackageRepo {
            packages,
            images_per_package,
            tag,
            out,
        } => write(
            &synth::large_package_repository(packages, images_per_package, &tag),
            &out.output,
        ),
        Cmd::PackageRepoRelease {
            packages,
            images_per_package,
            layer_size,
            changed,
            release,
            out,
        } => {
            let o = synth::versions::ReleaseOptions {
                packages,
                images_per_package,
                layer_size,
                changed,
                release,
                tag: format!("v{release}.0.0"),
            };
            eprintln!(
                "gen: release {release} changes {} layer bytes over release 1",
                if release >= 2 {
                    synth::versions::changed_layer_bytes(&o)
                } else {
                    0
                }
            );
            write(
                &synth::versions::package_repository_release(&o),
                &out.output,
            )
        }
        Cmd::SimpleBundle {
            tag,
            seed,
            export,
            out,
        } => write(
            &synth::simple_bundle(seed, &tag, export.options()).2,
            &out.output,
        ),
        Cmd::Image { index, tag, out } => write(
            &synth::plain_image(index, &tag, ExportOptions::default()).1,
            &out.output,
        ),
        Cmd::HashSpeed { size } => {
            hash_speed(size);
            Ok(())
        }
        Cmd::Bad {
            name,
            all,
            list,
            output,
        } => {
            if list {
                for (n, text) in synth::BAD_ARCHIVES {
                    println!("{n}\t{text}");
                }
                return Ok(());
            }
            let output = output.ok_or("-o is required")?;
            let names: Vec<&str> = if all {
                std::fs::create_dir_all(&output)
                    .map_err(|e| format!("{}: {e}", output.display()))?;
                synth::BAD_ARCHIVES.iter().map(|(n, _)| *n).collect()
            } else {
                vec![name.as_deref().ok_or("give a case name, --all or --list")?]
            };
            for n in names {
                let bytes = synth::bad_archive(n).ok_or_else(|| format!("no case {n:?}"))?;
                let path = if all {
                    output.join(format!("{n}.tar"))
                } else {
                    output.clone()
                };
                std::fs::write(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
                let expect = synth::BAD_ARCHIVES
                    .iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, t)| *t);
                println!(
                    "{}",
                    serde_json::json!({"path": path.display().to_string(), "size": bytes.len(), "case": n, "expect": expect})
                );
            }
            Ok(())
        }
    }
}

fn main() {
    if let Err(e) = run() {
        eprintln!("gen: error: {e}");
        std::process::exit(1);
    }
}
