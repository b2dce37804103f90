//! Driving the session: the [`Machine`] a transport runs, on top of the
//! client's own.

use super::super::client::{ClientEvent, RequestId, Transmit};
use super::super::http::HttpResult;
use super::super::Machine;
use super::events::{CopyEvent, CopyStep};
use super::state::Work;
use super::CopySession;

impl CopySession {
    /// Hands the client's events to the handlers; true if there were any.
    fn drain_client(&mut self) -> bool {
        let mut any = false;
        while let Some(ev) = self.client.poll_event() {
            any = true;
            match ev {
                ClientEvent::Completed { call, result } => self.on_completed(call, result),
                ClientEvent::Progress { call, bytes_sent } => {
                    if let Some(Work::Blob(d)) = self.running.get(&call) {
                        let size = self.blobs.get(d).map(|b| b.blob.size).unwrap_or(0);
                        self.events.push_back(CopyEvent::BlobProgress {
                            digest: *d,
                            bytes_sent,
                            size,
                        });
                    }
                }
            }
        }
        any
    }
}

impl Machine for CopySession {
    fn poll_transmit(&mut self, now_ms: u64) -> Option<Transmit> {
        self.check_cancel();
        loop {
            if self.is_finished() {
                return None;
            }
            self.advance_steps();
            self.start_queued();
            if self.is_finished() {
                return None;
            }
            let t = self.client.poll_transmit(now_ms);
            let any = self.drain_client();
            if t.is_some() {
                return t;
            }
            if !any {
                return None;
            }
        }
    }

    fn handle_response(&mut self, id: RequestId, now_ms: u64, result: HttpResult) {
        self.check_cancel();
        if self.is_finished() {
            return;
        }
        self.client.handle_response(id, now_ms, result);
        self.drain_client();
        self.advance_steps();
    }

    fn handle_progress(&mut self, id: RequestId, bytes_sent: u64) {
        self.client.handle_progress(id, bytes_sent);
        self.drain_client();
    }

    fn poll_timeout(&self) -> Option<u64> {
        self.client.poll_timeout()
    }

    fn is_finished(&self) -> bool {
        self.error.is_some()
            || self.step == CopyStep::Done
            || (self.cancel.is_cancelled() && self.error.is_none())
    }
}
