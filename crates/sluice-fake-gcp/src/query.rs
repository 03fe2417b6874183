//! The fake's BigQuery queries (`jobs.query`, `jobs.getQueryResults`): GoogleSQL
//! only (BigQuery's default is legacy SQL, so a request must say
//! `useLegacySql: false`), over the tables it names in backquotes
//! (`` `p.d.t` ``), which must exist. A dry run says how many bytes the query
//! would process (here, the JSON size of every row of the tables it reads). A
//! query of one table is run by SQLite over that table's stored rows, so a filter
//! written in the SQL both share (comparisons, `AND`, `OR`, `IN`, `LIKE`, …)
//! selects rows as BigQuery would; `maximumBytesBilled` below what the query
//! bills fails it, as BigQuery does, without running it. Results are kept as a
//! job's and read a page at a time.

use serde_json::{Value, json};

use crate::State;
use crate::bigquery::cells;
use crate::http::error;
use crate::page;

/// A query job's results, kept for `getQueryResults`.
#[derive(Debug, Clone)]
pub(crate) struct QueryResults {
    schema: Value,
    rows: Vec<Value>,
    /// Answers still to say the job is running.
    polls_left: u32,
}

const MB: u64 = 1 << 20;

/// The tables `query` names as `` `p.d.t` ``.
fn tables(query: &str) -> Vec<String> {
    query
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|quoted| quoted.matches('.').count() == 2)
        .map(str::to_owned)
        .collect()
}

fn bytes_of(state: &State, table: &str) -> u64 {
    state.rows.get(table).map_or(0, |rows| {
        rows.iter()
            .map(|r| r["json"].to_string().len() as u64)
            .sum()
    })
}

/// `bigquery.jobs.query`.
pub(crate) fn query(state: &mut State, project: &str, body: &Value) -> (u16, Value) {
    if body["useLegacySql"] != false {
        return error(
            400,
            "INVALID_ARGUMENT",
            "the fake runs GoogleSQL only: useLegacySql must be false (BigQuery's default is legacy SQL)",
        );
    }
    let text = body["query"].as_str().unwrap_or_default();
    let named = tables(text);
    for table in &named {
        if !state.tables.contains_key(table) {
            return error(404, "NOT_FOUND", &format!("Not found: Table {table}"));
        }
    }
    let processed: u64 = named.iter().map(|t| bytes_of(state, t)).sum();
    if body["dryRun"] == true {
        return (
            200,
            json!({"kind": "bigquery#queryResponse", "jobComplete": true,
                   "totalBytesProcessed": processed.to_string()}),
        );
    }
    let billed = processed
        .div_ceil(MB)
        .saturating_mul(MB)
        .max(10 * MB * named.len().max(1) as u64);
    if let Some(limit) = body["maximumBytesBilled"]
        .as_str()
        .and_then(|s| s.parse::<u64>().ok())
        && billed > limit
    {
        return error(
            400,
            "INVALID_ARGUMENT",
            &format!(
                "Query exceeded limit for bytes billed: {limit}. {billed} or higher required."
            ),
        );
    }
    let [table] = named.as_slice() else {
        return error(
            501,
            "UNIMPLEMENTED",
            "the fake runs queries of one table only",
        );
    };
    let Some(fields) = state.tables[table]["schema"]["fields"].as_array().cloned() else {
        return error(400, "INVALID_ARGUMENT", &format!("{table} has no schema"));
    };
    let stored = state.rows.get(table).cloned().unwrap_or_default();
    let chosen = match run(text, table, &fields, &stored) {
        Ok(chosen) => chosen,
        Err(why) => return error(400, "INVALID_ARGUMENT", &why),
    };
    let micros = body["formatOptions"]["useInt64Timestamp"] == true;
    let rows: Vec<Value> = chosen
        .iter()
        .map(|&i| cells(&stored[i]["json"], &fields, micros))
        .collect();
    state.query_count += 1;
    let job_id = format!("job_fake_{}", state.query_count);
    let results = QueryResults {
        schema: json!({"fields": fields}),
        rows,
        polls_left: state.query_polls,
    };
    state.query_results.insert(job_id.clone(), results);
    let size = body["maxResults"].as_u64().map(|n| n.to_string());
    let params: Vec<(String, String)> = size
        .map(|n| vec![("maxResults".to_string(), n)])
        .unwrap_or_default();
    let mut answer = answer(state, project, &job_id, &params);
    answer.1["totalBytesProcessed"] = json!(processed.to_string());
    answer.1["totalBytesBilled"] = json!(billed.to_string());
    answer
}

/// `bigquery.jobs.getQueryResults`.
pub(crate) fn results(
    state: &mut State,
    project: &str,
    job_id: &str,
    query: &[(String, String)],
) -> (u16, Value) {
    if !state.query_results.contains_key(job_id) {
        return error(
            404,
            "NOT_FOUND",
            &format!("Not found: Job {project}:{job_id}"),
        );
    }
    answer(state, project, job_id, query)
}

/// A page of `job_id`'s results, or that it is still running.
fn answer(
    state: &mut State,
    project: &str,
    job_id: &str,
    query: &[(String, String)],
) -> (u16, Value) {
    let page_size = state.page_size;
    let Some(results) = state.query_results.get_mut(job_id) else {
        return error(
            404,
            "NOT_FOUND",
            &format!("Not found: Job {project}:{job_id}"),
        );
    };
    let reference = json!({"projectId": project, "jobId": job_id, "location": "US"});
    if results.polls_left > 0 {
        results.polls_left -= 1;
        return (
            200,
            json!({"kind": "bigquery#queryResponse", "jobReference": reference, "jobComplete": false}),
        );
    }
    let total = results.rows.len();
    let (rows, next) = page(results.rows.clone(), query, "maxResults", page_size);
    let mut answer = json!({
        "kind": "bigquery#queryResponse",
        "jobReference": reference,
        "jobComplete": true,
        "schema": results.schema,
        "totalRows": total.to_string(),
        "rows": rows,
    });
    if let Some(next) = next {
        answer["pageToken"] = json!(next);
    }
    (200, answer)
}

/// The positions of the stored rows `text` chooses, in order: SQLite runs it over
/// the rows, the table renamed and `SELECT *` made `SELECT` of each row's position.
fn run(text: &str, table: &str, fields: &[Value], stored: &[Value]) -> Result<Vec<usize>, String> {
    let sql = text.replacen(&format!("`{table}`"), "t", 1).replacen(
        "SELECT *",
        "SELECT \"__position\"",
        1,
    );
    let conn = rusqlite::Connection::open_in_memory().map_err(|e| e.to_string())?;
    let names: Vec<String> = fields
        .iter()
        .filter_map(|f| f["name"].as_str())
        .map(|n| format!("\"{}\"", n.replace('"', "\"\"")))
        .collect();
    conn.execute(
        &format!(
            "CREATE TABLE t (\"__position\" INTEGER, {})",
            names.join(", ")
        ),
        [],
    )
    .map_err(|e| e.to_string())?;
    let marks = vec!["?"; names.len() + 1].join(", ");
    let mut insert = conn
        .prepare(&format!("INSERT INTO t VALUES ({marks})"))
        .map_err(|e| e.to_string())?;
    for (i, row) in stored.iter().enumerate() {
        let mut values = vec![rusqlite::types::Value::Integer(i as i64)];
        for f in fields {
            let v = &row["json"][f["name"].as_str().unwrap_or_default()];
            values.push(match v {
                Value::Null => rusqlite::types::Value::Null,
                Value::Bool(b) => rusqlite::types::Value::Integer(i64::from(*b)),
                Value::Number(n) => match n.as_i64() {
                    Some(i) => rusqlite::types::Value::Integer(i),
                    None => rusqlite::types::Value::Real(n.as_f64().unwrap_or_default()),
                },
                Value::String(s) => rusqlite::types::Value::Text(s.clone()),
                other => rusqlite::types::Value::Text(other.to_string()),
            });
        }
        insert
            .execute(rusqlite::params_from_iter(values))
            .map_err(|e| e.to_string())?;
    }
    let mut select = conn.prepare(&sql).map_err(|e| format!("{e} in {sql}"))?;
    let chosen = select
        .query_map([], |r| r.get::<_, i64>(0))
        .map_err(|e| e.to_string())?
        .map(|r| r.map(|i| i as usize).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(chosen)
}
