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
//!
//! When only some rows are wanted, a filter makes a query instead
//! ([`FilteredQuery`]): `SELECT * FROM` the table `WHERE` the filter, with a
//! `LIMIT`. A query is billed, so it is first run dry (`jobs.query` with `dryRun`:
//! what it would process, [`Estimate`]), and then run with `maximumBytesBilled`
//! set to the estimate: "Queries with bytes billed above this limit will fail
//! (without incurring a charge)" (`QueryRequest.maximumBytesBilled` in
//! `bigquery.v2.json`). Its rows come back in the same cells, a page at a time
//! through `jobs.getQueryResults`.

use serde_json::{Map, Value, json};
use sluice_sql::catalog::Source;
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

/// A table's rows chosen by a filter: `SELECT * FROM` the table `WHERE` the
/// filter `LIMIT` the rows wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilteredQuery {
    /// The project that runs (and pays for) the query, and owns the table.
    pub project: String,
    /// The query's GoogleSQL text.
    pub text: String,
}

/// On-demand queries are billed at least this much (BigQuery's pricing: "a
/// minimum 10 MB data processed per table referenced by the query, and with a
/// minimum 10 MB data processed per query", rounded up to the MB;
/// https://cloud.google.com/bigquery/pricing).
pub const MIN_BILLED_BYTES: u64 = 10 * MB;
const MB: u64 = 1 << 20;

/// What a dry run says a query would cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    /// Bytes the query would process (`totalBytesProcessed`).
    pub processed: u64,
    /// What on-demand pricing bills for them: rounded up to the MB, at least
    /// [`MIN_BILLED_BYTES`] (the query references one table).
    pub billed: u64,
}

impl Estimate {
    /// The estimate for `processed` bytes.
    pub fn of(processed: u64) -> Self {
        Self {
            processed,
            billed: processed
                .div_ceil(MB)
                .saturating_mul(MB)
                .max(MIN_BILLED_BYTES),
        }
    }
}

/// Checks `filter` as the `WHERE` condition of `source` (a table) with Sluice's
/// analyzer, and makes the query that reads at most `limit` of its rows; or the
/// analyzer's errors, with columns counted within the filter.
pub fn filtered_query(source: &Source, filter: &str, limit: u32) -> Result<FilteredQuery, String> {
    let filter = filter.trim();
    if filter.is_empty() {
        return Err("the filter is empty".into());
    }
    let prefix = format!("SELECT * FROM {} WHERE (", source.sql_name());
    // The closing parenthesis on a line of its own: a `--` comment at the
    // filter's end cannot reach it, or the LIMIT.
    let checked = format!("{prefix}{filter}\n)");
    let catalog = sluice_sql::Catalog {
        project: source.project.clone(),
        sources: vec![source.clone()],
    };
    let analysis = sluice_sql::analyze(&checked, &catalog);
    let shift = prefix.chars().count() as u64;
    let errors: Vec<String> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.severity == sluice_sql::Severity::Error)
        .map(|d| {
            let (line, column) = (d.span.start.line, d.span.start.column);
            if line == 1 && column > shift {
                format!("{} (column {})", d.message, column - shift)
            } else if line == 1 {
                d.message.clone()
            } else {
                format!("{} (line {line}, column {column})", d.message)
            }
        })
        .collect();
    if !errors.is_empty() {
        return Err(errors.join("; "));
    }
    let table = format!(
        "{}.{}.{}",
        source.project,
        source.dataset.as_deref().unwrap_or_default(),
        source.name
    );
    Ok(FilteredQuery {
        project: source.project.clone(),
        text: format!("SELECT * FROM `{table}` WHERE ({filter}\n)\nLIMIT {limit}"),
    })
}

/// `bigquery.jobs.query` run dry: what `query` would process, billing nothing.
pub fn dry_run(query: &FilteredQuery) -> Request {
    Request {
        api: Api::Bigquery,
        call: "bigquery.jobs.query".into(),
        method: "POST".into(),
        path: format!("projects/{}/queries", query.project),
        body: Some(json!({"query": query.text, "useLegacySql": false, "dryRun": true})),
        resource: query.project.clone(),
    }
}

/// A dry run's answer as an [`Estimate`].
pub fn estimate(answer: &Value) -> Result<Estimate, String> {
    let processed = match &answer["totalBytesProcessed"] {
        Value::String(s) => s
            .parse()
            .map_err(|_| format!("\"totalBytesProcessed\" is not a count: {s:?}"))?,
        Value::Number(n) => n.as_u64().ok_or("\"totalBytesProcessed\" is not a count")?,
        other => return Err(format!("no \"totalBytesProcessed\" but {other}")),
    };
    Ok(Estimate::of(processed))
}

/// `bigquery.jobs.query` running `query`, billing at most `max_billed` bytes, its
/// first page at most `page_rows` rows; `request_id` makes a retried request the
/// same query, not a second one.
pub fn run_query(
    query: &FilteredQuery,
    max_billed: u64,
    page_rows: u32,
    request_id: &str,
) -> Request {
    Request {
        api: Api::Bigquery,
        call: "bigquery.jobs.query".into(),
        method: "POST".into(),
        path: format!("projects/{}/queries", query.project),
        body: Some(json!({
            "query": query.text,
            "useLegacySql": false,
            "maximumBytesBilled": max_billed.to_string(),
            "maxResults": page_rows.clamp(1, PAGE_ROWS),
            "timeoutMs": 10_000,
            "requestId": request_id,
            "formatOptions": {"useInt64Timestamp": true},
            "labels": {"created-by": "sluice", "sluice-purpose": "sample"},
        })),
        resource: query.project.clone(),
    }
}

/// A query job: where its results are read from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QueryJob {
    /// The project that ran it.
    pub project: String,
    /// Its id.
    pub job_id: String,
    /// Where it ran, if BigQuery said.
    pub location: Option<String>,
}

impl QueryJob {
    /// Checks the job's names against `JobReference`'s rules (`bigquery.v2.json`:
    /// a job id of letters, digits, underscores or dashes, at most 1,024
    /// characters), so that they can go into a URL as they are.
    pub fn check(&self) -> Result<(), String> {
        let plain = |s: &str, max: usize| {
            !s.is_empty()
                && s.len() <= max
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        if !plain(&self.job_id, 1024) {
            return Err(format!("{:?} is not a BigQuery job id", self.job_id));
        }
        if self.location.as_deref().is_some_and(|l| !plain(l, 64)) {
            return Err(format!("{:?} is not a BigQuery location", self.location));
        }
        crate::target::check_project(&self.project).map_err(|e| e.to_string())
    }
}

/// `bigquery.jobs.getQueryResults` of `job`: at most `max_results` rows from
/// `token`'s page, waiting up to 10 s for the job to finish.
pub fn query_results(job: &QueryJob, max_results: u32, token: Option<&str>) -> Request {
    let mut path = format!(
        "projects/{}/queries/{}?maxResults={}&timeoutMs=10000&formatOptions.useInt64Timestamp=true",
        job.project,
        job.job_id,
        max_results.clamp(1, PAGE_ROWS)
    );
    if let Some(location) = &job.location {
        path.push_str(&format!("&location={location}"));
    }
    Request {
        api: Api::Bigquery,
        call: "bigquery.jobs.getQueryResults".into(),
        method: "GET".into(),
        path: with_token(path, token),
        body: None,
        resource: job.job_id.clone(),
    }
}

/// A query's answer (`QueryResponse` or `GetQueryResultsResponse`): its job,
/// and, once it is complete, a page of rows read with the schema it gives.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryPage {
    /// The job, to read the next pages (or wait) with.
    pub job: QueryJob,
    /// Whether the query finished; until then there are no rows.
    pub complete: bool,
    /// The result's schema.
    pub schema: Vec<Field>,
    /// The rows of this page.
    pub page: RowsPage,
    /// What the query billed, when the answer says (`totalBytesBilled`).
    pub billed: Option<u64>,
}

/// Reads a query's answer.
pub fn query_page(answer: &Value) -> Result<QueryPage, String> {
    let reference = &answer["jobReference"];
    let job = QueryJob {
        project: reference["projectId"]
            .as_str()
            .ok_or("no jobReference.projectId")?
            .to_string(),
        job_id: reference["jobId"]
            .as_str()
            .ok_or("no jobReference.jobId")?
            .to_string(),
        location: reference["location"].as_str().map(str::to_owned),
    };
    let billed = answer["totalBytesBilled"]
        .as_str()
        .and_then(|s| s.parse().ok());
    if answer["jobComplete"] != true {
        return Ok(QueryPage {
            job,
            complete: false,
            schema: Vec::new(),
            page: RowsPage::default(),
            billed,
        });
    }
    let schema = sluice_sql::schema::schema_from_value(&answer["schema"], "schema")
        .map_err(|e| e.to_string())?;
    let page = rows_page(answer, &schema)?;
    Ok(QueryPage {
        job,
        complete: true,
        schema,
        page,
        billed,
    })
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

/// An answer Sluice cannot read, as an error of the call that gave it.
#[cfg(feature = "cloud")]
fn unreadable(request: &Request, why: String) -> crate::gcp::GcpError {
    crate::gcp::GcpError {
        call: request.call.clone(),
        resource: request.resource.clone(),
        status: None,
        message: format!("an answer Sluice cannot read: {why}"),
    }
}

/// `project.dataset.table` as a catalog source, with its schema of the moment
/// (`tables.get`).
#[cfg(feature = "cloud")]
pub async fn table_of(
    client: &crate::gcp::Client,
    project: &str,
    dataset: &str,
    table: &str,
) -> Result<Source, crate::gcp::GcpError> {
    let get = crate::project::get_table(project, dataset, table);
    let answer = client.send(&get).await?;
    crate::project::table_source(project, dataset, table, &answer)
        .map_err(|why| unreadable(&get, why))
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
    let schema = table_of(client, project, dataset, table).await?.schema;
    let list = list_rows(project, dataset, table, max_rows, token);
    let answer = client.send(&list).await?;
    let page = rows_page(&answer, &schema).map_err(|why| unreadable(&list, why))?;
    Ok((schema, page))
}

/// What `query` would process and bill, from a dry run.
#[cfg(feature = "cloud")]
pub async fn estimate_query(
    client: &crate::gcp::Client,
    query: &FilteredQuery,
) -> Result<Estimate, crate::gcp::GcpError> {
    let request = dry_run(query);
    let answer = client.send(&request).await?;
    estimate(&answer).map_err(|why| unreadable(&request, why))
}

/// How long a query's first page is waited for.
#[cfg(feature = "cloud")]
const QUERY_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Runs `query`, billing at most `max_billed` bytes, and reads its first page
/// (waiting for the job as long as [`QUERY_WAIT`]).
#[cfg(feature = "cloud")]
pub async fn run_first_page(
    client: &crate::gcp::Client,
    query: &FilteredQuery,
    max_billed: u64,
    page_rows: u32,
    request_id: &str,
) -> Result<QueryPage, crate::gcp::GcpError> {
    let request = run_query(query, max_billed, page_rows, request_id);
    let answer = client.send(&request).await?;
    let mut page = query_page(&answer).map_err(|why| unreadable(&request, why))?;
    let started = std::time::Instant::now();
    while !page.complete {
        if started.elapsed() > QUERY_WAIT {
            return Err(crate::gcp::GcpError {
                call: request.call.clone(),
                resource: page.job.job_id.clone(),
                status: None,
                message: format!("the query did not finish in {} s", QUERY_WAIT.as_secs()),
            });
        }
        let billed = page.billed;
        page = next_query_page(client, &page.job, page_rows, None).await?;
        page.billed = page.billed.or(billed);
    }
    Ok(page)
}

/// A page of a query job's results (`token`'s, or the first).
#[cfg(feature = "cloud")]
pub async fn next_query_page(
    client: &crate::gcp::Client,
    job: &QueryJob,
    page_rows: u32,
    token: Option<&str>,
) -> Result<QueryPage, crate::gcp::GcpError> {
    let request = query_results(job, page_rows, token);
    let answer = client.send(&request).await?;
    query_page(&answer).map_err(|why| unreadable(&request, why))
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

    fn orders() -> Source {
        sluice_sql::Catalog::reference()
            .sources
            .into_iter()
            .find(|s| s.name == "orders" && s.is_bounded())
            .expect("the reference orders table")
    }

    #[test]
    fn a_filter_is_checked_by_the_analyzer_and_made_one_limited_query() {
        let q = filtered_query(&orders(), " order_status = 'Closed' -- only closed ", 500)
            .expect("a query");
        assert_eq!(q.project, "demobox-313313");
        assert_eq!(
            q.text,
            "SELECT * FROM `demobox-313313.ecommerce.orders` WHERE (order_status = 'Closed' -- only closed\n)\nLIMIT 500"
        );
        let why = filtered_query(&orders(), "amount", 5).expect_err("not a BOOL");
        assert!(why.contains("BOOL") && why.contains("(column 1)"), "{why}");
        let why = filtered_query(&orders(), "amonut > 5", 5).expect_err("no such column");
        assert!(
            why.contains("amonut") && why.contains("(column 1)"),
            "{why}"
        );
        let why = filtered_query(&orders(), "TRUE); DROP TABLE x; SELECT (1", 5)
            .expect_err("one statement");
        assert!(why.contains("more than one statement"), "{why}");
        assert!(filtered_query(&orders(), "  ", 5).is_err());
    }

    #[test]
    fn a_dry_run_estimates_what_on_demand_pricing_bills() {
        assert_eq!(Estimate::of(0).billed, MIN_BILLED_BYTES);
        assert_eq!(Estimate::of(10 * MB + 1).billed, 11 * MB);
        let e = estimate(&json!({"totalBytesProcessed": "52428800", "jobComplete": true}))
            .expect("an estimate");
        assert_eq!((e.processed, e.billed), (50 * MB, 50 * MB));
        assert!(estimate(&json!({})).is_err());
        let q = filtered_query(&orders(), "amount > 1", 10).expect("a query");
        let dry = dry_run(&q);
        assert_eq!(dry.path, "projects/demobox-313313/queries");
        assert_eq!(
            dry.body.as_ref().map(|b| b["dryRun"].clone()),
            Some(json!(true))
        );
        let run = run_query(&q, e.billed, 5_000, "req-1");
        let body = run.body.expect("a body");
        assert_eq!(body["maximumBytesBilled"], "52428800");
        assert_eq!(body["maxResults"], 1000);
        assert_eq!(body["requestId"], "req-1");
        assert!(body.get("dryRun").is_none());
    }

    #[test]
    fn a_query_answer_gives_its_job_and_once_complete_its_rows() {
        let reference = json!({"projectId": "shop-1234", "jobId": "job_1", "location": "EU"});
        let waiting =
            query_page(&json!({"jobReference": reference, "jobComplete": false})).expect("reads");
        assert!(!waiting.complete);
        assert_eq!(waiting.job.location.as_deref(), Some("EU"));
        let done = query_page(&json!({
            "jobReference": reference, "jobComplete": true, "totalRows": "3", "pageToken": "t2",
            "schema": {"fields": [{"name": "n", "type": "INTEGER"}]},
            "rows": [{"f": [{"v": "1"}]}, {"f": [{"v": "2"}]}]
        }))
        .expect("reads");
        assert_eq!(done.page.rows, [json!({"n": 1}), json!({"n": 2})]);
        assert_eq!(done.page.next.as_deref(), Some("t2"));
        let next = query_results(&done.job, 2, Some("t2"));
        assert_eq!(
            next.path,
            "projects/shop-1234/queries/job_1?maxResults=2&timeoutMs=10000&formatOptions.useInt64Timestamp=true&location=EU&pageToken=t2"
        );
        assert!(query_page(&json!({"jobComplete": true})).is_err());
        assert_eq!(done.job.check(), Ok(()));
        let mut odd = done.job.clone();
        odd.job_id = "../jobs".into();
        assert!(odd.check().is_err());
        odd.job_id = "j".into();
        odd.location = Some("EU?x=1".into());
        assert!(odd.check().is_err());
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
