//! Fetch a bearer token from a `Bearer realm=…` challenge (Docker token
//! spec, and the OAuth2 refresh-token form for identity tokens).
//!
//! ```text
//!  GET realm?service=<s>&scope=<scope>[&scope=…]   (Basic creds if any)
//!  POST realm grant_type=refresh_token&…            (identity token)
//!    ──200 {"token"|"access_token","expires_in"}──> token
//!    ──401/403──> authentication error (wrong username or password)
//!    ──5xx/429──> temporary (the client retries)
//! ```

use std::sync::Arc;

use super::auth::{basic_header, parse_token_response, Credentials, TokenResponse};
use super::error::RegistryError;
use super::http::{append_query, percent_encode, HttpRequest, HttpResult, Method, RequestBody};
use super::op::MAX_SMALL_BODY;

/// What to do after a token response.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenStep {
    /// The endpoint gave a token.
    Done(TokenResponse),
    /// A temporary failure (408, 429, most 5xx, a dropped connection): retry after a backoff.
    Temporary(RegistryError),
    /// A final failure: a refusal or other error status, or a body with no usable token.
    Failed(RegistryError),
}

/// One token request.
#[derive(Debug, Clone)]
pub struct TokenFetch {
    registry: String,
    realm: String,
    service: Option<String>,
    scopes: Vec<String>,
    credentials: Credentials,
}

impl TokenFetch {
    /// A token request to `realm` for `scopes`: a `GET` with Basic auth (or none), or a `POST` of
    /// the refresh token for [`Credentials::IdentityToken`].
    pub fn new(
        registry: impl Into<String>,
        realm: impl Into<String>,
        service: Option<String>,
        scopes: Vec<String>,
        credentials: Credentials,
    ) -> TokenFetch {
        TokenFetch {
            registry: registry.into(),
            realm: realm.into(),
            service,
            scopes,
            credentials,
        }
    }

    /// The token request: `GET realm?service=&scope=`, or the OAuth2 `POST` form for an identity
    /// token.
    pub fn poll_transmit(&self) -> HttpRequest {
        if let Credentials::IdentityToken { token, .. } = &self.credentials {
            let mut form = format!(
                "grant_type=refresh_token&client_id=airlock&refresh_token={}",
                percent_encode(token)
            );
            if let Some(s) = &self.service {
                form.push_str(&format!("&service={}", percent_encode(s)));
            }
            for s in &self.scopes {
                form.push_str(&format!("&scope={}", percent_encode(s)));
            }
            return HttpRequest {
                method: Method::Post,
                url: self.realm.clone(),
                headers: vec![(
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into(),
                )],
                body: RequestBody::Bytes(Arc::new(form.into_bytes())),
                max_response_body: MAX_SMALL_BODY,
                sink: None,
            };
        }
        let mut url = self.realm.clone();
        if let Some(s) = &self.service {
            url = append_query(&url, "service", s);
        }
        for s in &self.scopes {
            url = append_query(&url, "scope", s);
        }
        let mut headers = Vec::new();
        if let Credentials::Basic { username, password } = &self.credentials {
            headers.push(("Authorization".into(), basic_header(username, password)));
        }
        HttpRequest {
            method: Method::Get,
            url,
            headers,
            body: RequestBody::Empty,
            max_response_body: MAX_SMALL_BODY,
            sink: None,
        }
    }

    /// Judges the token endpoint's answer.
    pub fn handle_response(&self, response: HttpResult) -> TokenStep {
        let method = if matches!(self.credentials, Credentials::IdentityToken { .. }) {
            Method::Post
        } else {
            Method::Get
        };
        match response {
            Err(e) => {
                let temporary = e.is_temporary();
                let err = RegistryError::TokenTransport {
                    registry: self.registry.clone(),
                    realm: self.realm.clone(),
                    source: e,
                };
                if temporary {
                    TokenStep::Temporary(err)
                } else {
                    TokenStep::Failed(err)
                }
            }
            Ok(r) if r.status == 200 => match parse_token_response(&r.body) {
                Ok(t) => TokenStep::Done(t),
                Err(e) => TokenStep::Failed(RegistryError::TokenResponse {
                    registry: self.registry.clone(),
                    realm: self.realm.clone(),
                    source: Box::new(e),
                }),
            },
            Ok(r) => {
                let inner = RegistryError::from_response(method, &self.realm, &r);
                let hint = match (r.status, self.credentials.is_anonymous()) {
                    (401 | 403, true) => "authentication required (no credentials were given); ",
                    (401 | 403, false) => {
                        "authentication failed (incorrect username or password?); "
                    }
                    _ => "",
                };
                let err = RegistryError::TokenRefused {
                    registry: self.registry.clone(),
                    hint,
                    source: Box::new(inner),
                };
                if super::http::is_retryable_status(r.status) {
                    TokenStep::Temporary(err)
                } else {
                    TokenStep::Failed(err)
                }
            }
        }
    }
}
