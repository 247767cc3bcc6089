use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::{use_session, PRODUCT_NAME};

#[component]
pub fn TopBar() -> impl IntoView {
    let session = use_session();
    view! {
        <header class="topbar">
            <a class="brand" href="/">{PRODUCT_NAME}</a>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match session.me.await {
                        Ok(Some(me)) => view! {
                            <nav class="account" aria-label="Account">
                                <a href="/">"My media"</a>
                                {me.site_admin.then(|| view! { <a href="/admin/settings">"Site settings"</a> })}
                                <span class="who" title=me.username.clone()>{me.name.clone()}</span>
                                <ActionForm action=session.logout>
                                    <button type="submit" class="link">"Sign out"</button>
                                </ActionForm>
                            </nav>
                        }.into_any(),
                        _ => view! { <nav class="account"><a href="/login">"Sign in"</a></nav> }.into_any(),
                    }
                })}
            </Transition>
        </header>
    }
}
