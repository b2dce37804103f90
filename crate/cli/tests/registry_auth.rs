#![cfg(not(target_arch = "wasm32"))]
//! Pushing to a real Distribution registry with htpasswd (Basic) and Docker
//! token authentication.

use std::collections::BTreeMap;

use airlock_core::plan::RelocationPlan;
use airlock_core::registry::auth::{AnonymousKeychain, Credentials, StaticKeychain};
use airlock_core::registry::copy::CopyOptions;
use airlock_core::registry::credentials::{CredentialChain, GlobalCredentials};

use airlock_testkit::support::*;

fn creds(reg: &TestRegistry, password: &str) -> Box<StaticKeychain> {
    Box::new(StaticKeychain::new().with(reg.host(), Credentials::basic(USER, password)))
}

#[test]
fn basic_auth_push_and_rerun() {
    let reg = TestRegistry::start(Auth::Basic);
    let plan = small_plan(&reg.repo("dst/app"));
    let (r, _) = copy(&plan, creds(&reg, PASSWORD), CopyOptions::default());
    r.unwrap_or_else(|e| panic!("{e}\n{}", reg.log()));
    assert_plan_present(&reg, &plan);
    // As before the tag list, plus the tag list.
    assert_rerun_skips(&reg, &plan, 5 + 1);
}

/// A second copy of `plan` finds both its items there, in at most
/// `max_requests` requests.
fn assert_rerun_skips(reg: &TestRegistry, plan: &RelocationPlan, max_requests: u64) {
    let (r, _) = copy(plan, creds(reg, PASSWORD), CopyOptions::default());
    let s = r.unwrap();
    assert_eq!(s.items_skipped, 2);
    assert!(s.requests <= max_requests, "{s:?}");
}

/// A registry with `auth`, a plan for it, and the error of copying that
/// plan with a wrong password.
fn wrong_password(auth: Auth) -> (TestRegistry, RelocationPlan, String) {
    let reg = TestRegistry::start(auth);
    let plan = small_plan(&reg.repo("dst/app"));
    let (r, _) = copy(&plan, creds(&reg, "wrong"), CopyOptions::default());
    (reg, plan, r.unwrap_err().to_string())
}

#[test]
fn basic_auth_wrong_password_is_a_clear_error() {
    let (reg, plan, e) = wrong_password(Auth::Basic);
    assert!(e.contains("UNAUTHORIZED: authentication required"), "{e}");
    assert!(e.starts_with("checking 127.0.0.1:"), "{e}");
    // Anonymous fails the same way.
    let (r, _) = copy(&plan, Box::new(AnonymousKeychain), CopyOptions::default());
    let e = r.unwrap_err().to_string();
    assert!(e.contains("authentication required"), "{e}");
    assert!(reg.tags("dst/app").is_empty());
}

#[test]
fn token_auth_push_requests_the_right_scopes_once() {
    let reg = TestRegistry::start(Auth::Token);
    let plan = small_plan(&reg.repo("dst/app"));
    let (r, _) = copy(&plan, creds(&reg, PASSWORD), CopyOptions::default());
    let s = r.unwrap_or_else(|e| panic!("{e}\n{}", reg.log()));
    assert_eq!(s.items_pushed, 2);
    // (Snapshot before the verification requests add their own tokens.)
    let log = reg.issuer_requests();
    assert_plan_present(&reg, &plan);
    let ours: Vec<_> = log.iter().filter(|(u, _, _)| u == USER).collect();
    assert_eq!(ours.len(), 1, "one token for the whole push: {log:?}");
    assert_eq!(ours[0].1, vec!["repository:dst/app:pull,push".to_string()]);
    assert_eq!(ours[0].2, 200);

    // Re-run: a new session fetches one token again, then the tag list and
    // HEADs only.
    assert_rerun_skips(&reg, &plan, 6 + 1);
}

#[test]
fn token_auth_wrong_password_is_a_clear_error() {
    let (reg, _, e) = wrong_password(Auth::Token);
    assert!(e.contains("authentication failed"), "{e}");
    assert!(e.contains("incorrect username or password"), "{e}");
    assert!(
        e.contains(&format!("authenticating to {}", reg.host())),
        "{e}"
    );
    let log = reg.issuer_requests();
    assert!(log.iter().all(|(_, _, s)| *s == 401), "{log:?}");
    assert_eq!(log.len(), 1, "a refused token is not retried: {log:?}");
}

#[test]
fn token_auth_mount_asks_for_source_pull_scope() {
    let reg = TestRegistry::start(Auth::Token);
    let src = reg.repo("src/app");
    let seed = small_plan(&src);
    copy(&seed, creds(&reg, PASSWORD), CopyOptions::default())
        .0
        .unwrap();

    let dst = reg.repo("mirror/app");
    let plan = sourced_from(&seed, &src, &dst);
    let (r, _) = copy(&plan, creds(&reg, PASSWORD), CopyOptions::default());
    let s = r.unwrap_or_else(|e| panic!("{e}\n{}", reg.log()));
    assert_eq!(s.blobs_mounted, 7, "{s:?}");
    let log = reg.issuer_requests();
    assert_plan_present(&reg, &plan);
    assert!(
        log.iter().any(|(_, scopes, _)| scopes
            .contains(&"repository:mirror/app:pull,push".to_string())
            && scopes.contains(&"repository:src/app:pull".to_string())),
        "{log:?}"
    );
}

#[test]
fn identity_token_uses_the_oauth2_refresh_flow() {
    let reg = TestRegistry::start(Auth::Token);
    let plan = small_plan(&reg.repo("dst/idt"));
    let kc = StaticKeychain::new().with(
        reg.host(),
        Credentials::IdentityToken {
            username: USER.into(),
            token: PASSWORD.into(),
        },
    );
    let (r, _) = copy(&plan, Box::new(kc), CopyOptions::default());
    r.unwrap_or_else(|e| panic!("{e}"));
    assert_plan_present(&reg, &plan);
}

#[test]
fn credentials_from_imgpkg_environment_variables() {
    let reg = TestRegistry::start(Auth::Token);
    let plan = small_plan(&reg.repo("dst/env"));
    let env: BTreeMap<String, String> = [
        ("IMGPKG_REGISTRY_HOSTNAME_0", reg.host()),
        ("IMGPKG_REGISTRY_USERNAME_0", USER.to_string()),
        ("IMGPKG_REGISTRY_PASSWORD_0", PASSWORD.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let chain = CredentialChain::new(&env, GlobalCredentials::default(), None).unwrap();
    let (r, _) = copy(&plan, Box::new(chain), CopyOptions::default());
    r.unwrap_or_else(|e| panic!("{e}"));
    assert_plan_present(&reg, &plan);
}
