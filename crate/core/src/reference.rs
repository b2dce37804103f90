//! Image references, parsed and normalised exactly as go-containerregistry's
//! `name` package does for imgpkg (weak validation, default tag `latest`).
//!
//! Grammar (ggcr, weak mode):
//!
//! ```text
//! reference  := repository [ ":" tag ] | repository [ ":" tag ] "@" digest
//! repository := [ registry "/" ] path          registry only if the first
//!                                              component contains '.' or ':'
//! registry   := RFC 3986 authority (host[:port]); "docker.io" -> "index.docker.io";
//!               absent -> "index.docker.io"
//! path       := [a-z0-9_./-]{2,255}             "library/" is prepended for a
//!                                              single-component Docker Hub path
//! tag        := [A-Za-z0-9_.-]{1,128}
//! digest     := "sha256:" 64 lowercase hex
//! ```
//!
//! `name()` gives ggcr's fully qualified `Name()`; `Display` gives the same.
//! The string as the user wrote it is kept in `original()`.

use std::fmt;
use std::str::FromStr;

use crate::digest::{Digest, DigestError};

/// Docker Hub's canonical registry host.
pub const DEFAULT_REGISTRY: &str = "index.docker.io";
/// The alias users write for Docker Hub.
const DOCKER_HUB_ALIAS: &str = "docker.io";
/// The tag used when a reference has neither tag nor digest.
pub const DEFAULT_TAG: &str = "latest";

const REPOSITORY_CHARS: &str = "abcdefghijklmnopqrstuvwxyz0123456789_-./";
const TAG_CHARS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";

/// Why a string is not a valid reference. Messages follow ggcr's wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// The input is empty.
    #[error("reference '{0}' is empty: expected [registry/]repository[:tag][@sha256:digest]")]
    Empty(String),
    /// The input starts with a URL scheme (`https://`).
    #[error("Reference '{input}' should not include {scheme}:// protocol prefix")]
    Scheme {
        /// The input.
        input: String,
        /// The scheme found (`http`, `https`, ...).
        scheme: String,
    },
    /// The registry part is not a valid `host[:port]` authority.
    #[error("registries must be valid RFC 3986 URI authorities: {0}")]
    Registry(String),
    /// The repository path is shorter than 2 or longer than 255 characters.
    #[error("repository must be between 2 and 255 characters in length: {0}")]
    RepositoryLength(String),
    /// The repository path has a character outside `a-z0-9_-./`.
    #[error("repository can only contain the characters `{REPOSITORY_CHARS}`: {0}")]
    RepositoryChars(String),
    /// The tag is longer than 128 characters.
    #[error("tag must be between 1 and 128 characters in length: {0}")]
    TagLength(String),
    /// The tag has a character outside `A-Za-z0-9_-.`.
    #[error("tag can only contain the characters `{TAG_CHARS}`: {0}")]
    TagChars(String),
    /// The input ends in `:` with no tag after it.
    #[error("{0} must specify a tag name after the colon")]
    EmptyTag(String),
    /// The input has more than one `@`.
    #[error("a digest must contain exactly one '@' separator (e.g. registry/repository@digest) saw: {0}")]
    DigestSeparator(String),
    /// The part after `@` is not a valid sha256 digest.
    #[error("invalid digest in reference '{input}': {source}")]
    Digest {
        /// The input.
        input: String,
        /// Why the digest is invalid.
        #[source]
        source: DigestError,
    },
    /// A digest reference was required (imgpkg's locks) but the input has no `@sha256:...`.
    #[error("Expected ref to be in digest form, got '{0}'")]
    NotDigest(String),
}

/// A registry host (with optional port), normalised.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Registry(String);

impl Registry {
    /// Parses `host[:port]`; an empty string and `docker.io` become `index.docker.io`, as ggcr
    /// does. Fails with [`ReferenceError::Registry`] when it is not a valid authority.
    pub fn parse(s: &str) -> Result<Registry, ReferenceError> {
        if s.is_empty() {
            return Ok(Registry(DEFAULT_REGISTRY.to_string()));
        }
        if s == DOCKER_HUB_ALIAS {
            return Ok(Registry(DEFAULT_REGISTRY.to_string()));
        }
        if !is_valid_authority(s) {
            return Err(ReferenceError::Registry(s.to_string()));
        }
        Ok(Registry(s.to_string()))
    }

    /// The `host[:port]` string, e.g. `index.docker.io` or `127.0.0.1:5000`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The host without the port.
    pub fn host(&self) -> &str {
        let s = self.0.as_str();
        if let Some(rest) = s.strip_prefix('[') {
            // [::1]:5000
            return rest.split(']').next().unwrap_or(rest);
        }
        match s.rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => s,
        }
    }

    /// ggcr's rule for trying plain HTTP: localhost, `*.local`, loopback and
    /// RFC 1918 addresses.
    pub fn is_insecure_by_default(&self) -> bool {
        let host = self.host();
        if host == "localhost" || host.ends_with(".local") || host == "::1" {
            return true;
        }
        if let Ok(ip) = host.parse::<std::net::Ipv4Addr>() {
            return ip.is_loopback() || ip.is_private();
        }
        false
    }
}

impl fmt::Display for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// RFC 3986 authority check, as ggcr does with `url.Parse("//" + name)`:
/// host characters, an optional bracketed IPv6 literal and an optional port.
fn is_valid_authority(s: &str) -> bool {
    if s.contains(['/', '?', '#', '@']) || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return false;
        };
        if inside.parse::<std::net::Ipv6Addr>().is_err() {
            return false;
        }
        match after.strip_prefix(':') {
            Some(p) => ("ipv6", Some(p)),
            None if after.is_empty() => ("ipv6", None),
            None => return false,
        }
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if host.is_empty() {
        return false;
    }
    if let Some(p) = port {
        if !p.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    host.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=".contains(&b))
}

/// A repository: registry plus path. `name()` is fully qualified.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Repository {
    registry: Registry,
    /// The path as written (without an implicit `library/`).
    path: String,
}

impl Repository {
    /// Parses `[registry/]path`.
    pub fn parse(s: &str) -> Result<Repository, ReferenceError> {
        check_scheme(s)?;
        if s.is_empty() {
            return Err(ReferenceError::Empty(s.to_string()));
        }
        let (registry, path) = match s.split_once('/') {
            Some((first, rest)) if first.contains('.') || first.contains(':') => (first, rest),
            _ => ("", s),
        };
        check_element_len(path, 2, 255, ReferenceError::RepositoryLength)?;
        if !path.chars().all(|c| REPOSITORY_CHARS.contains(c)) {
            return Err(ReferenceError::RepositoryChars(path.to_string()));
        }
        Ok(Repository {
            registry: Registry::parse(registry)?,
            path: path.to_string(),
        })
    }

    /// The registry part.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// ggcr `RepositoryStr()`: the path, with `library/` for single-component
    /// Docker Hub names.
    pub fn path(&self) -> String {
        if self.registry.as_str() == DEFAULT_REGISTRY && !self.path.contains('/') {
            format!("library/{}", self.path)
        } else {
            self.path.clone()
        }
    }

    /// ggcr `Name()`: `registry/path`, fully qualified.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.path())
    }

    /// `name@digest`.
    pub fn at(&self, digest: &Digest) -> Reference {
        Reference {
            repository: self.clone(),
            tag: None,
            digest: Some(*digest),
            original: format!("{}@{}", self.name(), digest),
        }
    }

    /// `name:tag`.
    pub fn tagged(&self, tag: &str) -> Reference {
        Reference {
            repository: self.clone(),
            tag: Some(tag.to_string()),
            digest: None,
            original: format!("{}:{}", self.name(), tag),
        }
    }
}

/// A tag or digest reference to an image.
#[derive(Clone, Debug)]
pub struct Reference {
    repository: Repository,
    /// The tag (defaulted to `latest` when neither tag nor digest was given).
    /// `None` for a digest reference: ggcr drops a tag written before `@`.
    tag: Option<String>,
    digest: Option<Digest>,
    original: String,
}

impl PartialEq for Reference {
    fn eq(&self, other: &Self) -> bool {
        self.repository == other.repository && self.tag == other.tag && self.digest == other.digest
    }
}
impl Eq for Reference {}

impl std::hash::Hash for Reference {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.repository.hash(state);
        self.tag.hash(state);
        self.digest.hash(state);
    }
}

fn check_scheme(s: &str) -> Result<(), ReferenceError> {
    for scheme in ["https", "http"] {
        if s.starts_with(&format!("{scheme}://")) {
            return Err(ReferenceError::Scheme {
                input: s.to_string(),
                scheme: scheme.to_string(),
            });
        }
    }
    Ok(())
}

fn check_element_len(
    s: &str,
    min: usize,
    max: usize,
    err: fn(String) -> ReferenceError,
) -> Result<(), ReferenceError> {
    if s.len() < min || s.len() > max {
        return Err(err(s.to_string()));
    }
    Ok(())
}

fn check_tag(tag: &str) -> Result<(), ReferenceError> {
    check_element_len(tag, 1, 128, ReferenceError::TagLength)?;
    if !tag.chars().all(|c| TAG_CHARS.contains(c)) {
        return Err(ReferenceError::TagChars(tag.to_string()));
    }
    Ok(())
}

impl Reference {
    /// ggcr `ParseReference` (weak): a tag reference, else a digest reference.
    pub fn parse(s: &str) -> Result<Reference, ReferenceError> {
        check_scheme(s)?;
        if s.is_empty() {
            return Err(ReferenceError::Empty(s.to_string()));
        }
        if s.contains('@') {
            return Reference::parse_digest(s);
        }
        Reference::parse_tag(s)
    }

    /// ggcr `NewTag`: `repository[:tag]`, tag defaulting to `latest`.
    pub fn parse_tag(s: &str) -> Result<Reference, ReferenceError> {
        check_scheme(s)?;
        let (base, tag) = split_tag(s)?;
        let repository = Repository::parse(base)?;
        Ok(Reference {
            repository,
            tag: Some(tag.unwrap_or(DEFAULT_TAG).to_string()),
            digest: None,
            original: s.to_string(),
        })
    }

    /// ggcr `NewDigest`: exactly one `@`, a sha256 digest, and an optional
    /// tag before the `@` that is accepted and dropped.
    pub fn parse_digest(s: &str) -> Result<Reference, ReferenceError> {
        check_scheme(s)?;
        let parts: Vec<&str> = s.split('@').collect();
        if parts.len() != 2 {
            return Err(ReferenceError::DigestSeparator(s.to_string()));
        }
        let digest = Digest::parse(parts[1]).map_err(|source| ReferenceError::Digest {
            input: s.to_string(),
            source,
        })?;
        let (base, _tag) = split_tag(parts[0])?;
        let repository = Repository::parse(base)?;
        Ok(Reference {
            repository,
            tag: None,
            digest: Some(digest),
            original: s.to_string(),
        })
    }

    /// Parses a reference that must be in digest form, with imgpkg's error
    /// (`Expected ref to be in digest form, got '…'`) for a tag reference.
    pub fn parse_digest_form(s: &str) -> Result<Reference, ReferenceError> {
        if !s.contains('@') {
            // imgpkg validates with NewDigest, whose failure it reports this way.
            Reference::parse_tag(s)?;
            return Err(ReferenceError::NotDigest(s.to_string()));
        }
        Reference::parse_digest(s)
    }

    /// The repository (registry and path).
    pub fn repository(&self) -> &Repository {
        &self.repository
    }

    /// The registry part.
    pub fn registry(&self) -> &Registry {
        self.repository.registry()
    }

    /// The tag, when the reference has one.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, when the reference has one.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The string as written by the user (ggcr `String()`).
    pub fn original(&self) -> &str {
        &self.original
    }

    /// The part after the repository in a registry URL: the digest if there
    /// is one, else the tag.
    pub fn identifier(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => DEFAULT_TAG.to_string(),
        }
    }

    /// ggcr `Name()`: fully qualified `registry/path:tag` or `registry/path@digest`.
    pub fn name(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => format!("{}@{}", self.repository.name(), d),
            (None, Some(t)) => format!("{}:{}", self.repository.name(), t),
            (None, None) => self.repository.name(),
        }
    }
}

/// ggcr's tag split: the last `:` starts a tag unless what follows it holds a
/// `/` (then it was a registry port).
fn split_tag(s: &str) -> Result<(&str, Option<&str>), ReferenceError> {
    match s.rsplit_once(':') {
        Some((base, tag)) if !tag.contains('/') => {
            if tag.is_empty() {
                return Err(ReferenceError::EmptyTag(s.to_string()));
            }
            check_tag(tag)?;
            Ok((base, Some(tag)))
        }
        _ => Ok((s, None)),
    }
}

/// `Display` as `name()` and `FromStr` as `parse`: the two round-trip.
macro_rules! display_name_parse_str {
    ($($t:ident),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.name())
            }
        }

        impl FromStr for $t {
            type Err = ReferenceError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $t::parse(s)
            }
        }
    )*};
}
display_name_parse_str!(Repository, Reference);

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:95cdec99a5b01a74bed240f40f9f59e71ce86dbaf85f869cea6d35c441f4c1b6";

    #[test]
    fn normalises_like_ggcr() {
        let cases = [
            ("nginx", "index.docker.io/library/nginx:latest"),
            ("nginx:1.25", "index.docker.io/library/nginx:1.25"),
            ("docker.io/nginx", "index.docker.io/library/nginx:latest"),
            (
                "docker.io/bitnami/nginx:1",
                "index.docker.io/bitnami/nginx:1",
            ),
            (
                "index.docker.io/library/nginx:1",
                "index.docker.io/library/nginx:1",
            ),
            ("127.0.0.1:5000/src/app1:v1", "127.0.0.1:5000/src/app1:v1"),
            ("127.0.0.1:5000/src/app1", "127.0.0.1:5000/src/app1:latest"),
            ("localhost:5000/a/b", "localhost:5000/a/b:latest"),
            // ggcr only treats the first component as a registry if it has '.' or ':'.
            ("localhost/ab", "index.docker.io/localhost/ab:latest"),
            (
                "ghcr.io/carvel-dev/imgpkg:v0.43.1",
                "ghcr.io/carvel-dev/imgpkg:v0.43.1",
            ),
            ("[::1]:5000/x/y:t", "[::1]:5000/x/y:t"),
        ];
        for (input, want) in cases {
            let r = Reference::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(r.name(), want, "input {input}");
            assert_eq!(r.original(), input);
        }
    }

    #[test]
    fn digest_references() {
        let r = Reference::parse(&format!("nginx@{D}")).unwrap();
        assert_eq!(r.name(), format!("index.docker.io/library/nginx@{D}"));
        assert_eq!(r.tag(), None);
        assert_eq!(r.digest().unwrap().to_string(), D);
        // A tag before the '@' is accepted and dropped.
        let r = Reference::parse(&format!("127.0.0.1:5000/src/app1:v1@{D}")).unwrap();
        assert_eq!(r.name(), format!("127.0.0.1:5000/src/app1@{D}"));
        assert_eq!(r.identifier(), D);
        assert_eq!(r.repository().name(), "127.0.0.1:5000/src/app1");
        assert_eq!(r.registry().as_str(), "127.0.0.1:5000");
        assert_eq!(r.repository().path(), "src/app1");
    }

    #[test]
    fn bad_references_give_specific_errors() {
        use ReferenceError as E;
        let cases: Vec<(String, E)> = vec![
            ("".into(), E::Empty("".into())),
            (
                "https://reg.io/a/b".into(),
                E::Scheme {
                    input: "https://reg.io/a/b".into(),
                    scheme: "https".into(),
                },
            ),
            ("Nginx".into(), E::RepositoryChars("Nginx".into())),
            ("a".into(), E::RepositoryLength("a".into())),
            ("reg.io/a b".into(), E::RepositoryChars("a b".into())),
            ("nginx:".into(), E::EmptyTag("nginx:".into())),
            ("nginx:bad!tag".into(), E::TagChars("bad!tag".into())),
            (
                format!("nginx:{}", "t".repeat(129)),
                E::TagLength("t".repeat(129)),
            ),
            (
                format!("a/b@{D}@{D}"),
                E::DigestSeparator(format!("a/b@{D}@{D}")),
            ),
            ("reg:port:x/ab".into(), E::Registry("reg:port:x".into())),
        ];
        for (input, want) in cases {
            assert_eq!(Reference::parse(&input), Err(want), "input {input:?}");
        }
        assert!(matches!(
            Reference::parse("nginx@sha256:abc"),
            Err(E::Digest { .. })
        ));
        assert!(matches!(
            Reference::parse(&format!("nginx@{}", D.replace("sha256", "sha512"))),
            Err(E::Digest { .. })
        ));
        assert_eq!(
            Reference::parse_digest_form("nginx:v1"),
            Err(E::NotDigest("nginx:v1".into()))
        );
    }

    #[test]
    fn repository_parsing() {
        let r = Repository::parse("registry.corp/apps/name").unwrap();
        assert_eq!(r.name(), "registry.corp/apps/name");
        assert_eq!(
            Repository::parse("busybox").unwrap().name(),
            "index.docker.io/library/busybox"
        );
        let d = Digest::parse(D).unwrap();
        assert_eq!(r.at(&d).name(), format!("registry.corp/apps/name@{D}"));
        assert_eq!(r.tagged("v1").name(), "registry.corp/apps/name:v1");
    }

    #[test]
    fn insecure_defaults() {
        for (reg, want) in [
            ("127.0.0.1:5000", true),
            ("localhost:5000", true),
            ("[::1]:5000", true),
            ("10.1.2.3", true),
            ("foo.local", true),
            ("ghcr.io", false),
            ("8.8.8.8:443", false),
        ] {
            assert_eq!(
                Registry::parse(reg).unwrap().is_insecure_by_default(),
                want,
                "{reg}"
            );
        }
    }
}
