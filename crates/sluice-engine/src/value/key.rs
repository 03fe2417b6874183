//! Grouping and join keys: values that hash and compare as BigQuery groups them
//! (numbers by value across types, NULLs together).

use super::*;

/// A grouping or join key: values that hash and compare as `GROUP BY` groups them
/// (NULLs together, NaNs together, -0.0 with 0.0).
#[derive(Debug, Clone)]
pub struct Key(pub KeyValues);

/// A key's values: one value is stored inline, without allocating.
pub type KeyValues = smallvec::SmallVec<[Value; 1]>;

impl Key {
    /// A key of these values.
    pub fn new(values: Vec<Value>) -> Self {
        Self(KeyValues::from_vec(values))
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && self.0.iter().zip(&other.0).all(|(a, b)| same_group(a, b))
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for v in &self.0 {
            hash_value(v, state);
        }
    }
}

/// Whether two values fall into the same group.
#[inline]
pub fn same_group(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int64(x), Value::Int64(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        _ => compare(a, b) == Some(Ordering::Equal),
    }
}

/// Hashes consistently with [`same_group`]: numbers hash by their value, whatever
/// their type, so an INT64 key meets an equal FLOAT64 key.
#[inline]
pub fn hash_value<H: Hasher>(v: &Value, state: &mut H) {
    match v {
        Value::Null => state.write_u8(0),
        Value::Int64(i) => {
            // As hash_number with an exact integer.
            state.write_u8(1);
            state.write_i64(*i);
        }
        Value::Float64(x) => {
            let exact = (x.fract() == 0.0 && x.abs() < 9.2e18).then_some(*x as i64);
            hash_number(*x, exact, state)
        }
        Value::Numeric(n) => {
            let n = n.get();
            let exact = (n % NUMERIC_SCALE == 0).then_some((n / NUMERIC_SCALE) as i64);
            hash_number(n as f64 / NUMERIC_SCALE as f64, exact, state)
        }
        Value::Bool(b) => {
            state.write_u8(2);
            state.write_u8(u8::from(*b));
        }
        Value::String(s) => {
            state.write_u8(3);
            state.write(s.as_bytes());
            state.write_u8(0xff);
        }
        Value::Bytes(b) => {
            state.write_u8(4);
            state.write(b);
            state.write_u8(0xff);
        }
        // A DATE equals the DATETIME at its midnight.
        Value::Date(d) => {
            state.write_u8(5);
            state.write_i64(*d as i64 * MICROS_PER_DAY);
        }
        Value::Datetime(t) => {
            state.write_u8(5);
            state.write_i64(*t);
        }
        Value::Time(t) => {
            state.write_u8(6);
            state.write_i64(*t);
        }
        Value::Timestamp(t) => {
            state.write_u8(7);
            state.write_i64(*t);
        }
        Value::Interval(t) => {
            state.write_u8(8);
            state.write_i64(*t);
        }
        Value::Struct(vs) | Value::Array(vs) => {
            state.write_u8(9);
            state.write_usize(vs.len());
            for v in vs.iter() {
                hash_value(v, state);
            }
        }
    }
}

fn hash_number<H: Hasher>(x: f64, exact: Option<i64>, state: &mut H) {
    state.write_u8(1);
    match exact {
        Some(i) => state.write_i64(i),
        None if x.is_nan() => state.write_u64(u64::MAX),
        None => state.write_u64(x.to_bits()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_group_numbers_by_value_and_nulls_together() {
        use std::collections::HashSet;
        let keys: HashSet<Key> = [
            Key::new(vec![Value::Int64(1)]),
            Key::new(vec![Value::Float64(1.0)]),
            Key::new(vec![Value::Null]),
            Key::new(vec![Value::Null]),
            Key::new(vec![Value::Float64(-0.0)]),
            Key::new(vec![Value::Float64(0.0)]),
        ]
        .into_iter()
        .collect();
        assert_eq!(keys.len(), 3);
    }
}
