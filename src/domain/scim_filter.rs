//! SCIM filters and attribute paths (RFC 7644 §3.4.2.2, §3.5.2), read into a tree. What a
//! filter may name, and how it becomes SQL, is the SCIM service's business; this only reads.

use std::fmt;

/// `[schema:]attr[.sub]`, attribute names in lower case (SCIM names are case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URN the path was qualified with, lower case; `None` when it was not.
    pub schema: Option<String>,
    pub attr: String,
    pub sub: Option<String>,
}

impl AttrPath {
    /// Reads `urn:...:User:manager.value`, `emails.value` or `userName`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (schema, rest) = if text.len() > 4 && text[..4].eq_ignore_ascii_case("urn:") {
            // The attribute follows the URN's last colon; a dot after it starts a sub-attribute.
            let colon = text
                .rfind(':')
                .ok_or_else(|| format!("`{text}` is not an attribute path"))?;
            (Some(text[..colon].to_ascii_lowercase()), &text[colon + 1..])
        } else {
            (None, text)
        };
        let (attr, sub) = match rest.split_once('.') {
            Some((a, s)) => (a, Some(s)),
            None => (rest, None),
        };
        let valid = |name: &str| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$')
        };
        if !valid(attr) || sub.is_some_and(|s| !valid(s)) {
            return Err(format!("`{text}` is not an attribute path"));
        }
        Ok(Self {
            schema,
            attr: attr.to_ascii_lowercase(),
            sub: sub.map(str::to_ascii_lowercase),
        })
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(schema) = &self.schema {
            write!(f, "{schema}:")?;
        }
        f.write_str(&self.attr)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Bool(bool),
    Number(f64),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: Literal,
    },
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `emails[type eq "work"]`: the filter applies to the values of a multi-valued attribute.
    ValuePath {
        path: AttrPath,
        filter: Box<Filter>,
    },
}

/// A PATCH operation's `path`: an attribute, maybe narrowed to some of its values, maybe a
/// sub-attribute of those (`emails[type eq "work"].value`, `members[value eq "…"]`).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub path: AttrPath,
    pub filter: Option<Filter>,
    /// The sub-attribute after a value filter (`.value`), lower case.
    pub sub: Option<String>,
}

/// The longest filter read; longer ones are refused rather than parsed.
const MAX_FILTER: usize = 2_000;
/// How deep parentheses and `not` may nest.
const MAX_DEPTH: usize = 20;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Open,
    Close,
    OpenBracket,
    CloseBracket,
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Token::Open);
            }
            ')' => {
                chars.next();
                out.push(Token::Close);
            }
            '[' => {
                chars.next();
                out.push(Token::OpenBracket);
            }
            ']' => {
                chars.next();
                out.push(Token::CloseBracket);
            }
            '"' => {
                // A JSON string: read to its closing quote, escapes included, then decode.
                chars.next();
                let mut escaped = false;
                let mut end = None;
                for (i, c) in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        end = Some(i);
                        break;
                    }
                }
                let end = end.ok_or("a string is not closed")?;
                let value: String = serde_json::from_str(&text[start..=end])
                    .map_err(|_| "a string has a bad escape".to_owned())?;
                out.push(Token::Str(value));
            }
            _ => {
                let mut end = text.len();
                while let Some(&(i, c)) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '"') {
                        end = i;
                        break;
                    }
                    chars.next();
                }
                out.push(Token::Word(text[start..end].to_owned()));
            }
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn peek_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn or(&mut self, depth: usize) -> Result<Filter, String> {
        let mut left = self.and(depth)?;
        while self.peek_word("or") {
            self.next();
            let right = self.and(depth)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Filter, String> {
        let mut left = self.unary(depth)?;
        while self.peek_word("and") {
            self.next();
            let right = self.unary(depth)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Filter, String> {
        if depth > MAX_DEPTH {
            return Err("the filter nests too deeply".into());
        }
        if self.peek_word("not") {
            self.next();
            if self.next() != Some(Token::Open) {
                return Err("`not` must be followed by `(`".into());
            }
            let inner = self.or(depth + 1)?;
            if self.next() != Some(Token::Close) {
                return Err("a `(` is not closed".into());
            }
            return Ok(Filter::Not(Box::new(inner)));
        }
        if self.peek() == Some(&Token::Open) {
            self.next();
            let inner = self.or(depth + 1)?;
            if self.next() != Some(Token::Close) {
                return Err("a `(` is not closed".into());
            }
            return Ok(inner);
        }
        self.comparison(depth)
    }

    fn comparison(&mut self, depth: usize) -> Result<Filter, String> {
        let path = match self.next() {
            Some(Token::Word(w)) => AttrPath::parse(&w)?,
            Some(other) => return Err(format!("expected an attribute, found {other:?}")),
            None => return Err("the filter ends where an attribute was expected".into()),
        };
        if self.peek() == Some(&Token::OpenBracket) {
            self.next();
            let inner = self.or(depth + 1)?;
            if self.next() != Some(Token::CloseBracket) {
                return Err("a `[` is not closed".into());
            }
            return Ok(Filter::ValuePath {
                path,
                filter: Box::new(inner),
            });
        }
        let op = match self.next() {
            Some(Token::Word(w)) => w.to_ascii_lowercase(),
            _ => return Err(format!("expected an operator after `{path}`")),
        };
        let op = match op.as_str() {
            "pr" => return Ok(Filter::Present(path)),
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            other => return Err(format!("`{other}` is not a filter operator")),
        };
        let value = match self.next() {
            Some(Token::Str(s)) => Literal::Str(s),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("true") => Literal::Bool(true),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("false") => Literal::Bool(false),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("null") => Literal::Null,
            Some(Token::Word(w)) => match w.parse::<f64>() {
                Ok(n) if n.is_finite() => Literal::Number(n),
                _ => return Err(format!("`{w}` is not a value (strings are quoted)")),
            },
            _ => return Err(format!("expected a value after `{path}`")),
        };
        Ok(Filter::Compare { path, op, value })
    }
}

/// Reads a `filter` query parameter.
pub fn parse(text: &str) -> Result<Filter, String> {
    if text.len() > MAX_FILTER {
        return Err(format!("a filter is at most {MAX_FILTER} characters"));
    }
    let mut parser = Parser {
        tokens: tokens(text)?,
        at: 0,
    };
    let filter = parser.or(0)?;
    match parser.peek() {
        None => Ok(filter),
        Some(token) => Err(format!("unexpected {token:?} after a complete filter")),
    }
}

/// Reads a PATCH operation's `path`.
pub fn parse_patch_path(text: &str) -> Result<PatchPath, String> {
    let Some(open) = text.find('[') else {
        return Ok(PatchPath {
            path: AttrPath::parse(text)?,
            filter: None,
            sub: None,
        });
    };
    let close = text
        .rfind(']')
        .filter(|&c| c > open)
        .ok_or("a `[` is not closed")?;
    let path = AttrPath::parse(&text[..open])?;
    let filter = parse(&text[open + 1..close])?;
    let rest = &text[close + 1..];
    let sub = match rest.strip_prefix('.') {
        Some(sub) if !sub.is_empty() && sub.chars().all(|c| c.is_ascii_alphanumeric()) => {
            Some(sub.to_ascii_lowercase())
        }
        None if rest.is_empty() => None,
        _ => return Err(format!("`{rest}` cannot follow a value filter")),
    };
    Ok(PatchPath {
        path,
        filter: Some(filter),
        sub,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eq(attr: &str, value: &str) -> Filter {
        Filter::Compare {
            path: AttrPath::parse(attr).unwrap(),
            op: CompareOp::Eq,
            value: Literal::Str(value.into()),
        }
    }

    #[test]
    fn what_identity_providers_send_is_read() {
        assert_eq!(
            parse(r#"userName eq "ada@example.com""#).unwrap(),
            eq("username", "ada@example.com")
        );
        assert_eq!(
            parse(r#"externalId eq "x" and (emails.value eq "a@b.c" or displayName eq "A \"B\"")"#)
                .unwrap(),
            Filter::And(
                Box::new(eq("externalid", "x")),
                Box::new(Filter::Or(
                    Box::new(eq("emails.value", "a@b.c")),
                    Box::new(eq("displayname", "A \"B\"")),
                ))
            )
        );
        // `and` binds tighter than `or`.
        assert!(matches!(
            parse(r#"a eq "1" or b eq "2" and c eq "3""#).unwrap(),
            Filter::Or(_, right) if matches!(*right, Filter::And(..))
        ));
        assert_eq!(
            parse("title pr").unwrap(),
            Filter::Present(AttrPath::parse("title").unwrap())
        );
        assert_eq!(
            parse(r#"NOT (active EQ false)"#).unwrap(),
            Filter::Not(Box::new(Filter::Compare {
                path: AttrPath::parse("active").unwrap(),
                op: CompareOp::Eq,
                value: Literal::Bool(false),
            }))
        );
        let qualified = AttrPath::parse(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        )
        .unwrap();
        assert_eq!(
            qualified.schema.as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:user")
        );
        assert_eq!(
            (qualified.attr.as_str(), qualified.sub.as_deref()),
            ("manager", Some("value"))
        );
    }

    #[test]
    fn broken_filters_say_why() {
        for bad in [
            "",
            "userName",
            r#"userName eq"#,
            r#"userName like "x""#,
            r#"userName eq "x"#,
            r#"(userName eq "x""#,
            r#"userName eq x"#,
            r#"userName eq "x" garbage"#,
            r#"not userName eq "x""#,
            "user name eq \"x\"",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let deep = format!("{}a pr{}", "(".repeat(50), ")".repeat(50));
        assert!(parse(&deep).is_err());
        assert!(parse(&"a".repeat(3000)).is_err());
    }

    #[test]
    fn patch_paths_with_value_filters() {
        let p = parse_patch_path(r#"emails[type eq "work"].value"#).unwrap();
        assert_eq!(p.path.attr, "emails");
        assert_eq!(p.filter, Some(eq("type", "work")));
        assert_eq!(p.sub.as_deref(), Some("value"));
        let p = parse_patch_path(r#"members[value eq "2819c223"]"#).unwrap();
        assert_eq!(p.filter, Some(eq("value", "2819c223")));
        assert_eq!(p.sub, None);
        assert!(parse_patch_path("members[value eq \"x\"").is_err());
        assert!(parse_patch_path("members[value eq \"x\"]junk").is_err());
    }
}
