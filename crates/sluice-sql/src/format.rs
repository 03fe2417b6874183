//! Formatting: lays a query out one clause a line, as the BigQuery console's
//! "Format query" does (the clause keyword on its own line, its contents indented
//! below it, one select item a line). Works on tokens, so every token and comment
//! is kept exactly as written (literals and quoted names byte for byte); only
//! whitespace and the case of SQL keywords change. Text that does not tokenize is
//! returned unchanged.

use sqlparser::dialect::BigQueryDialect;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace};

use crate::complete::{byte_at, line_starts};

/// Keywords that start a clause: a line of their own, contents indented below.
const CLAUSES: [&str; 13] = [
    "SELECT", "FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "WITH", "UNION", "ON", "USING",
    "WINDOW", "QUALIFY",
];

/// Words that start a join phrase (`LEFT OUTER JOIN`).
const JOINS: [&str; 6] = ["JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS"];

/// Words printed in upper case (when not part of a dotted name).
const KEYWORDS: [&str; 47] = [
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "BY",
    "HAVING",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "WITH",
    "AS",
    "JOIN",
    "INNER",
    "LEFT",
    "RIGHT",
    "FULL",
    "OUTER",
    "CROSS",
    "ON",
    "USING",
    "UNION",
    "ALL",
    "DISTINCT",
    "AND",
    "OR",
    "NOT",
    "IN",
    "IS",
    "NULL",
    "TRUE",
    "FALSE",
    "LIKE",
    "BETWEEN",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "CAST",
    "SAFE_CAST",
    "INTERVAL",
    "ASC",
    "DESC",
    "EXISTS",
    "TABLE",
    "DESCRIPTOR",
    "QUALIFY",
];

/// Words after which `(` takes a space (they are not function names).
const SPACED_BEFORE_PAREN: [&str; 16] = [
    "AS", "IN", "AND", "OR", "NOT", "FROM", "JOIN", "ON", "USING", "WHERE", "SELECT", "EXISTS",
    "THEN", "ELSE", "WHEN", "HAVING",
];

fn is_word(t: &Token, k: &str) -> bool {
    matches!(t, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(k))
}

fn unquoted(t: &Token) -> Option<String> {
    match t {
        Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
        _ => None,
    }
}

/// One open parenthesis: a subquery (with the indent of its clauses) or not.
#[derive(Clone, Copy)]
struct Paren {
    query: Option<usize>,
}

struct Out {
    text: String,
    line_start: bool,
}

impl Out {
    fn newline(&mut self, indent: usize) {
        while self.text.ends_with(' ') {
            self.text.pop();
        }
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        self.text.push_str(&"  ".repeat(indent));
        self.line_start = true;
    }

    fn push(&mut self, s: &str, space: bool) {
        if space && !self.line_start && !self.text.is_empty() {
            self.text.push(' ');
        }
        self.text.push_str(s);
        self.line_start = false;
    }
}

/// `sql` laid out one clause a line; unchanged when it does not tokenize.
pub fn format(sql: &str) -> String {
    let dialect = BigQueryDialect {};
    let Ok(all) = Tokenizer::new(&dialect, sql).tokenize_with_location() else {
        return sql.to_string();
    };
    let starts = line_starts(sql);
    let text_of = |t: &TokenWithSpan| {
        let a = byte_at(sql, &starts, t.span.start.line, t.span.start.column);
        let b = byte_at(sql, &starts, t.span.end.line, t.span.end.column);
        sql.get(a..b.max(a)).unwrap_or_default().to_string()
    };
    // Significant tokens and comments; plain whitespace is re-made.
    let tokens: Vec<(Token, String)> = all
        .iter()
        .filter(|t| {
            !matches!(
                t.token,
                Token::Whitespace(Whitespace::Space | Whitespace::Newline | Whitespace::Tab)
            )
        })
        .filter(|t| t.token != Token::EOF)
        .map(|t| (t.token.clone(), text_of(t)))
        .collect();
    let mut out = Out {
        text: String::new(),
        line_start: true,
    };
    // The indent of the current query's clause keywords.
    let mut base = 0usize;
    let mut parens: Vec<Paren> = Vec::new();
    // Parenthesis depth within the current query.
    let mut depth = 0usize;
    let mut depths: Vec<usize> = Vec::new();
    let mut in_select = false;
    let mut between = false;
    let mut prev: Option<&Token> = None;
    for (i, (token, raw)) in tokens.iter().enumerate() {
        let next = tokens.get(i + 1).map(|(t, _)| t);
        let after_period = matches!(prev, Some(Token::Period));
        let before_period = matches!(next, Some(Token::Period));
        let word = unquoted(token).filter(|_| !after_period && !before_period);
        let at_top = depth == 0;
        match token {
            Token::Whitespace(Whitespace::SingleLineComment { .. }) => {
                out.push(raw.trim_end(), true);
                out.newline(base + 1);
                prev = None;
                continue;
            }
            Token::Whitespace(_) => {
                out.push(raw.trim_end(), true);
                continue;
            }
            _ => {}
        }
        let clause = word.as_deref().filter(|w| {
            at_top
                && (CLAUSES.contains(w)
                    || (JOINS.contains(w)
                        && !prev.is_some_and(|p| {
                            JOINS.iter().any(|j| is_word(p, j)) || is_word(p, "OUTER")
                        })))
        });
        if let Some(w) = clause {
            // `GROUP BY`, `ORDER BY`, `UNION ALL`, `LEFT OUTER JOIN` stay on one line.
            out.newline(base);
            out.push(w, false);
            in_select = w == "SELECT";
            between = false;
            let continues = next.is_some_and(|n| {
                is_word(n, "BY")
                    || is_word(n, "ALL")
                    || is_word(n, "DISTINCT")
                    || is_word(n, "OUTER")
                    || JOINS.iter().any(|j| is_word(n, j) && w != "JOIN")
            });
            if !continues {
                out.newline(base + 1);
            }
            prev = Some(token);
            continue;
        }
        if let Some(w) = word.as_deref()
            && prev.is_some_and(|p| {
                [
                    "GROUP", "ORDER", "UNION", "SELECT", "OUTER", "INNER", "LEFT", "RIGHT", "FULL",
                    "CROSS",
                ]
                .iter()
                .any(|k| is_word(p, k))
            })
            && (w == "BY" || w == "ALL" || w == "DISTINCT" || w == "OUTER" || w == "JOIN")
            && at_top
        {
            out.push(w, true);
            if !next.is_some_and(|n| is_word(n, "JOIN") || is_word(n, "OUTER")) {
                out.newline(base + 1);
            }
            prev = Some(token);
            continue;
        }
        match token {
            Token::Comma if at_top => {
                out.push(",", false);
                out.newline(base + 1);
            }
            Token::LParen => {
                let function_call = match prev {
                    Some(Token::Word(w)) => {
                        w.quote_style.is_some()
                            || !SPACED_BEFORE_PAREN
                                .iter()
                                .any(|k| w.value.eq_ignore_ascii_case(k))
                    }
                    Some(Token::RBracket | Token::RParen) => false,
                    _ => false,
                };
                let space =
                    !function_call && !matches!(prev, Some(Token::LParen | Token::Period) | None);
                out.push("(", space);
                let subquery = next.is_some_and(|n| is_word(n, "SELECT") || is_word(n, "WITH"));
                if subquery {
                    depths.push(depth);
                    parens.push(Paren { query: Some(base) });
                    // The subquery's clauses line up with the line the `(` is on.
                    base = current_indent(&out.text);
                    depth = 0;
                } else {
                    parens.push(Paren { query: None });
                    depth += 1;
                }
            }
            Token::RParen => {
                match parens.pop() {
                    Some(Paren { query: Some(outer) }) => {
                        base = outer;
                        depth = depths.pop().unwrap_or(0);
                        in_select = false;
                    }
                    _ => depth = depth.saturating_sub(1),
                }
                out.push(")", false);
            }
            Token::Period => out.push(".", false),
            Token::Comma => out.push(",", false),
            Token::LBracket => out.push("[", false),
            Token::RBracket => out.push("]", false),
            Token::SemiColon => {
                out.push(";", false);
                out.newline(0);
                base = 0;
                depth = 0;
                parens.clear();
            }
            _ => {
                let space = !matches!(prev, Some(Token::LParen | Token::Period | Token::LBracket))
                    && !is_unary_after(prev, &tokens, i);
                let text = match &word {
                    Some(w) if KEYWORDS.contains(&w.as_str()) => w.clone(),
                    _ => raw.clone(),
                };
                let logical = word.as_deref().is_some_and(|w| w == "AND" || w == "OR");
                if logical && at_top && !in_select && !between {
                    out.newline(base + 1);
                }
                if word.as_deref() == Some("AND") && between {
                    between = false;
                }
                if word.as_deref() == Some("BETWEEN") {
                    between = true;
                }
                out.push(&text, space);
            }
        }
        prev = Some(token);
    }
    let mut text = out.text.trim_end().to_string();
    if sql.ends_with('\n') {
        text.push('\n');
    }
    // The layout must read back as the same tokens (e.g. `- -` must not become a
    // `--` comment); where it would not, the text stays as written.
    if significant(&text) == significant(sql) {
        text
    } else {
        sql.to_string()
    }
}

/// The tokens that carry meaning: all but whitespace, with keywords in upper case.
fn significant(sql: &str) -> Option<Vec<String>> {
    let tokens = Tokenizer::new(&BigQueryDialect {}, sql).tokenize().ok()?;
    Some(
        tokens
            .into_iter()
            .filter(|t| {
                !matches!(
                    t,
                    Token::Whitespace(Whitespace::Space | Whitespace::Newline | Whitespace::Tab)
                )
            })
            .map(|t| match &t {
                Token::Word(w) if w.quote_style.is_none() => w.value.to_ascii_uppercase(),
                Token::Whitespace(Whitespace::SingleLineComment { comment, prefix }) => {
                    format!("{prefix}{}", comment.trim_end())
                }
                other => other.to_string(),
            })
            .collect(),
    )
}

/// Whether the token before `i` was a unary minus or plus (`-1`, `(-x)`), so no
/// space follows it.
fn is_unary_after(prev: Option<&Token>, tokens: &[(Token, String)], i: usize) -> bool {
    if !matches!(prev, Some(Token::Minus | Token::Plus)) {
        return false;
    }
    // `- -x` keeps its space: `--` would start a comment.
    if matches!(
        tokens.get(i).map(|(t, _)| t),
        Some(Token::Minus | Token::Plus)
    ) {
        return false;
    }
    match i.checked_sub(2).and_then(|j| tokens.get(j)).map(|(t, _)| t) {
        None => true,
        Some(Token::Word(w)) => {
            w.quote_style.is_none()
                && w.keyword != sqlparser::keywords::Keyword::NoKeyword
                && KEYWORDS.iter().any(|k| w.value.eq_ignore_ascii_case(k))
        }
        Some(
            Token::LParen
            | Token::Comma
            | Token::Eq
            | Token::Neq
            | Token::Lt
            | Token::Gt
            | Token::LtEq
            | Token::GtEq
            | Token::Plus
            | Token::Minus
            | Token::Mul
            | Token::Div,
        ) => true,
        _ => false,
    }
}

fn current_indent(text: &str) -> usize {
    let line = text.rsplit('\n').next().unwrap_or_default();
    (line.len() - line.trim_start_matches(' ').len()) / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_query_keeps_its_console_layout() {
        let q = crate::reference::QUERY;
        let squashed = q.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(format(&squashed), q.trim_end());
        assert_eq!(format(q), q);
    }

    #[test]
    fn formatting_keeps_every_token_and_is_idempotent() {
        let cases = [
            "select a, b+1 as c, count(*) from t where x between 1 and 2 and y = 'it''s' or z in (1, 2) group by 1 order by a desc limit 5",
            "SELECT -1, a - -2, f(-x) FROM t -- a comment\nWHERE /* inline */ b",
            "with a as (select 1 as x), b as (select x from a) select * from b left outer join a using (x) cross join c",
            "SELECT s.`weird name`, TIMESTAMP_TRUNC(t, HOUR) FROM (SELECT * FROM x) AS s; SELECT 2",
            "SELECT window_start, COUNT(*) FROM TABLE(TUMBLE((SELECT * FROM pubsub.topic.`p`.orders), DESCRIPTOR(event_timestamp), \"INTERVAL 1 MINUTE\")) GROUP BY window_start",
            "SELECT CASE WHEN a THEN 'x' ELSE \"y\" END, arr[OFFSET(0)], STRUCT(1 AS a).a FROM t",
        ];
        for sql in cases {
            let once = format(sql);
            // Laid out anew (not the fallback to the text as written), same tokens.
            assert_ne!(once, sql);
            assert!(once.lines().count() > 3, "{once}");
            assert_eq!(significant(&once), significant(sql), "{sql}\n---\n{once}");
            assert_eq!(format(&once), once, "not idempotent:\n{once}");
        }
    }

    #[test]
    fn every_conformance_query_formats_to_the_same_analysis() {
        let catalog = crate::Catalog::reference();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
        let mut n = 0;
        let mut queries = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("the corpus") {
            let path = entry.expect("an entry").path();
            let text = std::fs::read_to_string(&path).expect("readable");
            // Cases are `=== name`, the SQL, `----`, the expected diagnostics.
            for case in text.split("\n=== ").skip(1) {
                let body = case.split_once('\n').map_or("", |(_, b)| b);
                let sql = body.split("\n----").next().unwrap_or_default();
                queries.push((path.clone(), sql.to_string()));
            }
        }
        for (path, sql) in queries {
            let formatted = format(&sql);
            let before = crate::analyze(&sql, &catalog);
            let after = crate::analyze(&formatted, &catalog);
            assert_eq!(
                before.plan.as_ref().map(|p| p.explain()),
                after.plan.as_ref().map(|p| p.explain()),
                "{}:\n{formatted}",
                path.display()
            );
            let codes = |a: &crate::Analysis| {
                a.diagnostics
                    .iter()
                    .map(|d| d.code.to_string())
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                codes(&before),
                codes(&after),
                "{}:\n{formatted}",
                path.display()
            );
            n += 1;
        }
        assert!(n > 100, "only {n} conformance queries");
    }

    #[test]
    fn signs_never_merge_into_a_comment() {
        let once = format("SELECT - -1, 2 - -3, + -4 FROM t");
        assert!(once.contains("- -1") && once.contains("2 - -3"), "{once}");
        assert!(!once.contains("--"), "{once}");
        assert!(
            once.starts_with("SELECT\n  - -1,\n"),
            "laid out, not left as written: {once}"
        );
    }

    #[test]
    fn text_that_does_not_tokenize_is_left_alone() {
        assert_eq!(format("SELECT 'unterminated"), "SELECT 'unterminated");
        assert_eq!(format(""), "");
    }
}
