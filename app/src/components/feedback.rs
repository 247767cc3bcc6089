use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

use crate::use_session;

/// The message of a refused server call, without framework wording around it.
pub fn error_text(error: &ServerFnError) -> String {
    match error {
        ServerFnError::ServerError(message) => message.clone(),
        other => other.to_string(),
    }
}

#[component]
pub fn ErrorNotice(#[prop(into)] message: String) -> impl IntoView {
    view! { <div class="notice error" role="alert">{message}</div> }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="loading" aria-busy="true">"Loading…"</p> }
}

/// Shows its children to signed-in users and sends everyone else to the sign-in page,
/// coming back here afterwards.
#[component]
pub fn RequireSignIn(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let location = use_location();
    view! {
        <Suspense fallback=Loading>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match session.me.await {
                        Ok(Some(_)) => children().into_any(),
                        _ => {
                            let next = location.pathname.get_untracked();
                            view! { <Redirect path=format!("/login?next={}", encode_path(&next))/> }.into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}

/// Percent-encodes a path for use as a query value.
fn encode_path(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_survive_as_query_values() {
        assert_eq!(
            super::encode_path("/galleries/1/configure"),
            "/galleries/1/configure"
        );
        assert_eq!(super::encode_path("/a b&c"), "/a%20b%26c");
    }
}
