//! One thing wrong with a data file, said so a person can find and judge it.
//!
//! Loader and validator both report `Defect`s, so a caller gets one list per file whose lines
//! read `FILE DATE REASON`: nothing is dropped or repaired silently.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What kind of problem a defect is, for filtering and counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefectKind {
    /// The row could not be parsed (bad number, missing field, empty or NaN value); it was left
    /// out of the bars.
    Unparsable,
    /// The same timestamp as an earlier row.
    Duplicate,
    /// A timestamp earlier than a previous row's.
    OutOfOrder,
    /// A price or volume that is NaN or infinite.
    NotFinite,
    /// A negative price or volume.
    Negative,
    /// A price of exactly zero.
    ZeroPrice,
    /// Low above open or close, high below open or close, or low above high.
    OhlcInconsistent,
    /// Zero volume on a series that normally trades.
    ZeroVolume,
    /// Volume on a series whose volume is zero on (nearly) every row, i.e. an index.
    VolumeOnIndex,
    /// A session the calendar has, between the file's first and last date, without a row.
    MissingSession,
    /// A row on a date the calendar says is not a session (weekend, holiday).
    NonSessionDate,
    /// A one-bar jump far outside the series' own typical moves.
    Outlier,
}

/// One defect: which file, which row (when there is one), which date, and why.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Defect {
    pub file: String,
    /// 1-based line in the file (the header is line 1); `None` for a missing row.
    pub line: Option<u64>,
    /// The date (or date and time) as written in the file.
    pub date: String,
    pub kind: DefectKind,
    pub reason: String,
}

impl fmt::Display for Defect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.file, self.date, self.reason)
    }
}

/// A price for a reason text: up to six decimals, trailing zeros dropped, so reasons stay short
/// yet show the difference that made the row fail (e.g. 27.6301 vs 27.629999).
pub(crate) fn num(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_file_date_reason_on_one_line() {
        let d = Defect {
            file: "SPY.csv".into(),
            line: Some(1314),
            date: "2026-03-26".into(),
            kind: DefectKind::OhlcInconsistent,
            reason: "open 658.669983 above high 652.450012".into(),
        };
        assert_eq!(
            d.to_string(),
            "SPY.csv 2026-03-26 open 658.669983 above high 652.450012"
        );
    }

    #[test]
    fn numbers_are_short_but_exact_enough() {
        assert_eq!(num(658.6699829101562), "658.669983");
        assert_eq!(num(255.0), "255");
        assert_eq!(num(0.0001), "0.0001");
        assert_eq!(num(f64::NAN), "NaN");
    }
}
