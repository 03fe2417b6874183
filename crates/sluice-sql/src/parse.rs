//! Parsing SQL text into sqlparser's AST with the BigQuery dialect.

use sqlparser::ast::Statement;
use sqlparser::dialect::BigQueryDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Tokenizer};

/// How deep expressions may nest before parsing stops with an error instead of
/// exhausting the stack (native threads and wasm alike).
pub const RECURSION_LIMIT: usize = 64;

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
    let dialect = BigQueryDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| ParseError {
            message: e.message,
            line: e.location.line,
            column: e.location.column,
        })?;
    let mut parser = Parser::new(&dialect)
        .with_recursion_limit(RECURSION_LIMIT)
        .with_tokens_with_locations(tokens);
    parser.parse_statements().map_err(|e| {
        let location = parser.peek_token().span.start;
        from_parser_error(e, location)
    })
}

/// Splits sqlparser's message ("... at Line: 3, Column: 7") into message and position.
fn from_parser_error(error: ParserError, fallback: Location) -> ParseError {
    let text = match error {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
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
    fn deep_nesting_is_an_error_not_a_crash() {
        let sql = format!("SELECT {}1{}", "(".repeat(10_000), ")".repeat(10_000));
        let err = parse(&sql).expect_err("must fail");
        assert!(err.message.contains("nests deeper"), "{err}");
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod wasm_tests {
    use wasm_bindgen_test::*;
    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn reference_query_parses_in_the_browser() {
        let statements = super::parse(crate::reference::QUERY).expect("parses");
        assert_eq!(statements.len(), 1);
    }

    #[wasm_bindgen_test]
    fn deep_nesting_is_an_error_in_the_browser() {
        let sql = format!("SELECT {}1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(super::parse(&sql).is_err());
    }
}
