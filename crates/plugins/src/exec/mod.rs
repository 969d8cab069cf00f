//! Execution plugins: they reshape the executor's planned orders through `Plugin::shaper`.

pub mod batch_orders;
