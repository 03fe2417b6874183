//! Provenance: which stream events and which bounded rows an output (or a dropped
//! tuple) came from, kept small so that recording it costs next to nothing.

use std::sync::Arc;

use crate::value::Value;

/// How many ids one list keeps; an aggregate over more inputs keeps the first ones
/// and counts the rest in [`Prov::omitted`].
pub const LINEAGE_CAP: usize = 10_000;

/// None, one or many ids, without allocating for zero or one.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Ids<T> {
    /// No id.
    #[default]
    None,
    /// One id.
    One(T),
    /// Several ids.
    Many(Arc<[T]>),
}

impl<T: Clone> Ids<T> {
    /// The ids as a vector.
    pub fn to_vec(&self) -> Vec<T> {
        match self {
            Self::None => Vec::new(),
            Self::One(x) => vec![x.clone()],
            Self::Many(xs) => xs.to_vec(),
        }
    }

    /// How many ids there are.
    pub fn len(&self) -> usize {
        match self {
            Self::None => 0,
            Self::One(_) => 1,
            Self::Many(xs) => xs.len(),
        }
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` on each id.
    pub fn for_each(&self, mut f: impl FnMut(&T)) {
        match self {
            Self::None => {}
            Self::One(x) => f(x),
            Self::Many(xs) => xs.iter().for_each(f),
        }
    }

    /// Both lists, this one first.
    pub fn concat(&self, other: &Self) -> Self {
        match (self, other) {
            (Self::None, o) => o.clone(),
            (s, Self::None) => s.clone(),
            _ => {
                let mut v = self.to_vec();
                v.extend(other.to_vec());
                v.truncate(LINEAGE_CAP);
                Self::from_vec(v)
            }
        }
    }

    /// From a vector.
    pub fn from_vec(mut v: Vec<T>) -> Self {
        match v.len() {
            0 => Self::None,
            1 => Self::One(v.remove(0)),
            _ => Self::Many(v.into()),
        }
    }
}

impl Ids<Value> {
    /// The values as SQL text, comma-separated.
    pub fn text(&self) -> String {
        self.to_vec()
            .iter()
            .map(|v| match v {
                Value::String(s) => format!("'{s}'"),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A row of an operator's materialized (bounded) output: `rows[row]` of node `node`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RowRef {
    /// The operator's id (its position in EXPLAIN order).
    pub node: u32,
    /// The row's index in that operator's output.
    pub row: u32,
}

/// Where a tuple came from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Prov {
    /// Indices of the stream events (0-based, in push order).
    pub events: Ids<u32>,
    /// Bounded rows: scan rows, or rows of a materialized operator joined in.
    pub rows: Ids<RowRef>,
    /// How many more inputs an aggregate had beyond the cap.
    pub omitted: u64,
}

impl Prov {
    /// One stream event.
    pub fn event(i: u32) -> Self {
        Self {
            events: Ids::One(i),
            ..Self::default()
        }
    }

    /// One bounded row.
    pub fn row(r: RowRef) -> Self {
        Self {
            rows: Ids::One(r),
            ..Self::default()
        }
    }

    /// The provenance of a tuple made of both.
    pub fn join(&self, other: &Self) -> Self {
        Self {
            events: self.events.concat(&other.events),
            rows: self.rows.concat(&other.rows),
            omitted: self.omitted + other.omitted,
        }
    }
}

/// Collects the provenance of many tuples (an aggregate's group), up to the cap.
#[derive(Debug, Clone, Default)]
pub struct ProvSet {
    events: Vec<u32>,
    rows: Vec<RowRef>,
    omitted: u64,
}

impl ProvSet {
    /// Adds one tuple's provenance.
    pub fn add(&mut self, p: &Prov) {
        add_capped(&mut self.events, &p.events, &mut self.omitted);
        add_capped(&mut self.rows, &p.rows, &mut self.omitted);
        self.omitted += p.omitted;
    }

    /// Adds bounded rows' references, in order (up to the cap; the rest counted).
    pub fn add_rows(&mut self, rows: &[RowRef]) {
        let room = LINEAGE_CAP.saturating_sub(self.rows.len()).min(rows.len());
        self.rows.extend_from_slice(&rows[..room]);
        self.omitted += (rows.len() - room) as u64;
    }

    /// Adds another set (merging sessions).
    pub fn merge(&mut self, other: ProvSet) {
        let events = Ids::from_vec(other.events);
        let rows = Ids::from_vec(other.rows);
        add_capped(&mut self.events, &events, &mut self.omitted);
        add_capped(&mut self.rows, &rows, &mut self.omitted);
        self.omitted += other.omitted;
    }

    /// The collected provenance.
    pub fn finish(self) -> Prov {
        Prov {
            events: Ids::from_vec(self.events),
            rows: Ids::from_vec(self.rows),
            omitted: self.omitted,
        }
    }

    /// The stream events collected so far.
    pub fn events(&self) -> &[u32] {
        &self.events
    }
}

fn add_capped<T: Clone>(into: &mut Vec<T>, ids: &Ids<T>, omitted: &mut u64) {
    ids.for_each(|x| {
        if into.len() < LINEAGE_CAP {
            into.push(x.clone());
        } else {
            *omitted += 1;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_past_the_cap_are_counted_not_kept() {
        let refs: Vec<RowRef> = (0..LINEAGE_CAP as u32 + 5)
            .map(|row| RowRef { node: 3, row })
            .collect();
        let mut set = ProvSet::default();
        set.add(&Prov::row(RowRef { node: 3, row: 99 }));
        set.add_rows(&refs[..10]);
        set.add_rows(&refs[10..]);
        let prov = set.finish();
        assert_eq!(prov.rows.len(), LINEAGE_CAP);
        assert_eq!(prov.omitted, 6);
        let kept = prov.rows.to_vec();
        assert_eq!(kept[0].row, 99);
        assert_eq!(kept[1].row, 0);
        assert_eq!(kept[LINEAGE_CAP - 1].row, LINEAGE_CAP as u32 - 2);
    }
}
