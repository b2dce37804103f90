//! go-yaml v2 plain-scalar resolution (`resolve.go`), and the few Go standard
//! library conversions that imgpkg's YAML path applies to resolved values
//! (`strconv.ParseInt(s, 0, 64)`, `strconv.FormatFloat(f, 'g', -1, 32)`,
//! `time.Parse` with go-yaml's timestamp layouts, `strconv.Quote`).
//!
//! Everything here is written from reading `sigs.k8s.io/yaml` v1.4.0 (as
//! vendored by imgpkg 0.43.1, whose `goyaml.v2` is go-yaml v2.4.0) and the Go
//! standard library's documented behaviour.

/// What a scalar resolves to, as go-yaml v2's `resolve` decides.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    /// `null`, `Null`, `NULL`, `~`, or the empty scalar.
    Null,
    /// One of go-yaml v2's YAML 1.1 booleans (`y`, `yes`, `on`, `true`, ... and their negations).
    Bool(bool),
    /// An integer that fits Go's `int` (64-bit).
    Int(i64),
    /// A non-negative integer above `i64::MAX`.
    Uint(u64),
    /// A decimal or exponent float, or `.inf` / `.nan` in go-yaml's spellings.
    Float(f64),
    /// A string that looks like a YAML 1.1 timestamp. When decoded into
    /// `interface{}` go-yaml v2 keeps the original text.
    Timestamp,
    /// A plain string.
    Str,
}

/// Why an explicitly tagged scalar cannot be decoded (go-yaml's texts).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// The scalar resolves to another type than its tag says.
    #[error("cannot decode !!{resolved} `{value}` as a !!{wanted}")]
    TagMismatch {
        /// The type the plain scalar resolves to (`int`, `bool`, ...).
        resolved: &'static str,
        /// The scalar as written.
        value: String,
        /// The type its tag asks for.
        wanted: String,
    },
    /// A `!!binary` scalar is not valid base64.
    #[error("!!binary value contains invalid base64 data")]
    InvalidBase64,
}

pub use super::gofmt::{format_float_g, go_quote};

/// The long form of the YAML core tags go-yaml knows.
pub const TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// `resolve("", s)`: how go-yaml v2 reads an untagged plain scalar.
pub fn resolve_plain(s: &str) -> Resolved {
    let hint = match s.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => return Resolved::Str,
    };
    if let Some(r) = resolve_map(s) {
        return r;
    }
    match hint {
        b'.' => match go_parse_float_dot(s) {
            Some(f) => Resolved::Float(f),
            None => Resolved::Str,
        },
        b'D' | b'S' => resolve_number(s, true),
        _ => Resolved::Str,
    }
}

/// The fixed words of go-yaml v2's resolve table.
fn resolve_map(s: &str) -> Option<Resolved> {
    Some(match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Resolved::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Resolved::Bool(false)
        }
        "" | "~" | "null" | "Null" | "NULL" => Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Resolved::Float(f64::NEG_INFINITY),
        _ => return None,
    })
}

/// The `'D'`/`'S'` branch of `resolve`: timestamp (only when untagged or
/// tagged `!!timestamp`), int, uint, YAML-style float, `0b`/`-0b` binary.
fn resolve_number(s: &str, try_timestamp: bool) -> Resolved {
    if try_timestamp && is_timestamp(s) {
        return Resolved::Timestamp;
    }
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    if let Some(i) = go_parse_int(&plain) {
        return Resolved::Int(i);
    }
    if let Some(u) = go_parse_uint(&plain) {
        return Resolved::Uint(u);
    }
    if is_yaml_style_float(&plain) {
        if let Some(f) = parse_finite_f64(&plain) {
            return Resolved::Float(f);
        }
    }
    if let Some(bin) = plain.strip_prefix("0b") {
        if let Some(u) = go_parse_uint_radix(bin, 2) {
            return match i64::try_from(u) {
                Ok(i) => Resolved::Int(i),
                Err(_) => Resolved::Uint(u),
            };
        }
    } else if let Some(bin) = plain.strip_prefix("-0b") {
        if let Some(u) = go_parse_uint_radix(bin, 2) {
            if u <= 1u64 << 63 {
                return Resolved::Int((u as i128).wrapping_neg() as i64);
            }
        }
    }
    Resolved::Str
}

/// `resolve(tag, s)` for an explicitly tagged scalar (`!!str`, `!!int`, …).
/// `tag` is the full tag (`tag:yaml.org,2002:int`). Returns the resolved
/// value, or go-yaml's `cannot decode !!x `…` as a !!y` complaint.
pub fn resolve_tagged(tag: &str, s: &str) -> Result<Resolved, ResolveError> {
    let short = tag.strip_prefix(TAG_PREFIX);
    let (resolved, rtag) = match short {
        Some("str") | Some("binary") => return Ok(Resolved::Str),
        Some("bool" | "int" | "float" | "null" | "timestamp") => {
            let r = if let Some(r) = resolve_map(s) {
                r
            } else {
                match s.as_bytes().first() {
                    Some(b'.') => match go_parse_float_dot(s) {
                        Some(f) => Resolved::Float(f),
                        None => Resolved::Str,
                    },
                    Some(b'+' | b'-' | b'0'..=b'9') => {
                        resolve_number(s, short == Some("timestamp"))
                    }
                    _ => Resolved::Str,
                }
            };
            let rtag = tag_of(&r);
            (r, rtag)
        }
        // Not a tag go-yaml resolves: the scalar stays a string.
        _ => return Ok(Resolved::Str),
    };
    let want = short.unwrap_or_default();
    if rtag == want {
        return Ok(resolved);
    }
    if want == "float" && rtag == "int" {
        return Ok(match resolved {
            Resolved::Int(i) => Resolved::Float(i as f64),
            Resolved::Uint(u) => Resolved::Float(u as f64),
            other => other,
        });
    }
    Err(ResolveError::TagMismatch {
        resolved: rtag,
        value: s.to_string(),
        wanted: want.to_string(),
    })
}

fn tag_of(r: &Resolved) -> &'static str {
    match r {
        Resolved::Null => "null",
        Resolved::Bool(_) => "bool",
        Resolved::Int(_) | Resolved::Uint(_) => "int",
        Resolved::Float(_) => "float",
        Resolved::Timestamp => "timestamp",
        Resolved::Str => "str",
    }
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// A decimal float already checked for syntax; `None` when Go's `ParseFloat`
/// would report a range error (overflow to infinity).
fn parse_finite_f64(s: &str) -> Option<f64> {
    let f: f64 = s.parse().ok()?;
    f.is_finite().then_some(f)
}

/// Go `strconv.ParseFloat(s, 64)` for a string starting with `.` (go-yaml's
/// `'.'` hint): `.digits` with Go's underscore rules, optional exponent.
fn go_parse_float_dot(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if b.first() != Some(&b'.') {
        return None;
    }
    let mut i = 1;
    let mut mantissa_digits = 0;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        if b[i] != b'_' {
            mantissa_digits += 1;
        }
        i += 1;
    }
    if mantissa_digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
        if !b[start..i].iter().any(u8::is_ascii_digit) {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let cleaned: String = s.chars().filter(|&c| c != '_').collect();
    parse_finite_f64(&format!("0{cleaned}"))
}

/// Go `strconv.underscoreOK`: underscores only between digits.
fn underscore_ok(s: &str) -> bool {
    let mut b = s.as_bytes();
    if matches!(b.first(), Some(b'+' | b'-')) {
        b = &b[1..];
    }
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// Go `strconv.ParseUint(s, 0, 64)` (input has no underscores).
pub fn go_parse_uint(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let b = s.as_bytes();
    let (digits, radix) = if b[0] == b'0' {
        match b.get(1).map(u8::to_ascii_lowercase) {
            Some(b'b') if b.len() >= 3 => (&s[2..], 2),
            Some(b'o') if b.len() >= 3 => (&s[2..], 8),
            Some(b'x') if b.len() >= 3 => (&s[2..], 16),
            _ => (&s[1..], 8),
        }
    } else {
        (s, 10)
    };
    // After a leading "0" the remaining digits may be empty ("0" is zero).
    if digits.is_empty() {
        return if radix == 8 { Some(0) } else { None };
    }
    go_parse_uint_radix(digits, radix)
}

/// Digits in `radix` (2..=36 letters allowed as in Go), no sign, no prefix.
fn go_parse_uint_radix(s: &str, radix: u32) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for c in s.bytes() {
        let d = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'a'..=b'z' | b'A'..=b'Z' => u32::from(c.to_ascii_lowercase() - b'a') + 10,
            _ => return None,
        };
        if d >= radix {
            return None;
        }
        n = n.checked_mul(u64::from(radix))?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// Go `strconv.ParseInt(s, 0, 64)` (input has no underscores).
pub fn go_parse_int(s: &str) -> Option<i64> {
    let (neg, rest) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let u = go_parse_uint(rest)?;
    if neg {
        if u > 1u64 << 63 {
            return None;
        }
        Some((u as i128).wrapping_neg() as i64)
    } else {
        i64::try_from(u).ok()
    }
}

/// Whether go-yaml v2's `parseTimestamp` accepts `s`: Go `time.Parse` with
/// one of `2006-1-2T15:4:5.999999999Z07:00`, the same with a lower-case `t`,
/// `2006-1-2 15:4:5.999999999` and `2006-1-2`.
pub fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    // Quick check: all date formats start with YYYY-.
    let year_digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if year_digits != 4 || b.get(4) != Some(&b'-') {
        return false;
    }
    let year = std::str::from_utf8(&b[..4])
        .ok()
        .and_then(|y| y.parse::<u32>().ok());
    let Some(year) = year else { return false };
    let mut p = Cursor { b, i: 5 };
    let Some(month) = p.getnum() else {
        return false;
    };
    if !(1..=12).contains(&month) || !p.eat(b'-') {
        return false;
    }
    let Some(day) = p.getnum() else { return false };
    if day < 1 || day > days_in(month, year) {
        return false;
    }
    if p.done() {
        return true; // "2006-1-2"
    }
    let save = p.i;
    // "2006-1-2T15:4:5.999999999Z07:00" and the lower-case 't' variant.
    if (p.eat(b'T') || p.eat(b't')) && p.clock() && p.zone() && p.done() {
        return true;
    }
    // "2006-1-2 15:4:5.999999999": one or more spaces, no zone.
    p.i = save;
    if p.b.get(p.i) == Some(&b' ') {
        while p.eat(b' ') {}
        return p.clock() && p.done();
    }
    false
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn done(&self) -> bool {
        self.i == self.b.len()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    /// Go `getnum(s, false)`: one or two digits.
    fn getnum(&mut self) -> Option<u32> {
        let d0 = *self.b.get(self.i).filter(|c| c.is_ascii_digit())?;
        self.i += 1;
        let mut n = u32::from(d0 - b'0');
        if let Some(&d1) = self.b.get(self.i).filter(|c| c.is_ascii_digit()) {
            self.i += 1;
            n = n * 10 + u32::from(d1 - b'0');
        }
        Some(n)
    }
    /// `15:4:5` then an optional `.999999999` (any number of digits; Go also
    /// accepts a comma).
    fn clock(&mut self) -> bool {
        let Some(h) = self.getnum() else { return false };
        if h >= 24 || !self.eat(b':') {
            return false;
        }
        let Some(m) = self.getnum() else { return false };
        if m >= 60 || !self.eat(b':') {
            return false;
        }
        let Some(s) = self.getnum() else { return false };
        if s >= 60 {
            return false;
        }
        if matches!(self.b.get(self.i), Some(b'.' | b','))
            && self.b.get(self.i + 1).is_some_and(u8::is_ascii_digit)
        {
            self.i += 1;
            while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
                self.i += 1;
            }
        }
        true
    }
    /// `Z07:00`: `Z`, or `±hh:mm` (hours ≤ 24, minutes ≤ 60).
    fn zone(&mut self) -> bool {
        if self.eat(b'Z') {
            return true;
        }
        let rest = &self.b[self.i..];
        if rest.len() < 6 || rest[3] != b':' || !matches!(rest[0], b'+' | b'-') {
            return false;
        }
        let two = |x: &[u8]| {
            (x[0].is_ascii_digit() && x[1].is_ascii_digit())
                .then(|| u32::from(x[0] - b'0') * 10 + u32::from(x[1] - b'0'))
        };
        match (two(&rest[1..3]), two(&rest[4..6])) {
            (Some(h), Some(m)) if h <= 24 && m <= 60 => {
                self.i += 6;
                true
            }
            _ => false,
        }
    }
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// go-yaml v2 `isBase60Float`: strings such as `1:20` are quoted on output.
pub fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&c) = b.first() else { return false };
    if !(c == b'+' || c == b'-' || c.is_ascii_digit()) || !s.contains(':') {
        return false;
    }
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let mut i = usize::from(c == b'+' || c == b'-');
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += 1;
    while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        // [0-5]?[0-9]: one digit, or a 0-5 digit followed by a digit.
        match (b.get(i), b.get(i + 1)) {
            (Some(d0 @ b'0'..=b'5'), Some(d1)) if d1.is_ascii_digit() => {
                let _ = d0;
                i += 2;
            }
            (Some(d), _) if d.is_ascii_digit() => i += 1,
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_resolution_follows_go_yaml_v2() {
        assert_eq!(resolve_plain("true"), Resolved::Bool(true));
        assert_eq!(resolve_plain("yes"), Resolved::Bool(true));
        assert_eq!(resolve_plain("Off"), Resolved::Bool(false));
        assert_eq!(resolve_plain("y"), Resolved::Bool(true));
        assert_eq!(resolve_plain("~"), Resolved::Null);
        assert_eq!(resolve_plain(""), Resolved::Null);
        assert_eq!(resolve_plain("NULL"), Resolved::Null);
        assert_eq!(resolve_plain("nul"), Resolved::Str);
        assert_eq!(resolve_plain("0123"), Resolved::Int(83)); // Go base-0 octal
        assert_eq!(resolve_plain("0x1F"), Resolved::Int(31));
        assert_eq!(resolve_plain("0o17"), Resolved::Int(15));
        assert_eq!(resolve_plain("0b101"), Resolved::Int(5));
        assert_eq!(resolve_plain("1_000"), Resolved::Int(1000));
        assert_eq!(resolve_plain("+5"), Resolved::Int(5));
        assert_eq!(resolve_plain("08"), Resolved::Float(8.0)); // not octal, but a float
        assert_eq!(
            resolve_plain("18446744073709551615"),
            Resolved::Uint(u64::MAX)
        );
        assert_eq!(resolve_plain("1.0"), Resolved::Float(1.0));
        assert_eq!(resolve_plain("1e3"), Resolved::Float(1000.0));
        assert_eq!(resolve_plain(".5"), Resolved::Float(0.5));
        assert_eq!(resolve_plain("1e400"), Resolved::Str); // range error: stays a string
        assert_eq!(resolve_plain("1.2.3"), Resolved::Str);
        assert_eq!(resolve_plain("2001-12-14"), Resolved::Timestamp);
        assert_eq!(
            resolve_plain("2001-12-14t21:59:43.10Z"),
            Resolved::Timestamp
        );
        assert_eq!(resolve_plain("2001-12-14 21:59:43.10"), Resolved::Timestamp);
        assert_eq!(resolve_plain("2001-02-30"), Resolved::Str);
        assert_eq!(
            resolve_plain("2001-12-14T21:59:43+05:00"),
            Resolved::Timestamp
        );
        assert_eq!(resolve_plain("2001-12-14T21:59:43"), Resolved::Str);
        // '<' has no entry in go-yaml's resolve table: "<<" is a string.
        assert_eq!(resolve_plain("<<"), Resolved::Str);
        assert_eq!(resolve_plain("v1.0"), Resolved::Str);
        assert_eq!(resolve_plain("-"), Resolved::Str);
        assert!(matches!(resolve_plain(".nan"), Resolved::Float(f) if f.is_nan()));
    }

    #[test]
    fn tagged_resolution() {
        assert_eq!(
            resolve_tagged("tag:yaml.org,2002:str", "true"),
            Ok(Resolved::Str)
        );
        assert_eq!(
            resolve_tagged("tag:yaml.org,2002:float", "1"),
            Ok(Resolved::Float(1.0))
        );
        assert_eq!(
            resolve_tagged("tag:yaml.org,2002:int", "abc").map_err(|e| e.to_string()),
            Err("cannot decode !!str `abc` as a !!int".to_string())
        );
        assert_eq!(resolve_tagged("!local", "1"), Ok(Resolved::Str));
    }

    #[test]
    fn base60() {
        assert!(is_base60_float("1:20"));
        assert!(is_base60_float("190:20:30.15"));
        assert!(!is_base60_float("1:70"));
        assert!(!is_base60_float("127.0.0.1:5000/x"));
        assert!(!is_base60_float("a:1"));
    }
}
