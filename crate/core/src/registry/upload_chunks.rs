//! Chunked-upload arithmetic shared by the upload machine and its callers:
//! how the bytes of a blob were sent ([`UploadMode`]), the chunk size a
//! refused upload falls back to, and the `Range` header of an upload
//! session.

/// The largest chunk the automatic fallback tries first (then halves).
pub const FALLBACK_START: u64 = 64 << 20;
/// The automatic fallback never goes below this (nor below the registry's
/// `OCI-Chunk-Min-Length`).
pub const FALLBACK_FLOOR: u64 = 256 << 10;

/// Why a blob was sent in chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChunkReason {
    /// The caller asked for chunks of this size (`--upload-chunk-size`,
    /// `uploadChunkSize`), or an earlier blob of the same push found it.
    Requested,
    /// A request body was refused with `413 Request Entity Too Large` (a
    /// proxy's body limit): the chunk size was halved from 64 MiB until
    /// one passed.
    TooLarge,
    /// A chunk was refused with `416 Range Not Satisfiable` (a registry
    /// that limits chunk sizes): the chunk size was lowered once.
    RangeRefused,
}

impl ChunkReason {
    /// Lowercase words for summaries, e.g. `a 413 from the registry's proxy`.
    pub fn describe(&self) -> &'static str {
        match self {
            ChunkReason::Requested => "as requested",
            ChunkReason::TooLarge => "after a 413 (request body too large) answer",
            ChunkReason::RangeRefused => "after a 416 (chunk refused) answer",
        }
    }
}

/// How an uploaded blob's bytes went to the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum UploadMode {
    /// One `PUT` with the whole body.
    #[default]
    Monolithic,
    /// `PATCH` chunks of at most `chunk_size` bytes, then an empty `PUT`.
    Chunked {
        /// The chunk size in use when the blob finished.
        chunk_size: u64,
        /// Why chunks were used (or why the size changed).
        reason: ChunkReason,
    },
}

/// The chunk size to try after a body of `refused` bytes was answered 413:
/// the largest of 64 MiB, 32 MiB, … that is smaller than `refused`, not
/// below `min` (the registry's minimum) nor [`FALLBACK_FLOOR`]. `None`
/// when no smaller size is allowed.
pub fn fallback_chunk(refused: u64, min: u64) -> Option<u64> {
    let floor = FALLBACK_FLOOR.max(min);
    let mut c = FALLBACK_START;
    while c >= refused && c / 2 >= floor {
        c /= 2;
    }
    (c < refused && c >= floor).then_some(c)
}

/// Half of `chunk`, not below `min`; `None` when that is no smaller.
pub fn lowered_chunk(chunk: u64, min: u64) -> Option<u64> {
    let next = (chunk / 2).max(min).max(1);
    (next < chunk).then_some(next)
}

/// The number of bytes an upload session holds, from its `Range` header
/// (`0-<last>`, inclusive; a `bytes=` prefix is accepted). `0-0` is read
/// as zero bytes: Distribution writes it for an empty session. `None` when
/// the header is malformed (not `0-N`).
pub fn parse_upload_range(value: &str) -> Option<u64> {
    let v = value.trim();
    let v = v.strip_prefix("bytes=").unwrap_or(v);
    let (start, end) = v.split_once('-')?;
    if start.trim() != "0" {
        return None;
    }
    let end = end.trim();
    if end.is_empty() || !end.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let end: u64 = end.parse().ok()?;
    Some(if end == 0 { 0 } else { end.checked_add(1)? })
}

/// The registry's minimum chunk size, from `OCI-Chunk-Min-Length` (0 when
/// absent or not a number).
pub fn parse_min_length(value: Option<&str>) -> u64 {
    value.and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}

/// A chunk size as a person writes it: bytes (`8388608`), or a number with
/// `K`/`KiB`, `M`/`MiB`, `G`/`GiB` (powers of 1024; `KB`/`MB`/`GB` too, also
/// powers of 1024, as Docker reads them). `0` means monolithic.
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let bad = || SizeError {
        input: text.to_string(),
    };
    let n: u64 = num.parse().map_err(|_| bad())?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(bad()),
    };
    n.checked_mul(1u64 << shift).ok_or_else(bad)
}

/// A size that [`parse_size`] does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid size {input:?}: expected bytes or a number with KiB, MiB or GiB (e.g. 8MiB; 0 for one PUT per blob)")]
pub struct SizeError {
    /// The text given.
    pub input: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn fallback_halves_from_64_mib_below_the_refused_body() {
        assert_eq!(fallback_chunk(24 * MIB, 0), Some(16 * MIB));
        assert_eq!(fallback_chunk(16 * MIB, 0), Some(8 * MIB));
        assert_eq!(fallback_chunk(8 * MIB, 0), Some(4 * MIB));
        assert_eq!(fallback_chunk(5 << 30, 0), Some(64 * MIB));
        assert_eq!(fallback_chunk(16 * MIB, 5 * MIB), Some(8 * MIB));
        assert_eq!(fallback_chunk(8 * MIB, 5 * MIB), None);
        assert_eq!(fallback_chunk(FALLBACK_FLOOR, 0), None);
    }

    #[test]
    fn lowering_stops_at_the_minimum() {
        assert_eq!(lowered_chunk(32 * MIB, 5 * MIB), Some(16 * MIB));
        assert_eq!(lowered_chunk(8 * MIB, 5 * MIB), Some(5 * MIB));
        assert_eq!(lowered_chunk(5 * MIB, 5 * MIB), None);
        assert_eq!(lowered_chunk(1, 0), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("8MiB"), Ok(8 * MIB));
        assert_eq!(parse_size("8m"), Ok(8 * MIB));
        assert_eq!(parse_size("512KiB"), Ok(512 << 10));
        assert_eq!(parse_size("1 GiB"), Ok(1 << 30));
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("4096"), Ok(4096));
        for bad in ["", "MiB", "8 TiB", "-1", "1.5MiB", "99999999999999G"] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
        assert!(parse_size("8 parsecs")
            .unwrap_err()
            .to_string()
            .contains("\"8 parsecs\""));
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_upload_range("0-0"), Some(0));
        assert_eq!(parse_upload_range("0-9"), Some(10));
        assert_eq!(parse_upload_range("bytes=0-4194303"), Some(4 << 20));
        assert_eq!(parse_upload_range(" 0-3 "), Some(4));
        for bad in [
            "",
            "0",
            "1-9",
            "0-",
            "0-x",
            "0--1",
            "-5",
            "0-18446744073709551615",
        ] {
            assert_eq!(parse_upload_range(bad), None, "{bad:?}");
        }
        assert_eq!(parse_min_length(Some("5242880")), 5 << 20);
        assert_eq!(parse_min_length(Some("x")), 0);
        assert_eq!(parse_min_length(None), 0);
    }
}
