//! The scenario a link or the browser's storage keeps: the query, the catalog and
//! the generator settings (with the seed), as JSON, deflated and base64url-encoded
//! into the URL's fragment (`#s=...`), so opening the link restores the same
//! simulation. Broken links say what is wrong and fall back to what is intact.

use base64::Engine as _;
use serde_json::{Value as J, json};
use sluice_sql::Catalog;

use crate::simulation::Settings;

/// The fragment key of a shared scenario.
pub const KEY: &str = "s";
/// The localStorage key of the last scenario.
pub const STORAGE_KEY: &str = "sluice.scenario.v1";
/// The largest scenario JSON a link may inflate to (a guard against hostile links).
pub const MAX_JSON: usize = 4 << 20;

/// Everything a simulation needs to be reproduced.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The SQL text.
    pub query: String,
    /// Topics, tables and the project.
    pub catalog: Catalog,
    /// Generator settings, including the seed.
    pub settings: Settings,
}

impl Default for Scenario {
    fn default() -> Self {
        Self {
            query: sluice_sql::reference::QUERY.to_string(),
            catalog: Catalog::reference(),
            settings: Settings::default(),
        }
    }
}

impl Scenario {
    /// The scenario as JSON.
    pub fn to_json(&self) -> J {
        json!({
            "version": 1,
            "query": self.query,
            "catalog": self.catalog.to_json(),
            "settings": self.settings.to_json(),
        })
    }

    /// A scenario from JSON; parts that are missing or broken keep the defaults
    /// and are described in the returned warnings.
    pub fn from_json(value: &J) -> (Self, Vec<String>) {
        let mut scenario = Self::default();
        let mut warnings = Vec::new();
        match value.get("query").map(J::as_str) {
            Some(Some(q)) => scenario.query = q.to_string(),
            Some(None) => {
                warnings.push("the query is not text; the reference query is used".into())
            }
            None => warnings.push("the link has no query; the reference query is used".into()),
        }
        if let Some(c) = value.get("catalog") {
            match Catalog::from_value(c) {
                Ok(c) => scenario.catalog = c,
                Err(e) => warnings.push(format!("{e}; the reference catalog is used")),
            }
        }
        if let Some(s) = value.get("settings") {
            let (settings, bad) = Settings::from_json(s);
            scenario.settings = settings;
            if !bad.is_empty() {
                warnings.push(format!(
                    "settings {} were not valid; their defaults are used",
                    bad.join(", ")
                ));
            }
        }
        (scenario, warnings)
    }

    /// The scenario as URL-safe text: deflated JSON in base64url.
    pub fn encode(&self) -> String {
        let json = self.to_json().to_string();
        let deflated = miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 9);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(deflated)
    }

    /// The inverse of [`Scenario::encode`], with the warnings of [`Scenario::from_json`].
    pub fn decode(text: &str) -> Result<(Self, Vec<String>), String> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|e| format!("the link's scenario is not valid base64url ({e})"))?;
        let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes, MAX_JSON)
            .map_err(|e| format!("the link's scenario does not inflate ({:?})", e.status))?;
        let value: J = serde_json::from_slice(&json)
            .map_err(|e| format!("the link's scenario is not JSON ({e})"))?;
        if !value.is_object() {
            return Err("the link's scenario is not a JSON object".into());
        }
        Ok(Self::from_json(&value))
    }
}

/// The scenario text in a URL fragment like `#s=...`, if there is one.
pub fn from_fragment(hash: &str) -> Option<&str> {
    hash.trim_start_matches('#')
        .split('&')
        .find_map(|kv| kv.strip_prefix(KEY)?.strip_prefix('='))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scenario_round_trips_through_a_link() {
        let mut s = Scenario {
            query: "SELECT amount FROM pubsub.topic.`demobox-313313`.orders -- ünïcode".into(),
            ..Scenario::default()
        };
        s.settings.batch.seed = 1234;
        s.settings.events = 77;
        s.catalog.project = "other-project".into();
        let text = s.encode();
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        let (back, warnings) = Scenario::decode(&text).expect("decodes");
        assert_eq!(back, s);
        assert!(warnings.is_empty(), "{warnings:?}");
        let link = format!("#{KEY}={text}");
        assert_eq!(from_fragment(&link), Some(text.as_str()));
        assert_eq!(from_fragment("#other=1"), None);
    }

    #[test]
    fn broken_links_say_what_is_wrong() {
        assert!(Scenario::decode("!!!").is_err_and(|e| e.contains("base64url")));
        let not_deflate = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b"hello");
        assert!(Scenario::decode(&not_deflate).is_err_and(|e| e.contains("inflate")));
        let deflated = |text: &str| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(miniz_oxide::deflate::compress_to_vec(text.as_bytes(), 6))
        };
        assert!(Scenario::decode(&deflated("[1]")).is_err_and(|e| e.contains("object")));
        // A bomb: a large, very compressible document is refused, not inflated.
        let bomb = deflated(&" ".repeat(MAX_JSON + 10));
        assert!(Scenario::decode(&bomb).is_err());
        let (s, warnings) = Scenario::decode(&deflated(
            r#"{"query": "SELECT 1", "catalog": {"topics": 3}}"#,
        ))
        .expect("decodes");
        assert_eq!(s.query, "SELECT 1");
        assert_eq!(s.catalog, Catalog::reference());
        assert_eq!(warnings.len(), 1, "{warnings:?}");
    }
}
