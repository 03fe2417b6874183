//! A join's bounded side, indexed on its keys. The rows are stored once, in key
//! order and flat (`width` values a row), so a probe finds its key's rows in one
//! contiguous run. A single INT64 key over a dense range (the common `customer_id`
//! case) is looked up in a plain array, with no hashing; a sparse one in a table of
//! plain integers; any other key in a table of general keys.

use std::ops::Range;

use rustc_hash::FxHashMap;

use sluice_sql::literal::NUMERIC_SCALE;

use crate::value::{Key, KeyValues, Row, Value};

/// At most this many keys in the range per indexed row for the dense lookup: its
/// 1.5 bits a key in the range then cost at most 12 bytes a row.
const DENSE_SLOTS_PER_ROW: u64 = 64;
/// Ranges this small are always dense.
const DENSE_MIN_SLOTS: u64 = 4096;

/// A bounded input's rows, indexed on a join's key.
#[derive(Debug, Default)]
pub struct JoinIndex {
    lookup: Lookup,
    /// The rows, `width` values a row, in key order: rows of one key together, in
    /// their input order; the rows whose key is NULL (never matched) last. A row is
    /// known by its position here.
    values: Vec<Value>,
    width: usize,
    /// How many rows.
    len: usize,
    /// How many rows have a non-NULL key (the first positions).
    matchable: u32,
}

/// Key to the range of positions holding its rows.
#[derive(Debug, Default)]
enum Lookup {
    /// No key columns: every row matches, positions `0..n`.
    #[default]
    All,
    /// One INT64 key in `min..min + slots`, as a bit for each key with rows; the
    /// keys with rows below `k` (its rank) come from `ranks` and one word of bits.
    /// This stays in cache where a table would not: a probe goes to memory only
    /// for the rows it finds.
    Dense {
        min: i64,
        slots: u64,
        present: Vec<u64>,
        /// Keys with rows before each word of `present`.
        ranks: Vec<u32>,
        /// Where a key may have several rows: the rows of the key of rank `r` are
        /// at `starts[r]..starts[r + 1]`. Empty when every key has one row: its
        /// position is then its rank.
        starts: Vec<u32>,
    },
    /// One INT64 key: key to `(start, end)`.
    Ints(FxHashMap<i64, (u32, u32)>),
    /// Any other keys.
    Keys(FxHashMap<Key, (u32, u32)>),
}

impl JoinIndex {
    /// Indexes `rows` (each given `width` values: missing ones NULL, extra ones
    /// dropped) on `keys`, one per row: `None` for a NULL key, which never matches.
    /// Also gives, for each position, the input row now there.
    pub fn build(rows: Vec<Row>, keys: Vec<Option<KeyValues>>, width: usize) -> (Self, Vec<u32>) {
        let n = rows.len();
        let keyed: Vec<(KeyValues, u32)> = keys
            .into_iter()
            .enumerate()
            .filter_map(|(r, k)| Some((k?, r as u32)))
            .collect();
        let matchable = keyed.len() as u32;
        let (lookup, mut order) = if keyed.iter().all(|(k, _)| k.is_empty()) {
            let order = keyed.iter().map(|&(_, r)| r).collect();
            (Lookup::All, order)
        } else if let Some(ints) = keyed
            .iter()
            .map(|(k, r)| match k.as_slice() {
                [Value::Int64(i)] => Some((*i, *r)),
                _ => None,
            })
            .collect::<Option<Vec<(i64, u32)>>>()
        {
            int_lookup(ints)
        } else {
            key_lookup(keyed)
        };
        // The rows with NULL keys, last: lineage may still name them.
        let mut placed = vec![false; n];
        for &r in &order {
            placed[r as usize] = true;
        }
        order.extend((0..n as u32).filter(|&r| !placed[r as usize]));
        let mut rows = rows;
        let mut values = Vec::with_capacity(n * width);
        for &r in &order {
            let mut row = std::mem::take(&mut rows[r as usize]);
            row.resize(width, Value::Null);
            values.append(&mut row);
        }
        let index = Self {
            lookup,
            values,
            width,
            len: n,
            matchable,
        };
        (index, order)
    }

    /// The positions of the rows whose key equals `key` (numbers compare by value:
    /// 1.0 finds 1). The caller leaves out NULL keys, which match nothing.
    #[inline]
    pub fn probe(&self, key: &[Value]) -> Range<u32> {
        let (start, end) = match &self.lookup {
            Lookup::All => return 0..self.matchable,
            Lookup::Dense {
                min,
                slots,
                present,
                ranks,
                starts,
            } => {
                let Some(i) = as_int(key) else { return 0..0 };
                let slot = i.wrapping_sub(*min) as u64;
                if slot >= *slots {
                    return 0..0;
                }
                let (word, bit) = ((slot / 64) as usize, slot % 64);
                let bits = present[word];
                if bits & (1 << bit) == 0 {
                    return 0..0;
                }
                let rank = ranks[word] + (bits & ((1 << bit) - 1)).count_ones();
                match starts.get(rank as usize..rank as usize + 2) {
                    Some(&[start, end]) => (start, end),
                    _ => (rank, rank + 1),
                }
            }
            Lookup::Ints(map) => match as_int(key).and_then(|i| map.get(&i)) {
                Some(&range) => range,
                None => return 0..0,
            },
            Lookup::Keys(map) => match map.get(&Key(key.iter().cloned().collect())) {
                Some(&range) => range,
                None => return 0..0,
            },
        };
        start..end
    }

    /// The row at `position` (one [`Self::probe`] gave).
    #[inline]
    pub fn at(&self, position: u32) -> &[Value] {
        let start = position as usize * self.width;
        &self.values[start..start + self.width]
    }

    /// The row at `position`, if there is one.
    pub fn row(&self, position: u32) -> Option<&[Value]> {
        ((position as usize) < self.len).then(|| self.at(position))
    }

    /// How many rows it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A one-value numeric key as the integer it equals, if it is one.
#[inline]
fn as_int(key: &[Value]) -> Option<i64> {
    match key {
        [Value::Int64(i)] => Some(*i),
        [Value::Float64(x)] if x.fract() == 0.0 && x.abs() < 9.2e18 => Some(*x as i64),
        [Value::Numeric(n)] if n.get() % NUMERIC_SCALE == 0 => {
            Some((n.get() / NUMERIC_SCALE) as i64)
        }
        _ => None,
    }
}

/// One INT64 key: a dense array when the keys' range is small enough, else a table.
fn int_lookup(mut pairs: Vec<(i64, u32)>) -> (Lookup, Vec<u32>) {
    pairs.sort_unstable();
    let order: Vec<u32> = pairs.iter().map(|&(_, r)| r).collect();
    let (Some(&(min, _)), Some(&(max, _))) = (pairs.first(), pairs.last()) else {
        return (Lookup::Ints(FxHashMap::default()), order);
    };
    let slots = (max as i128 - min as i128 + 1) as u128;
    let budget = (pairs.len() as u64)
        .saturating_mul(DENSE_SLOTS_PER_ROW)
        .max(DENSE_MIN_SLOTS);
    if slots <= budget as u128 {
        let slots = slots as u64;
        let mut present = vec![0u64; slots.div_ceil(64) as usize];
        // The first position of each key, in key order.
        let mut starts = Vec::new();
        for (p, &(k, _)) in pairs.iter().enumerate() {
            if p == 0 || pairs[p - 1].0 != k {
                let slot = (k - min) as u64;
                present[(slot / 64) as usize] |= 1 << (slot % 64);
                starts.push(p as u32);
            }
        }
        if starts.len() == pairs.len() {
            starts.clear();
        } else {
            starts.push(pairs.len() as u32);
        }
        let mut ranks = Vec::with_capacity(present.len());
        let mut below = 0;
        for word in &present {
            ranks.push(below);
            below += word.count_ones();
        }
        return (
            Lookup::Dense {
                min,
                slots,
                present,
                ranks,
                starts,
            },
            order,
        );
    }
    let mut map = FxHashMap::default();
    let mut i = 0;
    while i < pairs.len() {
        let start = i;
        while i < pairs.len() && pairs[i].0 == pairs[start].0 {
            i += 1;
        }
        map.insert(pairs[start].0, (start as u32, i as u32));
    }
    (Lookup::Ints(map), order)
}

/// General keys: rows grouped by key, keys in the order they first appear.
fn key_lookup(keyed: Vec<(KeyValues, u32)>) -> (Lookup, Vec<u32>) {
    let mut groups: FxHashMap<Key, Vec<u32>> = FxHashMap::default();
    let mut first_seen = Vec::new();
    for (k, r) in keyed {
        let key = Key(k);
        match groups.get_mut(&key) {
            Some(rows) => rows.push(r),
            None => {
                first_seen.push(key.clone());
                groups.insert(key, vec![r]);
            }
        }
    }
    let mut map = FxHashMap::default();
    let mut order = Vec::new();
    for key in first_seen {
        let rows = groups.remove(&key).unwrap_or_default();
        let start = order.len() as u32;
        order.extend(rows);
        map.insert(key, (start, order.len() as u32));
    }
    (Lookup::Keys(map), order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(v: Value) -> KeyValues {
        KeyValues::from_vec(vec![v])
    }

    /// Row ids and first values of the rows `key` finds.
    /// Input row ids and first values of the rows `key` finds.
    fn found((index, order): &(JoinIndex, Vec<u32>), k: Value) -> Vec<(u32, Value)> {
        index
            .probe(&key(k))
            .map(|p| (order[p as usize], index.at(p)[0].clone()))
            .collect()
    }

    fn rows_of(keys: &[Option<Value>]) -> (Vec<Row>, Vec<Option<KeyValues>>) {
        let rows = (0..keys.len())
            .map(|i| vec![Value::Int64(100 + i as i64)])
            .collect();
        (rows, keys.iter().map(|k| k.clone().map(key)).collect())
    }

    #[test]
    fn dense_integer_keys_find_their_rows_in_order() {
        let (rows, keys) = rows_of(&[
            Some(Value::Int64(7)),
            Some(Value::Int64(3)),
            None,
            Some(Value::Int64(7)),
        ]);
        let built = JoinIndex::build(rows, keys, 1);
        let index = &built.0;
        assert!(matches!(index.lookup, Lookup::Dense { .. }));
        assert_eq!(
            found(&built, Value::Int64(7)),
            [(0, Value::Int64(100)), (3, Value::Int64(103))]
        );
        assert_eq!(found(&built, Value::Float64(3.0)), [(1, Value::Int64(101))]);
        assert_eq!(
            found(&built, Value::numeric(3 * NUMERIC_SCALE)),
            [(1, Value::Int64(101))]
        );
        for missing in [
            Value::Int64(4),
            Value::Int64(2),
            Value::Int64(8),
            Value::Int64(i64::MIN),
            Value::Int64(i64::MAX),
            Value::Float64(3.5),
            Value::string("7"),
        ] {
            assert_eq!(found(&built, missing.clone()), [], "{missing:?}");
        }
        // The NULL-key row is kept for lineage, and never found.
        assert_eq!(built.1, [1, 0, 3, 2]);
        assert_eq!(index.row(3), Some(&[Value::Int64(102)][..]));
        assert_eq!(index.len(), 4);
        assert_eq!(index.row(4), None);
    }

    #[test]
    fn every_integer_lookup_finds_exactly_the_rows_of_its_key() {
        // Key sets over several words of bits: unique, repeated, negative, sparse.
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let sets: Vec<Vec<Option<i64>>> = vec![
            (0..500).map(|i| Some(i * 3 - 700)).collect(),
            (0..500).map(|_| Some(next(300) as i64)).collect(),
            (0..500)
                .map(|_| (next(10) > 0).then(|| next(1 << 40) as i64))
                .collect(),
            (0..500)
                .map(|i| Some(if i % 2 == 0 { i } else { 499 - i }))
                .collect(),
        ];
        for (n, set) in sets.iter().enumerate() {
            let keys: Vec<Option<Value>> = set.iter().map(|k| k.map(Value::Int64)).collect();
            let (rows, keys) = rows_of(&keys);
            let built = JoinIndex::build(rows, keys, 1);
            let probes = set
                .iter()
                .flatten()
                .flat_map(|k| [*k - 1, *k, *k + 1])
                .chain([i64::MIN, i64::MAX, 0]);
            for k in probes {
                let expected: Vec<(u32, Value)> = set
                    .iter()
                    .enumerate()
                    .filter(|(_, key)| **key == Some(k))
                    .map(|(r, _)| (r as u32, Value::Int64(100 + r as i64)))
                    .collect();
                assert_eq!(found(&built, Value::Int64(k)), expected, "set {n}, key {k}");
            }
        }
    }

    #[test]
    fn sparse_integer_keys_use_a_table() {
        let (rows, keys) = rows_of(&[
            Some(Value::Int64(i64::MIN)),
            Some(Value::Int64(i64::MAX)),
            Some(Value::Int64(0)),
        ]);
        let built = JoinIndex::build(rows, keys, 1);
        let index = &built.0;
        assert!(matches!(index.lookup, Lookup::Ints(_)));
        assert_eq!(
            found(&built, Value::Int64(i64::MAX)),
            [(1, Value::Int64(101))]
        );
        assert_eq!(found(&built, Value::Float64(0.0)), [(2, Value::Int64(102))]);
        assert_eq!(found(&built, Value::Int64(1)), []);
    }

    #[test]
    fn other_keys_use_the_general_table() {
        let (rows, keys) = rows_of(&[
            Some(Value::string("a")),
            Some(Value::string("b")),
            Some(Value::string("a")),
        ]);
        let built = JoinIndex::build(rows, keys, 1);
        let index = &built.0;
        assert!(matches!(index.lookup, Lookup::Keys(_)));
        assert_eq!(found(&built, Value::string("b")), [(1, Value::Int64(101))]);
        assert_eq!(
            found(&built, Value::string("a")),
            [(0, Value::Int64(100)), (2, Value::Int64(102))]
        );
        assert_eq!(found(&built, Value::Int64(1)), []);
    }

    #[test]
    fn without_keys_every_row_matches_and_rows_take_the_width() {
        let rows = vec![
            vec![Value::Int64(1)],
            vec![Value::Int64(2), Value::Int64(3)],
        ];
        let (index, _) = JoinIndex::build(rows, vec![Some(KeyValues::new()); 2], 2);
        assert_eq!(index.probe(&KeyValues::new()), 0..2);
        assert_eq!(index.at(0), &[Value::Int64(1), Value::Null]);
        assert_eq!(index.at(1), &[Value::Int64(2), Value::Int64(3)]);
    }

    #[test]
    fn an_empty_side_finds_nothing() {
        let (index, _) = JoinIndex::build(Vec::new(), Vec::new(), 3);
        assert_eq!(index.probe(&key(Value::Int64(1))), 0..0);
        assert!(index.is_empty());
    }
}
