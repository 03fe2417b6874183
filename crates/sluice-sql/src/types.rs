//! SQL data types (BigQuery's) and schema fields.

use std::fmt;

/// A BigQuery Standard SQL data type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DataType {
    /// `INT64` (`INTEGER` in schema JSON).
    Int64,
    /// `FLOAT64` (`FLOAT` in schema JSON).
    Float64,
    /// `NUMERIC`, a 38-digit decimal with 9 digits after the point.
    Numeric,
    /// `BIGNUMERIC`.
    BigNumeric,
    /// `BOOL` (`BOOLEAN` in schema JSON).
    Bool,
    /// `STRING`.
    String,
    /// `BYTES`.
    Bytes,
    /// `DATE`.
    Date,
    /// `DATETIME` (civil date and time, no zone).
    Datetime,
    /// `TIME`.
    Time,
    /// `TIMESTAMP` (an absolute instant).
    Timestamp,
    /// `INTERVAL`.
    Interval,
    /// `STRUCT<…>` (`RECORD` in schema JSON).
    Struct(Vec<Field>),
    /// `ARRAY<…>` (mode `REPEATED` in schema JSON).
    Array(Box<DataType>),
    /// The type of a bare `NULL` literal, which coerces to any type.
    Null,
}

impl DataType {
    /// Whether values of this type are numbers (INT64, FLOAT64, NUMERIC, BIGNUMERIC).
    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            Self::Int64 | Self::Float64 | Self::Numeric | Self::BigNumeric | Self::Null
        )
    }

    /// Whether values can be compared with `<`, `>` (everything but structs and arrays).
    pub fn is_orderable(&self) -> bool {
        !matches!(self, Self::Struct(_) | Self::Array(_))
    }

    /// Whether values can be compared with `=` (everything but arrays).
    pub fn is_equatable(&self) -> bool {
        !matches!(self, Self::Array(_))
    }

    /// Whether this is a date/time type usable as an event time.
    pub fn is_temporal(&self) -> bool {
        matches!(
            self,
            Self::Date | Self::Datetime | Self::Time | Self::Timestamp
        )
    }

    /// Parses a type name as written in schema JSON or in `CAST(x AS T)`.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_uppercase().as_str() {
            "INT64" | "INTEGER" | "INT" | "SMALLINT" | "BIGINT" | "TINYINT" | "BYTEINT" => {
                Self::Int64
            }
            "FLOAT64" | "FLOAT" => Self::Float64,
            "NUMERIC" | "DECIMAL" => Self::Numeric,
            "BIGNUMERIC" | "BIGDECIMAL" => Self::BigNumeric,
            "BOOL" | "BOOLEAN" => Self::Bool,
            "STRING" => Self::String,
            "BYTES" => Self::Bytes,
            "DATE" => Self::Date,
            "DATETIME" => Self::Datetime,
            "TIME" => Self::Time,
            "TIMESTAMP" => Self::Timestamp,
            "INTERVAL" => Self::Interval,
            _ => return None,
        })
    }

    /// The smallest type both `a` and `b` coerce to, following BigQuery's
    /// supertype rules (INT64 → NUMERIC → BIGNUMERIC → FLOAT64; NULL to anything).
    pub fn common_supertype(a: &DataType, b: &DataType) -> Option<DataType> {
        use DataType::*;
        if a == b {
            return Some(a.clone());
        }
        let rank = |t: &DataType| match t {
            Int64 => Some(0),
            Numeric => Some(1),
            BigNumeric => Some(2),
            Float64 => Some(3),
            _ => None,
        };
        match (a, b) {
            (Null, t) | (t, Null) => Some(t.clone()),
            (Date, Datetime) | (Datetime, Date) => Some(Datetime),
            (Array(x), Array(y)) => DataType::common_supertype(x, y).map(|t| Array(Box::new(t))),
            _ => match (rank(a), rank(b)) {
                (Some(x), Some(y)) => Some(if x >= y { a.clone() } else { b.clone() }),
                _ => None,
            },
        }
    }

    /// Whether a value of type `self` may be passed where `target` is expected
    /// without an explicit cast (BigQuery's implicit coercions).
    pub fn coerces_to(&self, target: &DataType) -> bool {
        DataType::common_supertype(self, target).as_ref() == Some(target)
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Int64 => f.write_str("INT64"),
            Self::Float64 => f.write_str("FLOAT64"),
            Self::Numeric => f.write_str("NUMERIC"),
            Self::BigNumeric => f.write_str("BIGNUMERIC"),
            Self::Bool => f.write_str("BOOL"),
            Self::String => f.write_str("STRING"),
            Self::Bytes => f.write_str("BYTES"),
            Self::Date => f.write_str("DATE"),
            Self::Datetime => f.write_str("DATETIME"),
            Self::Time => f.write_str("TIME"),
            Self::Timestamp => f.write_str("TIMESTAMP"),
            Self::Interval => f.write_str("INTERVAL"),
            Self::Null => f.write_str("NULL"),
            Self::Array(inner) => write!(f, "ARRAY<{inner}>"),
            Self::Struct(fields) => {
                f.write_str("STRUCT<")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{} {}", field.name, field.data_type)?;
                }
                f.write_str(">")
            }
        }
    }
}

/// Whether a field may hold NULL, must not, or holds an array (BigQuery's `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// May be NULL.
    #[default]
    Nullable,
    /// Never NULL.
    Required,
    /// An array of the field's type (the field's `data_type` is then `ARRAY<…>`).
    Repeated,
}

impl Mode {
    /// The mode's name in schema JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nullable => "NULLABLE",
            Self::Required => "REQUIRED",
            Self::Repeated => "REPEATED",
        }
    }
}

/// A named, typed column of a source or a result.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Field {
    /// The column name as declared.
    pub name: String,
    /// Its type; `ARRAY<T>` when the mode is `REPEATED`.
    pub data_type: DataType,
    /// NULLABLE, REQUIRED or REPEATED.
    pub mode: Mode,
    /// The description from the schema, possibly empty.
    pub description: String,
}

impl Field {
    /// A NULLABLE field without description.
    pub fn new(name: impl Into<String>, data_type: DataType) -> Self {
        Self {
            name: name.into(),
            data_type,
            mode: Mode::Nullable,
            description: String::new(),
        }
    }

    /// The same field with another mode.
    pub fn with_mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// The type as BigQuery's schema JSON names it for this field (the element type when REPEATED).
    pub fn schema_type_name(&self) -> String {
        match (&self.data_type, self.mode) {
            (DataType::Array(inner), Mode::Repeated) => schema_name(inner),
            (t, _) => schema_name(t),
        }
    }
}

fn schema_name(t: &DataType) -> String {
    match t {
        DataType::Struct(_) => "RECORD".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::DataType::*;
    use super::*;

    #[test]
    fn supertypes_follow_bigquery() {
        assert_eq!(DataType::common_supertype(&Int64, &Float64), Some(Float64));
        assert_eq!(DataType::common_supertype(&Int64, &Numeric), Some(Numeric));
        assert_eq!(DataType::common_supertype(&Null, &String), Some(String));
        assert_eq!(DataType::common_supertype(&String, &Int64), None);
        assert!(Int64.coerces_to(&Float64));
        assert!(!Float64.coerces_to(&Int64));
    }

    #[test]
    fn names_round_trip() {
        for name in [
            "INT64",
            "FLOAT64",
            "NUMERIC",
            "BIGNUMERIC",
            "BOOL",
            "STRING",
            "BYTES",
            "DATE",
            "DATETIME",
            "TIME",
            "TIMESTAMP",
        ] {
            assert_eq!(
                DataType::from_name(name).map(|t| t.to_string()).as_deref(),
                Some(name)
            );
        }
        assert_eq!(DataType::from_name("integer"), Some(Int64));
        assert_eq!(DataType::from_name("RECORDS"), None);
    }
}
