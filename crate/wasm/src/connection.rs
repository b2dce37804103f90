//! `probe(options)`: the page's "test connection". Runs the core's
//! [`Probe`] through the browser transport, then tells
//! a CORS refusal from a network failure for a request that got no answer.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

use super::archive::to_js;
use super::endpoint::{page_origin, resolve};
use super::error::{Code, WasmError};
use super::transport::{answers_without_cors, Driver, Inbox};
use airlock_core::reference::Repository;
use airlock_core::registry::connection::{Failure, Probe, StepName};
use airlock_core::registry::Credentials;

/// Options for `probe()`, from JS.
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ProbeArgs {
    repository: String,
    username: Option<String>,
    password: Option<String>,
}

/// JS: `await probe({repository, username?, password?})` → `ProbeResult`
/// (`{ok, endpoint, scheme, challenge, credentialsGiven, credentialsSent,
/// uploadCancelled, steps: [{step, ok, url, status, failure, code, errors,
/// body, message}]}`). Checks `/v2/`, the login the registry asks for
/// (Basic or the Docker token flow), and that an upload can start (the
/// session is cancelled at once). Throws `E_ARGUMENT` for a bad repository;
/// every registry outcome is in the result.
#[wasm_bindgen(js_name = probe, unchecked_return_type = "ProbeResult")]
pub async fn probe(
    #[wasm_bindgen(unchecked_param_type = "ProbeOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let args: ProbeArgs = serde_wasm_bindgen::from_value(options)
        .map_err(|e| WasmError::new(Code::Argument, format!("invalid options: {e}")))?;
    let origin = page_origin();
    let endpoint = resolve(&args.repository, &origin)?;
    let repository = Repository::parse(args.repository.trim()).map_err(|e| {
        WasmError::new(
            Code::Argument,
            format!("'{}' is not a repository: {e}", args.repository.trim()),
        )
    })?;
    let credentials = match args.username.filter(|u| !u.is_empty()) {
        Some(u) => Credentials::basic(u, args.password.unwrap_or_default()),
        None => Credentials::Anonymous,
    };
    let driver = Driver {
        source: None,
        page_origin: origin,
        inbox: Rc::new(Inbox::default()),
        cancelled: Rc::new(Cell::new(false)),
        fetch_blobs: false,
        response_timeout_ms: super::transport::RESPONSE_TIMEOUT_MS,
    };
    let mut machine = Probe::new(repository, endpoint, credentials);
    driver.run(&mut machine, |_| {}, |_| {}).await;
    let mut report = machine.into_report();
    // The URLs the browser really used (same-origin: the page's scheme).
    for s in &mut report.steps {
        s.url = driver.url_for(&s.url);
    }
    if let Some(s) = report.steps.last_mut() {
        if s.failure == Some(Failure::Unreachable)
            && s.step != StepName::Token
            && answers_without_cors(&s.url).await
        {
            s.failure = Some(Failure::Cors);
            s.code = Some(Code::Cors.as_str());
        }
    }
    Ok(to_js(&report)?)
}
