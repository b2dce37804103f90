//! Reading YAML the way imgpkg does: go-yaml v2 (`sigs.k8s.io/yaml/goyaml.v2`)
//! decoding the first document into `interface{}`, with YAML 1.1 scalar
//! resolution, merge keys, and (strict mode) duplicate-key errors.
//!
//! Parsing itself is done by `granit-parser` (the event parser under
//! serde-saphyr). It never expands aliases: this module builds a small node
//! arena and expands aliases itself while decoding, under budgets, so alias
//! bombs ("billion laughs"), deep nesting and huge inputs are refused quickly
//! and with bounded memory.

use std::collections::HashMap;

use granit_parser::{Event, Options, Parser, ScalarStyle};

pub use super::error::YamlError;
use super::text::decode_text;

use super::resolve::{
    format_float_g, go_quote, resolve_plain, resolve_tagged, ResolveError, Resolved, TAG_PREFIX,
};

/// Resource limits for one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Input size cap, in bytes.
    pub max_input_bytes: usize,
    /// Nodes in the document as written (scalars, collections, aliases).
    pub max_nodes: usize,
    /// Nesting depth of collections, also counted through aliases.
    pub max_depth: usize,
    /// Nodes materialised through aliases (on top of go-yaml's own ratio rule).
    pub max_alias_nodes: usize,
    /// Bytes of scalar text materialised through aliases.
    pub max_alias_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_input_bytes: 16 * 1024 * 1024,
            max_nodes: 500_000,
            max_depth: 100,
            max_alias_nodes: 100_000,
            max_alias_bytes: 16 * 1024 * 1024,
        }
    }
}

/// A decoded value and the (1-based) line where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned {
    /// The value.
    pub data: Data,
    /// 1-based line where the value starts.
    pub line: usize,
}

/// What go-yaml v2 produces when decoding into `interface{}`.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// `null`, `~`, an empty value, or `!!null`.
    Null,
    /// YAML 1.1 booleans (`true`, `yes`, `on`, ... in any of go-yaml's spellings).
    Bool(bool),
    /// An integer that fits `i64`, as go-yaml v2 resolves plain scalars.
    Int(i64),
    /// A non-negative integer above `i64::MAX`.
    Uint(u64),
    /// A float, including `.inf`, `-.inf` and `.nan`.
    Float(f64),
    /// Strings, including timestamp-looking plain scalars (kept as written).
    Str(String),
    /// A sequence, in document order.
    Seq(Vec<Spanned>),
    /// Entries in document order (a merged mapping's entries where the merge
    /// key was). Keys are unique.
    Map(Vec<(Spanned, Spanned)>),
}

impl Data {
    /// The JSON kind Go's `encoding/json` names in type errors.
    pub fn json_kind(&self) -> &'static str {
        match self {
            Data::Null => "null",
            Data::Bool(_) => "bool",
            Data::Int(_) | Data::Uint(_) | Data::Float(_) => "number",
            Data::Str(_) => "string",
            Data::Seq(_) => "array",
            Data::Map(_) => "object",
        }
    }

    /// Go's `%#v` rendering, for keys in error messages.
    pub fn go_repr(&self) -> String {
        match self {
            Data::Null => "<nil>".into(),
            Data::Bool(b) => b.to_string(),
            Data::Int(i) => i.to_string(),
            Data::Uint(u) => format!("0x{u:x}"),
            Data::Float(f) => format_float_g(*f, false),
            Data::Str(s) => go_quote(s),
            Data::Seq(_) => "[]interface {}{…}".into(),
            Data::Map(_) => "map[interface {}]interface {}{…}".into(),
        }
    }

    /// Go map-key identity in a `map[interface{}]interface{}`: equal when
    /// the dynamic types and values are equal (`0.0 == -0.0`, NaN is never
    /// equal to anything). `None` for keys that never collide.
    fn key_id(&self) -> Option<KeyId> {
        Some(match self {
            Data::Null => KeyId::Null,
            Data::Bool(b) => KeyId::Bool(*b),
            Data::Int(i) => KeyId::Int(*i),
            Data::Uint(u) => KeyId::Uint(*u),
            Data::Float(f) if f.is_nan() => return None,
            Data::Float(f) => KeyId::Float(if *f == 0.0 { 0 } else { f.to_bits() }),
            Data::Str(s) => KeyId::Str(s.clone()),
            Data::Seq(_) | Data::Map(_) => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum KeyId {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(u64),
    Str(String),
}

/// A mapping being decoded, with an index of its keys.
#[derive(Default)]
struct MapBuilder {
    entries: Vec<(Spanned, Spanned)>,
    index: HashMap<KeyId, usize>,
}

/// Decodes the first YAML document of `bytes` as go-yaml v2's `Unmarshal`
/// (or `UnmarshalStrict`) into `interface{}` would. Later documents are
/// ignored, as go-yaml ignores them. `Ok(None)` for a stream with no
/// document at all (empty input, only comments).
pub fn decode_first_document(
    bytes: &[u8],
    strict: bool,
    limits: &Limits,
) -> Result<Option<Spanned>, YamlError> {
    if bytes.len() > limits.max_input_bytes {
        return Err(YamlError::TooLarge {
            size: bytes.len(),
            limit: limits.max_input_bytes,
        });
    }
    let text = decode_text(bytes)?;
    let Some(doc) = build_arena(&text, limits)? else {
        return Ok(None);
    };
    let mut d = Decoder {
        doc: &doc,
        strict,
        limits,
        decode_count: 0,
        alias_count: 0,
        alias_depth: 0,
        alias_bytes: 0,
        active_aliases: Vec::new(),
        terrors: Vec::new(),
    };
    let value = d.unmarshal(doc.root, 0)?;
    if !d.terrors.is_empty() {
        let line = d.terrors[0].0;
        let lines: Vec<String> = d.terrors.into_iter().map(|(_, msg)| msg).collect();
        return Err(YamlError::Decode {
            message: format!("yaml: unmarshal errors:\n  {}", lines.join("\n  ")),
            line: Some(line),
        });
    }
    Ok(Some(value))
}

// ---------------------------------------------------------------------------
// Parser: events → node arena (aliases are references, not copies).

#[derive(Debug)]
enum NodeKind {
    Scalar {
        value: String,
        style: ScalarStyle,
        tag: Option<String>,
    },
    Seq(Vec<usize>),
    /// Keys and values interleaved.
    Map(Vec<usize>),
    Alias(usize),
}

#[derive(Debug)]
struct Node {
    kind: NodeKind,
    line: usize,
    anchor: Option<String>,
}

struct Doc {
    nodes: Vec<Node>,
    root: usize,
}

fn syntax_error(message: impl std::fmt::Display, line: usize) -> YamlError {
    YamlError::Syntax {
        message: format!("yaml: line {line}: {message}"),
        line,
    }
}

fn build_arena(text: &str, limits: &Limits) -> Result<Option<Doc>, YamlError> {
    let mut options = Options::default();
    // libyaml (and so go-yaml) ends a block scalar at end of input without
    // adding a line feed.
    options.block_scalar_eof_without_line_feed = true;
    options.emit_anchor_events = true;
    let nesting = limits.max_depth.min(255);
    options.flow_nesting_limit = nesting;
    options.block_nesting_limit = nesting;
    let parser = Parser::new_from_str_with_options(text, options);

    let mut nodes: Vec<Node> = Vec::new();
    let mut anchors: HashMap<usize, usize> = HashMap::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut root: Option<usize> = None;
    let mut in_document = false;
    let mut last_node: Option<usize> = None;

    for next in parser {
        let (event, span) = next.map_err(|e| syntax_error(e.info(), e.marker().line()))?;
        let line = span.start.line();
        let new_kind = match event {
            Event::StreamStart => continue,
            Event::StreamEnd => break,
            Event::DocumentStart(..) => {
                in_document = true;
                continue;
            }
            Event::DocumentEnd => break,
            Event::Anchor(id, name) => {
                if let Some(n) = anchors.get(&id).copied().or(last_node) {
                    nodes[n].anchor = Some(name.into_owned());
                }
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                stack.pop();
                continue;
            }
            Event::Alias(id) => {
                let target = *anchors
                    .get(&id)
                    .ok_or_else(|| syntax_error("unknown anchor referenced", line))?;
                (NodeKind::Alias(target), 0)
            }
            Event::Scalar(value, style, anchor, tag) => (
                NodeKind::Scalar {
                    value: value.into_owned(),
                    style,
                    tag: tag.map(|t| t.to_string()),
                },
                anchor,
            ),
            Event::SequenceStart(_, anchor, _) => (NodeKind::Seq(Vec::new()), anchor),
            Event::MappingStart(_, anchor, _) => (NodeKind::Map(Vec::new()), anchor),
            #[allow(unreachable_patterns)]
            _ => continue,
        };
        if !in_document {
            continue;
        }
        if nodes.len() >= limits.max_nodes {
            return Err(YamlError::Decode {
                message: format!(
                    "yaml: document has too many nodes (limit {})",
                    limits.max_nodes
                ),
                line: Some(line),
            });
        }
        let (kind, anchor_id) = new_kind;
        let is_collection = matches!(kind, NodeKind::Seq(_) | NodeKind::Map(_));
        let idx = nodes.len();
        nodes.push(Node {
            kind,
            line,
            anchor: None,
        });
        last_node = Some(idx);
        if anchor_id != 0 {
            anchors.insert(anchor_id, idx);
        }
        match stack.last() {
            Some(&parent) => match &mut nodes[parent].kind {
                NodeKind::Seq(items) | NodeKind::Map(items) => items.push(idx),
                _ => unreachable!("only collections are on the stack"),
            },
            None => root = Some(idx),
        }
        if is_collection {
            if stack.len() >= limits.max_depth {
                return Err(depth_error(limits, line));
            }
            stack.push(idx);
        }
    }
    Ok(root.map(|root| Doc { nodes, root }))
}

fn depth_error(limits: &Limits, line: usize) -> YamlError {
    YamlError::Decode {
        message: format!(
            "yaml: document is nested too deeply (limit {})",
            limits.max_depth
        ),
        line: Some(line),
    }
}

// ---------------------------------------------------------------------------
// Decoder: go-yaml v2 `decoder` semantics into interface{}.

struct Decoder<'a> {
    doc: &'a Doc,
    strict: bool,
    limits: &'a Limits,
    decode_count: usize,
    alias_count: usize,
    alias_depth: usize,
    alias_bytes: usize,
    /// Alias nodes being expanded (go-yaml's `d.aliases`).
    active_aliases: Vec<usize>,
    /// Strict-mode complaints (`line N: key "x" already set in map`).
    terrors: Vec<(usize, String)>,
}

const ALIAS_RATIO_RANGE_LOW: usize = 400_000;
const ALIAS_RATIO_RANGE_HIGH: usize = 4_000_000;

/// go-yaml v2 `allowedAliasRatio`.
fn allowed_alias_ratio(decode_count: usize) -> f64 {
    if decode_count <= ALIAS_RATIO_RANGE_LOW {
        0.99
    } else if decode_count >= ALIAS_RATIO_RANGE_HIGH {
        0.10
    } else {
        0.99 - 0.89
            * ((decode_count - ALIAS_RATIO_RANGE_LOW) as f64
                / (ALIAS_RATIO_RANGE_HIGH - ALIAS_RATIO_RANGE_LOW) as f64)
    }
}

fn decode_error(message: impl Into<String>, line: usize) -> YamlError {
    YamlError::Decode {
        message: message.into(),
        line: Some(line),
    }
}

impl Decoder<'_> {
    fn node(&self, idx: usize) -> &Node {
        &self.doc.nodes[idx]
    }

    /// The bookkeeping of go-yaml's `decoder.unmarshal`, then the node.
    fn count(&mut self, idx: usize) -> Result<(), YamlError> {
        self.decode_count += 1;
        if self.alias_depth > 0 {
            self.alias_count += 1;
        }
        let excessive = (self.alias_count > 100
            && self.decode_count > 1000
            && self.alias_count as f64 / self.decode_count as f64
                > allowed_alias_ratio(self.decode_count))
            || self.alias_count > self.limits.max_alias_nodes
            || self.alias_bytes > self.limits.max_alias_bytes;
        if excessive {
            return Err(decode_error(
                "yaml: document contains excessive aliasing",
                self.node(idx).line,
            ));
        }
        Ok(())
    }

    fn unmarshal(&mut self, idx: usize, depth: usize) -> Result<Spanned, YamlError> {
        self.count(idx)?;
        let node = self.node(idx);
        let line = node.line;
        let data = match &node.kind {
            NodeKind::Alias(target) => {
                let target = *target;
                self.enter_alias(idx)?;
                let result = self.unmarshal(target, depth);
                self.leave_alias();
                return result;
            }
            NodeKind::Scalar { value, style, tag } => {
                let data = scalar_data(value, *style, tag.as_deref())
                    .map_err(|m| decode_error(format!("yaml: {m}"), line))?;
                if self.alias_depth > 0 {
                    self.alias_bytes += value.len();
                }
                data
            }
            NodeKind::Seq(items) => {
                if depth >= self.limits.max_depth {
                    return Err(depth_error(self.limits, line));
                }
                let items = items.clone();
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.unmarshal(item, depth + 1)?);
                }
                Data::Seq(out)
            }
            NodeKind::Map(_) => {
                if depth >= self.limits.max_depth {
                    return Err(depth_error(self.limits, line));
                }
                let mut out = MapBuilder::default();
                self.mapping_into(idx, &mut out, depth + 1)?;
                Data::Map(out.entries)
            }
        };
        Ok(Spanned { data, line })
    }

    fn enter_alias(&mut self, idx: usize) -> Result<(), YamlError> {
        if self.active_aliases.contains(&idx) {
            let name = match &self.node(idx).kind {
                NodeKind::Alias(target) => self.node(*target).anchor.clone().unwrap_or_default(),
                _ => String::new(),
            };
            return Err(decode_error(
                format!("yaml: anchor '{name}' value contains itself"),
                self.node(idx).line,
            ));
        }
        self.active_aliases.push(idx);
        self.alias_depth += 1;
        Ok(())
    }

    fn leave_alias(&mut self) {
        self.active_aliases.pop();
        self.alias_depth -= 1;
    }

    /// go-yaml `decoder.mapping` into a `map[interface{}]interface{}`:
    /// merge keys, invalid keys, and `setMapIndex`'s duplicate check.
    fn mapping_into(
        &mut self,
        idx: usize,
        out: &mut MapBuilder,
        depth: usize,
    ) -> Result<(), YamlError> {
        let NodeKind::Map(children) = &self.node(idx).kind else {
            unreachable!("mapping_into on a mapping")
        };
        let children = children.clone();
        for pair in children.chunks(2) {
            let (k, v) = (pair[0], pair.get(1).copied());
            let Some(v) = v else { break };
            if self.is_merge(k) {
                self.merge(v, out, depth)?;
                continue;
            }
            let key = self.unmarshal(k, depth)?;
            if matches!(key.data, Data::Seq(_) | Data::Map(_)) {
                return Err(decode_error(
                    format!("yaml: invalid map key: {}", key.data.go_repr()),
                    key.line,
                ));
            }
            let value = self.unmarshal(v, depth)?;
            self.set_map_index(out, key, value);
        }
        Ok(())
    }

    fn set_map_index(&mut self, out: &mut MapBuilder, key: Spanned, value: Spanned) {
        let id = key.data.key_id();
        if let Some(&pos) = id.as_ref().and_then(|id| out.index.get(id)) {
            if self.strict {
                self.terrors.push((
                    value.line,
                    format!(
                        "line {}: key {} already set in map",
                        value.line,
                        key.data.go_repr()
                    ),
                ));
            } else {
                out.entries[pos].1 = value;
            }
            return;
        }
        if let Some(id) = id {
            out.index.insert(id, out.entries.len());
        }
        out.entries.push((key, value));
    }

    fn is_merge(&self, idx: usize) -> bool {
        match &self.node(idx).kind {
            NodeKind::Scalar { value, style, tag } => {
                value == "<<"
                    && ((*style == ScalarStyle::Plain && tag.is_none())
                        || tag.as_deref() == Some("!")
                        || tag.as_deref().and_then(|t| t.strip_prefix(TAG_PREFIX)) == Some("merge"))
            }
            _ => false,
        }
    }

    /// go-yaml `decoder.merge`.
    fn merge(&mut self, idx: usize, out: &mut MapBuilder, depth: usize) -> Result<(), YamlError> {
        let line = self.node(idx).line;
        let want_map = || {
            decode_error(
                "yaml: map merge requires map or sequence of maps as the value",
                line,
            )
        };
        match &self.node(idx).kind {
            NodeKind::Map(_) => self.merge_map(idx, out, depth),
            NodeKind::Alias(target) => {
                if !matches!(self.node(*target).kind, NodeKind::Map(_)) {
                    return Err(want_map());
                }
                self.merge_map(idx, out, depth)
            }
            NodeKind::Seq(items) => {
                let items = items.clone();
                // Step backwards as earlier nodes take precedence.
                for &item in items.iter().rev() {
                    let ok = match &self.node(item).kind {
                        NodeKind::Alias(target) => {
                            matches!(self.node(*target).kind, NodeKind::Map(_))
                        }
                        NodeKind::Map(_) => true,
                        _ => false,
                    };
                    if !ok {
                        return Err(want_map());
                    }
                    self.merge_map(item, out, depth)?;
                }
                Ok(())
            }
            NodeKind::Scalar { .. } => Err(want_map()),
        }
    }

    /// `d.unmarshal(n, out)` with `out` the mapping being built.
    fn merge_map(
        &mut self,
        idx: usize,
        out: &mut MapBuilder,
        depth: usize,
    ) -> Result<(), YamlError> {
        self.count(idx)?;
        match &self.node(idx).kind {
            NodeKind::Alias(target) => {
                let target = *target;
                self.enter_alias(idx)?;
                let result = self.merge_map(target, out, depth);
                self.leave_alias();
                result
            }
            NodeKind::Map(_) => {
                if depth >= self.limits.max_depth {
                    return Err(depth_error(self.limits, self.node(idx).line));
                }
                self.mapping_into(idx, out, depth + 1)
            }
            _ => unreachable!("merge_map on a mapping"),
        }
    }
}

/// go-yaml `decoder.scalar` into `interface{}`.
fn scalar_data(value: &str, style: ScalarStyle, tag: Option<&str>) -> Result<Data, ResolveError> {
    let resolved = match tag {
        None if style == ScalarStyle::Plain => resolve_plain(value),
        None | Some("!") => Resolved::Str,
        Some(t) if t.strip_prefix(TAG_PREFIX) == Some("binary") => {
            let decoded = base64_decode(value).ok_or(ResolveError::InvalidBase64)?;
            return Ok(Data::Str(String::from_utf8_lossy(&decoded).into_owned()));
        }
        Some(t) => resolve_tagged(t, value)?,
    };
    Ok(match resolved {
        Resolved::Null => Data::Null,
        Resolved::Bool(b) => Data::Bool(b),
        Resolved::Int(i) => Data::Int(i),
        Resolved::Uint(u) => Data::Uint(u),
        Resolved::Float(f) => Data::Float(f),
        Resolved::Timestamp | Resolved::Str => Data::Str(value.to_string()),
    })
}

/// Go `base64.StdEncoding.DecodeString` after go-yaml joined the lines
/// (padding required; line breaks are ignored by Go's decoder).
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = s.bytes().filter(|&b| b != b'\n' && b != b'\r').collect();
    if clean.len() % 4 != 0 {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    let chunks = clean.chunks(4).collect::<Vec<_>>();
    for (n, chunk) in chunks.iter().enumerate() {
        let last = n + 1 == chunks.len();
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut acc = 0u32;
        for &c in &chunk[..4 - pad] {
            acc = (acc << 6) | val(c)?;
        }
        acc <<= 6 * pad as u32;
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    Some(out)
}
