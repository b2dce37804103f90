//! Which base URL the page talks to for a destination repository.
//!
//! - The registry is the page's own host (`nginx` serving the page and
//!   proxying `/v2/`, see `deploy/nginx/`): the page's origin, so requests are
//!   same-origin and no CORS preflight is involved.
//! - Otherwise ggcr's rule: plain HTTP for localhost, `*.local`, loopback and
//!   RFC 1918 addresses, HTTPS for everything else.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::error::{Code, WasmError};
use airlock_core::reference::Repository;

/// A resolved destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// `scheme://host[:port]`, without a trailing slash.
    pub base: String,
    /// `host[:port]` as in the reference.
    pub registry: String,
    /// The repository path (`team/app`, `library/nginx`).
    pub path: String,
    /// The fully qualified repository name (`registry/path`).
    pub name: String,
    /// Whether `base` is the page's own origin.
    pub same_origin: bool,
}

/// `location.origin` of the page (or worker) this runs in.
pub(crate) fn page_origin() -> String {
    js_sys::Reflect::get(&js_sys::global(), &"location".into())
        .and_then(|l| js_sys::Reflect::get(&l, &"origin".into()))
        .ok()
        .and_then(|o| o.as_string())
        .unwrap_or_default()
}

/// Resolves `repository` for a page served from `page_origin`
/// (`location.origin`, e.g. `http://127.0.0.1:8080`).
pub fn resolve(repository: &str, page_origin: &str) -> Result<Endpoint, WasmError> {
    let repository = repository.trim();
    if repository.contains('@') || repository.rsplit('/').next().unwrap_or("").contains(':') {
        return Err(WasmError::new(
            Code::Argument,
            format!("'{repository}' is a reference, not a repository: remove the tag or digest"),
        ));
    }
    let repo = Repository::parse(repository).map_err(|e| {
        WasmError::new(
            Code::Argument,
            format!("'{repository}' is not a repository: {e}"),
        )
    })?;
    let registry = repo.registry();
    let page_host = page_origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'))
        .unwrap_or("");
    let same_origin = !page_host.is_empty() && page_host.eq_ignore_ascii_case(registry.as_str());
    let base = if same_origin {
        page_origin.trim_end_matches('/').to_string()
    } else if registry.is_insecure_by_default() {
        format!("http://{}", registry.as_str())
    } else {
        format!("https://{}", registry.as_str())
    };
    Ok(Endpoint {
        base,
        registry: registry.as_str().to_string(),
        path: repo.path(),
        name: repo.name(),
        same_origin,
    })
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
    fn same_origin_when_the_page_host_is_the_registry() {
        let ep = resolve("127.0.0.1:8080/dst/app", "http://127.0.0.1:8080").unwrap();
        assert_eq!(ep.base, "http://127.0.0.1:8080");
        assert!(ep.same_origin);
        assert_eq!(ep.path, "dst/app");
        let ep = resolve("registry.corp:443/a/b", "https://registry.corp:443").unwrap();
        assert_eq!(ep.base, "https://registry.corp:443");
    }

    #[wasm_bindgen_test]
    fn ggcr_scheme_rule_otherwise() {
        let ep = resolve("127.0.0.1:5000/dst/x", "http://127.0.0.1:8080").unwrap();
        assert_eq!(ep.base, "http://127.0.0.1:5000");
        assert!(!ep.same_origin);
        let ep = resolve("registry.corp/team/app", "http://127.0.0.1:8080").unwrap();
        assert_eq!(ep.base, "https://registry.corp");
        assert_eq!(ep.name, "registry.corp/team/app");
        let ep = resolve("nginx", "http://127.0.0.1:8080").unwrap();
        assert_eq!(ep.base, "https://index.docker.io");
        assert_eq!(ep.path, "library/nginx");
    }

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
