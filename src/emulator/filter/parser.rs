//! Recursive-descent parser for the AIP-160 EBNF, producing an untyped syntax tree with byte
//! offsets so later errors (unknown field, wrong-typed value) can point at the token.
//!
//! ```text
//! filter     : [expression]
//! expression : sequence {AND sequence}
//! sequence   : factor {factor}                  (juxtaposition: an implicit AND)
//! factor     : term {OR term}                   (so OR binds tighter than AND)
//! term       : {NOT | -} simple
//! simple     : restriction | "(" expression ")"
//! restriction: comparable [comparator arg]
//! comparable : member | function
//! member     : value {"." value}                (no whitespace around ".")
//! function   : name {"." name} "(" [arg {"," arg}] ")"
//! arg        : comparable | "-" comparable | "(" expression ")"
//! ```
//!
//! Depth is counted for every `(`, `NOT`, `-` and function call, so nesting is bounded and the
//! recursion (here, in evaluation and in `Drop`) cannot overflow the stack.

use super::lexer::{Comparator, Literal, Tok, Token, syntax, tokenize};
use super::{FilterError, MAX_DEPTH};

/// A filter expression.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    /// Conjunction: `a AND b`, and juxtaposition `a b`.
    And(Vec<Expr>),
    /// Disjunction: `a OR b`.
    Or(Vec<Expr>),
    /// Negation: `NOT a`, `-a`.
    Not(Box<Expr>),
    /// `comparable comparator arg`.
    Restriction(Restriction),
    /// A comparable with no comparator (AIP-160's "global restriction").
    Bare(Comparable),
}

/// `comparable comparator arg`, e.g. `labels.env = "prod"`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Restriction {
    /// The left side; must name a field.
    pub(super) lhs: Comparable,
    /// The operator.
    pub(super) op: Comparator,
    /// Byte offset of the operator.
    pub(super) op_at: usize,
    /// The right side.
    pub(super) arg: Arg,
}

/// A member or a function call.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Comparable {
    /// `a.b.c`, or a bare literal.
    Member(Vec<Segment>),
    /// `f(x, y)`.
    Function(Function),
}

/// One `.`-separated part of a member.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Segment {
    /// The literal.
    pub(super) literal: Literal,
    /// Byte offset of its first character.
    pub(super) at: usize,
}

/// A function call (parsed so the error can name it; none are supported).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Function {
    /// The dotted name.
    pub(super) name: String,
    /// Byte offset of the name.
    pub(super) at: usize,
    /// The arguments.
    pub(super) args: Vec<Arg>,
}

/// The right side of a restriction, or a function argument.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Arg {
    /// A value (or a function call).
    Comparable(Comparable),
    /// `(x OR y)`: logical operators over values, applied to the same field and operator.
    Composite(Box<Expr>),
}

/// Parses `src`; `None` for an empty (all-whitespace) filter.
pub(super) fn parse(src: &str) -> Result<Option<Expr>, FilterError> {
    let tokens = tokenize(src)?;
    if tokens.is_empty() {
        return Ok(None);
    }
    let mut parser = Parser {
        src,
        tokens,
        pos: 0,
        depth: 0,
    };
    let expr = parser.expression()?;
    if parser.pos < parser.tokens.len() {
        // Only an unmatched `)` stops the top-level expression early.
        return Err(parser.unexpected("expected the end of the filter"));
    }
    Ok(Some(expr))
}

/// Parser state over the token list.
struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn peek_tok(&self) -> Option<&Tok> {
        self.peek().map(|t| &t.tok)
    }

    /// Consumes the next token if it is `tok`.
    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek_tok() == Some(tok) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Byte offset of the next token, or the end of input.
    fn here(&self) -> usize {
        self.peek().map_or(self.src.len(), |t| t.start)
    }

    /// An error at the next token: "`message`, found `token`".
    fn unexpected(&self, message: &str) -> FilterError {
        let found = match self.peek() {
            None => "the end of the filter".to_owned(),
            Some(t) => {
                let text = self.src.get(t.start..t.end).unwrap_or("?");
                let keyword = matches!(t.tok, Tok::And | Tok::Or | Tok::Not);
                let hint = if keyword {
                    " (a keyword; quote it to use it as a value)"
                } else {
                    ""
                };
                format!("`{}`{hint}", super::shorten(text))
            }
        };
        syntax(self.src, self.here(), &format!("{message}, found {found}"))
    }

    /// Enters one nesting level whose opening token is at byte `at`.
    fn enter(&mut self, at: usize) -> Result<(), FilterError> {
        if self.depth >= MAX_DEPTH {
            return Err(syntax(
                self.src,
                at,
                &format!(
                    "the filter nests more than {MAX_DEPTH} levels deep \
                     (parentheses, NOT, - and function calls count)"
                ),
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn expression(&mut self) -> Result<Expr, FilterError> {
        let mut children = vec![self.sequence()?];
        while self.eat(&Tok::And) {
            children.push(self.sequence()?);
        }
        Ok(collapse(children, Expr::And))
    }

    fn sequence(&mut self) -> Result<Expr, FilterError> {
        let mut children = vec![self.factor()?];
        while !matches!(self.peek_tok(), None | Some(Tok::And | Tok::RParen)) {
            children.push(self.factor()?);
        }
        Ok(collapse(children, Expr::And))
    }

    fn factor(&mut self) -> Result<Expr, FilterError> {
        let mut children = vec![self.term()?];
        while self.eat(&Tok::Or) {
            children.push(self.term()?);
        }
        Ok(collapse(children, Expr::Or))
    }

    fn term(&mut self) -> Result<Expr, FilterError> {
        // Negations are counted in a loop rather than by recursion, but each still counts
        // as a level so the tree's depth stays bounded.
        let mut negations = 0;
        while let Some(t) = self
            .peek()
            .filter(|t| matches!(t.tok, Tok::Not | Tok::Minus))
        {
            let at = t.start;
            self.enter(at)?;
            self.pos += 1;
            negations += 1;
        }
        let mut expr = self.simple()?;
        for _ in 0..negations {
            expr = Expr::Not(Box::new(expr));
        }
        self.depth -= negations;
        Ok(expr)
    }

    fn simple(&mut self) -> Result<Expr, FilterError> {
        match self.peek_tok() {
            Some(Tok::LParen) => self.composite(),
            Some(Tok::Value(_)) => self.restriction(),
            _ => Err(self.unexpected("expected a restriction such as `name = \"x\"` or a `(`")),
        }
    }

    /// `( expression )`
    fn composite(&mut self) -> Result<Expr, FilterError> {
        let open = self.here();
        self.enter(open)?;
        self.pos += 1;
        let expr = self.expression()?;
        if !self.eat(&Tok::RParen) {
            let message = format!(
                "expected `)` to close the `(` at column {}",
                super::column(self.src, open)
            );
            return Err(self.unexpected(&message));
        }
        self.depth -= 1;
        Ok(expr)
    }

    fn restriction(&mut self) -> Result<Expr, FilterError> {
        let lhs = self.comparable()?;
        let Some(Tok::Cmp(op)) = self.peek_tok() else {
            return Ok(Expr::Bare(lhs));
        };
        let op = *op;
        let op_at = self.here();
        self.pos += 1;
        let arg = self.arg(op)?;
        Ok(Expr::Restriction(Restriction {
            lhs,
            op,
            op_at,
            arg,
        }))
    }

    /// The right side of `op`; function arguments pass `Eq`, which only shapes messages.
    fn arg(&mut self, op: Comparator) -> Result<Arg, FilterError> {
        let after = || format!("expected a value after `{}`", op.symbol());
        match self.peek_tok() {
            Some(Tok::LParen) => Ok(Arg::Composite(Box::new(self.composite()?))),
            Some(Tok::Value(_)) => Ok(Arg::Comparable(self.comparable()?)),
            Some(Tok::Minus) => {
                // `a > -30`: a sign directly followed by bare text is part of the value.
                let minus = self.here();
                let signed = self.tokens.get(self.pos + 1).and_then(|t| match &t.tok {
                    Tok::Value(l) if !l.quoted && !t.space_before => Some(l.text.clone()),
                    _ => None,
                });
                let Some(text) = signed else {
                    return Err(self.unexpected(&after()));
                };
                self.pos += 1;
                let mut comparable = self.comparable()?;
                if let Comparable::Member(segments) = &mut comparable
                    && let Some(first) = segments.first_mut()
                {
                    first.literal = Literal::bare(format!("-{text}"));
                    first.at = minus;
                }
                Ok(Arg::Comparable(comparable))
            }
            _ => Err(self.unexpected(&after())),
        }
    }

    /// `member | function`; the next token is a value.
    fn comparable(&mut self) -> Result<Comparable, FilterError> {
        let mut segments = vec![self.segment()?];
        while let Some(dot) = self.peek().filter(|t| t.tok == Tok::Dot && !t.space_before) {
            let dot_at = dot.start;
            self.pos += 1;
            let adjacent = self.peek().is_some_and(|t| !t.space_before);
            if !adjacent || !matches!(self.peek_tok(), Some(Tok::Value(_))) {
                return Err(syntax(
                    self.src,
                    dot_at,
                    "expected a field name right after `.`",
                ));
            }
            segments.push(self.segment()?);
        }
        let call = self
            .peek()
            .is_some_and(|t| t.tok == Tok::LParen && !t.space_before);
        if !call {
            return Ok(Comparable::Member(segments));
        }
        let at = segments.first().map_or(0, |s| s.at);
        if segments.iter().any(|s| s.literal.quoted) {
            return Err(syntax(self.src, at, "a function name cannot be quoted"));
        }
        let name = segments
            .iter()
            .map(|s| s.literal.text.as_str())
            .collect::<Vec<_>>()
            .join(".");
        self.enter(self.here())?;
        self.pos += 1;
        let mut args = Vec::new();
        if !self.eat(&Tok::RParen) {
            loop {
                args.push(self.arg(Comparator::Eq)?);
                if self.eat(&Tok::RParen) {
                    break;
                }
                if !self.eat(&Tok::Comma) {
                    return Err(self.unexpected(&format!(
                        "expected `,` or `)` in the arguments of `{}`",
                        super::shorten(&name)
                    )));
                }
            }
        }
        self.depth -= 1;
        Ok(Comparable::Function(Function { name, at, args }))
    }

    /// One value token.
    fn segment(&mut self) -> Result<Segment, FilterError> {
        match self.peek() {
            Some(Token {
                tok: Tok::Value(literal),
                start,
                ..
            }) => {
                let segment = Segment {
                    literal: literal.clone(),
                    at: *start,
                };
                self.pos += 1;
                Ok(segment)
            }
            _ => Err(self.unexpected("expected a field name or a value")),
        }
    }
}

/// One child stays itself; several are combined with `wrap`.
fn collapse(mut children: Vec<Expr>, wrap: fn(Vec<Expr>) -> Expr) -> Expr {
    match children.pop() {
        Some(only) if children.is_empty() => only,
        Some(last) => {
            children.push(last);
            wrap(children)
        }
        // Callers always pass at least one child; an empty conjunction is true.
        None => wrap(children),
    }
}
