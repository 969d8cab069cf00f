//! The embedded font (DejaVu Sans, licence in fonts/LICENSE-DejaVu.txt).
//!
//! plotters' ab_glyph backend has no font until one is registered; registering from bytes in the
//! binary keeps charts identical on every machine and free of a fontconfig dependency.

use std::sync::Once;

static FONT_BYTES: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

/// Registers the font once per process; later calls do nothing.
pub(crate) fn ensure_registered() {
    REGISTER.call_once(|| {
        // The bytes are a known-good TTF compiled into the binary; a failure here would be a
        // build defect, and drawing then reports a font error rather than panicking.
        let _ = plotters::style::register_font(
            crate::FONT,
            plotters::style::FontStyle::Normal,
            FONT_BYTES,
        );
    });
}
