//! A bounded table's rows, held flat: a row's values side by side, rows in chunks.
//! A million rows are a few hundred allocations rather than a million, and carry no
//! per-row header (24 bytes a row, a fifth of a four-column row).

use crate::value::{Row, Value};

/// Rows in one chunk: small enough that the last, partly filled chunk wastes little,
/// large enough that chunks are few.
const CHUNK_ROWS: usize = 4096;

/// Rows of `width` values each, in the order they were pushed.
#[derive(Debug, Clone, Default)]
pub struct Table {
    width: usize,
    len: usize,
    /// Full chunks hold `CHUNK_ROWS * width` values; the last may hold fewer.
    chunks: Vec<Vec<Value>>,
}

impl Table {
    /// An empty table of rows `width` values wide.
    pub fn new(width: usize) -> Self {
        Self {
            width,
            len: 0,
            chunks: Vec::new(),
        }
    }

    /// A table of these rows, each cut or padded with NULLs to `width`.
    pub fn from_rows(width: usize, rows: impl IntoIterator<Item = Row>) -> Self {
        let mut table = Self::new(width);
        for row in rows {
            table.push(row);
        }
        table
    }

    /// Appends a row, cut or padded with NULLs to the table's width.
    pub fn push(&mut self, row: impl IntoIterator<Item = Value>) {
        let width = self.width;
        let chunk = match self.chunks.last_mut() {
            Some(chunk) if chunk.len() + width <= CHUNK_ROWS * width => chunk,
            _ => {
                self.chunks.push(Vec::new());
                let Some(chunk) = self.chunks.last_mut() else {
                    return;
                };
                chunk
            }
        };
        let start = chunk.len();
        chunk.extend(row.into_iter().take(width));
        chunk.resize(start + width, Value::Null);
        self.len += 1;
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Values a row.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Row `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<&[Value]> {
        if i >= self.len {
            return None;
        }
        if self.width == 0 {
            return Some(&[]);
        }
        let at = (i % CHUNK_ROWS) * self.width;
        self.chunks.get(i / CHUNK_ROWS)?.get(at..at + self.width)
    }

    /// The rows in order.
    pub fn iter(&self) -> impl Iterator<Item = &[Value]> {
        (0..self.len).map(|i| self.get(i).unwrap_or_default())
    }
}

impl std::ops::Index<usize> for Table {
    type Output = [Value];

    /// Row `i`; panics past the end, as a slice does.
    fn index(&self, i: usize) -> &[Value] {
        match self.get(i) {
            Some(row) => row,
            None => panic!("row {i} of a table of {} rows", self.len),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(i: i64) -> Row {
        vec![Value::Int64(i), Value::string(&format!("r{i}"))]
    }

    #[test]
    fn rows_come_back_in_order_across_chunks() {
        let n = CHUNK_ROWS * 2 + 3;
        let table = Table::from_rows(2, (0..n as i64).map(row));
        assert_eq!(table.len(), n);
        for i in [0, 1, CHUNK_ROWS - 1, CHUNK_ROWS, CHUNK_ROWS + 1, n - 1] {
            assert_eq!(table.get(i), Some(&row(i as i64)[..]), "row {i}");
        }
        assert_eq!(table.get(n), None);
        let all: Vec<&[Value]> = table.iter().collect();
        assert_eq!(all.len(), n);
        assert_eq!(all[CHUNK_ROWS + 2], &row(CHUNK_ROWS as i64 + 2)[..]);
    }

    #[test]
    fn short_rows_are_padded_and_long_ones_cut() {
        let table = Table::from_rows(
            2,
            [
                vec![Value::Int64(1)],
                vec![Value::Int64(2), Value::Bool(true), Value::Int64(9)],
            ],
        );
        assert_eq!(table.get(0), Some(&[Value::Int64(1), Value::Null][..]));
        assert_eq!(
            table.get(1),
            Some(&[Value::Int64(2), Value::Bool(true)][..])
        );
    }

    #[test]
    fn zero_width_rows_are_still_counted() {
        let table = Table::from_rows(0, [vec![], vec![Value::Int64(1)]]);
        assert_eq!(table.len(), 2);
        assert_eq!(table.get(1), Some(&[][..]));
        assert_eq!(table.iter().count(), 2);
    }
}
