//! Signed tokens (JWT, HS256): session tokens, and short-lived "MFA pending" tokens between the
//! password step and the TOTP step of a login.
//!
//! Expiry is checked against the injected clock, not the library's wall clock, so tests are
//! deterministic and the whole server follows one notion of "now".

use crate::error::ServerError;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use optifire_core::config::Secret;
use serde::{Deserialize, Serialize};
use std::fmt;

/// HS256 keys shorter than the hash output (32 bytes) weaken the MAC; refuse them.
pub const MIN_SECRET_LEN: usize = 32;
/// How long the password step of a TOTP login stays valid.
pub const MFA_TOKEN_SECS: i64 = 300;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Session,
    MfaPending,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    /// Unix seconds.
    pub iat: i64,
    /// Unix seconds.
    pub exp: i64,
    /// Random id, the handle for revocation.
    pub jti: String,
    pub kind: TokenKind,
    /// Anti-CSRF value bound to this session: a cookie-authenticated write must echo it in the
    /// `X-CSRF-Token` header. Empty for MFA tokens.
    pub csrf: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed or badly signed token")]
    Invalid,
    #[error("token expired")]
    Expired,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtKeys(***)")
    }
}

impl JwtKeys {
    pub fn new(secret: &Secret) -> Result<Self, ServerError> {
        let bytes = secret.expose().as_bytes();
        if bytes.len() < MIN_SECRET_LEN {
            return Err(ServerError::WeakJwtSecret {
                min: MIN_SECRET_LEN,
            });
        }
        Ok(JwtKeys {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
        })
    }

    pub fn issue(&self, claims: &Claims) -> Result<String, ServerError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| ServerError::Token(e.to_string()))
    }

    /// Checks signature, algorithm (only HS256: no `none`, no key confusion) and expiry at
    /// `now_secs`.
    pub fn verify(&self, token: &str, now_secs: i64) -> Result<Claims, TokenError> {
        let mut v = Validation::new(Algorithm::HS256);
        v.validate_exp = false;
        v.validate_nbf = false;
        v.leeway = 0;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &v)
            .map_err(|_| TokenError::Invalid)?;
        if data.claims.exp <= now_secs {
            return Err(TokenError::Expired);
        }
        Ok(data.claims)
    }
}

/// 128 random bits as hex: token ids and CSRF values.
pub fn random_id() -> String {
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(&Secret::new("0123456789abcdef0123456789abcdef")).unwrap()
    }

    fn claims(exp: i64) -> Claims {
        Claims {
            sub: "alice".into(),
            iat: 100,
            exp,
            jti: random_id(),
            kind: TokenKind::Session,
            csrf: random_id(),
        }
    }

    #[test]
    fn round_trip_and_expiry_by_injected_time() {
        let k = keys();
        let c = claims(1_000);
        let t = k.issue(&c).unwrap();
        assert_eq!(k.verify(&t, 999).unwrap(), c);
        assert_eq!(k.verify(&t, 1_000), Err(TokenError::Expired));
    }

    #[test]
    fn other_key_and_tampering_are_refused() {
        let t = keys().issue(&claims(1_000)).unwrap();
        let other = JwtKeys::new(&Secret::new("ffffffffffffffffffffffffffffffff")).unwrap();
        assert_eq!(other.verify(&t, 0), Err(TokenError::Invalid));
        let mut bad = t.clone();
        bad.pop();
        assert_eq!(keys().verify(&bad, 0), Err(TokenError::Invalid));
    }

    #[test]
    fn alg_none_is_refused() {
        // {"alg":"none","typ":"JWT"} . a valid claims body . no signature
        let body = "eyJzdWIiOiJhbGljZSIsImlhdCI6MCwiZXhwIjo5OTk5OTk5OTk5LCJqdGkiOiJ4Iiwia2luZCI6InNlc3Npb24iLCJjc3JmIjoieCJ9";
        let t = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{body}.");
        assert_eq!(keys().verify(&t, 0), Err(TokenError::Invalid));
    }

    #[test]
    fn short_secret_refused() {
        assert!(JwtKeys::new(&Secret::new("short")).is_err());
    }
}
