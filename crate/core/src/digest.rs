//! `sha256:<hex>` content digests and a streaming hasher.
//!
//! imgpkg (through go-containerregistry) accepts only sha256 digests in
//! references, so this type is sha256-only. The grammar is
//! `sha256:` followed by exactly 64 lowercase hexadecimal characters.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest as _, Sha256};

/// A sha256 content digest. Displays as `sha256:<64 hex>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest([u8; 32]);

/// Why a string is not a digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    /// The string does not start with `sha256:`.
    #[error("digest '{0}' must start with 'sha256:' (no other algorithm is accepted)")]
    Algorithm(String),
    /// The part after `sha256:` is not 64 characters long.
    #[error("digest '{0}' must have exactly 64 hexadecimal characters after 'sha256:'")]
    Length(String),
    /// The part after `sha256:` has a character other than `0-9a-f`.
    #[error("digest '{0}' must use lowercase hexadecimal characters only")]
    Hex(String),
}

impl Digest {
    /// The algorithm prefix, with its colon.
    pub const PREFIX: &'static str = "sha256:";

    /// Parses `sha256:<64 lowercase hex>`.
    pub fn parse(s: &str) -> Result<Digest, DigestError> {
        let Some(hex_part) = s.strip_prefix(Self::PREFIX) else {
            return Err(DigestError::Algorithm(s.to_string()));
        };
        if hex_part.len() != 64 {
            return Err(DigestError::Length(s.to_string()));
        }
        // One pass: each pair of lowercase hex characters is a byte.
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(hex_part.as_bytes().chunks_exact(2)) {
            match (nibble(pair[0]), nibble(pair[1])) {
                (Some(hi), Some(lo)) => *byte = hi << 4 | lo,
                _ => return Err(DigestError::Hex(s.to_string())),
            }
        }
        Ok(Digest(out))
    }

    /// Parses the tag form `sha256-<hex>` (as used in `sha256-<hex>.tar.gz`
    /// and `sha256-<hex>.imgpkg`).
    pub fn parse_tag_form(s: &str) -> Result<Digest, DigestError> {
        match s.strip_prefix("sha256-") {
            Some(rest) => Digest::parse(&format!("sha256:{rest}")),
            None => Err(DigestError::Algorithm(s.to_string())),
        }
    }

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(Sha256::digest(bytes).into())
    }

    /// From raw 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Digest {
        Digest(bytes)
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 64 hex characters, without the algorithm.
    pub fn hex(&self) -> String {
        self.hex_str(&mut [0; 64]).to_string()
    }

    /// The 64 hex characters written into `buf`, without allocating.
    fn hex_str<'b>(&self, buf: &'b mut [u8; 64]) -> &'b str {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for (pair, byte) in buf.chunks_exact_mut(2).zip(self.0) {
            pair[0] = HEX[usize::from(byte >> 4)];
            pair[1] = HEX[usize::from(byte & 0xf)];
        }
        // Only ASCII hex digits were written.
        std::str::from_utf8(buf).unwrap_or_default()
    }

    /// `sha256-<hex>`: the form imgpkg uses in tags and tar entry names.
    pub fn tag_form(&self) -> String {
        format!("sha256-{}", self.hex())
    }

    /// `sha256-<hex>.tar.gz`: the name of this blob's entry in an imgpkg tar.
    pub fn tar_entry_name(&self) -> String {
        format!("sha256-{}.tar.gz", self.hex())
    }

    /// `sha256-<hex>.imgpkg`: imgpkg's default upload tag.
    pub fn imgpkg_tag(&self) -> String {
        format!("sha256-{}.imgpkg", self.hex())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::PREFIX)?;
        f.write_str(self.hex_str(&mut [0; 64]))
    }
}

/// The value of a lowercase hexadecimal digit.
fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl FromStr for Digest {
    type Err = DigestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Digest::parse(s)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Digest::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A streaming sha256 hasher that also counts bytes (as `u64`).
#[derive(Clone, Default)]
pub struct Hasher {
    inner: Sha256,
    len: u64,
}

impl Hasher {
    /// A hasher that has seen no bytes.
    pub fn new() -> Hasher {
        Hasher::default()
    }

    /// Hashes `bytes` and adds their length to [`len`](Hasher::len).
    pub fn update(&mut self, bytes: &[u8]) {
        self.inner.update(bytes);
        self.len += bytes.len() as u64;
    }

    /// Bytes hashed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no bytes were hashed yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The digest of every byte given to [`update`](Hasher::update).
    pub fn finish(self) -> Digest {
        Digest(self.inner.finalize().into())
    }
}

impl std::io::Write for Hasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn digest_of_empty_matches_known_value() {
        assert_eq!(Digest::of(b"").to_string(), EMPTY);
        assert_eq!(Hasher::new().finish().to_string(), EMPTY);
    }

    #[test]
    fn parse_round_trips() {
        let d = Digest::parse(EMPTY).unwrap();
        assert_eq!(d.to_string(), EMPTY);
        assert_eq!(
            d.tag_form(),
            "sha256-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(Digest::parse_tag_form(&d.tag_form()).unwrap(), d);
        assert_eq!(d.imgpkg_tag(), format!("{}.imgpkg", d.tag_form()));
        assert_eq!(d.tar_entry_name(), format!("{}.tar.gz", d.tag_form()));
    }

    #[test]
    fn parse_rejects_bad_digests() {
        let hex64 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let cases: Vec<(String, DigestError)> = vec![
            (
                format!("sha512:{hex64}"),
                DigestError::Algorithm(format!("sha512:{hex64}")),
            ),
            (hex64.to_string(), DigestError::Algorithm(hex64.to_string())),
            (
                "sha256:abc".into(),
                DigestError::Length("sha256:abc".into()),
            ),
            (
                format!("sha256:{hex64}0"),
                DigestError::Length(format!("sha256:{hex64}0")),
            ),
            (
                format!("sha256:{}", hex64.to_uppercase()),
                DigestError::Hex(format!("sha256:{}", hex64.to_uppercase())),
            ),
            (
                format!("sha256:{}g", &hex64[..63]),
                DigestError::Hex(format!("sha256:{}g", &hex64[..63])),
            ),
            ("".into(), DigestError::Algorithm("".into())),
        ];
        for (input, want) in cases {
            assert_eq!(Digest::parse(&input), Err(want), "input {input:?}");
        }
    }

    #[test]
    fn every_byte_value_formats_and_parses_back() {
        // Against the hex crate, an implementation of its own.
        for start in [0u8, 32, 64, 96, 128, 160, 192, 224] {
            let bytes: [u8; 32] = std::array::from_fn(|i| start.wrapping_add(i as u8));
            let d = Digest::from_bytes(bytes);
            let text = format!("sha256:{}", hex::encode(bytes));
            assert_eq!(d.to_string(), text);
            assert_eq!(d.hex(), text["sha256:".len()..]);
            assert_eq!(format!("{d:?}"), format!("Digest({text})"));
            assert_eq!(Digest::parse(&text), Ok(d));
        }
        // 64 bytes, but not 64 characters.
        let wide = format!("sha256:{}é", "a".repeat(62));
        assert_eq!(Digest::parse(&wide), Err(DigestError::Hex(wide.clone())));
    }

    #[test]
    fn hasher_streams_and_counts() {
        let mut h = Hasher::new();
        h.update(b"hello ");
        h.update(b"world");
        assert_eq!(h.len(), 11);
        assert_eq!(h.finish(), Digest::of(b"hello world"));
    }

    #[test]
    fn serde_uses_string_form() {
        let d = Digest::parse(EMPTY).unwrap();
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, format!("\"{EMPTY}\""));
        let back: Digest = serde_json::from_str(&json).unwrap();
        assert_eq!(back, d);
        assert!(serde_json::from_str::<Digest>("\"sha256:zz\"").is_err());
    }
}
