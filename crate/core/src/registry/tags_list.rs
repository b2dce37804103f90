//! List tags: `GET /v2/<repo>/tags/list?n=<page>`, following
//! `Link: <…>; rel="next"` until there is none.
//!
//! ```text
//!  GET ──200──> collect tags ──Link rel=next──> GET <next> ...
//!    │                        └─no Link──> tags
//!    └ else ──> error
//! ```

use crate::reference::Repository;

use super::auth::{repository_scope, PULL_ACTIONS};
use super::error::RegistryError;
use super::http::{resolve_location, HttpResponse, Method, TransportError};
use super::op::{OpOutput, OpRequest, Operation, Target};

/// Tags per page requested.
pub const PAGE_SIZE: u32 = 1000;

/// `GET` every page of a repository's tag list.
#[derive(Debug)]
pub struct ListTags {
    repository: Repository,
    next: Option<Target>,
    tags: Vec<String>,
    /// Token actions asked for (`pull` unless the caller pushes next).
    actions: &'static str,
    output: Option<Result<OpOutput, RegistryError>>,
}

impl ListTags {
    /// `GET /v2/<repository>/tags/list?n=`[`PAGE_SIZE`], following `Link` headers to the last page.
    pub fn new(repository: Repository) -> Self {
        Self::with_page_size(repository, PAGE_SIZE)
    }

    /// Asks for `n` tags per page (the registry may send fewer).
    pub fn with_page_size(repository: Repository, n: u32) -> Self {
        let first = Target::Path(format!("/v2/{}/tags/list?n={n}", repository.path()));
        ListTags {
            repository,
            next: Some(first),
            tags: Vec::new(),
            actions: PULL_ACTIONS,
            output: None,
        }
    }

    /// Asks for a token with these actions (e.g. `pull,push` before a push,
    /// so that one token serves the whole copy).
    pub fn with_actions(mut self, actions: &'static str) -> Self {
        self.actions = actions;
        self
    }
}

/// The `rel="next"` URL of a `Link` header, if any.
pub fn parse_next_link(value: &str) -> Option<String> {
    for part in value.split(',') {
        let part = part.trim();
        let (url, params) = part.split_once('>')?;
        let url = url.trim().strip_prefix('<')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim().replace(' ', "");
            p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
        });
        if is_next {
            return Some(url.to_string());
        }
    }
    None
}

impl Operation for ListTags {
    fn repository(&self) -> &Repository {
        &self.repository
    }

    fn scopes(&self) -> Vec<String> {
        vec![repository_scope(&self.repository, self.actions)]
    }

    fn poll_transmit(&mut self) -> Option<OpRequest> {
        let target = self.next.take()?;
        Some(OpRequest::new(Method::Get, target).max_response_body(16 << 20))
    }

    fn handle_response(&mut self, url: &str, response: Result<HttpResponse, TransportError>) {
        let resp = match response {
            Err(e) => {
                self.output = Some(Err(RegistryError::transport(Method::Get, url, e)));
                return;
            }
            Ok(r) if r.status != 200 => {
                self.output = Some(Err(RegistryError::from_response(Method::Get, url, &r)));
                return;
            }
            Ok(r) => r,
        };
        #[derive(serde::Deserialize)]
        struct Page {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        match serde_json::from_slice::<Page>(&resp.body) {
            Ok(page) => self.tags.extend(page.tags.unwrap_or_default()),
            Err(e) => {
                self.output = Some(Err(RegistryError::InvalidTagList {
                    url: url.to_string(),
                    detail: e.to_string(),
                }));
                return;
            }
        }
        match resp.header("link").and_then(parse_next_link) {
            Some(next) => self.next = Some(Target::Url(resolve_location(url, &next))),
            None => self.output = Some(Ok(OpOutput::Tags(std::mem::take(&mut self.tags)))),
        }
    }

    fn poll_output(&mut self) -> Option<Result<OpOutput, RegistryError>> {
        self.output.take()
    }
}
