//! `airlock copy`: imgpkg's `copy` flags and messages.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use airlock_cli::source::{block_on, FileSource};
use airlock_cli::transport::{keychain_from_environment, run_copy, NativeConfig, NativeTransport};
use airlock_core::archive::Archive;
use airlock_core::planner::{self, PlanOptions, PlanOutput};
use airlock_core::reference::Repository;
use airlock_core::registry::credentials::GlobalCredentials;
use airlock_core::registry::{Client, ClientConfig, CopyOptions, CopySession, RetryPolicy};
use airlock_core::verify;
use clap::Args;

use crate::cli::Failure;
use crate::progress::Progress;

/// Registry connection flags (imgpkg's `--registry-*`), shared by copy and pull.
#[derive(Args, Clone, Debug, Default)]
pub struct RegistryFlags {
    /// Username for all registries (env IMGPKG_USERNAME)
    #[arg(long = "registry-username", env = "IMGPKG_USERNAME")]
    pub username: Option<String>,
    /// Password for all registries (env IMGPKG_PASSWORD)
    #[arg(
        long = "registry-password",
        env = "IMGPKG_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,
    /// Bearer token for all registries (env IMGPKG_TOKEN)
    #[arg(long = "registry-token", env = "IMGPKG_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Anonymous access (env IMGPKG_ANON)
    #[arg(long = "registry-anon", env = "IMGPKG_ANON")]
    pub anon: bool,
    /// Allow plain HTTP to registries
    #[arg(long = "registry-insecure")]
    pub insecure: bool,
    /// Extra CA certificate (PEM) to trust; repeatable
    #[arg(long = "registry-ca-cert-path")]
    pub ca_cert_path: Vec<PathBuf>,
    /// Verify TLS certificates
    #[arg(long = "registry-verify-certs", default_value_t = true, action = clap::ArgAction::Set)]
    pub verify_certs: bool,
    /// Tries per request (retries on network errors, 5xx, 429)
    #[arg(long = "registry-retry-count", default_value_t = 5)]
    pub retry_count: u32,
    /// Timeout for response headers, e.g. 30s, 2m
    #[arg(long = "registry-response-header-timeout", default_value = "30s", value_parser = parse_duration)]
    pub response_header_timeout: Duration,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map(|i| s.split_at(i))
        .unwrap_or((s, "s"));
    let n: f64 = num
        .parse()
        .map_err(|_| format!("invalid duration '{s}' (expected e.g. 30s, 500ms, 2m)"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => {
            return Err(format!(
                "invalid duration unit in '{s}' (use ms, s, m or h)"
            ))
        }
    };
    Ok(Duration::from_secs_f64(secs))
}

impl RegistryFlags {
    pub fn transport(&self, workers: usize) -> Result<NativeTransport, Failure> {
        Ok(NativeTransport::new(&NativeConfig {
            ca_cert_paths: self.ca_cert_path.clone(),
            verify_certs: self.verify_certs,
            response_header_timeout: self.response_header_timeout,
            workers,
            ..NativeConfig::default()
        })?)
    }

    pub fn client(&self) -> Result<Client, Failure> {
        let keychain = keychain_from_environment(GlobalCredentials {
            username: self.username.clone(),
            password: self.password.clone(),
            token: self.token.clone(),
            anon: self.anon,
        })?;
        Ok(Client::new(
            ClientConfig {
                retry: RetryPolicy {
                    max_tries: self.retry_count.max(1),
                    ..RetryPolicy::default()
                },
                insecure: self.insecure,
                ..ClientConfig::default()
            },
            Box::new(keychain),
        ))
    }
}

#[derive(Args, Debug)]
pub struct CopyArgs {
    /// Bundle reference to copy, with every image it references (recursively)
    #[arg(short = 'b', long = "bundle")]
    pub bundle: Option<String>,
    /// Image (or index) reference to copy
    #[arg(short = 'i', long = "image")]
    pub image: Option<String>,
    /// BundleLock or ImagesLock file to copy from
    #[arg(long = "lock")]
    pub lock: Option<PathBuf>,
    /// Tarball to copy from (made by `imgpkg copy … --to-tar` or `airlock copy … --to-tar`)
    #[arg(long = "tar")]
    pub tar: Option<PathBuf>,
    /// Destination repository, e.g. registry.corp/apps/name
    #[arg(long = "to-repo")]
    pub to_repo: Option<String>,
    /// Destination tarball
    #[arg(long = "to-tar")]
    pub to_tar: Option<PathBuf>,
    /// Write a BundleLock or ImagesLock for the destination
    #[arg(long = "lock-output")]
    pub lock_output: Option<PathBuf>,
    /// Operations in flight at once
    #[arg(long = "concurrency", default_value_t = 5)]
    pub concurrency: usize,
    /// Also copy non-distributable (foreign) layers
    #[arg(long = "include-non-distributable-layers")]
    pub include_non_distributable_layers: bool,
    /// Upload tags derived from the source repository path
    #[arg(long = "repo-based-tags")]
    pub repo_based_tags: bool,
    /// Also copy cosign signatures (`sha256-<hex>.sig` tags)
    #[arg(long = "cosign-signatures")]
    pub cosign_signatures: bool,
    /// Keep layers already present and valid in the --to-tar file
    #[arg(long = "resume")]
    pub resume: bool,
    /// Thin export: leave out the layers this receipt or earlier tar says the destination has (repeatable)
    #[arg(long = "skip-blobs", value_name = "FILE")]
    pub skip_blobs: Vec<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryFlags,
}

impl CopyArgs {
    /// imgpkg's source and destination rules, with its messages.
    fn validate(&self) -> Result<(), Failure> {
        let sources = [
            self.bundle.is_some(),
            self.image.is_some(),
            self.lock.is_some(),
            self.tar.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            return Err(Failure(
                "Expected either --lock, --bundle (-b), --image (-i), or --tar as a source".into(),
            ));
        }
        if self.to_repo.is_some() == self.to_tar.is_some() {
            return Err(Failure("Expected either --to-tar or --to-repo".into()));
        }
        if self.tar.is_some() && self.to_tar.is_some() {
            return Err(Failure(
                "Cannot use tar source (--tar) with tar destination (--to-tar)".into(),
            ));
        }
        if self.to_tar.is_some() && self.lock_output.is_some() {
            return Err(Failure(
                "Cannot output lock file with tar destination".into(),
            ));
        }
        if self.resume && self.to_tar.is_none() {
            return Err(Failure(
                "Flag --resume can only be used when copying to tar".into(),
            ));
        }
        if !self.skip_blobs.is_empty() && self.to_tar.is_none() {
            return Err(Failure(
                "Flag --skip-blobs can only be used when copying to tar".into(),
            ));
        }
        if self.concurrency == 0 {
            return Err(Failure("--concurrency must be at least 1".into()));
        }
        Ok(())
    }

    pub fn plan_options(&self) -> PlanOptions {
        PlanOptions {
            repo_based_tags: self.repo_based_tags,
            include_non_distributable_layers: self.include_non_distributable_layers,
        }
    }
}

pub fn run(args: &CopyArgs) -> Result<i32, Failure> {
    args.validate()?;
    match (&args.tar, &args.to_repo) {
        (Some(tar), Some(repo)) => tar_to_repo(args, tar, repo),
        _ => crate::copy_registry::run(args),
    }
}

/// Prints imgpkg's warnings with its `copy | ` prefix.
pub fn print_warnings(out: &PlanOutput) {
    print_warnings_list(&out.warnings);
}

pub fn print_warnings_list(warnings: &[String]) {
    for w in warnings {
        eprintln!("copy | {}", w.replace('\n', "\n       "));
    }
}

/// Writes a lock file as imgpkg does (mode 0600).
pub fn write_lock(path: &Path, contents: &str) -> Result<(), Failure> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts
        .open(path)
        .map_err(|e| Failure(format!("Writing lock file '{}': {e}", path.display())))?;
    f.write_all(contents.as_bytes())
        .map_err(|e| Failure(format!("Writing lock file '{}': {e}", path.display())))?;
    Ok(())
}

/// Pushes a plan with progress, then writes the lock output.
pub fn push_plan(
    args: &CopyArgs,
    out: &PlanOutput,
    transport: &NativeTransport,
) -> Result<(), Failure> {
    let started = Instant::now();
    // Refuse before pushing anything when the asked-for lock cannot be written.
    if let (Some(_), Err(e)) = (&args.lock_output, &out.lock_output) {
        return Err(Failure(e.clone()));
    }
    let client = args.registry.client()?;
    let mut session = CopySession::new(
        client,
        out.plan.clone(),
        CopyOptions {
            concurrency: args.concurrency,
            ..CopyOptions::default()
        },
    );
    let total_bytes: u64 = out
        .plan
        .unique_blobs()
        .iter()
        .filter(|b| !matches!(b.source, airlock_core::plan::BlobSource::Skip))
        .map(|b| b.size)
        .sum();
    let items = out.plan.items.len();
    eprintln!("copy | importing {items} images...");
    let mut progress = Progress::new(std::io::stderr().is_terminal(), total_bytes);
    let result = run_copy(transport, &mut session, &mut |e| progress.event(&e));
    progress.finish();
    let summary = result.map_err(|e| Failure(e.to_string()))?;
    eprintln!("copy | done uploading images");
    print_warnings(out);
    if let (Some(path), Ok(lock)) = (&args.lock_output, &out.lock_output) {
        write_lock(path, lock)?;
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "copy | {} items pushed, {} already there; blobs: {} sent, {} present, {} mounted; {} in {:.1}s ({}/s); {} requests",
        summary.items_pushed,
        summary.items_skipped,
        summary.blobs_uploaded,
        summary.blobs_present,
        summary.blobs_mounted,
        airlock_core::inspect::human_size(summary.bytes_uploaded),
        secs,
        airlock_core::inspect::human_size((summary.bytes_uploaded as f64 / secs.max(1e-3)) as u64),
        summary.requests
    );
    Ok(())
}

fn tar_to_repo(args: &CopyArgs, tar: &Path, repo: &str) -> Result<i32, Failure> {
    let repo = Repository::parse(repo)?;
    let src =
        FileSource::open(tar).map_err(|e| Failure(format!("opening {}: {e}", tar.display())))?;
    let mut archive = block_on(Archive::open(&src))
        .map_err(|e| Failure(format!("reading {}: {e}", tar.display())))?;
    let omitted = block_on(airlock_core::thin::read_omitted(
        &src,
        &archive,
        &tar.display().to_string(),
    ))?;
    // Validation before any request: a tar that fails it pushes nothing.
    let mut problems = verify::structural(&archive);
    if let Some(o) = &omitted {
        problems = airlock_core::thin::filter_problems(&archive, o, problems);
    }
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
        return Err(Failure(format!(
            "{} is not a sound imgpkg tarball ({} problem(s)); nothing was pushed:\n{}",
            tar.display(),
            problems.len(),
            list.join("\n")
        )));
    }
    let transport = args
        .registry
        .transport(args.concurrency + 2)?
        .with_tar_path(tar)?;
    if let Some(o) = &omitted {
        // A thin tar: every omitted layer must already be in the registry.
        let found = crate::thin::check_import(&args.registry, &transport, tar, o, &repo)?;
        airlock_core::thin::resolve(&mut archive.set, &found);
    }
    let out = planner::plan(&archive.set, &repo, args.plan_options())?;
    push_plan(args, &out, &transport)?;
    eprintln!("Succeeded");
    Ok(0)
}
