//! Getting a registry ready for a call: its ping (scheme and challenge),
//! its tokens, the credentials for a repository, and the `Authorization`
//! header a request gets.

use crate::reference::{Registry, Repository};

use super::super::auth::{Challenge, Credentials};
use super::super::error::RegistryError;
use super::super::http::HttpResult;
use super::super::ping::{Ping, PingResult, PingStep};
use super::super::token::{TokenFetch, TokenStep};
use super::{Auth, Client, Owner, RegistryEntry, TokenEntry, TokenKey};
impl Client {
    pub(super) fn wake_internal(&mut self, now: u64) {
        let mut to_send = Vec::new();
        for (reg, entry) in self.registries.iter_mut() {
            if let RegistryEntry::Pinging {
                ping,
                sleeping_until,
                ..
            } = entry
            {
                if matches!(sleeping_until, Some(t) if *t <= now) {
                    *sleeping_until = None;
                    to_send.push((Owner::Ping(reg.clone()), ping.poll_transmit()));
                }
            }
        }
        for (key, entry) in self.tokens.iter_mut() {
            if let TokenEntry::Fetching {
                fetch,
                sleeping_until,
                ..
            } = entry
            {
                if matches!(sleeping_until, Some(t) if *t <= now) {
                    *sleeping_until = None;
                    to_send.push((Owner::Token(key.clone()), fetch.poll_transmit()));
                }
            }
        }
        for (owner, req) in to_send {
            if matches!(owner, Owner::Token(_)) {
                self.stats.token_fetches += 1;
            }
            self.push_transmit(owner, req);
        }
    }

    pub(super) fn handle_ping(&mut self, registry: Registry, now: u64, result: HttpResult) {
        let policy = self.config.retry;
        let Some(RegistryEntry::Pinging {
            ping,
            tries,
            sleeping_until,
        }) = self.registries.get_mut(&registry)
        else {
            return;
        };
        match ping.handle_response(result) {
            PingStep::Done(r) => {
                self.registries.insert(registry, RegistryEntry::Ready(r));
            }
            PingStep::Next => {
                let req = ping.poll_transmit();
                self.push_transmit(Owner::Ping(registry), req);
            }
            PingStep::Temporary(e) => match policy.after_failure(tries, now) {
                Some(at) => {
                    ping.reset();
                    self.stats.retries += 1;
                    *sleeping_until = Some(at);
                }
                None => {
                    self.registries.insert(registry, RegistryEntry::Failed(e));
                }
            },
            PingStep::Failed(e) => {
                self.registries.insert(registry, RegistryEntry::Failed(e));
            }
        }
    }

    pub(super) fn handle_token(&mut self, key: TokenKey, now: u64, result: HttpResult) {
        let policy = self.config.retry;
        let Some(TokenEntry::Fetching {
            fetch,
            tries,
            sleeping_until,
        }) = self.tokens.get_mut(&key)
        else {
            return;
        };
        match fetch.handle_response(result) {
            TokenStep::Done(t) => {
                let lifetime = t.expires_in.saturating_mul(1000);
                let margin = (lifetime / 10).min(30_000);
                self.tokens.insert(
                    key,
                    TokenEntry::Ready {
                        header: format!("Bearer {}", t.token),
                        expires_at: now + lifetime - margin,
                    },
                );
            }
            TokenStep::Temporary(e) => match policy.after_failure(tries, now) {
                Some(at) => {
                    self.stats.retries += 1;
                    *sleeping_until = Some(at);
                }
                None => {
                    self.tokens.insert(key, TokenEntry::Failed(e));
                }
            },
            TokenStep::Failed(e) => {
                self.tokens.insert(key, TokenEntry::Failed(e));
            }
        }
    }

    pub(super) fn credentials_for(
        &mut self,
        repository: &Repository,
    ) -> Result<Credentials, RegistryError> {
        if !self.credentials.contains_key(repository) {
            let c = self.keychain.resolve(repository);
            self.credentials.insert(repository.clone(), c);
        }
        match &self.credentials[repository] {
            Ok(c) => Ok(c.clone()),
            Err(e) => Err(RegistryError::Credentials {
                registry: repository.registry().to_string(),
                source: Box::new(e.clone()),
            }),
        }
    }

    /// The registry's ping result, starting the ping if needed.
    pub(super) fn registry_ready(
        &mut self,
        registry: &Registry,
    ) -> Result<Option<PingResult>, RegistryError> {
        match self.registries.get(registry) {
            Some(RegistryEntry::Ready(p)) => Ok(Some(p.clone())),
            Some(RegistryEntry::Failed(e)) => Err(e.clone()),
            Some(RegistryEntry::Pinging { .. }) => Ok(None),
            None => {
                let ping = Ping::new(registry.clone(), self.config.insecure);
                let req = ping.poll_transmit();
                self.registries.insert(
                    registry.clone(),
                    RegistryEntry::Pinging {
                        ping,
                        tries: 0,
                        sleeping_until: None,
                    },
                );
                self.push_transmit(Owner::Ping(registry.clone()), req);
                Ok(None)
            }
        }
    }

    pub(super) fn authorization(
        &mut self,
        repository: &Repository,
        scopes: &[String],
        challenge: &Challenge,
        now: u64,
    ) -> Result<Auth, RegistryError> {
        let creds = self.credentials_for(repository)?;
        if let Credentials::RegistryToken(t) = &creds {
            return Ok(Auth::Header(Some(format!("Bearer {t}")), None));
        }
        match challenge {
            Challenge::None => Ok(Auth::Header(None, None)),
            Challenge::Basic { .. } => Ok(Auth::Header(creds.basic_header(), None)),
            Challenge::Bearer { realm, service, .. } => {
                let mut sorted: Vec<String> = scopes.to_vec();
                sorted.sort();
                sorted.dedup();
                let key = (repository.registry().to_string(), sorted.join(" "));
                match self.tokens.get(&key) {
                    Some(TokenEntry::Ready { header, expires_at }) if now < *expires_at => {
                        Ok(Auth::Header(Some(header.clone()), Some(key)))
                    }
                    Some(TokenEntry::Fetching { .. }) => Ok(Auth::Wait),
                    Some(TokenEntry::Failed(e)) => Err(e.clone()),
                    _ => {
                        let fetch = TokenFetch::new(
                            repository.registry().to_string(),
                            realm.clone(),
                            service.clone(),
                            scopes.to_vec(),
                            creds,
                        );
                        let req = fetch.poll_transmit();
                        self.tokens.insert(
                            key.clone(),
                            TokenEntry::Fetching {
                                fetch,
                                tries: 0,
                                sleeping_until: None,
                            },
                        );
                        self.stats.token_fetches += 1;
                        self.push_transmit(Owner::Token(key), req);
                        Ok(Auth::Wait)
                    }
                }
            }
        }
    }
}
