//! Go's `encoding/json` string encoding (Go 1.23, `encoding/json/encode.go`
//! `appendString` with `escapeHTML` on, as `json.Marshal` has it).
//!
//! A string is written between double quotes with `"` and `\` escaped,
//! `\b \f \n \r \t` in their short forms, every other control character
//! below U+0020 as `\u00xx` (lowercase hex), `<`, `>`, `&`, U+2028 and
//! U+2029 as `\u003c \u003e \u0026 \u2028 \u2029`, and each byte of an
//! invalid UTF-8 sequence as `\ufffd`. Everything else, U+007F and non-ASCII
//! included, is written as is.
//!
//! [`GoFormatter`] is a `serde_json` formatter that writes exactly that, so
//! `#[derive(Serialize)]` structs serialize as `json.Marshal` writes the
//! corresponding Go structs (field order = declaration order, compact).

use std::io;

use serde::Serialize;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `json.Marshal(s)` for a string.
pub fn string(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    write_string(&mut out, s);
    String::from_utf8(out).expect("valid UTF-8 with ASCII escapes added")
}

/// Appends `json.Marshal(s)` to `out`.
pub fn write_string(out: &mut Vec<u8>, s: &str) {
    write_string_bytes(out, s.as_bytes());
}

/// Appends `json.Marshal(string(bytes))` to `out`, for bytes that may not be
/// UTF-8.
pub fn write_string_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    for chunk in bytes.utf8_chunks() {
        escape(out, chunk.valid(), true);
        for _ in chunk.invalid() {
            out.extend_from_slice(b"\\ufffd");
        }
    }
    out.push(b'"');
}

/// Go's escaping of valid UTF-8 `s`; with `controls` false only the HTML
/// characters and U+2028/U+2029 (what serde_json leaves to a formatter's
/// `write_string_fragment`).
fn escape(out: &mut Vec<u8>, s: &str, controls: bool) {
    let b = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let short: Option<&[u8]> = match c {
            b'"' if controls => Some(b"\\\""),
            b'\\' if controls => Some(b"\\\\"),
            b'\n' if controls => Some(b"\\n"),
            b'\r' if controls => Some(b"\\r"),
            b'\t' if controls => Some(b"\\t"),
            0x08 if controls => Some(b"\\b"),
            0x0c if controls => Some(b"\\f"),
            _ => None,
        };
        let hex = short.is_none() && (matches!(c, b'<' | b'>' | b'&') || (controls && c < 0x20));
        // U+2028 and U+2029 are E2 80 A8 / E2 80 A9.
        let line_sep =
            c == 0xe2 && b.get(i + 1) == Some(&0x80) && matches!(b.get(i + 2), Some(0xa8 | 0xa9));
        if short.is_none() && !hex && !line_sep {
            i += 1;
            continue;
        }
        out.extend_from_slice(&b[start..i]);
        if let Some(e) = short {
            out.extend_from_slice(e);
            i += 1;
        } else if line_sep {
            out.extend_from_slice(b"\\u202");
            out.push(HEX[usize::from(b[i + 2] & 0xf)]);
            i += 3;
        } else {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(c >> 4)]);
            out.push(HEX[usize::from(c & 0xf)]);
            i += 1;
        }
        start = i;
    }
    out.extend_from_slice(&b[start..]);
}

/// A compact `serde_json` formatter that escapes strings as Go does.
///
/// serde_json already escapes `"`, `\` and control characters the way Go
/// does (short forms for `\b \f \n \r \t`, lowercase `\u00xx` otherwise);
/// this adds `<`, `>`, `&`, U+2028 and U+2029.
#[derive(Debug, Clone, Copy, Default)]
pub struct GoFormatter;

impl serde_json::ser::Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut buf = Vec::with_capacity(fragment.len());
        escape(&mut buf, fragment, false);
        writer.write_all(&buf)
    }
}

/// `json.Marshal(value)` for a `Serialize` value shaped like the Go value.
pub fn marshal<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, GoFormatter);
    value.serialize(&mut ser)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(s: &[u8]) -> String {
        let mut out = Vec::new();
        write_string_bytes(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_escape_like_go() {
        assert_eq!(go(b"plain"), r#""plain""#);
        assert_eq!(go(b"a\"b\\c/d"), r#""a\"b\\c/d""#);
        assert_eq!(go(b"<a>&b"), r#""\u003ca\u003e\u0026b""#);
        assert_eq!(go(b"\n\r\t\x08\x0c"), r#""\n\r\t\b\f""#);
        assert_eq!(go(b"\x00\x01\x1f\x7f"), "\"\\u0000\\u0001\\u001f\x7f\"");
        assert_eq!(go("\u{2028}x\u{2029}".as_bytes()), r#""\u2028x\u2029""#);
        assert_eq!(go("é€😀\u{2027}".as_bytes()), "\"é€😀\u{2027}\"");
        assert_eq!(go(b"a\xffb"), r#""a\ufffdb""#);
        assert_eq!(go(b"\xe2\x82z"), r#""\ufffd\ufffdz""#);
        assert_eq!(go(b"\xed\xa0\x80"), r#""\ufffd\ufffd\ufffd""#);
    }
}
