//! Unit tests of the API: the guard and the deploy routes, through the router.

use super::*;
use axum::body::Body;
use axum::middleware;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The deploy API and the session route behind a guard for `127.0.0.1:8080`
/// with the token `secret`.
fn guarded(api: Api) -> Router {
    let guard = Arc::new(Guard::new("secret".into(), vec!["127.0.0.1:8080".into()]));
    Router::new().nest(
        "/api",
        routes(Arc::new(api))
            .merge(session_routes(guard.clone()))
            .layer(middleware::from_fn_with_state(guard, super::guard)),
    )
}

fn app(dir: &std::path::Path) -> Router {
    let config = CloudConfig::with(
        sluice_deploy::Endpoints::all_at("http://127.0.0.1:9"),
        "t",
        dir,
    );
    guarded(Api::new(config))
}

async fn call(app: Router, request: axum::http::Request<Body>) -> (StatusCode, Value) {
    let response = app.oneshot(request).await.expect("a response");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn plan_body() -> String {
    json!({"query": sluice_sql::reference::QUERY, "project": "demobox-313313", "region": "us-central1"})
        .to_string()
}

fn request(
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: String,
) -> axum::http::Request<Body> {
    let mut r = axum::http::Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.body(Body::from(body)).expect("a request")
}

#[tokio::test]
async fn a_plan_needs_our_host_and_our_origin() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let ok = [
        ("host", "127.0.0.1:8080"),
        ("origin", "http://127.0.0.1:8080"),
    ];
    let (status, body) = call(
        app(dir.path()),
        request("POST", "/api/deploy/plan", &ok, plan_body()),
    )
    .await;
    // A plan changes nothing, yet it is a POST: it needs the token too.
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let with_token = [ok[0], ok[1], ("x-sluice-token", "secret")];
    let (status, body) = call(
        app(dir.path()),
        request("POST", "/api/deploy/plan", &with_token, plan_body()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["pipeline_yaml"]
            .as_str()
            .is_some_and(|y| y.contains("type: Sql"))
    );
    assert_eq!(body["requests"].as_array().map(Vec::len), Some(8));
    assert!(
        body["gcloud"]
            .as_str()
            .is_some_and(|g| g.starts_with("gcloud dataflow yaml run sluice-"))
    );

    let rebinding = [("host", "evil.example:8080"), ("x-sluice-token", "secret")];
    let (status, body) = call(
        app(dir.path()),
        request("POST", "/api/deploy/plan", &rebinding, plan_body()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["error"].as_str().is_some_and(|e| e.contains("Host")));

    // Ours and a foreign one: whichever a reader takes, the request is refused.
    for hosts in [
        ["127.0.0.1:8080", "evil.example:8080"],
        ["evil.example:8080", "127.0.0.1:8080"],
    ] {
        let twice = [
            ("host", hosts[0]),
            ("host", hosts[1]),
            ("x-sluice-token", "secret"),
        ];
        let (status, body) = call(
            app(dir.path()),
            request("POST", "/api/deploy/plan", &twice, plan_body()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            body["error"]
                .as_str()
                .is_some_and(|e| e.contains("one Host header")),
            "{body}"
        );
    }

    let foreign = [
        ("host", "127.0.0.1:8080"),
        ("origin", "http://evil.example"),
        ("x-sluice-token", "secret"),
    ];
    let (status, body) = call(
        app(dir.path()),
        request("POST", "/api/deploy/plan", &foreign, plan_body()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["error"].as_str().is_some_and(|e| e.contains("Origin")));

    let wrong = [("host", "127.0.0.1:8080"), ("x-sluice-token", "secreT")];
    let (status, _) = call(
        app(dir.path()),
        request("POST", "/api/deploy/apply", &wrong, plan_body()),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Reading needs the token too (issue 16 #8): job pages hold queries and logs.
    let get = [("host", "127.0.0.1:8080")];
    let (status, body) = call(
        app(dir.path()),
        request("GET", "/api/jobs", &get, String::new()),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let get_with_token = [get[0], ("x-sluice-token", "secret")];
    let (status, body) = call(
        app(dir.path()),
        request("GET", "/api/jobs", &get_with_token, String::new()),
    )
    .await;
    assert_eq!((status, body), (StatusCode::OK, json!([])));
}

#[tokio::test]
async fn only_health_is_open_and_the_session_cookie_allows_reading_only() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let app = app(dir.path());
    let host = ("host", "127.0.0.1:8080");
    let (status, _) = call(
        app.clone(),
        request("GET", "/api/deploy/config", &[host], String::new()),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The cookie comes only with the token.
    let (status, _) = call(
        app.clone(),
        request("POST", "/api/session", &[host], String::new()),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let response = app
        .clone()
        .oneshot(request(
            "POST",
            "/api/session",
            &[host, ("x-sluice-token", "secret")],
            String::new(),
        ))
        .await
        .expect("a response");
    assert_eq!(response.status(), StatusCode::OK);
    let set = response
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|h| h.to_str().ok())
        .expect("a cookie")
        .to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/api"),
        "{set}"
    );
    assert!(
        !set.contains("secret"),
        "the cookie is not the token: {set}"
    );
    let cookie = set.split(';').next().expect("name=value").to_owned();
    let with_cookie = [host, ("cookie", cookie.as_str())];
    let (status, _) = call(
        app.clone(),
        request("GET", "/api/deploy/config", &with_cookie, String::new()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // A cookie never allows a change.
    let (status, _) = call(
        app.clone(),
        request("POST", "/api/deploy/plan", &with_cookie, plan_body()),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let forged = [host, ("cookie", "sluice_session=0123")];
    let (status, _) = call(
        app.clone(),
        request("GET", "/api/deploy/config", &forged, String::new()),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn broken_and_oversized_bodies_get_clear_errors() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let h = [("host", "127.0.0.1:8080"), ("x-sluice-token", "secret")];
    let (status, body) = call(
        app(dir.path()),
        request("POST", "/api/deploy/plan", &h, "{\"query\": 1".into()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"].as_str().is_some_and(|e| e.contains("line 1")),
        "{body}"
    );
    let typo = json!({"query": "SELECT 1", "project": "demobox-313313", "region": "us-central1", "regoin": "x"});
    let (status, body) = call(
        app(dir.path()),
        request("POST", "/api/deploy/plan", &h, typo.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("unknown field `regoin`")),
        "{body}"
    );
    let bad_project = json!({"query": "SELECT 1", "project": "x/../y", "region": "us-central1"});
    let (status, body) = call(
        app(dir.path()),
        request("POST", "/api/deploy/plan", &h, bad_project.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("project")),
        "{body}"
    );
    let broken = json!({"query": "SELECT nope FROM pubsub.topic.`demobox-313313`.orders", "project": "demobox-313313", "region": "us-central1"});
    let (status, body) = call(
        app(dir.path()),
        request("POST", "/api/deploy/plan", &h, broken.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["diagnostics"][0]["code"], "unknown-column");
    let huge = "x".repeat(MAX_BODY + 1);
    let (status, _) = call(
        app(dir.path()),
        request("POST", "/api/deploy/plan", &h, huge),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn paths_that_leave_the_records_folder_are_no_deployment() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let h = [("host", "127.0.0.1:8080"), ("x-sluice-token", "secret")];
    for uri in [
        "/api/jobs/..%2F..%2Fetc/passwd",
        "/api/jobs/demobox-313313/..%2Fx",
    ] {
        let (status, _) = call(app(dir.path()), request("GET", uri, &h, String::new())).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        let cleanup = format!("{uri}/cleanup");
        let (status, _) = call(
            app(dir.path()),
            request("POST", &cleanup, &h, String::new()),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
    }
}

#[tokio::test]
async fn cleanup_refuses_what_sluice_did_not_record() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let h = [("host", "127.0.0.1:8080"), ("x-sluice-token", "secret")];
    let (status, body) = call(
        app(dir.path()),
        request(
            "POST",
            "/api/jobs/demobox-313313/someone-elses-job/cleanup",
            &h,
            String::new(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("only what it recorded"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_job_page_and_cleanup_through_the_api() {
    use sluice_fake_gcp::{Fake, TOKEN, Timing};
    let fake = Fake::start(&Fake::default_discovery_dir(), Timing::default())
        .await
        .expect("the fake");
    fake.state()
        .tables
        .insert("demobox-313313.ecommerce.orders".into(), json!({}));
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = CloudConfig::with(
        sluice_deploy::Endpoints::all_at(&fake.url()),
        TOKEN,
        dir.path(),
    );
    let mut api = Api::new(config);
    api.stop_poll = Duration::from_millis(50);
    let app = guarded(api);
    let h = [("host", "127.0.0.1:8080"), ("x-sluice-token", "secret")];
    let (status, body) = call(
        app.clone(),
        request("POST", "/api/deploy/apply", &h, plan_body()),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let job = body["job_name"].as_str().expect("a job name").to_owned();
    let base = format!("/api/jobs/demobox-313313/{job}");
    let finished = |app: Router, base: String| async move {
        for _ in 0..200 {
            let (_, op) = call(
                app.clone(),
                request("GET", &format!("{base}/operation"), &h, String::new()),
            )
            .await;
            if op["finished"] == true {
                return op;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the operation never finished");
    };
    let op = finished(app.clone(), base.clone()).await;
    assert!(op["error"].is_null(), "{op}");
    assert_eq!(
        op["steps"]
            .as_array()
            .map(|s| s.iter().filter(|x| x["status"] == "done").count()),
        Some(8)
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (status, page) = call(app.clone(), request("GET", &base, &h, String::new())).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["state"], "JOB_STATE_RUNNING");
    // The fake counts one element on every step: one for each of the five
    // dead-letter steps of a streaming pipeline.
    assert_eq!(page["dead_letters"], 5, "{page}");
    let (status, _) = call(
        app.clone(),
        request(
            "POST",
            &format!("{base}/cleanup"),
            &h,
            "{\"drain\": true}".into(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let op = finished(app.clone(), base.clone()).await;
    assert_eq!(op["cleanup"]["job_state"], "JOB_STATE_DRAINED", "{op}");
    assert_eq!(op["cleanup"]["deleted"].as_array().map(Vec::len), Some(5));
    assert_eq!(
        fake.leftovers(&[]),
        vec!["table demobox-313313.ecommerce.orders".to_string()]
    );
    assert_eq!(fake.violations(), Vec::<String>::new());
}

/// A deployment whose launch never happened (its apply failed after creating a
/// topic) has a page without a job: no id, an unknown state, what it created.
#[tokio::test]
async fn a_deployment_never_launched_has_a_page_without_a_job() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let created = sluice_deploy::deploy::Resource::Topic {
        name: "projects/demobox-313313/topics/unlaunched-results".into(),
    };
    CloudConfig::with(
        sluice_deploy::Endpoints::all_at("http://127.0.0.1:9"),
        "t",
        dir.path(),
    )
    .store()
    .save(&sluice_deploy::apply::Manifest {
        project: "demobox-313313".into(),
        region: "us-central1".into(),
        job_name: "unlaunched".into(),
        job_id: None,
        created: vec![created.clone()],
        pipeline_yaml: String::new(),
        history: vec![],
    })
    .expect("saved");
    let h = [("host", "127.0.0.1:8080"), ("x-sluice-token", "secret")];
    let (status, body) = call(
        app(dir.path()),
        request(
            "GET",
            "/api/jobs/demobox-313313/unlaunched",
            &h,
            String::new(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let page: sluice_deploy::wire::DataflowJob =
        serde_json::from_value(body).expect("the page reads it");
    assert_eq!(page.job_id, None);
    assert_eq!(page.state, sluice_deploy::JobState::Unknown);
    assert_eq!(page.created, vec![created]);
}

#[test]
fn tokens_are_random_and_compared_in_constant_time() {
    let a = random_token().expect("a token");
    let b = random_token().expect("a token");
    assert_eq!(a.len(), 32);
    assert_ne!(a, b);
    assert!(constant_time_eq(b"abc", b"abc"));
    assert!(!constant_time_eq(b"abc", b"abd"));
    assert!(!constant_time_eq(b"abc", b"ab"));
}

#[tokio::test]
async fn a_project_catalog_loads_through_the_api() {
    use sluice_fake_gcp::{Fake, TOKEN, Timing};
    let fake = Fake::start(&Fake::default_discovery_dir(), Timing::default())
        .await
        .expect("the fake");
    {
        let mut s = fake.state();
        s.topics.insert(
            "projects/shop-1234/topics/orders".into(),
            json!({"name": "projects/shop-1234/topics/orders"}),
        );
        s.datasets.insert("shop-1234.sales".into(), json!({}));
        s.tables.insert(
            "shop-1234.sales.orders".into(),
            json!({"schema": {"fields": [{"name": "id", "type": "INTEGER"}]}}),
        );
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = CloudConfig::with(
        sluice_deploy::Endpoints::all_at(&fake.url()),
        TOKEN,
        dir.path(),
    );
    let app = guarded(Api::new(config));
    let h = [("host", "127.0.0.1:8080"), ("x-sluice-token", "secret")];
    let (status, body) = call(
        app.clone(),
        request(
            "POST",
            "/api/catalog/load",
            &h,
            json!({"project": "shop-1234"}).to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let loaded: ProjectCatalog = serde_json::from_value(body).expect("a ProjectCatalog");
    let catalog = sluice_sql::Catalog::from_value(&loaded.catalog).expect("a catalog");
    let names: Vec<String> = catalog.sources.iter().map(|s| s.sql_name()).collect();
    assert_eq!(
        names,
        [
            "pubsub.topic.`shop-1234`.orders",
            "bigquery.table.`shop-1234`.sales.orders"
        ]
    );
    assert!(loaded.loaded_at.ends_with('Z'), "{}", loaded.loaded_at);
    // A table's rows, a page at a time.
    fake.state().rows.insert(
        "shop-1234.sales.orders".into(),
        (0..3).map(|i| json!({"json": {"id": i}})).collect(),
    );
    let rows = |token: Option<&str>| {
        request(
            "POST",
            "/api/catalog/rows",
            &h,
            json!({"project": "shop-1234", "dataset": "sales", "table": "orders", "max_rows": 2, "page_token": token})
                .to_string(),
        )
    };
    let (status, body) = call(app.clone(), rows(None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let first: sluice_deploy::wire::TableRows = serde_json::from_value(body).expect("TableRows");
    assert_eq!(first.rows, [json!({"id": 0}), json!({"id": 1})]);
    assert_eq!(first.total_rows, Some(3));
    assert_eq!(
        first.schema,
        json!([{"name": "id", "type": "INT64", "mode": "NULLABLE"}])
    );
    let (_, body) = call(app.clone(), rows(first.page_token.as_deref())).await;
    let second: sluice_deploy::wire::TableRows = serde_json::from_value(body).expect("TableRows");
    assert_eq!(second.rows, [json!({"id": 2})]);
    assert_eq!(second.page_token, None);
    let (status, body) = call(
        app.clone(),
        request(
            "POST",
            "/api/catalog/rows",
            &h,
            json!({"project": "shop-1234", "dataset": "sales", "table": "a/../b", "max_rows": 2})
                .to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // With a filter: a dry run's estimate first, then the query within it.
    let post = |path: &str, body: Value| request("POST", path, &h, body.to_string());
    let with = |extra: Value| {
        let mut body = json!({"project": "shop-1234", "dataset": "sales", "table": "orders"});
        for (k, v) in extra.as_object().expect("an object") {
            body[k] = v.clone();
        }
        body
    };
    let (status, body) = call(
        app.clone(),
        post(
            "/api/catalog/estimate",
            with(json!({"filter": "nope > 1", "max_rows": 10})),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("the filter") && e.contains("nope")),
        "{body}"
    );
    let (status, body) = call(
        app.clone(),
        post(
            "/api/catalog/estimate",
            with(json!({"filter": "id >= 1", "max_rows": 10})),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let estimate: sluice_deploy::wire::QueryEstimate =
        serde_json::from_value(body).expect("an estimate");
    assert_eq!(estimate.bytes_billed, 10 << 20);
    assert!(
        estimate.query.contains("WHERE (id >= 1"),
        "{}",
        estimate.query
    );
    let (status, body) = call(
        app.clone(),
        post(
            "/api/catalog/rows",
            with(json!({"filter": "id >= 1", "max_rows": 10})),
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "no estimate agreed to: {body}"
    );
    let (status, body) = call(
        app.clone(),
        post(
            "/api/catalog/rows",
            with(json!({"filter": "id >= 1", "max_rows": 10, "max_bytes_billed": estimate.bytes_billed})),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let filtered: sluice_deploy::wire::TableRows = serde_json::from_value(body).expect("TableRows");
    assert_eq!(filtered.rows, [json!({"id": 1}), json!({"id": 2})]);
    assert_eq!(filtered.bytes_billed, Some(10 << 20));
    assert!(filtered.job.is_some());
    // Pages smaller than the query's LIMIT: the rest through the job.
    let (status, body) = call(
        app.clone(),
        post(
            "/api/catalog/rows",
            with(json!({"filter": "id >= 0", "max_rows": 1, "limit": 10,
                        "max_bytes_billed": estimate.bytes_billed})),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let first: sluice_deploy::wire::TableRows = serde_json::from_value(body).expect("TableRows");
    assert_eq!(first.rows, [json!({"id": 0})]);
    let (status, body) = call(
        app.clone(),
        post(
            "/api/catalog/rows",
            with(json!({"filter": "id >= 0", "max_rows": 5, "job": first.job,
                        "page_token": first.page_token})),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rest: sluice_deploy::wire::TableRows = serde_json::from_value(body).expect("TableRows");
    assert_eq!(rest.rows, [json!({"id": 1}), json!({"id": 2})]);
    assert_eq!(rest.page_token, None);
    // A project id that is not one is refused before anything is sent.
    let (status, body) = call(
        app,
        request(
            "POST",
            "/api/catalog/load",
            &h,
            json!({"project": "x/../y"}).to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
}
