//! The server's API as the page calls it: one `fetch` for every call, with the
//! server's per-run token.
//!
//! The token arrives in the address `sluice serve` prints (`?token=…`); it is kept
//! in this tab's sessionStorage and taken out of the address bar at once, so a
//! copied link never carries it.

use sluice_deploy::wire::ErrorBody;

const TOKEN_KEY: &str = "sluice.token";

/// Takes `?token=…` out of the address bar into sessionStorage; call once at start.
pub fn capture_token() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let search = location.search().unwrap_or_default();
    let Some(token) = search
        .trim_start_matches('?')
        .split('&')
        .find_map(|p| p.strip_prefix("token="))
        .map(str::to_owned)
    else {
        return;
    };
    if let Ok(Some(storage)) = window.session_storage() {
        let _ = storage.set_item(TOKEN_KEY, &token);
    }
    let rest: Vec<&str> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("token="))
        .collect();
    let url = format!(
        "{}{}{}",
        location.pathname().unwrap_or_else(|_| "/".into()),
        if rest.is_empty() {
            String::new()
        } else {
            format!("?{}", rest.join("&"))
        },
        location.hash().unwrap_or_default()
    );
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// The server's token, when the page has it.
pub fn token() -> Option<String> {
    web_sys::window()?
        .session_storage()
        .ok()??
        .get_item(TOKEN_KEY)
        .ok()?
        .filter(|t| !t.is_empty())
}

/// A request's body as the JSON the call sends: one of the `sluice_deploy::wire`
/// request types, which serialize without fail.
pub fn body(request: &impl serde::Serialize) -> Option<String> {
    serde_json::to_string(request).ok()
}

/// A call whose answer is `T` (a type the server answers with, from
/// `sluice_deploy::wire`); an answer of another shape is an error that says so.
pub async fn fetch_as<T: serde::de::DeserializeOwned>(
    method: &str,
    url: &str,
    body: Option<String>,
) -> Result<T, String> {
    let text = call(method, url, body).await?;
    serde_json::from_str(&text)
        .map_err(|e| format!("the server's answer to {url} is not what this page reads: {e}"))
}

/// A JSON call to the server's API (with the token): the answer's text, or the
/// error the server gave ([`ErrorBody`]) or why there is no answer.
async fn call(method: &str, url: &str, body: Option<String>) -> Result<String, String> {
    use gloo_net::http::Request;
    let mut request = match method {
        "POST" => Request::post(url),
        _ => Request::get(url),
    };
    if let Some(token) = token() {
        request = request.header("X-Sluice-Token", &token);
    }
    let response = match body {
        Some(b) => {
            request
                .header("Content-Type", "application/json")
                .body(b)
                .map_err(|e| e.to_string())?
                .send()
                .await
        }
        None => request.send().await,
    }
    .map_err(|e| format!("the server did not answer: {e}"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if (200..300).contains(&status) {
        Ok(text)
    } else {
        Err(serde_json::from_str::<ErrorBody>(&text)
            .map(|b| b.error)
            .unwrap_or_else(|_| format!("the server answered {status}")))
    }
}
