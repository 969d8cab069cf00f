//! GARCH(1,1) with normal errors by maximum likelihood, and its variance forecasts.
//!
//! Volatility targeting and risk limits need tomorrow's variance, not yesterday's; GARCH(1,1)
//! is the standard model. Matches arch's `arch_model(y, mean="Constant"|"Zero", vol="GARCH",
//! p=1, q=1, dist="normal")`: same likelihood, same backcast, same analytic forecasts.
//!
//! Model: e_t = y_t - mu, s2_t = omega + alpha e_{t-1}^2 + beta s2_{t-1}, with the pre-sample
//! e^2 and s2 both replaced by arch's backcast (exponentially weighted mean of the first
//! min(75, n) squared residuals of the *starting* mean, weights 0.94^k normalised), so
//! s2_0 = omega + (alpha + beta) backcast. arch additionally clips s2_t into loose bounds
//! (1e-6 and 1e6 times an EWMA variance), which never bind at a sensible optimum and are not
//! applied here.
//!
//! Estimation: the log-likelihood with its analytic gradient (the derivative recursion of
//! s2_t), maximised by BFGS with an Armijo backtracking line search over unconstrained
//! coordinates (mu, ln omega, logit(alpha + beta), logit(alpha / (alpha + beta))), which keep
//! omega > 0, alpha, beta > 0 and alpha + beta < 1 without constraints. A hand-written BFGS
//! rather than the `argmin` crate: four parameters and an exact gradient need ~60 lines, no
//! new dependency. arch itself stops SLSQP at ftol 1e-6, so its default estimates are only
//! good to ~1e-4 relative; this optimizer stops when every gradient component (in the
//! coordinates above) is below 1e-8.
//! Like arch, scale returns to percent (x100) before fitting so omega is not ~1e-6.

use crate::stats::error::ensure_finite;
use crate::stats::StatsError;

/// Mean model of the returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GarchMean {
    /// mu estimated jointly (arch `mean="Constant"`).
    Constant,
    /// mu = 0 (arch `mean="Zero"`).
    Zero,
}

/// GARCH(1,1) parameters; `mu` is 0 for [`GarchMean::Zero`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Garch11 {
    pub mu: f64,
    pub omega: f64,
    pub alpha: f64,
    pub beta: f64,
}

/// A fitted GARCH(1,1).
#[derive(Debug, Clone, PartialEq)]
pub struct Garch11Fit {
    pub mean: GarchMean,
    pub params: Garch11,
    /// Maximised Gaussian log-likelihood (arch `loglikelihood`).
    pub log_likelihood: f64,
    /// Pre-sample variance used for e_{-1}^2 and s2_{-1}.
    pub backcast: f64,
    /// In-sample conditional variances s2_t (arch `conditional_volatility` squared).
    pub conditional_variance: Vec<f64>,
    /// y_t - mu.
    pub residuals: Vec<f64>,
    /// BFGS iterations taken.
    pub iterations: usize,
    /// False when the iteration limit was hit or the line search stalled before the gradient
    /// norm fell below tolerance; the estimates are then the best point found.
    pub converged: bool,
}

const MAX_ITER: usize = 200;
const GRAD_TOL: f64 = 1e-8;
const MIN_OBS: usize = 5;

/// arch's `backcast`: sum_k w_k r_k^2 over the first min(75, n) residuals, w_k = 0.94^k
/// normalised to sum 1.
pub fn garch_backcast(resids: &[f64]) -> f64 {
    let tau = resids.len().min(75);
    let (mut num, mut den) = (0.0, 0.0);
    let mut w = 1.0;
    for r in &resids[..tau] {
        num += w * r * r;
        den += w;
        w *= 0.94;
    }
    num / den
}

/// Gaussian log-likelihood of GARCH(1,1) parameters, with `backcast` as pre-sample variance
/// (arch's `loglikelihood` at given parameters). -inf when a variance is not positive.
pub fn garch11_log_likelihood(y: &[f64], params: &Garch11, backcast: f64) -> f64 {
    let mut s2 = params.omega + (params.alpha + params.beta) * backcast;
    let mut ll = 0.0;
    let ln2pi = (2.0 * std::f64::consts::PI).ln();
    for (t, yt) in y.iter().enumerate() {
        if t > 0 {
            let e = y[t - 1] - params.mu;
            s2 = params.omega + params.alpha * e * e + params.beta * s2;
        }
        if s2 <= 0.0 || !s2.is_finite() {
            return f64::NEG_INFINITY;
        }
        let e = yt - params.mu;
        ll -= 0.5 * (ln2pi + s2.ln() + e * e / s2);
    }
    ll
}

impl Garch11Fit {
    /// Variance forecasts for 1..=horizon steps after the last observation (arch's analytic
    /// forecast): s2_{T+1} = omega + alpha e_T^2 + beta s2_T, then
    /// s2_{T+h} = omega + (alpha + beta) s2_{T+h-1}.
    pub fn forecast_variance(&self, horizon: usize) -> Vec<f64> {
        let p = &self.params;
        let (Some(&e), Some(&s2)) = (self.residuals.last(), self.conditional_variance.last())
        else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(horizon);
        let mut next = p.omega + p.alpha * e * e + p.beta * s2;
        for _ in 0..horizon {
            out.push(next);
            next = p.omega + (p.alpha + p.beta) * next;
        }
        out
    }
}

/// Fits GARCH(1,1) with normal errors to `y` (returns, oldest first; scale to percent).
///
/// Errors: non-finite values, fewer than 5 observations, residuals that are all zero (the
/// likelihood is unbounded as omega -> 0). An optimum on the boundary (alpha or beta = 0,
/// alpha + beta = 1) is approached but not reached, as the coordinates keep it interior.
pub fn fit_garch11(y: &[f64], mean: GarchMean) -> Result<Garch11Fit, StatsError> {
    ensure_finite(y)?;
    if y.len() < MIN_OBS {
        return Err(StatsError::TooShort {
            needed: MIN_OBS,
            got: y.len(),
        });
    }
    let n = y.len() as f64;
    let mu0 = match mean {
        GarchMean::Constant => y.iter().sum::<f64>() / n,
        GarchMean::Zero => 0.0,
    };
    let resid0: Vec<f64> = y.iter().map(|v| v - mu0).collect();
    let target = resid0.iter().map(|e| e * e).sum::<f64>() / n;
    if target <= 0.0 {
        return Err(StatsError::InvalidParameter {
            name: "y",
            reason: "residuals are all zero; the GARCH likelihood has no maximum".into(),
        });
    }
    let backcast = garch_backcast(&resid0);
    let problem = Problem { y, mean, backcast };

    // arch's starting grid: alpha x (alpha + beta), omega from variance targeting.
    let mut start = None;
    for alpha in [0.01, 0.05, 0.1, 0.2] {
        for persistence in [0.5, 0.7, 0.9, 0.98] {
            let p = Garch11 {
                mu: mu0,
                omega: (1.0 - persistence) * target,
                alpha,
                beta: persistence - alpha,
            };
            let ll = garch11_log_likelihood(y, &p, backcast);
            if start.is_none_or(|(best, _)| ll > best) {
                start = Some((ll, p));
            }
        }
    }
    let Some((_, p0)) = start else {
        return Err(StatsError::InvalidParameter {
            name: "y",
            reason: "no finite starting likelihood".into(),
        });
    };
    let (theta, iterations, converged) = bfgs(&problem, &problem.theta_of(&p0));
    let params = problem.params_at(&theta);
    let (conditional_variance, residuals) = filter(y, &params, backcast);
    Ok(Garch11Fit {
        mean,
        params,
        log_likelihood: garch11_log_likelihood(y, &params, backcast),
        backcast,
        conditional_variance,
        residuals,
        iterations,
        converged,
    })
}

/// In-sample conditional variances and residuals.
fn filter(y: &[f64], p: &Garch11, backcast: f64) -> (Vec<f64>, Vec<f64>) {
    let resid: Vec<f64> = y.iter().map(|v| v - p.mu).collect();
    let mut s2 = Vec::with_capacity(y.len());
    let mut prev = p.omega + (p.alpha + p.beta) * backcast;
    for t in 0..y.len() {
        if t > 0 {
            prev = p.omega + p.alpha * resid[t - 1] * resid[t - 1] + p.beta * prev;
        }
        s2.push(prev);
    }
    (s2, resid)
}

struct Problem<'a> {
    y: &'a [f64],
    mean: GarchMean,
    backcast: f64,
}

fn logistic(u: f64) -> f64 {
    1.0 / (1.0 + (-u).exp())
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

impl Problem<'_> {
    /// theta = [mu?, ln omega, logit(alpha + beta), logit(alpha / (alpha + beta))].
    fn theta_of(&self, p: &Garch11) -> Vec<f64> {
        let s = p.alpha + p.beta;
        let mut th = Vec::with_capacity(4);
        if self.mean == GarchMean::Constant {
            th.push(p.mu);
        }
        th.extend([p.omega.ln(), logit(s), logit(p.alpha / s)]);
        th
    }

    fn params_at(&self, th: &[f64]) -> Garch11 {
        let (mu, rest) = match self.mean {
            GarchMean::Constant => (th[0], &th[1..]),
            GarchMean::Zero => (0.0, th),
        };
        let s = logistic(rest[1]);
        let q = logistic(rest[2]);
        Garch11 {
            mu,
            omega: rest[0].exp(),
            alpha: s * q,
            beta: s * (1.0 - q),
        }
    }

    /// Negative log-likelihood and its gradient in theta.
    fn objective(&self, th: &[f64]) -> (f64, Vec<f64>) {
        let p = self.params_at(th);
        let bc = self.backcast;
        let y = self.y;
        // d s2_t / d(mu, omega, alpha, beta), carried through the recursion.
        let mut s2 = p.omega + (p.alpha + p.beta) * bc;
        let mut ds = [0.0, 1.0, bc, bc];
        let mut g = [0.0; 4]; // d LL / d(mu, omega, alpha, beta)
        let mut ll = 0.0;
        let ln2pi = (2.0 * std::f64::consts::PI).ln();
        for t in 0..y.len() {
            if t > 0 {
                let e = y[t - 1] - p.mu;
                ds = [
                    -2.0 * p.alpha * e + p.beta * ds[0],
                    1.0 + p.beta * ds[1],
                    e * e + p.beta * ds[2],
                    s2 + p.beta * ds[3],
                ];
                s2 = p.omega + p.alpha * e * e + p.beta * s2;
            }
            if s2 <= 0.0 || !s2.is_finite() {
                return (f64::INFINITY, vec![0.0; th.len()]);
            }
            let e = y[t] - p.mu;
            ll -= 0.5 * (ln2pi + s2.ln() + e * e / s2);
            let dll_ds2 = -0.5 * (1.0 / s2 - e * e / (s2 * s2));
            for (gi, di) in g.iter_mut().zip(ds) {
                *gi += dll_ds2 * di;
            }
            g[0] += e / s2;
        }
        // Chain rule to theta; the objective is -LL.
        let s = p.alpha + p.beta;
        let q = p.alpha / s;
        let ds_du = s * (1.0 - s);
        let dq_dv = q * (1.0 - q);
        let mut grad = Vec::with_capacity(4);
        if self.mean == GarchMean::Constant {
            grad.push(-g[0]);
        }
        grad.push(-g[1] * p.omega);
        grad.push(-(g[2] * q + g[3] * (1.0 - q)) * ds_du);
        grad.push(-(g[2] - g[3]) * s * dq_dv);
        (-ll, grad)
    }
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// BFGS on the inverse Hessian with Armijo backtracking. Returns (theta, iterations,
/// converged).
fn bfgs(problem: &Problem<'_>, start: &[f64]) -> (Vec<f64>, usize, bool) {
    let k = start.len();
    let mut x = start.to_vec();
    let (mut f, mut g) = problem.objective(&x);
    let mut h = vec![vec![0.0; k]; k];
    for (i, row) in h.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    let mut first = true;
    for iter in 0..MAX_ITER {
        if g.iter().fold(0.0f64, |m, v| m.max(v.abs())) < GRAD_TOL {
            return (x, iter, true);
        }
        let mut d: Vec<f64> = h.iter().map(|row| -dot(row, &g)).collect();
        let mut slope = dot(&g, &d);
        if slope >= 0.0 {
            // Not a descent direction: restart from steepest descent.
            for (i, row) in h.iter_mut().enumerate() {
                row.iter_mut().for_each(|v| *v = 0.0);
                row[i] = 1.0;
            }
            d = g.iter().map(|v| -v).collect();
            slope = dot(&g, &d);
            first = true;
        }
        // First step from the identity: limit it to a unit move in theta.
        let mut step = if first {
            1.0 / d.iter().fold(1.0f64, |m, v| m.max(v.abs()))
        } else {
            1.0
        };
        let mut accepted = None;
        for _ in 0..60 {
            let xn: Vec<f64> = x.iter().zip(&d).map(|(a, b)| a + step * b).collect();
            let (fn_, gn) = problem.objective(&xn);
            // Armijo; or, once f changes by less than its rounding, any step that does not
            // raise f beyond rounding and shrinks the gradient (so the last digits of the
            // optimum come from the exact gradient, not from f differences).
            let armijo = fn_ <= f + 1e-4 * step * slope;
            let at_floor = fn_ <= f + 16.0 * f64::EPSILON * f.abs() && norm(&gn) < norm(&g);
            if fn_.is_finite() && (armijo || at_floor) {
                accepted = Some((xn, fn_, gn));
                break;
            }
            step *= 0.5;
        }
        let Some((xn, fn_, gn)) = accepted else {
            // The line search cannot decrease f: at the optimum to working precision.
            let gmax = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            return (x, iter, gmax < 1e3 * GRAD_TOL);
        };
        let s: Vec<f64> = xn.iter().zip(&x).map(|(a, b)| a - b).collect();
        let yv: Vec<f64> = gn.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &yv);
        if sy > 1e-12 * dot(&s, &s).sqrt() * dot(&yv, &yv).sqrt() {
            if first {
                // Shanno-Phua scaling of the initial inverse Hessian.
                let scale = sy / dot(&yv, &yv);
                h.iter_mut().flatten().for_each(|v| *v *= scale);
                first = false;
            }
            let hy: Vec<f64> = h.iter().map(|row| dot(row, &yv)).collect();
            let yhy = dot(&yv, &hy);
            let rho = 1.0 / sy;
            for i in 0..k {
                for j in 0..k {
                    h[i][j] +=
                        rho * ((1.0 + rho * yhy) * s[i] * s[j] - hy[i] * s[j] - s[i] * hy[j]);
                }
            }
        }
        x = xn;
        f = fn_;
        g = gn;
    }
    let gmax = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    (x, MAX_ITER, gmax < GRAD_TOL)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Backcast by hand: residuals (1, 2): (1 + 0.94 * 4) / 1.94.
    #[test]
    fn backcast_by_hand() {
        assert!((garch_backcast(&[1.0, 2.0]) - 4.76 / 1.94).abs() < 1e-15);
    }

    // Two observations by hand, mu = 0, omega = 0.1, alpha = 0.2, beta = 0.7, backcast 1:
    // s2_0 = 0.1 + 0.9 = 1, s2_1 = 0.1 + 0.2 * 1 + 0.7 * 1 = 1; y = (1, 2):
    // LL = -0.5 (2 ln 2 pi + 0 + 0 + 1 + 4).
    #[test]
    fn likelihood_by_hand() {
        let p = Garch11 {
            mu: 0.0,
            omega: 0.1,
            alpha: 0.2,
            beta: 0.7,
        };
        let ll = garch11_log_likelihood(&[1.0, 2.0], &p, 1.0);
        let want = -0.5 * (2.0 * (2.0 * std::f64::consts::PI).ln() + 5.0);
        assert!((ll - want).abs() < 1e-14);
    }

    // The analytic gradient agrees with central differences of the likelihood.
    #[test]
    fn gradient_matches_finite_differences() {
        let y: Vec<f64> = (0..200)
            .map(|i| ((i * 37 % 101) as f64 / 50.0 - 1.0) * (1.0 + (i as f64 / 30.0).sin().abs()))
            .collect();
        let problem = Problem {
            y: &y,
            mean: GarchMean::Constant,
            backcast: 0.7,
        };
        let th = [0.05, (0.1f64).ln(), logit(0.9), logit(0.15)];
        let (_, g) = problem.objective(&th);
        for i in 0..4 {
            let hstep = 1e-6;
            let mut a = th;
            let mut b = th;
            a[i] += hstep;
            b[i] -= hstep;
            let fd = (problem.objective(&a).0 - problem.objective(&b).0) / (2.0 * hstep);
            assert!(
                (fd - g[i]).abs() < 1e-5 * (1.0 + g[i].abs()),
                "{i}: {fd} vs {}",
                g[i]
            );
        }
    }

    #[test]
    fn edges() {
        assert!(matches!(
            fit_garch11(&[1.0, 2.0], GarchMean::Constant),
            Err(StatsError::TooShort { .. })
        ));
        assert!(matches!(
            fit_garch11(&[0.5; 20], GarchMean::Constant),
            Err(StatsError::InvalidParameter { .. })
        ));
        assert!(matches!(
            fit_garch11(&[0.0; 20], GarchMean::Zero),
            Err(StatsError::InvalidParameter { .. })
        ));
        assert!(fit_garch11(&[1.0, f64::NAN, 0.0, 1.0, 2.0], GarchMean::Zero).is_err());
    }
}
