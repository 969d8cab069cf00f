//! Where the Alpaca adapter connects and with which keys.
//!
//! URLs are plain configuration so tests point the client at a local server; the keys come only
//! from the caller (core's `Secrets`, read from APCA_API_KEY_ID / APCA_API_SECRET_KEY) and never
//! print: `AlpacaCredentials`' Debug redacts both.

use optifire_core::config::{AlpacaDataFeed, DataConfig, Mode, Secret, Secrets};
use std::fmt;
use std::time::Duration;

/// Alpaca's market-data feeds: IEX is free, SIP is the consolidated tape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataFeed {
    Iex,
    Sip,
}

impl DataFeed {
    pub fn as_str(self) -> &'static str {
        match self {
            DataFeed::Iex => "iex",
            DataFeed::Sip => "sip",
        }
    }
}

/// Endpoints and limits. `paper()` is the default; `live()` only changes the trading hosts.
#[derive(Clone, Debug, PartialEq)]
pub struct AlpacaConfig {
    /// Trading API v2 host, without the `/v2` path.
    pub trading_base_url: String,
    /// Market Data API v2 host, without the `/v2` path.
    pub data_base_url: String,
    /// Trading (order updates) websocket, e.g. `wss://paper-api.alpaca.markets/stream`.
    pub trading_stream_url: String,
    /// Market-data websocket prefix; the feed name is appended (`.../v2/iex`).
    pub data_stream_url: String,
    pub feed: DataFeed,
    /// Whole-request timeout for one REST call; a timeout counts as transient.
    pub timeout: Duration,
    /// Extra attempts after the first for calls that are safe to repeat.
    pub max_retries: u32,
}

impl AlpacaConfig {
    pub fn paper() -> AlpacaConfig {
        AlpacaConfig {
            trading_base_url: "https://paper-api.alpaca.markets".into(),
            data_base_url: "https://data.alpaca.markets".into(),
            trading_stream_url: "wss://paper-api.alpaca.markets/stream".into(),
            data_stream_url: "wss://stream.data.alpaca.markets/v2".into(),
            feed: DataFeed::Iex,
            timeout: Duration::from_secs(10),
            max_retries: 3,
        }
    }

    pub fn live() -> AlpacaConfig {
        AlpacaConfig {
            trading_base_url: "https://api.alpaca.markets".into(),
            trading_stream_url: "wss://api.alpaca.markets/stream".into(),
            ..AlpacaConfig::paper()
        }
    }

    /// From the `data` section of `config.yaml`: the paper or live trading host by `mode`, the
    /// trading stream at that host's `/stream` (as Alpaca documents it), the data hosts and feed.
    pub fn from_data_config(data: &DataConfig, mode: Mode) -> AlpacaConfig {
        let trading = match mode {
            Mode::Paper => &data.alpaca_paper_url,
            Mode::Live => &data.alpaca_live_url,
        };
        let trading = trading.trim_end_matches('/').to_string();
        let stream_host = if let Some(rest) = trading.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = trading.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            trading.clone()
        };
        AlpacaConfig {
            trading_stream_url: format!("{stream_host}/stream"),
            trading_base_url: trading,
            data_base_url: data.alpaca_data_url.trim_end_matches('/').to_string(),
            data_stream_url: data.alpaca_stream_url.clone(),
            feed: match data.alpaca_data_feed {
                AlpacaDataFeed::Iex => DataFeed::Iex,
                AlpacaDataFeed::Sip => DataFeed::Sip,
            },
            ..AlpacaConfig::paper()
        }
    }

    /// The market-data stream URL for the configured feed.
    pub fn data_stream_endpoint(&self) -> String {
        format!(
            "{}/{}",
            self.data_stream_url.trim_end_matches('/'),
            self.feed.as_str()
        )
    }
}

impl Default for AlpacaConfig {
    fn default() -> Self {
        AlpacaConfig::paper()
    }
}

/// API key id and secret. Both are redacted in Debug; `expose_*` is used only where a header or
/// an auth message is built.
#[derive(Clone, PartialEq, Eq)]
pub struct AlpacaCredentials {
    key_id: Secret,
    secret: Secret,
}

impl AlpacaCredentials {
    pub fn new(key_id: impl Into<String>, secret: impl Into<String>) -> AlpacaCredentials {
        AlpacaCredentials {
            key_id: Secret::new(key_id),
            secret: Secret::new(secret),
        }
    }

    /// From core's resolved secrets; `None` when either key is missing.
    pub fn from_secrets(secrets: &Secrets) -> Option<AlpacaCredentials> {
        Some(AlpacaCredentials {
            key_id: secrets.alpaca_key_id.clone()?,
            secret: secrets.alpaca_secret_key.clone()?,
        })
    }

    pub fn expose_key_id(&self) -> &str {
        self.key_id.expose()
    }

    pub fn expose_secret(&self) -> &str {
        self.secret.expose()
    }

    /// Replaces every occurrence of either key in `text` with `***`: applied to every error text
    /// the adapter produces, in case a server or library echoes a header back.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in [self.secret.expose(), self.key_id.expose()] {
            if !s.is_empty() {
                out = out.replace(s, "***");
            }
        }
        out
    }
}

impl fmt::Debug for AlpacaCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlpacaCredentials")
            .field("key_id", &"***")
            .field("secret", &"***")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_redact_hide_both_keys() {
        let c = AlpacaCredentials::new("PKTESTKEYID", "s3cr3t-value");
        let dbg = format!("{c:?}");
        assert!(
            !dbg.contains("s3cr3t-value") && !dbg.contains("PKTESTKEYID"),
            "{dbg}"
        );
        assert_eq!(
            c.redact("header s3cr3t-value for PKTESTKEYID"),
            "header *** for ***"
        );
    }

    #[test]
    fn data_stream_endpoint_appends_feed() {
        let mut c = AlpacaConfig::paper();
        assert_eq!(
            c.data_stream_endpoint(),
            "wss://stream.data.alpaca.markets/v2/iex"
        );
        c.feed = DataFeed::Sip;
        c.data_stream_url = "ws://127.0.0.1:9/v2/".into();
        assert_eq!(c.data_stream_endpoint(), "ws://127.0.0.1:9/v2/sip");
    }

    #[test]
    fn from_the_shipped_config_yaml() {
        // The `data` values of configs/config.yaml.
        let data = DataConfig {
            feed: optifire_core::config::Feed::Alpaca,
            sample_dir: "data/sample".into(),
            replay_speed: 0.0,
            alpaca_data_feed: AlpacaDataFeed::Iex,
            alpaca_data_url: "https://data.alpaca.markets".into(),
            alpaca_stream_url: "wss://stream.data.alpaca.markets/v2".into(),
            alpaca_paper_url: "https://paper-api.alpaca.markets".into(),
            alpaca_live_url: "https://api.alpaca.markets".into(),
        };
        let live = AlpacaConfig::from_data_config(&data, Mode::Live);
        assert_eq!(live.trading_base_url, "https://api.alpaca.markets");
        assert_eq!(live.trading_stream_url, "wss://api.alpaca.markets/stream");
        let paper = AlpacaConfig::from_data_config(&data, Mode::Paper);
        // Alpaca's documented paper hosts.
        assert_eq!(paper.trading_base_url, "https://paper-api.alpaca.markets");
        assert_eq!(
            paper.trading_stream_url,
            "wss://paper-api.alpaca.markets/stream"
        );
        assert_eq!(paper.data_base_url, "https://data.alpaca.markets");
        assert_eq!(
            paper.data_stream_endpoint(),
            "wss://stream.data.alpaca.markets/v2/iex"
        );
    }

    #[test]
    fn credentials_from_core_secrets() {
        let mut s = Secrets::default();
        assert!(AlpacaCredentials::from_secrets(&s).is_none());
        s.alpaca_key_id = Some(Secret::new("k"));
        s.alpaca_secret_key = Some(Secret::new("v"));
        let c = AlpacaCredentials::from_secrets(&s).unwrap();
        assert_eq!((c.expose_key_id(), c.expose_secret()), ("k", "v"));
    }
}
