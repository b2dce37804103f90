//! Credentials from the environment: imgpkg's keychain (flags, `IMGPKG_*`
//! variables, the Docker config file).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use airlock_core::registry::credentials::{
    CredentialChain, CredentialError, DockerConfig, GlobalCredentials,
};

/// imgpkg's keychain from this process's environment, the given flags, and
/// the Docker config file (`$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`; a missing file is fine).
pub fn keychain_from_environment(
    flags: GlobalCredentials,
) -> Result<CredentialChain, CredentialError> {
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let docker = load_docker_config(&env)?;
    CredentialChain::new(&env, flags, docker)
}

/// Reads the Docker config file the environment points at, if it exists.
pub fn load_docker_config(
    env: &BTreeMap<String, String>,
) -> Result<Option<DockerConfig>, CredentialError> {
    let dir = match env.get("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => match env.get("HOME").filter(|h| !h.is_empty()) {
            Some(h) => Path::new(h).join(".docker"),
            None => return Ok(None),
        },
    };
    let path = dir.join("config.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => DockerConfig::parse(&path.display().to_string(), &text).map(Some),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CredentialError::DockerConfig {
            path: path.display().to_string(),
            message: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_config_is_found_through_docker_config_or_home() {
        use airlock_core::reference::Repository;
        use airlock_core::registry::auth::{Credentials, Keychain};
        let dir = std::env::temp_dir().join(format!("airlock-dockercfg-{}", std::process::id()));
        std::fs::create_dir_all(dir.join(".docker")).unwrap();
        std::fs::write(
            dir.join(".docker/config.json"),
            r#"{"auths":{"127.0.0.1:5000":{"auth":"dTpw"}}}"#,
        )
        .unwrap();
        let mut env = BTreeMap::new();
        env.insert("HOME".to_string(), dir.display().to_string());
        let d = load_docker_config(&env).unwrap().unwrap();
        let chain = CredentialChain::new(&env, GlobalCredentials::default(), Some(d)).unwrap();
        let repo = Repository::parse("127.0.0.1:5000/ab/cd").unwrap();
        assert_eq!(chain.resolve(&repo).unwrap(), Credentials::basic("u", "p"));
        env.insert(
            "DOCKER_CONFIG".to_string(),
            dir.join("nothing-here").display().to_string(),
        );
        assert!(load_docker_config(&env).unwrap().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
