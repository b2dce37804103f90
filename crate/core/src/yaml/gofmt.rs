//! Go's `strconv` formatting as imgpkg's YAML and JSON output use it:
//! `FormatFloat(f, 'g', -1, 32|64)` and `Quote`.

/// Go `strconv.FormatFloat(f, 'g', -1, bits)` for `bits` 32 or 64.
pub fn format_float_g(f: f64, bits32: bool) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    let f = if bits32 { f64::from(f as f32) } else { f };
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let neg = f.is_sign_negative();
    // Shortest round-trip digits and decimal exponent, from Rust's formatter
    // (both Go and Rust pick the shortest digit string that reads back as the
    // same float of the given width).
    let sci = if bits32 {
        format!("{:e}", (f as f32).abs())
    } else {
        format!("{:e}", f.abs())
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    let (digits, dp): (Vec<u8>, i32) = if digits == b"0" {
        (Vec::new(), 0)
    } else {
        (digits, exp + 1)
    };
    let nd = digits.len() as i32;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let x = dp - 1;
    if !(-4..6).contains(&x) {
        // %e with all digits.
        out.push(digits.first().map_or('0', |&d| d as char));
        if nd > 1 {
            out.push('.');
            out.extend(digits[1..].iter().map(|&d| d as char));
        }
        out.push('e');
        let e = if nd == 0 { 0 } else { x };
        out.push(if e < 0 { '-' } else { '+' });
        let e = e.unsigned_abs();
        if e < 10 {
            out.push('0');
        }
        out.push_str(&e.to_string());
    } else {
        // %f with max(nd - dp, 0) fraction digits.
        if dp > 0 {
            let m = nd.min(dp);
            out.extend(digits[..m as usize].iter().map(|&d| d as char));
            for _ in m..dp {
                out.push('0');
            }
        } else {
            out.push('0');
        }
        let prec = (nd - dp).max(0);
        if prec > 0 {
            out.push('.');
            for i in 1..=prec {
                let j = dp + i - 1;
                out.push(if (0..nd).contains(&j) {
                    digits[j as usize] as char
                } else {
                    '0'
                });
            }
        }
    }
    out
}

/// Go `strconv.Quote` (as `%q` prints a string), close enough for field names:
/// printable characters stay, the rest is escaped.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if go_is_print(c) => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// An approximation of Go's `unicode.IsPrint` (letters, marks, numbers,
/// punctuation, symbols and the ASCII space).
fn go_is_print(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    !(c.is_control()
        || c.is_whitespace()
        || matches!(c as u32, 0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0xE000..=0xF8FF | 0xFFFE | 0xFFFF))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_float_formatting() {
        assert_eq!(format_float_g(1.0, true), "1");
        assert_eq!(format_float_g(1.5, true), "1.5");
        assert_eq!(format_float_g(0.1, true), "0.1");
        assert_eq!(format_float_g(1000.0, true), "1000");
        assert_eq!(format_float_g(1e6, true), "1e+06");
        assert_eq!(format_float_g(123456.0, true), "123456");
        assert_eq!(format_float_g(123456789.0, true), "1.2345679e+08");
        assert_eq!(format_float_g(std::f64::consts::PI, true), "3.1415927");
        assert_eq!(format_float_g(0.0001, true), "0.0001");
        assert_eq!(format_float_g(0.00001, true), "1e-05");
        assert_eq!(format_float_g(-0.0, true), "-0");
        assert_eq!(format_float_g(1e300, true), "+Inf");
        assert_eq!(format_float_g(1e21, false), "1e+21");
        assert_eq!(format_float_g(1e100, false), "1e+100");
        assert_eq!(format_float_g(f64::NAN, true), "NaN");
    }

    #[test]
    fn go_quoting() {
        assert_eq!(go_quote("another-key"), "\"another-key\"");
        assert_eq!(go_quote("a\"b\n"), "\"a\\\"b\\n\"");
        assert_eq!(go_quote("\u{1}é"), "\"\\x01é\"");
    }
}
