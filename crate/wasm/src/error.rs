//! Errors as JS `Error` objects carrying a stable `code`.
//!
//! The page and other embedders switch on `err.code`, never on the message:
//! messages may be reworded, codes may not.

use wasm_bindgen::prelude::*;

/// The stable error codes thrown to JS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// The file is not a tar, or is truncated.
    NotTar,
    /// The tar is a tar but not an imgpkg tarball (`manifest.json` missing
    /// or invalid, a layer missing, a bundle unreadable).
    Format,
    /// Content does not match its digest or size.
    Verify,
    /// An argument from JS is invalid (repository, options).
    Argument,
    /// The registry refused the credentials (401/403 after authenticating).
    Auth,
    /// The browser blocked a request for CORS (preflight refused, headers
    /// not exposed).
    Cors,
    /// The registry could not be reached.
    Network,
    /// The registry answered with an error envelope or an unexpected status.
    Registry,
    /// A thin tar's omitted layers are not all in the destination registry
    /// (the error's `missing` lists them); nothing was pushed.
    Thin,
    /// The operation was cancelled by the caller.
    Cancelled,
    /// Reading the `File`/`Blob` failed (the file changed or vanished).
    Read,
    /// A bug: an invariant of Airlock itself failed.
    Internal,
}

impl Code {
    pub fn as_str(&self) -> &'static str {
        match self {
            Code::NotTar => "E_NOT_TAR",
            Code::Format => "E_FORMAT",
            Code::Verify => "E_VERIFY",
            Code::Argument => "E_ARGUMENT",
            Code::Auth => "E_AUTH",
            Code::Cors => "E_CORS",
            Code::Network => "E_NETWORK",
            Code::Registry => "E_REGISTRY",
            Code::Thin => "E_THIN",
            Code::Cancelled => "E_CANCELLED",
            Code::Read => "E_READ",
            Code::Internal => "E_INTERNAL",
        }
    }
}

/// An error on its way to JS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WasmError {
    pub code: Code,
    pub message: String,
}

impl WasmError {
    pub fn new(code: Code, message: impl Into<String>) -> WasmError {
        WasmError {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for WasmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<WasmError> for JsValue {
    fn from(e: WasmError) -> JsValue {
        let err = js_sys::Error::new(&e.message);
        // Setting a property on a fresh Error object cannot fail.
        let _ = js_sys::Reflect::set(&err, &"code".into(), &e.code.as_str().into());
        err.set_name("AirlockError");
        err.into()
    }
}

/// Describes a JS exception value (for wrapping into a [`WasmError`]).
pub fn describe_js(v: &JsValue) -> String {
    if let Some(e) = v.dyn_ref::<js_sys::Error>() {
        let name: String = e.name().into();
        let msg: String = e.message().into();
        if msg.is_empty() {
            name
        } else {
            format!("{name}: {msg}")
        }
    } else if let Some(s) = v.as_string() {
        s
    } else {
        "unknown JavaScript error".to_string()
    }
}
