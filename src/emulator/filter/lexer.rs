//! Splits a filter into tokens, each with its byte span and whether whitespace precedes it
//! (the grammar needs that: `a.b` is a traversal, `a .b` is not; `-a` negates, `a - b` does
//! not parse).

use super::{FilterError, column};

/// The comparison operators of AIP-160.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Comparator {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `:`, "has".
    Has,
}

impl Comparator {
    /// The operator as written in a filter.
    pub(super) fn symbol(self) -> &'static str {
        match self {
            Comparator::Eq => "=",
            Comparator::Ne => "!=",
            Comparator::Lt => "<",
            Comparator::Le => "<=",
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
            Comparator::Has => ":",
        }
    }
}

/// A literal as written: unquoted text or a quoted string with its escapes resolved.
///
/// A `*` at either end that was written unescaped is a wildcard; it stays in `text` (ordering
/// comparisons use the text as written) and is flagged so equality can treat it as one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Literal {
    /// The value, escapes resolved, wildcard stars included.
    pub(super) text: String,
    /// Whether it was quoted (`"x"`, `'x'`) rather than bare text (`x`).
    pub(super) quoted: bool,
    /// Whether `text` starts with a wildcard `*`.
    pub(super) wild_start: bool,
    /// Whether `text` ends with a wildcard `*` (distinct from the leading one).
    pub(super) wild_end: bool,
}

impl Literal {
    /// A bare text literal; its leading/trailing stars are wildcards.
    pub(super) fn bare(text: String) -> Self {
        let wild_start = text.starts_with('*');
        let wild_end = text.len() > 1 && text.ends_with('*');
        Literal {
            text,
            quoted: false,
            wild_start,
            wild_end,
        }
    }

    /// The text between the wildcards.
    pub(super) fn core(&self) -> &str {
        // The stars are ASCII, so these byte offsets are char boundaries; `get` keeps it
        // panic-free regardless.
        let start = usize::from(self.wild_start);
        let end = self.text.len() - usize::from(self.wild_end);
        self.text.get(start..end.max(start)).unwrap_or("")
    }

    /// Whether the literal is nothing but a wildcard (`*`, `"*"`, `"**"`).
    pub(super) fn is_bare_wildcard(&self) -> bool {
        self.wild_start && self.core().is_empty()
    }
}

/// What a token is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Tok {
    /// Unquoted text, or a quoted string.
    Value(Literal),
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `,`
    Comma,
    /// `.`
    Dot,
    /// `-` at the start of a token: negation, or the sign of a negative number.
    Minus,
    /// A comparison operator.
    Cmp(Comparator),
    /// The keyword `AND` (case-sensitive, unquoted).
    And,
    /// The keyword `OR`.
    Or,
    /// The keyword `NOT`.
    Not,
}

/// A token and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Token {
    /// What it is.
    pub(super) tok: Tok,
    /// Byte offset of its first character.
    pub(super) start: usize,
    /// Byte offset just past it.
    pub(super) end: usize,
    /// Whether whitespace (or the start of input) comes right before it.
    pub(super) space_before: bool,
}

/// Whether `c` may appear in unquoted text (the EBNF's TEXT, plus `-` after the first char).
fn is_text_char(c: char) -> bool {
    !c.is_whitespace()
        && !matches!(
            c,
            '.' | '(' | ')' | ',' | '"' | '\'' | '=' | '<' | '>' | '!' | ':'
        )
}

/// Splits `src` into tokens. Linear in the input length.
pub(super) fn tokenize(src: &str) -> Result<Vec<Token>, FilterError> {
    let mut tokens = Vec::new();
    let mut chars = src.char_indices().peekable();
    let mut space_before = true;
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() {
            space_before = true;
            continue;
        }
        let single = |tok| Some((tok, start + c.len_utf8()));
        let next_is = |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>, want| {
            chars.next_if(|&(_, n)| n == want).is_some()
        };
        let (tok, end) = match c {
            '(' => single(Tok::LParen),
            ')' => single(Tok::RParen),
            ',' => single(Tok::Comma),
            '.' => single(Tok::Dot),
            '-' => single(Tok::Minus),
            ':' => single(Tok::Cmp(Comparator::Has)),
            '=' => single(Tok::Cmp(Comparator::Eq)),
            '<' if next_is(&mut chars, '=') => Some((Tok::Cmp(Comparator::Le), start + 2)),
            '<' => single(Tok::Cmp(Comparator::Lt)),
            '>' if next_is(&mut chars, '=') => Some((Tok::Cmp(Comparator::Ge), start + 2)),
            '>' => single(Tok::Cmp(Comparator::Gt)),
            '!' if next_is(&mut chars, '=') => Some((Tok::Cmp(Comparator::Ne), start + 2)),
            '!' => {
                return Err(syntax(
                    src,
                    start,
                    "unexpected `!` (the not-equal operator is `!=`; negation is `NOT` or `-`)",
                ));
            }
            '"' | '\'' => Some(string(src, start, c, &mut chars)?),
            _ => None,
        }
        .unwrap_or_else(|| {
            // Unquoted text runs until a character that cannot be part of it.
            let mut end = start + c.len_utf8();
            while let Some((i, n)) = chars.next_if(|&(_, n)| is_text_char(n)) {
                end = i + n.len_utf8();
            }
            let text = src.get(start..end).unwrap_or_default();
            let tok = match text {
                "AND" => Tok::And,
                "OR" => Tok::Or,
                "NOT" => Tok::Not,
                _ => Tok::Value(Literal::bare(text.to_owned())),
            };
            (tok, end)
        });
        tokens.push(Token {
            tok,
            start,
            end,
            space_before,
        });
        space_before = false;
    }
    Ok(tokens)
}

/// Reads a quoted string whose opening `quote` is at byte `start`; returns it and its end.
fn string(
    src: &str,
    start: usize,
    quote: char,
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
) -> Result<(Tok, usize), FilterError> {
    let mut text = String::new();
    // Whether the first character was an unescaped star, and whether the last one is.
    let mut first_star = None;
    let mut last_star = false;
    let mut count = 0usize;
    loop {
        let Some((i, c)) = chars.next() else {
            return Err(syntax(src, start, "unterminated string"));
        };
        if c == quote {
            let wild_start = first_star == Some(true);
            let wild_end = last_star && count > 1;
            let literal = Literal {
                text,
                quoted: true,
                wild_start,
                wild_end,
            };
            return Ok((Tok::Value(literal), i + c.len_utf8()));
        }
        let (decoded, escaped) = if c == '\\' {
            let Some((_, e)) = chars.next() else {
                return Err(syntax(src, start, "unterminated string"));
            };
            let decoded = match e {
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                // `\\`, `\"`, `\'`, `\*` (a literal star) and any other escaped character
                // stand for themselves.
                other => other,
            };
            (decoded, true)
        } else {
            (c, false)
        };
        let star = decoded == '*' && !escaped;
        first_star.get_or_insert(star);
        last_star = star;
        count += 1;
        text.push(decoded);
    }
}

/// A syntax error at byte `offset`.
pub(super) fn syntax(src: &str, offset: usize, message: &str) -> FilterError {
    FilterError::filter(format!(
        "syntax error at column {}: {message}",
        column(src, offset)
    ))
}
