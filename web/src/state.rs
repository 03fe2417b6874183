//! The app's state in one place, changed only by named actions (as Yew's
//! `function_todomvc` does: `State`, `Action`, `impl Reducible`). The reducer is
//! pure: saving the scenario, the clipboard and the theme's storage happen in the
//! callbacks and effects that dispatch the actions.

use std::rc::Rc;

use sluice_sql::Catalog;
use yew::prelude::*;

use crate::components::catalog;
use crate::components::deploy::Analysed;
use crate::simulation::{SampledStream, SampledTable, Samples, Settings};

/// The page's colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    /// Dark text on light.
    Light,
    /// Light text on dark.
    Dark,
}

impl Theme {
    /// The name the stylesheet and the storage use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }

    /// The theme called `name`, if it is one.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "light" => Some(Self::Light),
            "dark" => Some(Self::Dark),
            _ => None,
        }
    }

    /// The other theme.
    pub fn toggled(self) -> Self {
        match self {
            Self::Light => Self::Dark,
            Self::Dark => Self::Light,
        }
    }
}

/// The query the simulation and the deploy panel show, and its plan: the
/// editor's newest analysis, taken up once the browser has painted it.
#[derive(Clone)]
pub struct Settled {
    /// The query text.
    pub query: String,
    /// Its plan, when it has one.
    pub plan: Option<Rc<sluice_sql::Plan>>,
    /// What the deploy panel compiles: the plan, or the errors that stop it.
    pub analysed: Analysed,
}

impl PartialEq for Settled {
    /// The same text and the same analysis (plans are compared by identity: the
    /// simulation restarts only for a new one).
    fn eq(&self, other: &Self) -> bool {
        self.query == other.query
            && match (&self.plan, &other.plan) {
                (Some(a), Some(b)) => Rc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            }
            && match (&self.analysed, &other.analysed) {
                (Analysed::Plan(a), Analysed::Plan(b)) => Rc::ptr_eq(a, b),
                (Analysed::Problems(a), Analysed::Problems(b)) => Rc::ptr_eq(a, b),
                _ => false,
            }
    }
}

/// Everything the analyst changes and the page remembers while it is open.
#[derive(Clone, PartialEq)]
pub struct State {
    /// The query text, as analysed.
    pub query: String,
    /// The catalog of sources.
    pub catalog: Rc<Catalog>,
    /// The generator's settings.
    pub settings: Settings,
    /// Notices about the scenario the page opened with (a link that did not read).
    pub notices: Vec<String>,
    /// Text pushed into the editor (a project rename, Format), with a counter so
    /// the same text twice is pushed twice.
    pub replace: Option<(String, u32)>,
    /// Bumped by Run: the simulation starts over.
    pub run: u32,
    /// The colours.
    pub theme: Theme,
    /// The Copy link button's answer: whether the clipboard took the link.
    pub copied: Option<bool>,
    /// Where the editor's cursor is sent (line, column, a counter).
    pub jump: Option<(u32, u32, u32)>,
    /// Whether the deploy panel was ever opened (it is made then, and kept).
    pub deploy_seen: bool,
    /// What the simulation and the deploy panel show; `None` until the first paint
    /// (they show the newest analysis then).
    pub settled: Option<Settled>,
    /// Messages sampled from a topic that the simulation streams instead of its
    /// generated orders, and tables' rows it reads instead of generated ones;
    /// never part of the scenario kept or shared.
    pub samples: Samples,
}

/// What can happen to the [`State`].
pub enum Action {
    /// The editor's text changed (after a pause for very large queries).
    QueryEdited(String),
    /// The catalog panel changed the catalog; a project renamed in it is renamed
    /// in the query too.
    CatalogChanged(catalog::Change),
    /// Format laid the query out again.
    Formatted,
    /// A generator setting changed.
    SettingsChanged(Settings),
    /// Run (Ctrl+Enter): show this analysis now, and start the simulation over.
    Ran(Settled),
    /// The browser painted a change: the simulation and the deploy panel take up
    /// this analysis.
    Settled(Settled),
    /// The theme button.
    ThemeToggled,
    /// The simulation streams these sampled messages (`None`: generated orders again).
    Sampled(Option<Rc<SampledStream>>),
    /// The simulation reads these sampled rows instead of the table's generated ones.
    TableSampled(Rc<SampledTable>),
    /// The simulation generates every table again.
    TablesGenerated,
    /// The clipboard's answer to Copy link (`None`: the scenario changed since).
    LinkCopied(Option<bool>),
    /// A problem was chosen: send the editor's cursor to its line and column.
    JumpedTo(u32, u32),
    /// The notices were dismissed.
    NoticesDismissed,
    /// The deploy panel was opened.
    DeployOpened,
}

impl State {
    /// The state a page opens with.
    pub fn new(scenario: crate::share::Scenario, notices: Vec<String>, theme: Theme) -> Self {
        Self {
            query: scenario.query,
            catalog: Rc::new(scenario.catalog),
            settings: scenario.settings,
            notices,
            replace: None,
            run: 0,
            theme,
            copied: None,
            jump: None,
            deploy_seen: false,
            settled: None,
            samples: Samples::default(),
        }
    }

    /// Replaces the query with `text` made from it (a rename, Format), pushing it
    /// into the editor; nothing when the text is the same.
    fn rewrite(&mut self, text: String) {
        if text != self.query {
            let n = self.replace.as_ref().map_or(0, |(_, n)| n + 1);
            self.replace = Some((text.clone(), n));
            self.query = text;
        }
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::QueryEdited(text) => next.query = text,
            Action::CatalogChanged(change) => {
                if let Some((old, new)) = &change.renamed {
                    let text = catalog::rename_project(&next.query, old, new);
                    next.rewrite(text);
                }
                next.catalog = Rc::new(change.catalog);
            }
            Action::Formatted => {
                let text = sluice_sql::format::format(&next.query);
                next.rewrite(text);
            }
            Action::SettingsChanged(settings) => next.settings = settings,
            Action::Ran(current) => {
                next.settled = Some(current);
                next.run += 1;
            }
            Action::Settled(current) => next.settled = Some(current),
            Action::ThemeToggled => next.theme = next.theme.toggled(),
            Action::Sampled(sample) => next.samples.stream = sample,
            Action::TableSampled(table) => next.samples = next.samples.with_table(table),
            Action::TablesGenerated => next.samples.tables.clear(),
            Action::LinkCopied(answer) => next.copied = answer,
            Action::JumpedTo(line, column) => {
                let n = next.jump.map_or(0, |(_, _, n)| n + 1);
                next.jump = Some((line, column, n));
            }
            Action::NoticesDismissed => next.notices.clear(),
            Action::DeployOpened => next.deploy_seen = true,
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> Rc<State> {
        Rc::new(State::new(
            crate::share::Scenario::default(),
            vec!["a notice".into()],
            Theme::Light,
        ))
    }

    #[test]
    fn a_renamed_project_is_renamed_in_the_query_and_pushed_into_the_editor() {
        let before = state();
        let mut catalog = (*before.catalog).clone();
        catalog.project = "other-project".into();
        let change = catalog::Change {
            catalog,
            renamed: Some(("demobox-313313".into(), "other-project".into())),
        };
        let after = before.clone().reduce(Action::CatalogChanged(change));
        assert!(after.query.contains("`other-project`"), "{}", after.query);
        assert!(!after.query.contains("demobox-313313"));
        assert_eq!(after.replace, Some((after.query.clone(), 0)));
        assert_eq!(after.catalog.project, "other-project");
    }

    #[test]
    fn format_pushes_text_only_when_it_changes_and_counts_each_push() {
        let messy = state().reduce(Action::QueryEdited(
            "select customer_id from pubsub.topic.`demobox-313313`.orders".into(),
        ));
        let formatted = messy.reduce(Action::Formatted);
        assert_eq!(formatted.replace.as_ref().map(|(_, n)| *n), Some(0));
        let again = formatted.clone().reduce(Action::Formatted);
        assert_eq!(again.replace, formatted.replace, "already formatted");
    }

    #[test]
    fn jumps_and_runs_count_so_the_same_one_twice_still_acts() {
        let s = state().reduce(Action::JumpedTo(3, 4));
        let s = s.reduce(Action::JumpedTo(3, 4));
        assert_eq!(s.jump, Some((3, 4, 1)));
        let s = s.reduce(Action::NoticesDismissed);
        assert!(s.notices.is_empty());
        let s = s.reduce(Action::ThemeToggled).reduce(Action::DeployOpened);
        assert_eq!((s.theme, s.deploy_seen), (Theme::Dark, true));
        let settled = Settled {
            query: s.query.clone(),
            plan: None,
            analysed: Analysed::Problems(Rc::new(Vec::new())),
        };
        let s = s.reduce(Action::Ran(settled.clone()));
        assert_eq!(s.run, 1);
        assert!(s.settled.as_ref() == Some(&settled));
    }

    #[test]
    fn a_tables_new_sample_replaces_its_old_one_and_generating_drops_them_all() {
        let table = |name: &str, label: &str| {
            Rc::new(SampledTable {
                table: name.into(),
                label: label.into(),
                rows: vec![],
            })
        };
        let s = state()
            .reduce(Action::TableSampled(table("t1", "first")))
            .reduce(Action::TableSampled(table("t2", "other")))
            .reduce(Action::TableSampled(table("t1", "second")));
        let labels: Vec<&str> = s.samples.tables.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["second", "other"]);
        let before = s.samples.clone();
        let s = s.reduce(Action::Sampled(None));
        assert!(
            s.samples == before,
            "the stream had no sample: the same samples"
        );
        let s = s.reduce(Action::TablesGenerated);
        assert!(s.samples.tables.is_empty());
        assert!(s.samples != before);
    }
}
