//! The catalog panel: the scenario's topics and tables as a tree (types, modes,
//! nested fields), each schema editable as BigQuery schema JSON (paste the seed's
//! topic schema and it works; errors name the failing field), a topic's schema
//! inferred from sample messages pasted in (`sluice_sql::infer`: the messages stay
//! in the page, only the schema joins the catalog), the project's own topics and
//! tables loaded from Google Cloud through the server (merged in, or replacing
//! the catalog), sources added and removed, and the project id edited in one
//! place.

use std::rc::Rc;

use sluice_deploy::wire::{CatalogLoadRequest, ProjectCatalog, SampleRequest, TopicSample};

use crate::simulation::{SampledStream, SampledTable};
use sluice_sql::Catalog;
use sluice_sql::catalog::{Payload, Source, SourceKind};
use sluice_sql::infer::infer_topic_schema;
use sluice_sql::schema::{parse_schema_json, schema_to_json};
use sluice_sql::types::{DataType, Field, Mode};
use yew::prelude::*;

mod infer;
mod project;
mod rows;

use infer::{Actions, Inferring, Sampling, infer_pane};
pub use project::Place;
pub use project::merge_loaded;
use project::{Loading, loading_pane, short_time};

/// A change of the catalog, with the project rename it came from (if any), so the
/// query's source names can follow.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The new catalog.
    pub catalog: Catalog,
    /// `(old, new)` when the project id changed.
    pub renamed: Option<(String, String)>,
}

/// The panel's inputs.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The catalog shown.
    pub catalog: Rc<Catalog>,
    /// Called with every change.
    pub on_change: Callback<Change>,
    /// Called with sampled messages the simulation is to stream.
    #[prop_or_default]
    pub on_sample: Callback<Rc<SampledStream>>,
    /// Called with a table's sampled rows the simulation is to read.
    #[prop_or_default]
    pub on_table_sample: Callback<Rc<SampledTable>>,
}

/// Rewrites the source names of `query` from project `old` to `new`
/// (``pubsub.topic.`old`.`` and ``bigquery.table.`old`.``), leaving all else alone.
pub fn rename_project(query: &str, old: &str, new: &str) -> String {
    let mut out = query.to_string();
    for prefix in ["pubsub.topic.", "bigquery.table."] {
        for quoted in [true, false] {
            let (from, to) = if quoted {
                (format!("{prefix}`{old}`."), format!("{prefix}`{new}`."))
            } else {
                (format!("{prefix}{old}."), format!("{prefix}`{new}`."))
            };
            out = replace_ignore_ascii_case(&out, &from, &to);
        }
    }
    out
}

fn replace_ignore_ascii_case(text: &str, from: &str, to: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let needle = from.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(at) = lower[i..].find(&needle) {
        out.push_str(&text[i..i + at]);
        out.push_str(to);
        i += at + needle.len();
    }
    out.push_str(&text[i..]);
    out
}

/// `1 column`, `5 columns`.
fn columns(n: usize) -> String {
    if n == 1 {
        "1 column".into()
    } else {
        format!("{n} columns")
    }
}

fn type_text(t: &DataType) -> String {
    match t {
        DataType::Struct(_) => "STRUCT".into(),
        DataType::Array(inner) => format!("ARRAY<{}>", type_text(inner)),
        other => other.to_string(),
    }
}

fn fields_tree(fields: &[Field]) -> Html {
    html! {
        <ul class="fields">
            { for fields.iter().map(|f| {
                let nested = match &f.data_type {
                    DataType::Struct(inner) => Some(inner.clone()),
                    DataType::Array(inner) => match inner.as_ref() {
                        DataType::Struct(inner) => Some(inner.clone()),
                        _ => None,
                    },
                    _ => None,
                };
                let mode = match f.mode {
                    Mode::Nullable => "",
                    Mode::Required => "REQUIRED",
                    Mode::Repeated => "REPEATED",
                };
                html! {
                    <li>
                        <span class="fname">{ f.name.clone() }</span>
                        <span class="ftype">{ type_text(&f.data_type) }</span>
                        if !mode.is_empty() { <span class="fmode">{ mode }</span> }
                        if let Some(inner) = nested { { fields_tree(&inner) } }
                    </li>
                }
            }) }
        </ul>
    }
}

/// The catalog panel.
#[function_component(CatalogPanel)]
pub fn catalog_panel(props: &Props) -> Html {
    // Which source's schema is open for editing (by SQL name), its text, and the error.
    let editing = use_state(|| None::<(String, String)>);
    let error = use_state(|| None::<String>);
    let new_kind = use_state(|| SourceKind::PubsubTopic);
    let new_name = use_state(String::new);
    let inferring = use_state(|| None::<Inferring>);
    let loading = use_state(|| None::<Loading>);
    // Which table's rows pane is open, by SQL name.
    let sampling_rows = use_state(|| None::<String>);
    // Where the sources loaded from a project came from, by SQL name: the place
    // they are sampled at, and what the panel says.
    let origins = use_state(std::collections::BTreeMap::<String, (Place, String)>::new);
    let catalog = props.catalog.clone();

    let on_project = {
        let catalog = catalog.clone();
        let on_change = props.on_change.clone();
        let error = error.clone();
        Callback::from(move |e: Event| {
            let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() else {
                return;
            };
            let new = input.value().trim().to_string();
            if !valid_project(&new) {
                error.set(Some(format!(
                    "\"{new}\" is not a Google Cloud project id (6 to 30 lowercase letters, digits and hyphens, starting with a letter)"
                )));
                return;
            }
            error.set(None);
            let old = catalog.project.clone();
            let mut next = (*catalog).clone();
            for s in &mut next.sources {
                if s.project == old {
                    s.project = new.clone();
                }
            }
            next.project = new.clone();
            on_change.emit(Change {
                catalog: next,
                renamed: Some((old, new)),
            });
        })
    };

    let on_apply = {
        let catalog = catalog.clone();
        let on_change = props.on_change.clone();
        let editing = editing.clone();
        let error = error.clone();
        Callback::from(move |_: MouseEvent| {
            let Some((name, text)) = (*editing).clone() else {
                return;
            };
            match parse_schema_json(&text) {
                Ok(schema) => {
                    let mut next = (*catalog).clone();
                    if let Some(s) = next.sources.iter_mut().find(|s| s.sql_name() == name) {
                        s.schema = schema;
                    }
                    error.set(None);
                    editing.set(None);
                    on_change.emit(Change {
                        catalog: next,
                        renamed: None,
                    });
                }
                Err(e) => error.set(Some(format!("{name} schema: {e}"))),
            }
        })
    };
    let on_text = {
        let editing = editing.clone();
        Callback::from(move |e: InputEvent| {
            if let (Some(area), Some((name, _))) = (
                e.target_dyn_into::<web_sys::HtmlTextAreaElement>(),
                (*editing).clone(),
            ) {
                editing.set(Some((name, area.value())));
            }
        })
    };
    let on_cancel = {
        let editing = editing.clone();
        let error = error.clone();
        Callback::from(move |_: MouseEvent| {
            editing.set(None);
            error.set(None);
        })
    };
    let on_messages = {
        let inferring = inferring.clone();
        Callback::from(move |e: InputEvent| {
            if let (Some(area), Some(now)) = (
                e.target_dyn_into::<web_sys::HtmlTextAreaElement>(),
                (*inferring).clone(),
            ) {
                inferring.set(Some(Inferring {
                    messages: area.value(),
                    result: None,
                    ..now
                }));
            }
        })
    };
    let on_infer = {
        let inferring = inferring.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(now) = (*inferring).clone() {
                let result = infer_topic_schema(&now.messages);
                inferring.set(Some(Inferring {
                    result: Some(Rc::new(result)),
                    ..now
                }));
            }
        })
    };
    let on_sample = {
        let (inferring, catalog) = (inferring.clone(), catalog.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(now) = (*inferring).clone() else {
                return;
            };
            let Some(source) = catalog.sources.iter().find(|s| s.sql_name() == now.source) else {
                return;
            };
            let request = SampleRequest {
                project: source.project.clone(),
                topic: source.name.clone(),
                max_messages: 200,
                seconds: 10,
                replay_minutes: now.replay.then_some(infer::REPLAY_MINUTES),
            };
            inferring.set(Some(Inferring {
                sampling: Sampling::Asking,
                ..now.clone()
            }));
            let inferring = inferring.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let answer = crate::api::fetch_as::<TopicSample>(
                    "POST",
                    now.place.sample_path(),
                    crate::api::body(&request),
                )
                .await;
                inferring.set(Some(match answer {
                    Ok(sample) => {
                        let messages = sample
                            .messages
                            .iter()
                            .map(|m| m.data.trim())
                            .collect::<Vec<_>>()
                            .join("\n");
                        let what = format!(
                            "{} {} sampled from {} at {}",
                            sample.messages.len(),
                            if sample.messages.len() == 1 {
                                "message"
                            } else {
                                "messages"
                            },
                            sample.topic,
                            short_time(&sample.sampled_at),
                        );
                        let result = (!sample.messages.is_empty())
                            .then(|| Rc::new(infer_topic_schema(&messages)));
                        let stream = Rc::new(sampled_stream(&now.source, &what, &sample));
                        Inferring {
                            messages,
                            result,
                            sampling: Sampling::Taken(what, sample.notes, stream),
                            ..now
                        }
                    }
                    Err(why) => Inferring {
                        sampling: Sampling::Failed(why),
                        ..now
                    },
                }));
            });
        })
    };
    let on_use_inferred = {
        let catalog = catalog.clone();
        let on_change = props.on_change.clone();
        let inferring = inferring.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(now) = (*inferring).clone() else {
                return;
            };
            let Some(Ok(inferred)) = now.result.as_deref() else {
                return;
            };
            let mut next = (*catalog).clone();
            if let Some(s) = next.sources.iter_mut().find(|s| s.sql_name() == now.source) {
                s.schema = inferred.fields.clone();
            }
            inferring.set(None);
            on_change.emit(Change {
                catalog: next,
                renamed: None,
            });
        })
    };
    let on_close_infer = {
        let inferring = inferring.clone();
        Callback::from(move |_: MouseEvent| inferring.set(None))
    };
    let on_load = |place: Place| {
        let (loading, project) = (loading.clone(), catalog.project.clone());
        Callback::from(move |_: MouseEvent| {
            loading.set(Some(Loading::Asking(project.clone(), place)));
            let (loading, project) = (loading.clone(), project.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let answer = crate::api::fetch_as::<ProjectCatalog>(
                    "POST",
                    place.load_path(),
                    crate::api::body(&CatalogLoadRequest { project }),
                )
                .await
                .and_then(|loaded| {
                    let catalog = Catalog::from_value(&loaded.catalog)
                        .map_err(|e| format!("the project's catalog does not read: {e}"))?;
                    Ok((Rc::new(catalog), Rc::new(loaded)))
                });
                loading.set(Some(match answer {
                    Ok((catalog, loaded)) => Loading::Loaded(catalog, loaded, place),
                    Err(e) => Loading::Failed(e),
                }));
            });
        })
    };
    let take_loaded = |replace: bool| {
        let (catalog, on_change, loading, origins) = (
            catalog.clone(),
            props.on_change.clone(),
            loading.clone(),
            origins.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let Some(Loading::Loaded(loaded, answer, place)) = (*loading).clone() else {
                return;
            };
            let next = merge_loaded(&catalog, &loaded, &answer.typed_topics, replace);
            let mut from = if replace {
                Default::default()
            } else {
                (*origins).clone()
            };
            for s in &loaded.sources {
                from.insert(
                    s.sql_name(),
                    (
                        place,
                        format!(
                            "from {} at {}",
                            place.describe(&answer.project),
                            short_time(&answer.loaded_at)
                        ),
                    ),
                );
            }
            origins.set(from);
            loading.set(None);
            let renamed = (replace && catalog.project != loaded.project)
                .then(|| (catalog.project.clone(), loaded.project.clone()));
            on_change.emit(Change {
                catalog: next,
                renamed,
            });
        })
    };
    let on_close_loaded = {
        let loading = loading.clone();
        Callback::from(move |_: MouseEvent| loading.set(None))
    };
    let on_simulate = {
        let (inferring, on_sample) = (inferring.clone(), props.on_sample.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(Inferring {
                sampling: Sampling::Taken(_, _, stream),
                ..
            }) = &*inferring
            {
                on_sample.emit(stream.clone());
            }
        })
    };
    let on_replay = {
        let inferring = inferring.clone();
        Callback::from(move |e: Event| {
            if let (Some(input), Some(now)) = (
                e.target_dyn_into::<web_sys::HtmlInputElement>(),
                (*inferring).clone(),
            ) {
                inferring.set(Some(Inferring {
                    replay: input.checked(),
                    ..now
                }));
            }
        })
    };
    let actions = Actions {
        on_messages,
        on_replay,
        on_infer,
        on_sample,
        on_simulate,
        on_use: on_use_inferred,
        on_close: on_close_infer,
    };
    let on_new_kind = {
        let new_kind = new_kind.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                new_kind.set(if select.value() == "table" {
                    SourceKind::BigQueryTable
                } else {
                    SourceKind::PubsubTopic
                });
            }
        })
    };
    let on_new_name = {
        let new_name = new_name.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                new_name.set(input.value());
            }
        })
    };
    let on_add = {
        let catalog = catalog.clone();
        let on_change = props.on_change.clone();
        let error = error.clone();
        let new_kind = new_kind.clone();
        let new_name = new_name.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match new_source(&catalog, *new_kind, &new_name) {
                Ok(source) => {
                    let mut next = (*catalog).clone();
                    next.sources.push(source);
                    error.set(None);
                    new_name.set(String::new());
                    on_change.emit(Change {
                        catalog: next,
                        renamed: None,
                    });
                }
                Err(message) => error.set(Some(message)),
            }
        })
    };

    html! {
        <section id="catalog" class="catalog" aria-label="Catalog">
            <label class="field project" for="project">
                <span>{ "Project" }</span>
                <input id="project" value={catalog.project.clone()} onchange={on_project} spellcheck="false" />
            </label>
            if let Some(e) = &*error {
                <p class="run-error" role="alert" id="catalog-error">{ e.clone() }</p>
            }
            <div class="row">
                <button id="load-project" class="secondary small" disabled={matches!(*loading, Some(Loading::Asking(..)))} onclick={on_load(Place::Cloud)}
                    title="Read the project's Pub/Sub topics and BigQuery tables with the server's Google Cloud credentials">
                    { format!("Load from {}", catalog.project) }
                </button>
                <button id="load-local" class="secondary small" disabled={matches!(*loading, Some(Loading::Asking(..)))} onclick={on_load(Place::Local)}
                    title="Read the topics and tables the local target's jobs made, with the fields they were deployed with">
                    { "Load from the local target" }
                </button>
            </div>
            { loading_pane(&loading, &take_loaded(false), &take_loaded(true), &on_close_loaded) }
            <ul class="sources">
                { for catalog.sources.iter().map(|s| {
                    let name = s.sql_name();
                    let open_edit = {
                        let editing = editing.clone();
                        let error = error.clone();
                        let name = name.clone();
                        let text = serde_json::to_string_pretty(&schema_to_json(&s.schema)).unwrap_or_default();
                        Callback::from(move |_: MouseEvent| {
                            error.set(None);
                            editing.set(Some((name.clone(), text.clone())));
                        })
                    };
                    let remove = {
                        let catalog = catalog.clone();
                        let on_change = props.on_change.clone();
                        let name = name.clone();
                        Callback::from(move |_: MouseEvent| {
                            let mut next = (*catalog).clone();
                            next.sources.retain(|s| s.sql_name() != name);
                            on_change.emit(Change { catalog: next, renamed: None });
                        })
                    };
                    let kind = if s.is_bounded() { "BigQuery table" } else { "Pub/Sub topic" };
                    let editing_this = editing.as_ref().filter(|(n, _)| *n == name).map(|(_, t)| t.clone());
                    let inferring_this = inferring.as_ref().filter(|i| i.source == name).cloned();
                    let rows_open = sampling_rows.as_deref() == Some(name.as_str());
                    let editing_open = editing_this.is_some() || inferring_this.is_some() || rows_open;
                    let open_rows = {
                        let (sampling_rows, editing, name) = (sampling_rows.clone(), editing.clone(), name.clone());
                        Callback::from(move |_: MouseEvent| {
                            editing.set(None);
                            sampling_rows.set(Some(name.clone()));
                        })
                    };
                    let close_rows = {
                        let sampling_rows = sampling_rows.clone();
                        Callback::from(move |()| sampling_rows.set(None))
                    };
                    let place = origins.get(&name).map_or(Place::Cloud, |(place, _)| *place);
                    let open_infer = {
                        let (inferring, editing, name) = (inferring.clone(), editing.clone(), name.clone());
                        Callback::from(move |_: MouseEvent| {
                            editing.set(None);
                            inferring.set(Some(Inferring::new(name.clone(), place)));
                        })
                    };
                    html! {
                        <li class="source" key={name.clone()}>
                            <details open={editing_open}>
                                <summary>
                                    <span class={classes!("badge", if s.is_bounded() { "table" } else { "topic" })}>{ kind }</span>
                                    <code class="sname">{ name.clone() }</code>
                                    <span class="hint">{ columns(s.schema.len()) }</span>
                                    if let Some((_, origin)) = origins.get(&name) {
                                        <span class="hint origin">{ origin.clone() }</span>
                                    }
                                    if let Payload::Unreadable(what) = &s.payload {
                                        <span class="hint payload-warning" title="The deployed pipeline reads JSON messages: Dataflow would send every one of these to the dead-letter table">
                                            { format!("{what}: Dataflow cannot read it") }
                                        </span>
                                    }
                                </summary>
                                { fields_tree(&s.schema) }
                                if let Some(text) = editing_this {
                                    <div class="schema-edit">
                                        <textarea class="schema-json" aria-label={format!("Schema JSON of {name}")}
                                            value={text} oninput={on_text.clone()} spellcheck="false" rows="10" />
                                        <div class="row">
                                            <button class="run small apply-schema" onclick={on_apply.clone()}>{ "Apply schema" }</button>
                                            <button class="secondary small" onclick={on_cancel.clone()}>{ "Cancel" }</button>
                                        </div>
                                    </div>
                                } else if let Some(i) = inferring_this {
                                    { infer_pane(&name, &i, &actions) }
                                } else if let (true, Some(dataset)) = (rows_open, s.dataset.clone()) {
                                    <rows::RowsPane sql_name={name.clone()} project={s.project.clone()} place={place}
                                        source={Rc::new(s.clone())}
                                        dataset={dataset} table={s.name.clone()}
                                        on_sampled={props.on_table_sample.clone()} on_close={close_rows} />
                                } else {
                                    <div class="row">
                                        <button class="secondary small edit-schema" onclick={open_edit}>{ "Edit schema JSON" }</button>
                                        if !s.is_bounded() {
                                            <button class="secondary small infer-schema" onclick={open_infer}
                                                title="Infer the topic's schema from sample messages">{ "Infer from messages" }</button>
                                        } else {
                                            <button class="secondary small sample-rows" onclick={open_rows}
                                                title="Read some of the table's rows from the project, for the simulation">{ "Sample rows" }</button>
                                        }
                                        <button class="secondary small" onclick={remove} title={format!("Remove {name} from the catalog")}>{ "Remove" }</button>
                                    </div>
                                }
                            </details>
                        </li>
                    }
                }) }
            </ul>
            <form class="add-source row" onsubmit={on_add}>
                <select aria-label="Kind of source" onchange={on_new_kind}>
                    <option value="topic" selected={*new_kind == SourceKind::PubsubTopic}>{ "Pub/Sub topic" }</option>
                    <option value="table" selected={*new_kind == SourceKind::BigQueryTable}>{ "BigQuery table" }</option>
                </select>
                <input aria-label="Name" placeholder={if *new_kind == SourceKind::PubsubTopic { "topic" } else { "dataset.table" }}
                    value={(*new_name).clone()} oninput={on_new_name} spellcheck="false" />
                <button class="secondary small" type="submit">{ "Add" }</button>
            </form>
        </section>
    }
}

/// A topic's sample as the simulation streams it: each message at its publish
/// time, oldest first; a message whose time does not read keeps its place.
fn sampled_stream(topic: &str, what: &str, sample: &TopicSample) -> SampledStream {
    let mut messages: Vec<(i64, String)> = Vec::with_capacity(sample.messages.len());
    for m in &sample.messages {
        let previous = messages.last().map_or(0, |p| p.0);
        let time = sluice_sql::literal::parse_timestamp(&m.publish_time).unwrap_or(previous);
        messages.push((time, m.data.clone()));
    }
    messages.sort_by_key(|m| m.0);
    SampledStream {
        topic: topic.to_string(),
        label: what.to_string(),
        messages,
    }
}

/// Google Cloud project ids: 6 to 30 characters, lowercase letters, digits and
/// hyphens, starting with a letter and not ending with a hyphen.
pub fn valid_project(id: &str) -> bool {
    (6..=30).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && !id.ends_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A new source named `name` (`dataset.table` for tables) with a starter schema.
pub fn new_source(catalog: &Catalog, kind: SourceKind, name: &str) -> Result<Source, String> {
    let name = name.trim();
    let (dataset, table) = match kind {
        SourceKind::PubsubTopic => (None, name),
        SourceKind::BigQueryTable => match name.split_once('.') {
            Some((d, t)) => (Some(d.to_string()), t),
            None => return Err(format!("name the table as dataset.table, not \"{name}\"")),
        },
    };
    if !valid_name(table) || dataset.as_deref().is_some_and(|d| !valid_name(d)) {
        return Err(format!(
            "\"{name}\" is not a valid name (letters, digits, _ and -)"
        ));
    }
    let schema = match kind {
        SourceKind::PubsubTopic => vec![
            Field::new(sluice_sql::catalog::EVENT_TIMESTAMP, DataType::Timestamp)
                .with_mode(Mode::Required),
        ],
        SourceKind::BigQueryTable => vec![Field::new("id", DataType::Int64)],
    };
    let source = Source {
        kind,
        project: catalog.project.clone(),
        dataset,
        name: table.to_string(),
        schema,
        payload: Payload::Json,
    };
    if catalog
        .sources
        .iter()
        .any(|s| s.sql_name() == source.sql_name())
    {
        return Err(format!("{} is already in the catalog", source.sql_name()));
    }
    Ok(source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renaming_the_project_rewrites_only_source_names() {
        let q = "SELECT 'demobox-313313' FROM pubsub.topic.`demobox-313313`.orders o JOIN BIGQUERY.TABLE.`demobox-313313`.ecommerce.orders USING (x) JOIN bigquery.table.demobox.e.t USING (y)";
        let out = rename_project(q, "demobox-313313", "my-proj");
        assert_eq!(
            out,
            "SELECT 'demobox-313313' FROM pubsub.topic.`my-proj`.orders o JOIN bigquery.table.`my-proj`.ecommerce.orders USING (x) JOIN bigquery.table.demobox.e.t USING (y)"
        );
        assert_eq!(rename_project("a.b", "x", "y"), "a.b");
    }

    #[test]
    fn the_renamed_reference_query_still_analyzes() {
        let catalog = Catalog::reference();
        let mut renamed = catalog.clone();
        for s in &mut renamed.sources {
            s.project = "my-project".into();
        }
        renamed.project = "my-project".into();
        let q = rename_project(sluice_sql::reference::QUERY, "demobox-313313", "my-project");
        let a = sluice_sql::analyze(&q, &renamed);
        assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
    }

    #[test]
    fn project_ids_and_new_sources_are_checked() {
        assert!(valid_project("demobox-313313"));
        assert!(!valid_project("Demo"));
        assert!(!valid_project("abc"));
        assert!(!valid_project("abcdef-"));
        let c = Catalog::reference();
        assert!(
            new_source(&c, SourceKind::PubsubTopic, "orders").is_err_and(|e| e.contains("already"))
        );
        assert!(
            new_source(&c, SourceKind::BigQueryTable, "nodot")
                .is_err_and(|e| e.contains("dataset.table"))
        );
        assert!(
            new_source(&c, SourceKind::PubsubTopic, "a b")
                .is_err_and(|e| e.contains("not a valid"))
        );
        let s = new_source(&c, SourceKind::BigQueryTable, "shop.items").expect("a table");
        assert_eq!(s.sql_name(), "bigquery.table.`demobox-313313`.shop.items");
    }

    #[test]
    fn the_seed_topic_schema_pastes_as_is() {
        let fields =
            parse_schema_json(sluice_sql::reference::ORDERS_TOPIC_SCHEMA_JSON).expect("parses");
        assert_eq!(fields, Catalog::reference().sources[0].schema);
    }
}
