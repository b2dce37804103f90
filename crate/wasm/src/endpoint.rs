//! Which base URL the page talks to for a destination repository: the
//! binding of the core's rule
//! ([`airlock_core::registry::connection::endpoint`]), and the page's origin.

use wasm_bindgen::prelude::*;

use super::error::{Code, WasmError};
pub use airlock_core::registry::connection::Endpoint;

/// `location.origin` of the page (or worker) this runs in.
pub(crate) fn page_origin() -> String {
    js_sys::Reflect::get(&js_sys::global(), &"location".into())
        .and_then(|l| js_sys::Reflect::get(&l, &"origin".into()))
        .ok()
        .and_then(|o| o.as_string())
        .unwrap_or_default()
}

/// Resolves `repository` for a page served from `page_origin`
/// (`location.origin`, e.g. `http://127.0.0.1:8080`); a bad repository is
/// `E_ARGUMENT`.
pub fn resolve(repository: &str, page_origin: &str) -> Result<Endpoint, WasmError> {
    airlock_core::registry::connection::endpoint::resolve(repository, page_origin)
        .map_err(|e| WasmError::new(Code::Argument, e.to_string()))
}

/// JS: `registryEndpoint(repository, location.origin)` →
/// `{base, registry, path, name, sameOrigin}`; throws `E_ARGUMENT`.
#[wasm_bindgen(js_name = registryEndpoint, unchecked_return_type = "Endpoint")]
pub fn registry_endpoint(repository: &str, page_origin: &str) -> Result<JsValue, JsValue> {
    let ep = resolve(repository, page_origin)?;
    Ok(serde_wasm_bindgen::to_value(&ep)
        .map_err(|e| WasmError::new(Code::Internal, format!("serializing the endpoint: {e}")))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::*;

    #[wasm_bindgen_test]
    fn rejects_references_and_schemes() {
        for bad in [
            "127.0.0.1:5000/dst/x:v1",
            "127.0.0.1:5000/dst/x@sha256:0000000000000000000000000000000000000000000000000000000000000000",
            "https://registry.corp/a",
            "",
            "Registry.corp/UPPER",
        ] {
            let err = resolve(bad, "http://127.0.0.1:8080").unwrap_err();
            assert_eq!(err.code, Code::Argument, "{bad}");
        }
    }
}
