use leptos::prelude::*;
use leptos_meta::Title;

/// Gives the page's HTTP response a status while it renders on the server.
pub fn set_response_status(status: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(code)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(status),
    ) {
        response.set_status(code);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}

#[component]
pub fn NotFound() -> impl IntoView {
    set_response_status(404);
    view! {
        <Title text="Not found"/>
        <section class="card narrow">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. "<a href="/">"Back to My media"</a></p>
        </section>
    }
}
