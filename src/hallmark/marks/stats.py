"""Calibrated p-values for symmetric Tardos scores. Pure maths, no I/O.

Null hypothesis for recipient i: its bits X_ij are independent of what the suspect shows (it did
not contribute). Given the observed signs sigma_j and the biases p_j, the score S = sum_j Y_j with
Y_j = sigma_j V_j is a sum of independent two-point variables: Y_j = sigma_j sqrt((1-p)/p) with
probability p_j, else -sigma_j sqrt(p/(1-p)). E[Y_j] = 0 and Var[Y_j] = sigma_j^2.

The p-value is the exact Chernoff bound on that sum, with its true cumulant generating function
    K(lam) = sum_j log(p_j e^{lam sigma_j a_j} + (1 - p_j) e^{-lam sigma_j b_j}),
    P(S >= s) <= exp(inf_{lam >= 0} K(lam) - lam s),
which holds for every s (no normal approximation, no asymptotics); any lam gives a valid bound, so
stopping the search early only makes the p-value larger. With k recipients scored the reported
p-value is Bonferroni-corrected: min(1, k * bound). Nobody is accused above epsilon.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from hallmark.marks.codes import bias_from_unit

F64 = npt.NDArray[np.float64]
_GRID = 2048


def _parts(sigma: F64, bias: F64) -> tuple[F64, F64, F64, F64]:
    a = np.sqrt((1.0 - bias) / bias)
    b = np.sqrt(bias / (1.0 - bias))
    return sigma * a, -sigma * b, np.log(bias), np.log1p(-bias)


def log_mgf(lam: float, sigma: F64, bias: F64) -> float:
    """K(lam): the log moment generating function of an innocent's score."""
    hi, lo, lp, lq = _parts(sigma, bias)
    return float(np.logaddexp(lp + lam * hi, lq + lam * lo).sum())


def _slope(lam: float, hi: F64, lo: F64, lp: F64, lq: F64) -> float:
    x1, x0 = lp + lam * hi, lq + lam * lo
    weight = 1.0 / (1.0 + np.exp(np.clip(x0 - x1, -700.0, 700.0)))
    return float((weight * hi + (1.0 - weight) * lo).sum())


def log_tail_bound(score: float, sigma: F64, bias: F64) -> float:
    """ln of the Chernoff bound on P(S >= score) for an innocent recipient (<= 0)."""
    if score <= 0 or sigma.size == 0:
        return 0.0
    hi, lo, lp, lq = _parts(sigma, bias)
    if score > float(np.maximum(hi, lo).sum()) * (1 + 1e-12):
        return -math.inf  # no assignment of bits reaches the score
    top = 1.0 / max(float(np.sqrt((sigma ** 2).sum())), 1e-12)
    while _slope(top, hi, lo, lp, lq) < score and top < 1e6:
        top *= 2.0
    low = 0.0
    for _ in range(60):
        mid = 0.5 * (low + top)
        if _slope(mid, hi, lo, lp, lq) < score:
            low = mid
        else:
            top = mid
    lam = 0.5 * (low + top)
    value = float(np.logaddexp(lp + lam * hi, lq + lam * lo).sum()) - lam * score
    return min(0.0, value)


def corrected_p_value(score: float, sigma: F64, bias: F64, recipients: int) -> float:
    """The Bonferroni-corrected p-value: min(1, recipients * Chernoff bound)."""
    log_p = log_tail_bound(score, sigma, bias) + math.log(max(recipients, 1))
    return 1.0 if log_p >= 0 else math.exp(log_p)


def bias_grid(cutoff: float, size: int = _GRID) -> F64:
    """Midpoint quantiles of the cut-off arcsine bias density (for expectations)."""
    return bias_from_unit((np.arange(size, dtype=np.float64) + 0.5) / size, cutoff)


def leaker_mean(cutoff: float, quality: float = 1.0) -> float:
    """Expected per-position score of a lone leaker seen with sign strength `quality`."""
    p = bias_grid(cutoff)
    return float(quality * (2.0 * np.sqrt(p * (1.0 - p))).mean())


def needed_positions(recipients: int, epsilon: float, cutoff: float,
                     correlation: float = 1.0) -> int:
    """Observed positions at which a lone leaker's expected score meets the accusation threshold.

    The suspect shows the leaker's bit at each position with sign correlation rho (its sign is
    right with probability (1 + rho) / 2). Cramér: the Chernoff bound over m positions is
    exp(-m I(mu)), I the rate function of one position and mu = rho E[2 sqrt(p(1-p))] the leaker's
    mean per-position score, so m = ln(recipients / epsilon) / I(mu). An estimate for a typical
    leaker, not a guarantee for every one.
    """
    if not 0.0 < correlation <= 1.0:
        return 2 ** 62
    p = bias_grid(cutoff)
    mu = leaker_mean(cutoff, correlation)
    a, b = np.sqrt((1 - p) / p), np.sqrt(p / (1 - p))
    plus_sign = p * (1 + correlation) / 2 + (1 - p) * (1 - correlation) / 2

    def kbar(lam: float) -> float:
        plus = np.logaddexp(np.log(p) + lam * a, np.log1p(-p) - lam * b)
        minus = np.logaddexp(np.log(p) - lam * a, np.log1p(-p) + lam * b)
        return float((plus_sign * plus + (1 - plus_sign) * minus).mean())

    best, lam = 0.0, 1e-4
    while lam < 50.0:  # a log-scan is enough: I is a supremum of a concave function of lam
        best = max(best, lam * mu - kbar(lam))
        lam *= 1.05
    if best <= 0:
        return 2 ** 62
    return math.ceil(math.log(recipients / epsilon) / best)
