//! Go's `path` package (Go 1.23, `path/path.go`): `Clean`, `Split`, `Join`
//! for slash-separated names, as `archive/tar` and imgpkg use them.

/// `path.Clean`: the shortest equivalent name. Repeated slashes and `.`
/// elements go, `..` removes the element before it (and is dropped at the
/// root of a rooted name, kept at the start of a relative one), a trailing
/// slash goes; the empty result is `"."`.
pub fn clean(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            _ => parts.push(part),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_string(),
        (false, false) => body,
    }
}

/// `path.Split`: everything up to and including the last slash, and the
/// rest.
pub fn split(p: &str) -> (&str, &str) {
    match p.rfind('/') {
        Some(i) => (&p[..=i], &p[i + 1..]),
        None => ("", p),
    }
}

/// `path.Join`: the non-empty elements joined by slashes, then [`clean`]ed;
/// `""` when every element is empty.
pub fn join(elems: &[&str]) -> String {
    let joined = elems
        .iter()
        .filter(|e| !e.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/");
    if joined.is_empty() {
        return String::new();
    }
    clean(&joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_follows_go() {
        // Cases from Go's path_test.go.
        for (input, want) in [
            ("", "."),
            ("abc", "abc"),
            ("abc/def", "abc/def"),
            (".", "."),
            ("..", ".."),
            ("../..", "../.."),
            ("../../abc", "../../abc"),
            ("/abc", "/abc"),
            ("/", "/"),
            ("abc/", "abc"),
            ("abc/def/", "abc/def"),
            ("/abc/", "/abc"),
            ("//abc", "/abc"),
            ("abc//def//ghi", "abc/def/ghi"),
            ("abc/./def", "abc/def"),
            ("/./abc/def", "/abc/def"),
            ("abc/.", "abc"),
            ("abc/def/ghi/../jkl", "abc/def/jkl"),
            ("abc/def/../ghi/../jkl", "abc/jkl"),
            ("abc/def/..", "abc"),
            ("abc/def/../..", "."),
            ("/abc/def/../..", "/"),
            ("abc/def/../../..", ".."),
            ("/abc/def/../../..", "/"),
            ("abc/def/../../../ghi/jkl/../../../mno", "../../mno"),
            ("abc/./../def", "def"),
            ("abc//./../def", "def"),
            ("abc/../../././../def", "../../def"),
        ] {
            assert_eq!(clean(input), want, "Clean({input:?})");
        }
    }

    #[test]
    fn split_and_join_follow_go() {
        assert_eq!(split("a/b/c"), ("a/b/", "c"));
        assert_eq!(split("c"), ("", "c"));
        assert_eq!(split("a/"), ("a/", ""));
        assert_eq!(join(&["a/b/", "PaxHeaders.0", "c"]), "a/b/PaxHeaders.0/c");
        assert_eq!(join(&["", "PaxHeaders.0", "c"]), "PaxHeaders.0/c");
        assert_eq!(join(&["./d//", "PaxHeaders.0", "f"]), "d/PaxHeaders.0/f");
        assert_eq!(join(&["", ""]), "");
        assert_eq!(join(&["a", ""]), "a");
    }
}
