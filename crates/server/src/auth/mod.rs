//! Authentication: who is calling (bearer token or session cookie), CSRF for cookie-borne
//! writes, the client address, and the middleware that guards every `/api/v1` route but login.
//!
//! Bearer tokens are exempt from CSRF checks because a browser never attaches them on its own.

pub mod jwt;
pub mod password;
pub mod rate_limit;
pub mod totp;
pub mod users;

use crate::audit::{AuditEntry, AuditNote};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts, OriginalUri, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jwt::TokenKind;
use std::convert::Infallible;
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "optifire_session";
/// Readable by the page's script (not HttpOnly) so it can echo it in `X-CSRF-Token`.
pub const CSRF_COOKIE: &str = "optifire_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The authenticated caller, put in request extensions by `require_auth`.
#[derive(Clone)]
pub struct AuthUser {
    pub username: String,
    pub jti: String,
    pub exp: i64,
    pub via_cookie: bool,
    /// The CSRF value bound in the token; dashboard forms echo it in a hidden field.
    pub csrf: String,
}

/// Names the user only; token id and CSRF value stay out of logs.
impl std::fmt::Debug for AuthUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthUser")
            .field("username", &self.username)
            .field("via_cookie", &self.via_cookie)
            .finish_non_exhaustive()
    }
}

/// The client's address: the TCP peer, or with `api.tls_proxy` the address the proxy appended
/// last to `X-Forwarded-For` (the only entry a client cannot forge).
#[derive(Clone, Debug)]
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(client_ip(parts, state))
    }
}

fn client_ip(parts: &Parts, state: &AppState) -> ClientIp {
    if state.api().tls_proxy {
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|s| !s.is_empty());
        if let Some(ip) = forwarded {
            return ClientIp(ip.to_string());
        }
    }
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .or_else(|| {
            parts
                .extensions
                .get::<ConnectInfo<crate::stall::PeerAddr>>()
                .map(|c| c.0 .0.ip().to_string())
        });
    ClientIp(peer.unwrap_or_else(|| "unknown".to_string()))
}

/// Safe methods change nothing, so they need neither CSRF checks nor audit rows.
pub fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The value of cookie `name` from any `Cookie` header.
pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Checks the token (signature, expiry by the injected clock, kind, revocation) and, for a
/// cookie-authenticated unsafe method, the CSRF header against the value bound in the token.
pub fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    method: &Method,
) -> Result<AuthUser, ApiError> {
    let (token, via_cookie) = match bearer(headers) {
        Some(t) => (t, false),
        None => match cookie_value(headers, SESSION_COOKIE) {
            Some(t) => (t, true),
            None => return Err(ApiError::Unauthorized("authentication required")),
        },
    };
    let claims = state
        .jwt
        .verify(token, state.now_secs())
        .map_err(|_| ApiError::Unauthorized("invalid or expired token"))?;
    if claims.kind != TokenKind::Session || state.is_revoked(&claims.jti) {
        return Err(ApiError::Unauthorized("invalid or expired token"));
    }
    if via_cookie && !is_safe(method) {
        let sent = headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if claims.csrf.is_empty()
            || !password::constant_time_eq(sent.as_bytes(), claims.csrf.as_bytes())
        {
            return Err(ApiError::Forbidden(
                "missing or wrong X-CSRF-Token header for a cookie-authenticated request",
            ));
        }
    }
    Ok(AuthUser {
        username: claims.sub,
        jti: claims.jti,
        exp: claims.exp,
        via_cookie,
        csrf: claims.csrf,
    })
}

/// Guards a router: 401 without a valid token, 403 on a CSRF failure; writes the audit row of
/// every unsafe call after the handler ran (with the handler's `AuditNote`, if any).
pub async fn require_auth(
    State(state): State<AppState>,
    ip: ClientIp,
    mut req: Request,
    next: Next,
) -> Response {
    let method = req.method().clone();
    // Inside `nest` the URI lost its prefix; the audit row wants the full path.
    let path = req
        .extensions()
        .get::<OriginalUri>()
        .map_or_else(|| req.uri().path().to_string(), |u| u.0.path().to_string());
    let user = match authenticate(&state, req.headers(), &method) {
        Ok(u) => u,
        Err(e) => {
            if !is_safe(&method) {
                // A refused write changed nothing, but the attempt belongs in the trail.
                tracing::warn!(ip = %ip.0, %method, %path, "refused write: {e}");
                state.db.audit_or_log(&AuditEntry {
                    id: 0,
                    ts: state.now(),
                    username: None,
                    ip: ip.0,
                    method: method.to_string(),
                    path,
                    action: "refused".to_string(),
                    status: e.status().as_u16(),
                    detail: Some(e.to_string()),
                });
            }
            return e.into_response();
        }
    };
    let username = user.username.clone();
    req.extensions_mut().insert(user);
    let resp = next.run(req).await;
    if !is_safe(&method) {
        let note = resp.extensions().get::<AuditNote>().cloned();
        state.db.audit_or_log(&AuditEntry {
            id: 0,
            ts: state.now(),
            username: Some(username),
            ip: ip.0,
            method: method.to_string(),
            path: path.clone(),
            action: note
                .as_ref()
                .map_or_else(|| format!("{method} {path}"), |n| n.action.clone()),
            status: resp.status().as_u16(),
            detail: note.and_then(|n| n.detail),
        });
    }
    resp
}
