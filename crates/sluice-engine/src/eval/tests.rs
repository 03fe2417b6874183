//! Unit tests of compiling and evaluating expressions: three-valued logic, LIKE,
//! overflow and division errors, constant patterns.

use super::*;
use sluice_sql::plan::Origin;

fn lit(v: Literal, t: DataType) -> Expr {
    Expr::Literal {
        value: v,
        data_type: t,
        origin: Origin::NONE,
    }
}

#[test]
fn a_constant_pattern_is_compiled_once_with_the_expression() {
    let contains = |pattern: &str| Expr::Function {
        function: ScalarFunction::RegexpContains,
        args: vec![
            Expr::Column {
                index: 0,
                name: "s".into(),
                data_type: DataType::String,
                origin: Origin::NONE,
            },
            lit(Literal::String(pattern.into()), DataType::String),
        ],
        data_type: DataType::Bool,
        origin: Origin::NONE,
    };
    let c = compile(&contains("^O")).expect("compiles");
    assert!(matches!(
        &c,
        CExpr::Function {
            pattern: Some(_),
            ..
        }
    ));
    let cx = Context::default();
    assert_eq!(
        eval(&c, &[Value::string("Open")], &cx),
        Ok(Value::Bool(true))
    );
    assert_eq!(
        eval(&c, &[Value::string("Closed")], &cx),
        Ok(Value::Bool(false))
    );
    // A pattern that does not compile is still each row's error, as before.
    let bad = compile(&contains("(")).expect("compiles");
    assert!(matches!(&bad, CExpr::Function { pattern: None, .. }));
    let e = eval(&bad, &[Value::string("Open")], &cx).expect_err("an invalid pattern");
    assert!(e.0.starts_with("invalid regular expression \"(\""), "{e}");
}

#[test]
fn three_valued_logic() {
    let null = lit(Literal::Null, DataType::Bool);
    let f = lit(Literal::Bool(false), DataType::Bool);
    let and = Expr::Binary {
        op: BinaryOp::And,
        left: Box::new(null.clone()),
        right: Box::new(f),
        data_type: DataType::Bool,
        origin: Origin::NONE,
    };
    let run = |e: &Expr| eval(&compile(e).expect("compiles"), &[], &Context::default());
    assert_eq!(run(&and), Ok(Value::Bool(false)));
    let or = Expr::Binary {
        op: BinaryOp::Or,
        left: Box::new(null.clone()),
        right: Box::new(null),
        data_type: DataType::Bool,
        origin: Origin::NONE,
    };
    assert_eq!(run(&or), Ok(Value::Null));
}

#[test]
fn like_matches_wildcards_and_escapes() {
    assert!(like("Cancelled", "Can%"));
    assert!(like("Cancelled", "%ll_d"));
    assert!(!like("Closed", "Can%"));
    assert!(like("50%", "50\\%"));
    assert!(!like("500", "50\\%"));
    assert!(like("", "%"));
    assert!(like("abcabc", "%abc"));
}

#[test]
fn integer_overflow_and_division_by_zero_are_errors() {
    let v = arithmetic(
        BinaryOp::Plus,
        &Value::Int64(i64::MAX),
        &Value::Int64(1),
        &DataType::Int64,
    );
    assert!(v.is_err());
    let d = arithmetic(
        BinaryOp::Divide,
        &Value::Int64(1),
        &Value::Int64(0),
        &DataType::Float64,
    );
    assert_eq!(d, err("division by zero: 1 / 0"));
}
