//! The scalar function library Dataflow SQL offered, with BigQuery's typing rules.

use crate::plan::AggregateFunction;
use crate::types::DataType;

/// A date or time part, written as a bare keyword: `EXTRACT(HOUR FROM t)`,
/// `TIMESTAMP_DIFF(a, b, MINUTE)`, `TIMESTAMP_TRUNC(t, MONTH)`. Which parts a
/// function takes is [`ScalarFunction::date_parts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DatePart {
    /// `MICROSECOND`
    Microsecond,
    /// `MILLISECOND`
    Millisecond,
    /// `SECOND`
    Second,
    /// `MINUTE`
    Minute,
    /// `HOUR`
    Hour,
    /// `DAY`
    Day,
    /// `DAYOFWEEK`: 1 (Sunday) to 7.
    DayOfWeek,
    /// `DAYOFYEAR`
    DayOfYear,
    /// `WEEK`: weeks begin on Sunday; days before the year's first Sunday are week 0.
    Week,
    /// `MONTH`
    Month,
    /// `QUARTER`
    Quarter,
    /// `YEAR`
    Year,
    /// `DATE`: the date of a timestamp (EXTRACT only).
    Date,
}

impl DatePart {
    /// Every part, in the order messages list them.
    pub const ALL: [DatePart; 13] = [
        Self::Microsecond,
        Self::Millisecond,
        Self::Second,
        Self::Minute,
        Self::Hour,
        Self::Day,
        Self::DayOfWeek,
        Self::DayOfYear,
        Self::Week,
        Self::Month,
        Self::Quarter,
        Self::Year,
        Self::Date,
    ];

    /// The keyword.
    pub fn name(self) -> &'static str {
        match self {
            Self::Microsecond => "MICROSECOND",
            Self::Millisecond => "MILLISECOND",
            Self::Second => "SECOND",
            Self::Minute => "MINUTE",
            Self::Hour => "HOUR",
            Self::Day => "DAY",
            Self::DayOfWeek => "DAYOFWEEK",
            Self::DayOfYear => "DAYOFYEAR",
            Self::Week => "WEEK",
            Self::Month => "MONTH",
            Self::Quarter => "QUARTER",
            Self::Year => "YEAR",
            Self::Date => "DATE",
        }
    }

    /// The part spelled `name` (any case).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// The part's length in microseconds, for the parts of fixed length (up to DAY).
    pub fn micros(self) -> Option<i64> {
        Some(match self {
            Self::Microsecond => 1,
            Self::Millisecond => 1_000,
            Self::Second => 1_000_000,
            Self::Minute => 60_000_000,
            Self::Hour => 3_600_000_000,
            Self::Day => 86_400_000_000,
            _ => return None,
        })
    }
}

impl std::fmt::Display for DatePart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Defines [`ScalarFunction`]: each variant with the name SQL spells it with.
macro_rules! scalar_functions {
    ($($variant:ident => $name:literal,)*) => {
        /// A scalar function of Dataflow SQL, resolved by the analyzer: the plan
        /// carries this, and the engine and the Beam compiler each match on it
        /// exhaustively, so a function one of them lacks does not compile. Its
        /// typing is [`ScalarFunction::signature`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ScalarFunction {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
            /// `EXTRACT(part FROM value)`: its own syntax, never called by name.
            /// The first argument is the part, as an upper-case STRING literal.
            Extract,
        }

        impl ScalarFunction {
            /// The functions a query can call by name, in the order autocomplete lists them.
            pub const CALLABLE: &'static [ScalarFunction] = &[$(Self::$variant,)*];

            /// The name as SQL spells it, upper-case.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                    Self::Extract => "EXTRACT",
                }
            }
        }
    };
}

scalar_functions! {
    Concat => "CONCAT",
    Upper => "UPPER",
    Lower => "LOWER",
    Reverse => "REVERSE",
    Initcap => "INITCAP",
    Trim => "TRIM",
    Ltrim => "LTRIM",
    Rtrim => "RTRIM",
    Length => "LENGTH",
    CharLength => "CHAR_LENGTH",
    CharacterLength => "CHARACTER_LENGTH",
    Substr => "SUBSTR",
    Substring => "SUBSTRING",
    Replace => "REPLACE",
    StartsWith => "STARTS_WITH",
    EndsWith => "ENDS_WITH",
    RegexpContains => "REGEXP_CONTAINS",
    Strpos => "STRPOS",
    RegexpExtract => "REGEXP_EXTRACT",
    RegexpReplace => "REGEXP_REPLACE",
    Lpad => "LPAD",
    Rpad => "RPAD",
    Abs => "ABS",
    Sign => "SIGN",
    Round => "ROUND",
    Trunc => "TRUNC",
    Ceil => "CEIL",
    Ceiling => "CEILING",
    Floor => "FLOOR",
    Sqrt => "SQRT",
    Exp => "EXP",
    Ln => "LN",
    Log10 => "LOG10",
    Log => "LOG",
    Pow => "POW",
    Power => "POWER",
    Mod => "MOD",
    Div => "DIV",
    SafeDivide => "SAFE_DIVIDE",
    IeeeDivide => "IEEE_DIVIDE",
    Greatest => "GREATEST",
    Least => "LEAST",
    If => "IF",
    Ifnull => "IFNULL",
    Nullif => "NULLIF",
    Coalesce => "COALESCE",
    CurrentTimestamp => "CURRENT_TIMESTAMP",
    CurrentDate => "CURRENT_DATE",
    Timestamp => "TIMESTAMP",
    TimestampAdd => "TIMESTAMP_ADD",
    TimestampSub => "TIMESTAMP_SUB",
    TimestampDiff => "TIMESTAMP_DIFF",
    TimestampTrunc => "TIMESTAMP_TRUNC",
    FormatTimestamp => "FORMAT_TIMESTAMP",
    ParseTimestamp => "PARSE_TIMESTAMP",
    TimestampSeconds => "TIMESTAMP_SECONDS",
    TimestampMillis => "TIMESTAMP_MILLIS",
    TimestampMicros => "TIMESTAMP_MICROS",
    UnixSeconds => "UNIX_SECONDS",
    UnixMillis => "UNIX_MILLIS",
    UnixMicros => "UNIX_MICROS",
    Date => "DATE",
    String => "STRING",
}

impl ScalarFunction {
    /// The function called `name` (upper-case), if a query can call it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::CALLABLE.iter().copied().find(|f| f.name() == name)
    }

    /// Where a date part is written as a bare keyword among the arguments.
    pub fn date_part_argument(self) -> Option<usize> {
        match self {
            Self::TimestampDiff => Some(2),
            Self::TimestampTrunc => Some(1),
            Self::Extract => Some(0),
            _ => None,
        }
    }

    /// The date parts the function takes, as BigQuery documents them for a
    /// TIMESTAMP (google/zetasql `docs/timestamp_functions.md`: `TIMESTAMP_DIFF`
    /// counts whole units up to DAY; `TIMESTAMP_TRUNC` adds WEEK, MONTH, QUARTER
    /// and YEAR; `EXTRACT` adds DAYOFWEEK, DAYOFYEAR and DATE). The ISO and
    /// `WEEK(<WEEKDAY>)` parts, and EXTRACT's DATETIME and TIME, are not here:
    /// Sluice refuses them rather than run them wrong.
    pub fn date_parts(self) -> &'static [DatePart] {
        use DatePart as P;
        match self {
            Self::TimestampDiff => &DatePart::ALL[..6],
            Self::TimestampTrunc => &[
                P::Microsecond,
                P::Millisecond,
                P::Second,
                P::Minute,
                P::Hour,
                P::Day,
                P::Week,
                P::Month,
                P::Quarter,
                P::Year,
            ],
            Self::Extract => &DatePart::ALL,
            _ => &[],
        }
    }

    /// Whether any NULL argument makes the result NULL without looking further
    /// (BigQuery's rule for most functions). Not so for the conditionals, `CONCAT`
    /// (NULL too, but checked by the function), `NULLIF` and the clock.
    pub fn null_in_null_out(self) -> bool {
        !matches!(
            self,
            Self::If
                | Self::Ifnull
                | Self::Nullif
                | Self::Coalesce
                | Self::Concat
                | Self::CurrentTimestamp
                | Self::CurrentDate
        )
    }
}

impl std::fmt::Display for ScalarFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
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

impl ScalarFunction {
    /// How the function is typed: argument counts, usage, and the result type.
    pub fn signature(self) -> Signature {
        let sig = |min_args, max_args, usage, result| Signature {
            min_args,
            max_args,
            usage,
            result,
        };
        use ScalarFunction as F;
        match self {
            // Strings.
            F::Concat => sig(1, usize::MAX, "CONCAT(STRING, ...)", |a| {
                strings(a, a.len()).map(|_| DataType::String)
            }),
            F::Upper | F::Lower | F::Reverse | F::Initcap => sig(1, 1, "(STRING)", |a| {
                strings(a, 1).map(|_| DataType::String)
            }),
            F::Trim | F::Ltrim | F::Rtrim => sig(1, 2, "(STRING[, STRING])", |a| {
                strings(a, 2).map(|_| DataType::String)
            }),
            F::Length | F::CharLength | F::CharacterLength => {
                sig(1, 1, "(STRING)", |a| strings(a, 1).map(|_| DataType::Int64))
            }
            F::Substr | F::Substring => sig(2, 3, "(STRING, INT64[, INT64])", |a| {
                strings(a, 1)?;
                expect(a, 1, &[DataType::Int64], "INT64")?;
                expect(a, 2, &[DataType::Int64], "INT64")?;
                Ok(DataType::String)
            }),
            F::Replace => sig(3, 3, "(STRING, STRING, STRING)", |a| {
                strings(a, 3).map(|_| DataType::String)
            }),
            F::StartsWith | F::EndsWith | F::RegexpContains => sig(2, 2, "(STRING, STRING)", |a| {
                strings(a, 2).map(|_| DataType::Bool)
            }),
            F::Strpos => sig(2, 2, "(STRING, STRING)", |a| {
                strings(a, 2).map(|_| DataType::Int64)
            }),
            F::RegexpExtract => sig(2, 2, "(STRING, STRING)", |a| {
                strings(a, 2).map(|_| DataType::String)
            }),
            F::RegexpReplace => sig(3, 3, "(STRING, STRING, STRING)", |a| {
                strings(a, 3).map(|_| DataType::String)
            }),
            F::Lpad | F::Rpad => sig(2, 3, "(STRING, INT64[, STRING])", |a| {
                strings(a, 1)?;
                expect(a, 1, &[DataType::Int64], "INT64")?;
                expect(a, 2, &[DataType::String], "STRING")?;
                Ok(DataType::String)
            }),
            // Math.
            F::Abs | F::Sign => sig(1, 1, "(number)", |a| {
                numeric(a, 0).map(|_| supertype(a).unwrap_or(DataType::Int64))
            }),
            F::Round | F::Trunc => sig(1, 2, "(number[, INT64])", |a| {
                numeric(a, 0)?;
                expect(a, 1, &[DataType::Int64], "INT64")?;
                float_result(&a[..1])
            }),
            F::Ceil | F::Ceiling | F::Floor => sig(1, 1, "(number)", float_result),
            F::Sqrt | F::Exp | F::Ln | F::Log10 => sig(1, 1, "(FLOAT64)", |a| {
                float_result(a).map(|_| DataType::Float64)
            }),
            F::Log => sig(1, 2, "(FLOAT64[, FLOAT64])", |a| {
                float_result(a).map(|_| DataType::Float64)
            }),
            F::Pow | F::Power => sig(2, 2, "(FLOAT64, FLOAT64)", |a| {
                float_result(a).map(|_| DataType::Float64)
            }),
            F::Mod | F::Div => sig(2, 2, "(INT64, INT64)", |a| {
                expect(a, 0, &[DataType::BigNumeric], "INT64 or NUMERIC")?;
                expect(a, 1, &[DataType::BigNumeric], "INT64 or NUMERIC")?;
                supertype(a)
            }),
            F::SafeDivide | F::IeeeDivide => sig(2, 2, "(number, number)", |a| {
                float_result(a).map(|_| DataType::Float64)
            }),
            F::Greatest | F::Least => sig(1, usize::MAX, "(T, ...)", supertype),
            // Conditionals.
            F::If => sig(3, 3, "(BOOL, T, T)", |a| {
                expect(a, 0, &[DataType::Bool], "BOOL")?;
                supertype(&a[1..])
            }),
            F::Ifnull | F::Nullif => sig(2, 2, "(T, T)", supertype),
            F::Coalesce => sig(1, usize::MAX, "(T, ...)", supertype),
            // Time.
            F::CurrentTimestamp => sig(0, 0, "()", |_| Ok(TS)),
            F::CurrentDate => sig(0, 1, "([STRING time zone])", |_| Ok(DataType::Date)),
            F::Timestamp => sig(1, 2, "(STRING|DATE|DATETIME[, STRING time zone])", |a| {
                expect(
                    a,
                    0,
                    &[DataType::String, DataType::Datetime, TS],
                    "STRING, DATE, DATETIME or TIMESTAMP",
                )?;
                Ok(TS)
            }),
            F::TimestampAdd | F::TimestampSub => sig(2, 2, "(TIMESTAMP, INTERVAL)", |a| {
                expect(a, 0, &[TS], "TIMESTAMP")?;
                expect(a, 1, &[DataType::Interval], "an INTERVAL")?;
                Ok(TS)
            }),
            F::TimestampDiff => sig(3, 3, "(TIMESTAMP, TIMESTAMP, part)", |a| {
                expect(a, 0, &[TS], "TIMESTAMP")?;
                expect(a, 1, &[TS], "TIMESTAMP")?;
                Ok(DataType::Int64)
            }),
            F::TimestampTrunc => sig(2, 3, "(TIMESTAMP, part[, STRING time zone])", |a| {
                expect(a, 0, &[TS], "TIMESTAMP")?;
                Ok(TS)
            }),
            F::FormatTimestamp => sig(
                2,
                3,
                "(STRING format, TIMESTAMP[, STRING time zone])",
                |a| {
                    expect(a, 0, &[DataType::String], "STRING")?;
                    expect(a, 1, &[TS], "TIMESTAMP")?;
                    Ok(DataType::String)
                },
            ),
            F::ParseTimestamp => sig(2, 3, "(STRING format, STRING[, STRING time zone])", |a| {
                strings(a, 2)?;
                Ok(TS)
            }),
            F::TimestampSeconds | F::TimestampMillis | F::TimestampMicros => {
                sig(1, 1, "(INT64)", |a| {
                    expect(a, 0, &[DataType::Int64], "INT64")?;
                    Ok(TS)
                })
            }
            F::UnixSeconds | F::UnixMillis | F::UnixMicros => sig(1, 1, "(TIMESTAMP)", |a| {
                expect(a, 0, &[TS], "TIMESTAMP")?;
                Ok(DataType::Int64)
            }),
            F::Date => sig(
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
            F::String => sig(1, 2, "(TIMESTAMP[, STRING time zone])", |a| {
                expect(a, 0, &[TS, DataType::Datetime], "TIMESTAMP")?;
                Ok(DataType::String)
            }),
            F::Extract => sig(2, 2, "(part FROM date or time)", |a| {
                expect(
                    a,
                    1,
                    &[TS, DataType::Datetime, DataType::Time],
                    "a date or time",
                )?;
                Ok(DataType::Int64)
            }),
        }
    }
}

/// Every scalar function a query can call, for autocomplete: `(name, usage)`.
pub fn catalog() -> Vec<(&'static str, &'static str)> {
    ScalarFunction::CALLABLE
        .iter()
        .map(|f| (f.name(), f.signature().usage))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_callable_function_is_found_by_its_name_and_extract_is_not() {
        for f in ScalarFunction::CALLABLE {
            assert_eq!(ScalarFunction::from_name(f.name()), Some(*f));
        }
        assert_eq!(catalog().len(), 63);
        assert_eq!(ScalarFunction::from_name("EXTRACT"), None);
        assert_eq!(ScalarFunction::from_name("upper"), None);
    }

    #[test]
    fn typing() {
        let call = |n: &str, a: &[DataType]| {
            (ScalarFunction::from_name(n).expect(n).signature().result)(a)
        };
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
