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
        action: String,
        #[source]
        source: RegistryError,
    },
    #[error(
        "Expected imported image '{reference}' to have digest '{expected}' but was '{actual}'"
    )]
    VerifyMismatch {
        reference: String,
        expected: Digest,
        actual: String,
    },
    #[error("copy cancelled")]
    Cancelled,
}
