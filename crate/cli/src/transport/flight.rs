//! Requests in flight over a run, weighted by time: how well the copy
//! sessions kept the connections busy (the page reports the same figures).
//! One meter per transport, shared by every session that drives requests
//! through it (`push_plans` runs several at once).

use std::sync::Mutex;
use std::time::Instant;

/// The time-weighted count of requests in flight.
#[derive(Debug, Default)]
pub struct FlightMeter {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    in_flight: usize,
    max: usize,
    /// Σ in_flight × microseconds, since the first request.
    area_us: u128,
    first: Option<Instant>,
    last: Option<Instant>,
}

/// What the transport's flight meter measured ([`super::NativeTransport::flight`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlightStats {
    /// Mean requests in flight from the first request to the last answer.
    pub mean: f64,
    /// The most at once.
    pub max: usize,
}

impl FlightMeter {
    fn change(&self, now: Instant, started: bool) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(last) = s.last {
            s.area_us += s.in_flight as u128 * now.saturating_duration_since(last).as_micros();
        }
        s.first.get_or_insert(now);
        s.last = Some(now);
        if started {
            s.in_flight += 1;
            s.max = s.max.max(s.in_flight);
        } else {
            s.in_flight = s.in_flight.saturating_sub(1);
        }
    }

    /// A request was handed to a worker.
    pub fn started(&self, now: Instant) {
        self.change(now, true);
    }

    /// A request's answer (or failure) came back.
    pub fn finished(&self, now: Instant) {
        self.change(now, false);
    }

    /// The figures so far (zero before any request).
    pub fn stats(&self) -> FlightStats {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let span = match (s.first, s.last) {
            (Some(a), Some(b)) => b.saturating_duration_since(a).as_micros(),
            _ => 0,
        };
        FlightStats {
            mean: if span == 0 {
                0.0
            } else {
                s.area_us as f64 / span as f64
            },
            max: s.max,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn mean_is_weighted_by_time() {
        let m = FlightMeter::default();
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        // Two in flight for 100 ms, then one for 300 ms: (200 + 300) / 400.
        m.started(ms(0));
        m.started(ms(0));
        m.finished(ms(100));
        m.finished(ms(400));
        let s = m.stats();
        assert_eq!(s.max, 2);
        assert!((s.mean - 1.25).abs() < 1e-9, "mean {}", s.mean);
    }

    #[test]
    fn nothing_measured_is_zero() {
        assert_eq!(
            FlightMeter::default().stats(),
            FlightStats { mean: 0.0, max: 0 }
        );
    }
}
