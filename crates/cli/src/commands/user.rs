//! `optifire user add NAME` and `optifire user totp NAME`: manage the HTTP API's users in the
//! store. Passwords are read without echo (or from stdin for scripts) and never printed or
//! logged; a TOTP secret is shown once, as an otpauth URI and a terminal QR code.

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use optifire_core::clock::{Clock, RealClock};
use optifire_core::store::SqliteStore;
use optifire_server::ServerDb;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Add an API user. The password is prompted twice without echo, or read as one line from
    /// stdin when stdin is not a terminal (`printf '%s\n' "$PW" | optifire user add alice`).
    Add {
        name: String,
        /// The store's SQLite file (migrated if needed).
        #[arg(long)]
        db: PathBuf,
    },
    /// Enrol NAME for TOTP (replacing any earlier enrolment): prints the otpauth URI and a QR
    /// code to scan with an authenticator app. From then on login needs a code.
    Totp {
        name: String,
        #[arg(long)]
        db: PathBuf,
    },
}

pub fn run(cmd: UserCmd, out: &mut dyn Write) -> Result<ExitCode> {
    match cmd {
        UserCmd::Add { name, db } => {
            let server_db = open(&db)?;
            let password = read_password()?;
            server_db.add_user(&name, &password, RealClock.now())?;
            writeln!(out, "user {name} added")?;
        }
        UserCmd::Totp { name, db } => {
            let server_db = open(&db)?;
            let enrolment = server_db.enroll_totp(&name, RealClock.now())?;
            let qr = qrcode::QrCode::new(enrolment.otpauth_uri.as_bytes())
                .context("encode the otpauth URI as a QR code")?
                .render::<qrcode::render::unicode::Dense1x2>()
                .quiet_zone(true)
                .build();
            writeln!(out, "{qr}")?;
            writeln!(out, "{}", enrolment.otpauth_uri)?;
            writeln!(
                out,
                "scan the code (or enter the URI) in an authenticator app; from now on {name} \
                 logs in with a 6-digit code"
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Opens the store once (applying migrations) so the users table exists, then the server's
/// own connection.
fn open(db: &Path) -> Result<ServerDb> {
    SqliteStore::open(db).with_context(|| format!("open store {}", db.display()))?;
    Ok(ServerDb::open(db)?)
}

fn read_password() -> Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").context("read password")?;
        let second = rpassword::prompt_password("Repeat: ").context("read password")?;
        if first != second {
            bail!("the two passwords differ; nothing was changed");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("read password from stdin")?;
        Ok(line.trim_end_matches(['\n', '\r']).to_string())
    }
}
