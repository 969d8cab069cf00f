//! Login (password, then TOTP when enrolled), logout and token refresh.
//!
//! Unknown user and wrong password give the same answer after the same work; failures count
//! towards per-IP and per-user lock-outs (429 with Retry-After).

use crate::audit::{noted, AuditEntry};
use crate::auth::jwt::{random_id, Claims, TokenKind, MFA_TOKEN_SECS};
use crate::auth::{password, totp, AuthUser, ClientIp, CSRF_COOKIE, SESSION_COOKIE};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct LoginBody {
    pub username: String,
    pub password: String,
}

#[derive(Deserialize)]
pub struct TotpBody {
    pub token: String,
    pub code: String,
}

/// Never prints the password, token or code.
impl std::fmt::Debug for LoginBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginBody")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for TotpBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpBody(***)")
    }
}

const INVALID_CREDENTIALS: &str = "invalid username or password";

/// Longer passwords are refused without hashing, so a huge body cannot buy CPU time.
const MAX_PASSWORD_BYTES: usize = 1024;

/// Malformed user names share one bucket, so random long names cannot grow the limiter.
fn limiter_keys(ip: &str, user: &str) -> [String; 2] {
    [
        format!("ip:{ip}"),
        format!("user:{}", users_safe_name(user)),
    ]
}

fn audit_login(
    state: &AppState,
    ip: &str,
    user: Option<&str>,
    path: &str,
    action: &str,
    status: u16,
) {
    state.db.audit_or_log(&AuditEntry {
        id: 0,
        ts: state.now(),
        username: user.map(str::to_string),
        ip: ip.to_string(),
        method: "POST".to_string(),
        path: path.to_string(),
        action: action.to_string(),
        status,
        detail: None,
    });
}

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(body): Json<LoginBody>,
) -> Result<Response, ApiError> {
    const PATH: &str = "/api/v1/auth/login";
    let now = state.now();
    let rl = state.api().login_rate_limit;
    // The attempted name is only logged and audited when it is a well-formed user name, so a
    // password typed into the user field does not end up in the log.
    let shown = users_safe_name(&body.username);
    let keys = limiter_keys(&ip, &body.username);
    if let Some(retry_after_secs) = state.limiter.locked(&keys, now, &rl) {
        tracing::warn!(%ip, user = shown, "login refused: locked out");
        audit_login(&state, &ip, None, PATH, "login.locked_out", 429);
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    let user = if body.password.len() > MAX_PASSWORD_BYTES {
        None
    } else {
        state.db.user(&body.username)?
    };
    let pw = body.password;
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || match hash {
        Some(h) => password::verify_password(&pw, &h),
        None => {
            let capped = pw.get(..MAX_PASSWORD_BYTES).unwrap_or("");
            password::burn_verification(capped);
            false
        }
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let user = match (ok, user) {
        (true, Some(u)) => u,
        _ => {
            state.limiter.record_failure(&keys, now, &rl);
            tracing::warn!(%ip, user = shown, "login failed");
            audit_login(&state, &ip, None, PATH, "login.failed", 401);
            return Err(ApiError::Unauthorized(INVALID_CREDENTIALS));
        }
    };
    if user.totp_secret.is_some() {
        let now_secs = state.now_secs();
        let claims = Claims {
            sub: user.username.clone(),
            iat: now_secs,
            exp: now_secs + MFA_TOKEN_SECS,
            jti: random_id(),
            kind: TokenKind::MfaPending,
            csrf: String::new(),
        };
        let token = state.jwt.issue(&claims)?;
        tracing::info!(%ip, user = %user.username, "password accepted; TOTP code required");
        audit_login(
            &state,
            &ip,
            Some(&user.username),
            PATH,
            "login.mfa_pending",
            200,
        );
        return Ok(Json(json!({
            "mfa_required": true,
            "mfa_token": token,
            "expires_at": claims.exp,
        }))
        .into_response());
    }
    state.limiter.clear(&keys[1]);
    tracing::info!(%ip, user = %user.username, "login succeeded");
    audit_login(&state, &ip, Some(&user.username), PATH, "login", 200);
    issue_session(&state, &user.username)
}

pub async fn totp_step(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(body): Json<TotpBody>,
) -> Result<Response, ApiError> {
    const PATH: &str = "/api/v1/auth/totp";
    let now = state.now();
    let now_secs = state.now_secs();
    let rl = state.api().login_rate_limit;
    let claims = state
        .jwt
        .verify(&body.token, now_secs)
        .ok()
        .filter(|c| c.kind == TokenKind::MfaPending && !state.is_revoked(&c.jti))
        .ok_or(ApiError::Unauthorized("invalid or expired login token"))?;
    let keys = limiter_keys(&ip, &claims.sub);
    if let Some(retry_after_secs) = state.limiter.locked(&keys, now, &rl) {
        audit_login(
            &state,
            &ip,
            Some(&claims.sub),
            PATH,
            "login.locked_out",
            429,
        );
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    let user = state
        .db
        .user(&claims.sub)?
        .ok_or(ApiError::Unauthorized("invalid or expired login token"))?;
    let secret = user
        .totp_secret
        .as_deref()
        .ok_or(ApiError::Unauthorized("invalid or expired login token"))?;
    let step = totp::verify(
        secret,
        &user.username,
        body.code.trim(),
        u64::try_from(now_secs).unwrap_or(0),
        user.totp_last_step,
    )?;
    let Some(step) = step else {
        state.limiter.record_failure(&keys, now, &rl);
        tracing::warn!(%ip, user = %user.username, "TOTP code refused");
        audit_login(
            &state,
            &ip,
            Some(&user.username),
            PATH,
            "login.totp_failed",
            401,
        );
        return Err(ApiError::Unauthorized("invalid code"));
    };
    state.db.set_totp_last_step(&user.username, step)?;
    // The password step's token is single-use.
    state.revoke(&claims.jti, claims.exp)?;
    state.limiter.clear(&keys[1]);
    tracing::info!(%ip, user = %user.username, "login succeeded (TOTP)");
    audit_login(&state, &ip, Some(&user.username), PATH, "login", 200);
    issue_session(&state, &user.username)
}

pub async fn logout(
    State(state): State<AppState>,
    Extension(user): Extension<AuthUser>,
) -> Result<Response, ApiError> {
    state.revoke(&user.jti, user.exp)?;
    let mut resp = Json(json!({"status": "logged_out"})).into_response();
    let secure = state.api().tls_proxy;
    append_cookie(&mut resp, &session_cookie("", 0, secure));
    append_cookie(&mut resp, &csrf_cookie("", 0, secure));
    Ok(noted(resp, "logout", None))
}

/// A fresh session token; the old one is revoked so only one stays usable.
pub async fn refresh(
    State(state): State<AppState>,
    Extension(user): Extension<AuthUser>,
) -> Result<Response, ApiError> {
    state.revoke(&user.jti, user.exp)?;
    let resp = issue_session(&state, &user.username)?;
    Ok(noted(resp, "token.refresh", None))
}

fn issue_session(state: &AppState, username: &str) -> Result<Response, ApiError> {
    let api = state.api();
    let now_secs = state.now_secs();
    let max_age = i64::from(api.jwt_expiry_hours) * 3600;
    let claims = Claims {
        sub: username.to_string(),
        iat: now_secs,
        exp: now_secs + max_age,
        jti: random_id(),
        kind: TokenKind::Session,
        csrf: random_id(),
    };
    let token = state.jwt.issue(&claims)?;
    let mut resp = Json(json!({
        "token": token,
        "token_type": "Bearer",
        "expires_at": claims.exp,
        "csrf_token": claims.csrf,
        "username": username,
    }))
    .into_response();
    append_cookie(&mut resp, &session_cookie(&token, max_age, api.tls_proxy));
    append_cookie(
        &mut resp,
        &csrf_cookie(&claims.csrf, max_age, api.tls_proxy),
    );
    Ok(resp)
}

pub fn session_cookie(value: &str, max_age: i64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

fn csrf_cookie(value: &str, max_age: i64, secure: bool) -> String {
    format!(
        "{CSRF_COOKIE}={value}; Path=/; Max-Age={max_age}; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

fn append_cookie(resp: &mut Response, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn users_safe_name(name: &str) -> &str {
    if crate::auth::users::valid_username(name) {
        name
    } else {
        "<invalid>"
    }
}
