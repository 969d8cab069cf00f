//! Typed, validated configuration (`config.yaml`) and plugin feature flags (`features.yaml`),
//! with hot reload and version history.
//!
//! Every error names file, line, column and dotted key; a bad edit never replaces a running
//! configuration; secrets come from the environment and never print.

mod error;
mod features;
mod history;
mod load;
mod locate;
mod model;
mod reload;
mod secrets;
mod summary;
mod validate;
mod watch;

pub use error::{ConfigError, ConfigErrors};
pub use features::{
    is_plausible_schedule, Budget, Features, KnownPlugins, PluginAvailability, PluginCatalog,
    PluginFlags,
};
pub use history::{ConfigHistory, ConfigVersion, MemoryConfigHistory};
pub use load::{load_dir, parse, ConfigSet, CONFIG_FILE, FEATURES_FILE};
pub use locate::locate;
pub use model::{
    AiConfig, AlpacaDataFeed, ApiConfig, Broker, CommissionKind, CommissionModel, Config,
    DataConfig, ExecutionConfig, Feed, FillRule, LogLevel, LoginRateLimit, MlConfig, Mode,
    RiskConfig, SlippageModel, SystemConfig,
};
pub use reload::{ApplyOutcome, ConfigManager};
pub use secrets::{Secret, Secrets, ENV_ALPACA_KEY_ID, ENV_ALPACA_SECRET_KEY, ENV_JWT_SECRET};
pub use watch::{ConfigWatcher, DEBOUNCE};
