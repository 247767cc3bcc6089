//! The few plain HTML pages of a launch: refusals, the framed case, the deep-linking choice,
//! and the auto-submitting form that hands a response back to the platform. Plain pages: they
//! are shown inside an LMS iframe, often before anyone is signed in.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::checks::LtiError;

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page; `body` is trusted HTML (callers escape what they put in).
pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Gallery Rooms</title>\
         <link rel=\"stylesheet\" href=\"{css}\"></head>\
         <body><main id=\"main\" class=\"card lti-page\">{body}</main></body></html>",
        title = escape(title),
        css = crate::assets::stylesheet_href(),
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // Launch pages carry one-time tickets: never kept by caches.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A refused launch: what was wrong, and what to do.
pub fn refused(error: &LtiError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    tracing::warn!(%error, status = status.as_u16(), "LTI launch refused");
    page(
        status,
        "Course link refused",
        &format!(
            "<h1>This course link could not be opened</h1>\
             <p role=\"alert\" class=\"notice error\">{}</p>\
             <p>Go back to your course and open the link again. If it keeps failing, tell your \
             site administrator what this page says.</p>",
            escape(&error.to_string())
        ),
    )
}

/// A launch that passed, in a place where our cookies do not stick (an iframe of another
/// site, or a browser refusing the tool's cookies there): a button continues it, once, in a
/// new window, without signing in at the LMS again.
pub fn framed(ticket: &str, cookies_refused: bool) -> Response {
    let why = if cookies_refused {
        "Your browser refused this tool's cookies inside the course page, so you cannot be \
         signed in here."
    } else {
        "This tool cannot keep you signed in inside the course page."
    };
    page(
        StatusCode::OK,
        "Open in a new window",
        &format!(
            "<h1>Continue in a new window</h1><p>{why}</p>\
             <form method=\"post\" action=\"/lti/continue\" target=\"_blank\">\
             <input type=\"hidden\" name=\"ticket\" value=\"{ticket}\">\
             <button type=\"submit\" class=\"button primary\">Open in a new window</button></form>\
             <p>The button works once, for a few minutes.</p>",
            ticket = escape(ticket)
        ),
    )
}

pub fn expired_ticket() -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Link expired",
        "<h1>This link has expired</h1>\
         <p role=\"alert\" class=\"notice error\">It was already used or is too old.</p>\
         <p>Open the tool from your course again.</p>",
    )
}

/// Deep linking: what to add to the course.
pub fn deep_link_choice(ticket: &str, course: &str) -> Response {
    page(
        StatusCode::OK,
        "Add to course",
        &format!(
            "<h1>Add to {course}</h1>\
             <form method=\"post\" action=\"/lti/deep-link\">\
             <input type=\"hidden\" name=\"ticket\" value=\"{ticket}\">\
             <fieldset><legend>What should the course link open?</legend>\
             <button type=\"submit\" name=\"choice\" value=\"gallery\" class=\"button\">Course media gallery</button> \
             <button type=\"submit\" name=\"choice\" value=\"room\" class=\"button\">Meeting room</button>\
             </fieldset></form>",
            course = escape(course),
            ticket = escape(ticket)
        ),
    )
}

/// Posts `jwt` to the platform's deep-linking return URL (a form the browser submits itself;
/// the button is there for browsers without scripts).
pub fn post_back(return_url: &str, jwt: &str) -> Response {
    page(
        StatusCode::OK,
        "Returning to the course",
        &format!(
            "<h1>Returning to your course…</h1>\
             <form id=\"lti-return\" method=\"post\" action=\"{url}\">\
             <input type=\"hidden\" name=\"JWT\" value=\"{jwt}\">\
             <button type=\"submit\" class=\"button primary\">Continue</button></form>\
             <script>document.getElementById('lti-return').submit();</script>",
            url = escape(return_url),
            jwt = escape(jwt)
        ),
    )
}
