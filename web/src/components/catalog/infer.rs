//! The pane that infers a topic's schema from pasted messages
//! (`sluice_sql::infer`); the messages stay in the page.

use std::rc::Rc;

use sluice_sql::infer::{InferError, Inferred};
use yew::prelude::*;

use super::{columns, fields_tree};

/// A topic's schema being inferred from pasted messages.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Inferring {
    /// The topic's SQL name.
    pub(super) source: String,
    /// The pasted messages (never saved: they may be real data).
    pub(super) messages: String,
    /// The last inference, until the messages change.
    pub(super) result: Option<Rc<Result<Inferred, InferError>>>,
}

/// How many findings the pane lists before it says how many more there are.
const FINDINGS_SHOWN: usize = 50;

/// The pane that infers a topic's schema from messages: the messages, the schema
/// they give, and what each message showed, by line.
pub(super) fn infer_pane(
    name: &str,
    now: &Inferring,
    on_messages: &Callback<InputEvent>,
    on_infer: &Callback<MouseEvent>,
    on_use: &Callback<MouseEvent>,
    on_close: &Callback<MouseEvent>,
) -> Html {
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
    html! {
        <div class="schema-edit infer">
            <textarea class="schema-json infer-messages" aria-label={format!("Sample messages of {name}")}
                placeholder={"One JSON message per line, or a JSON array of them, e.g.\n{\"customer_id\": 37, \"amount\": 612.45}"}
                value={now.messages.clone()} oninput={on_messages.clone()} spellcheck="false" rows="8" />
            <p class="hint">{ "The messages stay in this page: only the schema joins the catalog (and the share link)." }</p>
            <div class="row">
                <button class="run small infer-run" onclick={on_infer.clone()}>{ "Infer schema" }</button>
                <button class="secondary small use-inferred" disabled={!usable} onclick={on_use.clone()}>{ "Use this schema" }</button>
                <button class="secondary small" onclick={on_close.clone()}>{ "Cancel" }</button>
            </div>
            { result }
        </div>
    }
}
