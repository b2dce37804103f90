//! Checks a fetched manifest body (`GET` of a manifest, by `GetManifest`
//! and by `HeadManifest`'s fallback): its digest, and its media type.

use crate::digest::Digest;
use crate::manifest::media_type;

use super::error::RegistryError;
use super::http::HttpResponse;
use super::op::{display_ref, FetchedManifest};
use crate::reference::Repository;

/// What a fetched manifest body is checked against.
#[derive(Debug, Clone, Copy)]
pub enum Verify {
    /// Fetched by digest: the body must hash to it.
    Digest(Digest),
    /// Fetched by tag: the body must hash to `Docker-Content-Digest` if sent.
    HeaderIfPresent,
}

impl Verify {
    /// By digest when `reference` is one, else by the header.
    pub fn for_reference(reference: &str) -> Verify {
        match Digest::parse(reference) {
            Ok(d) => Verify::Digest(d),
            Err(_) => Verify::HeaderIfPresent,
        }
    }
}

/// [`verify_manifest_body`] for a manifest fetched from `repository` by
/// `reference` (a tag, or a digest the body must hash to).
pub fn verify_fetched(
    repository: &Repository,
    reference: &str,
    resp: &HttpResponse,
) -> Result<FetchedManifest, RegistryError> {
    let display = display_ref(repository, reference);
    verify_manifest_body(&display, Verify::for_reference(reference), resp)
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
        Verify::HeaderIfPresent => resp.content_digest(),
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
    let header = resp.media_type();
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
