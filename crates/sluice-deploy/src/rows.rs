//! A BigQuery table's rows, read a page at a time with `bigquery.tabledata.list`
//! (`crates/sluice-fake-gcp/discovery/bigquery.v2.json`: the method's `maxResults`,
//! `pageToken` and `formatOptions.useInt64Timestamp`; its answer `TableDataList`
//! with `rows`, `totalRows` and the next page's `pageToken`, which this answer
//! names `pageToken`, not `nextPageToken` as the list calls do).
//!
//! `tabledata.list` reads stored rows without a query job, so BigQuery bills it no
//! bytes processed: on-demand pricing counts the bytes a query reads.
//!
//! A row comes as `{"f": [{"v": …}, …]}`, one cell per field in the table's schema
//! order; a RECORD's value is such an `{"f": …}` again, a REPEATED field's value a
//! list of `{"v": …}`, and every scalar a string (`"12"`, `"1.5"`, `"true"`), NULL
//! as `null`. This is how Google's Python client reads them
//! (`googleapis/python-bigquery`, `google/cloud/bigquery/_helpers.py`:
//! `_row_tuple_from_json`, `_record_from_json`, `_CELLDATA_FROM_JSON`; with
//! `useInt64Timestamp` a TIMESTAMP is the string of its microseconds since the
//! epoch, as `_timestamp_from_json` reads it). [`rows_page`] turns them into plain
//! JSON rows, the form `sluice_engine::input::row_from_json` reads.

use serde_json::{Map, Value};
use sluice_sql::types::{DataType, Field};

use crate::deploy::{Api, Request};
use crate::project::with_token;

/// The most rows one sample reads.
pub const MAX_ROWS: u32 = 100_000;

/// The most rows one page asks for.
pub const PAGE_ROWS: u32 = 1_000;

/// `bigquery.tabledata.list` of `project.dataset.table`: at most `max_results` rows
/// from `token`'s page, timestamps as microseconds.
pub fn list_rows(
    project: &str,
    dataset: &str,
    table: &str,
    max_results: u32,
    token: Option<&str>,
) -> Request {
    let path = format!(
        "projects/{project}/datasets/{dataset}/tables/{table}/data?maxResults={}&formatOptions.useInt64Timestamp=true",
        max_results.clamp(1, PAGE_ROWS)
    );
    Request {
        api: Api::Bigquery,
        call: "bigquery.tabledata.list".into(),
        method: "GET".into(),
        path: with_token(path, token),
        body: None,
        resource: format!("{project}.{dataset}.{table}"),
    }
}

/// A page of a table's rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowsPage {
    /// The rows as plain JSON objects, fields by name.
    pub rows: Vec<Value>,
    /// How many rows the whole table holds, when BigQuery says.
    pub total_rows: Option<u64>,
    /// Where the next page starts, if there is one.
    pub next: Option<String>,
}

/// A `TableDataList` answer read with the table's `schema`, or why it does not
/// read (which row and field).
pub fn rows_page(answer: &Value, schema: &[Field]) -> Result<RowsPage, String> {
    let rows = match &answer["rows"] {
        Value::Null => Vec::new(),
        Value::Array(rows) => rows
            .iter()
            .enumerate()
            .map(|(i, row)| record(row, schema).map_err(|e| format!("row {}: {e}", i + 1)))
            .collect::<Result<_, _>>()?,
        other => return Err(format!("\"rows\" is not a list but {other}")),
    };
    let total_rows = match &answer["totalRows"] {
        Value::Null => None,
        Value::String(s) => Some(
            s.parse()
                .map_err(|_| format!("\"totalRows\" is not a count: {s:?}"))?,
        ),
        Value::Number(n) => n.as_u64(),
        other => return Err(format!("\"totalRows\" is not a count: {other}")),
    };
    let next = answer["pageToken"]
        .as_str()
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    Ok(RowsPage {
        rows,
        total_rows,
        next,
    })
}

/// `{"f": [cells]}` with `fields` as a JSON object.
fn record(row: &Value, fields: &[Field]) -> Result<Value, String> {
    let Some(cells) = row["f"].as_array() else {
        return Err("not a row ({\"f\": [cells]})".into());
    };
    if cells.len() != fields.len() {
        return Err(format!(
            "{} cells for the {} fields of the schema",
            cells.len(),
            fields.len()
        ));
    }
    let mut object = Map::with_capacity(fields.len());
    for (field, cell) in fields.iter().zip(cells) {
        let value = value(&cell["v"], &field.data_type)
            .map_err(|e| format!("field {:?}: {e}", field.name))?;
        object.insert(field.name.clone(), value);
    }
    Ok(Value::Object(object))
}

/// One cell's value of type `t`.
fn value(v: &Value, t: &DataType) -> Result<Value, String> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let text = || {
        v.as_str()
            .ok_or_else(|| format!("expected the text of a value, found {v}"))
    };
    match t {
        DataType::Array(inner) => {
            let items = v
                .as_array()
                .ok_or_else(|| format!("expected a list of {{\"v\": …}}, found {v}"))?;
            items
                .iter()
                .map(|item| value(&item["v"], inner))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        DataType::Struct(fields) => record(v, fields),
        DataType::Int64 => {
            let s = text()?;
            s.parse::<i64>()
                .map(Value::from)
                .map_err(|_| format!("{s:?} is not an INT64"))
        }
        DataType::Float64 => {
            let s = text()?;
            let x: f64 = s.parse().map_err(|_| format!("{s:?} is not a FLOAT64"))?;
            // NaN and the infinities stay text: JSON has no number for them.
            Ok(serde_json::Number::from_f64(x)
                .map_or_else(|| Value::String(s.into()), Value::Number))
        }
        DataType::Bool => match text()? {
            "true" | "TRUE" => Ok(Value::Bool(true)),
            "false" | "FALSE" => Ok(Value::Bool(false)),
            s => Err(format!("{s:?} is not a BOOL")),
        },
        DataType::Timestamp => {
            let s = text()?;
            let micros = match s.parse::<i64>() {
                Ok(us) => us,
                // Without useInt64Timestamp: seconds as a float (`1.7E9`).
                Err(_) => s
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .map(|secs| (secs * 1e6).round() as i64)
                    .ok_or_else(|| format!("{s:?} is not a TIMESTAMP"))?,
            };
            Ok(Value::String(sluice_sql::literal::format_timestamp(micros)))
        }
        _ => text().map(|s| Value::String(s.to_string())),
    }
}

/// A page of `project.dataset.table`'s rows read with `client`: the table's schema
/// (`tables.get`, read again for each page, so a page never reads with a schema it
/// was not written with) and the rows of `token`'s page.
#[cfg(feature = "cloud")]
pub async fn read_page(
    client: &crate::gcp::Client,
    project: &str,
    dataset: &str,
    table: &str,
    max_rows: u32,
    token: Option<&str>,
) -> Result<(Vec<Field>, RowsPage), crate::gcp::GcpError> {
    let unreadable = |request: &Request, why: String| crate::gcp::GcpError {
        call: request.call.clone(),
        resource: request.resource.clone(),
        status: None,
        message: format!("an answer Sluice cannot read: {why}"),
    };
    let get = crate::project::get_table(project, dataset, table);
    let answer = client.send(&get).await?;
    let schema = sluice_sql::schema::schema_from_value(&answer["schema"], "schema")
        .map_err(|e| unreadable(&get, e.to_string()))?;
    let list = list_rows(project, dataset, table, max_rows, token);
    let answer = client.send(&list).await?;
    let page = rows_page(&answer, &schema).map_err(|why| unreadable(&list, why))?;
    Ok((schema, page))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use sluice_sql::schema::schema_from_value;

    fn schema() -> Vec<Field> {
        schema_from_value(
            &json!({"fields": [
                {"name": "id", "type": "INTEGER", "mode": "REQUIRED"},
                {"name": "amount", "type": "FLOAT"},
                {"name": "ok", "type": "BOOLEAN"},
                {"name": "at", "type": "TIMESTAMP"},
                {"name": "day", "type": "DATE"},
                {"name": "price", "type": "NUMERIC"},
                {"name": "tags", "type": "STRING", "mode": "REPEATED"},
                {"name": "address", "type": "RECORD", "fields": [
                    {"name": "city", "type": "STRING"},
                    {"name": "zips", "type": "INTEGER", "mode": "REPEATED"}
                ]}
            ]}),
            "schema",
        )
        .expect("a schema")
    }

    #[test]
    fn cells_become_plain_rows_nested_and_repeated_included() {
        let answer = json!({
            "kind": "bigquery#tableDataList",
            "totalRows": "2500",
            "pageToken": "BHQ2",
            "rows": [
                {"f": [
                    {"v": "7"}, {"v": "12.5"}, {"v": "true"}, {"v": "1700000000123456"},
                    {"v": "2023-11-14"}, {"v": "99.95"},
                    {"v": [{"v": "a"}, {"v": "b"}]},
                    {"v": {"f": [{"v": "Oslo"}, {"v": [{"v": "150"}]}]}}
                ]},
                {"f": [
                    {"v": "8"}, {"v": "NaN"}, {"v": null}, {"v": null},
                    {"v": null}, {"v": null}, {"v": []}, {"v": null}
                ]}
            ]
        });
        let page = rows_page(&answer, &schema()).expect("reads");
        assert_eq!(page.total_rows, Some(2500));
        assert_eq!(page.next.as_deref(), Some("BHQ2"));
        assert_eq!(
            page.rows[0],
            json!({
                "id": 7, "amount": 12.5, "ok": true, "at": "2023-11-14T22:13:20.123456Z",
                "day": "2023-11-14", "price": "99.95", "tags": ["a", "b"],
                "address": {"city": "Oslo", "zips": [150]}
            })
        );
        assert_eq!(page.rows[1]["amount"], json!("NaN"));
        assert_eq!(page.rows[1]["address"], Value::Null);
        assert_eq!(page.rows[1]["tags"], json!([]));
    }

    #[test]
    fn float_second_timestamps_read_too() {
        let fields = vec![Field::new("at", DataType::Timestamp)];
        let page = rows_page(&json!({"rows": [{"f": [{"v": "1.7E9"}]}]}), &fields).expect("reads");
        assert_eq!(page.rows[0]["at"], json!("2023-11-14T22:13:20Z"));
        assert_eq!(page.total_rows, None);
        assert_eq!(page.next, None);
    }

    #[test]
    fn a_row_that_does_not_fit_says_where() {
        let fields = schema();
        let short = json!({"rows": [{"f": [{"v": "1"}]}]});
        let why = rows_page(&short, &fields).expect_err("refused");
        assert!(why.contains("row 1") && why.contains("1 cells"), "{why}");
        let mut cells: Vec<Value> = (0..8).map(|_| json!({"v": null})).collect();
        cells[0] = json!({"v": "seven"});
        let bad = json!({"rows": [{"f": cells}]});
        let why = rows_page(&bad, &fields).expect_err("refused");
        assert!(why.contains("\"id\"") && why.contains("seven"), "{why}");
        assert!(rows_page(&json!({"rows": 3}), &fields).is_err());
        assert!(rows_page(&json!({"totalRows": "many"}), &fields).is_err());
    }

    #[test]
    fn the_request_asks_for_a_page_of_microsecond_timestamps() {
        let r = list_rows("p", "d", "t", 5_000, Some("x/y"));
        assert_eq!(
            r.path,
            "projects/p/datasets/d/tables/t/data?maxResults=1000&formatOptions.useInt64Timestamp=true&pageToken=x%2Fy"
        );
        assert_eq!(r.call, "bigquery.tabledata.list");
    }
}
