//! go-yaml v2.4.0's `yaml.Marshal` (`encode.go`, `emitterc.go`,
//! `sorter.go`), for the JSON data model: the YAML writer imgpkg uses
//! through `sigs.k8s.io/yaml` v1.4.0 (struct → JSON → `interface{}` →
//! go-yaml v2.4.0's encoder and libyaml-derived emitter). Its quoting rules
//! are a port with their character tables, hence the length.
//!
//! # Where imgpkg's output differs from plain `yaml.Marshal`
//!
//! [`to_string`] is plain `yaml.Marshal` of the value. `sigs.k8s.io/yaml`
//! first writes the value as JSON and parses that JSON back as YAML, and the
//! two differ for three characters (the 12 affected cases of the Go corpus,
//! `nel`, `nel-inner`, `del`, `ufffe` in the forms value, list and key, are
//! listed in `crate/core/tests/go_corpus.rs`):
//!
//! * U+0085 (NEL): `encoding/json` leaves it raw, the YAML parser reads it
//!   inside the double-quoted JSON string as a line break and folds it to a
//!   space (`"a\u{85}b"` comes back as `a b`); as a map key it is a parse
//!   error.
//! * U+007F and U+FFFE: the YAML parser refuses the JSON text ("control
//!   characters are not allowed"), so imgpkg fails to write the file.
//!
//! Airlock writes plain `yaml.Marshal`: the exact string, double-quoted with
//! `\N`, `\x7F`, `\uFFFE` escapes, which reads back unchanged. These
//! strings cannot occur in image references (the reference grammar has no
//! such characters) nor in digests, so `image-locations.yml` — the only YAML
//! whose bytes end up in a registry digest — is unaffected; they could only
//! appear in an annotation value of an ImagesLock that Airlock writes with
//! `--lock-output`, where imgpkg would silently replace the NEL or fail.
//!
//! What was checked in the go-yaml v2 source (`encode.go`, `emitterc.go`,
//! `sorter.go`, `apic.go`, `resolve.go`, `yamlprivateh.go`):
//!
//! * Map keys are sorted with `keyList.Less`, a "natural" order: runs of
//!   digits compare by numeric value, a letter sorts after a non-letter
//!   ([`key_order`]).
//! * `encoder.stringv`: a string containing `"\n"` asks for a literal block
//!   (`|`); a string that would resolve to something other than a string when
//!   read back plain (`true`, `yes`, `on`, `y`, `n`, `null`, `~`, `""`, `1`,
//!   `0123`, `1.0`, `.5`, `1e3`, timestamps such as `2001-12-14`, …) or looks
//!   like a YAML 1.1 base-60 float (`1:20`) asks for double quotes; anything
//!   else asks for plain.
//! * `yaml_emitter_analyze_scalar` + `yaml_emitter_select_scalar_style` then
//!   downgrade: plain is impossible for leading/trailing spaces, line breaks,
//!   a leading indicator (`#,[]{}&*!|>'"%@` and backquote, `-`/`?`/`:`
//!   followed by a blank), `": "` or `" #"` inside, `---`/`...` at the start,
//!   or non-printable characters; it then becomes single-quoted (`'q'` with
//!   `''` escapes) unless single quotes are impossible too (non-printable
//!   characters, space next to a line break), then double-quoted. A literal
//!   block is impossible with trailing spaces or non-printable characters and
//!   becomes double-quoted. Keys that are multi-line or longer than 128 bytes
//!   are written as explicit `? key` entries.
//! * "Printable" is libyaml's byte test, which treats every 4-byte UTF-8
//!   character (emoji, U+10000 and up) and U+0085, U+FEFF, U+FFFE, U+FFFF as
//!   non-printable, so such strings come out double-quoted with `\U…` escapes.
//! * Line folding is on: `best_width` is 80 (sigs.k8s.io/yaml never calls
//!   `FutureLineWrap`), so plain, single- and double-quoted scalars in value
//!   position are broken at a space once the column passes 80; literal blocks
//!   are never folded; keys are never folded.
//! * Block sequences inside a mapping are not indented (`images:\n- image:`),
//!   nested mappings are indented by 2, literal block content by 2 more than
//!   the mapping holding it; `|-` when the text has no final newline, `|+`
//!   when it ends with more than one, and an indentation indicator (`|2`)
//!   when it starts with a space or a line break.
//! * Empty sequences and mappings are written in flow style (`[]`, `{}`).

use crate::yaml::resolve::{is_base60_float, resolve_plain, Resolved};

/// A document to write: the JSON data model imgpkg's structs pass through.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// YAML `null` (a Go nil pointer, slice or map): written `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A string, quoted only where go-yaml v2 would quote it.
    Str(String),
    /// A sequence, in the given order (block style; `[]` when empty).
    Seq(Vec<Value>),
    /// Entries in any order: they are written sorted as go-yaml sorts them.
    Map(Vec<(String, Value)>),
}

impl Value {
    /// A [`Value::Str`] from anything that converts into a `String`.
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }
}

/// go-yaml v2 `keyList.Less` for two string keys.
pub fn key_less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    for i in 0..ar.len().min(br.len()) {
        if ar[i] == br[i] {
            continue;
        }
        let al = is_letter(ar[i]);
        let bl = is_letter(br[i]);
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            for j in (0..i).rev() {
                if !is_digit(ar[j]) {
                    break;
                }
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && is_digit(ar[ai]) {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(ar[ai] as u32) - i64::from(b'0'));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && is_digit(br[bi]) {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(br[bi] as u32) - i64::from(b'0'));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

/// A total order built on [`key_less`], for `sort_by`.
pub fn key_order(a: &str, b: &str) -> std::cmp::Ordering {
    if key_less(a, b) {
        std::cmp::Ordering::Less
    } else if key_less(b, a) {
        std::cmp::Ordering::Greater
    } else {
        std::cmp::Ordering::Equal
    }
}

/// Go `unicode.IsLetter` (exact for ASCII, Rust's `is_alphabetic` beyond).
fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        c.is_alphabetic()
    }
}

/// Go `unicode.IsDigit` (exact for ASCII, decimal-digit approximation beyond).
fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        c.is_numeric() && !c.is_alphabetic()
    }
}

/// Writes `value` as go-yaml v2's `Marshal` would (no `---` header).
pub fn to_string(value: &Value) -> String {
    let mut e = Emitter::new();
    e.node(value, Ctx::default());
    // Document end: yaml_emitter_write_indent with indent -1 → 0.
    e.indent = -1;
    e.write_indent();
    e.out
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

#[derive(Clone, Copy, Default)]
struct Ctx {
    mapping: bool,
    simple_key: bool,
}

/// `yaml_emitter_analyze_scalar`'s conclusions.
struct Analysis {
    multiline: bool,
    flow_plain_allowed: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

struct Emitter {
    out: String,
    /// Column in characters (libyaml counts one per character).
    column: usize,
    indent: isize,
    indents: Vec<isize>,
    whitespace: bool,
    indention: bool,
    best_indent: isize,
    best_width: usize,
}

/// Characters as libyaml sees them: the character and its UTF-8 bytes.
fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// libyaml `is_printable`, which looks at UTF-8 lead bytes: every 4-byte
/// character is "non-printable", and so are U+FEFF, U+FFFE and U+FFFF.
fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
}

fn analyze(value: &str) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            flow_plain_allowed: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = false;
    let mut flow_indicators = false;
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;
    let mut previous_space = false;
    let mut previous_break = false;

    if value.starts_with("---") || value.starts_with("...") {
        block_indicators = true;
        flow_indicators = true;
    }
    let chars: Vec<char> = value.chars().collect();
    let mut preceded_by_whitespace = true;
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_whitespace = chars.get(i + 1).is_none_or(|&n| is_blank(n) || is_break(n));
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                '?' | ':' => {
                    flow_indicators = true;
                    if followed_by_whitespace {
                        block_indicators = true;
                    }
                }
                '-' if followed_by_whitespace => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                _ => {}
            }
        } else {
            match c {
                ',' | '?' | '[' | ']' | '{' | '}' => flow_indicators = true,
                ':' => {
                    flow_indicators = true;
                    if followed_by_whitespace {
                        block_indicators = true;
                    }
                }
                '#' if preceded_by_whitespace => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                _ => {}
            }
        }
        if !is_printable(c) {
            special_characters = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == chars.len() {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == chars.len() {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blank(c) || is_break(c);
    }
    let mut a = Analysis {
        multiline: line_breaks,
        flow_plain_allowed: true,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if flow_indicators {
        a.flow_plain_allowed = false;
    }
    if block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// `encoder.stringv`: the style go-yaml asks the emitter for.
fn requested_style(s: &str) -> Style {
    if s.contains('\n') {
        Style::Literal
    } else if resolve_plain(s) == Resolved::Str && !is_base60_float(s) {
        Style::Plain
    } else {
        Style::Double
    }
}

/// `yaml_emitter_select_scalar_style` (block context, implicit scalars).
fn select_style(requested: Style, a: &Analysis, value: &str, simple_key: bool) -> Style {
    let mut style = requested;
    if simple_key && a.multiline {
        style = Style::Double;
    }
    if style == Style::Plain {
        if !a.block_plain_allowed {
            style = Style::Single;
        }
        if value.is_empty() && simple_key {
            style = Style::Single;
        }
    }
    if style == Style::Single && !a.single_quoted_allowed {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block_allowed || simple_key) {
        style = Style::Double;
    }
    style
}

impl Emitter {
    fn new() -> Emitter {
        Emitter {
            out: String::new(),
            column: 0,
            indent: -1,
            indents: Vec::new(),
            whitespace: true,
            indention: true,
            best_indent: 2,
            best_width: 80,
        }
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    /// `write_break`: `\n` is written as the configured break, anything
    /// else as itself, and both reset the column.
    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
        }
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { self.best_indent } else { 0 };
        } else if !indentless {
            self.indent += self.best_indent;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        for c in indicator.chars() {
            self.put(c);
        }
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn node(&mut self, value: &Value, ctx: Ctx) {
        match value {
            Value::Null => self.scalar("null", Style::Plain, ctx),
            Value::Bool(b) => self.scalar(if *b { "true" } else { "false" }, Style::Plain, ctx),
            Value::Str(s) => self.scalar(s, requested_style(s), ctx),
            Value::Seq(items) if items.is_empty() => self.empty_flow("[", "]"),
            Value::Map(entries) if entries.is_empty() => self.empty_flow("{", "}"),
            Value::Seq(items) => self.block_sequence(items, ctx),
            Value::Map(entries) => self.block_mapping(entries),
        }
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.increase_indent(true, false);
        self.pop_indent();
        self.write_indicator(close, false, false, false);
    }

    fn block_sequence(&mut self, items: &[Value], ctx: Ctx) {
        self.increase_indent(false, ctx.mapping && !self.indention);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, Ctx::default());
        }
        self.pop_indent();
    }

    fn block_mapping(&mut self, entries: &[(String, Value)]) {
        let mut sorted: Vec<&(String, Value)> = entries.iter().collect();
        sorted.sort_by(|a, b| key_order(&a.0, &b.0));
        self.increase_indent(false, false);
        for (key, value) in sorted {
            self.write_indent();
            let a = analyze(key);
            // yaml_emitter_check_simple_key
            let simple = !a.multiline && key.len() <= 128;
            if simple {
                self.scalar(
                    key,
                    requested_style(key),
                    Ctx {
                        mapping: true,
                        simple_key: true,
                    },
                );
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.scalar(
                    key,
                    requested_style(key),
                    Ctx {
                        mapping: true,
                        simple_key: false,
                    },
                );
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.node(
                value,
                Ctx {
                    mapping: true,
                    simple_key: false,
                },
            );
        }
        self.pop_indent();
    }

    fn scalar(&mut self, value: &str, requested: Style, ctx: Ctx) {
        let a = analyze(value);
        let style = select_style(requested, &a, value, ctx.simple_key);
        self.increase_indent(true, false);
        let allow_breaks = !ctx.simple_key;
        match style {
            Style::Plain => self.write_plain(value, allow_breaks),
            Style::Single => self.write_single_quoted(value, allow_breaks),
            Style::Double => self.write_double_quoted(value, allow_breaks),
            Style::Literal => self.write_literal(value),
        }
        self.pop_indent();
    }

    fn write_plain(&mut self, value: &str, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        self.write_folded_chars(value, allow_breaks, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single_quoted(&mut self, value: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        self.write_folded_chars(value, allow_breaks, true);
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    /// The character loop libyaml's plain and single-quoted writers share:
    /// a space past the best width may become a line break, breaks are
    /// written as breaks. `single_quoted` adds what that writer does besides:
    /// no break at the first or last character, and `'` doubled.
    fn write_folded_chars(&mut self, value: &str, allow_breaks: bool, single_quoted: bool) {
        let chars: Vec<char> = value.chars().collect();
        let mut spaces = false;
        let mut breaks = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && (!single_quoted || (i > 0 && i < chars.len() - 1))
                    && chars.get(i + 1) != Some(&' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if single_quoted && c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
    }

    fn write_double_quoted(&mut self, value: &str, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        // libyaml's is_bom(value, i) looks at the first three bytes of the
        // whole value, whatever i is: a value starting with U+FEFF has every
        // character escaped.
        let starts_with_bom = value.starts_with('\u{feff}');
        let chars: Vec<char> = value.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if !is_printable(c) || starts_with_bom || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                let v = c as u32;
                match v {
                    0x00 => self.put('0'),
                    0x07 => self.put('a'),
                    0x08 => self.put('b'),
                    0x09 => self.put('t'),
                    0x0A => self.put('n'),
                    0x0B => self.put('v'),
                    0x0C => self.put('f'),
                    0x0D => self.put('r'),
                    0x1B => self.put('e'),
                    0x22 => self.put('"'),
                    0x5C => self.put('\\'),
                    0x85 => self.put('N'),
                    0xA0 => self.put('_'),
                    0x2028 => self.put('L'),
                    0x2029 => self.put('P'),
                    _ => {
                        let (prefix, width) = if v <= 0xFF {
                            ('x', 2)
                        } else if v <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(prefix);
                        for ch in format!("{v:0width$X}").chars() {
                            self.put(ch);
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && i > 0
                    && i < chars.len() - 1
                {
                    self.write_indent();
                    if chars.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, value: &str) {
        self.write_indicator("|", true, false, false);
        // yaml_emitter_write_block_scalar_hints
        let chars: Vec<char> = value.chars().collect();
        if chars.first().is_some_and(|&c| c == ' ' || is_break(c)) {
            let hint = char::from(b'0' + self.best_indent as u8);
            self.write_indicator(&hint.to_string(), false, false, false);
        }
        let chomp = match chars.len() {
            0 => Some('-'),
            n if !is_break(chars[n - 1]) => Some('-'),
            1 => Some('+'),
            n if is_break(chars[n - 2]) => Some('+'),
            _ => None,
        };
        if let Some(ch) = chomp {
            self.write_indicator(&ch.to_string(), false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for &c in &chars {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(value: &str) -> String {
        to_string(&Value::Map(vec![("k".into(), Value::str(value))]))
    }

    #[test]
    fn strings_that_read_back_as_other_types_are_double_quoted() {
        for s in [
            "true",
            "false",
            "True",
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "n",
            "null",
            "Null",
            "~",
            "",
            "10",
            "0123",
            "0x1F",
            "1.0",
            ".5",
            "1e3",
            "-1",
            "+5",
            "1_000",
            "2001-12-14",
            "2015-02-24T18:19:39Z",
            "1:20",
            ".inf",
            ".NaN",
        ] {
            assert_eq!(one(s), format!("k: \"{s}\"\n"), "{s:?}");
        }
    }

    #[test]
    fn strings_that_stay_strings_are_plain() {
        for s in [
            "hi",
            "v1.0.0",
            "1.2.3",
            "127.0.0.1:5000/src/app1@sha256:95cdec99a5b01a74bed240f40f9f59e71ce86dbaf85f869cea6d35c441f4c1b6",
            "kbld.carvel.dev/id",
            "<foo>",
            "<<",
            "a#b",
            "key:value",
            "C:\\path",
            "say \"hi\"",
            "a,b",
            "-x",
            "0x",
            "1e",
            "_1",
            ".",
            "+",
            "NaN",
            "oN",
            "nul",
            "你好",
            "héllo wörld",
            "a\u{a0}b",
            "2001-13-01",
        ] {
            assert_eq!(one(s), format!("k: {s}\n"), "{s:?}");
        }
    }

    #[test]
    fn indicators_force_single_quotes() {
        assert_eq!(one("a: b"), "k: 'a: b'\n");
        assert_eq!(one("# x"), "k: '# x'\n");
        assert_eq!(one("Hello #comment"), "k: 'Hello #comment'\n");
        assert_eq!(one("你好 #comment"), "k: '你好 #comment'\n");
        assert_eq!(one("- x"), "k: '- x'\n");
        assert_eq!(one("-"), "k: '-'\n");
        assert_eq!(one("?"), "k: '?'\n");
        assert_eq!(one(":"), "k: ':'\n");
        assert_eq!(one("'q'"), "k: '''q'''\n");
        assert_eq!(one("\"hi\""), "k: '\"hi\"'\n");
        assert_eq!(one("@foo"), "k: '@foo'\n");
        assert_eq!(one("%foo"), "k: '%foo'\n");
        assert_eq!(one("*x"), "k: '*x'\n");
        assert_eq!(one("&x"), "k: '&x'\n");
        assert_eq!(one("!x"), "k: '!x'\n");
        assert_eq!(one("[x]"), "k: '[x]'\n");
        assert_eq!(one("{x}"), "k: '{x}'\n");
        assert_eq!(one("|x"), "k: '|x'\n");
        assert_eq!(one(">x"), "k: '>x'\n");
        assert_eq!(one("`x"), "k: '`x'\n");
        assert_eq!(one("---"), "k: '---'\n");
        assert_eq!(one("..."), "k: '...'\n");
        assert_eq!(one("trailing  "), "k: 'trailing  '\n");
        assert_eq!(one(" leading"), "k: ' leading'\n");
        assert_eq!(one("it's"), "k: it's\n");
        assert_eq!(one(" it's"), "k: ' it''s'\n");
    }

    #[test]
    fn non_printable_characters_force_double_quotes_with_escapes() {
        assert_eq!(one("a\tb"), "k: \"a\\tb\"\n");
        assert_eq!(one("\u{0}"), "k: \"\\0\"\n");
        assert_eq!(one("bell\u{7}"), "k: \"bell\\a\"\n");
        assert_eq!(one("a\u{7f}"), "k: \"a\\x7F\"\n");
        assert_eq!(one("nel\u{85}"), "k: \"nel\\N\"\n");
        assert_eq!(one("cr\r"), "k: \"cr\\r\"\n");
        // libyaml counts every 4-byte UTF-8 character as non-printable.
        assert_eq!(one("smile 😀"), "k: \"smile \\U0001F600\"\n");
        assert_eq!(one("a\u{feff}"), "k: \"a\\uFEFF\"\n");
        // A leading byte-order mark makes libyaml escape every character.
        assert_eq!(one("\u{feff}ab"), "k: \"\\uFEFF\\x61\\x62\"\n");
        assert_eq!(one("q\"\\"), "k: q\"\\\n");
        assert_eq!(one("\tq\"\\"), "k: \"\\tq\\\"\\\\\"\n");
    }

    #[test]
    fn multi_line_strings_are_literal_blocks() {
        assert_eq!(one("multi\nline\n"), "k: |\n  multi\n  line\n");
        assert_eq!(one("multi\nline"), "k: |-\n  multi\n  line\n");
        assert_eq!(one("a\n\n"), "k: |+\n  a\n\n");
        assert_eq!(one("\n"), "k: |2+\n\n");
        assert_eq!(one("\nabc"), "k: |2-\n\n  abc\n");
        assert_eq!(one("  indented\nx\n"), "k: |2\n    indented\n  x\n");
        assert_eq!(one("a\n\nb\n"), "k: |\n  a\n\n  b\n");
        // Trailing spaces, or a space before a line break, rule out a block.
        assert_eq!(one("a \nb"), "k: \"a \\nb\"\n");
        assert_eq!(one("a\nb "), "k: \"a\\nb \"\n");
        assert_eq!(one("tab\tin\nblock\n"), "k: \"tab\\tin\\nblock\\n\"\n");
        // A line separator alone is a line break but not "\n": single quotes,
        // the separator written as is and the next line indented.
        assert_eq!(one("a\u{2028}b"), "k: 'a\u{2028}  b'\n");
        // Literal blocks are never folded, however long their lines.
        let long = format!("{}\n", "word ".repeat(40).trim_end());
        assert_eq!(one(&long), format!("k: |\n  {long}"));
    }

    #[test]
    fn kbld_origins_annotation_as_imgpkg_writes_it() {
        let origins = "- resolved:\n    tag: 1.14.2\n    url: nginx:1.14.2\n";
        let doc = Value::Map(vec![(
            "images".into(),
            Value::Seq(vec![Value::Map(vec![
                (
                    "image".into(),
                    Value::str("index.docker.io/library/nginx@sha256:aa"),
                ),
                (
                    "annotations".into(),
                    Value::Map(vec![
                        ("kbld.carvel.dev/origins".into(), Value::str(origins)),
                        ("kbld.carvel.dev/id".into(), Value::str("nginx:1.14.2")),
                    ]),
                ),
            ])]),
        )]);
        assert_eq!(
            to_string(&doc),
            "images:\n- annotations:\n    kbld.carvel.dev/id: nginx:1.14.2\n    kbld.carvel.dev/origins: |\n      - resolved:\n          tag: 1.14.2\n          url: nginx:1.14.2\n  image: index.docker.io/library/nginx@sha256:aa\n"
        );
    }

    #[test]
    fn long_plain_values_fold_at_80_columns() {
        let words = ["aaaaaaaaa"; 20].join(" ");
        assert_eq!(words.len(), 199);
        let line = ["aaaaaaaaa"; 8].join(" ");
        let tail = ["aaaaaaaaa"; 4].join(" ");
        assert_eq!(one(&words), format!("k: {line}\n  {line}\n  {tail}\n"));
        // No spaces, no folding: long references stay on one line.
        let reference = format!(
            "registry.example.com/{}/app@sha256:{}",
            "team/".repeat(30),
            "a".repeat(64)
        );
        assert_eq!(one(&reference), format!("k: {reference}\n"));
        // Keys are never folded.
        let key = ["bbbbbbbbb"; 12].join(" ");
        let doc = Value::Map(vec![(key.clone(), Value::str("v"))]);
        assert_eq!(to_string(&doc), format!("{key}: v\n"));
    }

    #[test]
    fn go_yaml_v2_line_wrapping_test_vector() {
        let v = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 1234567890 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 1234567890 ";
        let doc = Value::Map(vec![("a".into(), Value::str(v))]);
        assert_eq!(
            to_string(&doc),
            "a: 'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 1234567890 abcdefghijklmnopqrstuvwxyz\n  ABCDEFGHIJKLMNOPQRSTUVWXYZ 1234567890 '\n"
        );
    }

    #[test]
    fn long_double_quoted_values_fold_with_escaped_spaces() {
        // A tab forces double quotes; folding happens at a space once past
        // column 80, and a following space is protected with a backslash.
        let v = format!("\tyes {}  tail", "x".repeat(80));
        // `k: "\tyes ` is 10 columns, the x's take it to 90 > 80 at the space.
        assert_eq!(
            one(&v),
            format!("k: \"\\tyes {}\n  \\ tail\"\n", "x".repeat(80))
        );
    }

    #[test]
    fn keys_are_sorted_naturally_like_go_yaml() {
        let doc = Value::Map(vec![
            ("kind".into(), Value::str("ImagesLock")),
            ("a10".into(), Value::Bool(true)),
            ("a9".into(), Value::Bool(false)),
            (
                "apiVersion".into(),
                Value::str("imgpkg.carvel.dev/v1alpha1"),
            ),
            ("B".into(), Value::Null),
            ("_x".into(), Value::Null),
        ]);
        assert_eq!(
            to_string(&doc),
            "_x: null\nB: null\na9: false\na10: true\napiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\n"
        );
        assert!(key_less("a1", "a01") || key_less("a01", "a1"));
        assert!(key_less("image", "isBundle"));
        assert!(key_less("annotations", "image"));
        assert!(key_less("1", "a"));
    }

    #[test]
    fn special_keys() {
        let doc = Value::Map(vec![
            ("true".into(), Value::str("x")),
            ("".into(), Value::str("")),
        ]);
        assert_eq!(to_string(&doc), "\"\": \"\"\n\"true\": x\n");
        let long_key = "k".repeat(129);
        let doc = Value::Map(vec![(long_key.clone(), Value::str("v"))]);
        assert_eq!(to_string(&doc), format!("? {long_key}\n: v\n"));
        let doc = Value::Map(vec![("two\nlines".into(), Value::str("v"))]);
        assert_eq!(to_string(&doc), "? |-\n  two\n  lines\n: v\n");
    }

    #[test]
    fn collections() {
        let doc = Value::Map(vec![
            (
                "v".into(),
                Value::Seq(vec![Value::str("A"), Value::str("B\nC")]),
            ),
            ("e".into(), Value::Seq(vec![])),
            ("m".into(), Value::Map(vec![])),
            ("n".into(), Value::Map(vec![("b".into(), Value::str("c"))])),
        ]);
        // "n" reads back as a YAML 1.1 boolean, so even as a key it is quoted.
        assert_eq!(
            to_string(&doc),
            "e: []\nm: {}\n\"n\":\n  b: c\nv:\n- A\n- |-\n  B\n  C\n"
        );
        assert_eq!(to_string(&Value::Null), "null\n");
        assert_eq!(to_string(&Value::Map(vec![])), "{}\n");
    }
}
