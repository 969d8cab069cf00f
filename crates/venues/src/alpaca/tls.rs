//! The rustls client configuration both the REST client and the websockets use.
//!
//! Built explicitly with the ring provider and Mozilla's roots (webpki-roots) so there is no
//! process-wide provider to install, no native-tls, and the same trust store on every machine.

use rustls::{ClientConfig, RootCertStore};
use std::sync::Arc;

/// A TLS client config; `alpn` lists the protocols offered (HTTP/1.1 only: websockets need it,
/// and Alpaca's REST API serves it).
pub fn client_config() -> Result<ClientConfig, rustls::Error> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(cfg)
}
