//! The dashboard served by the same binary: four server-rendered tabs (Dashboard, Flags,
//! Orders, Diagnostics), a login page (password, then TOTP), and small form handlers.
//!
//! No JavaScript framework: pages are HTML with inline SVG charts drawn in Rust; one small
//! script subscribes to the SSE stream. Pages use the session cookie; every form post carries
//! the session's CSRF value in a hidden field (or the `X-CSRF-Token` header), checked here
//! before any handler runs, and every post leaves an audit row.

pub mod assets;
pub mod forms;
pub mod html;
pub mod login;
pub mod pages;

use crate::audit::{AuditEntry, AuditNote};
use crate::auth::{authenticate, is_safe, password, AuthUser, ClientIp, CSRF_HEADER};
use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{FromRequest, OriginalUri, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

/// Form bodies are small; anything larger is refused before parsing.
const MAX_FORM_BYTES: usize = 64 * 1024;

pub fn router(state: AppState) -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(pages::dashboard))
        .route("/flags", get(pages::flags))
        .route("/orders", get(pages::orders))
        .route("/diagnostics", get(pages::diagnostics))
        .route("/ui/flags/{id}", post(forms::flag))
        .route("/ui/orders", post(forms::place_order))
        .route("/ui/orders/{id}/cancel", post(forms::cancel_order))
        .route("/ui/plugins/{id}/run", post(forms::run_plugin))
        .route("/ui/log", post(forms::log_level))
        .route("/ui/engine/halt/acknowledge", post(forms::acknowledge_halt))
        .route(
            "/ui/engine/losing-streak/reset",
            post(forms::reset_losing_streak),
        )
        .route("/logout", post(login::logout))
        .route_layer(from_fn_with_state(state, require_page_session));
    Router::new()
        .route("/login", get(login::form).post(login::password))
        .route("/login/totp", post(login::totp))
        .route("/static/app.css", get(assets::css))
        .route("/static/app.js", get(assets::js))
        .merge(pages)
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// Pages: no session → 303 to `/login` (GET) or 401 (POST). Posts: the CSRF value must match
/// the one bound in the session token, else 403 and nothing runs. Posts are audited.
pub async fn require_page_session(
    State(state): State<AppState>,
    ip: ClientIp,
    req: Request,
    next: Next,
) -> Response {
    let method = req.method().clone();
    let path = req
        .extensions()
        .get::<OriginalUri>()
        .map_or_else(|| req.uri().path().to_string(), |u| u.0.path().to_string());
    // Token checks only; the CSRF check for forms is below (the token's value in a field).
    let user = match authenticate(&state, req.headers(), &Method::GET) {
        Ok(u) => u,
        Err(_) if is_safe(&method) => return Redirect::to("/login").into_response(),
        Err(_) => {
            audit(
                &state,
                None,
                &ip,
                &method,
                &path,
                "refused",
                401,
                Some("no session"),
            );
            return (
                StatusCode::UNAUTHORIZED,
                axum::response::Html("<p>Session expired. <a href=\"/login\">Log in</a></p>"),
            )
                .into_response();
        }
    };
    // A bearer token is never sent by a browser on its own, so only cookie posts need the check.
    let req = if is_safe(&method) || !user.via_cookie {
        req
    } else {
        match check_form_csrf(req, &user).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(ip = %ip.0, %path, "refused form post: {e}");
                let status = e.status().as_u16();
                let why = e.to_string();
                audit(
                    &state,
                    Some(&user.username),
                    &ip,
                    &method,
                    &path,
                    "refused",
                    status,
                    Some(&why),
                );
                return e.into_response();
            }
        }
    };
    let username = user.username.clone();
    let mut req = req;
    req.extensions_mut().insert(user);
    let resp = next.run(req).await;
    if !is_safe(&method) {
        let note = resp.extensions().get::<AuditNote>().cloned();
        let action = note
            .as_ref()
            .map_or_else(|| format!("{method} {path}"), |n| n.action.clone());
        let detail = note.and_then(|n| n.detail);
        audit(
            &state,
            Some(&username),
            &ip,
            &method,
            &path,
            &action,
            resp.status().as_u16(),
            detail.as_deref(),
        );
    }
    resp
}

/// Reads the body (bounded), compares its `csrf` field (or the header) with the session's, and
/// gives the request back with the same body for the handler.
async fn check_form_csrf(req: Request, user: &AuthUser) -> Result<Request, ApiError> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| ApiError::BadRequest("form too large".into()))?;
    let from_header = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let sent = match from_header {
        Some(h) => h,
        None => {
            let probe = Request::from_parts(parts.clone(), Body::from(bytes.clone()));
            Form::<CsrfOnly>::from_request(probe, &())
                .await
                .map(|f| f.0.csrf)
                .unwrap_or_default()
        }
    };
    if user.csrf.is_empty() || !password::constant_time_eq(sent.as_bytes(), user.csrf.as_bytes()) {
        return Err(ApiError::Forbidden(
            "missing or wrong CSRF token in the form; reload the page and try again",
        ));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

#[allow(clippy::too_many_arguments)]
fn audit(
    state: &AppState,
    user: Option<&str>,
    ip: &ClientIp,
    method: &Method,
    path: &str,
    action: &str,
    status: u16,
    detail: Option<&str>,
) {
    state.db.audit_or_log(&AuditEntry {
        id: 0,
        ts: state.now(),
        username: user.map(str::to_string),
        ip: ip.0.clone(),
        method: method.to_string(),
        path: path.to_string(),
        action: action.to_string(),
        status,
        detail: detail.map(str::to_string),
    });
}
