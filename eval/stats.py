"""Uncertainty of the evaluation metrics: seeded bootstrap confidence intervals, and paired
tests between two runs (exact McNemar for pass/fail metrics, sign-flip permutation and
paired bootstrap for continuous ones)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

RESAMPLES = 2000
SEED = 20240531
LEVEL = 0.95
_EXACT_PERMUTATION_MAX = 16  # enumerate all 2^n sign flips up to this many differences


def _quantiles(stats: np.ndarray, level: float) -> tuple[float, float] | None:
    stats = stats[np.isfinite(stats)]
    if not stats.size:
        return None
    tail = (1 - level) / 2
    lo, hi = np.quantile(stats, [tail, 1 - tail])
    return float(lo), float(hi)


def ratio_ci(num: Sequence[float], den: Sequence[float], resamples: int = RESAMPLES,
             seed: int = SEED, level: float = LEVEL) -> tuple[float, float] | None:
    """Percentile bootstrap interval of ``sum(num) / sum(den)``, resampling the items with
    ``den > 0`` (the questions the metric counts); None when there are none. A mean is
    the case ``den = 1``."""
    n_arr, d_arr = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    keep = d_arr > 0
    n_arr, d_arr = n_arr[keep], d_arr[keep]
    if not n_arr.size:
        return None
    idx = np.random.default_rng(seed).integers(0, n_arr.size, size=(resamples, n_arr.size))
    return _quantiles(n_arr[idx].sum(axis=1) / d_arr[idx].sum(axis=1), level)


def mean_ci(values: Sequence[float], resamples: int = RESAMPLES, seed: int = SEED,
            level: float = LEVEL) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the mean of ``values`` (None when empty)."""
    return ratio_ci(values, np.ones(len(values)), resamples, seed, level)


def mcnemar_exact(pass_to_fail: int, fail_to_pass: int) -> float:
    """Two-sided exact McNemar p-value: the binomial sign test on the discordant pairs,
    ``2 · P(X ≤ min(b, c))`` for ``X ~ Binomial(b + c, 1/2)``, capped at 1."""
    n = pass_to_fail + fail_to_pass
    if n == 0:
        return 1.0
    k = min(pass_to_fail, fail_to_pass)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def sign_flip_p(differences: Sequence[float], resamples: int = 10000, seed: int = SEED
                ) -> float:
    """Two-sided paired permutation p-value of the mean difference: the share of random
    sign assignments whose mean is at least as far from 0 as the observed one (exact
    enumeration for up to 16 non-zero differences, else ``resamples`` seeded draws, with
    the observed assignment counted)."""
    d = np.asarray([x for x in differences if x != 0], dtype=float)
    if not d.size:
        return 1.0
    observed = abs(d.mean()) - 1e-12
    if d.size <= _EXACT_PERMUTATION_MAX:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=d.size)))
        return float(np.mean(np.abs((signs * d).mean(axis=1)) >= observed))
    signs = np.random.default_rng(seed).choice((1.0, -1.0), size=(resamples, d.size))
    extreme = int(np.sum(np.abs((signs * d).mean(axis=1)) >= observed))
    return (extreme + 1) / (resamples + 1)


def format_ci(value: float | None, ci: tuple[float, float] | None, n: int) -> str:
    """``0.750 [0.250, 1.000] n=4`` (``–`` when there is no value)."""
    if value is None:
        return "–"
    interval = f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci is not None else ""
    return f"{value:.3f}{interval} n={n}"
