//! The second half of `sigs.k8s.io/yaml`'s `Unmarshal`/`UnmarshalStrict`:
//! the decoded YAML value is made JSON-compatible (`convertToJSONableObject`:
//! keys become strings, and scalars headed for a Go `string` field become
//! strings), marshalled to JSON, and decoded by `encoding/json` into imgpkg's
//! structs (strictly: `DisallowUnknownFields`).
//!
//! Behaviour kept from Go, because it decides what imgpkg accepts:
//!
//! * a number or boolean where a string is expected is converted, not
//!   refused: `tag: 1.0` reads as `"1"` (Go `FormatFloat(f, 'g', -1, 32)`),
//!   `tag: yes` as `"true"`, `tag: 0123` as `"83"`;
//! * field names match case-insensitively (`Kind:` sets `kind`);
//! * `null` leaves a string, boolean or struct untouched and empties a list
//!   or map; a `null` map value is the empty string;
//! * JSON object keys are visited in sorted order, and the first error in
//!   that order is the one reported;
//! * `.nan`/`.inf` anywhere JSON cannot hold them fail the JSON encoding.
//!
//! Error texts are Go's (`json: unknown field "x"`, `json: cannot unmarshal
//! array into Go struct field ImageRef.images.image of type string`).

use crate::yaml::resolve::format_float_g;
use crate::yaml::{Data, Spanned};

/// A Go type that imgpkg's lock structs are made of.
#[derive(Clone, Copy)]
pub(crate) enum Ty {
    Str,
    Bool,
    Struct(&'static StructTy),
    Slice(&'static SliceTy),
    MapStrStr,
}

pub(crate) struct StructTy {
    /// `reflect.Type.Name()`, used in error contexts (`ImageRef`).
    pub name: &'static str,
    /// `reflect.Type.String()` (`lockconfig.ImageRef`).
    pub go_type: &'static str,
    /// JSON field names and types, in struct order.
    pub fields: &'static [(&'static str, Ty)],
}

pub(crate) struct SliceTy {
    pub go_type: &'static str,
    pub elem: Ty,
}

impl Ty {
    fn go_type(&self) -> &'static str {
        match self {
            Ty::Str => "string",
            Ty::Bool => "bool",
            Ty::Struct(s) => s.go_type,
            Ty::Slice(s) => s.go_type,
            Ty::MapStrStr => "map[string]string",
        }
    }
}

/// Which step of the conversion failed: imgpkg reports them as
/// `error converting YAML to JSON: …` and
/// `error unmarshaling JSON: while decoding JSON: …`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    ToJson,
    Json,
}

#[derive(Debug, Clone)]
pub(crate) struct GoError {
    pub phase: Phase,
    pub message: String,
    pub line: Option<usize>,
    /// A short human explanation (not part of imgpkg's text).
    pub detail: Option<String>,
}

/// What a struct, slice, map or scalar decoded to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Decoded {
    /// Never set (absent, or only `null`).
    Unset,
    Str(String),
    Bool(bool),
    /// One slot per field of the struct, with the line of the value.
    Struct(Vec<Option<(Decoded, usize)>>),
    /// Elements with their lines.
    Slice(Vec<(Decoded, usize)>),
    /// `map[string]string` entries in document order, with lines.
    Map(Vec<(String, String, usize)>),
}

/// A JSON value after `convertToJSONableObject`.
#[derive(Debug)]
enum J {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<JNode>),
    /// Entries in document order; keys unique (a later duplicate replaced
    /// an earlier one, as assigning into a Go map would).
    Obj(Vec<(String, usize, JNode)>),
}

#[derive(Debug)]
struct JNode {
    j: J,
    line: usize,
}

impl J {
    fn kind(&self) -> &'static str {
        match self {
            J::Null => "null",
            J::Bool(_) => "bool",
            J::Num(_) => "number",
            J::Str(_) => "string",
            J::Arr(_) => "array",
            J::Obj(_) => "object",
        }
    }
}

/// Decodes `root` (the YAML document, `None` when empty) into `ty`, as
/// `sigs.k8s.io/yaml` would with `strict` = `UnmarshalStrict`.
pub(crate) fn decode(root: Option<&Spanned>, ty: Ty, strict: bool) -> Result<Decoded, GoError> {
    let Some(root) = root else {
        // `null`: encoding/json leaves the struct as it was.
        return Ok(Decoded::Unset);
    };
    let node = to_json(root, Some(ty))?;
    check_marshalable(&node)?;
    let mut ctx = Ctx {
        strict,
        struct_name: None,
        path: Vec::new(),
    };
    ctx.value(&node, ty, None)
}

/// Finds the field encoding/json (and sigs.k8s.io/yaml) would use for
/// `key`: an exact match, else a case-insensitive one.
fn find_field(st: &StructTy, key: &str) -> Option<usize> {
    st.fields
        .iter()
        .position(|(name, _)| *name == key)
        .or_else(|| st.fields.iter().position(|(name, _)| equal_fold(name, key)))
}

/// Go `bytes.EqualFold` for an ASCII field name against any key: simple
/// case folding, where KELVIN SIGN folds to `k` and LONG S to `s`.
fn equal_fold(name: &str, key: &str) -> bool {
    let fold = |c: char| match c {
        '\u{212A}' => 'k',
        '\u{17F}' => 's',
        c => c.to_ascii_lowercase(),
    };
    let mut a = name.chars().map(fold);
    let mut b = key.chars().map(fold);
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x == y => {}
            _ => return false,
        }
    }
}

/// `convertToJSONableObject`: string keys, and scalars coerced to strings
/// where the Go target is a string.
fn to_json(v: &Spanned, target: Option<Ty>) -> Result<JNode, GoError> {
    let j = match &v.data {
        Data::Map(entries) => {
            // A later key that stringifies like an earlier one replaces it
            // (Go assigns both into one map[string]interface{}).
            let mut out: Vec<Option<(String, usize, JNode)>> = Vec::with_capacity(entries.len());
            let mut index: std::collections::HashMap<String, usize> =
                std::collections::HashMap::new();
            for (k, val) in entries {
                let key = match &k.data {
                    Data::Str(s) => s.clone(),
                    Data::Int(i) => i.to_string(),
                    Data::Float(f) => match format_float_g(*f, true).as_str() {
                        "+Inf" => ".inf".to_string(),
                        "-Inf" => "-.inf".to_string(),
                        "NaN" => ".nan".to_string(),
                        s => s.to_string(),
                    },
                    Data::Bool(b) => b.to_string(),
                    other => {
                        let type_name = match other {
                            Data::Uint(_) => "uint64",
                            _ => "%!s(<nil>)",
                        };
                        return Err(GoError {
                            phase: Phase::ToJson,
                            message: format!(
                                "unsupported map key of type: {type_name}, key: {}, value: {}",
                                other.go_repr(),
                                val.data.go_repr()
                            ),
                            line: Some(k.line),
                            detail: Some("mapping keys must be strings".into()),
                        });
                    }
                };
                let child_target = match target {
                    Some(Ty::Struct(st)) => find_field(st, &key).map(|i| st.fields[i].1),
                    Some(Ty::MapStrStr) => Some(Ty::Str),
                    _ => None,
                };
                let node = to_json(val, child_target)?;
                if let Some(pos) = index.insert(key.clone(), out.len()) {
                    out[pos] = None;
                }
                out.push(Some((key, k.line, node)));
            }
            J::Obj(out.into_iter().flatten().collect())
        }
        Data::Seq(items) => {
            let elem = match target {
                Some(Ty::Slice(s)) => Some(s.elem),
                _ => None,
            };
            J::Arr(
                items
                    .iter()
                    .map(|item| to_json(item, elem))
                    .collect::<Result<_, _>>()?,
            )
        }
        scalar => {
            let to_string = matches!(target, Some(Ty::Str));
            match scalar {
                Data::Null => J::Null,
                Data::Str(s) => J::Str(s.clone()),
                Data::Bool(b) if to_string => J::Str(b.to_string()),
                Data::Bool(b) => J::Bool(*b),
                Data::Int(i) if to_string => J::Str(i.to_string()),
                Data::Uint(u) if to_string => J::Str(u.to_string()),
                Data::Float(f) if to_string => J::Str(format_float_g(*f, true)),
                Data::Int(i) => J::Num(*i as f64),
                Data::Uint(u) => J::Num(*u as f64),
                Data::Float(f) => J::Num(*f),
                Data::Seq(_) | Data::Map(_) => unreachable!("collections handled above"),
            }
        }
    };
    Ok(JNode { j, line: v.line })
}

/// `json.Marshal` of the converted value: it refuses NaN and infinities,
/// walking maps in sorted key order.
fn check_marshalable(node: &JNode) -> Result<(), GoError> {
    match &node.j {
        J::Num(f) if !f.is_finite() => Err(GoError {
            phase: Phase::ToJson,
            message: format!("json: unsupported value: {}", format_float_g(*f, false)),
            line: Some(node.line),
            detail: Some("JSON has no NaN or infinity".into()),
        }),
        J::Arr(items) => items.iter().try_for_each(check_marshalable),
        J::Obj(entries) => sorted(entries)
            .into_iter()
            .try_for_each(|(_, _, n)| check_marshalable(n)),
        _ => Ok(()),
    }
}

/// Object entries in the order `json.Marshal` writes them (sorted keys).
fn sorted(entries: &[(String, usize, JNode)]) -> Vec<&(String, usize, JNode)> {
    let mut v: Vec<_> = entries.iter().collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// encoding/json's decoder state: the error context it reports.
struct Ctx {
    strict: bool,
    struct_name: Option<&'static str>,
    path: Vec<&'static str>,
}

impl Ctx {
    fn type_error(&self, node: &JNode, ty: Ty) -> GoError {
        let message = match self.struct_name {
            Some(name) if !self.path.is_empty() => format!(
                "json: cannot unmarshal {} into Go struct field {}.{} of type {}",
                node.j.kind(),
                name,
                self.path.join("."),
                ty.go_type()
            ),
            _ => format!(
                "json: cannot unmarshal {} into Go value of type {}",
                node.j.kind(),
                ty.go_type()
            ),
        };
        let expected = match ty {
            Ty::Str => "a string",
            Ty::Bool => "true or false",
            Ty::Struct(_) => "a mapping",
            Ty::Slice(_) => "a list",
            Ty::MapStrStr => "a mapping of strings",
        };
        GoError {
            phase: Phase::Json,
            message,
            line: Some(node.line),
            detail: Some(format!("expected {expected}")),
        }
    }

    /// Decodes `node` into a value of type `ty`; `prev` is what the target
    /// held before (decoding an object into a struct keeps its other fields).
    fn value(&mut self, node: &JNode, ty: Ty, prev: Option<Decoded>) -> Result<Decoded, GoError> {
        if let J::Null = node.j {
            // `null` empties a list or map and leaves anything else as it was.
            return Ok(match ty {
                Ty::Slice(_) | Ty::MapStrStr => Decoded::Unset,
                _ => prev.unwrap_or(Decoded::Unset),
            });
        }
        match (ty, &node.j) {
            (Ty::Str, J::Str(s)) => Ok(Decoded::Str(s.clone())),
            (Ty::Bool, J::Bool(b)) => Ok(Decoded::Bool(*b)),
            (Ty::Struct(st), J::Obj(entries)) => self.object(st, entries, prev),
            (Ty::Slice(sl), J::Arr(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push((self.value(item, sl.elem, None)?, item.line));
                }
                Ok(Decoded::Slice(out))
            }
            (Ty::MapStrStr, J::Obj(entries)) => {
                for (_, _, val) in sorted(entries) {
                    if !matches!(val.j, J::Str(_) | J::Null) {
                        return Err(self.type_error(val, Ty::Str));
                    }
                }
                Ok(Decoded::Map(
                    entries
                        .iter()
                        .map(|(k, line, val)| {
                            let v = match &val.j {
                                J::Str(s) => s.clone(),
                                _ => String::new(),
                            };
                            (k.clone(), v, *line)
                        })
                        .collect(),
                ))
            }
            _ => Err(self.type_error(node, ty)),
        }
    }

    fn object(
        &mut self,
        st: &'static StructTy,
        entries: &[(String, usize, JNode)],
        prev: Option<Decoded>,
    ) -> Result<Decoded, GoError> {
        let mut slots = match prev {
            Some(Decoded::Struct(slots)) => slots,
            _ => vec![None; st.fields.len()],
        };
        for (key, key_line, val) in sorted(entries) {
            let Some(i) = find_field(st, key) else {
                if self.strict {
                    return Err(GoError {
                        phase: Phase::Json,
                        message: format!(
                            "json: unknown field {}",
                            crate::yaml::resolve::go_quote(key)
                        ),
                        line: Some(*key_line),
                        detail: Some(format!(
                            "{} has only {}",
                            st.name,
                            st.fields
                                .iter()
                                .map(|(n, _)| *n)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    });
                }
                continue;
            };
            let (name, fty) = st.fields[i];
            if let J::Null = val.j {
                if matches!(fty, Ty::Slice(_) | Ty::MapStrStr) {
                    slots[i] = None;
                }
                continue;
            }
            let saved = (self.struct_name, self.path.len());
            self.struct_name = Some(st.name);
            self.path.push(name);
            let previous = slots[i].take().map(|(d, _)| d);
            let decoded = self.value(val, fty, previous)?;
            self.path.truncate(saved.1);
            self.struct_name = saved.0;
            slots[i] = match decoded {
                Decoded::Unset => None,
                d => Some((d, val.line)),
            };
        }
        Ok(Decoded::Struct(slots))
    }
}
