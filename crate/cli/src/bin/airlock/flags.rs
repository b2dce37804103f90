//! Registry connection flags (imgpkg's `--registry-*`), shared by copy
//! and pull, and the transport and client they configure.

use std::path::PathBuf;
use std::time::Duration;

use airlock_cli::credentials::keychain_from_environment;
use airlock_cli::transport::{NativeConfig, NativeTransport};
use airlock_core::registry::credentials::GlobalCredentials;
use airlock_core::registry::{Client, ClientConfig, RetryPolicy};
use clap::Args;

use crate::error::CliError;

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
    pub fn transport(&self, workers: usize) -> Result<NativeTransport, CliError> {
        Ok(NativeTransport::new(&NativeConfig {
            ca_cert_paths: self.ca_cert_path.clone(),
            verify_certs: self.verify_certs,
            response_header_timeout: self.response_header_timeout,
            workers,
            ..NativeConfig::default()
        })?)
    }

    pub fn client(&self) -> Result<Client, CliError> {
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
