//! Check a blob: `HEAD /v2/<repo>/blobs/<digest>`.
//!
//! ```text
//!  HEAD ──200──> Some(size)
//!    │ 404 ──> None
//!    └ else ──> error
//! ```

use crate::digest::Digest;
use crate::reference::Repository;

use super::exchange::{Answered, Exchange, Op, Step};
use super::http::{HttpResponse, Method};
use super::op::{blob_path, OpOutput, OpRequest, Target};

/// `HEAD` a blob.
pub type HeadBlob = Op<Size>;

/// The exchange of a [`HeadBlob`]: the digest asked about.
#[derive(Debug)]
pub struct Size {
    digest: Digest,
}

impl HeadBlob {
    /// Asks whether `digest` is in `repository`, with a token for `actions`.
    pub fn new(repository: Repository, digest: Digest, actions: &'static str) -> Self {
        Op::with(repository, actions, Size { digest })
    }
}

impl Exchange for Size {
    fn request(&mut self, repository: &Repository) -> Option<OpRequest> {
        let target = Target::Path(blob_path(repository, &self.digest));
        Some(OpRequest::new(Method::Head, target))
    }

    fn answer(&mut self, _: Answered<'_>, response: &mut HttpResponse) -> Step {
        match response.status {
            200 => Step::Done(Ok(OpOutput::BlobSize(Some(
                response.content_length().unwrap_or(0),
            )))),
            404 => Step::Done(Ok(OpOutput::BlobSize(None))),
            _ => Step::Refused,
        }
    }
}
