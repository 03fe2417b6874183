//! A project's own topics and tables, loaded through the server
//! (`POST /api/catalog/load`), and how they join the catalog.

use std::rc::Rc;

use sluice_deploy::wire::ProjectCatalog;
use sluice_sql::Catalog;
use yew::prelude::*;

/// Where a project's sources are read: Google Cloud, with the server's
/// credentials, or the local target inside the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Place {
    /// The project on Google Cloud.
    #[default]
    Cloud,
    /// The local target's topics and tables.
    Local,
}

impl Place {
    /// The server's endpoint that loads the catalog.
    pub fn load_path(self) -> &'static str {
        match self {
            Self::Cloud => "/api/catalog/load",
            Self::Local => "/api/local/catalog",
        }
    }

    /// The server's endpoint that samples a topic.
    pub fn sample_path(self) -> &'static str {
        match self {
            Self::Cloud => "/api/catalog/sample",
            Self::Local => "/api/local/sample",
        }
    }

    /// The server's endpoint that reads a page of a table's rows.
    pub fn rows_path(self) -> &'static str {
        match self {
            Self::Cloud => "/api/catalog/rows",
            Self::Local => "/api/local/rows",
        }
    }

    /// What the page calls the place of `project`'s sources.
    pub fn describe(self, project: &str) -> String {
        match self {
            Self::Cloud => project.to_string(),
            Self::Local => "the local target".to_string(),
        }
    }
}

/// A project's catalog being loaded.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Loading {
    /// Asked the server for this place's.
    Asking(String, Place),
    /// The project's catalog, the answer it came in, and where from.
    Loaded(Rc<Catalog>, Rc<ProjectCatalog>, Place),
    /// Why there is none.
    Failed(String),
}

/// What the loaded catalog holds, and the choice of merging it in or replacing
/// the catalog with it.
pub(super) fn loading_pane(
    loading: &Option<Loading>,
    on_merge: &Callback<MouseEvent>,
    on_replace: &Callback<MouseEvent>,
    on_close: &Callback<MouseEvent>,
) -> Html {
    match loading {
        None => html! {},
        Some(Loading::Asking(project, place)) => html! {
            <p class="hint" id="project-loaded" role="status">{ format!("Reading the topics and tables of {}…", place.describe(project)) }</p>
        },
        Some(Loading::Failed(why)) => html! {
            <div id="project-loaded">
                <p class="run-error" role="alert">{ format!("The project's catalog could not be read: {why}") }</p>
                <button class="secondary small" onclick={on_close.clone()}>{ "Close" }</button>
            </div>
        },
        Some(Loading::Loaded(catalog, answer, place)) => {
            let topics = catalog.sources.iter().filter(|s| !s.is_bounded()).count();
            let tables = catalog.sources.len() - topics;
            html! {
                <div class="loaded" id="project-loaded" role="status">
                    <p>{ format!(
                        "{} {} and {} {} in {}, read at {}.",
                        topics, if topics == 1 { "topic" } else { "topics" },
                        tables, if tables == 1 { "table" } else { "tables" },
                        place.describe(&answer.project), short_time(&answer.loaded_at),
                    ) }</p>
                    if !answer.notes.is_empty() {
                        <ul class="findings">
                            { for answer.notes.iter().map(|n| html! { <li class="finding note">{ n.clone() }</li> }) }
                        </ul>
                    }
                    <div class="row">
                        <button class="run small" id="merge-loaded" onclick={on_merge.clone()}
                            title="Add the project's sources; the tables' schemas replace those of the same name">{ "Merge into the catalog" }</button>
                        <button class="secondary small" id="replace-loaded" onclick={on_replace.clone()}>{ "Replace the catalog" }</button>
                        <button class="secondary small" onclick={on_close.clone()}>{ "Cancel" }</button>
                    </div>
                </div>
            }
        }
    }
}

/// An RFC 3339 UTC time to the second, as people read it: `2026-12-01 13:01:37 UTC`.
pub(super) fn short_time(rfc3339: &str) -> String {
    match (rfc3339.get(..19), rfc3339.ends_with('Z')) {
        (Some(head), true) => format!("{} UTC", head.replacen('T', " ", 1)),
        _ => rfc3339.to_string(),
    }
}

/// `current` with a project's `loaded` sources: its tables' schemas replace those of
/// tables of the same name, and so do the fields of its `typed` topics (named by
/// SQL name: their fields came from their Pub/Sub schema); another topic already in
/// the catalog keeps its fields (Pub/Sub does not know them); with `replace`, the
/// sources the project lacks go and the catalog takes the project's id.
pub fn merge_loaded(
    current: &Catalog,
    loaded: &Catalog,
    typed: &[String],
    replace: bool,
) -> Catalog {
    let mut next = if replace {
        Catalog {
            project: loaded.project.clone(),
            sources: Vec::new(),
        }
    } else {
        current.clone()
    };
    for source in &loaded.sources {
        let name = source.sql_name();
        let mut source = source.clone();
        if !source.is_bounded()
            && !typed.contains(&name)
            && let Some(known) = current.sources.iter().find(|s| s.sql_name() == name)
        {
            source.schema = known.schema.clone();
        }
        match next.sources.iter_mut().find(|s| s.sql_name() == name) {
            Some(slot) => *slot = source,
            None => next.sources.push(source),
        }
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::catalog::new_source;
    use sluice_sql::catalog::SourceKind;
    use sluice_sql::types::{DataType, Field};

    #[test]
    fn a_loaded_project_merges_in_or_replaces_keeping_known_topic_fields() {
        let current = Catalog::reference();
        let empty = Catalog {
            project: current.project.clone(),
            sources: vec![],
        };
        let source = |kind, name| new_source(&empty, kind, name).expect("a new source");
        let mut loaded = Catalog {
            project: current.project.clone(),
            sources: vec![
                source(SourceKind::PubsubTopic, "orders"),
                source(SourceKind::BigQueryTable, "ecommerce.orders"),
                source(SourceKind::BigQueryTable, "web.visits"),
            ],
        };
        loaded.sources[1].schema = vec![Field::new("only", DataType::Int64)];
        let merged = merge_loaded(&current, &loaded, &[], false);
        let names: Vec<String> = merged.sources.iter().map(|s| s.sql_name()).collect();
        assert_eq!(names.len(), 4, "{names:?}");
        assert_eq!(
            merged.sources[0].schema, current.sources[0].schema,
            "the topic keeps its fields"
        );
        assert_eq!(
            merged.sources[1].schema, loaded.sources[1].schema,
            "the table takes the project's"
        );
        assert!(names.contains(&"bigquery.table.`demobox-313313`.ecommerce.customers".to_string()));
        let replaced = merge_loaded(&current, &loaded, &[], true);
        assert_eq!(replaced.sources.len(), 3);
        assert_eq!(replaced.sources[0].schema, current.sources[0].schema);
        assert!(!replaced.sources.iter().any(|s| s.name == "customers"));
        // A topic typed by its Pub/Sub schema takes the project's fields.
        let typed = [loaded.sources[0].sql_name()];
        let merged = merge_loaded(&current, &loaded, &typed, false);
        assert_eq!(merged.sources[0].schema, loaded.sources[0].schema);
    }

    #[test]
    fn load_times_read_to_the_second() {
        assert_eq!(
            short_time("2026-12-01T13:01:37.580736Z"),
            "2026-12-01 13:01:37 UTC"
        );
        assert_eq!(
            short_time("2026-12-01T13:01:37Z"),
            "2026-12-01 13:01:37 UTC"
        );
        assert_eq!(short_time("soon"), "soon");
    }
}
