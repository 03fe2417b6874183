//! Literals and types in Calcite's spelling.

use sluice_sql::literal as text;

use super::*;

pub(super) fn is_integer(t: &DataType) -> bool {
    matches!(t, DataType::Int64)
}

/// The Calcite type name for a BigQuery type.
pub fn calcite_type(t: &DataType) -> Result<&'static str> {
    Ok(match t {
        DataType::Bool => "BOOLEAN",
        DataType::Int64 | DataType::Null => "BIGINT",
        DataType::Float64 => "DOUBLE",
        // Calcite's bare DECIMAL has scale 0 (a NUMERIC would lose its fraction);
        // NUMERIC is 38 digits, 9 after the point, within Beam's type system
        // (`BeamRelDataTypeSystem`: precision and scale at most 38).
        DataType::Numeric => "DECIMAL(38, 9)",
        DataType::String => "VARCHAR",
        DataType::Bytes => "VARBINARY",
        DataType::Date => "DATE",
        DataType::Time => "TIME",
        DataType::Datetime | DataType::Timestamp => "TIMESTAMP",
        DataType::BigNumeric => {
            return Err(Unsupported::new(
                "Beam SQL's decimals have at most 38 digits (BeamRelDataTypeSystem); a BIGNUMERIC has 76",
                "use NUMERIC",
            ));
        }
        other => {
            return Err(Unsupported::new(
                format!("Beam SQL cannot CAST to {other}"),
                "cast to a scalar type",
            ));
        }
    })
}

/// A Calcite interval literal for `micros`: the largest unit that divides it.
pub(super) fn interval(micros: i64) -> Result<String> {
    const UNITS: [(i64, &str); 4] = [
        (86_400_000_000, "DAY"),
        (3_600_000_000, "HOUR"),
        (60_000_000, "MINUTE"),
        (1_000_000, "SECOND"),
    ];
    if micros <= 0 {
        return Err(Unsupported::new(
            "Beam SQL needs a positive interval",
            "use an interval of at least one millisecond",
        ));
    }
    for (size, unit) in UNITS {
        if micros % size == 0 {
            return Ok(format!("INTERVAL '{}' {unit}", micros / size));
        }
    }
    if micros % 1_000 != 0 {
        return Err(Unsupported::new(
            "Beam SQL intervals are whole milliseconds",
            "use an interval in milliseconds or larger units",
        ));
    }
    Ok(format!(
        "INTERVAL '{}.{:03}' SECOND",
        micros / 1_000_000,
        (micros % 1_000_000) / 1_000
    ))
}

fn string_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub(super) fn literal(value: &Literal, data_type: &DataType) -> Result<String> {
    Ok(match value {
        Literal::Null => match data_type {
            // Calcite's bare NULL has type NULL, which Beam cannot map; BigQuery's
            // untyped NULL is an INT64.
            DataType::Null => "CAST(NULL AS BIGINT)".into(),
            t => format!("CAST(NULL AS {})", calcite_type(t)?),
        },
        Literal::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        Literal::Int64(i) => i.to_string(),
        // A Calcite literal with an exponent is a DOUBLE; without, a DECIMAL. A
        // BigQuery float literal is a FLOAT64, so it is always written with one.
        Literal::Float64(x) if x.is_finite() => format!("{x:E}"),
        Literal::Float64(_) => {
            return Err(Unsupported::new(
                "Beam SQL has no literal for infinity or NaN",
                "compare against a large finite number instead",
            ));
        }
        Literal::String(s) => string_literal(s),
        Literal::Bytes(b) => {
            let mut s = String::from("X'");
            for byte in b {
                let _ = write!(s, "{byte:02X}");
            }
            s.push('\'');
            s
        }
        // Calcite's TIMESTAMP has no zone; Beam reads it as UTC, as the plan's
        // value is.
        Literal::Timestamp(us) | Literal::Datetime(us) => {
            format!("TIMESTAMP '{}'", text::format_civil(*us, b' '))
        }
        Literal::Date(days) => format!("DATE '{}'", text::format_days(*days)),
        Literal::Time(us) => format!("TIME '{}'", text::format_time(*us)),
        Literal::Numeric(n) | Literal::BigNumeric(n) => format!(
            "CAST({} AS {})",
            string_literal(&text::format_numeric(*n)),
            calcite_type(data_type)?
        ),
        Literal::IntervalMicros(us) => interval(*us)?,
        // Read by the function it belongs to (`function`'s `part`), never as a value.
        Literal::DatePart(p) => p.name().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_use_the_largest_whole_unit() {
        assert_eq!(interval(60_000_000).as_deref(), Ok("INTERVAL '1' MINUTE"));
        assert_eq!(interval(90_000_000).as_deref(), Ok("INTERVAL '90' SECOND"));
        assert_eq!(
            interval(86_400_000_000 * 2).as_deref(),
            Ok("INTERVAL '2' DAY")
        );
        assert_eq!(
            interval(1_500_000).as_deref(),
            Ok("INTERVAL '1.500' SECOND")
        );
        assert!(interval(1_500).is_err());
        assert!(interval(0).is_err());
    }

    #[test]
    fn literals_take_calcite_spellings() {
        let s = |v: Literal, t: DataType| literal(&v, &t).expect("a literal");
        assert_eq!(
            s(Literal::String("it's".into()), DataType::String),
            "'it''s'"
        );
        assert_eq!(
            s(
                Literal::Timestamp(1_609_459_200_000_000),
                DataType::Timestamp
            ),
            "TIMESTAMP '2021-01-01 00:00:00'"
        );
        assert_eq!(
            s(Literal::Date(18_690), DataType::Date),
            "DATE '2021-03-04'"
        );
        assert_eq!(
            s(
                Literal::Timestamp(1_609_459_200_250_000),
                DataType::Timestamp
            ),
            "TIMESTAMP '2021-01-01 00:00:00.250000'"
        );
        assert_eq!(
            s(Literal::Time(45_296_000_000), DataType::Time),
            "TIME '12:34:56'"
        );
        assert_eq!(
            s(Literal::Numeric(-12_500_000_000), DataType::Numeric),
            "CAST('-12.5' AS DECIMAL(38, 9))"
        );
        assert_eq!(s(Literal::Null, DataType::Int64), "CAST(NULL AS BIGINT)");
        assert_eq!(s(Literal::Bytes(vec![0xab, 1]), DataType::Bytes), "X'AB01'");
        assert_eq!(s(Literal::Float64(1e300), DataType::Float64), "1E300");
        assert!(literal(&Literal::Float64(f64::NAN), &DataType::Float64).is_err());
    }
}
