//! Parsing SQL text into sqlparser's AST with the BigQuery dialect.

use sqlparser::ast::Statement;
use sqlparser::dialect::BigQueryDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

use crate::places::Places;

/// How deep expressions may nest before parsing stops with an error instead of
/// exhausting the stack (native threads and wasm alike).
pub const RECURSION_LIMIT: usize = 64;

/// How many operators may follow each other in one expression. Longer chains
/// (`a + a + a ...`) would build trees too deep to walk or drop safely.
pub const MAX_OPERATOR_CHAIN: usize = 128;

/// A syntax error with the 1-based line and column (in characters) where it was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct ParseError {
    /// What went wrong, without the position.
    pub message: String,
    /// 1-based line of the offending token.
    pub line: u64,
    /// 1-based column, counted in characters, of the offending token.
    pub column: u64,
}

/// Parses `sql` into statements, or reports the first syntax error with its position.
pub fn parse(sql: &str) -> Result<Vec<Statement>, ParseError> {
    parse_placed(sql).map(|(statements, _)| statements)
}

/// [`parse`], with the tokens' places for the analyzer.
pub(crate) fn parse_placed(sql: &str) -> Result<(Vec<Statement>, Places), ParseError> {
    let dialect = BigQueryDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| ParseError {
            message: e.message,
            line: e.location.line,
            column: e.location.column,
        })?;
    check_operator_chains(&tokens)?;
    let places = Places::new(&tokens);
    let tokens = rewrite_calcite_table_arguments(tokens);
    let mut parser = Parser::new(&dialect)
        .with_recursion_limit(RECURSION_LIMIT)
        .with_tokens_with_locations(tokens);
    let statements = parser.parse_statements().map_err(|e| {
        let mut location = parser.peek_token().span.start;
        if location.line == 0 {
            location = end_of_text(sql);
        }
        from_parser_error(e, location)
    })?;
    Ok((statements, places))
}

/// Rejects runs of more than [`MAX_OPERATOR_CHAIN`] binary operators within one
/// parenthesis level and list item, which the parser would turn into a tree that
/// deep (it parses left-associative chains in a loop, without a recursion limit).
fn check_operator_chains(tokens: &[TokenWithSpan]) -> Result<(), ParseError> {
    // One counter per open parenthesis.
    let mut chains: Vec<usize> = vec![0];
    for t in tokens {
        let is_operator = match &t.token {
            Token::Plus
            | Token::Minus
            | Token::Mul
            | Token::Div
            | Token::Mod
            | Token::StringConcat
            | Token::Eq
            | Token::Neq
            | Token::Lt
            | Token::Gt
            | Token::LtEq
            | Token::GtEq => true,
            Token::Word(w) => {
                // A clause keyword starts a new expression.
                if matches!(
                    w.keyword,
                    Keyword::SELECT
                        | Keyword::FROM
                        | Keyword::WHERE
                        | Keyword::GROUP
                        | Keyword::HAVING
                        | Keyword::ORDER
                        | Keyword::LIMIT
                        | Keyword::JOIN
                        | Keyword::ON
                        | Keyword::USING
                        | Keyword::WHEN
                        | Keyword::THEN
                        | Keyword::ELSE
                        | Keyword::END
                        | Keyword::AS
                        | Keyword::UNION
                        | Keyword::WITH
                ) && let Some(c) = chains.last_mut()
                {
                    *c = 0;
                }
                matches!(w.keyword, Keyword::AND | Keyword::OR)
            }
            Token::LParen | Token::LBracket => {
                chains.push(0);
                false
            }
            Token::RParen | Token::RBracket => {
                if chains.len() > 1 {
                    chains.pop();
                }
                false
            }
            Token::Comma | Token::SemiColon => {
                if let Some(c) = chains.last_mut() {
                    *c = 0;
                }
                false
            }
            _ => false,
        };
        if is_operator && let Some(c) = chains.last_mut() {
            *c += 1;
            if *c > MAX_OPERATOR_CHAIN {
                return Err(ParseError {
                    message: format!(
                        "this expression chains more than {MAX_OPERATOR_CHAIN} operators; split it up (e.g. with IN (...) or a WITH subquery)"
                    ),
                    line: t.span.start.line,
                    column: t.span.start.column,
                });
            }
        }
    }
    Ok(())
}

/// The position just after the last non-blank character (where "unexpected end" points).
fn end_of_text(sql: &str) -> Location {
    let trimmed = sql.trim_end();
    let line = trimmed.lines().count().max(1) as u64;
    let column = trimmed
        .lines()
        .last()
        .map(|l| l.chars().count() as u64)
        .unwrap_or(0)
        + 1;
    Location { line, column }
}

/// Beam SQL (Calcite) spells a windowed input `TUMBLE(TABLE src, ...)`; Dataflow SQL
/// (and sqlparser's BigQuery dialect) wants `TUMBLE((SELECT * FROM src), ...)`.
/// Rewrites the former into the latter at the token level: the inserted tokens take the
/// span of `TABLE` and of the name's last token, so every position stays exact.
fn rewrite_calcite_table_arguments(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let rewrites = calcite_table_arguments(&tokens);
    if rewrites.is_empty() {
        return tokens; // the common case: no copy
    }
    let mut out = Vec::with_capacity(tokens.len() + 6 * rewrites.len());
    let mut pending = rewrites.into_iter().peekable();
    for (i, token) in tokens.into_iter().enumerate() {
        match pending.peek() {
            Some(&(table, _)) if i == table => {
                for t in [
                    Token::LParen,
                    Token::make_keyword("SELECT"),
                    Token::Mul,
                    Token::make_keyword("FROM"),
                    Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
                ] {
                    out.push(TokenWithSpan::new(t, token.span));
                }
            }
            Some(&(_, last)) if i == last => {
                let span = token.span;
                out.push(token);
                out.push(TokenWithSpan::new(Token::RParen, span));
                pending.next();
            }
            _ => out.push(token),
        }
    }
    out
}

/// The `(TABLE, last token of the name)` index pairs of every `TUMBLE|HOP|SESSION (
/// TABLE name` in `tokens`.
fn calcite_table_arguments(tokens: &[TokenWithSpan]) -> Vec<(usize, usize)> {
    let significant = |t: &TokenWithSpan| !matches!(t.token, Token::Whitespace(_));
    let next = |from: usize| (from..tokens.len()).find(|&j| significant(&tokens[j]));
    let mut found = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let Token::Word(w) = &t.token else { continue };
        if !["TUMBLE", "HOP", "SESSION"]
            .iter()
            .any(|n| w.value.eq_ignore_ascii_case(n))
        {
            continue;
        }
        let Some(lparen) = next(i + 1).filter(|&j| tokens[j].token == Token::LParen) else {
            continue;
        };
        let Some(table) = next(lparen + 1)
            .filter(|&j| matches!(&tokens[j].token, Token::Word(w) if w.keyword == Keyword::TABLE))
        else {
            continue;
        };
        // The name: words and periods up to the first other significant token.
        let mut last = table;
        let mut j = next(table + 1);
        while let Some(k) = j {
            match &tokens[k].token {
                Token::Word(_) | Token::Period => {
                    last = k;
                    j = next(k + 1);
                }
                _ => break,
            }
        }
        if last != table {
            found.push((table, last));
        }
    }
    found
}

/// Splits sqlparser's message ("... at Line: 3, Column: 7") into message and position.
fn from_parser_error(error: ParserError, fallback: Location) -> ParseError {
    let text = match error {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => {
            m.replace("found: EOF", "found the end of the query")
        }
        ParserError::RecursionLimitExceeded => {
            return ParseError {
                message: format!("the query nests deeper than {RECURSION_LIMIT} levels"),
                line: fallback.line,
                column: fallback.column,
            };
        }
    };
    if let Some((message, position)) = text.rsplit_once(" at Line: ")
        && let Some((line, column)) = position.split_once(", Column: ")
        && let (Ok(line), Ok(column)) = (line.trim().parse(), column.trim().parse())
    {
        return ParseError {
            message: message.to_string(),
            line,
            column,
        };
    }
    ParseError {
        message: text,
        line: fallback.line,
        column: fallback.column,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_query_parses() {
        let statements = parse(crate::reference::QUERY).expect("parses");
        assert_eq!(statements.len(), 1);
    }

    #[test]
    fn syntax_error_has_position() {
        let err = parse("SELECT a\n  FROM t WHERE )").expect_err("must fail");
        assert_eq!((err.line, err.column), (2, 16), "{err}");
    }

    #[test]
    fn calcite_table_argument_is_accepted_with_exact_positions() {
        let calcite = "SELECT window_start FROM TUMBLE(TABLE pubsub.topic.`p`.orders, DESCRIPTOR(event_timestamp), INTERVAL '1' MINUTE)\nGROUP BY )";
        let err = parse(calcite).expect_err("the trailing ) is an error");
        assert_eq!((err.line, err.column), (2, 10), "{err}");
        let ok = "SELECT window_start FROM TUMBLE(TABLE pubsub.topic.`p`.orders, DESCRIPTOR(event_timestamp), INTERVAL '1' MINUTE) GROUP BY 1";
        let statements = parse(ok).expect("parses");
        let text = statements[0].to_string();
        assert!(
            text.contains("TUMBLE((SELECT * FROM pubsub.topic.`p`.orders)"),
            "{text}"
        );
    }

    #[test]
    fn long_operator_chains_are_an_error_not_a_crash() {
        let sql = format!("SELECT {}1 FROM t", "1 + ".repeat(200_000));
        let err = parse(&sql).expect_err("must fail");
        assert!(err.message.contains("chains more than"), "{err}");
        assert_eq!(err.line, 1);
        // Long but flat lists are fine.
        let list: Vec<String> = (0..50_000).map(|i| i.to_string()).collect();
        parse(&format!("SELECT a FROM t WHERE a IN ({})", list.join(", ")))
            .expect("a long IN list parses");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let sql = format!("SELECT {}1{}", "(".repeat(10_000), ")".repeat(10_000));
        let err = parse(&sql).expect_err("must fail");
        assert!(err.message.contains("nests deeper"), "{err}");
    }
}
