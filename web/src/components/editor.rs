//! The query editor: CodeMirror 6 (bundled by esbuild into `static/generated/editor.js`)
//! driven through wasm-bindgen. It reports every change, shows sluice-sql's
//! diagnostics as underlines with messages and hints on hover, and completes
//! sources, columns and functions with sluice-sql's [`complete`](sluice_sql::complete).

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::json;
use sluice_sql::Catalog;
use wasm_bindgen::prelude::*;
use yew::prelude::*;

#[wasm_bindgen(module = "/../static/generated/editor.js")]
extern "C" {
    #[wasm_bindgen(js_name = mountEditor)]
    fn mount_editor(
        parent: &web_sys::Element,
        text: &str,
        on_change: &Closure<dyn FnMut(String)>,
        on_run: &Closure<dyn FnMut()>,
        complete: &Closure<dyn FnMut(String, u32) -> String>,
    ) -> JsValue;
    #[wasm_bindgen(js_name = showDiagnostics)]
    fn show_diagnostics(view: &JsValue, json: &str);
    #[wasm_bindgen(js_name = moveCursor)]
    fn move_cursor(view: &JsValue, line: u32, column: u32);
    #[wasm_bindgen(js_name = setText)]
    fn set_text(view: &JsValue, text: &str);
}

/// The editor's inputs.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The text it starts with.
    pub initial: String,
    /// The catalog completions come from.
    pub catalog: Rc<Catalog>,
    /// Diagnostics as sluice-sql's JSON array.
    pub diagnostics: Rc<String>,
    /// Where to put the cursor, with a counter so the same place can be asked twice.
    pub jump: Option<(u32, u32, u32)>,
    /// Text to put in place of the whole document, with a counter.
    pub replace: Option<(String, u32)>,
    /// Called with the whole text after every change.
    pub on_change: Callback<String>,
    /// Ctrl/Cmd+Enter.
    pub on_run: Callback<()>,
}

/// Byte offset of UTF-16 offset `units` in `text` (CodeMirror counts UTF-16).
pub fn byte_offset(text: &str, units: usize) -> usize {
    let mut seen = 0;
    for (i, c) in text.char_indices() {
        if seen >= units {
            return i;
        }
        seen += c.len_utf16();
    }
    text.len()
}

/// UTF-16 offset of byte offset `bytes` in `text`.
pub fn utf16_offset(text: &str, bytes: usize) -> usize {
    text.get(..bytes).map_or(0, |s| s.encode_utf16().count())
}

/// The completions at UTF-16 offset `pos` of `text` as the JSON `editor.js` reads.
pub fn completions_json(text: &str, pos: usize, catalog: &Catalog) -> String {
    let c = sluice_sql::complete::complete(text, byte_offset(text, pos), catalog);
    let options: Vec<_> = c
        .options
        .iter()
        .map(|o| {
            json!({
                "label": o.label,
                "type": o.kind.as_str(),
                "detail": o.detail,
                "apply": o.apply,
            })
        })
        .collect();
    json!({"from": utf16_offset(text, c.from), "options": options}).to_string()
}

type Closures = (
    Closure<dyn FnMut(String)>,
    Closure<dyn FnMut()>,
    Closure<dyn FnMut(String, u32) -> String>,
);

/// The CodeMirror editor as a Yew component.
#[function_component(QueryEditor)]
pub fn query_editor(props: &Props) -> Html {
    let host = use_node_ref();
    let view = use_mut_ref(|| None::<JsValue>);
    // The closures live as long as the editor.
    let closures = use_mut_ref(|| None::<Closures>);
    let catalog = use_mut_ref(|| props.catalog.clone());
    *catalog.borrow_mut() = props.catalog.clone();
    {
        let host = host.clone();
        let view = view.clone();
        let initial = props.initial.clone();
        let on_change = props.on_change.clone();
        let on_run = props.on_run.clone();
        use_effect_with((), move |_| {
            if let Some(element) = host.cast::<web_sys::Element>() {
                let change =
                    Closure::<dyn FnMut(String)>::new(move |text: String| on_change.emit(text));
                let run = Closure::<dyn FnMut()>::new(move || on_run.emit(()));
                let complete = Closure::<dyn FnMut(String, u32) -> String>::new(
                    move |text: String, pos: u32| {
                        completions_json(&text, pos as usize, &catalog.borrow())
                    },
                );
                *view.borrow_mut() =
                    Some(mount_editor(&element, &initial, &change, &run, &complete));
                // For the benchmark: navigation to an interactive editor.
                if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
                    let _ = p.mark("sluice:editor-ready");
                }
                *closures.borrow_mut() = Some((change, run, complete));
            }
        });
    }
    {
        let view = view.clone();
        use_effect_with(props.replace.clone(), move |replace| {
            if let (Some((text, _)), Some(v)) = (replace, view.borrow().as_ref()) {
                set_text(v, text);
            }
        });
    }
    {
        let view = view.clone();
        use_effect_with(props.diagnostics.clone(), move |json| {
            show(&view, json);
        });
    }
    {
        let view = view.clone();
        use_effect_with(props.jump, move |jump| {
            if let (Some((line, column, _)), Some(v)) = (jump, view.borrow().as_ref()) {
                move_cursor(v, *line, *column);
            }
        });
    }
    html! { <div id="query" class="editor" ref={host}></div> }
}

fn show(view: &Rc<RefCell<Option<JsValue>>>, json: &str) {
    if let Some(v) = view.borrow().as_ref() {
        crate::timing::mark("sluice:lint-start");
        show_diagnostics(v, json);
        crate::timing::measure("sluice:lint", "sluice:lint-start");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_convert_between_utf16_and_bytes() {
        let text = "SELECT '😀é' AS x";
        // 😀 is two UTF-16 units and four bytes; é one unit and two bytes.
        assert_eq!(byte_offset(text, 8), 8);
        assert_eq!(byte_offset(text, 10), 12);
        assert_eq!(byte_offset(text, 11), 14);
        assert_eq!(byte_offset(text, 1000), text.len());
        assert_eq!(utf16_offset(text, 14), 11);
        assert_eq!(utf16_offset(text, 9), 0, "not a char boundary");
    }

    #[test]
    fn completions_come_back_as_json_with_utf16_offsets() {
        let text = "SELECT '😀', o. FROM pubsub.topic.`demobox-313313`.orders o";
        let pos = text[..text.find("o. ").expect("o.") + 2]
            .encode_utf16()
            .count();
        let json: serde_json::Value =
            serde_json::from_str(&completions_json(text, pos, &Catalog::reference()))
                .expect("json");
        assert_eq!(json["from"], pos);
        assert_eq!(json["options"][0]["label"], "event_timestamp");
        assert_eq!(json["options"][0]["type"], "property");
    }
}
