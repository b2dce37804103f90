//! Copy progress: on a terminal, a total bar and one bar per blob in flight
//! (bytes, rate, ETA), redrawn at most 10 times a second; otherwise plain
//! `copy | …` log lines, one per finished blob and item.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use airlock_core::digest::Digest;
use airlock_core::inspect::human_size;
use airlock_core::registry::copy::{CopyEvent, CopyStep};
use airlock_core::registry::op::BlobOutcome;

pub struct Progress {
    tty: bool,
    total: u64,
    done: u64,
    started: Instant,
    last_draw: Option<Instant>,
    drawn_lines: usize,
    active: BTreeMap<Digest, (u64, u64, Instant)>,
    sent: u64,
    present: u64,
    mounted: u64,
}

fn bar(frac: f64, width: usize) -> String {
    let filled = ((frac.clamp(0.0, 1.0)) * width as f64).round() as usize;
    format!("[{}{}]", "#".repeat(filled), " ".repeat(width - filled))
}

fn eta(remaining: u64, rate: f64) -> String {
    if rate <= 1.0 {
        return "--".into();
    }
    let s = (remaining as f64 / rate).round() as u64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

impl Progress {
    pub fn new(tty: bool, total: u64) -> Progress {
        Progress {
            tty,
            total,
            done: 0,
            started: Instant::now(),
            last_draw: None,
            drawn_lines: 0,
            active: BTreeMap::new(),
            sent: 0,
            present: 0,
            mounted: 0,
        }
    }

    fn log(&mut self, line: String) {
        if self.tty {
            self.clear();
            eprintln!("{line}");
            self.draw(true);
        } else {
            eprintln!("{line}");
        }
    }

    pub fn event(&mut self, e: &CopyEvent) {
        match e {
            CopyEvent::StepStarted(step) => {
                let msg = match step {
                    CopyStep::Upload => "copy | uploading blobs and manifests...",
                    CopyStep::Verify => "copy | verifying upload tags...",
                    CopyStep::Locations => "copy | writing image-locations images...",
                    CopyStep::Tags => "copy | Tagging images",
                    CopyStep::Done => return,
                };
                self.log(msg.to_string());
            }
            CopyEvent::BlobProgress {
                digest,
                bytes_sent,
                size,
            } => {
                let entry = self
                    .active
                    .entry(*digest)
                    .or_insert((0, *size, Instant::now()));
                self.done += bytes_sent.saturating_sub(entry.0);
                entry.0 = *bytes_sent;
                self.draw(false);
            }
            CopyEvent::BlobDone {
                digest,
                size,
                outcome,
            } => {
                let prev = self.active.remove(digest).map(|a| a.0).unwrap_or(0);
                let what = match outcome {
                    BlobOutcome::Present => {
                        self.present += 1;
                        "already present"
                    }
                    BlobOutcome::Mounted => {
                        self.mounted += 1;
                        "mounted"
                    }
                    BlobOutcome::Uploaded { .. } => {
                        self.sent += 1;
                        "sent"
                    }
                };
                // Count skipped blobs as done so the total reaches 100 %.
                self.done += size.saturating_sub(prev);
                if !self.tty {
                    eprintln!("copy | blob {digest} ({}) {what}", human_size(*size));
                } else {
                    self.draw(false);
                }
            }
            CopyEvent::ItemSkipped { reference, .. } => {
                self.log(format!("copy | {reference}: already present, skipped"))
            }
            CopyEvent::ItemPushed { reference, .. } => {
                self.log(format!("copy | pushed {reference}"))
            }
            CopyEvent::TagPushed { reference } => self.log(format!("copy | tagged {reference}")),
            CopyEvent::TagSkipped { reference } => {
                self.log(format!("copy | {reference}: tag already set"))
            }
            CopyEvent::ManifestPushed { .. } | CopyEvent::Verified { .. } => {}
        }
    }

    fn clear(&mut self) {
        if self.drawn_lines > 0 {
            let mut err = std::io::stderr().lock();
            for _ in 0..self.drawn_lines {
                let _ = write!(err, "\x1b[1A\x1b[2K");
            }
            self.drawn_lines = 0;
        }
    }

    fn draw(&mut self, force: bool) {
        if !self.tty {
            return;
        }
        let now = Instant::now();
        if !force
            && self
                .last_draw
                .is_some_and(|t| now - t < Duration::from_millis(100))
        {
            return;
        }
        self.last_draw = Some(now);
        self.clear();
        let elapsed = self.started.elapsed().as_secs_f64().max(1e-3);
        let rate = self.done as f64 / elapsed;
        let frac = if self.total == 0 {
            1.0
        } else {
            self.done as f64 / self.total as f64
        };
        let mut lines = vec![format!(
            "{} {:>5.1}%  {} / {}  {}/s  ETA {}  blobs: {} sent, {} present, {} mounted",
            bar(frac, 30),
            frac * 100.0,
            human_size(self.done),
            human_size(self.total),
            human_size(rate as u64),
            eta(self.total.saturating_sub(self.done), rate),
            self.sent,
            self.present,
            self.mounted
        )];
        for (d, (sent, size, since)) in self.active.iter().take(6) {
            let r = *sent as f64 / since.elapsed().as_secs_f64().max(1e-3);
            let f = if *size == 0 {
                1.0
            } else {
                *sent as f64 / *size as f64
            };
            lines.push(format!(
                "  {} {} {} / {}  {}/s  ETA {}",
                &d.hex()[..12],
                bar(f, 20),
                human_size(*sent),
                human_size(*size),
                human_size(r as u64),
                eta(size.saturating_sub(*sent), r)
            ));
        }
        let mut err = std::io::stderr().lock();
        for l in &lines {
            let _ = writeln!(err, "{l}");
        }
        self.drawn_lines = lines.len();
    }

    pub fn finish(&mut self) {
        self.draw(true);
    }
}
