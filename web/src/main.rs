//! Entry point of the wasm app: mounts [`sluice_web::App`] on the page's body.

fn main() {
    yew::Renderer::<sluice_web::App>::new().render();
}
