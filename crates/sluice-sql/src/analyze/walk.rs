//! Looks over sqlparser's AST before binding it: the expressions inside an
//! expression, and the tables a query body reads. Written out here rather than
//! with sqlparser's `Visit` derive (its `visitor` feature), whose code for every
//! node of the AST, once per visitor, was 212 KB of the playground's wasm; the
//! match over `ast::Expr` is exhaustive, so a new kind of expression in a newer
//! sqlparser is a compile error here, not a silent gap.

use sqlparser::ast;

/// Calls `f` with each expression directly inside `e`, without entering
/// subqueries (`(SELECT …)`, `EXISTS`, `IN (SELECT …)`) or a window's `OVER (…)`.
pub(crate) fn each_child<'a>(e: &'a ast::Expr, f: &mut dyn FnMut(&'a ast::Expr)) {
    use ast::Expr as E;
    match e {
        E::Identifier(_)
        | E::CompoundIdentifier(_)
        | E::Value(_)
        | E::TypedString(_)
        | E::Wildcard(_)
        | E::QualifiedWildcard(..)
        | E::MatchAgainst { .. }
        | E::Subquery(_)
        | E::Exists { .. } => {}
        E::CompoundFieldAccess { root, access_chain } => {
            f(root);
            for access in access_chain {
                match access {
                    ast::AccessExpr::Dot(e) => f(e),
                    ast::AccessExpr::Subscript(ast::Subscript::Index { index }) => f(index),
                    ast::AccessExpr::Subscript(ast::Subscript::Slice {
                        lower_bound,
                        upper_bound,
                        stride,
                    }) => {
                        for e in [lower_bound, upper_bound, stride].into_iter().flatten() {
                            f(e);
                        }
                    }
                }
            }
        }
        E::JsonAccess { value, .. } => f(value),
        E::IsFalse(e)
        | E::IsNotFalse(e)
        | E::IsTrue(e)
        | E::IsNotTrue(e)
        | E::IsNull(e)
        | E::IsNotNull(e)
        | E::IsUnknown(e)
        | E::IsNotUnknown(e)
        | E::Nested(e)
        | E::OuterJoin(e)
        | E::Prior(e)
        | E::UnaryOp { expr: e, .. }
        | E::Cast { expr: e, .. }
        | E::Extract { expr: e, .. }
        | E::Ceil { expr: e, .. }
        | E::Floor { expr: e, .. }
        | E::Collate { expr: e, .. }
        | E::Prefixed { value: e, .. }
        | E::Named { expr: e, .. }
        | E::IsJson { expr: e, .. }
        | E::IsNormalized { expr: e, .. } => f(e),
        E::IsDistinctFrom(a, b)
        | E::IsNotDistinctFrom(a, b)
        | E::BinaryOp {
            left: a, right: b, ..
        }
        | E::AnyOp {
            left: a, right: b, ..
        }
        | E::AllOp {
            left: a, right: b, ..
        }
        | E::AtTimeZone {
            timestamp: a,
            time_zone: b,
        }
        | E::Position { expr: a, r#in: b }
        | E::RLike {
            expr: a,
            pattern: b,
            ..
        } => {
            f(a);
            f(b);
        }
        E::MemberOf(m) => {
            f(&m.value);
            f(&m.array);
        }
        E::In { expr, target, .. } => {
            f(expr);
            match target {
                ast::InTarget::List(list) => list.iter().for_each(&mut *f),
                ast::InTarget::Unnest(e) => f(e),
                ast::InTarget::Subquery(_) | ast::InTarget::Table { .. } => {}
            }
        }
        E::Between {
            expr, low, high, ..
        } => {
            f(expr);
            f(low);
            f(high);
        }
        E::Like {
            expr,
            pattern,
            escape_char,
            ..
        }
        | E::ILike {
            expr,
            pattern,
            escape_char,
            ..
        }
        | E::SimilarTo {
            expr,
            pattern,
            escape_char,
            ..
        } => {
            f(expr);
            f(pattern);
            if let Some(e) = escape_char {
                f(e);
            }
        }
        E::Convert { expr, styles, .. } => {
            f(expr);
            styles.iter().for_each(&mut *f);
        }
        E::Substring {
            expr,
            substring_from,
            substring_for,
            ..
        } => {
            f(expr);
            for e in [substring_from, substring_for].into_iter().flatten() {
                f(e);
            }
        }
        E::Trim {
            expr,
            trim_what,
            trim_characters,
            ..
        } => {
            f(expr);
            if let Some(e) = trim_what {
                f(e);
            }
            trim_characters.iter().flatten().for_each(&mut *f);
        }
        E::Overlay {
            expr,
            overlay_what,
            overlay_from,
            overlay_for,
        } => {
            f(expr);
            f(overlay_what);
            f(overlay_from);
            if let Some(e) = overlay_for {
                f(e);
            }
        }
        E::Function(function) => {
            for arguments in [&function.parameters, &function.args] {
                if let ast::FunctionArguments::List(list) = arguments {
                    each_argument(list, f);
                }
            }
            if let Some(e) = &function.filter {
                f(e);
            }
            function.within_group.iter().for_each(|o| f(&o.expr));
        }
        E::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            if let Some(e) = operand {
                f(e);
            }
            for when in conditions {
                f(&when.condition);
                f(&when.result);
            }
            if let Some(e) = else_result {
                f(e);
            }
        }
        E::GroupingSets(sets) | E::Cube(sets) | E::Rollup(sets) => {
            sets.iter().flatten().for_each(&mut *f);
        }
        E::Tuple(items) | E::Struct { values: items, .. } => items.iter().for_each(&mut *f),
        E::Array(array) => array.elem.iter().for_each(&mut *f),
        E::Dictionary(fields) => fields.iter().for_each(|d| f(&d.value)),
        E::Map(map) => {
            for entry in &map.entries {
                f(&entry.key);
                f(&entry.value);
            }
        }
        E::Interval(interval) => f(&interval.value),
        E::Lambda(lambda) => f(&lambda.body),
    }
}

fn each_argument<'a>(list: &'a ast::FunctionArgumentList, f: &mut dyn FnMut(&'a ast::Expr)) {
    for arg in &list.args {
        let (name, arg) = match arg {
            ast::FunctionArg::Named { arg, .. } | ast::FunctionArg::Unnamed(arg) => (None, arg),
            ast::FunctionArg::ExprNamed { name, arg, .. } => (Some(name), arg),
        };
        if let Some(name) = name {
            f(name);
        }
        if let ast::FunctionArgExpr::Expr(e) = arg {
            f(e);
        }
    }
    for clause in &list.clauses {
        match clause {
            ast::FunctionArgumentClause::Where(e)
            | ast::FunctionArgumentClause::Limit(e)
            | ast::FunctionArgumentClause::Having(ast::HavingBound(_, e)) => f(e),
            ast::FunctionArgumentClause::OrderBy(order) => order.iter().for_each(|o| f(&o.expr)),
            _ => {}
        }
    }
}

/// Whether `e`, or an expression inside it outside subqueries, is one `matches`.
pub(crate) fn any_expr(e: &ast::Expr, matches: &mut dyn FnMut(&ast::Expr) -> bool) -> bool {
    if matches(e) {
        return true;
    }
    let mut found = false;
    each_child(e, &mut |child| {
        if !found {
            found = any_expr(child, matches);
        }
    });
    found
}

/// Calls `f` with the name of every table a query body reads from: in its FROM
/// clauses, joins, derived tables, set operations and the WITH clauses of its
/// nested queries (not in subqueries inside expressions).
pub(crate) fn each_relation(body: &ast::SetExpr, f: &mut dyn FnMut(&ast::ObjectName)) {
    match body {
        ast::SetExpr::Select(select) => {
            for from in &select.from {
                relations_of(&from.relation, f);
                for join in &from.joins {
                    relations_of(&join.relation, f);
                }
            }
        }
        ast::SetExpr::Query(query) => relations_of_query(query, f),
        ast::SetExpr::SetOperation { left, right, .. } => {
            each_relation(left, f);
            each_relation(right, f);
        }
        _ => {}
    }
}

fn relations_of_query(query: &ast::Query, f: &mut dyn FnMut(&ast::ObjectName)) {
    if let Some(with) = &query.with {
        for cte in &with.cte_tables {
            relations_of_query(&cte.query, f);
        }
    }
    each_relation(&query.body, f);
}

fn relations_of(factor: &ast::TableFactor, f: &mut dyn FnMut(&ast::ObjectName)) {
    match factor {
        ast::TableFactor::Table { name, .. } => f(name),
        ast::TableFactor::Derived { subquery, .. } => relations_of_query(subquery, f),
        ast::TableFactor::NestedJoin {
            table_with_joins, ..
        } => {
            relations_of(&table_with_joins.relation, f);
            for join in &table_with_joins.joins {
                relations_of(&join.relation, f);
            }
        }
        ast::TableFactor::Pivot { table, .. } | ast::TableFactor::Unpivot { table, .. } => {
            relations_of(table, f)
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn select_items(sql: &str) -> Vec<ast::Expr> {
        let statements = crate::parse(sql).expect("parses");
        let [ast::Statement::Query(q)] = statements.as_slice() else {
            panic!("one query");
        };
        let ast::SetExpr::Select(select) = q.body.as_ref() else {
            panic!("a SELECT");
        };
        select
            .projection
            .iter()
            .map(|item| match item {
                ast::SelectItem::UnnamedExpr(e)
                | ast::SelectItem::ExprWithAlias { expr: e, .. } => e.clone(),
                _ => panic!("an expression"),
            })
            .collect()
    }

    #[test]
    fn an_aggregate_is_found_inside_every_kind_of_expression_but_subqueries() {
        let is_sum = &mut |e: &ast::Expr| matches!(e, ast::Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("SUM"));
        let found = [
            "-SUM(a)",
            "CAST(SUM(a) AS STRING)",
            "CASE WHEN SUM(a) > 1 THEN 1 END",
            "CASE x WHEN 1 THEN SUM(a) ELSE 0 END",
            "EXTRACT(YEAR FROM MAX(SUM(a)))",
            "SUM(a) BETWEEN 1 AND 2",
            "x IN (1, SUM(a))",
            "SUM(a) IS NULL",
            "COALESCE(x, SUM(a))",
            "(SUM(a), 1)",
            "[SUM(a)]",
            "s LIKE CAST(SUM(a) AS STRING)",
            "SUBSTR(CAST(SUM(a) AS STRING), 1)",
            "TRIM(CAST(SUM(a) AS STRING))",
            "TIMESTAMP_ADD(t, INTERVAL SUM(a) MINUTE)",
            "STRUCT(SUM(a) AS s).s",
            "IF(SUM(a) > 1, 1, 0)",
            "(SUM(a))",
        ];
        let query = format!("SELECT {} FROM t", found.join(", "));
        for (e, text) in select_items(&query).iter().zip(found) {
            assert!(any_expr(e, is_sum), "{text}");
        }
        let not_found = [
            "(SELECT SUM(a) FROM t)",
            "EXISTS (SELECT SUM(a) FROM t)",
            "x IN (SELECT SUM(a) FROM t)",
            "a + 1",
        ];
        let query = format!("SELECT {} FROM t", not_found.join(", "));
        for (e, text) in select_items(&query).iter().zip(not_found) {
            assert!(!any_expr(e, is_sum), "{text}");
        }
    }

    #[test]
    fn relations_are_the_tables_read_at_any_depth_of_from() {
        let statements = crate::parse(
            "SELECT * FROM a JOIN (SELECT * FROM b) x ON TRUE JOIN (c CROSS JOIN d) ON TRUE \
             WHERE z IN (SELECT y FROM not_read) \
             UNION ALL (WITH w AS (SELECT * FROM e) SELECT * FROM w)",
        )
        .expect("parses");
        let [ast::Statement::Query(q)] = statements.as_slice() else {
            panic!("one query");
        };
        let mut names = Vec::new();
        each_relation(&q.body, &mut |n| names.push(n.to_string()));
        assert_eq!(names, ["a", "b", "c", "d", "e", "w"]);
    }
}
