//! The receipt format: deterministic output, round trip, and a clear error
//! naming the file and field for every kind of bad receipt.

use std::collections::BTreeMap;

use airlock_core::digest::Digest;
use airlock_core::receipt::{Entry, Receipt, ReceiptError, RepositoryRecord, MAX_RECEIPT_BYTES};
use airlock_core::reference::Registry;

fn entry(seed: &str, size: u64, mt: &str) -> Entry {
    Entry {
        digest: Digest::of(seed.as_bytes()),
        size,
        media_type: mt.into(),
    }
}

fn sample() -> Receipt {
    let m = entry(
        "manifest",
        400,
        "application/vnd.oci.image.manifest.v1+json",
    );
    let mut tags = BTreeMap::new();
    tags.insert("v1".to_string(), m.digest);
    let mut blobs = vec![
        entry("config", 120, "application/vnd.oci.image.config.v1+json"),
        entry("layer", 5000, "application/vnd.oci.image.layer.v1.tar+gzip"),
    ];
    blobs.sort();
    Receipt {
        registry: "127.0.0.1:5000".into(),
        created_at: "2026-12-02T00:12:12Z".into(),
        repositories: vec![RepositoryRecord {
            name: "apps/one".into(),
            tags,
            manifests: vec![m],
            blobs,
        }],
    }
}

fn parse(text: &str) -> Result<Receipt, ReceiptError> {
    Receipt::parse(text.as_bytes(), "month1.json")
}

fn message(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

#[test]
fn round_trip_is_exact_and_counts_are_written() {
    let r = sample();
    let text = r.to_json();
    assert_eq!(parse(&text).unwrap(), r);
    assert_eq!(parse(&text).unwrap().to_json(), text);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["kind"], "AirlockReceipt");
    assert_eq!(v["version"], 1);
    assert_eq!(v["counts"]["blobs"], 2);
    assert_eq!(v["counts"]["blobBytes"], 5120);
    assert_eq!(v["counts"]["tags"], 1);
    assert!(!text.contains("password") && !text.contains("Authorization"));
}

#[test]
fn truncated_json_names_the_file() {
    let text = sample().to_json();
    let m = message(&text[..text.len() / 2]);
    assert!(
        m.starts_with("month1.json: not a valid receipt (JSON): EOF"),
        "{m}"
    );
}

#[test]
fn wrong_kind_and_version() {
    let text = sample().to_json();
    let m = message(&text.replace("AirlockReceipt", "ImagesLock"));
    assert_eq!(m, "month1.json: kind: 'ImagesLock' is not 'AirlockReceipt'");
    let m = message(&text.replace("\"version\": 1", "\"version\": 2"));
    assert_eq!(
        m,
        "month1.json: version: 2 is not a version this Airlock reads (expected 1)"
    );
}

#[test]
fn bad_digest_names_its_field() {
    let r = sample();
    let layer = r.repositories[0].blobs[1].digest.to_string();
    let text = r.to_json().replace(&layer, "sha256:abc");
    let m = message(&text);
    assert_eq!(
        m,
        "month1.json: repositories[0].blobs[1].digest: digest 'sha256:abc' must have exactly 64 hexadecimal characters after 'sha256:' (expected sha256:<64 hex>)"
    );
    let tag_digest = r.repositories[0].manifests[0].digest.to_string();
    let text = r
        .to_json()
        .replacen(&tag_digest, &tag_digest.replace("sha256:", "md5:"), 1);
    let m = message(&text);
    assert!(
        m.starts_with("month1.json: repositories[0].tags[0].digest: digest 'md5:"),
        "{m}"
    );
}

#[test]
fn counts_that_do_not_match_are_refused() {
    let text = sample().to_json().replace("\"blobs\":2", "\"blobs\":3");
    assert_eq!(
        message(&text),
        "month1.json: counts.blobs: says 3, but the file lists 2 (truncated or edited?)"
    );
}

#[test]
fn unknown_fields_are_refused() {
    let text = sample()
        .to_json()
        .replace("\"kind\"", "\"password\": \"x\",\n  \"kind\"");
    let m = message(&text);
    assert!(m.contains("unknown field `password`"), "{m}");
}

#[test]
fn registry_must_match_the_destination() {
    let r = sample();
    r.check_registry("month1.json", &Registry::parse("127.0.0.1:5000").unwrap())
        .unwrap();
    let m = r
        .check_registry("month1.json", &Registry::parse("registry.corp").unwrap())
        .unwrap_err()
        .to_string();
    assert_eq!(
        m,
        "month1.json: registry: the receipt was made for '127.0.0.1:5000', but the destination is 'registry.corp'"
    );
    let text = sample().to_json().replace("127.0.0.1:5000", "bad host!");
    assert!(
        message(&text).starts_with("month1.json: registry: 'bad host!'"),
        "{}",
        message(&text)
    );
}

#[test]
fn huge_file_is_refused_before_parsing() {
    let big = vec![b' '; MAX_RECEIPT_BYTES as usize + 1];
    let m = Receipt::parse(&big, "huge.json").unwrap_err().to_string();
    assert_eq!(
        m,
        format!(
            "huge.json: {} bytes is more than the {MAX_RECEIPT_BYTES} bytes a receipt may have",
            MAX_RECEIPT_BYTES + 1
        )
    );
}
