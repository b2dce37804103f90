//! Running a copy session over the native transport.

use airlock_cli::transport::{run_copy, NativeConfig, NativeTransport};
use airlock_core::plan::RelocationPlan;
use airlock_core::registry::auth::{AnonymousKeychain, Keychain};
use airlock_core::registry::copy::{CopyError, CopyEvent, CopyOptions, CopySession, CopySummary};
use airlock_core::registry::{Client, ClientConfig};

/// The native transport with default settings.
pub fn transport() -> NativeTransport {
    NativeTransport::new(&NativeConfig::default()).unwrap()
}

/// Runs a copy of `plan` with the given credentials.
pub fn copy(
    plan: &RelocationPlan,
    keychain: Box<dyn Keychain>,
    options: CopyOptions,
) -> (Result<CopySummary, CopyError>, Vec<CopyEvent>) {
    copy_with(
        &transport(),
        plan,
        keychain,
        options,
        ClientConfig::default(),
        &mut |_| {},
    )
}

/// Runs a copy of `plan` on `transport` with `config`, passing each event
/// to `on_event` too.
pub fn copy_with(
    transport: &NativeTransport,
    plan: &RelocationPlan,
    keychain: Box<dyn Keychain>,
    options: CopyOptions,
    config: ClientConfig,
    on_event: &mut dyn FnMut(&CopyEvent),
) -> (Result<CopySummary, CopyError>, Vec<CopyEvent>) {
    let client = Client::new(config, keychain);
    let mut session = CopySession::new(client, plan.clone(), options);
    let mut events = Vec::new();
    let r = run_copy(transport, &mut session, &mut |e| {
        on_event(&e);
        events.push(e);
    });
    (r, events)
}

/// Runs an anonymous copy of `plan` on `transport` with the default client
/// settings, passing each event to `on_event`.
pub fn copy_anonymous(
    transport: &NativeTransport,
    plan: &RelocationPlan,
    options: CopyOptions,
    on_event: &mut dyn FnMut(&CopyEvent),
) -> Result<CopySummary, CopyError> {
    let keychain = Box::new(AnonymousKeychain);
    copy_with(
        transport,
        plan,
        keychain,
        options,
        ClientConfig::default(),
        on_event,
    )
    .0
}
