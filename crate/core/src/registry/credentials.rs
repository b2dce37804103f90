//! Credential resolution as imgpkg does it, without IO: the environment,
//! the flags and the Docker config file's text are passed in.
//!
//! Order (imgpkg's multi-keychain: the first source that gives
//! non-anonymous credentials wins):
//!
//! 1. `IMGPKG_REGISTRY_{HOSTNAME,USERNAME,PASSWORD,IDENTITY_TOKEN,REGISTRY_TOKEN}[_SUFFIX]`
//!    groups (more specific hostnames first; `*` globs per host label; any
//!    other `IMGPKG_REGISTRY_*` name is an error);
//! 2. global credentials: `--registry-username/--registry-password`, then
//!    `--registry-token`, then `--registry-anon` (flags, else
//!    `IMGPKG_USERNAME/IMGPKG_PASSWORD/IMGPKG_TOKEN/IMGPKG_ANON`); anonymous
//!    by `--registry-anon` stops the chain;
//! 3. the Docker config (`$DOCKER_CONFIG/config.json` or
//!    `~/.docker/config.json`) `auths`. Credential helpers are not run: a
//!    host that needs one is an error saying so.

use std::collections::BTreeMap;

use base64::Engine as _;

use crate::reference::Repository;

use super::auth::{AuthError, Credentials, Keychain};

/// Why the credential sources are unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// An environment variable starts with `IMGPKG_REGISTRY_` but is none of the known group names.
    #[error("Unknown env variable '{0}'")]
    UnknownEnv(String),
    /// An `IMGPKG_REGISTRY_HOSTNAME*` value is not a usable host.
    #[error("Parsing registry hostname: {0} (e.g. gcr.io, index.docker.io)")]
    Hostname(String),
    /// The Docker config is not JSON of its shape, or an `auth` value is not base64 of
    /// `user:password`.
    #[error("Reading docker config {path}: {message}")]
    DockerConfig {
        /// The Docker config file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
}

/// One `IMGPKG_REGISTRY_*` group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct EnvInfo {
    /// `host[:port][/path]`.
    url: String,
    username: String,
    password: String,
    identity_token: String,
    registry_token: String,
}

impl EnvInfo {
    fn credentials(&self) -> Credentials {
        auth_config(
            &self.username,
            &self.password,
            &self.identity_token,
            &self.registry_token,
        )
    }
}

/// ggcr `authn.FromConfig` precedence: registry token, identity token,
/// username/password; all empty is anonymous.
fn auth_config(username: &str, password: &str, identity: &str, registry: &str) -> Credentials {
    if !registry.is_empty() {
        Credentials::RegistryToken(registry.to_string())
    } else if !identity.is_empty() {
        Credentials::IdentityToken {
            username: username.to_string(),
            token: identity.to_string(),
        }
    } else if !username.is_empty() || !password.is_empty() {
        Credentials::basic(username, password)
    } else {
        Credentials::Anonymous
    }
}

/// The `IMGPKG_REGISTRY_*` keychain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvKeychain {
    infos: Vec<EnvInfo>,
}

const PREFIX: &str = "IMGPKG_REGISTRY_";
const KEYS: [&str; 5] = [
    "HOSTNAME",
    "USERNAME",
    "PASSWORD",
    "IDENTITY_TOKEN",
    "REGISTRY_TOKEN",
];

impl EnvKeychain {
    /// Collects the groups from an environment.
    pub fn from_env(env: &BTreeMap<String, String>) -> Result<EnvKeychain, CredentialError> {
        let mut default = EnvInfo::default();
        let mut groups: BTreeMap<String, EnvInfo> = BTreeMap::new();
        for (name, value) in env {
            let Some(rest) = name.strip_prefix(PREFIX) else {
                continue;
            };
            if name == "IMGPKG_REGISTRY_AZURE_CR_CONFIG" {
                continue;
            }
            let mut matched = false;
            // Longest key first so REGISTRY_TOKEN is not read as a suffix.
            for key in KEYS {
                let (info, ok) = if rest == key {
                    (&mut default, true)
                } else if let Some(suffix) = rest.strip_prefix(&format!("{key}_")) {
                    (groups.entry(suffix.to_string()).or_default(), true)
                } else {
                    continue;
                };
                matched = ok;
                match key {
                    "HOSTNAME" => info.url = normalize_hostname(value)?,
                    "USERNAME" => info.username = value.clone(),
                    "PASSWORD" => info.password = value.clone(),
                    "IDENTITY_TOKEN" => info.identity_token = value.clone(),
                    _ => info.registry_token = value.clone(),
                }
                break;
            }
            if !matched {
                return Err(CredentialError::UnknownEnv(name.clone()));
            }
        }
        let mut infos: Vec<EnvInfo> = Vec::new();
        if default != EnvInfo::default() {
            infos.push(default);
        }
        infos.extend(groups.into_values());
        // More specific URLs first (reverse lexical order, as imgpkg).
        infos.sort_by(|a, b| b.url.cmp(&a.url));
        Ok(EnvKeychain { infos })
    }

    /// The credentials of the first group whose hostname matches
    /// `registry/path` (anonymous when none does).
    pub fn resolve(&self, repository: &Repository) -> Credentials {
        let target = repository.name();
        for info in &self.infos {
            if urls_match(&info.url, &target) {
                return info.credentials();
            }
        }
        Credentials::Anonymous
    }
}

/// `https://` is assumed; a leading `/v1/` or `/v2/` path is dropped; the
/// result is `host[:port][/path]`.
fn normalize_hostname(value: &str) -> Result<String, CredentialError> {
    let v = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .unwrap_or(value);
    let (host, path) = match v.find('/') {
        Some(i) => (&v[..i], &v[i..]),
        None => (v, ""),
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(CredentialError::Hostname(format!(
            "invalid hostname {value:?}"
        )));
    }
    let path = if path.starts_with("/v2/") || path.starts_with("/v1/") {
        &path[3..]
    } else {
        path
    };
    Ok(if !path.is_empty() && path != "/" {
        format!("{host}{path}")
    } else {
        host.to_string()
    })
}

/// imgpkg's `urlsMatch`: same port, same number of host labels, each label
/// matching its glob, and the glob's path a prefix of the target's.
fn urls_match(glob: &str, target: &str) -> bool {
    let split = |s: &str| -> (String, String, String) {
        let (hostport, path) = match s.find('/') {
            Some(i) => (&s[..i], &s[i..]),
            None => (s, ""),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => (h, p),
            _ => (hostport, ""),
        };
        (host.to_string(), port.to_string(), path.to_string())
    };
    let (gh, gp, gpath) = split(glob);
    let (th, tp, tpath) = split(target);
    if gp != tp || !tpath.starts_with(&gpath) {
        return false;
    }
    let gl: Vec<&str> = gh.split('.').collect();
    let tl: Vec<&str> = th.split('.').collect();
    gl.len() == tl.len() && gl.iter().zip(&tl).all(|(g, t)| glob_match(g, t))
}

/// `*` and `?` globbing within one host label.
fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// `--registry-username/--registry-password/--registry-token/--registry-anon`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct GlobalCredentials {
    /// `--registry-username` (else `IMGPKG_USERNAME`).
    pub username: Option<String>,
    /// `--registry-password` (else `IMGPKG_PASSWORD`).
    pub password: Option<String>,
    /// `--registry-token` (else `IMGPKG_TOKEN`): a bearer token sent as is.
    pub token: Option<String>,
    /// `--registry-anon` (else `IMGPKG_ANON`): anonymous, and stop looking further.
    pub anon: bool,
}

impl std::fmt::Debug for GlobalCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlobalCredentials")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("anon", &self.anon)
            .finish()
    }
}

impl GlobalCredentials {
    /// Flags, each defaulting to its environment variable
    /// (`IMGPKG_USERNAME`, `IMGPKG_PASSWORD`, `IMGPKG_TOKEN`, `IMGPKG_ANON`).
    pub fn with_env_defaults(self, env: &BTreeMap<String, String>) -> GlobalCredentials {
        let get = |k: &str| env.get(k).filter(|v| !v.is_empty()).cloned();
        GlobalCredentials {
            username: self.username.or_else(|| get("IMGPKG_USERNAME")),
            password: self.password.or_else(|| get("IMGPKG_PASSWORD")),
            token: self.token.or_else(|| get("IMGPKG_TOKEN")),
            anon: self.anon
                || get("IMGPKG_ANON")
                    .is_some_and(|v| matches!(v.as_str(), "true" | "1" | "TRUE" | "True")),
        }
    }

    /// `Some` when the global settings decide (imgpkg's custom keychain).
    fn resolve(&self) -> Option<Credentials> {
        if let Some(u) = self.username.as_ref().filter(|u| !u.is_empty()) {
            return Some(Credentials::basic(
                u.clone(),
                self.password.clone().unwrap_or_default(),
            ));
        }
        if let Some(t) = self.token.as_ref().filter(|t| !t.is_empty()) {
            return Some(Credentials::RegistryToken(t.clone()));
        }
        if self.anon {
            return Some(Credentials::Anonymous);
        }
        None
    }
}

/// The parts of a Docker `config.json` that matter.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct DockerConfig {
    path: String,
    /// (hostname key, credentials or None for an entry without inline auth)
    auths: Vec<(String, Option<Credentials>)>,
    creds_store: Option<String>,
    cred_helpers: BTreeMap<String, String>,
}

impl std::fmt::Debug for DockerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerConfig")
            .field("path", &self.path)
            .field(
                "auths",
                &self.auths.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("creds_store", &self.creds_store)
            .finish()
    }
}

/// `https://index.docker.io/v1/` → `index.docker.io`; `docker.io` is Docker Hub.
fn docker_config_host(key: &str) -> String {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = k.split('/').next().unwrap_or(k).to_ascii_lowercase();
    match host.as_str() {
        "docker.io" | "registry-1.docker.io" => "index.docker.io".to_string(),
        _ => host,
    }
}

impl DockerConfig {
    /// Parses a `config.json`'s text (`path` is only used in messages).
    pub fn parse(path: &str, text: &str) -> Result<DockerConfig, CredentialError> {
        #[derive(serde::Deserialize, Default)]
        struct Entry {
            #[serde(default)]
            auth: Option<String>,
            #[serde(default)]
            username: Option<String>,
            #[serde(default)]
            password: Option<String>,
            #[serde(default)]
            identitytoken: Option<String>,
            #[serde(default)]
            registrytoken: Option<String>,
        }
        #[derive(serde::Deserialize, Default)]
        struct File {
            #[serde(default)]
            auths: BTreeMap<String, Entry>,
            #[serde(default, rename = "credsStore")]
            creds_store: Option<String>,
            #[serde(default, rename = "credHelpers")]
            cred_helpers: BTreeMap<String, String>,
        }
        let err = |message: String| CredentialError::DockerConfig {
            path: path.to_string(),
            message,
        };
        let file: File = if text.trim().is_empty() {
            File::default()
        } else {
            serde_json::from_str(text).map_err(|e| err(e.to_string()))?
        };
        let mut auths = Vec::new();
        for (key, e) in file.auths {
            let (mut user, mut pass) = (
                e.username.unwrap_or_default(),
                e.password.unwrap_or_default(),
            );
            if let Some(a) = e.auth.filter(|a| !a.is_empty()) {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(a.trim())
                    .map_err(|e| err(format!("auth for {key:?} is not base64: {e}")))?;
                let decoded = String::from_utf8(decoded)
                    .map_err(|_| err(format!("auth for {key:?} is not UTF-8")))?;
                let (u, p) = decoded
                    .split_once(':')
                    .ok_or_else(|| err(format!("auth for {key:?} is not user:password")))?;
                user = u.to_string();
                pass = p.trim_end_matches('\n').to_string();
            }
            let creds = auth_config(
                &user,
                &pass,
                e.identitytoken.as_deref().unwrap_or(""),
                e.registrytoken.as_deref().unwrap_or(""),
            );
            auths.push((
                docker_config_host(&key),
                (!creds.is_anonymous()).then_some(creds),
            ));
        }
        Ok(DockerConfig {
            path: path.to_string(),
            auths,
            creds_store: file.creds_store.filter(|s| !s.is_empty()),
            cred_helpers: file
                .cred_helpers
                .into_iter()
                .map(|(k, v)| (docker_config_host(&k), v))
                .collect(),
        })
    }

    /// The credentials its `auths` give for `repository`'s registry. Fails with
    /// [`AuthError::CredentialHelper`] when the registry needs a credential helper (`credHelpers`,
    /// or `credsStore` with no inline auth).
    pub fn resolve(&self, repository: &Repository) -> Result<Credentials, AuthError> {
        let host = repository.registry().as_str().to_ascii_lowercase();
        let helper_error = |helper: &str, how: &'static str| AuthError::CredentialHelper {
            host: host.clone(),
            helper: helper.to_string(),
            how,
            path: self.path.clone(),
        };
        if let Some(helper) = self.cred_helpers.get(&host) {
            return Err(helper_error(helper, "credHelpers"));
        }
        let entry = self.auths.iter().find(|(k, _)| *k == host);
        match (entry, &self.creds_store) {
            (Some((_, Some(c))), _) => Ok(c.clone()),
            (Some((_, None)), Some(store)) => Err(helper_error(store, "credsStore")),
            _ => Ok(Credentials::Anonymous),
        }
    }
}

/// imgpkg's keychain: environment groups, global credentials, Docker config.
#[derive(Debug, Clone, Default)]
pub struct CredentialChain {
    env: EnvKeychain,
    global: GlobalCredentials,
    docker: Option<DockerConfig>,
}

impl CredentialChain {
    /// `flags` are combined with their environment defaults here.
    pub fn new(
        env: &BTreeMap<String, String>,
        flags: GlobalCredentials,
        docker: Option<DockerConfig>,
    ) -> Result<CredentialChain, CredentialError> {
        Ok(CredentialChain {
            env: EnvKeychain::from_env(env)?,
            global: flags.with_env_defaults(env),
            docker,
        })
    }
}

impl Keychain for CredentialChain {
    fn resolve(&self, repository: &Repository) -> Result<Credentials, AuthError> {
        let from_env = self.env.resolve(repository);
        if !from_env.is_anonymous() {
            return Ok(from_env);
        }
        if let Some(c) = self.global.resolve() {
            return Ok(c);
        }
        match &self.docker {
            Some(d) => d.resolve(repository),
            None => Ok(Credentials::Anonymous),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn repo(s: &str) -> Repository {
        Repository::parse(s).unwrap()
    }

    #[test]
    fn env_groups_with_suffixes() {
        let e = env(&[
            ("IMGPKG_REGISTRY_HOSTNAME_0", "reg.one:5000"),
            ("IMGPKG_REGISTRY_USERNAME_0", "u0"),
            ("IMGPKG_REGISTRY_PASSWORD_0", "p0"),
            ("IMGPKG_REGISTRY_HOSTNAME_1", "https://*.two.io/v2/"),
            ("IMGPKG_REGISTRY_REGISTRY_TOKEN_1", "rt"),
            ("IMGPKG_REGISTRY_HOSTNAME", "three.io"),
            ("IMGPKG_REGISTRY_IDENTITY_TOKEN", "idt"),
            ("IMGPKG_REGISTRY_USERNAME", "u3"),
            ("PATH", "/bin"),
        ]);
        let k = EnvKeychain::from_env(&e).unwrap();
        assert_eq!(
            k.resolve(&repo("reg.one:5000/a/b")),
            Credentials::basic("u0", "p0")
        );
        assert_eq!(k.resolve(&repo("reg.one/a/b")), Credentials::Anonymous);
        assert_eq!(
            k.resolve(&repo("x.two.io/aa")),
            Credentials::RegistryToken("rt".into())
        );
        assert_eq!(k.resolve(&repo("two.io/aa")), Credentials::Anonymous);
        assert_eq!(
            k.resolve(&repo("three.io/aa")),
            Credentials::IdentityToken {
                username: "u3".into(),
                token: "idt".into()
            }
        );
    }

    #[test]
    fn unknown_env_is_an_error() {
        let e = env(&[("IMGPKG_REGISTRY_FOO", "x")]);
        assert_eq!(
            EnvKeychain::from_env(&e).unwrap_err().to_string(),
            "Unknown env variable 'IMGPKG_REGISTRY_FOO'"
        );
        assert!(EnvKeychain::from_env(&env(&[("IMGPKG_REGISTRY_AZURE_CR_CONFIG", "x")])).is_ok());
    }

    #[test]
    fn hostnames_with_paths_match_more_specific_first() {
        let e = env(&[
            ("IMGPKG_REGISTRY_HOSTNAME_A", "quay.io"),
            ("IMGPKG_REGISTRY_USERNAME_A", "general"),
            ("IMGPKG_REGISTRY_HOSTNAME_B", "quay.io/coreos"),
            ("IMGPKG_REGISTRY_USERNAME_B", "specific"),
        ]);
        let k = EnvKeychain::from_env(&e).unwrap();
        assert_eq!(
            k.resolve(&repo("quay.io/coreos/etcd")),
            Credentials::basic("specific", "")
        );
        assert_eq!(
            k.resolve(&repo("quay.io/other/xx")),
            Credentials::basic("general", "")
        );
    }

    #[test]
    fn globs() {
        assert!(glob_match("*", "abc"));
        assert!(glob_match("a*c", "abbbc"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "ac"));
        assert!(urls_match("*.gcr.io", "eu.gcr.io/p/x"));
        assert!(!urls_match("*.gcr.io", "gcr.io/p/x"));
        assert!(!urls_match("reg:5000", "reg:5001/x"));
    }

    #[test]
    fn global_flags_then_env_defaults() {
        let e = env(&[("IMGPKG_USERNAME", "envu"), ("IMGPKG_PASSWORD", "envp")]);
        let g = GlobalCredentials::default().with_env_defaults(&e);
        assert_eq!(g.resolve(), Some(Credentials::basic("envu", "envp")));
        let g = GlobalCredentials {
            username: Some("flag".into()),
            password: Some("fp".into()),
            ..Default::default()
        }
        .with_env_defaults(&e);
        assert_eq!(g.resolve(), Some(Credentials::basic("flag", "fp")));
        let g = GlobalCredentials::default().with_env_defaults(&env(&[("IMGPKG_TOKEN", "t")]));
        assert_eq!(g.resolve(), Some(Credentials::RegistryToken("t".into())));
        let g = GlobalCredentials::default().with_env_defaults(&env(&[("IMGPKG_ANON", "true")]));
        assert_eq!(g.resolve(), Some(Credentials::Anonymous));
        assert_eq!(GlobalCredentials::default().resolve(), None);
    }

    const DOCKER: &str = r#"{
        "auths": {
            "https://index.docker.io/v1/": {"auth": "aHViOmh1YnBhc3M="},
            "127.0.0.1:5000": {"username": "local", "password": "lp"},
            "desktop.example": {}
        },
        "credsStore": "desktop",
        "credHelpers": {"gcr.io": "gcloud"}
    }"#;

    #[test]
    fn docker_config_auths_and_helpers() {
        let d = DockerConfig::parse("/home/u/.docker/config.json", DOCKER).unwrap();
        assert_eq!(
            d.resolve(&repo("nginx")).unwrap(),
            Credentials::basic("hub", "hubpass")
        );
        assert_eq!(
            d.resolve(&repo("127.0.0.1:5000/xx")).unwrap(),
            Credentials::basic("local", "lp")
        );
        let e = d.resolve(&repo("gcr.io/p/xx")).unwrap_err().to_string();
        assert!(
            e.contains("docker-credential-gcloud") && e.contains("credHelpers"),
            "{e}"
        );
        let e = d
            .resolve(&repo("desktop.example/xx"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("docker-credential-desktop") && e.contains("/home/u/.docker/config.json"),
            "{e}"
        );
        assert_eq!(
            d.resolve(&repo("other.example/xx")).unwrap(),
            Credentials::Anonymous
        );
        assert!(DockerConfig::parse("p", "{not json").is_err());
        assert!(DockerConfig::parse("p", r#"{"auths":{"h":{"auth":"!!"}}}"#).is_err());
    }

    #[test]
    fn chain_order() {
        let d = DockerConfig::parse("p", DOCKER).unwrap();
        let e = env(&[
            ("IMGPKG_REGISTRY_HOSTNAME", "127.0.0.1:5000"),
            ("IMGPKG_REGISTRY_USERNAME", "envuser"),
            ("IMGPKG_REGISTRY_PASSWORD", "envpass"),
        ]);
        let flags = GlobalCredentials {
            username: Some("flag".into()),
            password: Some("fp".into()),
            ..Default::default()
        };
        let c = CredentialChain::new(&e, flags, Some(d.clone())).unwrap();
        assert_eq!(
            c.resolve(&repo("127.0.0.1:5000/xx")).unwrap(),
            Credentials::basic("envuser", "envpass")
        );
        assert_eq!(
            c.resolve(&repo("nginx")).unwrap(),
            Credentials::basic("flag", "fp")
        );
        let c = CredentialChain::new(
            &BTreeMap::new(),
            GlobalCredentials::default(),
            Some(d.clone()),
        )
        .unwrap();
        assert_eq!(
            c.resolve(&repo("nginx")).unwrap(),
            Credentials::basic("hub", "hubpass")
        );
        let anon = GlobalCredentials {
            anon: true,
            ..Default::default()
        };
        let c = CredentialChain::new(&BTreeMap::new(), anon, Some(d)).unwrap();
        assert_eq!(c.resolve(&repo("nginx")).unwrap(), Credentials::Anonymous);
        assert_eq!(
            c.resolve(&repo("gcr.io/x/y")).unwrap(),
            Credentials::Anonymous
        );
    }
}
