//! Authentication: credentials, `WWW-Authenticate` challenges and scopes.
//!
//! The flow (ggcr `transport.bearer`/`basic`, Docker token spec):
//!
//! ```text
//!  GET /v2/ ──200──> no auth needed
//!     │401 WWW-Authenticate
//!     ├── Basic realm=…             -> send `Authorization: Basic …` to the registry
//!     └── Bearer realm,service,scope -> GET realm?service=…&scope=repository:<repo>:pull,push
//!                                       (Basic creds on that request when given)
//!                                       -> {"token"|"access_token", "expires_in"}
//!                                       -> `Authorization: Bearer <token>`, cached per
//!                                          (registry, scopes) until it expires or a 401
//! ```
//!
//! Credentials only ever go to the registry host itself and to its token realm.

use std::fmt;

use base64::Engine as _;

use crate::reference::Repository;

/// Credentials for one registry.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum Credentials {
    /// No credentials: requests go without `Authorization`, tokens are asked for anonymously.
    #[default]
    Anonymous,
    /// Username and password: Basic auth, or the token request's Basic auth.
    Basic {
        /// The user name.
        username: String,
        /// The password (never printed by `Debug`).
        password: String,
    },
    /// An OAuth2 refresh token (`identitytoken`), exchanged at the realm.
    IdentityToken {
        /// The user name that came with the token.
        username: String,
        /// The refresh token (never printed by `Debug`).
        token: String,
    },
    /// A bearer token sent to the registry as is (`--registry-token`).
    RegistryToken(String),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Anonymous => f.write_str("Anonymous"),
            Credentials::Basic { username, .. } => {
                write!(
                    f,
                    "Basic {{ username: {username:?}, password: <redacted> }}"
                )
            }
            Credentials::IdentityToken { username, .. } => {
                write!(
                    f,
                    "IdentityToken {{ username: {username:?}, token: <redacted> }}"
                )
            }
            Credentials::RegistryToken(_) => f.write_str("RegistryToken(<redacted>)"),
        }
    }
}

impl Credentials {
    /// [`Credentials::Basic`] from a user name and password.
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials::Basic {
            username: username.into(),
            password: password.into(),
        }
    }

    /// Whether these are [`Credentials::Anonymous`].
    pub fn is_anonymous(&self) -> bool {
        matches!(self, Credentials::Anonymous)
    }

    /// `Basic base64(user:pass)`, for Basic credentials.
    pub fn basic_header(&self) -> Option<String> {
        match self {
            Credentials::Basic { username, password } => Some(basic_header(username, password)),
            _ => None,
        }
    }
}

/// `Basic base64(user:pass)`.
pub fn basic_header(username: &str, password: &str) -> String {
    let raw = format!("{username}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// Why credentials or a token could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The Docker config names a credential helper for the registry.
    #[error("{host} needs docker-credential-{helper} ({how} in {path}); Airlock does not run Docker credential helpers: give credentials with --registry-username/--registry-password or IMGPKG_REGISTRY_HOSTNAME/_USERNAME/_PASSWORD")]
    CredentialHelper {
        /// The registry (`host[:port]`).
        host: String,
        /// The helper's name (`docker-credential-<helper>`).
        helper: String,
        /// `credHelpers` or `credsStore`.
        how: &'static str,
        /// The Docker config file.
        path: String,
    },
    /// A token endpoint's body is not JSON.
    #[error("token response is not valid JSON: {0}")]
    TokenJson(String),
    /// A token endpoint's JSON has no token.
    #[error("token response has neither \"token\" nor \"access_token\"")]
    NoToken,
}

/// Where credentials come from. Resolution happens once per repository and
/// is cached by the client.
pub trait Keychain {
    /// The credentials to use for `repository`'s registry. An error (for
    /// example an unsupported credential helper) fails the requests that
    /// needed them.
    fn resolve(&self, repository: &Repository) -> Result<Credentials, AuthError>;
}

/// Always anonymous.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnonymousKeychain;

impl Keychain for AnonymousKeychain {
    fn resolve(&self, _: &Repository) -> Result<Credentials, AuthError> {
        Ok(Credentials::Anonymous)
    }
}

/// Fixed credentials per registry (`host[:port]`), anonymous elsewhere.
#[derive(Debug, Clone, Default)]
pub struct StaticKeychain {
    entries: Vec<(String, Credentials)>,
}

impl StaticKeychain {
    /// A keychain with no entries (anonymous everywhere).
    pub fn new() -> StaticKeychain {
        StaticKeychain::default()
    }

    /// Adds `credentials` for `registry` (`host[:port]`, compared exactly); the first entry for a
    /// registry wins.
    pub fn with(mut self, registry: impl Into<String>, credentials: Credentials) -> StaticKeychain {
        self.entries.push((registry.into(), credentials));
        self
    }
}

impl Keychain for StaticKeychain {
    fn resolve(&self, repository: &Repository) -> Result<Credentials, AuthError> {
        Ok(self
            .entries
            .iter()
            .find(|(r, _)| r == repository.registry().as_str())
            .map(|(_, c)| c.clone())
            .unwrap_or_default())
    }
}

/// What a registry asked for in `WWW-Authenticate`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Challenge {
    /// `/v2/` answered 200: no authentication.
    #[default]
    None,
    /// `Basic realm=...`: send the credentials as Basic auth on every request.
    Basic {
        /// The `realm` parameter (informational for Basic).
        realm: String,
    },
    /// `Bearer realm=...`: fetch a token at the realm and send it as a bearer token.
    Bearer {
        /// The token endpoint's URL.
        realm: String,
        /// The `service` parameter, passed back to the token endpoint.
        service: Option<String>,
        /// The `scope` the registry asked for, when it named one.
        scope: Option<String>,
    },
}

/// Parses `WWW-Authenticate` values; Bearer wins over Basic when a registry
/// offers both. Unknown schemes are ignored.
pub fn parse_www_authenticate<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<Challenge> {
    let mut basic = None;
    for value in values {
        for (scheme, params) in split_challenges(value) {
            let get = |k: &str| {
                params
                    .iter()
                    .find(|(pk, _)| pk.eq_ignore_ascii_case(k))
                    .map(|(_, v)| v.clone())
            };
            if scheme.eq_ignore_ascii_case("bearer") {
                if let Some(realm) = get("realm") {
                    return Some(Challenge::Bearer {
                        realm,
                        service: get("service"),
                        scope: get("scope"),
                    });
                }
            } else if scheme.eq_ignore_ascii_case("basic") {
                basic = Some(Challenge::Basic {
                    realm: get("realm").unwrap_or_default(),
                });
            }
        }
    }
    basic
}

type Params = Vec<(String, String)>;

/// Splits `Scheme k=v, k="v", Scheme2 k=v` into challenges.
fn split_challenges(value: &str) -> Vec<(String, Params)> {
    let mut out: Vec<(String, Params)> = Vec::new();
    let bytes = value.as_bytes();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < bytes.len() && (bytes[*i] == b' ' || bytes[*i] == b'\t' || bytes[*i] == b',') {
            *i += 1;
        }
    };
    loop {
        skip_ws(&mut i);
        if i >= bytes.len() {
            break;
        }
        // A token: either a scheme (followed by space or end) or a param name (followed by '=').
        let start = i;
        while i < bytes.len() && !matches!(bytes[i], b' ' | b'\t' | b',' | b'=') {
            i += 1;
        }
        let token = value[start..i].to_string();
        let mut j = i;
        while j < bytes.len() && (bytes[j] == b' ' || bytes[j] == b'\t') {
            j += 1;
        }
        if j < bytes.len() && bytes[j] == b'=' && !out.is_empty() {
            // param
            i = j + 1;
            while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
                i += 1;
            }
            let val = if i < bytes.len() && bytes[i] == b'"' {
                i += 1;
                let mut s = String::new();
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' && i + 1 < bytes.len() {
                        i += 1;
                    }
                    // Push the whole UTF-8 char.
                    let ch = value[i..].chars().next().unwrap_or(' ');
                    s.push(ch);
                    i += ch.len_utf8();
                }
                i += 1; // closing quote
                s
            } else {
                let vs = i;
                while i < bytes.len() && bytes[i] != b',' {
                    i += 1;
                }
                value[vs..i].trim().to_string()
            };
            if let Some(last) = out.last_mut() {
                last.1.push((token, val));
            }
        } else if !token.is_empty() {
            out.push((token, Vec::new()));
        } else {
            // A stray `=` with no name before it (found by fuzzing: the
            // loop used to stop advancing here and never returned).
            i = j + 1;
        }
    }
    out
}

/// `repository:<path>:<actions>`.
pub fn repository_scope(repository: &Repository, actions: &str) -> String {
    format!("repository:{}:{actions}", repository.path())
}

/// The scope a push needs.
pub const PUSH_ACTIONS: &str = "pull,push";
/// The scope a read needs.
pub const PULL_ACTIONS: &str = "pull";

/// A token endpoint's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenResponse {
    /// The bearer token to send (`token`, else `access_token`).
    pub token: String,
    /// Lifetime in seconds (60 when the server does not say).
    pub expires_in: u64,
}

/// Parses a token endpoint's JSON body (`token` or `access_token`).
pub fn parse_token_response(body: &[u8]) -> Result<TokenResponse, AuthError> {
    #[derive(serde::Deserialize)]
    struct Raw {
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        access_token: Option<String>,
        #[serde(default)]
        expires_in: Option<u64>,
    }
    let raw: Raw = serde_json::from_slice(body).map_err(|e| AuthError::TokenJson(e.to_string()))?;
    let token = raw
        .token
        .filter(|t| !t.is_empty())
        .or(raw.access_token.filter(|t| !t.is_empty()))
        .ok_or(AuthError::NoToken)?;
    Ok(TokenResponse {
        token,
        expires_in: raw.expires_in.filter(|&e| e > 0).unwrap_or(60),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_challenges() {
        let c = parse_www_authenticate([
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push""#,
        ]);
        assert_eq!(
            c,
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:samalba/my-app:pull,push".into()),
            })
        );
    }

    #[test]
    fn parses_basic_and_prefers_bearer() {
        assert_eq!(
            parse_www_authenticate([r#"Basic realm="acc-registry""#]),
            Some(Challenge::Basic {
                realm: "acc-registry".into()
            })
        );
        assert_eq!(
            parse_www_authenticate([
                r#"Basic realm="x""#,
                r#"bearer realm=http://t/token, service=reg"#
            ]),
            Some(Challenge::Bearer {
                realm: "http://t/token".into(),
                service: Some("reg".into()),
                scope: None
            })
        );
        assert_eq!(
            parse_www_authenticate([r#"Basic realm="a\"b", Bearer realm="r",service="s""#]),
            Some(Challenge::Bearer {
                realm: "r".into(),
                service: Some("s".into()),
                scope: None
            })
        );
        assert_eq!(parse_www_authenticate(["Negotiate"]), None);
    }

    #[test]
    fn token_response_accepts_token_or_access_token() {
        assert_eq!(
            parse_token_response(br#"{"token":"a","expires_in":300}"#).unwrap(),
            TokenResponse {
                token: "a".into(),
                expires_in: 300
            }
        );
        assert_eq!(
            parse_token_response(br#"{"access_token":"b"}"#)
                .unwrap()
                .token,
            "b"
        );
        assert!(parse_token_response(b"{}").is_err());
        assert!(parse_token_response(b"<html>").is_err());
    }

    #[test]
    fn credentials_debug_hides_secrets() {
        let c = Credentials::basic("u", "hunter2");
        assert!(!format!("{c:?}").contains("hunter2"));
        assert_eq!(c.basic_header().unwrap(), "Basic dTpodW50ZXIy");
    }

    #[test]
    fn scopes() {
        let r = Repository::parse("127.0.0.1:5000/dst/x").unwrap();
        assert_eq!(
            repository_scope(&r, PUSH_ACTIONS),
            "repository:dst/x:pull,push"
        );
        let hub = Repository::parse("nginx").unwrap();
        assert_eq!(
            repository_scope(&hub, PULL_ACTIONS),
            "repository:library/nginx:pull"
        );
    }
}
