//! `optifire features`: named indicator columns for every bar of a CSV, for research and for
//! checking our numbers against another tool.

use anyhow::{bail, Context as _, Result};
use optifire_core::data::{load_csv, LoadOptions};
use optifire_ta::features::{compute, FeatureSpec, Ohlcv};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

pub fn run(input: &Path, features: &str, output: &Path) -> Result<ExitCode> {
    let specs: Vec<FeatureSpec> = features
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(FeatureSpec::parse)
        .collect::<Result<_, _>>()?;
    if specs.is_empty() {
        bail!(
            "--features is empty; valid: {}",
            optifire_ta::features::VALID_FEATURES
        );
    }
    let series = load_csv(input, &LoadOptions::default())?;
    for d in &series.parse_defects {
        eprintln!("warning: row left out: {d}");
    }
    let col =
        |f: fn(&optifire_core::domain::Bar) -> f64| series.bars.iter().map(f).collect::<Vec<f64>>();
    let (open, high, low, close, volume) = (
        col(|b| b.open),
        col(|b| b.high),
        col(|b| b.low),
        col(|b| b.close),
        col(|b| b.volume),
    );
    let data = Ohlcv {
        open: &open,
        high: &high,
        low: &low,
        close: &close,
        volume: &volume,
    };
    let mut columns: Vec<(String, Vec<f64>)> = Vec::new();
    for s in &specs {
        columns.extend(compute(s, data)?);
    }

    let file = std::fs::File::create(output)
        .with_context(|| format!("cannot write {}", output.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, file);
    let mut line = Vec::with_capacity(64 * (columns.len() + 1));
    line.extend_from_slice(b"date");
    for (name, _) in &columns {
        line.push(b',');
        line.extend_from_slice(name.as_bytes());
    }
    line.push(b'\n');
    w.write_all(&line)?;
    let mut digits = zmij::Buffer::new();
    for (i, row) in series.rows.iter().enumerate() {
        line.clear();
        line.extend_from_slice(row.date_text().as_bytes());
        for (_, values) in &columns {
            line.push(b',');
            // An undefined value is an empty field.
            let v = values[i];
            if v.is_finite() {
                if may_tie(v) {
                    write!(line, "{v}")?;
                } else {
                    push_f64(&mut line, digits.format_finite(v));
                }
            }
        }
        line.push(b'\n');
        w.write_all(&line)?;
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// True when `v` might lie exactly halfway between two shortest decimal candidates, the one
/// case where zmij (even digit) and std (upper digit) choose differently. A halfway value has a
/// finite decimal expansion T / 10^q with T < 10^18 ending in 5, so it has exactly q binary
/// fraction digits and 5^q divides T: q <= 25. So values with 1..=27 binary fraction digits and
/// values from 2^53 up (integers with 17+ digits) are left to std; integers below 2^53 and
/// values with more fraction digits (nearly every computed indicator value) cannot tie.
fn may_tie(v: f64) -> bool {
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i64;
    let fraction = bits & ((1u64 << 52) - 1);
    let mantissa = if biased == 0 {
        fraction
    } else {
        fraction | (1u64 << 52)
    };
    if mantissa == 0 {
        return false;
    }
    // v = odd * 2^exp.
    let exp = biased.max(1) - 1075 + i64::from(mantissa.trailing_zeros());
    (-27..0).contains(&exp) || v.abs() >= 9_007_199_254_740_992.0
}

/// Appends a finite value in the layout of std's `{}`: the shortest digits that parse back to
/// the same f64, in plain decimal notation, without a trailing ".0" (so "3", "0.0001", "1e21" as
/// "1000000000000000000000"). `shortest` is zmij's text of the value: the same shortest,
/// closest digits as std (checked below), several times faster to produce, but with ".0" on
/// integers and exponent notation outside about 1e-5..1e16, so only the layout is redone.
/// (Where the exact value lies halfway between two shortest candidates zmij takes the even last
/// digit and std the upper one; `may_tie` sends every value where that can happen to std.)
fn push_f64(out: &mut Vec<u8>, shortest: &str) {
    let b = shortest.as_bytes();
    let Some(e) = b.iter().position(|&c| c == b'e') else {
        // Plain notation already; only an integer's ".0" goes.
        out.extend_from_slice(b.strip_suffix(b".0").unwrap_or(b));
        return;
    };
    let (negative, mantissa) = match b[..e].split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, &b[..e]),
    };
    let exp: i64 = shortest[e + 1..].parse().unwrap_or(0);
    // mantissa = d[.ddd]: the point sits after the first digit.
    let digits: Vec<u8> = mantissa.iter().copied().filter(|&c| c != b'.').collect();
    let digits = {
        let end = digits.iter().rposition(|&c| c != b'0').map_or(0, |p| p + 1);
        &digits[..end]
    };
    if negative {
        out.push(b'-');
    }
    if digits.is_empty() {
        out.push(b'0');
        return;
    }
    // Value = 0.digits * 10^point.
    let point = exp + 1;
    let len = digits.len() as i64;
    if point <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-point) as usize));
        out.extend_from_slice(digits);
    } else if point < len {
        let (int, frac) = digits.split_at(point as usize);
        out.extend_from_slice(int);
        out.push(b'.');
        out.extend_from_slice(frac);
    } else {
        out.extend_from_slice(digits);
        out.extend(std::iter::repeat_n(b'0', (point - len) as usize));
    }
}

#[cfg(test)]
mod tests {
    use super::{may_tie, push_f64};

    fn ours(v: f64) -> String {
        let mut out = Vec::new();
        push_f64(&mut out, zmij::Buffer::new().format_finite(v));
        String::from_utf8(out).unwrap()
    }

    /// The text written for `v`, through the same choice `run` makes.
    fn written(v: f64) -> String {
        if may_tie(v) {
            format!("{v}")
        } else {
            ours(v)
        }
    }

    /// std's `{}` is the reference: the text must be the same byte for byte, so files are the
    /// same as before this formatter, and parse back to the same f64.
    fn check(v: f64) {
        assert_eq!(written(v), format!("{v}"), "{v:e}");
    }

    #[test]
    fn same_text_as_std_display() {
        let fixed = [
            0.0,
            -0.0,
            1.0,
            -3.0,
            0.1,
            0.3,
            1.0 / 3.0,
            100.0,
            1e-7,
            1.5e-7,
            -2.5e-300,
            1e15,
            1e16,
            1e17,
            1.2345e21,
            1e22,
            9007199254740993.0,
            123456.789,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            f64::EPSILON,
            // Halfway cases zmij and std round differently (found by the loop below).
            662_936_471_232_937.0 + 0.25,
            233_115_890_514_796.0 + 0.125,
        ];
        for v in fixed {
            check(v);
        }
        let halfway = 662_936_471_232_937.0 + 0.25;
        assert_ne!(ours(halfway), format!("{halfway}"));
        // Deterministic spread (seeded generator): random bit patterns over every exponent; values
        // of the size indicators produce (prices, ratios, volumes); and values with few binary
        // fraction digits at every magnitude, where halfway cases live.
        let mut rng = fastrand::Rng::with_seed(0x9E37_79B9_7F4A_7C15);
        for i in 0..300_000u64 {
            let x = rng.u64(..);
            let v = f64::from_bits(x);
            if v.is_finite() {
                check(v);
            }
            let w = (x >> 11) as f64 / (1u64 << 53) as f64 * 1e6;
            check(w);
            check((w * 100.0).round() / 100.0);
            check(w * 1e-12);
            let short = (x >> (11 + i % 40)) as f64 / (1u64 << (i % 30)) as f64;
            check(short);
            check(short * 1024.0);
        }
    }
}
