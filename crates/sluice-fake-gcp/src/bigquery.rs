//! The fake's BigQuery: datasets and tables (insert, get, list, delete),
//! `insertAll`, `tabledata.list`; queries are in `query`.

use serde_json::{Value, json};

use crate::State;
use crate::discovery::Matched;
use crate::http::{error, query_param};
use crate::page;

/// Answers a BigQuery call.
pub(crate) fn serve(
    state: &mut State,
    m: &Matched,
    query: &[(String, String)],
    body: &Value,
) -> (u16, Value) {
    match m.method.id.as_str() {
        "bigquery.datasets.insert" => {
            let r = &body["datasetReference"];
            let project = r["projectId"].as_str().unwrap_or(m.param("projectsId"));
            let key = format!("{project}.{}", r["datasetId"].as_str().unwrap_or_default());
            if state.datasets.contains_key(&key) {
                return error(
                    409,
                    "ALREADY_EXISTS",
                    &format!("Already Exists: Dataset {key}"),
                );
            }
            state.datasets.insert(key, body.clone());
            (200, body.clone())
        }
        "bigquery.datasets.get" => {
            let key = format!("{}.{}", m.param("projectsId"), m.param("datasetsId"));
            match state.datasets.get(&key) {
                Some(d) => (200, d.clone()),
                None => error(404, "NOT_FOUND", &format!("Not found: Dataset {key}")),
            }
        }
        "bigquery.datasets.list" => {
            let project = m.param("projectsId");
            let prefix = format!("{project}.");
            let datasets: Vec<Value> = state
                .datasets
                .keys()
                .filter_map(|key| key.strip_prefix(&prefix))
                .map(|dataset| {
                    json!({
                        "kind": "bigquery#dataset",
                        "id": format!("{project}:{dataset}"),
                        "datasetReference": {"projectId": project, "datasetId": dataset},
                        "location": "US",
                    })
                })
                .collect();
            let (datasets, next) = page(datasets, query, "maxResults", state.page_size);
            let mut answer = json!({"kind": "bigquery#datasetList", "datasets": datasets});
            if let Some(next) = next {
                answer["nextPageToken"] = json!(next);
            }
            (200, answer)
        }
        "bigquery.tables.list" => {
            let (project, dataset) = (m.param("projectsId"), m.param("datasetsId"));
            let key = format!("{project}.{dataset}");
            if !state.datasets.contains_key(&key) {
                return error(404, "NOT_FOUND", &format!("Not found: Dataset {key}"));
            }
            let prefix = format!("{key}.");
            let tables: Vec<Value> = state
                .tables
                .iter()
                .filter_map(|(k, t)| Some((k.strip_prefix(&prefix)?, t)))
                .map(|(table, t)| {
                    json!({
                        "kind": "bigquery#table",
                        "id": format!("{project}:{dataset}.{table}"),
                        "tableReference": {"projectId": project, "datasetId": dataset, "tableId": table},
                        "type": if t["view"].is_object() { "VIEW" } else { "TABLE" },
                    })
                })
                .collect();
            let total = tables.len();
            let (tables, next) = page(tables, query, "maxResults", state.page_size);
            let mut answer =
                json!({"kind": "bigquery#tableList", "tables": tables, "totalItems": total});
            if let Some(next) = next {
                answer["nextPageToken"] = json!(next);
            }
            (200, answer)
        }
        "bigquery.datasets.delete" => {
            let key = format!("{}.{}", m.param("projectsId"), m.param("datasetsId"));
            if !state.datasets.contains_key(&key) {
                return error(404, "NOT_FOUND", &format!("Not found: Dataset {key}"));
            }
            let prefix = format!("{key}.");
            let has_tables = state.tables.keys().any(|t| t.starts_with(&prefix));
            if has_tables && query_param(query, "deleteContents") != Some("true") {
                return error(
                    400,
                    "FAILED_PRECONDITION",
                    &format!("Dataset {key} is still in use"),
                );
            }
            state.tables.retain(|t, _| !t.starts_with(&prefix));
            state.datasets.remove(&key);
            (204, Value::Null)
        }
        "bigquery.tables.insert" => {
            let r = &body["tableReference"];
            let dataset = format!("{}.{}", m.param("projectsId"), m.param("datasetsId"));
            if !state.datasets.contains_key(&dataset) {
                return error(404, "NOT_FOUND", &format!("Not found: Dataset {dataset}"));
            }
            let key = format!("{dataset}.{}", r["tableId"].as_str().unwrap_or_default());
            if state.tables.contains_key(&key) {
                return error(
                    409,
                    "ALREADY_EXISTS",
                    &format!("Already Exists: Table {key}"),
                );
            }
            state.tables.insert(key, body.clone());
            (200, body.clone())
        }
        "bigquery.tables.get" => {
            let key = format!(
                "{}.{}.{}",
                m.param("projectsId"),
                m.param("datasetsId"),
                m.param("tablesId")
            );
            match state.tables.get(&key) {
                Some(t) => (200, t.clone()),
                None => error(404, "NOT_FOUND", &format!("Not found: Table {key}")),
            }
        }
        "bigquery.tables.delete" => {
            let key = format!(
                "{}.{}.{}",
                m.param("projectsId"),
                m.param("datasetsId"),
                m.param("tablesId")
            );
            match state.tables.remove(&key) {
                Some(_) => (204, Value::Null),
                None => error(404, "NOT_FOUND", &format!("Not found: Table {key}")),
            }
        }
        "bigquery.tabledata.insertAll" => {
            let key = format!(
                "{}.{}.{}",
                m.param("projectsId"),
                m.param("datasetsId"),
                m.param("tablesId")
            );
            if !state.tables.contains_key(&key) {
                return error(404, "NOT_FOUND", &format!("Not found: Table {key}"));
            }
            let rows = body["rows"].as_array().cloned().unwrap_or_default();
            state.rows.entry(key).or_default().extend(rows);
            (200, json!({"kind": "bigquery#tableDataInsertAllResponse"}))
        }
        "bigquery.tabledata.list" => {
            let key = format!(
                "{}.{}.{}",
                m.param("projectsId"),
                m.param("datasetsId"),
                m.param("tablesId")
            );
            let Some(table) = state.tables.get(&key) else {
                return error(404, "NOT_FOUND", &format!("Not found: Table {key}"));
            };
            let fields = table["schema"]["fields"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let micros = query_param(query, "formatOptions.useInt64Timestamp") == Some("true");
            let rows: Vec<Value> = state
                .rows
                .get(&key)
                .map(|rows| {
                    rows.iter()
                        .map(|r| cells(&r["json"], &fields, micros))
                        .collect()
                })
                .unwrap_or_default();
            let total = rows.len();
            let (rows, next) = page(rows, query, "maxResults", state.page_size);
            let mut answer = json!({
                "kind": "bigquery#tableDataList",
                "totalRows": total.to_string(),
                "rows": rows,
            });
            if let Some(next) = next {
                // TableDataList names the next page's token `pageToken`.
                answer["pageToken"] = json!(next);
            }
            (200, answer)
        }
        "bigquery.jobs.query" => crate::query::query(state, m.param("projectsId"), body),
        "bigquery.jobs.getQueryResults" => {
            crate::query::results(state, m.param("projectsId"), m.param("queriesId"), query)
        }
        other => error(
            501,
            "UNIMPLEMENTED",
            &format!("the fake does not implement {other}"),
        ),
    }
}

/// A row inserted with `insertAll` (`json`) as `tabledata.list` gives it:
/// `{"f": [{"v": …}]}` in the schema's field order, every scalar as text, a
/// RECORD as `{"f": …}` again, a REPEATED field as a list of `{"v": …}`, and a
/// TIMESTAMP as microseconds (with `useInt64Timestamp`) or float seconds.
pub(crate) fn cells(json: &Value, fields: &[Value], micros: bool) -> Value {
    let f: Vec<Value> = fields
        .iter()
        .map(|field| {
            let v = &json[field["name"].as_str().unwrap_or_default()];
            let v = if field["mode"] == "REPEATED" {
                let items = v.as_array().cloned().unwrap_or_default();
                Value::Array(
                    items
                        .iter()
                        .map(|item| json!({"v": cell(item, field, micros)}))
                        .collect(),
                )
            } else {
                cell(v, field, micros)
            };
            json!({"v": v})
        })
        .collect();
    json!({"f": f})
}

fn cell(v: &Value, field: &Value, micros: bool) -> Value {
    if v.is_null() {
        return Value::Null;
    }
    match field["type"].as_str().unwrap_or_default() {
        "RECORD" | "STRUCT" => {
            let inner = field["fields"].as_array().cloned().unwrap_or_default();
            cells(v, &inner, micros)
        }
        "TIMESTAMP" => match timestamp_micros(v) {
            Some(us) if micros => json!(us.to_string()),
            Some(us) => json!(format!("{:E}", us as f64 / 1e6)),
            None => json!(text(v)),
        },
        _ => json!(text(v)),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An inserted TIMESTAMP (seconds since the epoch, or text such as
/// `2024-01-01 10:00:00 UTC` or `2024-01-01T10:00:00.5Z`) in microseconds.
fn timestamp_micros(v: &Value) -> Option<i64> {
    if let Some(secs) = v.as_f64() {
        return Some((secs * 1e6).round() as i64);
    }
    let s = v.as_str()?.trim();
    let s = s
        .strip_suffix(" UTC")
        .or_else(|| s.strip_suffix('Z'))
        .or_else(|| s.strip_suffix("+00:00"))
        .unwrap_or(s);
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| t.and_utc().timestamp_micros())
}
