//! Machines built on one [`Client`]: the read helpers, downloads, blob
//! probes, "test connection". Each says what a finished call means
//! ([`OnClient::on_completed`]); the [`Machine`] methods, which pass the
//! transport's answers to the client and hand its events back, are written
//! once here.
//!
//! ```text
//!  poll_transmit ──> client.poll_transmit ──> on_completed(call, result)…
//!     └── again while calls finished without a request, until is_done()
//!  handle_response ──> client.handle_response ──> on_completed(call, result)…
//! ```

use super::client::{CallId, Client, ClientEvent, RequestId, Transmit};
use super::error::RegistryError;
use super::http::HttpResult;
use super::op::OpOutput;
use super::Machine;

/// A [`Machine`] whose requests are all calls on one [`Client`] (see the
/// module doc); implementing this implements [`Machine`].
pub trait OnClient {
    /// The client the calls run on.
    fn client(&self) -> &Client;
    /// The client, to start calls on and pass answers to.
    fn client_mut(&mut self) -> &mut Client;
    /// A call finished (calls the machine did not start are reported too).
    fn on_completed(&mut self, call: CallId, result: Result<OpOutput, RegistryError>);
    /// Done, successfully or not: nothing more is sent.
    fn is_done(&self) -> bool;
}

/// Writes [`OnClient::client`] and [`OnClient::client_mut`] for a machine
/// that keeps its [`Client`] in a field: `client_in_field!(client);` inside
/// the `impl OnClient` block.
#[macro_export]
macro_rules! client_in_field {
    ($field:ident) => {
        fn client(&self) -> &$crate::registry::client::Client {
            &self.$field
        }

        fn client_mut(&mut self) -> &mut $crate::registry::client::Client {
            &mut self.$field
        }
    };
}

/// Hands every finished call to the machine; whether there was one.
fn drain<M: OnClient + ?Sized>(machine: &mut M) -> bool {
    let mut any = false;
    while let Some(event) = machine.client_mut().poll_event() {
        if let ClientEvent::Completed { call, result } = event {
            any = true;
            machine.on_completed(call, result);
        }
    }
    any
}

impl<M: OnClient> Machine for M {
    fn poll_transmit(&mut self, now_ms: u64) -> Option<Transmit> {
        loop {
            if self.is_done() {
                return None;
            }
            let t = self.client_mut().poll_transmit(now_ms);
            let any = drain(self);
            if self.is_done() {
                return None;
            }
            if t.is_some() || !any {
                return t;
            }
        }
    }

    fn handle_response(&mut self, id: RequestId, now_ms: u64, result: HttpResult) {
        self.client_mut().handle_response(id, now_ms, result);
        drain(self);
    }

    fn poll_timeout(&self) -> Option<u64> {
        self.client().poll_timeout()
    }

    fn is_finished(&self) -> bool {
        self.is_done()
    }
}
