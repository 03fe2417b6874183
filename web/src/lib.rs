//! The Sluice playground's user interface, a Yew app compiled to wasm.
//!
//! Boundary: rendering and interaction only. Analysis, simulation and data
//! generation are calls into `sluice-sql`, `sluice-engine` and `sluice-datagen`,
//! the same code the CLI runs; nothing is re-implemented in JavaScript.

use yew::prelude::*;

/// The root component: the first screen with the name and the query editor.
#[function_component(App)]
pub fn app() -> Html {
    let query = use_state(|| sluice_sql::reference::QUERY.to_string());
    let on_input = {
        let query = query.clone();
        Callback::from(move |event: InputEvent| {
            if let Some(area) = event.target_dyn_into::<web_sys::HtmlTextAreaElement>() {
                query.set(area.value());
            }
        })
    };
    html! {
        <div class="app">
            <header class="topbar">
                <h1 class="brand">{ "Sluice" }</h1>
                <span class="tagline">{ "Streaming SQL for Google Cloud Dataflow" }</span>
            </header>
            <main class="workspace">
                <label class="editor-label" for="query">{ "Query" }</label>
                <textarea id="query" class="editor" spellcheck="false"
                    value={(*query).clone()} oninput={on_input} />
            </main>
        </div>
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use wasm_bindgen_test::*;
    use web_sys::wasm_bindgen::JsCast;
    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    async fn app_renders_the_name_and_the_reference_query() {
        let document = gloo_utils::document();
        let root = document.create_element("div").expect("div");
        document
            .body()
            .expect("body")
            .append_child(&root)
            .expect("append");
        yew::Renderer::<App>::with_root(root.clone()).render();
        yew::platform::time::sleep(std::time::Duration::from_millis(50)).await;

        let heading = root.query_selector("h1").expect("query").expect("an h1");
        assert_eq!(heading.text_content().as_deref(), Some("Sluice"));
        let area: web_sys::HtmlTextAreaElement = root
            .query_selector("textarea#query")
            .expect("query")
            .expect("the editor")
            .dyn_into()
            .expect("a textarea");
        assert_eq!(area.value(), sluice_sql::reference::QUERY);
    }
}
