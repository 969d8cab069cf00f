//! Errors: `ServerError` for start-up, the database and user administration; `ApiError` for what
//! an HTTP caller sees. Internal details are logged, never sent, so no secret can leak by error.

use crate::control::ControlError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use optifire_core::config::ConfigErrors;
use optifire_core::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("configuration:\n{0}")]
    Config(ConfigErrors),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("the database has no users table; open it once with this build to migrate it")]
    SchemaMissing,
    #[error("OPTIFIRE_JWT_SECRET is not set (or the secrets file has no jwt_secret)")]
    MissingJwtSecret,
    #[error("the JWT secret must be at least {min} bytes long")]
    WeakJwtSecret { min: usize },
    #[error("token: {0}")]
    Token(String),
    #[error("invalid user name {0:?}: use 1-64 letters, digits, '.', '_' or '-'")]
    InvalidUsername(String),
    #[error("password too short: at least {min} characters")]
    WeakPassword { min: usize },
    #[error("user {0:?} already exists")]
    UserExists(String),
    #[error("no user {0:?}")]
    UnknownUser(String),
    #[error("password hashing: {0}")]
    Hash(String),
    #[error("TOTP: {0}")]
    Totp(String),
    #[error("bad bind address {0:?}")]
    BadAddress(String),
}

impl From<ConfigErrors> for ServerError {
    fn from(e: ConfigErrors) -> Self {
        ServerError::Config(e)
    }
}

/// What a request can fail with. Each variant maps to one status code.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("authentication required")]
    Unauthorized(&'static str),
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Validation failed; nothing was changed. One line per problem (file:line:col: key: why).
    #[error("unprocessable: {message}")]
    Unprocessable {
        message: String,
        errors: Vec<String>,
    },
    /// The request needs something this process does not have (no engine attached).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The risk engine refused; the rule and reason go to the caller as they are.
    #[error("refused by risk rule {rule}: {reason}")]
    Refused { rule: String, reason: String },
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("too many attempts")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("internal error")]
    Internal(String),
}

impl From<ServerError> for ApiError {
    fn from(e: ServerError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<ControlError> for ApiError {
    fn from(e: ControlError) -> Self {
        match e {
            ControlError::Refused { rule, reason } => ApiError::Refused { rule, reason },
            ControlError::NotFound { what } => ApiError::NotFound(what),
            ControlError::Invalid { reason } => ApiError::Unprocessable {
                message: reason.clone(),
                errors: vec![reason],
            },
            ControlError::Unavailable { reason } => ApiError::Unavailable(reason),
        }
    }
}

/// What the routes that act on the engine answer in `optifire serve`.
pub const NO_ENGINE: &str =
    "no engine running in this process (optifire serve is a read-only view; use optifire run)";

impl ApiError {
    pub fn invalid_config(errors: &ConfigErrors) -> Self {
        ApiError::Unprocessable {
            message: "invalid configuration; nothing was changed".to_string(),
            errors: errors.iter().map(ToString::to_string).collect(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            ApiError::Unauthorized(why) => serde_json::json!({"error": why}),
            ApiError::Forbidden(why) => serde_json::json!({"error": why}),
            ApiError::NotFound(what) => serde_json::json!({"error": format!("not found: {what}")}),
            ApiError::BadRequest(why) => serde_json::json!({"error": why}),
            ApiError::Unprocessable { message, errors } => {
                serde_json::json!({"error": message, "errors": errors})
            }
            ApiError::Conflict(why) | ApiError::Unavailable(why) => {
                serde_json::json!({"error": why})
            }
            ApiError::Refused { rule, reason } => serde_json::json!({
                "error": "refused by the risk engine",
                "rule": rule,
                "reason": reason,
            }),
            ApiError::TooManyRequests { retry_after_secs } => serde_json::json!({
                "error": "too many failed attempts; try again later",
                "retry_after_secs": retry_after_secs,
            }),
            ApiError::Internal(detail) => {
                // The detail may name files or SQL; it goes to the log only.
                tracing::error!(%detail, "internal error");
                serde_json::json!({"error": "internal error"})
            }
        };
        let mut resp = (status, Json(body)).into_response();
        if let ApiError::TooManyRequests { retry_after_secs } = self {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}
