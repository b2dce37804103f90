//! The thread pool and the driver loop: a [`Machine`]'s requests go to
//! worker threads, their answers and progress come back to the driver
//! thread, which sleeps until the machine's next deadline when nothing is
//! in flight.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airlock_core::registry::copy::{CopyError, CopyEvent, CopySession, CopySummary};
use airlock_core::registry::http::{HttpRequest, HttpResult};
use airlock_core::registry::{Machine, RequestId};

use super::{DriveError, NativeTransport};

impl NativeTransport {
    /// Drives `machine` until it finishes. `on_wake` runs on the driver
    /// thread after every batch of activity (drain events there).
    pub fn drive<M: Machine + ?Sized>(
        &self,
        machine: &mut M,
        on_wake: &mut dyn FnMut(&mut M),
    ) -> Result<(), DriveError> {
        let start = Instant::now();
        let now = || start.elapsed().as_millis() as u64;
        let (job_tx, job_rx) = mpsc::channel::<(RequestId, HttpRequest)>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (msg_tx, msg_rx) = mpsc::channel::<Msg>();
        for _ in 0..self.workers {
            let rx = job_rx.clone();
            let tx = msg_tx.clone();
            let transport = self.clone();
            std::thread::spawn(move || loop {
                let job = match rx.lock() {
                    Ok(guard) => guard.recv(),
                    Err(_) => return,
                };
                let Ok((id, request)) = job else { return };
                let progress_tx = tx.clone();
                let mut progress = |n: u64| {
                    let _ = progress_tx.send(Msg::Progress(id, n));
                };
                // Past the gate (when several sessions share one budget),
                // the request counts as in flight until its answer is read.
                let permit = transport.gate.as_deref().map(|g| g.enter());
                transport.flight.started(Instant::now());
                let result = transport.execute(&request, &mut progress);
                transport.flight.finished(Instant::now());
                drop(permit);
                if tx.send(Msg::Response(id, result)).is_err() {
                    return;
                }
            });
        }
        drop(msg_tx);
        let mut in_flight = 0usize;
        loop {
            while let Some(t) = machine.poll_transmit(now()) {
                in_flight += 1;
                if job_tx.send((t.id, t.request)).is_err() {
                    break;
                }
            }
            on_wake(machine);
            if machine.is_finished() {
                return Ok(());
            }
            let deadline = machine.poll_timeout();
            let msg = if in_flight == 0 {
                match deadline {
                    Some(t) => {
                        let n = now();
                        if t > n {
                            std::thread::sleep(Duration::from_millis(t - n));
                        }
                        continue;
                    }
                    None => return Err(DriveError::Stalled),
                }
            } else {
                match deadline {
                    Some(t) => {
                        let wait = t.saturating_sub(now());
                        match msg_rx.recv_timeout(Duration::from_millis(wait)) {
                            Ok(m) => m,
                            Err(RecvTimeoutError::Timeout) => continue,
                            Err(RecvTimeoutError::Disconnected) => return Err(DriveError::Stalled),
                        }
                    }
                    None => match msg_rx.recv() {
                        Ok(m) => m,
                        Err(_) => return Err(DriveError::Stalled),
                    },
                }
            };
            match msg {
                Msg::Response(id, r) => {
                    in_flight -= 1;
                    machine.handle_response(id, now(), r);
                }
                Msg::Progress(id, n) => machine.handle_progress(id, n),
            }
        }
    }
}

enum Msg {
    Response(RequestId, HttpResult),
    Progress(RequestId, u64),
}

/// Runs a copy session to the end, passing every event to `on_event`.
pub fn run_copy(
    transport: &NativeTransport,
    session: &mut CopySession,
    on_event: &mut dyn FnMut(CopyEvent),
) -> Result<CopySummary, CopyError> {
    let drive = transport.drive(session, &mut |s: &mut CopySession| {
        while let Some(e) = s.poll_event() {
            on_event(e);
        }
    });
    while let Some(e) = session.poll_event() {
        on_event(e);
    }
    if let Err(e) = drive {
        return Err(CopyError::Registry {
            action: "copying".into(),
            source: e.into(),
        });
    }
    session.result().unwrap_or(Err(CopyError::Cancelled))
}
