//! The browser entry point: hydrates the server-rendered page.

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let Some(body) = leptos::prelude::document().body() else {
        return;
    };
    // Asynchronous: a lazily loaded page's code (app/src/lazy_pages.rs) is fetched before its
    // part of the page hydrates. (This sets up Leptos's executor on wasm-bindgen's.)
    wasm_bindgen_futures::spawn_local(async move {
        leptos::mount::hydrate_from_async(body.clone(), app::App)
            .await
            .forget();
        // Lets tests (and curious developers) tell a live page from its server-rendered HTML.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
