//! Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s steps, the parameters every
//! authenticator app supports) as the second login factor.
//!
//! Time comes from the caller (the injected clock); a code's step must be newer than the last
//! accepted one, so an observed code cannot be replayed within its window.

use crate::auth::password::constant_time_eq;
use crate::error::ServerError;
use totp_rs::{Algorithm, Secret, TOTP};

pub const DIGITS: usize = 6;
pub const STEP_SECS: u64 = 30;
/// Steps accepted either side of now, for clock drift between phone and server.
pub const SKEW_STEPS: u64 = 1;
/// Shown as the account's issuer in authenticator apps.
pub const ISSUER: &str = "OptiFIRE";

/// A fresh 160-bit shared secret, base32 (what authenticator apps take).
pub fn new_secret() -> String {
    Secret::generate_secret().to_encoded().to_string()
}

fn build(secret_b32: &str, account: &str) -> Result<TOTP, ServerError> {
    let bytes = Secret::Encoded(secret_b32.to_string())
        .to_bytes()
        .map_err(|e| ServerError::Totp(format!("stored secret is not base32: {e:?}")))?;
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        0,
        STEP_SECS,
        bytes,
        Some(ISSUER.to_string()),
        account.to_string(),
    )
    .map_err(|e| ServerError::Totp(e.to_string()))
}

/// `otpauth://totp/OptiFIRE:alice?secret=...&issuer=OptiFIRE`, for a QR code.
pub fn otpauth_uri(secret_b32: &str, account: &str) -> Result<String, ServerError> {
    Ok(build(secret_b32, account)?.get_url())
}

/// The code for `unix_secs` (tests and the enrolment check).
pub fn code_at(secret_b32: &str, account: &str, unix_secs: u64) -> Result<String, ServerError> {
    Ok(build(secret_b32, account)?.generate(unix_secs))
}

/// The step number of `code` if it is valid at `unix_secs` (within the skew) and newer than
/// `last_step`; `None` otherwise.
pub fn verify(
    secret_b32: &str,
    account: &str,
    code: &str,
    unix_secs: u64,
    last_step: Option<i64>,
) -> Result<Option<i64>, ServerError> {
    let totp = build(secret_b32, account)?;
    let now_step = unix_secs / STEP_SECS;
    let mut accepted = None;
    // Check every candidate step (no early exit) so timing does not reveal which one matched.
    for step in now_step.saturating_sub(SKEW_STEPS)..=now_step + SKEW_STEPS {
        let expected = totp.generate(step * STEP_SECS);
        if constant_time_eq(expected.as_bytes(), code.as_bytes()) {
            accepted = i64::try_from(step).ok();
        }
    }
    Ok(accepted.filter(|s| last_step.is_none_or(|last| *s > last)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B: the ASCII secret "12345678901234567890", SHA-1. The RFC lists 8-digit
    /// codes; a 6-digit code is the same number mod 10^6, i.e. its last six digits.
    const RFC_SECRET_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    const RFC_VECTORS: [(u64, &str); 6] = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    #[test]
    fn rfc6238_sha1_vectors() {
        for (t, code8) in RFC_VECTORS {
            assert_eq!(
                code_at(RFC_SECRET_B32, "alice", t).unwrap(),
                code8[2..],
                "t={t}"
            );
        }
    }

    #[test]
    fn verify_accepts_skew_and_refuses_replay_and_wrong_codes() {
        let t = 1_111_111_111;
        let code = &RFC_VECTORS[2].1[2..];
        let step = (t / STEP_SECS) as i64;
        assert_eq!(
            verify(RFC_SECRET_B32, "a", code, t, None).unwrap(),
            Some(step)
        );
        // 30 s later the same code is still inside the skew window...
        assert_eq!(
            verify(RFC_SECRET_B32, "a", code, t + 30, None).unwrap(),
            Some(step)
        );
        // ...but 90 s later it is not.
        assert_eq!(
            verify(RFC_SECRET_B32, "a", code, t + 90, None).unwrap(),
            None
        );
        // Replay of an accepted step is refused.
        assert_eq!(
            verify(RFC_SECRET_B32, "a", code, t, Some(step)).unwrap(),
            None
        );
        assert_eq!(
            verify(RFC_SECRET_B32, "a", "000000", t, None).unwrap(),
            None
        );
    }

    #[test]
    fn uri_names_issuer_and_account() {
        let uri = otpauth_uri(RFC_SECRET_B32, "alice").unwrap();
        assert!(uri.starts_with("otpauth://totp/OptiFIRE:alice?"), "{uri}");
        assert!(
            uri.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
            "{uri}"
        );
    }
}
