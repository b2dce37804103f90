//! `airlock receipt REPO… -o receipt.json`: what destination repositories
//! hold, for a later thin export (`airlock copy … --skip-blobs`).

use std::path::PathBuf;

use airlock_core::receipt;
use airlock_core::reference::Repository;
use airlock_core::registry::receipt_walk::ReceiptWalk;
use airlock_core::registry::RegistryError;
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
    receipt::rfc3339(secs)
}

pub fn run(args: &ReceiptArgs) -> Result<i32, CliError> {
    let repos = args
        .repositories
        .iter()
        .map(|r| Repository::parse(r))
        .collect::<Result<Vec<_>, _>>()?;
    let workers = args.concurrency.max(1);
    let transport = args.registry.transport(workers + 2)?;
    let client = args.registry.client()?;
    let mut walk = ReceiptWalk::new(client, &repos, &created_at(), workers);
    transport
        .drive(&mut walk, &mut |_| {})
        .map_err(RegistryError::from)?;
    let r = walk
        .take_result()
        .unwrap_or(Err(receipt::ReceiptError::NoRepository))
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
        use airlock_core::receipt::rfc3339;
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_170_332), "2026-12-02T00:12:12Z");
    }
}
