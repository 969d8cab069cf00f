//! How Alpaca's HTTP answers become `BrokerError`s.
//!
//! The mapping decides what the executor does next (fix, adopt, wait, retry), so it lives in one
//! pure function tested status by status; error text is always passed through the credentials'
//! redaction before it leaves the adapter.

use optifire_core::venue::BrokerError;
use serde::Deserialize;

/// Alpaca's error body: `{"code": 40310000, "message": "insufficient buying power"}`.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
}

/// The text Alpaca puts in a 422 when a client order id was used before.
const DUPLICATE_MESSAGE: &str = "client_order_id must be unique";

/// Wait assumed when a 429 carries no usable header.
pub const DEFAULT_RETRY_AFTER_SECS: u64 = 1;

/// The rate-limit headers of a 429, as text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateLimitHeaders {
    /// `Retry-After`, seconds.
    pub retry_after: Option<String>,
    /// `X-RateLimit-Reset`, Unix seconds when the window resets.
    pub ratelimit_reset: Option<String>,
    /// `Date`, the server's clock, so the reset can be turned into a wait without our clock.
    pub date: Option<String>,
}

impl RateLimitHeaders {
    /// Seconds to wait: `Retry-After` if given, else reset minus the server's `Date`, else 1.
    pub fn retry_after_secs(&self) -> u64 {
        if let Some(s) = self
            .retry_after
            .as_deref()
            .and_then(|v| v.trim().parse().ok())
        {
            return s;
        }
        let reset = self
            .ratelimit_reset
            .as_deref()
            .and_then(|v| v.trim().parse::<i64>().ok());
        let now = self
            .date
            .as_deref()
            .and_then(|d| chrono::DateTime::parse_from_rfc2822(d.trim()).ok())
            .map(|d| d.timestamp());
        match (reset, now) {
            (Some(r), Some(n)) if r >= n => u64::try_from(r - n).unwrap_or(0).max(1),
            _ => DEFAULT_RETRY_AFTER_SECS,
        }
    }
}

/// Maps a non-success HTTP answer to the broker error the executor acts on.
pub fn map_http_error(status: u16, headers: &RateLimitHeaders, body: &str) -> BrokerError {
    let parsed: Option<ErrorBody> = serde_json::from_str(body).ok();
    let message = parsed
        .as_ref()
        .and_then(|b| b.message.clone())
        .unwrap_or_else(|| body.trim().chars().take(300).collect());
    let with_code = match parsed.as_ref().and_then(|b| b.code) {
        Some(c) => format!("{message} (alpaca code {c})"),
        None => message.clone(),
    };
    match status {
        422 if message.contains(DUPLICATE_MESSAGE) => BrokerError::DuplicateClientOrderId,
        403 | 422 => BrokerError::Rejected { reason: with_code },
        404 => BrokerError::UnknownOrder,
        429 => BrokerError::RateLimited {
            retry_after_secs: headers.retry_after_secs(),
        },
        500..=599 => BrokerError::Transient(format!("HTTP {status}: {with_code}")),
        401 => BrokerError::Other(format!("HTTP 401 unauthorized: {with_code}")),
        _ => BrokerError::Other(format!("HTTP {status}: {with_code}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> RateLimitHeaders {
        RateLimitHeaders::default()
    }

    #[test]
    fn maps_each_documented_status() {
        assert_eq!(
            map_http_error(
                422,
                &none(),
                r#"{"code":40010001,"message":"client_order_id must be unique"}"#
            ),
            BrokerError::DuplicateClientOrderId
        );
        assert_eq!(
            map_http_error(
                403,
                &none(),
                r#"{"code":40310000,"message":"insufficient buying power"}"#
            ),
            BrokerError::Rejected {
                reason: "insufficient buying power (alpaca code 40310000)".into()
            }
        );
        assert!(matches!(
            map_http_error(422, &none(), "qty must be > 0"),
            BrokerError::Rejected { reason } if reason == "qty must be > 0"
        ));
        assert_eq!(
            map_http_error(404, &none(), r#"{"message":"order not found"}"#),
            BrokerError::UnknownOrder
        );
        assert!(matches!(
            map_http_error(503, &none(), ""),
            BrokerError::Transient(_)
        ));
        assert!(matches!(
            map_http_error(401, &none(), ""),
            BrokerError::Other(_)
        ));
    }

    #[test]
    fn rate_limit_wait_from_headers() {
        let h = RateLimitHeaders {
            retry_after: Some("7".into()),
            ..none()
        };
        assert_eq!(
            map_http_error(429, &h, ""),
            BrokerError::RateLimited {
                retry_after_secs: 7
            }
        );
        // Reset 1700000012 minus Date (Tue, 14 Nov 2023 22:13:20 GMT = 1700000000) = 12 s.
        let h = RateLimitHeaders {
            retry_after: None,
            ratelimit_reset: Some("1700000012".into()),
            date: Some("Tue, 14 Nov 2023 22:13:20 GMT".into()),
        };
        assert_eq!(h.retry_after_secs(), 12);
        assert_eq!(none().retry_after_secs(), DEFAULT_RETRY_AFTER_SECS);
    }
}
