//! Bytes to text, with libyaml's reader rules: encodings (UTF-8, UTF-16
//! with a byte-order mark) and the characters YAML allows.

use super::error::YamlError;

fn line_at(bytes: &[u8], offset: usize) -> usize {
    1 + bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

fn encoding_error(message: &str, line: usize) -> YamlError {
    YamlError::Encoding {
        message: format!("yaml: {message}"),
        line,
    }
}

/// Bytes → text: UTF-16 with a byte-order mark, else UTF-8 (BOM skipped),
/// with libyaml's error names, then the check that only characters YAML
/// allows are present.
pub(super) fn decode_text(bytes: &[u8]) -> Result<String, YamlError> {
    let text = if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        decode_utf16(&bytes[2..], bytes[0] == 0xFF)?
    } else {
        let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes);
        check_utf8(body)?;
        String::from_utf8(body.to_vec()).map_err(|e| {
            encoding_error(
                "invalid leading UTF-8 octet",
                line_at(body, e.utf8_error().valid_up_to()),
            )
        })?
    };
    let mut line = 1;
    for c in text.chars() {
        let u = c as u32;
        let allowed = matches!(u, 0x09 | 0x0A | 0x0D | 0x85)
            || (0x20..=0x7E).contains(&u)
            || (0xA0..=0xD7FF).contains(&u)
            || (0xE000..=0xFFFD).contains(&u)
            || (0x10000..=0x10FFFF).contains(&u);
        if !allowed {
            return Err(encoding_error("control characters are not allowed", line));
        }
        if c == '\n' {
            line += 1;
        }
    }
    Ok(text)
}

/// libyaml's UTF-8 checks, in its order and with its messages.
fn check_utf8(b: &[u8]) -> Result<(), YamlError> {
    let mut i = 0;
    while i < b.len() {
        let lead = b[i];
        let width = match lead {
            0x00..=0x7F => 1,
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => return Err(encoding_error("invalid leading UTF-8 octet", line_at(b, i))),
        };
        if width == 1 {
            i += 1;
            continue;
        }
        if i + width > b.len() {
            return Err(encoding_error(
                "incomplete UTF-8 octet sequence",
                line_at(b, i),
            ));
        }
        let mut value = u32::from(lead) & [0, 0, 0x1F, 0x0F, 0x07][width];
        for k in 1..width {
            let c = b[i + k];
            if c & 0xC0 != 0x80 {
                return Err(encoding_error(
                    "invalid trailing UTF-8 octet",
                    line_at(b, i),
                ));
            }
            value = (value << 6) | (u32::from(c) & 0x3F);
        }
        let min = [0, 0, 0x80, 0x800, 0x10000][width];
        if value < min {
            return Err(encoding_error(
                "invalid length of a UTF-8 sequence",
                line_at(b, i),
            ));
        }
        if (0xD800..=0xDFFF).contains(&value) || value > 0x10FFFF {
            return Err(encoding_error("invalid Unicode character", line_at(b, i)));
        }
        i += width;
    }
    Ok(())
}

fn decode_utf16(b: &[u8], little_endian: bool) -> Result<String, YamlError> {
    let mut out = String::with_capacity(b.len() / 2);
    let mut line = 1;
    let mut i = 0;
    let unit = |i: usize| {
        let (x, y) = (u16::from(b[i]), u16::from(b[i + 1]));
        if little_endian {
            x | (y << 8)
        } else {
            (x << 8) | y
        }
    };
    while i < b.len() {
        if i + 2 > b.len() {
            return Err(encoding_error("incomplete UTF-16 character", line));
        }
        let w = unit(i);
        i += 2;
        let c = if (0xDC00..=0xDFFF).contains(&w) {
            return Err(encoding_error("unexpected low surrogate area", line));
        } else if (0xD800..=0xDBFF).contains(&w) {
            if i + 2 > b.len() {
                return Err(encoding_error("incomplete UTF-16 surrogate pair", line));
            }
            let w2 = unit(i);
            if !(0xDC00..=0xDFFF).contains(&w2) {
                return Err(encoding_error("expected low surrogate area", line));
            }
            i += 2;
            0x10000 + ((u32::from(w) & 0x3FF) << 10) + (u32::from(w2) & 0x3FF)
        } else {
            u32::from(w)
        };
        let c =
            char::from_u32(c).ok_or_else(|| encoding_error("invalid Unicode character", line))?;
        if c == '\n' {
            line += 1;
        }
        out.push(c);
    }
    Ok(out
        .strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(out))
}
