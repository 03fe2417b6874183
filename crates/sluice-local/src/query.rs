//! The read-only SQL view of the local database, bounded in rows, bytes and time.

use super::*;

impl Local {
    /// Runs one read-only SQL statement on the local database: at most `max_rows`
    /// rows, at most two seconds, no value over [`MAX_SQL_VALUE`] bytes (SQLite
    /// refuses to make one, so a huge blob costs nothing) and at most
    /// [`MAX_SQL_RESULT`] bytes of values in all (the rest is left out, as rows
    /// over `max_rows` are).
    pub fn query(&self, sql: &str, max_rows: usize) -> Result<QueryResult, LocalError> {
        let conn = Connection::open_with_flags(
            &self.inner.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.set_limit(
            rusqlite::limits::Limit::SQLITE_LIMIT_LENGTH,
            MAX_SQL_VALUE as i32,
        )?;
        conn.busy_timeout(Duration::from_secs(2))?;
        let started = std::time::Instant::now();
        conn.progress_handler(
            10_000,
            Some(move || started.elapsed() > Duration::from_secs(2)),
        );
        // Reading statements only (SQLite counts ATTACH as read-only: it is not).
        let first = sql
            .trim_start()
            .split(|c: char| !c.is_ascii_alphabetic())
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        if !matches!(first.as_str(), "SELECT" | "WITH" | "VALUES" | "EXPLAIN") {
            return Err(LocalError::Invalid(
                "only SELECT (or WITH, VALUES, EXPLAIN) queries are allowed here".into(),
            ));
        }
        let mut stmt = conn
            .prepare(sql)
            .map_err(|e| LocalError::Invalid(e.to_string()))?;
        if !stmt.readonly() {
            return Err(LocalError::Invalid(
                "only queries that read are allowed here".into(),
            ));
        }
        let columns: Vec<String> = stmt
            .column_names()
            .iter()
            .map(|c| (*c).to_owned())
            .collect();
        let mut rows = stmt
            .query([])
            .map_err(|e| LocalError::Invalid(e.to_string()))?;
        let mut out = Vec::new();
        let mut truncated = false;
        let mut bytes = 0usize;
        while let Some(row) = rows
            .next()
            .map_err(|e| LocalError::Invalid(e.to_string()))?
        {
            if out.len() >= max_rows {
                truncated = true;
                break;
            }
            let mut values = Vec::with_capacity(columns.len());
            for i in 0..columns.len() {
                let v = row.get_ref(i)?;
                bytes += match v {
                    rusqlite::types::ValueRef::Text(t) => t.len(),
                    // Base64 in the answer.
                    rusqlite::types::ValueRef::Blob(b) => b.len() / 3 * 4 + 4,
                    _ => 8,
                };
                if bytes > MAX_SQL_RESULT {
                    break;
                }
                values.push(store::from_sql(v, None));
            }
            if bytes > MAX_SQL_RESULT {
                truncated = true;
                break;
            }
            out.push(values);
        }
        Ok(QueryResult {
            columns,
            rows: out,
            truncated,
        })
    }
}
