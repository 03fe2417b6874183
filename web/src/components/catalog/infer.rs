//! The pane that infers a topic's schema from messages (`sluice_sql::infer`),
//! pasted or sampled from the topic through the server; the messages stay in
//! the page.

use std::rc::Rc;

use sluice_sql::infer::{InferError, Inferred};
use yew::prelude::*;

use super::project::Place;
use super::{columns, fields_tree};
use crate::simulation::SampledStream;

/// A topic's schema being inferred from pasted messages.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Inferring {
    /// The topic's SQL name.
    pub(super) source: String,
    /// The pasted messages (never saved: they may be real data).
    pub(super) messages: String,
    /// The last inference, until the messages change.
    pub(super) result: Option<Rc<Result<Inferred, InferError>>>,
    /// Where a sample of the topic stands.
    pub(super) sampling: Sampling,
    /// Whether a sample first replays the last [`REPLAY_MINUTES`] the topic kept.
    pub(super) replay: bool,
    /// Where the topic is sampled.
    pub(super) place: Place,
}

/// How far back a replaying sample starts.
pub(super) const REPLAY_MINUTES: u64 = 10;

impl Inferring {
    /// A pane for `source`, sampled at `place`, empty.
    pub(super) fn new(source: String, place: Place) -> Self {
        Self {
            source,
            messages: String::new(),
            result: None,
            sampling: Sampling::Idle,
            replay: false,
            place,
        }
    }
}

/// A sample of the topic's messages through the server.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Sampling {
    /// None asked for.
    Idle,
    /// Asked for; the server is pulling.
    Asking,
    /// Taken: what it was, what was left out, and the messages as a stream.
    Taken(String, Vec<String>, Rc<SampledStream>),
    /// Why there is none.
    Failed(String),
}

/// What the pane's controls do.
pub(super) struct Actions {
    /// The messages were edited.
    pub(super) on_messages: Callback<InputEvent>,
    /// Infer schema.
    pub(super) on_infer: Callback<MouseEvent>,
    /// Sample the topic.
    pub(super) on_sample: Callback<MouseEvent>,
    /// Simulate on the sampled messages.
    pub(super) on_simulate: Callback<MouseEvent>,
    /// The replay box was ticked or cleared.
    pub(super) on_replay: Callback<Event>,
    /// Use this schema.
    pub(super) on_use: Callback<MouseEvent>,
    /// Cancel.
    pub(super) on_close: Callback<MouseEvent>,
}

/// How many findings the pane lists before it says how many more there are.
const FINDINGS_SHOWN: usize = 50;

/// The pane that infers a topic's schema from messages: the messages, the schema
/// they give, and what each message showed, by line.
pub(super) fn infer_pane(name: &str, now: &Inferring, actions: &Actions) -> Html {
    let result = match now.result.as_deref() {
        None => html! {},
        Some(Err(e)) => html! {
            <p class="run-error infer-error" role="alert">{ e.to_string() }</p>
        },
        Some(Ok(inferred)) => {
            let hidden = inferred.findings.len().saturating_sub(FINDINGS_SHOWN);
            html! {
                <div class="inferred">
                    <p class="hint infer-summary">{ format!(
                        "{} {}{}",
                        if inferred.messages == 1 { "1 message gives".to_string() } else { format!("{} messages give", inferred.messages) },
                        columns(inferred.fields.len()),
                        if inferred.has_conflicts() { ": some messages disagree, see below" } else { "" },
                    ) }</p>
                    { fields_tree(&inferred.fields) }
                    if !inferred.findings.is_empty() {
                        <ul class="findings">
                            { for inferred.findings.iter().take(FINDINGS_SHOWN).map(|f| html! {
                                <li class={classes!("finding", f.severity.as_str())}>
                                    <span class="where">{ format!("line {}", f.line) }</span>
                                    if !f.field.is_empty() { <code>{ f.field.clone() }</code> }
                                    <span>{ format!("{}: {}", f.severity.as_str(), f.message) }</span>
                                </li>
                            }) }
                            if hidden > 0 { <li class="hint">{ format!("and {hidden} more") }</li> }
                        </ul>
                    }
                </div>
            }
        }
    };
    let usable = matches!(now.result.as_deref(), Some(Ok(_)));
    let sampling = match &now.sampling {
        Sampling::Idle => html! {},
        Sampling::Asking => {
            let text = match now.place {
                Place::Cloud => "Sampling the topic (up to 10 s)…",
                Place::Local => "Reading the topic's newest messages…",
            };
            html! { <p class="hint sample-status" role="status">{ text }</p> }
        }
        Sampling::Failed(why) => {
            html! { <p class="run-error sample-status" role="alert">{ format!("No sample: {why}") }</p> }
        }
        Sampling::Taken(what, notes, stream) => html! {
            <div class="sample-status" role="status">
                <p class="hint">{ what.clone() }
                    if !stream.messages.is_empty() {
                        { " " }
                        <button class="secondary small simulate-sample" onclick={actions.on_simulate.clone()}
                            title="Stream these messages through the query instead of generated orders">{ "Simulate on these messages" }</button>
                    }
                </p>
                if !notes.is_empty() {
                    <ul class="findings">
                        { for notes.iter().map(|n| html! { <li class="finding note">{ n.clone() }</li> }) }
                    </ul>
                }
            </div>
        },
    };
    html! {
        <div class="schema-edit infer">
            <textarea class="schema-json infer-messages" aria-label={format!("Sample messages of {name}")}
                placeholder={"One JSON message per line, or a JSON array of them, e.g.\n{\"customer_id\": 37, \"amount\": 612.45}"}
                value={now.messages.clone()} oninput={actions.on_messages.clone()} spellcheck="false" rows="8" />
            <p class="hint">{ "The messages stay in this page: only the schema joins the catalog (and the share link)." }</p>
            <div class="row">
                <button class="run small infer-run" onclick={actions.on_infer.clone()}>{ "Infer schema" }</button>
                if now.place == Place::Local {
                    <button class="secondary small sample-topic" disabled={now.sampling == Sampling::Asking} onclick={actions.on_sample.clone()}
                        title="Read the topic's newest 200 messages from the local target, which keeps them all">{ "Sample the topic" }</button>
                } else {
                    <button class="secondary small sample-topic" disabled={now.sampling == Sampling::Asking} onclick={actions.on_sample.clone()}
                        title="Pull up to 200 messages for up to 10 s through a temporary subscription, deleted afterwards">{ "Sample the topic" }</button>
                    <label class="hint replay" title="Seek the sampling subscription back, so that the messages the topic retained come first (the topic needs a message retention)">
                        <input type="checkbox" class="replay-sample" checked={now.replay} onchange={actions.on_replay.clone()} />
                        { format!(" replay the last {REPLAY_MINUTES} minutes") }
                    </label>
                }
                <button class="secondary small use-inferred" disabled={!usable} onclick={actions.on_use.clone()}>{ "Use this schema" }</button>
                <button class="secondary small" onclick={actions.on_close.clone()}>{ "Cancel" }</button>
            </div>
            { sampling }
            { result }
        </div>
    }
}
