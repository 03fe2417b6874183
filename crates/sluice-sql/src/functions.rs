//! The scalar function library Dataflow SQL offered, with BigQuery's typing rules.

use crate::plan::AggregateFunction;
use crate::types::DataType;

/// Date and time parts accepted by `EXTRACT`, `TIMESTAMP_DIFF`, `TIMESTAMP_TRUNC` and friends.
pub const DATE_PARTS: [&str; 12] = [
    "MICROSECOND",
    "MILLISECOND",
    "SECOND",
    "MINUTE",
    "HOUR",
    "DAY",
    "DAYOFWEEK",
    "DAYOFYEAR",
    "WEEK",
    "MONTH",
    "QUARTER",
    "YEAR",
];

/// Functions whose argument at this position is a date part written as a bare keyword.
pub fn date_part_argument(function: &str) -> Option<usize> {
    match function {
        "TIMESTAMP_DIFF" | "DATETIME_DIFF" | "DATE_DIFF" | "TIME_DIFF" => Some(2),
        "TIMESTAMP_TRUNC" | "DATETIME_TRUNC" | "DATE_TRUNC" | "TIME_TRUNC" => Some(1),
        _ => None,
    }
}

/// The aggregate a function name denotes, if it is one.
pub fn aggregate(name: &str) -> Option<AggregateFunction> {
    Some(match name {
        "COUNT" => AggregateFunction::Count,
        "SUM" => AggregateFunction::Sum,
        "AVG" => AggregateFunction::Avg,
        "MIN" => AggregateFunction::Min,
        "MAX" => AggregateFunction::Max,
        "ANY_VALUE" => AggregateFunction::AnyValue,
        "COUNTIF" => AggregateFunction::CountIf,
        "LOGICAL_AND" => AggregateFunction::LogicalAnd,
        "LOGICAL_OR" => AggregateFunction::LogicalOr,
        _ => return None,
    })
}

/// The result type of an aggregate over an argument of type `arg`, or why it does not apply.
pub fn aggregate_type(
    function: AggregateFunction,
    arg: Option<&DataType>,
) -> Result<DataType, String> {
    use AggregateFunction::*;
    match (function, arg) {
        (CountStar, _) | (Count, _) => Ok(DataType::Int64),
        (Sum, Some(t)) => match t {
            DataType::Int64 | DataType::Null => Ok(DataType::Int64),
            DataType::Float64 | DataType::Numeric | DataType::BigNumeric => Ok(t.clone()),
            other => Err(format!("SUM needs a number, not {other}")),
        },
        (Avg, Some(t)) => match t {
            DataType::Int64 | DataType::Float64 | DataType::Null => Ok(DataType::Float64),
            DataType::Numeric | DataType::BigNumeric => Ok(t.clone()),
            other => Err(format!("AVG needs a number, not {other}")),
        },
        (Min | Max, Some(t)) if t.is_orderable() => Ok(t.clone()),
        (Min | Max, Some(t)) => Err(format!(
            "{} needs an orderable type, not {t}",
            function.name()
        )),
        (AnyValue, Some(t)) => Ok(t.clone()),
        (CountIf | LogicalAnd | LogicalOr, Some(DataType::Bool | DataType::Null)) => {
            Ok(if function == CountIf {
                DataType::Int64
            } else {
                DataType::Bool
            })
        }
        (CountIf | LogicalAnd | LogicalOr, Some(t)) => {
            Err(format!("{} needs a BOOL, not {t}", function.name()))
        }
        (_, None) => Err(format!("{} needs an argument", function.name())),
    }
}

/// How a scalar function is typed.
pub struct Signature {
    /// Fewest arguments.
    pub min_args: usize,
    /// Most arguments (`usize::MAX` for variadic).
    pub max_args: usize,
    /// A human description of the arguments, for messages and autocomplete.
    pub usage: &'static str,
    /// The result type from the argument types, or what is wrong with them.
    pub result: fn(&[DataType]) -> Result<DataType, String>,
}

fn expect(args: &[DataType], i: usize, accepted: &[DataType], what: &str) -> Result<(), String> {
    match args.get(i) {
        Some(t) if *t == DataType::Null || accepted.iter().any(|a| t.coerces_to(a)) => Ok(()),
        Some(t) => Err(format!("argument {} must be {what}, not {t}", i + 1)),
        None => Ok(()),
    }
}

fn strings(args: &[DataType], n: usize) -> Result<(), String> {
    (0..n.min(args.len())).try_for_each(|i| expect(args, i, &[DataType::String], "STRING"))
}

fn numeric(args: &[DataType], i: usize) -> Result<(), String> {
    expect(
        args,
        i,
        &[DataType::Float64, DataType::BigNumeric],
        "a number",
    )
}

fn supertype(args: &[DataType]) -> Result<DataType, String> {
    args.iter().try_fold(DataType::Null, |acc, t| {
        DataType::common_supertype(&acc, t)
            .ok_or_else(|| format!("arguments of types {acc} and {t} have no common type"))
    })
}

fn float_result(args: &[DataType]) -> Result<DataType, String> {
    (0..args.len()).try_for_each(|i| numeric(args, i))?;
    Ok(match args.first() {
        Some(DataType::Numeric) => DataType::Numeric,
        Some(DataType::BigNumeric) => DataType::BigNumeric,
        _ => DataType::Float64,
    })
}

const TS: DataType = DataType::Timestamp;

/// The signature of scalar function `name` (upper-case), if Dataflow SQL has it.
pub fn scalar(name: &str) -> Option<Signature> {
    if SCALAR_NAMES.contains(&name) {
        signature(name)
    } else {
        None
    }
}

fn signature(name: &str) -> Option<Signature> {
    let sig = |min_args, max_args, usage, result| {
        Some(Signature {
            min_args,
            max_args,
            usage,
            result,
        })
    };
    match name {
        // Strings.
        "CONCAT" => sig(1, usize::MAX, "CONCAT(STRING, ...)", |a| {
            strings(a, a.len()).map(|_| DataType::String)
        }),
        "UPPER" | "LOWER" | "REVERSE" | "INITCAP" => sig(1, 1, "(STRING)", |a| {
            strings(a, 1).map(|_| DataType::String)
        }),
        "TRIM" | "LTRIM" | "RTRIM" => sig(1, 2, "(STRING[, STRING])", |a| {
            strings(a, 2).map(|_| DataType::String)
        }),
        "LENGTH" | "CHAR_LENGTH" | "CHARACTER_LENGTH" => {
            sig(1, 1, "(STRING)", |a| strings(a, 1).map(|_| DataType::Int64))
        }
        "SUBSTR" | "SUBSTRING" => sig(2, 3, "(STRING, INT64[, INT64])", |a| {
            strings(a, 1)?;
            expect(a, 1, &[DataType::Int64], "INT64")?;
            expect(a, 2, &[DataType::Int64], "INT64")?;
            Ok(DataType::String)
        }),
        "REPLACE" => sig(3, 3, "(STRING, STRING, STRING)", |a| {
            strings(a, 3).map(|_| DataType::String)
        }),
        "STARTS_WITH" | "ENDS_WITH" | "REGEXP_CONTAINS" => sig(2, 2, "(STRING, STRING)", |a| {
            strings(a, 2).map(|_| DataType::Bool)
        }),
        "STRPOS" => sig(2, 2, "(STRING, STRING)", |a| {
            strings(a, 2).map(|_| DataType::Int64)
        }),
        "REGEXP_EXTRACT" => sig(2, 2, "(STRING, STRING)", |a| {
            strings(a, 2).map(|_| DataType::String)
        }),
        "REGEXP_REPLACE" => sig(3, 3, "(STRING, STRING, STRING)", |a| {
            strings(a, 3).map(|_| DataType::String)
        }),
        "LPAD" | "RPAD" => sig(2, 3, "(STRING, INT64[, STRING])", |a| {
            strings(a, 1)?;
            expect(a, 1, &[DataType::Int64], "INT64")?;
            expect(a, 2, &[DataType::String], "STRING")?;
            Ok(DataType::String)
        }),
        // Math.
        "ABS" | "SIGN" => sig(1, 1, "(number)", |a| {
            numeric(a, 0).map(|_| supertype(a).unwrap_or(DataType::Int64))
        }),
        "ROUND" | "TRUNC" => sig(1, 2, "(number[, INT64])", |a| {
            numeric(a, 0)?;
            expect(a, 1, &[DataType::Int64], "INT64")?;
            float_result(&a[..1])
        }),
        "CEIL" | "CEILING" | "FLOOR" => sig(1, 1, "(number)", float_result),
        "SQRT" | "EXP" | "LN" | "LOG10" => sig(1, 1, "(FLOAT64)", |a| {
            float_result(a).map(|_| DataType::Float64)
        }),
        "LOG" => sig(1, 2, "(FLOAT64[, FLOAT64])", |a| {
            float_result(a).map(|_| DataType::Float64)
        }),
        "POW" | "POWER" => sig(2, 2, "(FLOAT64, FLOAT64)", |a| {
            float_result(a).map(|_| DataType::Float64)
        }),
        "MOD" | "DIV" => sig(2, 2, "(INT64, INT64)", |a| {
            expect(a, 0, &[DataType::BigNumeric], "INT64 or NUMERIC")?;
            expect(a, 1, &[DataType::BigNumeric], "INT64 or NUMERIC")?;
            supertype(a)
        }),
        "SAFE_DIVIDE" | "IEEE_DIVIDE" => sig(2, 2, "(number, number)", |a| {
            float_result(a).map(|_| DataType::Float64)
        }),
        "GREATEST" | "LEAST" => sig(1, usize::MAX, "(T, ...)", supertype),
        // Conditionals.
        "IF" => sig(3, 3, "(BOOL, T, T)", |a| {
            expect(a, 0, &[DataType::Bool], "BOOL")?;
            supertype(&a[1..])
        }),
        "IFNULL" | "NULLIF" => sig(2, 2, "(T, T)", supertype),
        "COALESCE" => sig(1, usize::MAX, "(T, ...)", supertype),
        // Time.
        "CURRENT_TIMESTAMP" => sig(0, 0, "()", |_| Ok(TS)),
        "CURRENT_DATE" => sig(0, 1, "([STRING time zone])", |_| Ok(DataType::Date)),
        "TIMESTAMP" => sig(1, 2, "(STRING|DATE|DATETIME[, STRING time zone])", |a| {
            expect(
                a,
                0,
                &[DataType::String, DataType::Datetime, TS],
                "STRING, DATE, DATETIME or TIMESTAMP",
            )?;
            Ok(TS)
        }),
        "TIMESTAMP_ADD" | "TIMESTAMP_SUB" => sig(2, 2, "(TIMESTAMP, INTERVAL)", |a| {
            expect(a, 0, &[TS], "TIMESTAMP")?;
            expect(a, 1, &[DataType::Interval], "an INTERVAL")?;
            Ok(TS)
        }),
        "TIMESTAMP_DIFF" => sig(3, 3, "(TIMESTAMP, TIMESTAMP, part)", |a| {
            expect(a, 0, &[TS], "TIMESTAMP")?;
            expect(a, 1, &[TS], "TIMESTAMP")?;
            Ok(DataType::Int64)
        }),
        "TIMESTAMP_TRUNC" => sig(2, 3, "(TIMESTAMP, part[, STRING time zone])", |a| {
            expect(a, 0, &[TS], "TIMESTAMP")?;
            Ok(TS)
        }),
        "FORMAT_TIMESTAMP" => sig(
            2,
            3,
            "(STRING format, TIMESTAMP[, STRING time zone])",
            |a| {
                expect(a, 0, &[DataType::String], "STRING")?;
                expect(a, 1, &[TS], "TIMESTAMP")?;
                Ok(DataType::String)
            },
        ),
        "PARSE_TIMESTAMP" => sig(2, 3, "(STRING format, STRING[, STRING time zone])", |a| {
            strings(a, 2)?;
            Ok(TS)
        }),
        "TIMESTAMP_SECONDS" | "TIMESTAMP_MILLIS" | "TIMESTAMP_MICROS" => {
            sig(1, 1, "(INT64)", |a| {
                expect(a, 0, &[DataType::Int64], "INT64")?;
                Ok(TS)
            })
        }
        "UNIX_SECONDS" | "UNIX_MILLIS" | "UNIX_MICROS" => sig(1, 1, "(TIMESTAMP)", |a| {
            expect(a, 0, &[TS], "TIMESTAMP")?;
            Ok(DataType::Int64)
        }),
        "DATE" => sig(
            1,
            3,
            "(TIMESTAMP|DATETIME[, STRING time zone] | INT64, INT64, INT64)",
            |a| {
                if a.len() == 3 {
                    (0..3).try_for_each(|i| expect(a, i, &[DataType::Int64], "INT64"))?;
                } else {
                    expect(
                        a,
                        0,
                        &[TS, DataType::Datetime, DataType::String],
                        "TIMESTAMP, DATETIME or STRING",
                    )?;
                }
                Ok(DataType::Date)
            },
        ),
        "STRING" => sig(1, 2, "(TIMESTAMP[, STRING time zone])", |a| {
            expect(a, 0, &[TS, DataType::Datetime], "TIMESTAMP")?;
            Ok(DataType::String)
        }),
        _ => None,
    }
}

/// The scalar functions Dataflow SQL has: the one list the analyzer and autocomplete read.
const SCALAR_NAMES: [&str; 63] = [
    "CONCAT",
    "UPPER",
    "LOWER",
    "REVERSE",
    "INITCAP",
    "TRIM",
    "LTRIM",
    "RTRIM",
    "LENGTH",
    "CHAR_LENGTH",
    "CHARACTER_LENGTH",
    "SUBSTR",
    "SUBSTRING",
    "REPLACE",
    "STARTS_WITH",
    "ENDS_WITH",
    "REGEXP_CONTAINS",
    "STRPOS",
    "REGEXP_EXTRACT",
    "REGEXP_REPLACE",
    "LPAD",
    "RPAD",
    "ABS",
    "SIGN",
    "ROUND",
    "TRUNC",
    "CEIL",
    "CEILING",
    "FLOOR",
    "SQRT",
    "EXP",
    "LN",
    "LOG10",
    "LOG",
    "POW",
    "POWER",
    "MOD",
    "DIV",
    "SAFE_DIVIDE",
    "IEEE_DIVIDE",
    "GREATEST",
    "LEAST",
    "IF",
    "IFNULL",
    "NULLIF",
    "COALESCE",
    "CURRENT_TIMESTAMP",
    "CURRENT_DATE",
    "TIMESTAMP",
    "TIMESTAMP_ADD",
    "TIMESTAMP_SUB",
    "TIMESTAMP_DIFF",
    "TIMESTAMP_TRUNC",
    "FORMAT_TIMESTAMP",
    "PARSE_TIMESTAMP",
    "TIMESTAMP_SECONDS",
    "TIMESTAMP_MILLIS",
    "TIMESTAMP_MICROS",
    "UNIX_SECONDS",
    "UNIX_MILLIS",
    "UNIX_MICROS",
    "DATE",
    "STRING",
];

/// Every scalar function the analyzer knows, for autocomplete: `(name, usage)`.
pub fn catalog() -> Vec<(&'static str, &'static str)> {
    SCALAR_NAMES
        .iter()
        .filter_map(|n| signature(n).map(|s| (*n, s.usage)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_function_has_a_signature() {
        assert_eq!(catalog().len(), SCALAR_NAMES.len());
    }

    #[test]
    fn typing() {
        let call = |n: &str, a: &[DataType]| (scalar(n).expect(n).result)(a);
        assert_eq!(call("UPPER", &[DataType::String]), Ok(DataType::String));
        assert!(call("UPPER", &[DataType::Int64]).is_err());
        assert_eq!(
            call("IF", &[DataType::Bool, DataType::Int64, DataType::Float64]),
            Ok(DataType::Float64)
        );
        assert_eq!(
            call("COALESCE", &[DataType::Null, DataType::String]),
            Ok(DataType::String)
        );
        assert_eq!(
            call("ROUND", &[DataType::Int64, DataType::Int64]),
            Ok(DataType::Float64)
        );
        assert_eq!(
            aggregate_type(AggregateFunction::Sum, Some(&DataType::Float64)),
            Ok(DataType::Float64)
        );
        assert!(aggregate_type(AggregateFunction::Sum, Some(&DataType::String)).is_err());
    }
}
