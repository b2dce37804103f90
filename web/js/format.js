// Pure formatting helpers (no DOM). Shared by the view and the tests.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1536 -> "1.5 KiB"; exact bytes below 1 KiB. */
export function formatBytes(n) {
  if (!Number.isFinite(n) || n < 0) return '–';
  let i = 0;
  let v = n;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i += 1;
  }
  if (i === 0) return `${n} B`;
  return `${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${UNITS[i]}`;
}

/** Bytes per second -> "12.3 MiB/s". */
export function formatRate(bytesPerSecond) {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '–';
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** Seconds -> "1 min 05 s", "42 s". */
export function formatDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  const rest = String(s % 60).padStart(2, '0');
  if (m < 60) return `${m} min ${rest} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${String(m % 60).padStart(2, '0')} min`;
}

/** "sha256:abcdef…" -> "sha256:abcdef123456" (first 12 hex digits). */
export function shortDigest(digest) {
  if (typeof digest !== 'string') return '';
  const i = digest.indexOf(':');
  return i < 0 ? digest.slice(0, 12) : digest.slice(0, i + 13);
}

/** Count with a noun: plural(1, 'blob') -> "1 blob", plural(2, 'blob') -> "2 blobs". */
export function plural(n, noun, pluralNoun = `${noun}s`) {
  return `${n} ${n === 1 ? noun : pluralNoun}`;
}

/**
 * Tracks a transfer rate over a sliding window so the rate and ETA shown
 * while pushing follow the recent speed, not the average since the start.
 */
export class RateMeter {
  constructor(windowMs = 3000, now = () => performance.now()) {
    this.windowMs = windowMs;
    this.now = now;
    this.samples = [];
  }

  /** Records that `doneBytes` bytes are done in total. */
  sample(doneBytes) {
    const t = this.now();
    this.samples.push([t, doneBytes]);
    while (this.samples.length > 2 && t - this.samples[0][0] > this.windowMs) {
      this.samples.shift();
    }
  }

  /** Bytes per second over the window (0 until two samples exist). */
  rate() {
    if (this.samples.length < 2) return 0;
    const [t0, b0] = this.samples[0];
    const [t1, b1] = this.samples[this.samples.length - 1];
    return t1 > t0 ? ((b1 - b0) * 1000) / (t1 - t0) : 0;
  }

  /** Seconds left for `remainingBytes` at the current rate (Infinity if unknown). */
  eta(remainingBytes) {
    const r = this.rate();
    return r > 0 ? remainingBytes / r : Infinity;
  }
}
