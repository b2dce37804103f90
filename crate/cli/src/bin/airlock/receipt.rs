//! `airlock receipt REPO… -o receipt.json`: what destination repositories
//! hold, for a later thin export (`airlock copy … --skip-blobs`).

use std::path::PathBuf;

use airlock_cli::credentials::keychain_from_environment;
use airlock_cli::source::block_on;
use airlock_cli::transport::{run_read, NativeTransport};
use airlock_core::receipt::{self, ReceiptReader};
use airlock_core::reference::{Reference, Repository};
use airlock_core::registry::credentials::{CredentialChain, GlobalCredentials};
use airlock_core::registry::op::FetchedManifest;
use airlock_core::registry::read::{Read, ReadOutput};
use airlock_core::registry::{Client, ClientConfig, RegistryError, RetryPolicy};
use clap::Args;

use crate::error::CliError;
use crate::flags::RegistryFlags;

#[derive(Args, Debug)]
pub struct ReceiptArgs {
    /// Destination repositories to record (one registry), e.g. registry.corp/apps/name
    #[arg(required = true)]
    pub repositories: Vec<String>,
    /// Where to write the receipt ("-" = stdout)
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Manifests fetched at once
    #[arg(long = "concurrency", default_value_t = 8)]
    pub concurrency: usize,
    #[command(flatten)]
    pub registry: RegistryFlags,
}

/// Lists tags with one client; fetches each batch of manifests on worker
/// threads, one client per thread (clients are not `Send`).
struct Reader<'t> {
    transport: &'t NativeTransport,
    flags: &'t RegistryFlags,
    keychain: &'t CredentialChain,
    workers: usize,
    client: Option<Client>,
}

fn unexpected(o: ReadOutput) -> RegistryError {
    RegistryError::unexpected(&o, "reading for a receipt")
}

/// A client like `RegistryFlags::client`, from credentials read once.
fn make_client(flags: &RegistryFlags, keychain: &CredentialChain) -> Client {
    Client::new(
        ClientConfig {
            retry: RetryPolicy {
                max_tries: flags.retry_count.max(1),
                ..RetryPolicy::default()
            },
            insecure: flags.insecure,
            ..ClientConfig::default()
        },
        Box::new(keychain.clone()),
    )
}

impl Reader<'_> {
    fn run(
        transport: &NativeTransport,
        slot: &mut Option<Client>,
        make: impl FnOnce(Client) -> Read,
    ) -> Result<ReadOutput, RegistryError> {
        let mut read = make(slot.take().expect("client between reads"));
        let r = run_read(transport, &mut read);
        *slot = Some(read.into_client());
        r
    }
}

impl ReceiptReader for Reader<'_> {
    async fn list_tags(&mut self, repository: &Repository) -> Result<Vec<String>, RegistryError> {
        match Reader::run(self.transport, &mut self.client, |c| {
            Read::list_tags(c, repository)
        })? {
            ReadOutput::Tags(t) => Ok(t),
            o => Err(unexpected(o)),
        }
    }

    async fn fetch_manifests(
        &mut self,
        references: &[Reference],
    ) -> Vec<Result<Option<FetchedManifest>, RegistryError>> {
        let workers = self.workers.min(references.len()).max(1);
        let chunk = references.len().div_ceil(workers).max(1);
        let transport = self.transport;
        let flags = self.flags;
        let keychain = self.keychain;
        let mut out = Vec::with_capacity(references.len());
        std::thread::scope(|s| {
            let handles: Vec<_> = references
                .chunks(chunk)
                .map(|refs| {
                    s.spawn(move || {
                        let mut slot = Some(make_client(flags, keychain));
                        refs.iter()
                            .map(|r| {
                                match Reader::run(transport, &mut slot, |c| {
                                    Read::fetch_image(c, r, false)
                                }) {
                                    Ok(ReadOutput::Image(i)) => Ok(i.map(|i| i.manifest)),
                                    Ok(o) => Err(unexpected(o)),
                                    Err(e) => Err(e),
                                }
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for h in handles {
                out.extend(h.join().expect("receipt worker panicked"));
            }
        });
        out
    }
}

/// Now as RFC 3339 UTC; `SOURCE_DATE_EPOCH` (seconds) overrides it, for
/// reproducible receipts.
fn created_at() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        });
    rfc3339(secs)
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (civil-from-days).
fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

pub fn run(args: &ReceiptArgs) -> Result<i32, CliError> {
    let repos = args
        .repositories
        .iter()
        .map(|r| Repository::parse(r))
        .collect::<Result<Vec<_>, _>>()?;
    let workers = args.concurrency.max(1);
    let transport = args.registry.transport(workers + 2)?;
    let keychain = keychain_from_environment(GlobalCredentials {
        username: args.registry.username.clone(),
        password: args.registry.password.clone(),
        token: args.registry.token.clone(),
        anon: args.registry.anon,
    })?;
    let mut reader = Reader {
        transport: &transport,
        flags: &args.registry,
        keychain: &keychain,
        workers,
        client: Some(make_client(&args.registry, &keychain)),
    };
    let r = block_on(receipt::walk(&mut reader, &repos, &created_at()))
        .map_err(crate::thin::ThinCliError::from)?;
    let json = r.to_json();
    if args.output.as_os_str() == "-" {
        return crate::output::emit(&json);
    }
    std::fs::write(&args.output, &json).map_err(|source| CliError::Create {
        path: args.output.display().to_string(),
        source,
    })?;
    let c = r.counts();
    eprintln!(
        "receipt | {}: {} repositories, {} tags, {} manifests, {} blobs ({}), {} bytes",
        args.output.display(),
        c.repositories,
        c.tags,
        c.manifests,
        c.blobs,
        airlock_core::inspect::human_size(c.blob_bytes),
        json.len()
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_known_instants() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(super::rfc3339(1_796_170_332), "2026-12-02T00:12:12Z");
    }
}
