//! A cap on requests performed at once across every machine driven through
//! one transport (and its clones): several copy sessions running in
//! parallel (`push_plans`) each hand out up to `--concurrency` requests, and
//! the gate keeps the total at `--concurrency`, so no session's share sits
//! idle while another still has work (the last repositories of a prefix
//! push get the whole budget).

use std::sync::{Condvar, Mutex};

/// A counting semaphore.
#[derive(Debug)]
pub struct Gate {
    free: Mutex<usize>,
    freed: Condvar,
}

/// A held place; released on drop.
pub struct Permit<'a>(&'a Gate);

impl Gate {
    /// A gate letting `limit` (at least 1) through at once.
    pub fn new(limit: usize) -> Gate {
        Gate {
            free: Mutex::new(limit.max(1)),
            freed: Condvar::new(),
        }
    }

    /// Waits for a place.
    pub fn enter(&self) -> Permit<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Permit(self)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn never_more_than_the_limit_inside() {
        let gate = Arc::new(Gate::new(3));
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..12)
            .map(|_| {
                let (gate, inside, most) = (gate.clone(), inside.clone(), most.clone());
                std::thread::spawn(move || {
                    let _p = gate.enter();
                    let n = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(n, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let most = most.load(Ordering::SeqCst);
        assert!(most <= 3, "{most} inside a gate of 3");
        assert!(
            most >= 2,
            "the gate let only {most} in at once: it serialises"
        );
    }
}
