//! Google's discovery documents as a request validator: which method a request
//! calls, and everything wrong with it (unknown query parameters or body fields,
//! wrong types, missing required fields, output-only fields sent).

use serde_json::{Map, Value};

/// The three APIs' discovery documents.
pub struct Discovery {
    apis: Vec<Api>,
}

struct Api {
    schemas: Map<String, Value>,
    standard_params: Map<String, Value>,
    methods: Vec<Method>,
}

/// A discovery method a request matched.
#[derive(Debug, Clone)]
pub struct Method {
    /// E.g. `pubsub.projects.topics.create`.
    pub id: String,
    http_method: String,
    segments: Vec<Segment>,
    params: Map<String, Value>,
    request: Option<String>,
    /// Body fields the path binds (`name` in `v1/{+name}`).
    bound: Vec<String>,
}

#[derive(Debug, Clone)]
enum Segment {
    Literal(String),
    /// `prefix{name}suffix` (flat paths name every segment).
    Var {
        prefix: String,
        name: String,
        suffix: String,
    },
}

/// A request matched to its method, with its path parameters.
#[derive(Debug, Clone)]
pub struct Matched {
    /// The method.
    pub method: Method,
    /// Path parameters by name.
    pub path_params: Vec<(String, String)>,
}

impl Matched {
    /// A path parameter's value.
    pub fn param(&self, name: &str) -> &str {
        self.path_params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }
}

impl Discovery {
    /// Reads `bigquery.v2.json`, `dataflow.v1b3.json` and `pubsub.v1.json` from `dir`.
    pub fn load(dir: &std::path::Path) -> anyhow::Result<Self> {
        let mut apis = Vec::new();
        for file in ["pubsub.v1.json", "bigquery.v2.json", "dataflow.v1b3.json"] {
            let path = dir.join(file);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            let doc: Value = serde_json::from_str(&text)?;
            let service = doc["servicePath"].as_str().unwrap_or_default().to_owned();
            let mut methods = Vec::new();
            collect_methods(&doc["resources"], &service, &mut methods);
            apis.push(Api {
                schemas: doc["schemas"].as_object().cloned().unwrap_or_default(),
                standard_params: doc["parameters"].as_object().cloned().unwrap_or_default(),
                methods,
            });
        }
        Ok(Self { apis })
    }

    /// Validates a request: the method it calls, or every problem found.
    pub fn check(
        &self,
        http_method: &str,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Result<Matched, Vec<String>> {
        let path = path.trim_start_matches('/');
        for api in &self.apis {
            for method in &api.methods {
                if method.http_method != http_method {
                    continue;
                }
                let Some(path_params) = match_path(&method.segments, path) else {
                    continue;
                };
                let mut problems = Vec::new();
                for (name, value) in query {
                    match method
                        .params
                        .get(name)
                        .or_else(|| api.standard_params.get(name))
                    {
                        None => {
                            problems.push(format!("{}: unknown query parameter {name}", method.id))
                        }
                        Some(spec) => {
                            if spec["location"] == "path" {
                                problems.push(format!("{}: {name} belongs in the path", method.id));
                            }
                            check_scalar(
                                spec,
                                &Value::String(value.clone()),
                                name,
                                &mut problems,
                                true,
                            );
                        }
                    }
                }
                for (name, spec) in &method.params {
                    if spec["required"] == true
                        && spec["location"] == "query"
                        && !query.iter().any(|(n, _)| n == name)
                    {
                        problems.push(format!("{}: missing query parameter {name}", method.id));
                    }
                }
                match (&method.request, body) {
                    (Some(schema), Some(body)) => {
                        let bound: Vec<&str> = method.bound.iter().map(String::as_str).collect();
                        api.check_value(
                            &Value::String(schema.clone()),
                            body,
                            schema,
                            &bound,
                            &mut problems,
                        );
                    }
                    (Some(schema), None) => {
                        problems.push(format!("{}: missing the {schema} body", method.id));
                    }
                    (None, Some(body)) if !body.is_null() => {
                        problems.push(format!("{}: takes no body", method.id));
                    }
                    _ => {}
                }
                let matched = Matched {
                    method: method.clone(),
                    path_params,
                };
                return if problems.is_empty() {
                    Ok(matched)
                } else {
                    Err(problems)
                };
            }
        }
        Err(vec![format!(
            "{http_method} /{path} is no method of the discovery documents"
        )])
    }
}

fn collect_methods(resources: &Value, service: &str, out: &mut Vec<Method>) {
    let Some(resources) = resources.as_object() else {
        return;
    };
    for resource in resources.values() {
        if let Some(methods) = resource["methods"].as_object() {
            for m in methods.values() {
                let path = m["flatPath"]
                    .as_str()
                    .or(m["path"].as_str())
                    .unwrap_or_default();
                let full = format!("{service}{path}");
                out.push(Method {
                    id: m["id"].as_str().unwrap_or_default().to_owned(),
                    http_method: m["httpMethod"].as_str().unwrap_or_default().to_owned(),
                    segments: full.split('/').map(parse_segment).collect(),
                    params: m["parameters"].as_object().cloned().unwrap_or_default(),
                    request: m["request"]["$ref"].as_str().map(str::to_owned),
                    bound: m["path"]
                        .as_str()
                        .unwrap_or_default()
                        .split('{')
                        .skip(1)
                        .filter_map(|v| v.split_once('}'))
                        .map(|(name, _)| name.trim_start_matches('+').to_owned())
                        .collect(),
                });
            }
        }
        collect_methods(&resource["resources"], service, out);
    }
}

fn parse_segment(s: &str) -> Segment {
    match (s.find('{'), s.find('}')) {
        (Some(open), Some(close)) if open < close => {
            let inner = &s[open + 1..close];
            Segment::Var {
                prefix: s[..open].to_owned(),
                name: inner.trim_start_matches('+').to_owned(),
                suffix: s[close + 1..].to_owned(),
            }
        }
        _ => Segment::Literal(s.to_owned()),
    }
}

fn match_path(segments: &[Segment], path: &str) -> Option<Vec<(String, String)>> {
    let parts: Vec<&str> = path.split('/').collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut params = Vec::new();
    for (segment, part) in segments.iter().zip(&parts) {
        match segment {
            Segment::Literal(l) => {
                if l != part {
                    return None;
                }
            }
            Segment::Var {
                prefix,
                name,
                suffix,
                ..
            } => {
                let value = part
                    .strip_prefix(prefix.as_str())?
                    .strip_suffix(suffix.as_str())?;
                if value.is_empty() || value.contains(':') {
                    return None;
                }
                params.push((name.clone(), value.to_owned()));
            }
        }
    }
    Some(params)
}

fn check_scalar(
    spec: &Value,
    value: &Value,
    at: &str,
    problems: &mut Vec<String>,
    from_query: bool,
) {
    let ty = spec["type"].as_str().unwrap_or("any");
    let ok = match (ty, value) {
        ("string", Value::String(s)) => match spec["enum"].as_array() {
            Some(values) => values.iter().any(|v| v == s),
            None => true,
        },
        ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
        ("integer", Value::String(s)) if from_query => s.parse::<i64>().is_ok(),
        ("number", Value::Number(_)) => true,
        ("number", Value::String(s)) if from_query => s.parse::<f64>().is_ok(),
        ("boolean", Value::Bool(_)) => true,
        ("boolean", Value::String(s)) if from_query => s == "true" || s == "false",
        ("any", _) => true,
        _ => false,
    };
    if !ok {
        let allowed = spec["enum"]
            .as_array()
            .map(|v| format!(" (one of {})", Value::Array(v.clone())))
            .unwrap_or_default();
        problems.push(format!("{at}: expected {ty}{allowed}, got {value}"));
    }
}

impl Api {
    /// Checks `value` against `spec` (a schema, a `$ref` or a schema name).
    fn check_value(
        &self,
        spec: &Value,
        value: &Value,
        at: &str,
        bound: &[&str],
        problems: &mut Vec<String>,
    ) {
        let spec = match spec {
            Value::String(name) => match self.schemas.get(name) {
                Some(s) => s,
                None => {
                    problems.push(format!("{at}: unknown schema {name}"));
                    return;
                }
            },
            other => other,
        };
        if let Some(name) = spec["$ref"].as_str() {
            self.check_value(&Value::String(name.to_owned()), value, at, &[], problems);
            return;
        }
        match spec["type"].as_str().unwrap_or("any") {
            "object" => {
                let Some(object) = value.as_object() else {
                    problems.push(format!("{at}: expected an object, got {value}"));
                    return;
                };
                if let Some(properties) = spec["properties"].as_object() {
                    for (key, v) in object {
                        match properties.get(key) {
                            None => problems.push(format!("{at}.{key}: unknown field")),
                            Some(p) if p["readOnly"] == true => {
                                problems.push(format!("{at}.{key}: output only"))
                            }
                            Some(p) => {
                                self.check_value(p, v, &format!("{at}.{key}"), &[], problems)
                            }
                        }
                    }
                    for (key, p) in properties {
                        let described = p["description"].as_str().unwrap_or_default().trim_start();
                        let required = p["required"] == true || described.starts_with("Required");
                        if required && !object.contains_key(key) && !bound.contains(&key.as_str()) {
                            problems.push(format!("{at}.{key}: required"));
                        }
                    }
                } else if let Some(values) = spec.get("additionalProperties") {
                    for (key, v) in object {
                        self.check_value(values, v, &format!("{at}.{key}"), &[], problems);
                    }
                }
            }
            "array" => match value.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.check_value(
                            &spec["items"],
                            item,
                            &format!("{at}[{i}]"),
                            &[],
                            problems,
                        );
                    }
                }
                None => problems.push(format!("{at}: expected an array, got {value}")),
            },
            _ => check_scalar(spec, value, at, problems, false),
        }
    }
}
