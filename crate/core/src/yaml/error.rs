//! Why a YAML document could not be read.

/// Why a document could not be read. `message()` is go-yaml-style text
/// (`yaml: line 3: …`), `line()` where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum YamlError {
    /// The input exceeds [`Limits::max_input_bytes`](crate::yaml::Limits::max_input_bytes).
    TooLarge {
        /// Size of the input, in bytes.
        size: usize,
        /// The limit, in bytes.
        limit: usize,
    },
    /// Bad UTF-8/UTF-16 or a character YAML does not allow.
    Encoding {
        /// go-yaml's text for it.
        message: String,
        /// 1-based line of the bad character.
        line: usize,
    },
    /// Not YAML.
    Syntax {
        /// go-yaml's text for it (`yaml: line N: ...`).
        message: String,
        /// 1-based line where the parser stopped.
        line: usize,
    },
    /// Valid YAML that cannot be decoded (duplicate keys in strict mode,
    /// excessive aliasing, bad merge, bad tag, too deep, too big).
    Decode {
        /// go-yaml's text for it.
        message: String,
        /// 1-based line of the node, when one is known.
        line: Option<usize>,
    },
}

impl YamlError {
    /// The error as go-yaml words it (`yaml: line 3: ...`); `Display` prints the same text.
    pub fn message(&self) -> String {
        match self {
            YamlError::TooLarge { size, limit } => {
                format!("input is too large: {size} bytes (limit {limit} bytes)")
            }
            YamlError::Encoding { message, .. } | YamlError::Syntax { message, .. } => {
                message.clone()
            }
            YamlError::Decode { message, .. } => message.clone(),
        }
    }

    /// 1-based line the error points at, when there is one.
    pub fn line(&self) -> Option<usize> {
        match self {
            YamlError::TooLarge { .. } => None,
            YamlError::Encoding { line, .. } | YamlError::Syntax { line, .. } => Some(*line),
            YamlError::Decode { line, .. } => *line,
        }
    }
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for YamlError {}
