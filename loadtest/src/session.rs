//! Signing in over the REST API, as any client does.

use crate::bot::BotError;

/// Signs `username` in and returns the session cookie (`name=value`) to send with requests.
pub async fn sign_in(base_url: &str, username: &str, password: &str) -> Result<String, BotError> {
    let response = reqwest::Client::new()
        .post(format!("{base_url}/api/session"))
        .json(&serde_json::json!({ "username": username, "password": password }))
        .send()
        .await
        .map_err(|e| BotError::Http(e.to_string()))?;
    if !response.status().is_success() {
        return Err(BotError::Http(format!(
            "sign-in as {username}: {}",
            response.status()
        )));
    }
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("mr_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .ok_or_else(|| BotError::Http("no session cookie in the sign-in answer".into()))
}
