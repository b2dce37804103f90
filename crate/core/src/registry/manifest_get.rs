//! Fetch a manifest: `GET /v2/<repo>/manifests/<ref>` with `Accept` listing
//! every manifest type, and verify the body's digest (against the digest
//! reference, or against `Docker-Content-Digest` for a tag).
//!
//! ```text
//!  GET ──200──> verify digest ──ok──> Some(manifest)
//!    │              └─mismatch──> DigestMismatch
//!    │ 404 ──> None
//!    └ else ──> error
//! ```

use crate::digest::Digest;
use crate::manifest::media_type::{self, ACCEPT_MANIFESTS};
use crate::reference::Repository;

use super::auth::repository_scope;
use super::error::RegistryError;
use super::http::{HttpResponse, Method, TransportError};
use super::manifest_head::display_ref;
use super::op::{
    manifest_path, FetchedManifest, OpOutput, OpRequest, Operation, Target, MAX_MANIFEST_BYTES,
};

/// `GET` a manifest by tag or digest.
#[derive(Debug)]
pub struct GetManifest {
    repository: Repository,
    reference: String,
    actions: &'static str,
    sent: bool,
    output: Option<Result<OpOutput, RegistryError>>,
}

impl GetManifest {
    pub fn new(
        repository: Repository,
        reference: impl Into<String>,
        actions: &'static str,
    ) -> Self {
        GetManifest {
            repository,
            reference: reference.into(),
            actions,
            sent: false,
            output: None,
        }
    }
}

impl Operation for GetManifest {
    fn repository(&self) -> &Repository {
        &self.repository
    }

    fn scopes(&self) -> Vec<String> {
        vec![repository_scope(&self.repository, self.actions)]
    }

    fn poll_transmit(&mut self) -> Option<OpRequest> {
        if self.sent || self.output.is_some() {
            return None;
        }
        self.sent = true;
        Some(
            OpRequest::new(
                Method::Get,
                Target::Path(manifest_path(&self.repository, &self.reference)),
            )
            .header("Accept", ACCEPT_MANIFESTS)
            .max_response_body(MAX_MANIFEST_BYTES),
        )
    }

    fn handle_response(&mut self, url: &str, response: Result<HttpResponse, TransportError>) {
        let out = match response {
            Err(e) => Err(RegistryError::transport(Method::Get, url, e)),
            Ok(r) if r.status == 404 => Ok(None),
            Ok(r) if r.status == 200 => {
                let verify = match Digest::parse(&self.reference) {
                    Ok(d) => Verify::Digest(d),
                    Err(_) => Verify::HeaderIfPresent,
                };
                verify_manifest_body(&display_ref(&self.repository, &self.reference), verify, &r)
                    .map(Some)
            }
            Ok(r) => Err(RegistryError::from_response(Method::Get, url, &r)),
        };
        self.output = Some(out.map(OpOutput::Manifest));
    }

    fn poll_output(&mut self) -> Option<Result<OpOutput, RegistryError>> {
        self.output.take()
    }
}

/// What a fetched manifest body is checked against.
#[derive(Debug, Clone, Copy)]
pub enum Verify {
    /// Fetched by digest: the body must hash to it.
    Digest(Digest),
    /// Fetched by tag: the body must hash to `Docker-Content-Digest` if sent.
    HeaderIfPresent,
}

/// Checks a `200` manifest body and works out its media type
/// (`Content-Type`, else the body's `mediaType`, else a guess).
pub fn verify_manifest_body(
    reference: &str,
    verify: Verify,
    resp: &HttpResponse,
) -> Result<FetchedManifest, RegistryError> {
    let actual = Digest::of(&resp.body);
    let expected = match verify {
        Verify::Digest(d) => Some(d),
        Verify::HeaderIfPresent => resp
            .header("docker-content-digest")
            .and_then(|d| Digest::parse(d.trim()).ok()),
    };
    if let Some(expected) = expected {
        if expected != actual {
            return Err(RegistryError::DigestMismatch {
                reference: reference.to_string(),
                expected,
                actual,
            });
        }
    }
    Ok(FetchedManifest {
        media_type: manifest_media_type(resp),
        raw: resp.body.clone(),
        digest: actual,
    })
}

fn manifest_media_type(resp: &HttpResponse) -> String {
    let header = resp
        .header("content-type")
        .map(|s| s.split(';').next().unwrap_or("").trim().to_string())
        .unwrap_or_default();
    if header.starts_with("application/vnd.") {
        return header;
    }
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(rename = "mediaType", default)]
        media_type: Option<String>,
        #[serde(default)]
        manifests: Option<serde_json::Value>,
        #[serde(rename = "schemaVersion", default)]
        schema_version: Option<u64>,
    }
    match serde_json::from_slice::<Probe>(&resp.body) {
        Ok(Probe {
            media_type: Some(mt),
            ..
        }) if !mt.is_empty() => mt,
        Ok(Probe {
            manifests: Some(_), ..
        }) => media_type::OCI_INDEX.to_string(),
        Ok(Probe {
            schema_version: Some(1),
            ..
        }) => media_type::DOCKER_SCHEMA1_SIGNED.to_string(),
        _ if !header.is_empty() => header,
        _ => media_type::OCI_MANIFEST.to_string(),
    }
}
