//! Every plugin id of the catalogue (../shared/PLUGINS.md), with its category.
//!
//! The registry uses this list to tell "not implemented" from "unknown": a config may name any
//! catalogue id, but only implemented ones may be enabled.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Alpha,
    Feature,
    Risk,
    /// ML, AI and self-learning plugins.
    Ml,
    Execution,
    Ux,
    Diagnostics,
    Infrastructure,
    /// External-data plugins of the extended set (`data_*`).
    Data,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Alpha => "alpha",
            Category::Feature => "feature",
            Category::Risk => "risk",
            Category::Ml => "ml",
            Category::Execution => "execution",
            Category::Ux => "ux",
            Category::Diagnostics => "diagnostics",
            Category::Infrastructure => "infrastructure",
            Category::Data => "data",
        }
    }
}

/// One catalogue row: id, category, and whether it belongs to the extended set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CatalogueEntry {
    pub id: &'static str,
    pub category: Category,
    pub extended: bool,
    /// One line from PLUGINS.md: what the plugin computes.
    pub summary: &'static str,
}

use Category::*;

macro_rules! entries {
    ($ext:expr; $($id:literal, $cat:ident, $sum:literal;)*) => {
        &[$(CatalogueEntry { id: $id, category: $cat, extended: $ext, summary: $sum }),*]
    };
}

/// The core 75.
pub const CORE: &[CatalogueEntry] = entries!(false;
    "alpha_vix_regime", Alpha, "VIX level to regime (low_vol/normal/elevated/crisis) and exposure multiplier, with hysteresis";
    "alpha_cross_asset_corr", Alpha, "rolling cross-asset correlation matrix, equity-bond sign flips, diversification score";
    "alpha_google_trends", Alpha, "search-interest velocity z-score per ticker";
    "alpha_vrp", Alpha, "volatility risk premium: implied minus realized vol";
    "alpha_analyst_revisions", Alpha, "net analyst revision breadth over 30 days, decayed";
    "alpha_whisper_spread", Alpha, "whisper minus consensus EPS before earnings";
    "alpha_coint_pairs", Alpha, "Engle-Granger cointegrated pairs, spread z-score entries and exits";
    "alpha_t_stat_threshold", Alpha, "passes signals only when the t-statistic of recent returns exceeds a threshold";
    "alpha_risk_reversal", Alpha, "25-delta risk reversal skew signal";
    "alpha_etf_flow_div", Alpha, "ETF creation/redemption flow versus price momentum divergence";
    "alpha_micro_imbalance", Alpha, "quote imbalance and order-flow imbalance";
    "alpha_vpin", Alpha, "VPIN order-flow toxicity";
    "alpha_position_agnostic", Alpha, "cross-sectional rank signal, demeaned, unit gross";
    "fe_kalman", Feature, "Kalman filter of price: level, slope, variance; dynamic hedge ratio";
    "fe_garch", Feature, "GARCH(1,1) by maximum likelihood and variance forecasts";
    "fe_price_news_div", Feature, "price return versus news sentiment divergence";
    "fe_fracdiff", Feature, "fixed-width fractional differencing with minimum d passing ADF";
    "fe_mini_pca", Feature, "incremental PCA of the return matrix";
    "fe_wavelet", Feature, "db4 wavelet soft-threshold denoising";
    "fe_entropy", Feature, "Shannon, sample and approximate entropy of returns";
    "fe_duckdb_store", Feature, "columnar point-in-time feature store";
    "fe_dollar_bars", Feature, "dollar, volume and tick bars from intraday data";
    "fe_vol_weighted_sent", Feature, "sentiment weighted by inverse volatility or volume";
    "risk_var_budget", Risk, "historical and parametric VaR budget across strategies";
    "risk_drawdown_derisk", Risk, "linear de-risking between soft and hard drawdown limits, flatten and cooldown";
    "risk_frac_kelly_atten", Risk, "fractional Kelly attenuated by confidence";
    "risk_vol_target", Risk, "target vol over realized vol, bounded";
    "risk_time_decay_size", Risk, "size decays with holding time";
    "risk_tracking_error", Risk, "tracking error versus SPY, scaled above a limit";
    "risk_liquidity_hotspot", Risk, "position as share of ADV, Amihud illiquidity, ADV cap";
    "risk_cvar_size", Risk, "size so that CVaR 95% stays within budget";
    "risk_entropy_weights", Risk, "effective number of bets, entropy of weights";
    "risk_auto_hedge_ratio", Risk, "portfolio beta to SPY and hedge size above a threshold";
    "ai_bandit_alloc", Ml, "Thompson sampling capital allocation over strategies";
    "ai_meta_labeling", Ml, "triple-barrier labels and a secondary classifier";
    "ai_online_sgd", Ml, "online logistic or linear regression by SGD";
    "ai_dtw_matcher", Ml, "dynamic time warping nearest-neighbour forecast";
    "ai_news_vectors", Ml, "news text embeddings";
    "ai_shap_drift", Ml, "feature-attribution drift between windows";
    "ai_topic_clustering", Ml, "clustering of news vectors into topics";
    "sl_bayes_update", Ml, "Beta posterior of strategy win rates";
    "sl_perf_trigger", Ml, "retraining trigger when live performance decays";
    "sl_optuna_pruner", Ml, "hyperparameter search with median pruning";
    "sl_fading_memory", Ml, "exponentially weighted statistics with forgetting";
    "ml_entropy_monitor", Ml, "entropy of prediction distributions";
    "ml_shadow_ab", Ml, "challenger model in shadow with a significance test";
    "ml_quantile_calibrator", Ml, "isotonic or Platt calibration, Brier score";
    "ml_lgbm_quantize", Ml, "LightGBM text model inference and quantization";
    "ml_onnx_runtime", Ml, "ONNX model inference";
    "diag_data_drift", Ml, "PSI and KS drift of feature distributions";
    "exec_batch_orders", Execution, "1 s batch window, netting of opposite orders, idempotent ids";
    "exec_moc", Execution, "market-on-close orders before the 15:50 ET cut-off";
    "extra_bidask_filter", Execution, "blocks orders on wide spreads or stale quotes";
    "ux_ws_pnl_sse", Ux, "live PnL, positions and events over SSE";
    "ux_strategy_pie", Ux, "capital allocation by strategy chart";
    "ux_var_es_plot", Ux, "return distribution with VaR and ES";
    "ux_signal_contrib", Ux, "signal contribution to positions and PnL";
    "ux_discord_cmds", Ux, "Discord commands and alerts";
    "ux_pnl_drawdown_plot", Ux, "equity and underwater charts";
    "ux_log_level_ctrl", Ux, "run-time log level per module";
    "diag_oos_decay_plot", Diagnostics, "in-sample versus out-of-sample Sharpe decay";
    "diag_slippage_report", Diagnostics, "realized versus expected fill price, implementation shortfall";
    "diag_param_sensitivity", Diagnostics, "metric surface over a parameter grid";
    "diag_cpcv_overfit", Diagnostics, "combinatorial purged CV and probability of backtest overfitting";
    "diag_sharpe_ci", Diagnostics, "Sharpe confidence interval, probabilistic and deflated Sharpe";
    "infra_psutil_health", Infrastructure, "process CPU, RSS, threads and fds against thresholds";
    "infra_checkpoint_restart", Infrastructure, "engine state snapshots and restart without duplicates";
    "infra_apscheduler", Infrastructure, "scheduler status: next runs, misfires, overlaps";
    "infra_api_cache", Infrastructure, "TTL and size-bounded cache for external APIs";
    "infra_pandera_validation", Infrastructure, "schema and sanity checks of incoming data";
    "infra_broker_latency", Infrastructure, "broker call latency percentiles";
    "infra_sqlite_txlog", Infrastructure, "write-ahead journal of order intents and broker responses";
    "infra_heartbeat", Infrastructure, "liveness heartbeat and stall watchdog";
    "infra_config_hot_reload", Infrastructure, "watch, validate, apply and roll back config";
    "infra_dockerize", Infrastructure, "container image and health check";
);

/// The 32 extended plugins.
pub const EXTENDED: &[CatalogueEntry] = entries!(true;
    "alpha_breadth_thrust", Alpha, "Zweig breadth thrust";
    "alpha_congressional_trades", Alpha, "congressional trading disclosures";
    "alpha_crypto_correlation", Alpha, "crypto-equity correlation";
    "alpha_dark_pool_flow", Alpha, "dark pool flow";
    "alpha_economic_surprise", Alpha, "economic surprise index";
    "alpha_gamma_exposure", Alpha, "dealer gamma exposure";
    "alpha_insider_trading", Alpha, "SEC Form 4 insider trades";
    "alpha_put_call_ratio", Alpha, "put/call ratio";
    "alpha_sector_rotation", Alpha, "relative strength of sector ETFs";
    "alpha_short_interest", Alpha, "short interest";
    "data_13f_filings", Data, "SEC 13F holdings";
    "data_fed_minutes", Data, "FOMC minutes";
    "data_reddit_wsb", Data, "Reddit WallStreetBets mentions";
    "data_stocktwits", Data, "StockTwits sentiment";
    "data_supply_chain", Data, "supply-chain relationships";
    "data_unusual_options", Data, "unusual options activity";
    "exec_iceberg_detect", Execution, "iceberg order detection";
    "exec_post_only", Execution, "post-only limit orders";
    "exec_smart_router", Execution, "smart order routing";
    "exec_twap", Execution, "TWAP execution";
    "exec_vwap", Execution, "VWAP execution";
    "ml_anomaly_detect", Ml, "isolation forest anomaly detection";
    "ml_causal_inference", Ml, "causal inference";
    "ml_ensemble_voting", Ml, "ensemble voting";
    "ml_lstm_sentiment", Ml, "LSTM sentiment";
    "ml_rl_agent", Ml, "reinforcement-learning agent";
    "ml_transformer_ts", Ml, "transformer time-series model";
    "risk_corr_breakdown", Risk, "correlation breakdown";
    "risk_leverage_monitor", Risk, "leverage monitor";
    "risk_max_pain", Risk, "options max pain";
    "risk_position_concentration", Risk, "position concentration";
    "risk_tail_hedge", Risk, "tail hedge";
);

/// Core then extended, in catalogue order.
pub fn all() -> impl Iterator<Item = &'static CatalogueEntry> {
    CORE.iter().chain(EXTENDED.iter())
}

pub fn find(id: &str) -> Option<&'static CatalogueEntry> {
    all().find(|e| e.id == id)
}

/// The plugins a new user gets enabled (DESIGN.md, "Defaults").
pub const DEFAULT_ENABLED: &[&str] = &[
    "alpha_vix_regime",
    "risk_vol_target",
    "risk_drawdown_derisk",
    "exec_batch_orders",
    "fe_kalman",
    "alpha_cross_asset_corr",
    "diag_slippage_report",
    "infra_psutil_health",
];

/// Defaults whose implementation has not landed yet. They stay disabled in features.yaml (an
/// unimplemented plugin cannot be enabled) until they do; a test in optifire-plugins keeps this
/// list equal to "default but not registered".
pub const DEFAULT_PENDING: &[&str] = &[];

/// The defaults that are enabled in the committed features.yaml today.
pub fn default_enabled_now() -> impl Iterator<Item = &'static str> {
    DEFAULT_ENABLED
        .iter()
        .copied()
        .filter(|id| !DEFAULT_PENDING.contains(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn catalogue_has_75_core_and_32_extended_unique_ids() {
        assert_eq!(CORE.len(), 75);
        assert_eq!(EXTENDED.len(), 32);
        let ids: HashSet<_> = all().map(|e| e.id).collect();
        assert_eq!(ids.len(), 107);
        for d in DEFAULT_ENABLED {
            assert!(find(d).is_some(), "{d}");
        }
    }
}
