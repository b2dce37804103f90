//! Connection settings and the `ureq` agent built from them: extra CA
//! certificates on top of the system roots, `--registry-verify-certs`,
//! timeouts, no redirects.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use ureq::Agent;

/// Connection settings (imgpkg's `--registry-*` flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeConfig {
    /// Extra CA certificates (PEM files), added to the system roots.
    pub ca_cert_paths: Vec<PathBuf>,
    /// `--registry-verify-certs` (default true).
    pub verify_certs: bool,
    /// `--registry-response-header-timeout` (default 30 s).
    pub response_header_timeout: Duration,
    /// Connection setup timeout.
    pub connect_timeout: Duration,
    /// Worker threads (requests performed at once). The machine limits its
    /// own concurrency; this only needs to be a little above it.
    pub workers: usize,
}

impl Default for NativeConfig {
    fn default() -> Self {
        NativeConfig {
            ca_cert_paths: Vec::new(),
            verify_certs: true,
            response_header_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(30),
            workers: 8,
        }
    }
}

/// Setting up the transport failed.
#[derive(Debug, thiserror::Error)]
pub enum NativeSetupError {
    #[error("Reading CA certificates from '{path}': {source}")]
    ReadCa {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("Adding CA certificates from '{0}': failed")]
    AddCa(String),
    #[error("opening {path}: {source}")]
    OpenTar {
        path: String,
        #[source]
        source: io::Error,
    },
}

/// Where system CA bundles usually are.
const SYSTEM_CA_FILES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

fn load_pem(path: &Path) -> Result<Vec<Certificate<'static>>, NativeSetupError> {
    let text = std::fs::read(path).map_err(|source| NativeSetupError::ReadCa {
        path: path.display().to_string(),
        source,
    })?;
    Ok(ureq::tls::parse_pem(&text)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(c)) => Some(c.to_owned()),
            _ => None,
        })
        .collect())
}

/// The `ureq` agent for `config`: statuses are not errors, redirects are
/// not followed (the core follows them), CA files are added to the system
/// roots.
pub(super) fn agent(config: &NativeConfig) -> Result<Agent, NativeSetupError> {
    let mut tls = TlsConfig::builder();
    if !config.verify_certs {
        tls = tls.disable_verification(true);
    }
    if !config.ca_cert_paths.is_empty() {
        let mut roots = Vec::new();
        for sys in SYSTEM_CA_FILES {
            if let Ok(certs) = load_pem(Path::new(sys)) {
                if !certs.is_empty() {
                    roots.extend(certs);
                    break;
                }
            }
        }
        for p in &config.ca_cert_paths {
            let certs = load_pem(p)?;
            if certs.is_empty() {
                return Err(NativeSetupError::AddCa(p.display().to_string()));
            }
            roots.extend(certs);
        }
        tls = tls.root_certs(RootCerts::Specific(Arc::new(roots)));
    }
    let agent: Agent = Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(config.connect_timeout))
        .timeout_recv_response(Some(config.response_header_timeout))
        .tls_config(tls.build())
        .build()
        .into();
    Ok(agent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::NativeTransport;

    #[test]
    fn missing_ca_file_is_reported() {
        let e = NativeTransport::new(&NativeConfig {
            ca_cert_paths: vec![PathBuf::from("/nonexistent/ca.pem")],
            ..NativeConfig::default()
        })
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Reading CA certificates from '/nonexistent/ca.pem': "),
            "{e}"
        );
    }
}
