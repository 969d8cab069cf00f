//! HTML building blocks for the dashboard: escaping, the page frame with its four tabs, tables
//! and number formats. Every value that reaches a page goes through `esc`.

use optifire_core::Timestamp;
use std::fmt::Write;

/// Escapes text for element content and quoted attribute values: the backtest report's escaping,
/// so the dashboard and report.html cannot disagree on what is safe.
pub use optifire_engine::backtest::report_html::escape as esc;

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The four tabs: path and label.
pub const TABS: [(&str, &str); 4] = [
    ("/", "Dashboard"),
    ("/flags", "Flags"),
    ("/orders", "Orders"),
    ("/diagnostics", "Diagnostics"),
];

/// A note shown at the top of a page after a form post.
#[derive(Clone, Debug, Default)]
pub struct Flash {
    pub message: Option<String>,
    pub ok: bool,
}

/// The whole document. `csrf` is `None` on the login pages (no session yet).
pub fn page(
    title: &str,
    active: &str,
    user: Option<(&str, &str)>,
    flash: &Flash,
    body: &str,
) -> String {
    let mut h = String::with_capacity(body.len() + 2048);
    h.push_str("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    let _ = write!(h, "<title>OptiFIRE · {}</title>", esc(title));
    h.push_str("<link rel=\"stylesheet\" href=\"/static/app.css\">");
    h.push_str("<script src=\"/static/app.js\" defer></script></head><body>");
    h.push_str("<header><span class=\"brand\">OptiFIRE</span>");
    if let Some((name, csrf)) = user {
        h.push_str("<nav>");
        for (path, label) in TABS {
            let cls = if path == active {
                " class=\"active\""
            } else {
                ""
            };
            let _ = write!(h, "<a href=\"{path}\"{cls}>{label}</a>");
        }
        h.push_str("</nav>");
        let _ = write!(
            h,
            "<form method=\"post\" action=\"/logout\" class=\"logout\">{}<span class=\"who\">{}</span> <button type=\"submit\">Log out</button></form>",
            csrf_field(csrf),
            esc(name)
        );
    }
    h.push_str("</header><main>");
    if let Some(m) = &flash.message {
        let cls = if flash.ok { "flash ok" } else { "flash err" };
        let _ = write!(h, "<p class=\"{cls}\" role=\"status\">{}</p>", esc(m));
    }
    h.push_str(body);
    h.push_str("</main></body></html>\n");
    h
}

pub fn csrf_field(csrf: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(csrf)
    )
}

pub const NO_DATA: &str = "<p class=\"empty\">no data yet</p>";

/// A table with escaped header cells; rows are already-built HTML cells.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    if rows.is_empty() {
        return NO_DATA.to_string();
    }
    let mut h = String::from("<div class=\"scroll\"><table><thead><tr>");
    for c in headers {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    h.push_str("</tr></thead><tbody>");
    for r in rows {
        h.push_str("<tr>");
        for c in r {
            let _ = write!(h, "<td>{c}</td>");
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></div>");
    h
}

/// New York wall time, as the whole UI shows times.
pub fn ts(t: Timestamp) -> String {
    t.to_new_york().format("%Y-%m-%d %H:%M:%S ET").to_string()
}

pub fn money(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2}")
    } else {
        "–".to_string()
    }
}

pub fn pct(v: f64) -> String {
    if v.is_finite() {
        format!("{:.2}%", v * 100.0)
    } else {
        "–".to_string()
    }
}

pub fn opt_pct(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_string(), pct)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<script>"x"&'y'</script>"#),
            "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn url_encoding_keeps_unreserved_only() {
        assert_eq!(url_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }

    #[test]
    fn times_are_new_york() {
        // 2023-11-14 21:00:00 UTC = 16:00 EST.
        assert_eq!(
            ts(Timestamp::from_secs(1_699_995_600)),
            "2023-11-14 16:00:00 ET"
        );
    }
}
