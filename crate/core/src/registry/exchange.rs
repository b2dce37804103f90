//! The shape every request-and-answer operation shares: an [`Op`] holds the
//! repository, the token actions and the result, and an [`Exchange`] says
//! which request to send next and what an answer means.
//!
//! ```text
//!   Op::poll_transmit ──> Exchange::request ──Some(req)──> client sends it
//!        ▲                                                     │
//!        │        Exchange::answer (2xx…5xx) / failed (no answer) <──┘
//!        └── Step::Next ┘    Step::Done(result) ──> poll_output
//!                            Step::Refused ──> the registry's error (envelope kept)
//! ```
//!
//! The exchanges themselves (`GET` a blob, `HEAD` a manifest, list tags, …)
//! live one per file beside this one; uploads keep their own
//! [`Operation`] (`blob_upload`), since they restart.

use crate::reference::Repository;

use super::auth::repository_scope;
use super::error::RegistryError;
use super::http::{HttpResponse, HttpResult, Method, TransportError};
use super::op::{OpOutput, OpRequest, Operation};

/// What an answer means to an [`Exchange`].
#[derive(Debug)]
pub enum Step {
    /// The operation is over, with this result.
    Done(Result<OpOutput, RegistryError>),
    /// Send the next request ([`Exchange::request`] is asked for it).
    Next,
    /// A status this exchange does not expect: the operation fails with the
    /// registry's error for it ([`RegistryError::from_response`]).
    Refused,
}

/// Where an answer came from: for error messages and `Location`s.
#[derive(Debug, Clone, Copy)]
pub struct Answered<'a> {
    /// The repository the operation works on.
    pub repository: &'a Repository,
    /// The method of the request answered.
    pub method: Method,
    /// The absolute URL the request went to (after redirects).
    pub url: &'a str,
}

/// One operation's protocol: its requests and what their answers mean.
pub trait Exchange: std::fmt::Debug {
    /// The next request to send. Asked first, and after each answer that
    /// was [`Step::Next`]; `None` ends the operation without a result.
    fn request(&mut self, repository: &Repository) -> Option<OpRequest>;
    /// A response (any status) to the last request; an exchange may take
    /// the body of a response it accepts.
    fn answer(&mut self, at: Answered<'_>, response: &mut HttpResponse) -> Step;
    /// The last request got no response; by default the operation fails
    /// with a [`RegistryError::Transport`].
    fn failed(&mut self, at: Answered<'_>, error: TransportError) -> Step {
        transport_failed(at, error)
    }
}

/// The operation fails with a [`RegistryError::Transport`] (what
/// [`Exchange::failed`] does unless an exchange says otherwise).
pub fn transport_failed(at: Answered<'_>, error: TransportError) -> Step {
    Step::Done(Err(RegistryError::transport(at.method, at.url, error)))
}

/// An [`Operation`] made of an [`Exchange`] (see the module doc).
#[derive(Debug)]
pub struct Op<E> {
    repository: Repository,
    actions: &'static str,
    method: Method,
    output: Option<Result<OpOutput, RegistryError>>,
    pub(super) exchange: E,
}

impl<E: Exchange> Op<E> {
    /// `actions` is the token scope to ask for on `repository` (`pull`,
    /// or `pull,push`).
    pub fn with(repository: Repository, actions: &'static str, exchange: E) -> Op<E> {
        Op {
            repository,
            actions,
            method: Method::Get,
            output: None,
            exchange,
        }
    }

    /// The same operation, asking for a token with these actions instead
    /// (e.g. `pull,push` before a push, so that one token serves the whole
    /// copy).
    pub fn with_actions(mut self, actions: &'static str) -> Op<E> {
        self.actions = actions;
        self
    }
}

impl<E: Exchange> Operation for Op<E> {
    fn repository(&self) -> &Repository {
        &self.repository
    }

    fn scopes(&self) -> Vec<String> {
        vec![repository_scope(&self.repository, self.actions)]
    }

    fn poll_transmit(&mut self) -> Option<OpRequest> {
        if self.output.is_some() {
            return None;
        }
        let request = self.exchange.request(&self.repository)?;
        self.method = request.method;
        Some(request)
    }

    fn handle_response(&mut self, url: &str, response: HttpResult) {
        let at = Answered {
            repository: &self.repository,
            method: self.method,
            url,
        };
        let step = match response {
            Ok(mut r) => match self.exchange.answer(at, &mut r) {
                Step::Refused => Step::Done(Err(RegistryError::from_response(at.method, url, &r))),
                step => step,
            },
            Err(e) => self.exchange.failed(at, e),
        };
        if let Step::Done(out) = step {
            self.output = Some(out);
        }
    }

    fn poll_output(&mut self) -> Option<Result<OpOutput, RegistryError>> {
        self.output.take()
    }
}
