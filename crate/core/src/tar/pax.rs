//! PAX extended headers: parsing their records and applying them to the
//! entry that follows, as Go's `archive/tar` does.

use super::header;

/// A malformed PAX record; `at` is its byte offset in the header's body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaxError {
    #[error("record at byte {at} has no length field")]
    NoLength { at: usize },
    #[error("record at byte {at} has an invalid length {raw:?}")]
    BadLength { at: usize, raw: String },
    #[error("record at byte {at} is shorter than its length field")]
    ShortRecord { at: usize },
    #[error("record at byte {at} does not end with a newline")]
    NoNewline { at: usize },
    #[error("record at byte {at} has no '='")]
    NoEquals { at: usize },
    #[error("record at byte {at} contains a NUL byte")]
    Nul { at: usize },
    #[error("record at byte {at} has a misplaced {key}")]
    MisplacedSparse { at: usize, key: String },
    #[error("record {key}={value:?} is not valid")]
    BadValue { key: String, value: String },
}

/// Parses PAX records `"%d %s=%s\n"` exactly as Go's `parsePAX` does.
pub(super) fn parse_pax(body: &[u8]) -> Result<Vec<(String, Vec<u8>)>, PaxError> {
    let mut rest = body;
    let mut records: Vec<(String, Vec<u8>)> = Vec::new();
    let mut sparse_map: Vec<Vec<u8>> = Vec::new();
    while !rest.is_empty() {
        let at = body.len() - rest.len();
        let sp = rest
            .iter()
            .position(|&c| c == b' ')
            .ok_or(PaxError::NoLength { at })?;
        let len_str = &rest[..sp];
        let n = parse_go_int(len_str)
            .filter(|&n| n >= 5 && n as u64 <= rest.len() as u64)
            .ok_or_else(|| PaxError::BadLength {
                at,
                raw: header::lossy(len_str),
            })? as usize;
        if n <= sp + 1 {
            return Err(PaxError::ShortRecord { at });
        }
        let record = &rest[sp + 1..n - 1];
        if rest[n - 1] != b'\n' {
            return Err(PaxError::NoNewline { at });
        }
        rest = &rest[n..];
        let eq = record
            .iter()
            .position(|&c| c == b'=')
            .ok_or(PaxError::NoEquals { at })?;
        let (key, value) = (&record[..eq], &record[eq + 1..]);
        let key_has_nul = key.contains(&0);
        let value_must_not_have_nul = matches!(key, b"path" | b"linkpath" | b"uname" | b"gname");
        if key_has_nul || (value_must_not_have_nul && value.contains(&0)) {
            return Err(PaxError::Nul { at });
        }
        let key = String::from_utf8_lossy(key).into_owned();
        match key.as_str() {
            "GNU.sparse.offset" | "GNU.sparse.numbytes" => {
                let expect_offset = sparse_map.len() % 2 == 0;
                if expect_offset != (key == "GNU.sparse.offset") || value.contains(&b',') {
                    return Err(PaxError::MisplacedSparse { at, key });
                }
                sparse_map.push(value.to_vec());
            }
            _ => match records.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value.to_vec(),
                None => records.push((key, value.to_vec())),
            },
        }
    }
    if !sparse_map.is_empty() {
        records.push(("GNU.sparse.map".to_string(), sparse_map.join(&b","[..])));
    }
    Ok(records)
}

/// Applies one PAX record to the entry being built (Go's `mergePAX`).
pub(super) fn apply_pax(
    key: &str,
    value: &[u8],
    name: &mut Vec<u8>,
    size: &mut i64,
) -> Result<(), PaxError> {
    let bad = || PaxError::BadValue {
        key: key.to_string(),
        value: header::lossy(value),
    };
    match key {
        "path" => *name = value.to_vec(),
        "size" => *size = parse_go_int(value).ok_or_else(bad)?,
        "uid" | "gid" => {
            parse_go_int(value).ok_or_else(bad)?;
        }
        "mtime" | "atime" | "ctime" if !is_pax_time(value) => return Err(bad()),
        _ => {}
    }
    Ok(())
}

/// Go's `strconv.ParseInt(s, 10, 64)`: optional sign, decimal digits.
fn parse_go_int(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut x: i64 = 0;
    for &c in digits {
        let d = i64::from(c - b'0');
        x = x.checked_mul(10)?;
        x = if neg {
            x.checked_sub(d)?
        } else {
            x.checked_add(d)?
        };
    }
    Some(x)
}

/// Go's `parsePAXTime` grammar: `[+-]seconds[.digits]`.
fn is_pax_time(s: &[u8]) -> bool {
    let (secs, frac) = match s.iter().position(|&c| c == b'.') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, &[][..]),
    };
    parse_go_int(secs).is_some() && frac.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_records_parse_like_go() {
        let recs = parse_pax(b"30 mtime=1432668921.098285006\n11 foo=bar\n").unwrap();
        assert_eq!(recs[0], ("mtime".into(), b"1432668921.098285006".to_vec()));
        assert_eq!(recs[1], ("foo".into(), b"bar".to_vec()));
        assert!(parse_pax(b"6 k=1\n").is_ok());
        for bad in [
            &b"0000000000000000000000000000000030 mtime=1432668921.098285006\n"[..],
            b"3 k=\n",
            b"25 k=v\n",
            b"18 path=/etc/hosts",
            b"-1 k=v\n",
            b"5 \n",
            b"12 path=a\x00b\n",
            b"9 kv\n\n\n\n",
        ] {
            assert!(
                parse_pax(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        // The length counts its own digits; "0005" leaves no room for the key.
        assert!(parse_pax(b"0005 \n").is_err());
    }

    #[test]
    fn go_ints() {
        assert_eq!(parse_go_int(b"+12"), Some(12));
        assert_eq!(parse_go_int(b"-12"), Some(-12));
        assert_eq!(parse_go_int(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_go_int(b"9223372036854775808"), None);
        assert_eq!(parse_go_int(b""), None);
        assert_eq!(parse_go_int(b"1 "), None);
        assert!(is_pax_time(b"1350244992.023960108"));
        assert!(is_pax_time(b"-1.5"));
        assert!(!is_pax_time(b".5"));
        assert!(!is_pax_time(b"1.5x"));
    }
}
