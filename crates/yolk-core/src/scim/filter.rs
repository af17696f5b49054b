//! SCIM filters (RFC 7644 §3.4.2.2): a small recursive-descent parser into [`ScimFilter`], bounded before it
//! runs: at most [`MAX_FILTER_LEN`] bytes, [`MAX_DEPTH`] nested groups and [`MAX_COMPARISONS`] comparisons, so a
//! hostile filter costs neither the parser's stack nor the store's placeholders.
//!
//! Attributes are matched case-insensitively, with or without the core schema's URN prefix. Supported: `id`,
//! `userName`, `externalId`, `displayName`, `active`, `emails.value` / `emails` and the value-path forms
//! `emails[type eq "work"].value eq "x"` and `emails[value eq "x"]` (yolk keeps one email per user: conditions on
//! an email's `type` or `primary` are accepted and hold), and for groups `displayName`, `externalId`, `id`.

use yolk_store::scim::{ScimAttr, ScimFilter, ScimOp, ScimValue};

/// The longest filter accepted, in bytes.
pub const MAX_FILTER_LEN: usize = 4096;
/// The deepest nesting of parentheses, `not(...)` and value paths.
pub const MAX_DEPTH: usize = 16;
/// The most comparisons in one filter.
pub const MAX_COMPARISONS: usize = 32;

/// Why a filter was refused (the message is for the client; SCIM's `scimType` is `invalidFilter`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError(pub String);

/// What the filter is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    User,
    Group,
}

/// Parses a SCIM filter for `resource`.
pub fn parse(input: &str, resource: Resource) -> Result<ScimFilter, FilterError> {
    if input.len() > MAX_FILTER_LEN {
        return Err(FilterError(format!("The filter is longer than {MAX_FILTER_LEN} bytes")));
    }
    let tokens = lex(input)?;
    let mut p = Parser { tokens, pos: 0, depth: 0, comparisons: 0, resource };
    let f = p.or_expr()?;
    if p.pos != p.tokens.len() {
        return Err(FilterError("Unexpected text after the end of the filter".into()));
    }
    Ok(f)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
}

fn lex(input: &str) -> Result<Vec<Tok>, FilterError> {
    let mut out = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(_, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | '[' | ']' => {
                chars.next();
                out.push(match c {
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    '[' => Tok::LBracket,
                    _ => Tok::RBracket,
                });
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                let mut closed = false;
                while let Some((_, c)) = chars.next() {
                    match c {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => match chars.next() {
                            Some((_, 'n')) => s.push('\n'),
                            Some((_, 't')) => s.push('\t'),
                            Some((_, 'u')) => {
                                let hex: String = (0..4).filter_map(|_| chars.next().map(|(_, c)| c)).collect();
                                let ch = u32::from_str_radix(&hex, 16)
                                    .ok()
                                    .and_then(char::from_u32)
                                    .ok_or_else(|| FilterError("Bad \\u escape in a filter string".into()))?;
                                s.push(ch);
                            }
                            Some((_, other)) => s.push(other),
                            None => break,
                        },
                        other => s.push(other),
                    }
                }
                if !closed {
                    return Err(FilterError("Unterminated string in the filter".into()));
                }
                out.push(Tok::Str(s));
            }
            _ => {
                let mut w = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '"') {
                        break;
                    }
                    w.push(c);
                    chars.next();
                }
                out.push(Tok::Word(w));
            }
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Tok>,
    pos: usize,
    depth: usize,
    comparisons: usize,
    resource: Resource,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k))
    }

    fn enter(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError(format!("The filter nests deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn or_expr(&mut self) -> Result<ScimFilter, FilterError> {
        let mut left = self.and_expr()?;
        while self.keyword("or") {
            self.pos += 1;
            let right = self.and_expr()?;
            left = ScimFilter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<ScimFilter, FilterError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.pos += 1;
            let right = self.unary()?;
            left = ScimFilter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<ScimFilter, FilterError> {
        if self.keyword("not") {
            self.pos += 1;
            self.enter()?;
            if self.next() != Some(Tok::LParen) {
                return Err(FilterError("not must be followed by a parenthesized filter".into()));
            }
            let inner = self.or_expr()?;
            if self.next() != Some(Tok::RParen) {
                return Err(FilterError("Missing ) in the filter".into()));
            }
            self.depth -= 1;
            return Ok(ScimFilter::Not(Box::new(inner)));
        }
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            self.enter()?;
            let inner = self.or_expr()?;
            if self.next() != Some(Tok::RParen) {
                return Err(FilterError("Missing ) in the filter".into()));
            }
            self.depth -= 1;
            return Ok(inner);
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<ScimFilter, FilterError> {
        let path = match self.next() {
            Some(Tok::Word(w)) => w,
            _ => return Err(FilterError("Expected an attribute name in the filter".into())),
        };
        let path = strip_schema(&path);
        if self.peek() == Some(&Tok::LBracket) {
            return self.value_path(&path);
        }
        let attr = self.attribute(&path)?;
        self.operation(attr)
    }

    /// `emails[<filter on type, primary, value>]`, optionally followed by `.value <op> <value>`.
    fn value_path(&mut self, path: &str) -> Result<ScimFilter, FilterError> {
        if !path.eq_ignore_ascii_case("emails") || self.resource != Resource::User {
            return Err(FilterError(format!("Unsupported value path {path}[...] in the filter")));
        }
        self.pos += 1;
        self.enter()?;
        let inner = self.email_condition()?;
        if self.next() != Some(Tok::RBracket) {
            return Err(FilterError("Missing ] in the filter".into()));
        }
        self.depth -= 1;
        // A following `.value op x` is lexed as one word starting with `].`: here the `]` was its own token, so the
        // sub-attribute arrives as a word `.value`.
        if let Some(Tok::Word(w)) = self.peek()
            && w.starts_with('.')
        {
            let sub = w[1..].to_owned();
            self.pos += 1;
            if !sub.eq_ignore_ascii_case("value") {
                return Err(FilterError(format!("Unsupported attribute emails.{sub} in the filter")));
            }
            let outer = self.operation(ScimAttr::Email)?;
            return Ok(and_opt(inner, outer));
        }
        inner.ok_or_else(|| FilterError("emails[...] must compare value, or be followed by .value".into()))
    }

    /// A condition inside `emails[...]`: comparisons on `value` become email comparisons; those on `type` and
    /// `primary` hold (one email is kept). `None` when nothing in it constrains the value.
    fn email_condition(&mut self) -> Result<Option<ScimFilter>, FilterError> {
        let mut parts = Vec::new();
        loop {
            let name = match self.next() {
                Some(Tok::Word(w)) => w,
                _ => return Err(FilterError("Expected an attribute name inside emails[...]".into())),
            };
            if name.eq_ignore_ascii_case("value") {
                parts.push(self.operation(ScimAttr::Email)?);
            } else if name.eq_ignore_ascii_case("type") || name.eq_ignore_ascii_case("primary") {
                // Consume the operator and its value.
                let op = self.operator()?;
                if op != ScimOp::Pr {
                    self.value()?;
                }
                self.count()?;
            } else {
                return Err(FilterError(format!("Unsupported attribute emails.{name} in the filter")));
            }
            if self.keyword("and") {
                self.pos += 1;
                continue;
            }
            break;
        }
        Ok(parts.into_iter().reduce(|a, b| ScimFilter::And(Box::new(a), Box::new(b))))
    }

    fn attribute(&self, path: &str) -> Result<ScimAttr, FilterError> {
        let p = path.to_ascii_lowercase();
        let attr = match (p.as_str(), self.resource) {
            ("id", _) => ScimAttr::Id,
            ("externalid", _) => ScimAttr::ExternalId,
            ("displayname", _) => ScimAttr::DisplayName,
            ("username", Resource::User) => ScimAttr::UserName,
            ("active", Resource::User) => ScimAttr::Active,
            ("emails" | "emails.value", Resource::User) => ScimAttr::Email,
            _ => return Err(FilterError(format!("Unsupported attribute {path} in the filter"))),
        };
        Ok(attr)
    }

    fn count(&mut self) -> Result<(), FilterError> {
        self.comparisons += 1;
        if self.comparisons > MAX_COMPARISONS {
            return Err(FilterError(format!("The filter has more than {MAX_COMPARISONS} comparisons")));
        }
        Ok(())
    }

    fn operator(&mut self) -> Result<ScimOp, FilterError> {
        let op = match self.next() {
            Some(Tok::Word(w)) => w.to_ascii_lowercase(),
            _ => return Err(FilterError("Expected an operator in the filter".into())),
        };
        Ok(match op.as_str() {
            "eq" => ScimOp::Eq,
            "ne" => ScimOp::Ne,
            "co" => ScimOp::Co,
            "sw" => ScimOp::Sw,
            "ew" => ScimOp::Ew,
            "pr" => ScimOp::Pr,
            "gt" | "ge" | "lt" | "le" => {
                return Err(FilterError(format!("The operator {op} is not supported on these attributes")));
            }
            _ => return Err(FilterError(format!("Unknown operator {op} in the filter"))),
        })
    }

    fn value(&mut self) -> Result<ScimValue, FilterError> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(ScimValue::Str(s)),
            Some(Tok::Word(w)) if w == "true" => Ok(ScimValue::Bool(true)),
            Some(Tok::Word(w)) if w == "false" => Ok(ScimValue::Bool(false)),
            Some(Tok::Word(w)) if w == "null" => Ok(ScimValue::Null),
            Some(Tok::Word(w)) if w.parse::<f64>().is_ok() => Ok(ScimValue::Str(w)),
            _ => Err(FilterError("Expected a value (a string, true, false or null) in the filter".into())),
        }
    }

    fn operation(&mut self, attr: ScimAttr) -> Result<ScimFilter, FilterError> {
        self.count()?;
        let op = self.operator()?;
        let value = if op == ScimOp::Pr { ScimValue::Null } else { self.value()? };
        if attr == ScimAttr::Active {
            if !matches!(value, ScimValue::Bool(_)) && op != ScimOp::Pr {
                return Err(FilterError("active compares with true or false".into()));
            }
            if !matches!(op, ScimOp::Eq | ScimOp::Ne | ScimOp::Pr) {
                return Err(FilterError("active compares with eq, ne or pr".into()));
            }
        } else if matches!(value, ScimValue::Bool(_)) {
            return Err(FilterError("This attribute compares with a string".into()));
        } else if matches!(value, ScimValue::Null) && !matches!(op, ScimOp::Eq | ScimOp::Ne | ScimOp::Pr) {
            return Err(FilterError("null compares with eq or ne".into()));
        }
        Ok(ScimFilter::Compare { attr, op, value })
    }
}

fn and_opt(a: Option<ScimFilter>, b: ScimFilter) -> ScimFilter {
    match a {
        Some(a) => ScimFilter::And(Box::new(a), Box::new(b)),
        None => b,
    }
}

/// `urn:ietf:params:scim:schemas:core:2.0:User:userName` → `userName`.
fn strip_schema(path: &str) -> String {
    let lower = path.to_ascii_lowercase();
    for urn in ["urn:ietf:params:scim:schemas:core:2.0:user:", "urn:ietf:params:scim:schemas:core:2.0:group:"] {
        if lower.starts_with(urn) {
            return path[urn.len()..].to_owned();
        }
    }
    path.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(s: &str) -> Result<ScimFilter, FilterError> {
        parse(s, Resource::User)
    }

    fn cmp(attr: ScimAttr, op: ScimOp, v: &str) -> ScimFilter {
        ScimFilter::Compare { attr, op, value: ScimValue::Str(v.into()) }
    }

    #[test]
    fn okta_and_entra_forms() {
        assert_eq!(user(r#"userName eq "a@b.c""#).unwrap(), cmp(ScimAttr::UserName, ScimOp::Eq, "a@b.c"));
        assert_eq!(user(r#"externalId eq "x-1""#).unwrap(), cmp(ScimAttr::ExternalId, ScimOp::Eq, "x-1"));
        assert_eq!(
            user(r#"emails[type eq "work"].value eq "a@b.c""#).unwrap(),
            cmp(ScimAttr::Email, ScimOp::Eq, "a@b.c")
        );
        assert_eq!(user(r#"emails[value eq "a@b.c"]"#).unwrap(), cmp(ScimAttr::Email, ScimOp::Eq, "a@b.c"));
        assert_eq!(user(r#"emails.value co "b.c""#).unwrap(), cmp(ScimAttr::Email, ScimOp::Co, "b.c"));
        assert_eq!(
            user(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "a""#).unwrap(),
            cmp(ScimAttr::UserName, ScimOp::Sw, "a")
        );
    }

    #[test]
    fn boolean_logic_and_precedence() {
        let f = user(r#"userName eq "a" or displayName co "b" and active eq true"#).unwrap();
        let expected = ScimFilter::Or(
            Box::new(cmp(ScimAttr::UserName, ScimOp::Eq, "a")),
            Box::new(ScimFilter::And(
                Box::new(cmp(ScimAttr::DisplayName, ScimOp::Co, "b")),
                Box::new(ScimFilter::Compare { attr: ScimAttr::Active, op: ScimOp::Eq, value: ScimValue::Bool(true) }),
            )),
        );
        assert_eq!(f, expected);
        let f = user(r#"(userName eq "a" or userName eq "b") and not (active eq false)"#).unwrap();
        assert!(matches!(f, ScimFilter::And(_, _)));
        assert!(user("userName pr").is_ok());
        assert!(user(r#"USERNAME EQ "x""#).is_ok());
    }

    #[test]
    fn bad_filters_are_refused() {
        for bad in [
            "",
            "userName",
            r#"userName eq"#,
            r#"userName xx "a""#,
            r#"password eq "a""#,
            r#"userName eq "a" and"#,
            r#"(userName eq "a""#,
            r#"userName eq "a")"#,
            r#"userName eq "unterminated"#,
            r#"active eq "yes""#,
            r#"userName eq true"#,
            r#"userName gt "a""#,
            r#"emails[type eq "work"].display eq "a""#,
            r#"members[value eq "x"]"#,
        ] {
            assert!(user(bad).is_err(), "{bad} should be refused");
        }
        assert!(parse(r#"userName eq "a""#, Resource::Group).is_err());
        assert!(parse(r#"displayName eq "g""#, Resource::Group).is_ok());
    }

    #[test]
    fn hostile_filters_are_bounded() {
        let deep = format!("{}userName eq \"a\"{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(user(&deep).is_err());
        let deep = format!("{}userName eq \"a\"{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
        assert!(user(&deep).unwrap_err().0.contains("deeper"));
        let nots = format!("{}userName eq \"a\"{}", "not (".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
        assert!(user(&nots).is_err());
        let ok = format!("{}userName eq \"a\"{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(user(&ok).is_ok());
        let many = vec![r#"userName eq "a""#; MAX_COMPARISONS + 1].join(" or ");
        assert!(user(&many).unwrap_err().0.contains("comparisons"));
        let huge = format!("userName eq \"{}\"", "a".repeat(1 << 20));
        assert!(user(&huge).unwrap_err().0.contains("longer"));
        assert!(user("\u{0}\u{1}((((]]]]\"\\").is_err());
    }
}
