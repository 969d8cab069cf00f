//! Market-data input: CSV files of bars in, typed bars plus a list of defects out.
//!
//! Real published data is never clean, so loading and checking are separate steps: the loader
//! keeps every row it can parse and reports the rest; the validator then says what is wrong with
//! what was kept (ordering, OHLC, volume, missing sessions, outliers), each with file, date, reason.

mod bar_time;
mod csv_loader;
mod defect;
mod fast_row;
mod iso_date;
mod layout;
mod median;
mod outlier;
mod row_template;
mod session;
mod validate;

pub use bar_time::DailyClose;
pub use csv_loader::{
    load_csv, load_dir, DateText, Frequency, LoadError, LoadOptions, LoadedSeries, RowInfo,
};
pub use defect::{Defect, DefectKind};
pub use layout::Layout;
pub use outlier::{find_spikes, OutlierOptions, Spike};
pub use session::calendar_for;
pub use validate::{validate, ValidateOptions};
