//! Which base URL a page talks to for a destination repository.
//!
//! - The registry is the page's own host (`nginx` serving the page and
//!   proxying `/v2/`, see `deploy/nginx/`): the page's origin, so requests are
//!   same-origin and no CORS preflight is involved.
//! - Otherwise ggcr's rule: plain HTTP for localhost, `*.local`, loopback and
//!   RFC 1918 addresses, HTTPS for everything else.

use serde::Serialize;

use crate::reference::{ReferenceError, Repository};

/// A resolved destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// `scheme://host[:port]`, without a trailing slash.
    pub base: String,
    /// `host[:port]` as in the reference.
    pub registry: String,
    /// The repository path (`team/app`, `library/nginx`).
    pub path: String,
    /// The fully qualified repository name (`registry/path`).
    pub name: String,
    /// Whether `base` is the page's own origin.
    pub same_origin: bool,
}

/// Why a destination could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// A tag or digest was given where a repository is expected.
    #[error("'{0}' is a reference, not a repository: remove the tag or digest")]
    Reference(String),
    /// Not a repository name.
    #[error("'{input}' is not a repository: {source}")]
    Repository {
        /// The text given (trimmed).
        input: String,
        /// What is wrong with it.
        source: ReferenceError,
    },
}

/// Resolves `repository` for a page served from `page_origin`
/// (`location.origin`, e.g. `http://127.0.0.1:8080`).
pub fn resolve(repository: &str, page_origin: &str) -> Result<Endpoint, EndpointError> {
    let repository = repository.trim();
    if repository.contains('@') || repository.rsplit('/').next().unwrap_or("").contains(':') {
        return Err(EndpointError::Reference(repository.to_string()));
    }
    let repo = Repository::parse(repository).map_err(|source| EndpointError::Repository {
        input: repository.to_string(),
        source,
    })?;
    let registry = repo.registry();
    let page_host = page_origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'))
        .unwrap_or("");
    let same_origin = !page_host.is_empty() && page_host.eq_ignore_ascii_case(registry.as_str());
    let base = if same_origin {
        page_origin.trim_end_matches('/').to_string()
    } else if registry.is_insecure_by_default() {
        format!("http://{}", registry.as_str())
    } else {
        format!("https://{}", registry.as_str())
    };
    Ok(Endpoint {
        base,
        registry: registry.as_str().to_string(),
        path: repo.path(),
        name: repo.name(),
        same_origin,
    })
}
