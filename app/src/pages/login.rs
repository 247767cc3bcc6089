use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::{error_text, ErrorNotice};
use crate::use_session;

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = move || {
        session
            .login
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| error_text(&e))
    };
    view! {
        <Title text="Sign in"/>
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <ActionForm action=session.login attr:class="stack">
                <input type="hidden" name="next" prop:value=next/>
                <label class="field">
                    <span>"Username"</span>
                    <input name="username" autocomplete="username" required maxlength="64"/>
                </label>
                <label class="field">
                    <span>"Password"</span>
                    <input name="password" type="password" autocomplete="current-password" required/>
                </label>
                {move || error().map(|message| view! { <ErrorNotice message/> })}
                <button type="submit" class="button primary">"Sign in"</button>
            </ActionForm>
            <p class="hint">"Demo users: admin, teacher, ta, student, student2 and outsider; the password is demo."</p>
        </section>
    }
}
