//! Where plan nodes were written, from the query's tokens.
//!
//! sqlparser places a node by its operands (`CAST(x AS INT64)` is placed at `x`,
//! a call ends before its `)`), and keeps no token for most keywords. The
//! analyzer gives each plan node the span of all it was written with: the
//! operands' spans, widened here over the keyword, parentheses and trailing words
//! around them. Each widening looks at a few neighbouring tokens, or walks to the
//! matching parenthesis, so placing a whole query stays linear in practice.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan};

use crate::diagnostics::{Position, Span};

/// What the widening needs to know of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Open,
    Close,
    /// `JOIN` and the words that may come before it (`LEFT OUTER`, `CROSS`, …).
    JoinWord,
    Other,
}

/// The query's tokens without whitespace and comments, in order.
#[derive(Debug, Default)]
pub(crate) struct Places {
    kinds: Vec<Kind>,
    spans: Vec<Span>,
}

impl Places {
    /// The places of `tokens` (as the tokenizer gave them, with their locations).
    pub(crate) fn new(tokens: &[TokenWithSpan]) -> Self {
        let mut places = Self::default();
        for t in tokens {
            let kind = match &t.token {
                Token::Whitespace(_) | Token::EOF => continue,
                Token::LParen => Kind::Open,
                Token::RParen => Kind::Close,
                Token::Word(w)
                    if w.quote_style.is_none()
                        && matches!(
                            w.keyword,
                            Keyword::JOIN
                                | Keyword::INNER
                                | Keyword::LEFT
                                | Keyword::RIGHT
                                | Keyword::FULL
                                | Keyword::OUTER
                                | Keyword::CROSS
                        ) =>
                {
                    Kind::JoinWord
                }
                _ => Kind::Other,
            };
            if t.span.start.line == 0 {
                continue;
            }
            places.kinds.push(kind);
            places.spans.push(Span::new(
                Position::new(t.span.start.line, t.span.start.column),
                Position::new(t.span.end.line, t.span.end.column),
            ));
        }
        places
    }

    /// The index of the first token starting at or after `at`.
    fn first_from(&self, at: Position) -> usize {
        self.spans.partition_point(|s| s.start < at)
    }

    /// The index of the token starting exactly at `at`.
    fn starting_at(&self, at: Position) -> Option<usize> {
        let i = self.first_from(at);
        (self.spans.get(i)?.start == at).then_some(i)
    }

    /// The `)` matching the `(` at index `open`.
    fn matching_close(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for (i, kind) in self.kinds.iter().enumerate().skip(open) {
            match kind {
                Kind::Open => depth += 1,
                Kind::Close => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                Kind::JoinWord | Kind::Other => {}
            }
        }
        None
    }

    /// A call: its name, through the `)` closing the `(` right after it.
    pub(crate) fn call(&self, name: Span) -> Span {
        let open = self.first_from(name.end);
        match self.kinds.get(open) {
            Some(Kind::Open) => match self.matching_close(open) {
                Some(close) => name.union(self.spans[close]),
                None => name,
            },
            _ => name,
        }
    }

    /// A keyword construct around `inner` (`CAST(inner AS T)`, `EXTRACT(DAY FROM
    /// inner)`): from the keyword before the `(` that encloses `inner` through
    /// the matching `)`. `inner` itself when no such `(` is near (`WORDS` tokens).
    pub(crate) fn keyword_call(&self, inner: Span) -> Span {
        const WORDS: usize = 4;
        let Some(first) = self.starting_at(inner.start) else {
            return inner;
        };
        let mut depth = 0usize;
        let mut open = None;
        for i in (first.saturating_sub(WORDS)..first).rev() {
            match self.kinds[i] {
                Kind::Close => depth += 1,
                Kind::Open if depth == 0 => {
                    open = Some(i);
                    break;
                }
                Kind::Open => depth -= 1,
                Kind::JoinWord | Kind::Other => {}
            }
        }
        let Some(open) = open.filter(|&o| o > 0) else {
            return inner;
        };
        match self.matching_close(open) {
            Some(close) if self.spans[close].start >= inner.end => {
                self.spans[open - 1].union(self.spans[close])
            }
            _ => inner,
        }
    }

    /// `inner` with the parentheses right around it.
    pub(crate) fn parenthesised(&self, inner: Span) -> Span {
        let (Some(first), after) = (self.starting_at(inner.start), self.first_from(inner.end))
        else {
            return inner;
        };
        match (
            first.checked_sub(1).map(|i| self.kinds[i]),
            self.kinds.get(after),
        ) {
            (Some(Kind::Open), Some(Kind::Close)) => self.spans[first - 1].union(self.spans[after]),
            _ => inner,
        }
    }

    /// `inner` with the `n` tokens before it (a prefix operator, a literal's type).
    pub(crate) fn with_before(&self, inner: Span, n: usize) -> Span {
        match self.starting_at(inner.start) {
            Some(first) if first >= n => self.spans[first - n].union(inner),
            _ => inner,
        }
    }

    /// `inner` with the `n` tokens after it (`IS NOT NULL`, an interval's unit).
    pub(crate) fn with_after(&self, inner: Span, n: usize) -> Span {
        let after = self.first_from(inner.end);
        match (n.checked_sub(1), self.spans.get(after)) {
            (Some(last), Some(_)) => match self.spans.get(after + last) {
                Some(end) => inner.union(*end),
                None => inner,
            },
            _ => inner,
        }
    }

    /// A joined relation with the join's words before it (`LEFT OUTER JOIN`).
    pub(crate) fn with_join_words(&self, relation: Span) -> Span {
        let Some(first) = self.starting_at(relation.start) else {
            return relation;
        };
        let words = self.kinds[..first]
            .iter()
            .rev()
            .take_while(|k| **k == Kind::JoinWord)
            .count();
        self.with_before(relation, words)
    }

    /// The tokens between two spans (a set operation's words between its
    /// queries), if any.
    pub(crate) fn between(&self, left: Span, right: Span) -> Option<Span> {
        let from = self.first_from(left.end);
        let to = self.first_from(right.start);
        let first = self.spans.get(from).filter(|_| from < to)?;
        Some(first.union(self.spans[to - 1]))
    }

    /// `inner` through the `)` right after it (an `IN (…)` list's end).
    pub(crate) fn with_close(&self, inner: Span) -> Span {
        let after = self.first_from(inner.end);
        match self.kinds.get(after) {
            Some(Kind::Close) => inner.union(self.spans[after]),
            _ => inner,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::BigQueryDialect;
    use sqlparser::tokenizer::Tokenizer;

    fn places(sql: &str) -> Places {
        let tokens = Tokenizer::new(&BigQueryDialect {}, sql)
            .tokenize_with_location()
            .expect("tokenizes");
        Places::new(&tokens)
    }

    fn span(from: u64, to: u64) -> Span {
        Span::new(Position::new(1, from), Position::new(1, to))
    }

    #[test]
    fn widening_reaches_keywords_and_closing_parentheses() {
        let sql = "SELECT CAST((a + b) AS NUMERIC(10, 2)), f(g(x)), -y";
        let p = places(sql);
        // `a + b` → `(a + b)` → `CAST(… )`.
        let sum = span(14, 19);
        assert_eq!(p.parenthesised(sum), span(13, 20));
        assert_eq!(p.keyword_call(span(13, 20)), span(8, 39));
        // Calls close at their own parenthesis.
        assert_eq!(p.call(span(43, 44)), span(43, 47));
        assert_eq!(p.call(span(41, 42)), span(41, 48));
        // A prefix operator.
        assert_eq!(p.with_before(span(51, 52), 1), span(50, 52));
        // No parenthesis near: unchanged.
        assert_eq!(p.keyword_call(span(51, 52)), span(51, 52));

        let sql = "SELECT 1 FROM a LEFT OUTER JOIN b ON x UNION ALL SELECT 2";
        let p = places(sql);
        assert_eq!(p.with_join_words(span(33, 34)), span(17, 34));
        assert_eq!(p.between(span(1, 39), span(50, 58)), Some(span(40, 49)));
    }
}
