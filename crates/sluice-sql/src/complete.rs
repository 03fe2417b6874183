//! Autocomplete: what may be typed at a cursor, from the catalog and the query
//! itself — source names after `FROM`/`JOIN` (or once `pubsub.`/`bigquery.` is
//! typed), the columns of a relation after `alias.` (and STRUCT fields after
//! `alias.column.`), and otherwise the columns, aliases and CTEs in the query,
//! functions with their signatures, and keywords.
//!
//! Works on text that does not parse (it is being typed): scopes come from the
//! tokens, and a CTE's or subquery's columns from analyzing just that part.

use sqlparser::dialect::BigQueryDialect;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use crate::catalog::{Catalog, Lookup};
use crate::types::{DataType, Field};

/// What kind of thing a completion inserts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A topic or table name.
    Source,
    /// A column or STRUCT field.
    Column,
    /// A table alias or CTE name.
    Relation,
    /// A function.
    Function,
    /// A keyword.
    Keyword,
}

impl Kind {
    /// The name CodeMirror gives this kind (it picks the icon).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Source => "namespace",
            Kind::Column => "property",
            Kind::Relation => "variable",
            Kind::Function => "function",
            Kind::Keyword => "keyword",
        }
    }
}

/// One choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// What is shown and matched against the typed text.
    pub label: String,
    /// What it is.
    pub kind: Kind,
    /// A type, a signature, or where it comes from.
    pub detail: String,
    /// What is inserted, when not the label (functions insert `NAME(`).
    pub apply: Option<String>,
}

/// The choices at a cursor and where the text they replace starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completions {
    /// Byte offset where the replaced text starts (the cursor ends it).
    pub from: usize,
    /// The choices, most specific first.
    pub options: Vec<Completion>,
}

/// Keywords offered in expression and clause position.
const KEYWORDS: [&str; 34] = [
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP BY",
    "HAVING",
    "ORDER BY",
    "LIMIT",
    "WITH",
    "AS",
    "JOIN",
    "INNER JOIN",
    "LEFT JOIN",
    "CROSS JOIN",
    "ON",
    "USING",
    "AND",
    "OR",
    "NOT",
    "IN",
    "IS NULL",
    "BETWEEN",
    "LIKE",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "DISTINCT",
    "UNION ALL",
    "CAST",
    "TUMBLE",
    "HOP",
    "SESSION",
    "DESCRIPTOR",
];

/// Aggregates with their usage.
const AGGREGATES: [(&str, &str); 9] = [
    ("COUNT", "(* | [DISTINCT] expr) -> INT64"),
    ("SUM", "(number) -> number"),
    ("AVG", "(number) -> FLOAT64"),
    ("MIN", "(expr) -> same type"),
    ("MAX", "(expr) -> same type"),
    ("ANY_VALUE", "(expr) -> same type"),
    ("COUNTIF", "(BOOL) -> INT64"),
    ("LOGICAL_AND", "(BOOL) -> BOOL"),
    ("LOGICAL_OR", "(BOOL) -> BOOL"),
];

/// Where a relation's rows come from.
#[derive(Debug, Clone)]
enum Origin {
    /// A catalog source, by its SQL name.
    Source(String),
    /// A CTE, by name.
    Cte(String),
    /// A subquery: byte range of its body.
    Subquery(usize, usize),
}

#[derive(Debug, Clone)]
struct Relation {
    alias: String,
    origin: Origin,
    /// Byte range of the query it belongs to (inside its parentheses, or all text).
    scope: (usize, usize),
}

/// A CTE: name, and the byte range from `WITH` to the end of its body's `)`.
#[derive(Debug, Clone)]
struct Cte {
    name: String,
    with_clause: (usize, usize),
}

/// The choices at byte offset `cursor` of `sql`.
pub fn complete(sql: &str, cursor: usize, catalog: &Catalog) -> Completions {
    let cursor = floor_char_boundary(sql, cursor.min(sql.len()));
    let run_start = path_start(sql, cursor);
    let run = &sql[run_start..cursor];
    let parts = split_path(run);
    let (mut relations, ctes) = scopes(sql, run_start, cursor, catalog);
    // The relations of the queries around the cursor, innermost first.
    relations.retain(|r| r.scope.0 <= run_start && cursor <= r.scope.1);
    relations.sort_by_key(|r| r.scope.1 - r.scope.0);
    let before = previous_word(&sql[..run_start]).to_ascii_uppercase();
    let lowered = run.replace('`', "").to_ascii_lowercase();
    let source_mode = before == "FROM"
        || before == "JOIN"
        || (parts.len() >= 2
            && ["pubsub", "bigquery"].contains(&parts[0].name.to_ascii_lowercase().as_str()))
        || (parts.len() == 1
            && !lowered.is_empty()
            && ("pubsub".starts_with(&lowered) || "bigquery".starts_with(&lowered))
            && before != "SELECT");
    let mut options = Vec::new();
    if source_mode {
        for s in &catalog.sources {
            let kind = if s.is_bounded() {
                "BigQuery table"
            } else {
                "Pub/Sub topic"
            };
            options.push(Completion {
                label: s.sql_name(),
                kind: Kind::Source,
                detail: kind.into(),
                apply: None,
            });
        }
        if parts.len() <= 1 {
            for c in &ctes {
                options.push(Completion {
                    label: c.name.clone(),
                    kind: Kind::Relation,
                    detail: "CTE".into(),
                    apply: None,
                });
            }
        }
        if before == "FROM"
            || before == "JOIN"
            || parts.len() >= 2
            || options.iter().any(|o| {
                o.label
                    .to_ascii_lowercase()
                    .replace('`', "")
                    .starts_with(&lowered)
            })
        {
            return Completions {
                from: run_start,
                options,
            };
        }
    }
    if parts.len() >= 2 {
        // `alias.col` or `alias.struct_col.field`: complete the last part.
        let last_start = cursor - parts.last().map_or(0, |p| p.raw_len);
        let names: Vec<&str> = parts[..parts.len() - 1]
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        let fields = qualified_fields(&names, &relations, &ctes, sql, catalog);
        for f in fields {
            options.push(column(&f, names.join(".")));
        }
        return Completions {
            from: last_start,
            options,
        };
    }
    let mut seen = std::collections::HashSet::new();
    for r in &relations {
        for f in relation_fields(r, &ctes, sql, catalog) {
            if seen.insert(f.name.to_ascii_lowercase()) {
                options.push(column(&f, r.alias.clone()));
            }
        }
    }
    for r in &relations {
        if seen.insert(r.alias.to_ascii_lowercase()) {
            options.push(Completion {
                label: r.alias.clone(),
                kind: Kind::Relation,
                detail: match &r.origin {
                    Origin::Source(s) => s.clone(),
                    Origin::Cte(c) => format!("CTE {c}"),
                    Origin::Subquery(..) => "subquery".into(),
                },
                apply: None,
            });
        }
    }
    for c in &ctes {
        if seen.insert(c.name.to_ascii_lowercase()) {
            options.push(Completion {
                label: c.name.clone(),
                kind: Kind::Relation,
                detail: "CTE".into(),
                apply: None,
            });
        }
    }
    for (name, usage) in crate::functions::catalog().into_iter().chain(AGGREGATES) {
        options.push(Completion {
            label: name.to_string(),
            kind: Kind::Function,
            detail: format!("{name}{usage}"),
            apply: Some(format!("{name}(")),
        });
    }
    for k in KEYWORDS {
        options.push(Completion {
            label: k.to_string(),
            kind: Kind::Keyword,
            detail: String::new(),
            apply: None,
        });
    }
    Completions {
        from: run_start,
        options,
    }
}

fn column(f: &Field, from: String) -> Completion {
    Completion {
        label: f.name.clone(),
        kind: Kind::Column,
        detail: format!("{} · {from}", f.data_type),
        apply: None,
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Where the dotted name being typed at `cursor` starts: scans the cursor's line
/// from its start, skipping strings and comments, keeping backtick-quoted parts.
fn path_start(sql: &str, cursor: usize) -> usize {
    let line_start = sql[..cursor].rfind('\n').map_or(0, |i| i + 1);
    let line = &sql[line_start..cursor];
    let mut start = 0;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '`' => {
                // A quoted part: to its closing backtick, or to the cursor.
                for (_, d) in chars.by_ref() {
                    if d == '`' {
                        break;
                    }
                }
            }
            '\'' | '"' => {
                for (_, d) in chars.by_ref() {
                    if d == c {
                        break;
                    }
                }
                start = chars.peek().map_or(line.len(), |(j, _)| *j);
            }
            '-' if chars.peek().is_some_and(|(_, d)| *d == '-') => return cursor,
            c if c.is_alphanumeric() || c == '_' || c == '.' => {}
            _ => start = i + c.len_utf8(),
        }
    }
    line_start + start
}

/// One part of a dotted name: the name without backticks and its length as typed.
#[derive(Debug, Clone, PartialEq)]
struct Part {
    name: String,
    raw_len: usize,
}

fn split_path(run: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut raw = 0;
    let mut quoted = false;
    for c in run.chars() {
        match c {
            '`' => {
                quoted = !quoted;
                raw += 1;
            }
            '.' if !quoted => {
                parts.push(Part {
                    name: std::mem::take(&mut current),
                    raw_len: raw,
                });
                raw = 0;
            }
            c => {
                current.push(c);
                raw += c.len_utf8();
            }
        }
    }
    if !run.is_empty() {
        parts.push(Part {
            name: current,
            raw_len: raw,
        });
    }
    parts
}

fn previous_word(text: &str) -> &str {
    let trimmed = text.trim_end();
    let start = trimmed
        .char_indices()
        .rfind(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &trimmed[start..]
}

/// Byte offsets of each line's start, for token locations.
pub(crate) fn line_starts(sql: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(sql.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

pub(crate) fn byte_at(sql: &str, starts: &[usize], line: u64, column: u64) -> usize {
    let Some(&start) = starts.get((line as usize).saturating_sub(1)) else {
        return sql.len();
    };
    sql[start..]
        .char_indices()
        .nth((column as usize).saturating_sub(1))
        .map_or(sql.len(), |(i, _)| start + i)
}

/// The relations (`FROM`/`JOIN` items with their aliases) and CTEs of `sql`,
/// tokenized without the text being typed.
fn scopes(
    sql: &str,
    run_start: usize,
    cursor: usize,
    catalog: &Catalog,
) -> (Vec<Relation>, Vec<Cte>) {
    let dialect = BigQueryDialect {};
    let text = format!("{}{}", &sql[..run_start], &sql[cursor..]);
    let Ok(tokens) = Tokenizer::new(&dialect, &text).tokenize_with_location() else {
        return (Vec::new(), Vec::new());
    };
    let tokens: Vec<TokenWithSpan> = tokens
        .into_iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .collect();
    let starts = line_starts(&text);
    let at = |t: &TokenWithSpan| byte_at(&text, &starts, t.span.start.line, t.span.start.column);
    // Offsets in `text` after the cursor map back by the removed run's length.
    let removed = cursor - run_start;
    let back = |i: usize| if i >= run_start { i + removed } else { i };
    fn word(t: &Token) -> Option<&sqlparser::tokenizer::Word> {
        match t {
            Token::Word(w) => Some(w),
            _ => None,
        }
    }
    let is_kw = |t: &Token, k: &str| {
        word(t).is_some_and(|w| w.quote_style.is_none() && w.value.eq_ignore_ascii_case(k))
    };
    let matching = |open: usize| -> Option<usize> {
        let mut depth = 0usize;
        for (j, t) in tokens.iter().enumerate().skip(open) {
            match t.token {
                Token::LParen => depth += 1,
                Token::RParen => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some(j);
                    }
                }
                _ => {}
            }
        }
        None
    };
    let mut ctes = Vec::new();
    let mut relations = Vec::new();
    let mut with_at = None;
    // Token indices of the open parentheses around the current token.
    let mut open: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i].token;
        match t {
            Token::LParen => open.push(i),
            Token::RParen => {
                open.pop();
            }
            _ => {}
        }
        if is_kw(t, "WITH") {
            with_at = Some(at(&tokens[i]));
        }
        // `name AS (` after WITH or a comma at the WITH's level: a CTE.
        if let (Some(w), Some(start)) = (word(t), with_at)
            && tokens.get(i + 1).is_some_and(|n| is_kw(&n.token, "AS"))
            && tokens.get(i + 2).is_some_and(|n| n.token == Token::LParen)
            && i > 0
            && (is_kw(&tokens[i - 1].token, "WITH") || tokens[i - 1].token == Token::Comma)
            && let Some(close) = matching(i + 2)
        {
            let end = at(&tokens[close]) + 1;
            ctes.push(Cte {
                name: w.value.clone(),
                with_clause: (back(start), back(end)),
            });
        }
        if is_kw(t, "FROM") || is_kw(t, "JOIN") {
            let mut j = i + 1;
            let origin = if tokens.get(j).is_some_and(|n| n.token == Token::LParen) {
                match matching(j) {
                    Some(close) if close > j + 1 => {
                        let body = (back(at(&tokens[j + 1])), back(at(&tokens[close])));
                        j = close + 1;
                        Some(Origin::Subquery(body.0, body.1))
                    }
                    _ => None,
                }
            } else {
                let mut parts = Vec::new();
                while let Some(w) = tokens.get(j).and_then(|n| word(&n.token)) {
                    parts.push(w.value.clone());
                    j += 1;
                    if tokens.get(j).is_some_and(|n| n.token == Token::Period) {
                        j += 1;
                    } else {
                        break;
                    }
                }
                if parts.is_empty() || (parts.len() == 1 && is_kw(&tokens[i + 1].token, "TABLE")) {
                    None
                } else if let Lookup::Found(s) = catalog.lookup(&parts) {
                    Some(Origin::Source(s.sql_name()))
                } else if parts.len() == 1 {
                    Some(Origin::Cte(parts[0].clone()))
                } else {
                    None
                }
            };
            if let Some(origin) = origin {
                if tokens.get(j).is_some_and(|n| is_kw(&n.token, "AS")) {
                    j += 1;
                }
                let alias = match tokens.get(j).and_then(|n| word(&n.token)) {
                    Some(w)
                        if w.quote_style.is_some()
                            || w.keyword == sqlparser::keywords::Keyword::NoKeyword =>
                    {
                        Some(w.value.clone())
                    }
                    _ => None,
                };
                let alias = alias.unwrap_or_else(|| match &origin {
                    Origin::Source(s) => s.rsplit('.').next().unwrap_or_default().to_string(),
                    Origin::Cte(c) => c.clone(),
                    Origin::Subquery(..) => String::new(),
                });
                let scope = match open.last() {
                    Some(&o) => (
                        back(at(&tokens[o])),
                        matching(o).map_or(sql.len(), |c| back(at(&tokens[c]))),
                    ),
                    None => (0, sql.len()),
                };
                if !alias.is_empty() {
                    relations.push(Relation {
                        alias,
                        origin,
                        scope,
                    });
                }
            }
        }
        i += 1;
    }
    (relations, ctes)
}

/// The columns of a query text, by analyzing it.
fn query_columns(text: &str, catalog: &Catalog) -> Vec<Field> {
    crate::analyze(text, catalog)
        .plan
        .map(|p| {
            p.columns()
                .iter()
                .map(|c| Field::new(&c.name, c.data_type.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn relation_fields(r: &Relation, ctes: &[Cte], sql: &str, catalog: &Catalog) -> Vec<Field> {
    match &r.origin {
        Origin::Source(name) => catalog
            .sources
            .iter()
            .find(|s| s.sql_name() == *name)
            .map(|s| s.schema.clone())
            .unwrap_or_default(),
        Origin::Cte(name) => match ctes.iter().find(|c| c.name.eq_ignore_ascii_case(name)) {
            Some(c) => {
                let with = sql
                    .get(c.with_clause.0..c.with_clause.1)
                    .unwrap_or_default();
                query_columns(&format!("{with}\nSELECT * FROM {}", c.name), catalog)
            }
            None => Vec::new(),
        },
        Origin::Subquery(a, b) => query_columns(sql.get(*a..*b).unwrap_or_default(), catalog),
    }
}

/// The fields after `names` (an alias, then STRUCT columns), or of a column of any
/// relation when the first name is not an alias.
fn qualified_fields(
    names: &[&str],
    relations: &[Relation],
    ctes: &[Cte],
    sql: &str,
    catalog: &Catalog,
) -> Vec<Field> {
    let Some((first, rest)) = names.split_first() else {
        return Vec::new();
    };
    let mut fields = match relations
        .iter()
        .find(|r| r.alias.eq_ignore_ascii_case(first))
    {
        Some(r) => relation_fields(r, ctes, sql, catalog),
        None => {
            // `column.field`: a STRUCT column of any relation.
            let all: Vec<Field> = relations
                .iter()
                .flat_map(|r| relation_fields(r, ctes, sql, catalog))
                .collect();
            match all.iter().find(|f| f.name.eq_ignore_ascii_case(first)) {
                Some(f) => struct_fields(&f.data_type),
                None => return Vec::new(),
            }
        }
    };
    for name in rest {
        fields = match fields.iter().find(|f| f.name.eq_ignore_ascii_case(name)) {
            Some(f) => struct_fields(&f.data_type),
            None => return Vec::new(),
        };
    }
    fields
}

fn struct_fields(t: &DataType) -> Vec<Field> {
    match t {
        DataType::Struct(fields) => fields.clone(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Completions at the `|` in `sql`.
    fn at(sql: &str) -> (String, Vec<Completion>) {
        let cursor = sql.find('|').expect("a cursor");
        let text = sql.replacen('|', "", 1);
        let c = complete(&text, cursor, &Catalog::reference());
        (text[c.from..cursor].to_string(), c.options)
    }

    fn labels(options: &[Completion], kind: Kind) -> Vec<String> {
        options
            .iter()
            .filter(|o| o.kind == kind)
            .map(|o| o.label.clone())
            .collect()
    }

    #[test]
    fn after_from_come_the_sources() {
        let (typed, options) = at("SELECT * FROM |");
        assert_eq!(typed, "");
        assert_eq!(
            labels(&options, Kind::Source),
            [
                "pubsub.topic.`demobox-313313`.orders",
                "bigquery.table.`demobox-313313`.ecommerce.orders",
                "bigquery.table.`demobox-313313`.ecommerce.customers"
            ]
        );
        let (typed, options) = at("SELECT * FROM pubsub.topic.`demo|");
        assert_eq!(typed, "pubsub.topic.`demo");
        assert_eq!(labels(&options, Kind::Source).len(), 3);
        let (typed, _) = at("SELECT a FROM x JOIN bigquery.tab|");
        assert_eq!(typed, "bigquery.tab");
    }

    #[test]
    fn after_an_alias_come_its_columns() {
        let (typed, options) = at("SELECT o.| FROM pubsub.topic.`demobox-313313`.orders AS o");
        assert_eq!(typed, "");
        assert_eq!(
            labels(&options, Kind::Column),
            [
                "event_timestamp",
                "customer_id",
                "amount",
                "order_status",
                "order_datetime"
            ]
        );
        assert!(
            options[0].detail.starts_with("TIMESTAMP"),
            "{:?}",
            options[0]
        );
        let (typed, options) = at(
            "SELECT c.current_location.l| FROM bigquery.table.`demobox-313313`.ecommerce.customers c",
        );
        assert_eq!(typed, "l");
        assert_eq!(labels(&options, Kind::Column), ["lat", "lng"]);
        let (_, options) = at("SELECT zz.| FROM pubsub.topic.`demobox-313313`.orders o");
        assert!(options.is_empty());
    }

    #[test]
    fn an_alias_resolves_in_the_query_around_the_cursor() {
        // `o` is the table inside the CTE and the topic outside it.
        let sql = crate::reference::QUERY.replacen("o.order_status != ", "o.| != ", 1);
        let (_, options) = at(&sql);
        assert_eq!(labels(&options, Kind::Column)[0], "event_timestamp");
        let sql = crate::reference::QUERY.replacen("o.order_status = ", "o.| = ", 1);
        let (_, options) = at(&sql);
        assert_eq!(labels(&options, Kind::Column)[0], "customer_id");
        assert_eq!(labels(&options, Kind::Column).len(), 4);
    }

    #[test]
    fn a_cte_alias_gives_the_cte_columns() {
        let sql = sluice_reference_with_cursor();
        let (typed, options) = at(&sql);
        assert_eq!(typed, "");
        assert_eq!(
            labels(&options, Kind::Column),
            ["customer_id", "total_spent"]
        );
    }

    fn sluice_reference_with_cursor() -> String {
        crate::reference::QUERY.replacen("ec.total_spent", "ec.|", 1)
    }

    #[test]
    fn elsewhere_come_columns_functions_and_keywords() {
        let (typed, options) = at("SELECT am| FROM pubsub.topic.`demobox-313313`.orders");
        assert_eq!(typed, "am");
        assert!(labels(&options, Kind::Column).contains(&"amount".to_string()));
        let f = options
            .iter()
            .find(|o| o.label == "TIMESTAMP_TRUNC")
            .expect("a function");
        assert!(f.detail.contains("TIMESTAMP_TRUNC("), "{f:?}");
        assert_eq!(f.apply.as_deref(), Some("TIMESTAMP_TRUNC("));
        assert!(labels(&options, Kind::Function).contains(&"SUM".to_string()));
        assert!(labels(&options, Kind::Keyword).contains(&"GROUP BY".to_string()));
        assert!(labels(&options, Kind::Relation).contains(&"orders".to_string()));
    }

    #[test]
    fn strings_comments_and_odd_cursors_are_safe() {
        let (typed, _) = at("SELECT 'a.b|");
        assert_eq!(typed, "");
        let (typed, _) = at("SELECT 1 -- o.|");
        assert_eq!(typed, "");
        // A cursor inside a multi-byte character and past the end.
        let c = complete("SELECT é", 8, &Catalog::reference());
        assert!(c.from <= 8);
        let c = complete("SELECT", 100, &Catalog::reference());
        assert_eq!(c.from, 0);
        // A word after a wide character before the cursor.
        let c = complete("𑈸a b", 7, &Catalog::reference());
        assert_eq!(c.from, 6);
        // Unterminated quotes tokenize as nothing, yet complete.
        let c = complete("SELECT `abc FROM", 16, &Catalog::reference());
        assert!(!c.options.is_empty());
    }
}
