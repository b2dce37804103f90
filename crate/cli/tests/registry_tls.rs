#![cfg(not(target_arch = "wasm32"))]
//! HTTPS registries: extra CA certificates and `--registry-verify-certs=false`.

use airlock_cli::transport::{run_read, NativeConfig, NativeTransport};
use airlock_core::reference::Reference;
use airlock_core::registry::auth::AnonymousKeychain;
use airlock_core::registry::copy::CopyOptions;
use airlock_core::registry::read::{Read, ReadOutput};
use airlock_core::registry::{Client, ClientConfig};

use airlock_testkit::support::*;

#[test]
fn https_with_extra_ca_then_without_verification() {
    let reg = TestRegistry::start_tls(Auth::None);
    let plan = small_plan(&reg.repo("dst/tls"));

    // Without the CA the https probe fails; the http fallback meets a TLS
    // port, so the copy fails clearly.
    let (r, _) = copy(&plan, Box::new(AnonymousKeychain), CopyOptions::default());
    let e = r.unwrap_err().to_string();
    assert!(e.contains("http://127.0.0.1:") && e.contains("400"), "{e}");
    eprintln!("{e}");

    // With the CA: https works.
    let with_ca = NativeTransport::new(&NativeConfig {
        ca_cert_paths: vec![reg.ca_cert.clone().unwrap()],
        ..NativeConfig::default()
    })
    .unwrap();
    let r = copy_anonymous(&with_ca, &plan, CopyOptions::default(), &mut |_| {});
    let s = r.unwrap_or_else(|e| panic!("{e}\n{}", reg.log()));
    assert_eq!(s.items_pushed, 2);

    let v1 = Reference::parse(&format!("{}/dst/tls:v1", reg.host())).unwrap();
    let mut read = Read::resolve_digest(
        Client::new(ClientConfig::default(), Box::new(AnonymousKeychain)),
        &v1,
    );
    assert_eq!(
        run_read(&with_ca, &mut read).unwrap(),
        ReadOutput::Digest(Some(plan.tags[0].digest))
    );

    // Verification off: works without the CA too.
    let insecure = NativeTransport::new(&NativeConfig {
        verify_certs: false,
        ..NativeConfig::default()
    })
    .unwrap();
    let r = copy_anonymous(&insecure, &plan, CopyOptions::default(), &mut |_| {});
    assert_eq!(r.unwrap().items_skipped, 2);
}
