//! The query editor: CodeMirror 6 (bundled by esbuild into `static/generated/editor.js`)
//! driven through wasm-bindgen. It reports every change and shows sluice-sql's
//! diagnostics as underlines with messages and hints on hover.

use std::cell::RefCell;
use std::rc::Rc;

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
    ) -> JsValue;
    #[wasm_bindgen(js_name = showDiagnostics)]
    fn show_diagnostics(view: &JsValue, json: &str);
    #[wasm_bindgen(js_name = moveCursor)]
    fn move_cursor(view: &JsValue, line: u32, column: u32);
}

/// The editor's inputs.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The text it starts with.
    pub initial: String,
    /// Diagnostics as sluice-sql's JSON array.
    pub diagnostics: Rc<String>,
    /// Where to put the cursor, with a counter so the same place can be asked twice.
    pub jump: Option<(u32, u32, u32)>,
    /// Called with the whole text after every change.
    pub on_change: Callback<String>,
    /// Ctrl/Cmd+Enter.
    pub on_run: Callback<()>,
}

/// The CodeMirror editor as a Yew component.
#[function_component(QueryEditor)]
pub fn query_editor(props: &Props) -> Html {
    let host = use_node_ref();
    let view = use_mut_ref(|| None::<JsValue>);
    // The closures live as long as the editor.
    let closures = use_mut_ref(|| None::<(Closure<dyn FnMut(String)>, Closure<dyn FnMut()>)>);
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
                *view.borrow_mut() = Some(mount_editor(&element, &initial, &change, &run));
                *closures.borrow_mut() = Some((change, run));
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
        show_diagnostics(v, json);
    }
}
