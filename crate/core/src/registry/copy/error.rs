//! Why a copy failed.

use crate::digest::Digest;

use super::super::error::RegistryError;

/// Why a copy failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CopyError {
    /// A registry operation failed; `action` says what was being done and
    /// to which reference.
    #[error("{action}: {source}")]
    Registry {
        /// What was being done and to which reference (`pushing blob sha256:... to REPO`).
        action: String,
        /// The registry's error.
        #[source]
        source: RegistryError,
    },
    /// Step 2 found the upload tag pointing at another digest than the item's (imgpkg's message).
    #[error(
        "Expected imported image '{reference}' to have digest '{expected}' but was '{actual}'"
    )]
    VerifyMismatch {
        /// The tagged reference checked.
        reference: String,
        /// The digest the item has.
        expected: Digest,
        /// The digest the tag points at (`<missing>` when the tag was not found).
        actual: String,
    },
    /// The session was cancelled ([`CopySession::cancel`](super::CopySession::cancel) or a
    /// [`CancelHandle`](super::CancelHandle)).
    #[error("copy cancelled")]
    Cancelled,
}
