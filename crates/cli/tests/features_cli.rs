//! `optifire features` against TA-Lib's recorded output on the same SPY file
//! (crates/ta/tests/fixtures/talib/, made by tools/reference/talib_fixtures.py).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ta/tests/fixtures/talib")
}

fn run(features: &str, out: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_optifire"))
        .args(["features", "--input"])
        .arg(fixtures().join("SPY.csv"))
        .args(["--features", features, "--output"])
        .arg(out)
        .output()
        .unwrap()
}

/// TA-Lib output columns by "CASE_ID/output".
fn talib() -> BTreeMap<String, Vec<Option<f64>>> {
    let text = std::fs::read_to_string(fixtures().join("talib_spy.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut m = BTreeMap::new();
    for case in v["cases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        for (name, vals) in case["outputs"].as_object().unwrap() {
            let col = vals
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64())
                .collect();
            m.insert(format!("{id}/{name}"), col);
        }
    }
    m
}

#[test]
fn feature_columns_match_talib_to_1e9_relative() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.csv");
    let o = run("sma_30,ema_30,wma_30,rsi_14,atr_14,stddev_5,roc_10,mom_10,adx_14,cci_14,willr_14,mfi_14,obv,trange,bbands_5_2,macd_12_26_9,stoch_5_3", &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[0], "date");
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 1313);
    assert_eq!(rows[0][0], "2021-01-04");
    let ours = |name: &str| -> Vec<Option<f64>> {
        let j = header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no column {name}"));
        rows.iter()
            .map(|r| {
                if r[j].is_empty() {
                    None
                } else {
                    Some(r[j].parse().unwrap())
                }
            })
            .collect()
    };
    let t = talib();
    let pairs = [
        ("sma_30", "SMA(timeperiod=30)/real"),
        ("ema_30", "EMA(timeperiod=30)/real"),
        ("wma_30", "WMA(timeperiod=30)/real"),
        ("rsi_14", "RSI(timeperiod=14)/real"),
        ("atr_14", "ATR(timeperiod=14)/real"),
        ("stddev_5", "STDDEV(timeperiod=5,nbdev=1.0)/real"),
        ("roc_10", "ROC(timeperiod=10)/real"),
        ("mom_10", "MOM(timeperiod=10)/real"),
        ("adx_14", "ADX(timeperiod=14)/real"),
        ("cci_14", "CCI(timeperiod=14)/real"),
        ("willr_14", "WILLR(timeperiod=14)/real"),
        ("mfi_14", "MFI(timeperiod=14)/real"),
        ("obv", "OBV()/real"),
        ("trange", "TRANGE()/real"),
        ("bbands_5_2_upper", "BBANDS(timeperiod=5,nbdevup=2.0,nbdevdn=2.0,matype=0)/upper"),
        ("bbands_5_2_middle", "BBANDS(timeperiod=5,nbdevup=2.0,nbdevdn=2.0,matype=0)/middle"),
        ("bbands_5_2_lower", "BBANDS(timeperiod=5,nbdevup=2.0,nbdevdn=2.0,matype=0)/lower"),
        ("macd_12_26_9", "MACD(fastperiod=12,slowperiod=26,signalperiod=9)/macd"),
        ("macd_12_26_9_signal", "MACD(fastperiod=12,slowperiod=26,signalperiod=9)/signal"),
        ("macd_12_26_9_hist", "MACD(fastperiod=12,slowperiod=26,signalperiod=9)/hist"),
        ("stoch_5_3_k", "STOCH(fastk_period=5,slowk_period=3,slowk_matype=0,slowd_period=3,slowd_matype=0)/slowk"),
        ("stoch_5_3_d", "STOCH(fastk_period=5,slowk_period=3,slowk_matype=0,slowd_period=3,slowd_matype=0)/slowd"),
    ];
    for (col, key) in pairs {
        let reference = t.get(key).unwrap_or_else(|| panic!("fixture has no {key}"));
        let got = ours(col);
        assert_eq!(got.len(), reference.len(), "{col}");
        for (i, (g, r)) in got.iter().zip(reference).enumerate() {
            match (g, r) {
                (None, None) => {}
                (Some(g), Some(r)) => {
                    // Tolerance: 1e-9 relative, with a floor of 1 for values near zero.
                    assert!(
                        (g - r).abs() <= 1e-9 * r.abs().max(1.0),
                        "{col}[{i}]: {g} vs TA-Lib {r}"
                    );
                }
                _ => panic!("{col}[{i}]: undefined in one and not the other: {g:?} vs {r:?}"),
            }
        }
    }
}

#[test]
fn unknown_feature_names_are_an_error_listing_the_valid_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.csv");
    let o = run("sma_20,rsi", &out);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("unknown feature \"rsi\"; valid: sma_N, ema_N"),
        "{err}"
    );
    assert!(!out.exists(), "nothing written on error");
}

/// `fracdiff_D` is the fixed-width-window FFD (threshold 1e-5) of the log close: compared with the
/// AFML algorithm in numpy recorded by tools/reference/ts_fixtures.py (log SPY closes).
#[test]
fn fracdiff_matches_the_afml_reference() {
    let ts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ta/tests/fixtures/ts");
    let prices = std::fs::read_to_string(ts.join("prices_spy_qqq_gld.csv")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("SPY.csv");
    let mut csv = String::from("Date,Open,High,Low,Close,Volume\n");
    for l in prices.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        csv.push_str(&format!("{0},{1},{1},{1},{1},0\n", f[0], f[1]));
    }
    std::fs::write(&input, csv).unwrap();
    let out = dir.path().join("f.csv");
    let o = Command::new(env!("CARGO_BIN_EXE_optifire"))
        .args(["features", "--input"])
        .arg(&input)
        .args(["--features", "fracdiff_0.5,fracdiff_0.8", "--output"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<Vec<String>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    let fx: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ts.join("fracdiff.json")).unwrap()).unwrap();
    for (col, d) in [(1usize, 0.5), (2, 0.8)] {
        let case = fx["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["d"] == d && c["threshold"] == 1e-5)
            .unwrap();
        let want: Vec<f64> = case["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let lead = rows.len() - want.len();
        assert!(
            rows[..lead].iter().all(|r| r[col].is_empty()),
            "undefined before the window is full"
        );
        for (i, w) in want.iter().enumerate() {
            let got: f64 = rows[lead + i][col].parse().unwrap();
            // Tolerance 1e-9 absolute, as the kernel's own fixture test.
            assert!(
                (got - w).abs() <= 1e-9,
                "fracdiff_{d}[{}]: {got} vs {w}",
                lead + i
            );
        }
    }
}
