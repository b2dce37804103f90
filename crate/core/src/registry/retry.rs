//! Retry policy (ggcr's retry transport, plus `Retry-After`).
//!
//! The core never sleeps: it computes the time (in milliseconds, on the
//! caller's clock) when a request may be sent again, and the driver waits.

use super::http::HttpResponse;

/// How often and how long to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total tries per request, the first included (imgpkg
    /// `--registry-retry-count`, default 5; 0 is treated as 1).
    pub max_tries: u32,
    /// Delay before the first retry.
    pub initial_backoff_ms: u64,
    /// Backoff cap (the delay doubles up to this).
    pub max_backoff_ms: u64,
    /// Longest `Retry-After` honoured; longer values are clamped.
    pub max_retry_after_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_tries: 5,
            initial_backoff_ms: 100,
            max_backoff_ms: 1000,
            max_retry_after_ms: 60_000,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries (for tests and one-shot probes).
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_tries: 1,
            ..RetryPolicy::default()
        }
    }

    /// Whether another try is allowed after `tries_so_far` tries.
    pub fn may_retry(&self, tries_so_far: u32) -> bool {
        tries_so_far < self.max_tries.max(1)
    }

    /// Counts a failed try: when another is allowed, the time (ms) it may
    /// start.
    pub fn after_failure(&self, tries: &mut u32, now: u64) -> Option<u64> {
        *tries += 1;
        self.may_retry(*tries)
            .then(|| now + self.backoff_ms(*tries))
    }

    /// Backoff after the `tries_so_far`-th failed try (1 → initial).
    pub fn backoff_ms(&self, tries_so_far: u32) -> u64 {
        let shift = tries_so_far.saturating_sub(1).min(30);
        self.initial_backoff_ms
            .saturating_mul(1u64 << shift)
            .min(self.max_backoff_ms)
    }

    /// The delay before retrying after a response: `Retry-After` (seconds)
    /// on 429 and 503 when present, otherwise the backoff.
    pub fn delay_after_response(&self, tries_so_far: u32, response: &HttpResponse) -> u64 {
        if matches!(response.status, 429 | 503) {
            if let Some(secs) = response
                .header("retry-after")
                .and_then(|v| v.trim().parse::<u64>().ok())
            {
                return secs.saturating_mul(1000).min(self.max_retry_after_ms);
            }
        }
        self.backoff_ms(tries_so_far)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy::default();
        let d: Vec<u64> = (1..=6).map(|t| p.backoff_ms(t)).collect();
        assert_eq!(d, vec![100, 200, 400, 800, 1000, 1000]);
        assert!(p.may_retry(4));
        assert!(!p.may_retry(5));
        assert!(!RetryPolicy::none().may_retry(1));
    }

    #[test]
    fn retry_after_is_honoured_on_429_and_503_only() {
        let p = RetryPolicy::default();
        let r = |s| HttpResponse::new(s, vec![("Retry-After".into(), "2".into())], vec![]);
        assert_eq!(p.delay_after_response(1, &r(429)), 2000);
        assert_eq!(p.delay_after_response(1, &r(503)), 2000);
        assert_eq!(p.delay_after_response(1, &r(500)), 100);
        let huge = HttpResponse::new(429, vec![("retry-after".into(), "99999".into())], vec![]);
        assert_eq!(p.delay_after_response(1, &huge), 60_000);
    }
}
