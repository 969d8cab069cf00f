//! Why a chart could not be drawn.

/// Drawing errors carry the backend's message; there is nothing a caller can do but report it.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("chart has no data: {0}")]
    NoData(String),
    #[error("drawing failed: {0}")]
    Draw(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl ChartError {
    pub(crate) fn draw(e: impl std::fmt::Display) -> Self {
        ChartError::Draw(e.to_string())
    }
}
