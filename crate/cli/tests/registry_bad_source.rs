#![cfg(not(target_arch = "wasm32"))]
//! Bad input from a source registry: a manifest whose bytes do not match
//! the digest asked for, a blob of the wrong size, a blob with the wrong
//! bytes, and an error answer with a non-JSON body. Each gives a clear
//! error naming the reference, and nothing is tagged at the destination
//! (or written under the --to-tar name).
//!
//! The misbehaving source is a small HTTP server in this test (Distribution
//! itself never serves such answers); the destination is a real registry.

use airlock_testkit::support::Airlock;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;

use airlock_core::digest::Digest;
use airlock_testkit::support::{Auth, TempDir, TestRegistry};

const AIRLOCK: Airlock =
    Airlock::new(env!("CARGO_BIN_EXE_airlock")).trailing(&["--registry-retry-count", "2"]);

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

struct Route {
    path: String,
    status: u16,
    content_type: String,
    body: Vec<u8>,
    /// Content-Length to announce (None: the body's length).
    length: Option<usize>,
}

/// Serves fixed answers on 127.0.0.1, one request per connection.
fn serve(routes: Vec<Route>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let routes = Arc::new(routes);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let routes = routes.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut first = String::new();
                if reader.read_line(&mut first).unwrap_or(0) == 0 || first.as_bytes()[0] == 0x16 {
                    return; // closed, or a TLS ClientHello (the https probe)
                }
                loop {
                    let mut l = String::new();
                    if reader.read_line(&mut l).unwrap_or(0) == 0 || l == "\r\n" {
                        break;
                    }
                }
                let mut parts = first.split_whitespace();
                let method = parts.next().unwrap_or("").to_string();
                let path = parts.next().unwrap_or("").to_string();
                let route = routes.iter().find(|r| r.path == path);
                let (status, ct, body, len) = match route {
                    Some(r) => (
                        r.status,
                        r.content_type.clone(),
                        r.body.clone(),
                        r.length.unwrap_or(r.body.len()),
                    ),
                    None if path == "/v2/" => (200, "application/json".into(), b"{}".to_vec(), 2),
                    None => (
                        404,
                        "application/json".into(),
                        br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#
                            .to_vec(),
                        71,
                    ),
                };
                let mut head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: {ct}\r\nContent-Length: {len}\r\nConnection: close\r\n"
                );
                if status == 200 && path.contains("/manifests/") {
                    head.push_str(&format!("Docker-Content-Digest: {}\r\n", Digest::of(&body)));
                }
                head.push_str("\r\n");
                let _ = conn.write_all(head.as_bytes());
                if method != "HEAD" {
                    let _ = conn.write_all(&body[..body.len().min(len)]);
                }
            });
        }
    });
    port
}

fn manifest_with_layer(config: &[u8], layer_digest: &Digest, layer_size: usize) -> Vec<u8> {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{layer_digest}","size":{layer_size}}}]}}"#,
        Digest::of(config),
        config.len()
    )
    .into_bytes()
}

fn route(path: String, status: u16, ct: &str, body: Vec<u8>) -> Route {
    Route {
        path,
        status,
        content_type: ct.into(),
        body,
        length: None,
    }
}

#[test]
fn bad_source_answers_are_clear_errors_and_tag_nothing() {
    let dst = TestRegistry::start(Auth::None);
    let config = br#"{"architecture":"amd64","os":"linux","config":{}}"#.to_vec();
    let layer = vec![7u8; 4096];
    let layer_digest = Digest::of(&layer);
    let good = manifest_with_layer(&config, &layer_digest, layer.len());
    let good_digest = Digest::of(&good);
    let other = manifest_with_layer(&config, &layer_digest, layer.len() + 1);

    let blob_path = |repo: &str, d: &Digest| format!("/v2/{repo}/blobs/{d}");
    let octets = "application/octet-stream";
    // `repo:v1` is the good manifest and its config is right; its layer is
    // answered with `status`, `ct` and `body`.
    let layer_answered = |repo: &str, status: u16, ct: &str, body: Vec<u8>| {
        vec![
            route(
                format!("/v2/{repo}/manifests/v1"),
                200,
                OCI_MANIFEST,
                good.clone(),
            ),
            route(
                blob_path(repo, &Digest::of(&config)),
                200,
                octets,
                config.clone(),
            ),
            route(blob_path(repo, &layer_digest), status, ct, body),
        ]
    };
    let routes = [
        // src/mismatch: asked by digest, answers other bytes.
        vec![route(
            format!("/v2/src/mismatch/manifests/{good_digest}"),
            200,
            OCI_MANIFEST,
            other,
        )],
        // src/short: the layer blob is shorter than its descriptor says.
        layer_answered("src/short", 200, octets, layer[..1000].to_vec()),
        // src/wrongbytes: right size, wrong content.
        layer_answered("src/wrongbytes", 200, octets, vec![8u8; 4096]),
        // src/html: the blob answer is an HTML error page.
        layer_answered(
            "src/html",
            502,
            "text/html",
            b"<html><body>Bad Gateway</body></html>".to_vec(),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    let port = serve(routes);
    let src = format!("127.0.0.1:{port}");
    let dir = TempDir::new("bad-source");

    let cases: [(&str, String, &[&str]); 4] = [
        (
            "mismatch",
            format!("{src}/src/mismatch@{good_digest}"),
            &["digest"],
        ),
        (
            "short",
            format!("{src}/src/short:v1"),
            &[&layer_digest.to_string()],
        ),
        (
            "wrongbytes",
            format!("{src}/src/wrongbytes:v1"),
            &[&layer_digest.to_string()],
        ),
        (
            "html",
            format!("{src}/src/html:v1"),
            &["502", "Bad Gateway"],
        ),
    ];
    for (name, reference, wants) in cases {
        let repo = format!("dst/{name}");
        let out = AIRLOCK.run(&[
            "copy",
            "-i",
            &reference,
            "--to-repo",
            &format!("{}/{repo}", dst.host()),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        let last = stderr.lines().last().unwrap_or("");
        assert!(
            last.starts_with("airlock: Error: ") || stderr.contains("airlock: Error: "),
            "{name}: {stderr}"
        );
        for w in wants {
            assert!(stderr.contains(w), "{name}: wanted {w:?} in {stderr}");
        }
        assert!(
            dst.tags(&repo).is_empty(),
            "{name}: nothing may be tagged: {:?}",
            dst.tags(&repo)
        );

        let tar = dir.path().join(format!("{name}.tar"));
        let out = AIRLOCK.run(&["copy", "-i", &reference, "--to-tar", tar.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name} --to-tar: {stderr}");
        assert!(!tar.exists(), "{name}: a failed export leaves no file");
    }
}
