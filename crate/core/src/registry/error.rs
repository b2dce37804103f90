//! Registry errors, keeping the distribution spec's error envelope
//! (`{"errors":[{"code","message","detail"}]}`) when the registry sent one.

use std::fmt;

use crate::digest::Digest;
use crate::manifest::ManifestError;

use super::auth::AuthError;
use super::http::{status_text, HttpResponse, Method, TransportError};

/// How much of a non-JSON error body is kept for the message.
const MAX_BODY_TEXT: usize = 512;

/// One entry of the error envelope.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct ApiError {
    /// The spec's error code (`MANIFEST_UNKNOWN`, `BLOB_UNKNOWN`, `DENIED`, `TAG_INVALID`, ...), as
    /// sent.
    pub code: String,
    /// The registry's human-readable message ("" when absent).
    #[serde(default)]
    pub message: String,
    /// The registry's `detail`, any JSON, when present.
    #[serde(default)]
    pub detail: Option<serde_json::Value>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

#[derive(serde::Deserialize)]
struct Envelope {
    #[serde(default)]
    errors: Vec<ApiError>,
}

/// Decodes an error envelope; `None` when the body is not one.
pub fn parse_error_envelope(body: &[u8]) -> Option<Vec<ApiError>> {
    let env: Envelope = serde_json::from_slice(body).ok()?;
    if env.errors.is_empty() {
        None
    } else {
        Some(env.errors)
    }
}

fn join_api_errors(errors: &[ApiError]) -> String {
    match errors {
        [one] => one.to_string(),
        many => format!(
            "multiple errors returned: {}",
            many.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

fn reason(status: &u16) -> String {
    let t = status_text(*status);
    if t.is_empty() {
        String::new()
    } else {
        format!(" {t}")
    }
}

fn body_suffix(method: &Method, body: &str) -> String {
    if !body.is_empty() {
        format!(": {body}")
    } else if *method == Method::Head {
        " (HEAD responses have no body, use GET for details)".to_string()
    } else {
        String::new()
    }
}

/// A failed registry interaction.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RegistryError {
    /// The registry answered with an error envelope.
    #[error("{method} {url}: {}", join_api_errors(errors))]
    Api {
        /// The request's method.
        method: Method,
        /// The request's URL, with secret-bearing query values removed.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The envelope's entries, in the order sent.
        errors: Vec<ApiError>,
    },
    /// The registry answered with an unexpected status and no envelope.
    #[error(
        "{method} {url}: unexpected status code {status}{}{}",
        reason(status),
        body_suffix(method, body)
    )]
    Status {
        /// The request's method.
        method: Method,
        /// The request's URL, redacted.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of the body as text (truncated).
        body: String,
    },
    /// The request did not get an HTTP answer.
    #[error("{method} {url}: {source}")]
    Transport {
        /// The request's method.
        method: Method,
        /// The request's URL, redacted.
        url: String,
        /// What the transport reported.
        #[source]
        source: TransportError,
    },
    /// The keychain could not give credentials for the registry.
    #[error("authenticating to {registry}: {source}")]
    Credentials {
        /// The registry (`host[:port]`).
        registry: String,
        /// Why the keychain failed.
        #[source]
        source: Box<AuthError>,
    },
    /// The token endpoint gave no HTTP answer.
    #[error("authenticating to {registry}: fetching token from {realm}: {source}")]
    TokenTransport {
        /// The registry (`host[:port]`).
        registry: String,
        /// The token endpoint (the `realm` of the challenge).
        realm: String,
        /// What the transport reported.
        #[source]
        source: TransportError,
    },
    /// The token endpoint answered 200 with an unusable body.
    #[error("authenticating to {registry}: token from {realm}: {source}")]
    TokenResponse {
        /// The registry (`host[:port]`).
        registry: String,
        /// The token endpoint.
        realm: String,
        /// What is wrong with the body.
        #[source]
        source: Box<AuthError>,
    },
    /// The token endpoint refused (`source` is its answer); `hint` says
    /// what that usually means (empty when it means nothing special).
    #[error("authenticating to {registry}: {hint}{source}")]
    TokenRefused {
        /// The registry (`host[:port]`).
        registry: String,
        /// What the refusal usually means (wrong credentials, no access to the repository), or "".
        hint: &'static str,
        /// The token endpoint's answer as a registry error.
        #[source]
        source: Box<RegistryError>,
    },
    /// Content fetched by digest (or announced by `Docker-Content-Digest`)
    /// does not hash to the expected digest.
    #[error("manifest digest mismatch for {reference}: expected {expected}, got content with digest {actual}")]
    DigestMismatch {
        /// The reference fetched (`REPO@sha256:...`).
        reference: String,
        /// The digest asked for or announced.
        expected: Digest,
        /// The digest of the bytes received.
        actual: Digest,
    },
    /// The registry stored a pushed manifest under another digest.
    #[error("registry reported Docker-Content-Digest {actual} for {reference}, but {expected} was pushed")]
    PushedDigestMismatch {
        /// The reference pushed.
        reference: String,
        /// The digest of the bytes pushed.
        expected: Digest,
        /// The `Docker-Content-Digest` the registry answered with, as sent.
        actual: String,
    },
    /// An upload answer without the `Location` to continue at.
    #[error("{url}: upload response {status} has no Location header")]
    MissingLocation {
        /// The request's URL, redacted.
        url: String,
        /// The status of the answer.
        status: u16,
    },
    /// `tags/list` answered 200 with a body that is not a tag list.
    #[error("GET {url}: tag list is not valid JSON: {detail}")]
    InvalidTagList {
        /// The request's URL, redacted.
        url: String,
        /// The JSON parser's error.
        detail: String,
    },
    /// A fetched manifest does not parse.
    #[error(transparent)]
    InvalidManifest(#[from] ManifestError),
    /// Reading an existing locations image failed (imgpkg's wording).
    #[error("Fetching location image: {0}")]
    LocationsFetch(#[source] Box<RegistryError>),
    /// The locations image is an index (imgpkg's wording).
    #[error("Expected locations OCI Image to only have a single layer, got an index")]
    LocationsIsIndex,
    /// The locations image has not exactly one layer (imgpkg's wording).
    #[error("Expected locations OCI Image to only have a single layer, got {0}")]
    LocationsLayerCount(usize),
    /// The locations image's layer is not a Docker layer (imgpkg's wording).
    #[error("Expected layer to have docker layer media type, was {0}")]
    LocationsLayerMediaType(String),
    /// Every scheme of a ping failed: the last error, and the one before.
    #[error("{last} (and before that: {earlier})")]
    PingFailed {
        /// The last scheme's error (`http` after `https`).
        last: Box<RegistryError>,
        /// The error of the scheme tried before it.
        #[source]
        earlier: Box<RegistryError>,
    },
    /// An operation finished with an output its caller did not ask for
    /// (a bug); `context` says what was being done.
    #[error("unexpected operation output {output} {context}")]
    UnexpectedOutput {
        /// The output received, for the message.
        output: String,
        /// What was being done.
        context: String,
    },
    /// A state machine stopped without a result (a bug); `what` names it.
    #[error("{what} ended without a result")]
    NoResult {
        /// The machine that stopped.
        what: &'static str,
    },
    /// The driver stopped a machine that had nothing in flight and
    /// nothing scheduled (a bug).
    #[error("internal error: the registry session stalled (nothing in flight, nothing scheduled)")]
    Stalled,
    /// The operation was cancelled.
    #[error("cancelled")]
    Cancelled,
}

impl RegistryError {
    /// Builds the error for an unexpected response.
    pub fn from_response(method: Method, url: &str, response: &HttpResponse) -> RegistryError {
        if let Some(errors) = parse_error_envelope(&response.body) {
            return RegistryError::Api {
                method,
                url: redact_url(url),
                status: response.status,
                errors,
            };
        }
        let text = String::from_utf8_lossy(&response.body);
        let text = text.trim();
        let body = if text.len() > MAX_BODY_TEXT {
            let mut end = MAX_BODY_TEXT;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}...", &text[..end])
        } else {
            text.to_string()
        };
        RegistryError::Status {
            method,
            url: redact_url(url),
            status: response.status,
            body,
        }
    }

    /// A [`RegistryError::Transport`] for `method url`, with the URL redacted.
    pub fn transport(method: Method, url: &str, source: TransportError) -> RegistryError {
        RegistryError::Transport {
            method,
            url: redact_url(url),
            source,
        }
    }

    /// The HTTP status, when the registry answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            RegistryError::Api { status, .. } | RegistryError::Status { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// The envelope's error codes.
    pub fn codes(&self) -> Vec<&str> {
        match self {
            RegistryError::Api { errors, .. } => errors.iter().map(|e| e.code.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// Whether the envelope has an entry with exactly this code.
    pub fn has_code(&self, code: &str) -> bool {
        self.codes().contains(&code)
    }

    /// The envelope's entries (code, message, detail), when the registry
    /// sent one.
    pub fn api_errors(&self) -> &[ApiError] {
        match self {
            RegistryError::Api { errors, .. } => errors,
            _ => &[],
        }
    }

    /// 401 or 403, or authentication failed: the credentials were refused
    /// or lack permission.
    pub fn is_denied(&self) -> bool {
        matches!(self.status(), Some(401 | 403))
            || matches!(
                self,
                RegistryError::Credentials { .. }
                    | RegistryError::TokenTransport { .. }
                    | RegistryError::TokenResponse { .. }
                    | RegistryError::TokenRefused { .. }
            )
    }

    /// A manifest `PUT` refused because the tag is immutable (imgpkg then
    /// accepts an existing locations image). Decided from the answer:
    ///
    /// - an envelope code that registries use for it: `TAG_INVALID` (ECR,
    ///   Distribution-based registries, HTTP 400) or `PRECONDITION` with
    ///   HTTP 412 (Harbor's tag immutability rules);
    /// - last resort, for registries whose answer carries no such code (a
    ///   generic code like `DENIED`, or no envelope at all): the envelope's
    ///   messages and details, or the body text, mention "immutable" (what
    ///   imgpkg matches in the whole error text).
    pub fn is_immutable_tag(&self) -> bool {
        match self {
            RegistryError::Api { status, errors, .. } => errors.iter().any(|e| {
                e.code == "TAG_INVALID"
                    || (e.code == "PRECONDITION" && *status == 412)
                    || mentions_immutable(&e.message)
                    || e.detail
                        .as_ref()
                        .is_some_and(|d| mentions_immutable(&d.to_string()))
            }),
            RegistryError::Status { body, .. } => mentions_immutable(body),
            _ => false,
        }
    }
}

fn mentions_immutable(text: &str) -> bool {
    text.to_ascii_lowercase().contains("immutable")
}

/// Removes query values that may carry secrets (`_state` is opaque but
/// harmless; tokens in queries are not) and keeps URLs short in messages.
fn redact_url(url: &str) -> String {
    match url.split_once('?') {
        Some((path, query)) => {
            let kept: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("_state") => format!("{k}=REDACTED"),
                    Some((k, _))
                        if k.to_ascii_lowercase().contains("token")
                            || k.eq_ignore_ascii_case("signature") =>
                    {
                        format!("{k}=REDACTED")
                    }
                    _ => kv.to_string(),
                })
                .collect();
            format!("{path}?{}", kept.join("&"))
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_error_envelope() {
        let body = br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[{"Type":"repository"}]}]}"#;
        let resp = HttpResponse::new(401, vec![], body.to_vec());
        let err = RegistryError::from_response(Method::Get, "http://r/v2/", &resp);
        assert_eq!(err.status(), Some(401));
        assert!(err.has_code("UNAUTHORIZED"));
        assert_eq!(
            err.to_string(),
            "GET http://r/v2/: UNAUTHORIZED: authentication required"
        );
    }

    #[test]
    fn non_json_body_gives_status_and_truncated_text() {
        let body = format!("<html>{}</html>", "x".repeat(2000));
        let resp = HttpResponse::new(502, vec![], body.into_bytes());
        let err = RegistryError::from_response(Method::Put, "http://r/v2/a/manifests/t", &resp);
        let msg = err.to_string();
        assert!(
            msg.starts_with(
                "PUT http://r/v2/a/manifests/t: unexpected status code 502 Bad Gateway: <html>xxx"
            ),
            "{msg}"
        );
        assert!(msg.ends_with("..."), "{msg}");
        assert!(msg.len() < 700);
    }

    #[test]
    fn head_errors_say_there_is_no_body() {
        let resp = HttpResponse::new(405, vec![], vec![]);
        let err = RegistryError::from_response(Method::Head, "http://r/v2/a/blobs/x", &resp);
        assert_eq!(err.to_string(), "HEAD http://r/v2/a/blobs/x: unexpected status code 405 Method Not Allowed (HEAD responses have no body, use GET for details)");
    }

    #[test]
    fn multiple_errors_are_joined_and_state_is_redacted() {
        let body = br#"{"errors":[{"code":"A","message":"one"},{"code":"B","message":"two"}]}"#;
        let resp = HttpResponse::new(400, vec![], body.to_vec());
        let err =
            RegistryError::from_response(Method::Put, "http://r/u?_state=secret&digest=d", &resp);
        assert_eq!(
            err.to_string(),
            "PUT http://r/u?_state=REDACTED&digest=d: multiple errors returned: A: one; B: two"
        );
    }

    fn put_error(status: u16, body: &[u8]) -> RegistryError {
        let resp = HttpResponse::new(status, vec![], body.to_vec());
        RegistryError::from_response(Method::Put, "http://r/v2/immutable/manifests/t", &resp)
    }

    #[test]
    fn immutable_tag_refusals_are_recognised_by_code_then_text() {
        // ECR and Distribution-based registries.
        let ecr = put_error(
            400,
            br#"{"errors":[{"code":"TAG_INVALID","message":"The image tag 't' already exists"}]}"#,
        );
        assert!(ecr.is_immutable_tag());
        assert_eq!(ecr.api_errors()[0].code, "TAG_INVALID");
        // Harbor's tag immutability rules.
        let harbor = put_error(412, br#"{"errors":[{"code":"PRECONDITION","message":"Failed to process request due to 't' configured as immutable."}]}"#);
        assert!(harbor.is_immutable_tag());
        // Last resort: a generic code, or no envelope, whose text says so.
        let generic = put_error(
            403,
            br#"{"errors":[{"code":"DENIED","message":"tag is immutable"}]}"#,
        );
        assert!(generic.is_immutable_tag());
        assert!(put_error(409, b"Tag t is IMMUTABLE").is_immutable_tag());
        // Not a refusal: other codes and texts, whatever the URL says.
        let denied = put_error(403, br#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#);
        assert!(!denied.is_immutable_tag());
        assert!(!put_error(
            412,
            br#"{"errors":[{"code":"MANIFEST_INVALID","message":"x"}]}"#
        )
        .is_immutable_tag());
        assert!(!put_error(500, b"oops").is_immutable_tag());
    }
}
