//! The session cookie, shared by the REST API and the server functions (server only).

use http::{header, HeaderMap, HeaderValue};

pub const SESSION_COOKIE: &str = "mr_session";

/// How session cookies are sent: `Secure` when the site is served over HTTPS.
#[derive(Clone, Copy, Debug, Default)]
pub struct CookiePolicy {
    pub secure: bool,
}

/// The raw session token of the request, kept in its extensions for signing out.
#[derive(Clone, Debug)]
pub struct SessionToken(pub String);

pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, token)| token.to_owned())
        .filter(|token| !token.is_empty() && token.len() <= 128)
}

fn cookie(value: &str, max_age: i64, policy: CookiePolicy) -> HeaderValue {
    let secure = if policy.secure { "; Secure" } else { "" };
    let text = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    );
    HeaderValue::from_str(&text).expect("session tokens are hex")
}

pub fn session_cookie(token: &str, policy: CookiePolicy) -> HeaderValue {
    cookie(token, store::SESSION_TTL_SECS, policy)
}

pub fn expired_session_cookie(policy: CookiePolicy) -> HeaderValue {
    cookie("", 0, policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_session_among_other_cookies() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; mr_session=abc123; x=y"),
        );
        assert_eq!(token_from_headers(&headers).as_deref(), Some("abc123"));
        headers.insert(header::COOKIE, HeaderValue::from_static("mr_session="));
        assert_eq!(token_from_headers(&headers), None);
    }

    #[test]
    fn cookies_are_http_only_and_lax() {
        let value = session_cookie("abc", CookiePolicy { secure: true });
        let text = value.to_str().unwrap();
        assert!(
            text.contains("HttpOnly") && text.contains("SameSite=Lax") && text.contains("Secure")
        );
        assert!(expired_session_cookie(CookiePolicy::default())
            .to_str()
            .unwrap()
            .contains("Max-Age=0"));
    }
}
