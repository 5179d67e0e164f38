"""eval/stats.py: bootstrap intervals and the paired tests of ``rag eval compare``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from eval.stats import format_ci, mcnemar_exact, mean_ci, ratio_ci, sign_flip_p


def test_mcnemar_exact_by_hand():
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(5, 0) == pytest.approx(2 / 32)  # 2 · 0.5^5
    assert mcnemar_exact(0, 5) == mcnemar_exact(5, 0)
    assert mcnemar_exact(1, 9) == pytest.approx(2 * (1 + 10) / 1024)
    assert mcnemar_exact(3, 3) == 1.0  # capped


@pytest.mark.parametrize(("b", "c"), [(1, 0), (2, 7), (10, 3), (0, 12), (25, 40)])
def test_mcnemar_matches_scipy_binomial_test(b, c):
    stats = pytest.importorskip("scipy.stats")
    expected = stats.binomtest(min(b, c), b + c, 0.5, alternative="two-sided").pvalue
    assert mcnemar_exact(b, c) == pytest.approx(expected)


def test_bootstrap_interval_is_seeded_and_holds_the_value():
    values = [1.0] * 30 + [0.0] * 10
    first, again = mean_ci(values), mean_ci(values)
    assert first == again  # seeded
    lo, hi = first
    assert 0.55 < lo < 0.75 < hi < 0.9
    lo_small, hi_small = mean_ci([1.0, 1.0, 1.0, 0.0])
    assert hi_small - lo_small > hi - lo  # fewer questions, wider interval
    assert mean_ci([]) is None


def test_ratio_interval_resamples_only_the_counted_items():
    # citation precision: 3 of 4 citations in one answer, 0 of 1 in another, 2 uncounted
    num, den = [3, 0, 9, 9], [4, 1, 0, 0]
    lo, hi = ratio_ci(num, den)
    assert 0 <= lo <= 0.6 <= hi <= 1  # 3/5 overall; the uncounted 9s never enter
    assert ratio_ci([1, 2], [0, 0]) is None
    assert ratio_ci([1.0], [1.0]) == (1.0, 1.0)


def test_sign_flip_test_exact_and_sampled():
    # all 4 differences positive: 2 of the 16 sign assignments are as extreme
    assert sign_flip_p([1, 2, 3, 4]) == pytest.approx(2 / 16)
    assert sign_flip_p([0, 0]) == 1.0
    assert sign_flip_p([1, -1, 1, -1]) == 1.0
    big = list(np.linspace(0.1, 1, 30))  # sampled; observed counted, so > 0
    p = sign_flip_p(big)
    assert 0 < p < 0.001 and p == sign_flip_p(big)
    assert math.isclose(sign_flip_p([-x for x in big]), p)


def test_format_ci_shows_value_interval_and_count():
    assert format_ci(0.25, (0.0, 0.75), 2) == "0.250 [0.000, 0.750] n=2"
    assert format_ci(None, None, 0) == "–"
