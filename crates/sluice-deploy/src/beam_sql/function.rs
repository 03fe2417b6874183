//! BigQuery's scalar functions in Calcite's spelling, or refused where Beam SQL has no
//! equivalent that computes the same.

use super::*;

impl Block {
    pub(super) fn function(&self, function: ScalarFunction, args: &[Expr]) -> Result<String> {
        use ScalarFunction as F;
        let name = function.name();
        let a: Vec<String> = args.iter().map(|e| self.expr(e)).collect::<Result<_>>()?;
        let at = |i: usize| -> Result<String> {
            args.get(i)
                .map(|e| self.atom(e))
                .transpose()?
                .ok_or_else(|| internal("a function argument is missing"))
        };
        let arg = |i: usize| -> Result<&str> {
            a.get(i)
                .map(String::as_str)
                .ok_or_else(|| internal("a function argument is missing"))
        };
        let part = |i: usize| -> Result<DatePart> {
            match args.get(i) {
                Some(Expr::Literal {
                    value: Literal::DatePart(p),
                    ..
                }) => Ok(*p),
                _ => Err(internal("a date part is not a keyword")),
            }
        };
        let epoch = "TIMESTAMP '1970-01-01 00:00:00'";
        let no = |why: &str, hint: &str| Err(Unsupported::new(why, hint));
        Ok(match function {
            F::Concat => {
                let parts: Vec<String> = (0..a.len()).map(at).collect::<Result<_>>()?;
                if parts.len() == 1 {
                    parts.concat()
                } else {
                    format!("({})", parts.join(" || "))
                }
            }
            F::Upper
            | F::Lower
            | F::Initcap
            | F::Reverse
            | F::Abs
            | F::Sign
            | F::Sqrt
            | F::Exp
            | F::Ln
            | F::Log10
            | F::Floor
            | F::Mod
            | F::Nullif
            | F::Coalesce
            | F::Replace
            | F::StartsWith
            | F::EndsWith
            | F::Round => format!("{name}({})", a.join(", ")),
            // Beam's two-argument RPAD pads on the left; with the pad spelled out
            // both pad as BigQuery does (with spaces by default).
            F::Lpad | F::Rpad => match a.len() {
                2 => format!("{name}({}, {}, ' ')", arg(0)?, arg(1)?),
                _ => format!("{name}({})", a.join(", ")),
            },
            F::Ceil | F::Ceiling => format!("CEIL({})", arg(0)?),
            F::Pow | F::Power => format!("POWER({})", a.join(", ")),
            F::Trunc => format!("TRUNCATE({})", a.join(", ")),
            F::Log => match a.len() {
                1 => format!("LN({})", arg(0)?),
                _ => format!("(LN({}) / LN({}))", arg(0)?, arg(1)?),
            },
            F::Length | F::CharLength | F::CharacterLength => {
                // Calcite's lengths are INTEGER; BigQuery's are INT64.
                if args.first().map(Expr::data_type) == Some(DataType::Bytes) {
                    format!("CAST(LENGTH({}) AS BIGINT)", arg(0)?)
                } else {
                    format!("CAST(CHAR_LENGTH({}) AS BIGINT)", arg(0)?)
                }
            }
            F::Trim | F::Ltrim | F::Rtrim => {
                let side = match function {
                    F::Trim => "BOTH",
                    F::Ltrim => "LEADING",
                    _ => "TRAILING",
                };
                match args.get(1) {
                    None => format!("TRIM({side} FROM {})", arg(0)?),
                    // Calcite trims one character; BigQuery's second argument is a
                    // set of characters, and Beam's conformance throws on more.
                    Some(Expr::Literal {
                        value: Literal::String(chars),
                        ..
                    }) if chars.chars().count() == 1 => {
                        format!("TRIM({side} {} FROM {})", arg(1)?, arg(0)?)
                    }
                    Some(_) => {
                        return no(
                            &format!(
                                "Beam SQL's {name} removes exactly one character, given as a literal"
                            ),
                            "trim a single character such as ' ', or nest one call per character",
                        );
                    }
                }
            }
            F::Substr | F::Substring => {
                if let Some(Expr::Literal {
                    value: Literal::Int64(p),
                    ..
                }) = args.get(1)
                    && *p <= 0
                {
                    return no(
                        "Beam SQL's SUBSTRING does not count positions from the end of the string",
                        "use a position of 1 or more",
                    );
                }
                match a.len() {
                    2 => format!("SUBSTRING({} FROM {})", arg(0)?, arg(1)?),
                    _ => format!("SUBSTRING({} FROM {} FOR {})", arg(0)?, arg(1)?, arg(2)?),
                }
            }
            F::Strpos => format!("CAST(POSITION({} IN {}) AS BIGINT)", arg(1)?, arg(0)?),
            F::Div => format!("({} / {})", at(0)?, at(1)?),
            F::SafeDivide => {
                let l = if is_integer(&args[0].data_type()) {
                    format!("CAST({} AS DOUBLE)", arg(0)?)
                } else {
                    at(0)?
                };
                format!(
                    "CASE WHEN {} = 0 THEN NULL ELSE {l} / {} END",
                    at(1)?,
                    at(1)?
                )
            }
            F::Greatest | F::Least => {
                let cmp = if function == F::Greatest { ">=" } else { "<=" };
                let mut acc = at(0)?;
                for i in 1..a.len() {
                    let next = at(i)?;
                    acc = format!(
                        "(CASE WHEN {acc} IS NULL OR {next} IS NULL THEN NULL WHEN {acc} {cmp} {next} THEN {acc} ELSE {next} END)"
                    );
                }
                acc
            }
            F::If => format!(
                "CASE WHEN {} THEN {} ELSE {} END",
                arg(0)?,
                arg(1)?,
                arg(2)?
            ),
            F::Ifnull => format!("COALESCE({})", a.join(", ")),
            F::CurrentTimestamp => "CURRENT_TIMESTAMP".into(),
            F::CurrentDate => "CURRENT_DATE".into(),
            F::Timestamp => format!("CAST({} AS TIMESTAMP)", arg(0)?),
            F::Date => format!("CAST({} AS DATE)", arg(0)?),
            F::String => format!("CAST({} AS VARCHAR)", arg(0)?),
            F::TimestampAdd => format!("({} + {})", at(0)?, arg(1)?),
            F::TimestampSub => format!("({} - {})", at(0)?, arg(1)?),
            F::TimestampDiff => {
                let p = part(2)?;
                // Calcite's TIMESTAMPDIFF is a 32-bit INTEGER for every unit but
                // NANOSECOND (`SqlTimestampDiffFunction`), which overflows past
                // 24.8 days in milliseconds; Beam's times are whole milliseconds, so
                // the nanosecond difference divides exactly.
                match p {
                    DatePart::Microsecond => {
                        format!(
                            "(TIMESTAMPDIFF(NANOSECOND, {}, {}) / 1000)",
                            arg(1)?,
                            arg(0)?
                        )
                    }
                    DatePart::Millisecond => {
                        format!(
                            "(TIMESTAMPDIFF(NANOSECOND, {}, {}) / 1000000)",
                            arg(1)?,
                            arg(0)?
                        )
                    }
                    DatePart::Second | DatePart::Minute | DatePart::Hour | DatePart::Day => {
                        format!(
                            "CAST(TIMESTAMPDIFF({p}, {}, {}) AS BIGINT)",
                            arg(1)?,
                            arg(0)?
                        )
                    }
                    DatePart::DayOfWeek
                    | DatePart::DayOfYear
                    | DatePart::Week
                    | DatePart::Month
                    | DatePart::Quarter
                    | DatePart::Year
                    | DatePart::Date => {
                        return no(
                            &format!("Beam SQL counts {p} differences differently from BigQuery"),
                            "use DAY, HOUR, MINUTE, SECOND, MILLISECOND or MICROSECOND",
                        );
                    }
                }
            }
            F::TimestampTrunc => {
                let p = part(1)?;
                match p {
                    DatePart::Week | DatePart::DayOfWeek | DatePart::DayOfYear | DatePart::Date => {
                        return no(
                            &format!("Beam SQL truncates to {p} differently from BigQuery"),
                            "truncate to DAY, MONTH, QUARTER, YEAR or a unit of time",
                        );
                    }
                    DatePart::Microsecond
                    | DatePart::Millisecond
                    | DatePart::Second
                    | DatePart::Minute
                    | DatePart::Hour
                    | DatePart::Day
                    | DatePart::Month
                    | DatePart::Quarter
                    | DatePart::Year => format!("FLOOR({} TO {p})", arg(0)?),
                }
            }
            F::Extract => {
                let p = part(0)?;
                let field = match p {
                    DatePart::DayOfWeek => "DOW",
                    DatePart::DayOfYear => "DOY",
                    // The date of a timestamp (in UTC, as Beam's times are).
                    DatePart::Date => return Ok(format!("CAST({} AS DATE)", arg(1)?)),
                    DatePart::Week | DatePart::Millisecond | DatePart::Microsecond => {
                        return no(
                            &format!("Beam SQL's EXTRACT({p} …) differs from BigQuery's"),
                            "extract SECOND, MINUTE, HOUR, DAY, DAYOFWEEK, DAYOFYEAR, MONTH, QUARTER or YEAR",
                        );
                    }
                    DatePart::Second
                    | DatePart::Minute
                    | DatePart::Hour
                    | DatePart::Day
                    | DatePart::Month
                    | DatePart::Quarter
                    | DatePart::Year => p.name(),
                };
                format!("EXTRACT({field} FROM {})", arg(1)?)
            }
            F::TimestampSeconds => format!("TIMESTAMPADD(SECOND, {}, {epoch})", arg(0)?),
            F::TimestampMillis => format!("TIMESTAMPADD(MILLISECOND, {}, {epoch})", arg(0)?),
            F::TimestampMicros => format!("TIMESTAMPADD(MICROSECOND, {}, {epoch})", arg(0)?),
            // In nanoseconds (BIGINT, see TIMESTAMP_DIFF) divided down; seconds floor
            // as BigQuery's do for times before 1970.
            F::UnixSeconds => {
                let ns = format!("TIMESTAMPDIFF(NANOSECOND, {epoch}, {})", arg(0)?);
                format!(
                    "(({ns} - MOD(MOD({ns}, 1000000000) + 1000000000, 1000000000)) / 1000000000)"
                )
            }
            F::UnixMillis => format!(
                "(TIMESTAMPDIFF(NANOSECOND, {epoch}, {}) / 1000000)",
                arg(0)?
            ),
            F::UnixMicros => format!("(TIMESTAMPDIFF(NANOSECOND, {epoch}, {}) / 1000)", arg(0)?),
            F::RegexpContains | F::RegexpExtract | F::RegexpReplace => {
                return no(
                    &format!("Beam SQL has no {name}"),
                    "use LIKE, POSITION or SUBSTRING",
                );
            }
            F::FormatTimestamp | F::ParseTimestamp => {
                return no(
                    &format!("Beam SQL has no {name}"),
                    "use CAST(… AS VARCHAR) or CAST(… AS TIMESTAMP) with 'YYYY-MM-DD HH:MM:SS' text",
                );
            }
            F::IeeeDivide => {
                return no(
                    "Beam SQL has no IEEE_DIVIDE: dividing by zero fails the pipeline",
                    "use SAFE_DIVIDE",
                );
            }
        })
    }
}
