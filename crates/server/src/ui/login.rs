//! The login page: password, then a TOTP step when the user is enrolled, then the session
//! cookie and a redirect to the dashboard. The work is done by the API's login handlers, so
//! rate limits, lock-out and audit rows are the same as for `/api/v1/auth/*`.

use crate::auth::{AuthUser, ClientIp};
use crate::error::ApiError;
use crate::routes::auth::{self as api, LoginBody, TotpBody};
use crate::state::AppState;
use crate::ui::html::{esc, page, Flash};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
pub struct PasswordForm {
    pub username: String,
    pub password: String,
}

#[derive(Deserialize)]
pub struct TotpForm {
    pub token: String,
    pub code: String,
}

/// Never prints the password.
impl std::fmt::Debug for PasswordForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordForm")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Never prints the pending token or the code.
impl std::fmt::Debug for TotpForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpForm(***)")
    }
}

fn login_page(status: StatusCode, error: Option<&str>) -> Response {
    let body = "<section class=\"login\"><h1>Log in</h1>\
        <form method=\"post\" action=\"/login\">\
        <label>User <input name=\"username\" autocomplete=\"username\" required autofocus></label>\
        <label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\
        <button type=\"submit\">Continue</button></form></section>";
    let flash = Flash {
        message: error.map(str::to_string),
        ok: false,
    };
    (status, Html(page("Log in", "", None, &flash, body))).into_response()
}

fn totp_page(status: StatusCode, token: &str, error: Option<&str>) -> Response {
    let body = format!(
        "<section class=\"login\"><h1>Authenticator code</h1>\
        <form method=\"post\" action=\"/login/totp\">\
        <input type=\"hidden\" name=\"token\" value=\"{}\">\
        <label>6-digit code <input name=\"code\" inputmode=\"numeric\" pattern=\"[0-9]{{6}}\" autocomplete=\"one-time-code\" required autofocus></label>\
        <button type=\"submit\">Log in</button></form></section>",
        esc(token)
    );
    let flash = Flash {
        message: error.map(str::to_string),
        ok: false,
    };
    (
        status,
        Html(page("Authenticator code", "", None, &flash, &body)),
    )
        .into_response()
}

pub async fn form() -> Response {
    login_page(StatusCode::OK, None)
}

/// Refuses a login posted from another site (login CSRF). Browsers say where a request comes
/// from in `Sec-Fetch-Site`; without it, `Origin` must match `Host`. Our pages send no referrer,
/// so a same-origin post may carry `Origin: null`; that and a missing `Origin` (curl, old
/// browsers) pass.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let get = |h: header::HeaderName| headers.get(h).and_then(|v| v.to_str().ok());
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    let Some(origin) = get(header::ORIGIN).filter(|o| *o != "null") else {
        return true;
    };
    let host = get(header::HOST).unwrap_or("");
    let authority = origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .trim_end_matches('/');
    !host.is_empty() && authority.eq_ignore_ascii_case(host)
}

const CROSS_SITE: &str = "login form posted from another site; open the login page directly";

pub async fn password(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Form(f): Form<PasswordForm>,
) -> Response {
    if !same_origin(&headers) {
        return login_page(StatusCode::FORBIDDEN, Some(CROSS_SITE));
    }
    let result = api::login(
        State(state),
        ip,
        Json(LoginBody {
            username: f.username,
            password: f.password,
        }),
    )
    .await;
    match result {
        Ok(resp) => finish(resp, None).await,
        Err(e) => login_page(e.status(), Some(&message(&e))),
    }
}

pub async fn totp(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Form(f): Form<TotpForm>,
) -> Response {
    if !same_origin(&headers) {
        return login_page(StatusCode::FORBIDDEN, Some(CROSS_SITE));
    }
    let token = f.token.clone();
    let result = api::totp_step(
        State(state),
        ip,
        Json(TotpBody {
            token: f.token,
            code: f.code,
        }),
    )
    .await;
    match result {
        Ok(resp) => finish(resp, Some(&token)).await,
        // A wrong code may be retried with the same pending token until it expires.
        Err(e @ ApiError::Unauthorized("invalid code")) => {
            totp_page(e.status(), &token, Some("wrong code; try again"))
        }
        Err(e) => login_page(e.status(), Some(&message(&e))),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    Extension(user): Extension<AuthUser>,
) -> Response {
    match api::logout(State(state), Extension(user)).await {
        Ok(resp) => with_cookies_of(resp, Redirect::to("/login").into_response()),
        Err(e) => e.into_response(),
    }
}

fn message(e: &ApiError) -> String {
    match e {
        ApiError::TooManyRequests { retry_after_secs } => {
            format!("too many failed attempts; try again in {retry_after_secs} s")
        }
        ApiError::Unauthorized(why) => (*why).to_string(),
        _ => "login failed".to_string(),
    }
}

/// Turns an API login answer into the next page: the TOTP step, or the dashboard with the
/// session cookies.
async fn finish(resp: Response, pending: Option<&str>) -> Response {
    let headers = resp.headers().clone();
    let body: Value = match axum::body::to_bytes(resp.into_body(), 64 * 1024).await {
        Ok(b) => serde_json::from_slice(&b).unwrap_or(Value::Null),
        Err(_) => Value::Null,
    };
    if body["mfa_required"] == true {
        let token = body["mfa_token"].as_str().unwrap_or_default();
        return totp_page(StatusCode::OK, token, None);
    }
    let mut out = Redirect::to("/").into_response();
    for c in headers.get_all(header::SET_COOKIE) {
        out.headers_mut().append(header::SET_COOKIE, c.clone());
    }
    if out.headers().get(header::SET_COOKIE).is_none() {
        return match pending {
            Some(t) => totp_page(StatusCode::UNAUTHORIZED, t, Some("login failed")),
            None => login_page(StatusCode::UNAUTHORIZED, Some("login failed")),
        };
    }
    out
}

fn with_cookies_of(from: Response, mut to: Response) -> Response {
    for c in from.headers().get_all(header::SET_COOKIE) {
        to.headers_mut().append(header::SET_COOKIE, c.clone());
    }
    to
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        m
    }

    #[test]
    fn origin_must_match_host_when_sent() {
        assert!(same_origin(&h(&[("host", "127.0.0.1:8080")])));
        assert!(same_origin(&h(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080")
        ])));
        assert!(!same_origin(&h(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "https://evil.example")
        ])));
        assert!(!same_origin(&h(&[("origin", "http://127.0.0.1:8080")])));
        assert!(same_origin(&h(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "null")
        ])));
        assert!(!same_origin(&h(&[
            ("sec-fetch-site", "cross-site"),
            ("host", "a"),
            ("origin", "http://a")
        ])));
        assert!(!same_origin(&h(&[("sec-fetch-site", "same-site")])));
    }
}
