#![cfg(not(target_arch = "wasm32"))]
//! The Go ports in `airlock_core::go` against the Go oracle corpus:
//! `tests/fixtures/go-corpus/`, written by Go 1.23.2 and go-yaml v2.4.0
//! (`tests/go-corpus/main.go`, see `tests/go-corpus/README.md`). Every case
//! of `MANIFEST.json` is compared with the committed bytes; a failure names
//! the case and the first differing byte offset.
//!
//! YAML: imgpkg writes through `sigs.k8s.io/yaml`, whose output equals plain
//! go-yaml `yaml.Marshal` except for the cases in [`SIGS_DIFFERENCES`]
//! (U+0085, U+007F, U+FFFE; see the module doc of `airlock_core::go::yaml`).
//! Those are compared with plain `yaml.Marshal`, which Airlock writes; every
//! other case is compared with the output both give.

use std::collections::BTreeSet;
use std::path::PathBuf;

use airlock_core::digest::Digest;
use airlock_core::go;
use airlock_core::imagebuild::{self, TreeEntry};
use airlock_core::imgpkg_tar::manifest_json;
use airlock_core::tar::{self, TarWriteError, TarWriter};
use airlock_testkit::go_inputs;
use serde_json::Value as Json;

/// `(form, name)` of the YAML cases where `sigs.k8s.io/yaml.Marshal` (what
/// imgpkg calls) does not give plain `yaml.Marshal`'s bytes. Airlock keeps
/// plain go-yaml for them (documented in `airlock_core::go::yaml`).
const SIGS_DIFFERENCES: [(&str, &str); 12] = [
    ("value", "nel"),
    ("list", "nel"),
    ("key", "nel"),
    ("value", "nel-inner"),
    ("list", "nel-inner"),
    ("key", "nel-inner"),
    ("value", "ufffe"),
    ("list", "ufffe"),
    ("key", "ufffe"),
    ("value", "del"),
    ("list", "del"),
    ("key", "del"),
];

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/go-corpus")
}

fn manifest() -> Json {
    let path = corpus_dir().join("MANIFEST.json");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn cases(m: &Json, family: &str) -> Vec<Json> {
    let all = m["cases"].as_array().expect("MANIFEST.json has cases");
    let v: Vec<Json> = all
        .iter()
        .filter(|c| c["family"] == family)
        .cloned()
        .collect();
    assert!(!v.is_empty(), "the corpus has no {family} case");
    v
}

fn s<'a>(c: &'a Json, key: &str) -> &'a str {
    c[key]
        .as_str()
        .unwrap_or_else(|| panic!("case {}: field {key} is not a string", c["name"]))
}

/// The json cases of one `form` (`string`, `manifest.json`).
fn json_cases(form: &str) -> Vec<Json> {
    let v: Vec<Json> = cases(&manifest(), "json")
        .into_iter()
        .filter(|c| c["form"] == form)
        .collect();
    assert!(!v.is_empty(), "the corpus has no json {form} case");
    v
}

fn label(c: &Json) -> String {
    match c["form"].as_str() {
        Some(form) => format!(
            "{}/{}/{}",
            c["family"].as_str().unwrap(),
            form,
            s(c, "name")
        ),
        None => format!("{}/{}", c["family"].as_str().unwrap(), s(c, "name")),
    }
}

/// The committed output of `c` (field `output`, or `sigs_k8s_yaml.output`),
/// checked against the manifest's sha256 and length.
fn expected(record: &Json, case: &str) -> Vec<u8> {
    let rel = s(record, "output");
    let path = corpus_dir().join(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        Digest::of(&bytes).hex(),
        s(record, "output_sha256"),
        "case {case}: {rel} does not match its output_sha256"
    );
    if let Some(len) = record["output_len"].as_u64() {
        assert_eq!(bytes.len() as u64, len, "case {case}: {rel} length");
    }
    bytes
}

/// `None` when equal, else a message naming the case and the first
/// differing byte offset.
fn diff(case: &str, ours: &[u8], go: &[u8]) -> Option<String> {
    if ours == go {
        return None;
    }
    let at = ours
        .iter()
        .zip(go)
        .position(|(a, b)| a != b)
        .unwrap_or(ours.len().min(go.len()));
    let show = |b: &[u8]| {
        let end = (at + 16).min(b.len());
        format!("{:02x?}", &b[at.min(end)..end])
    };
    Some(format!(
        "case {case}: first difference at byte offset {at} (ours {} bytes, Go {} bytes): ours {} Go {}",
        ours.len(),
        go.len(),
        show(ours),
        show(go)
    ))
}

fn report(family: &str, checked: usize, failures: Vec<String>) {
    assert!(checked > 0, "{family}: no case checked");
    assert!(
        failures.is_empty(),
        "{} of {checked} {family} cases differ from Go:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The string input of a json or yaml case, from `hex`, checked against
/// `input_sha256`.
fn input_bytes(c: &Json) -> Vec<u8> {
    let bytes = hex::decode(s(c, "hex")).expect("hex input");
    assert_eq!(
        Digest::of(&bytes).hex(),
        s(c, "input_sha256"),
        "case {}: input_sha256",
        label(c)
    );
    if let Some(text) = c["text"].as_str() {
        assert_eq!(
            text.as_bytes(),
            &bytes[..],
            "case {}: text vs hex",
            label(c)
        );
    }
    bytes
}

#[test]
fn manifest_records_go_1_23_and_go_yaml_2_4() {
    let m = manifest();
    let version = m["go_version"].as_str().unwrap();
    assert!(
        version.starts_with("go1.23."),
        "corpus written by {version}"
    );
    assert!(m["go_yaml"].as_str().unwrap().contains("v2.4.0"));
    // Every case belongs to a family compared below.
    let families: BTreeSet<&str> = m["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["family"].as_str().unwrap())
        .collect();
    assert_eq!(
        families,
        BTreeSet::from(["flate", "gzip", "json", "tar", "yaml"])
    );
}

fn compressed(family: &str, compress: fn(&[u8]) -> Vec<u8>) {
    let m = manifest();
    let mut failures = Vec::new();
    let list = cases(&m, family);
    for c in &list {
        let name = label(c);
        let size = c["size"].as_u64().unwrap() as usize;
        let input = go_inputs::input(s(c, "generator"), size);
        assert_eq!(
            Digest::of(&input).hex(),
            s(c, "input_sha256"),
            "case {name}: go_inputs::input differs from main.go's input()"
        );
        failures.extend(diff(&name, &compress(&input), &expected(c, &name)));
    }
    report(family, list.len(), failures);
}

#[test]
fn flate_best_speed_matches_go() {
    compressed("flate", go::flate::go_deflate_best_speed);
}

#[test]
fn gzip_best_speed_matches_go() {
    compressed("gzip", go::flate::go_gzip_best_speed);
}

#[test]
fn corpus_covers_every_input_kind_and_size() {
    let m = manifest();
    for family in ["flate", "gzip"] {
        let got: BTreeSet<(String, u64)> = cases(&m, family)
            .iter()
            .map(|c| (s(c, "generator").to_string(), c["size"].as_u64().unwrap()))
            .collect();
        let want: BTreeSet<(String, u64)> = go_inputs::KINDS
            .iter()
            .flat_map(|k| go_inputs::SIZES.iter().map(|&n| (k.to_string(), n as u64)))
            .collect();
        assert_eq!(got, want, "{family}");
    }
}

struct TarCase {
    name: String,
    size: u64,
    mode: u32,
    kind: go::tar::Kind,
    body: Vec<u8>,
}

fn tar_case(h: &Json) -> TarCase {
    let kind = match s(h, "Typeflag") {
        "0" => go::tar::Kind::Regular,
        "5" => go::tar::Kind::Directory,
        other => panic!("unexpected Typeflag {other:?}"),
    };
    TarCase {
        name: s(h, "Name").to_string(),
        size: h["Size"].as_u64().unwrap(),
        mode: u32::from_str_radix(s(h, "Mode"), 8).unwrap(),
        kind,
        body: h["body"].as_str().unwrap_or("").as_bytes().to_vec(),
    }
}

/// Names `tar::entry_header` refuses by policy although Go writes them.
fn refused_by_policy(name: &str) -> bool {
    name.is_empty()
        || name.starts_with('/')
        || name.ends_with('/')
        || name.split('/').any(|c| c == "..")
}

#[test]
fn tar_headers_match_go() {
    let m = manifest();
    let mut failures = Vec::new();
    let list = cases(&m, "tar");
    let mut headers = 0;
    for c in &list {
        let case = label(c);
        if c.get("entries").is_some() {
            continue;
        }
        headers += 1;
        let t = tar_case(&c["header"]);
        let go_bytes = expected(c, &case);
        let h = go::tar::Header {
            name: &t.name,
            size: t.size,
            mode: t.mode,
            kind: t.kind,
        };
        match go::tar::header(&h) {
            Ok(ours) => failures.extend(diff(&case, &ours, &go_bytes)),
            Err(e) => failures.push(format!("case {case}: go::tar::header failed: {e}")),
        }
        // The tar writer's own entry point gives the same bytes.
        if t.kind == go::tar::Kind::Regular {
            match tar::entry_header(&t.name, t.size, t.mode) {
                Ok(ours) => {
                    failures.extend(diff(&format!("{case} (entry_header)"), &ours, &go_bytes))
                }
                Err(TarWriteError::BadName { .. }) if refused_by_policy(&t.name) => {}
                Err(e) => failures.push(format!("case {case}: entry_header failed: {e}")),
            }
            if go_bytes.len() == 512 {
                match tar::ustar_header(&t.name, t.size, t.mode) {
                    Ok(ours) => {
                        failures.extend(diff(&format!("{case} (ustar_header)"), &ours, &go_bytes))
                    }
                    Err(e) => failures.push(format!("case {case}: ustar_header failed: {e}")),
                }
            }
        }
    }
    assert_eq!(headers, list.len() - 2, "two whole-archive cases");
    report("tar", list.len(), failures);
}

#[test]
fn whole_tar_archives_match_go() {
    let m = manifest();
    let list = cases(&m, "tar");
    let c = |name: &str| {
        list.iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no tar case {name}"))
            .clone()
    };
    let entries = |c: &Json| -> Vec<TarCase> {
        c["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(tar_case)
            .collect()
    };

    // imgpkg's tar: regular files, mode 0644, through TarWriter.
    let case = c("archive-imgpkg");
    let mut tw = TarWriter::new(Vec::new());
    for e in entries(&case) {
        assert_eq!(e.mode, 0o644);
        assert_eq!(e.size, e.body.len() as u64);
        tw.append_data(&e.name, &e.body).unwrap();
    }
    let ours = tw.finish().unwrap();
    let go_bytes = expected(&case, "tar/archive-imgpkg");
    if let Some(msg) = diff("tar/archive-imgpkg", &ours, &go_bytes) {
        panic!("{msg}");
    }

    // imgpkg's file image: directories 0700 and files, through go_tar.
    let case = c("archive-imagebuild");
    let tree: Vec<TreeEntry> = entries(&case)
        .into_iter()
        .map(|e| match e.kind {
            go::tar::Kind::Directory => {
                assert_eq!(e.mode, 0o700);
                TreeEntry::Dir { path: e.name }
            }
            go::tar::Kind::Regular => TreeEntry::File {
                path: e.name,
                mode: e.mode,
                contents: e.body,
            },
        })
        .collect();
    let go_bytes = expected(&case, "tar/archive-imagebuild");
    if let Some(msg) = diff(
        "tar/archive-imagebuild",
        &imagebuild::go_tar(&tree),
        &go_bytes,
    ) {
        panic!("{msg}");
    }
}

/// Checks each json case of `form` against Go's output: `check` gets the
/// case, its label and Go's bytes, and adds what differs to the failures;
/// then reports them (as `what`).
fn check_json_cases(form: &str, what: &str, check: impl Fn(&Json, &str, &[u8], &mut Vec<String>)) {
    let list = json_cases(form);
    let mut failures = Vec::new();
    for c in &list {
        let case = label(c);
        let go_bytes = expected(c, &case);
        check(c, &case, &go_bytes, &mut failures);
    }
    report(what, list.len(), failures);
}

#[test]
fn json_strings_match_go() {
    check_json_cases("string", "json string", |c, case, go_bytes, failures| {
        let input = input_bytes(c);
        let mut ours = Vec::new();
        go::json::write_string_bytes(&mut ours, &input);
        failures.extend(diff(case, &ours, go_bytes));
        // Valid UTF-8 also goes through the serde_json formatter.
        if let Ok(text) = std::str::from_utf8(&input) {
            let ours = go::json::marshal(text).unwrap();
            failures.extend(diff(&format!("{case} (GoFormatter)"), &ours, go_bytes));
            failures.extend(diff(
                &format!("{case} (json::string)"),
                go::json::string(text).as_bytes(),
                go_bytes,
            ));
        }
    });
}

#[test]
fn manifest_json_matches_go() {
    check_json_cases(
        "manifest.json",
        "manifest.json",
        |_, case, go_bytes, failures| {
            // The Go output is the only record of the value: read it, write it.
            let parsed = manifest_json::parse(go_bytes)
                .unwrap_or_else(|e| panic!("case {case}: parsing Go's manifest.json: {e}"));
            failures.extend(diff(case, &manifest_json::to_json(&parsed), go_bytes));
        },
    );
}

fn yaml_value(j: &Json) -> go::yaml::Value {
    use go::yaml::Value;
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::String(s) => Value::Str(s.clone()),
        Json::Array(a) => Value::Seq(a.iter().map(yaml_value).collect()),
        Json::Object(o) => Value::Map(o.iter().map(|(k, v)| (k.clone(), yaml_value(v))).collect()),
        Json::Number(n) => panic!("the emitter's data model has no numbers ({n})"),
    }
}

#[test]
fn yaml_matches_go_yaml_and_imgpkg() {
    use go::yaml::Value;
    let m = manifest();
    let mut failures = Vec::new();
    let mut sigs_differences = BTreeSet::new();
    let list = cases(&m, "yaml");
    for c in &list {
        let case = label(c);
        let form = s(c, "form");
        let value = if form == "doc" {
            yaml_value(&c["value"]["doc"])
        } else {
            let bytes = input_bytes(c);
            let text = String::from_utf8(bytes)
                .unwrap_or_else(|_| panic!("case {case}: YAML input is not UTF-8"));
            match form {
                "value" => Value::Map(vec![("key".into(), Value::Str(text))]),
                "list" => Value::Seq(vec![Value::Str(text)]),
                "key" => Value::Map(vec![(text, Value::str("v"))]),
                other => panic!("case {case}: unknown form {other}"),
            }
        };
        let ours = go::yaml::to_string(&value);
        failures.extend(diff(&case, ours.as_bytes(), &expected(c, &case)));

        let sigs = &c["sigs_k8s_yaml"];
        if sigs["same_as_direct"] != true {
            sigs_differences.insert((form.to_string(), s(c, "name").to_string()));
            // Record what imgpkg would do, to keep the documented list honest.
            if sigs.get("output").is_some() {
                let imgpkg = expected(sigs, &format!("{case} (sigs)"));
                assert!(
                    imgpkg != ours.as_bytes(),
                    "case {case}: sigs output equals ours"
                );
            } else {
                assert!(
                    sigs["error"]
                        .as_str()
                        .is_some_and(|e| e.starts_with("yaml: ")),
                    "case {case}: sigs_k8s_yaml has neither output nor error"
                );
            }
        }
    }
    let documented: BTreeSet<(String, String)> = SIGS_DIFFERENCES
        .iter()
        .map(|(f, n)| (f.to_string(), n.to_string()))
        .collect();
    assert_eq!(
        sigs_differences, documented,
        "cases where sigs.k8s.io/yaml differs from plain go-yaml"
    );
    report("yaml", list.len(), failures);
}
