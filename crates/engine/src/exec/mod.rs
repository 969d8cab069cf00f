//! The executor: from target weights to orders at the broker, journal first.
//!
//! `planner` sizes orders from targets, `shaper` lets exec plugins reshape a batch, `router`
//! picks order types, `slippage` records the expected price, and `journal_submit` sends with
//! a durable intent before every order and idempotent client ids (`client_id`); `updates`
//! folds the broker's order states and fills back into the store.

pub mod client_id;
pub mod journal_submit;
pub mod planner;
pub mod router;
pub mod shaper;
pub mod slippage;
pub mod updates;

pub use client_id::client_order_id;
pub use journal_submit::{
    Backoff, Executor, NoBackoff, RetryPolicy, SleepBackoff, SubmitEntry, SubmitOutcome,
    SubmitReport,
};
pub use planner::{
    plan_orders, working_qty, CycleId, Leg, Plan, PlanConfig, PlanNote, PlannedOrder,
};
pub use router::{RouteDecision, Router, RouterConfig, RouterError};
pub use shaper::{apply_shapers, OrderShaper, ShapeNote, ShapeResult};
pub use slippage::{estimate, estimate_cost_bps, estimate_for_order, sim_model, CostEstimate};
pub use updates::AppliedUpdates;
