//! API users in the store: argon2id password hashes and optional TOTP enrolment.
//!
//! Managed from the CLI (`optifire user add`, `optifire user totp`); the HTTP API only reads.

use crate::auth::{password, totp};
use crate::db::ServerDb;
use crate::error::ServerError;
use optifire_core::Timestamp;
use rusqlite::OptionalExtension;
use std::fmt;

pub struct User {
    pub username: String,
    pub password_hash: String,
    /// Base32 TOTP secret; `None` until enrolled.
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("username", &self.username)
            .field("totp_enrolled", &self.totp_secret.is_some())
            .finish_non_exhaustive()
    }
}

/// What `enroll_totp` hands back once, to show the user; the CLI prints it and forgets it.
pub struct TotpEnrolment {
    pub secret_base32: String,
    pub otpauth_uri: String,
}

impl fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpEnrolment(***)")
    }
}

/// 1-64 of `[A-Za-z0-9._-]`: safe in logs, cookies, and the otpauth label (no ':').
pub fn valid_username(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

impl ServerDb {
    pub fn user(&self, username: &str) -> Result<Option<User>, ServerError> {
        let conn = self.lock();
        let u = conn
            .query_row(
                "SELECT username, password_hash, totp_secret, totp_last_step
                 FROM users WHERE username = ?1",
                [username],
                |r| {
                    Ok(User {
                        username: r.get(0)?,
                        password_hash: r.get(1)?,
                        totp_secret: r.get(2)?,
                        totp_last_step: r.get(3)?,
                    })
                },
            )
            .optional()?;
        Ok(u)
    }

    /// Adds a user with an argon2id hash of `password`. Refuses a taken name, an invalid name
    /// and a password shorter than `MIN_PASSWORD_LEN`.
    pub fn add_user(
        &self,
        username: &str,
        password: &str,
        now: Timestamp,
    ) -> Result<(), ServerError> {
        if !valid_username(username) {
            return Err(ServerError::InvalidUsername(username.to_string()));
        }
        if password.chars().count() < password::MIN_PASSWORD_LEN {
            return Err(ServerError::WeakPassword {
                min: password::MIN_PASSWORD_LEN,
            });
        }
        if self.user(username)?.is_some() {
            return Err(ServerError::UserExists(username.to_string()));
        }
        let hash = password::hash_password(password)?;
        self.lock().execute(
            "INSERT INTO users (username, password_hash, totp_secret, totp_last_step,
                                created_at, updated_at)
             VALUES (?1, ?2, NULL, NULL, ?3, ?3)",
            rusqlite::params![username, hash, now.0],
        )?;
        Ok(())
    }

    /// Gives the user a new TOTP secret (replacing any old one); from then on a login needs a
    /// code.
    pub fn enroll_totp(
        &self,
        username: &str,
        now: Timestamp,
    ) -> Result<TotpEnrolment, ServerError> {
        let secret = totp::new_secret();
        let uri = totp::otpauth_uri(&secret, username)?;
        let n = self.lock().execute(
            "UPDATE users SET totp_secret = ?2, totp_last_step = NULL, updated_at = ?3
             WHERE username = ?1",
            rusqlite::params![username, secret, now.0],
        )?;
        if n == 0 {
            return Err(ServerError::UnknownUser(username.to_string()));
        }
        Ok(TotpEnrolment {
            secret_base32: secret,
            otpauth_uri: uri,
        })
    }

    pub fn set_totp_last_step(&self, username: &str, step: i64) -> Result<(), ServerError> {
        self.lock().execute(
            "UPDATE users SET totp_last_step = ?2 WHERE username = ?1",
            rusqlite::params![username, step],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_rules() {
        assert!(valid_username("alice.b-c_1"));
        for bad in ["", "a:b", "a b", "é", &"x".repeat(65)] {
            assert!(!valid_username(bad), "{bad}");
        }
    }
}
