//! The index of a join's bounded side: row ids by key. A single INT64 key (the
//! common `customer_id` case) gets a compact table of plain integers, which stays
//! in cache far better than one of general keys.

use rustc_hash::FxHashMap;

use crate::value::{Key, KeyValues, Value};

/// Row ids by key; NULL keys are never indexed (they never match).
#[derive(Debug)]
pub enum JoinIndex {
    /// One INT64 key: key to a `(start, len)` range of `rows`.
    Ints {
        /// Key to range.
        map: FxHashMap<i64, (u32, u32)>,
        /// Row ids grouped by key, in row order within a key.
        rows: Vec<u32>,
    },
    /// Any other keys.
    Keys(FxHashMap<Key, Vec<u32>>),
}

impl JoinIndex {
    /// Indexes `(key, row id)` pairs, in row order.
    pub fn build(entries: Vec<(KeyValues, u32)>) -> Self {
        let ints = entries
            .iter()
            .all(|(k, _)| matches!(k.as_slice(), [Value::Int64(_)]));
        if !ints {
            let mut map: FxHashMap<Key, Vec<u32>> = FxHashMap::default();
            for (k, r) in entries {
                map.entry(Key(k)).or_default().push(r);
            }
            return Self::Keys(map);
        }
        let mut pairs: Vec<(i64, u32)> = entries
            .into_iter()
            .filter_map(|(k, r)| match k.as_slice() {
                [Value::Int64(i)] => Some((*i, r)),
                _ => None,
            })
            .collect();
        pairs.sort_by_key(|&(k, r)| (k, r));
        let mut map = FxHashMap::default();
        map.reserve(pairs.len());
        let mut rows = Vec::with_capacity(pairs.len());
        let mut i = 0;
        while i < pairs.len() {
            let key = pairs[i].0;
            let start = rows.len() as u32;
            while i < pairs.len() && pairs[i].0 == key {
                rows.push(pairs[i].1);
                i += 1;
            }
            map.insert(key, (start, rows.len() as u32 - start));
        }
        Self::Ints { map, rows }
    }

    /// The rows whose key equals `key` (numbers compare by value: 1.0 finds 1).
    pub fn get(&self, key: KeyValues) -> &[u32] {
        match self {
            Self::Ints { map, rows } => {
                let i = match key.as_slice() {
                    [Value::Int64(i)] => *i,
                    [Value::Float64(x)] if x.fract() == 0.0 && x.abs() < 9.2e18 => *x as i64,
                    [Value::Numeric(n)] if n % crate::value::NUMERIC_SCALE == 0 => {
                        (n / crate::value::NUMERIC_SCALE) as i64
                    }
                    _ => return &[],
                };
                match map.get(&i) {
                    Some(&(start, len)) => &rows[start as usize..(start + len) as usize],
                    None => &[],
                }
            }
            Self::Keys(map) => map.get(&Key(key)).map_or(&[], Vec::as_slice),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(v: Value) -> KeyValues {
        KeyValues::from_vec(vec![v])
    }

    #[test]
    fn integer_keys_find_their_rows_in_order() {
        let index = JoinIndex::build(vec![
            (key(Value::Int64(7)), 0),
            (key(Value::Int64(3)), 1),
            (key(Value::Int64(7)), 2),
        ]);
        assert!(matches!(index, JoinIndex::Ints { .. }));
        assert_eq!(index.get(key(Value::Int64(7))), &[0, 2]);
        assert_eq!(index.get(key(Value::Float64(3.0))), &[1]);
        assert_eq!(index.get(key(Value::Int64(4))), &[] as &[u32]);
        assert_eq!(index.get(key(Value::string("7"))), &[] as &[u32]);
    }

    #[test]
    fn other_keys_use_the_general_table() {
        let index = JoinIndex::build(vec![
            (key(Value::string("a")), 0),
            (key(Value::string("b")), 1),
        ]);
        assert!(matches!(index, JoinIndex::Keys(_)));
        assert_eq!(index.get(key(Value::string("b"))), &[1]);
    }
}
