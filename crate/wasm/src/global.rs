//! The JS global scope the transport runs in (`Window` on the page,
//! `WorkerGlobalScope` in the push worker): `fetch`, and timers.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// `setTimeout` and `fetch` live on `Window` or `WorkerGlobalScope`.
pub(crate) enum Global {
    Window(web_sys::Window),
    Worker(web_sys::WorkerGlobalScope),
}

impl Global {
    pub(crate) fn set_timeout_with_callback_and_timeout_and_arguments_0(
        &self,
        f: &js_sys::Function,
        ms: i32,
    ) -> Result<i32, JsValue> {
        match self {
            Global::Window(w) => w.set_timeout_with_callback_and_timeout_and_arguments_0(f, ms),
            Global::Worker(w) => w.set_timeout_with_callback_and_timeout_and_arguments_0(f, ms),
        }
    }

    pub(crate) fn clear_timeout(&self, handle: i32) {
        match self {
            Global::Window(w) => w.clear_timeout_with_handle(handle),
            Global::Worker(w) => w.clear_timeout_with_handle(handle),
        }
    }

    pub(crate) fn fetch(&self, req: &web_sys::Request) -> js_sys::Promise {
        match self {
            Global::Window(w) => w.fetch_with_request(req),
            Global::Worker(w) => w.fetch_with_request(req),
        }
    }
}

pub(crate) fn global() -> Option<Global> {
    let g = js_sys::global();
    if let Some(w) = g.dyn_ref::<web_sys::Window>() {
        return Some(Global::Window(w.clone()));
    }
    g.dyn_into::<web_sys::WorkerGlobalScope>()
        .ok()
        .map(Global::Worker)
}

/// A one-shot timer: calls `on_fire` after `ms` unless dropped first, and
/// remembers that it did.
pub(crate) struct Deadline {
    handle: i32,
    fired: Rc<Cell<bool>>,
    _closure: Closure<dyn FnMut()>,
}

impl Deadline {
    /// `None` for `ms == 0` (no deadline) or where there is no timer.
    pub(crate) fn start(ms: u32, on_fire: impl FnOnce() + 'static) -> Option<Deadline> {
        if ms == 0 {
            return None;
        }
        let g = global()?;
        let fired = Rc::new(Cell::new(false));
        let mut on_fire = Some(on_fire);
        let flag = fired.clone();
        let closure = Closure::<dyn FnMut()>::new(move || {
            flag.set(true);
            if let Some(f) = on_fire.take() {
                f();
            }
        });
        let ms = i32::try_from(ms).unwrap_or(i32::MAX);
        let handle = g
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                closure.as_ref().unchecked_ref(),
                ms,
            )
            .ok()?;
        Some(Deadline {
            handle,
            fired,
            _closure: closure,
        })
    }

    /// Whether the timer went off.
    pub(crate) fn fired(&self) -> bool {
        self.fired.get()
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        if let Some(g) = global() {
            g.clear_timeout(self.handle);
        }
    }
}
