//! HTTP plumbing: the connection handler, replies in Google's error shape, and
//! request paths and parameters decoded.

use super::*;

pub(crate) fn error(status: u16, google_status: &str, message: &str) -> (u16, Value) {
    (
        status,
        json!({"error": {"code": status, "status": google_status, "message": message}}),
    )
}

pub(crate) async fn handle(
    shared: Arc<Shared>,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Body>, std::io::Error> {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let full_path: String = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| path.clone());
    let query: Vec<(String, String)> = req
        .uri()
        .query()
        .map(|q| {
            q.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (decode(k), decode(v))
                })
                .collect()
        })
        .unwrap_or_default();
    let authorized = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {TOKEN}"));
    let bytes = to_bytes(Body::new(req.into_body()), 32 << 20)
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let body: Option<Value> = if bytes.is_empty() {
        None
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(v) => Some(v),
            Err(e) => {
                let mut state = lock(&shared.state);
                state
                    .violations
                    .push(format!("{method} {path}: body is not JSON: {e}"));
                return Ok(reply(
                    400,
                    json!({"error": {"code": 400, "message": "not JSON"}}),
                ));
            }
        }
    };
    let checked = shared
        .discovery
        .check(&method, &path, &query, body.as_ref());
    let call = match &checked {
        Ok(m) => m.method.id.clone(),
        Err(_) => "?".into(),
    };
    // Logged on arrival (a slow answer may never be read), its status set at the end.
    let entry = {
        let mut state = lock(&shared.state);
        state.log.push(Logged {
            call: call.clone(),
            method: method.clone(),
            path: full_path,
            body: body.clone(),
            status: 0,
        });
        state.log.len() - 1
    };
    // Faults first: they model the network and Google's front end.
    let fault = {
        let mut state = lock(&shared.state);
        let hit = state
            .faults
            .iter_mut()
            .find(|f| f.call == call)
            .and_then(|f| {
                if f.skip > 0 {
                    f.skip -= 1;
                    return None;
                }
                f.times = f.times.saturating_sub(1);
                Some(f.kind.clone())
            });
        state.faults.retain(|f| f.times > 0);
        hit
    };
    match fault {
        Some(FaultKind::Drop) => {
            return Err(std::io::Error::other("fault: dropped connection"));
        }
        Some(FaultKind::Status(status)) => {
            finish(&shared, entry, status);
            let (s, b) = error(status, "UNAVAILABLE", "fault injected by the fake");
            return Ok(reply(s, b));
        }
        Some(FaultKind::Slow(wait)) => tokio::time::sleep(wait).await,
        None => {}
    }
    let (status, answer) = if !authorized {
        error(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials.",
        )
    } else {
        match checked {
            Err(problems) => {
                let mut state = lock(&shared.state);
                state.violations.extend(problems.iter().cloned());
                error(400, "INVALID_ARGUMENT", &problems.join("; "))
            }
            Ok(matched) => {
                let mut state = lock(&shared.state);
                serve(&mut state, shared.timing, &matched, &query, body.as_ref())
            }
        }
    };
    finish(&shared, entry, status);
    Ok(reply(status, answer))
}

pub(crate) fn finish(shared: &Shared, entry: usize, status: u16) {
    if let Some(logged) = lock(&shared.state).log.get_mut(entry) {
        logged.status = status;
    }
}

pub(crate) fn reply(status: u16, body: Value) -> Response<Body> {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        "content-type",
        axum::http::HeaderValue::from_static("application/json"),
    );
    response
}

pub(crate) fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn query_param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(decode("a%20b%26c"), "a b&c");
        assert_eq!(decode("100%"), "100%");
    }
}
