//! List tags: `GET /v2/<repo>/tags/list?n=<page>`, following
//! `Link: <…>; rel="next"` until there is none.
//!
//! ```text
//!  GET ──200──> collect tags ──Link rel=next──> GET <next> ...
//!    │                        └─no Link──> tags
//!    └ else ──> error
//! ```

use crate::reference::Repository;

use super::auth::PULL_ACTIONS;
use super::error::RegistryError;
use super::exchange::{Answered, Exchange, Op, Step};
use super::http::{resolve_location, HttpResponse, Method};
use super::op::{OpOutput, OpRequest, Target};

/// Tags per page requested.
pub const PAGE_SIZE: u32 = 1000;

/// `GET` every page of a repository's tag list.
pub type ListTags = Op<Pages>;

/// The exchange of a [`ListTags`]: the next page to ask for, the tags so far.
#[derive(Debug)]
pub struct Pages {
    next: Option<Target>,
    tags: Vec<String>,
}

impl ListTags {
    /// Every tag of `repository`, [`PAGE_SIZE`] a page.
    pub fn new(repository: Repository) -> Self {
        Self::with_page_size(repository, PAGE_SIZE)
    }

    /// Asks for `n` tags per page (the registry may send fewer).
    pub fn with_page_size(repository: Repository, n: u32) -> Self {
        let first = Target::Path(format!("/v2/{}/tags/list?n={n}", repository.path()));
        let pages = Pages {
            next: Some(first),
            tags: Vec::new(),
        };
        Op::with(repository, PULL_ACTIONS, pages)
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

impl Exchange for Pages {
    fn request(&mut self, _: &Repository) -> Option<OpRequest> {
        let target = self.next.take()?;
        Some(OpRequest::new(Method::Get, target).max_response_body(16 << 20))
    }

    fn answer(&mut self, at: Answered<'_>, response: &mut HttpResponse) -> Step {
        if response.status != 200 {
            return Step::Refused;
        }
        #[derive(serde::Deserialize)]
        struct Page {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        match serde_json::from_slice::<Page>(&response.body) {
            Ok(page) => self.tags.extend(page.tags.unwrap_or_default()),
            Err(e) => {
                return Step::Done(Err(RegistryError::InvalidTagList {
                    url: at.url.to_string(),
                    detail: e.to_string(),
                }))
            }
        }
        match response.header("link").and_then(parse_next_link) {
            Some(next) => {
                self.next = Some(Target::Url(resolve_location(at.url, &next)));
                Step::Next
            }
            None => Step::Done(Ok(OpOutput::Tags(std::mem::take(&mut self.tags)))),
        }
    }
}
