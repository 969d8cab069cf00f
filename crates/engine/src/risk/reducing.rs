//! The one definition of "risk-reducing" that every closed gate (fail-closed, cooldown, losing
//! streak, plugin block) uses.
//!
//! A target reduces risk when |new| <= |current| and it keeps the sign or is zero; a flip is
//! never reducing, but closing is, so the gate keeps the largest reducing part of a request.

/// Whether moving a weight from `current` to `new` adds no risk.
pub fn is_risk_reducing(current: f64, new: f64) -> bool {
    new == 0.0 || (new.abs() <= current.abs() && new.signum() == current.signum())
}

/// The largest risk-reducing part of `new` given `current`: `new` itself when reducing, the
/// current weight when the request grows the same side, zero when it flips or opens.
pub fn clamp_to_reducing(current: f64, new: f64) -> f64 {
    if is_risk_reducing(current, new) {
        new
    } else if current != 0.0 && new.signum() == current.signum() {
        current
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reducing_cases() {
        assert!(is_risk_reducing(0.05, 0.03));
        assert!(is_risk_reducing(0.05, 0.05));
        assert!(is_risk_reducing(-0.05, -0.01));
        assert!(is_risk_reducing(0.05, 0.0));
        assert!(is_risk_reducing(0.0, 0.0));
        assert!(!is_risk_reducing(0.05, 0.06));
        assert!(
            !is_risk_reducing(0.05, -0.01),
            "a flip opens the other side"
        );
        assert!(!is_risk_reducing(0.0, 0.01));
        assert_eq!(clamp_to_reducing(0.05, 0.08), 0.05);
        assert_eq!(clamp_to_reducing(0.05, -0.02), 0.0);
        assert_eq!(clamp_to_reducing(0.0, 0.02), 0.0);
        assert_eq!(clamp_to_reducing(-0.05, -0.02), -0.02);
    }
}
