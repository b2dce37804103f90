//! Thin tars in the page: `archive.thin()` (what a thin tar left out), the
//! thin import check at the start of `archive.copy()`, and `receipt()`
//! ("Download receipt"). The sequencing is the core's
//! ([`ThinCheck`], [`ReceiptWalk`]); this module only drives it with the
//! browser transport, with the push's client rules (credentials only to the
//! registry's origin and its token realm).

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::archive::{to_js, Archive};
use super::copy::{number_opt, push_client, string_opt};
use super::endpoint::page_origin;
use super::error::{Code, WasmError};
use super::transport::{Driver, Inbox};
use airlock_core::receipt::{self, ReceiptError};
use airlock_core::reference::Repository;
use airlock_core::registry::receipt_walk::{ReceiptWalk, DEFAULT_CONCURRENCY};
use airlock_core::registry::thin_check::{ThinCheck, ThinCheckError, ThinCheckOutcome};
use airlock_core::registry::{Client, CopyError};
use airlock_core::thin::{self, Omitted};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PromiseJs {
    kind: String,
    file: String,
    registry: Option<String>,
    created_at: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BlobJs {
    digest: String,
    size: u64,
    media_type: String,
    images: Vec<String>,
    promised_by: String,
    repositories: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ThinJs {
    entry: &'static str,
    count: usize,
    bytes: u64,
    promises: Vec<PromiseJs>,
    blobs: Vec<BlobJs>,
    inspect_text: String,
    verify_note: String,
}

/// `err.missing` of an `E_THIN` error.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MissingJs {
    digest: String,
    size: u64,
    images: Vec<String>,
    promised_by: String,
    line: String,
}

fn thin_js(name: &str, o: &Omitted) -> ThinJs {
    ThinJs {
        entry: thin::OMITTED_ENTRY,
        count: o.blobs.len(),
        bytes: o.bytes(),
        promises: o
            .promises
            .iter()
            .map(|p| PromiseJs {
                kind: p.kind.clone(),
                file: p.file.clone(),
                registry: p.registry.clone(),
                created_at: p.created_at.clone(),
            })
            .collect(),
        blobs: o
            .blobs
            .iter()
            .map(|b| BlobJs {
                digest: b.digest.clone(),
                size: b.size,
                media_type: b.media_type.clone(),
                images: b.images.clone(),
                promised_by: o.promised_by(b),
                repositories: b.repositories.clone(),
            })
            .collect(),
        inspect_text: thin::inspect_text(o),
        verify_note: thin::verify_note(name, o),
    }
}

#[wasm_bindgen]
impl Archive {
    /// For a thin tar (one with `airlock-omitted-blobs.json`): `{entry,
    /// count, bytes, promises, blobs: [{digest, size, mediaType, images,
    /// promisedBy, repositories}], inspectText, verifyNote}` — the texts
    /// `airlock inspect` and `airlock verify` print. `null` for a full tar.
    #[wasm_bindgen(unchecked_return_type = "ThinInfo | null")]
    pub fn thin(&self) -> Result<JsValue, JsValue> {
        match &self.omitted {
            Some(o) => Ok(to_js(&thin_js(&self.name, o))?),
            None => Ok(JsValue::NULL),
        }
    }
}

/// Runs the thin import check with `driver`; gives the client back for the
/// copy that follows.
pub(crate) async fn check(
    driver: &Driver,
    client: Client,
    tar: &str,
    omitted: &Omitted,
    repo: &Repository,
) -> (Result<ThinCheckOutcome, ThinCheckError>, Client) {
    let mut check = ThinCheck::new(client, tar, omitted, repo);
    driver.run(&mut check, |_| {}, |_| {}).await;
    let result = check.take_result();
    let client = check.into_client();
    let result = match result {
        Some(r) => r,
        // Cancelled while checking.
        None => Err(ThinCheckError::Check {
            repo: repo.to_string(),
            source: Box::new(airlock_core::registry::RegistryError::Cancelled),
        }),
    };
    (result, client)
}

/// A refused thin import as a JS Error: `E_THIN` with `missing`, or the
/// code of the request that failed.
pub(crate) async fn check_error(e: ThinCheckError, base: &str, send_failed: bool) -> JsValue {
    match e {
        ThinCheckError::Missing { ref missing, .. } => {
            let list: Vec<MissingJs> = missing
                .iter()
                .map(|m| MissingJs {
                    digest: m.digest.clone(),
                    size: m.size,
                    images: m.images.clone(),
                    promised_by: m.promised_by.clone(),
                    line: m.to_string(),
                })
                .collect();
            let err: JsValue = WasmError::new(Code::Thin, e.to_string()).into();
            if let Ok(v) = to_js(&list) {
                let _ = js_sys::Reflect::set(&err, &"missing".into(), &v);
            }
            err
        }
        ThinCheckError::OtherRegistry { .. } => WasmError::new(Code::Thin, e.to_string()).into(),
        ThinCheckError::Check { repo, source } => {
            let copy = CopyError::Registry {
                action: format!("checking the omitted layers in {repo}"),
                source: *source,
            };
            super::copy::classify(copy, base, send_failed).await.into()
        }
    }
}

/// JS: `await receipt({repository, username?, password?, concurrency?})`:
/// the `AirlockReceipt` JSON text `airlock receipt REPO` writes (every tag,
/// manifest and blob of the repository), read through the same client as
/// the push. `createdAt` is the browser's clock. Rejects with `E_ARGUMENT`,
/// `E_AUTH`, `E_CORS`, `E_NETWORK` or `E_REGISTRY`.
#[wasm_bindgen(js_name = receipt, unchecked_return_type = "Promise<string>")]
pub fn receipt_js(
    #[wasm_bindgen(unchecked_param_type = "ReceiptOptions")] options: JsValue,
) -> Result<js_sys::Promise, JsValue> {
    let repository = string_opt(&options, "repository").unwrap_or_default();
    let repo = Repository::parse(repository.trim()).map_err(|e| {
        WasmError::new(
            Code::Argument,
            format!("'{}' is not a repository: {e}", repository.trim()),
        )
    })?;
    let concurrency = number_opt(&options, "concurrency")
        .map(|n| n.clamp(1.0, 32.0) as usize)
        .unwrap_or(DEFAULT_CONCURRENCY);
    let client = push_client(
        &repo,
        string_opt(&options, "username"),
        string_opt(&options, "password").unwrap_or_default(),
    );
    let base = super::endpoint::resolve(&repo.name(), &page_origin())
        .map(|e| e.base)
        .unwrap_or_default();
    let created_at = receipt::rfc3339((js_sys::Date::now() / 1000.0) as u64);
    Ok(wasm_bindgen_futures::future_to_promise(async move {
        let inbox = std::rc::Rc::new(Inbox::default());
        let driver = Driver {
            source: None,
            page_origin: page_origin(),
            inbox: inbox.clone(),
            cancelled: Default::default(),
            fetch_blobs: false,
            response_timeout_ms: super::transport::RESPONSE_TIMEOUT_MS,
        };
        let mut walk = ReceiptWalk::new(client, &[repo], &created_at, concurrency);
        driver.run(&mut walk, |_| {}, |_| {}).await;
        match walk.take_result() {
            Some(Ok(r)) => Ok(JsValue::from_str(&r.to_json())),
            Some(Err(ReceiptError::Registry { repository, source })) => {
                let copy = CopyError::Registry {
                    action: format!("receipt of {repository}"),
                    source: *source,
                };
                Err(
                    super::copy::classify(copy, &base, inbox.send_failures.get() > 0)
                        .await
                        .into(),
                )
            }
            Some(Err(e)) => Err(WasmError::new(Code::Registry, e.to_string()).into()),
            None => Err(WasmError::new(Code::Internal, "the receipt walk did not finish").into()),
        }
    }))
}
