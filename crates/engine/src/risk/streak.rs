//! Losing streak: after `max_losing_streak` consecutive losing trades no new risk is taken until
//! a winning trade or an operator reset.
//!
//! The streak is the run of losses (PnL < 0) at the end of the closed-trade list; a win (> 0)
//! ends it, a break-even trade (= 0) neither extends nor ends it.

/// Consecutive losses at the end of `pnls` (oldest first).
pub fn losing_streak(pnls: &[f64]) -> u32 {
    let mut n = 0u32;
    for p in pnls.iter().rev() {
        if *p > 0.0 {
            break;
        }
        if *p < 0.0 {
            n = n.saturating_add(1);
        }
    }
    n
}

/// The streak counted only over trades closed after an operator reset made when
/// `reset_at` trades were closed. A shorter list than at the reset means the history was
/// rewritten, so the reset is ignored (the conservative reading).
pub fn losing_streak_since(pnls: &[f64], reset_at: Option<usize>) -> u32 {
    match reset_at {
        Some(k) if k <= pnls.len() => losing_streak(&pnls[k..]),
        _ => losing_streak(pnls),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_trailing_losses() {
        assert_eq!(losing_streak(&[5.0, -1.0, -2.0, 0.0, -3.0]), 3);
        assert_eq!(losing_streak(&[-1.0, -2.0, 4.0]), 0);
        assert_eq!(losing_streak(&[]), 0);
        assert_eq!(losing_streak_since(&[-1.0, -2.0, -3.0], Some(2)), 1);
        assert_eq!(losing_streak_since(&[-1.0], Some(2)), 1);
    }
}
