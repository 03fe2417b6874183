//! Entry point of the wasm app: takes the page's loading shell away and mounts
//! [`sluice_web::App`] on the page's body.

fn main() {
    if let Some(shell) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("shell"))
    {
        shell.remove();
    }
    yew::Renderer::<sluice_web::App>::new().render();
}
