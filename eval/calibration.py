"""Calibration of answer confidence: reliability bins, expected calibration error (ECE) and
Brier score. Pure functions over (confidence, right) pairs; ``confidence`` is read as the
probability that the answer is right."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

N_BINS = 10


@dataclass(frozen=True)
class CalibrationBin:
    """One equal-width confidence bin [lo, hi) (the last one includes 1.0)."""

    lo: float
    hi: float
    count: int
    mean_confidence: float | None  # None when the bin is empty
    share_right: float | None

    @property
    def gap(self) -> float | None:
        """Observed share right minus mean confidence (negative: over-confident)."""
        if self.mean_confidence is None or self.share_right is None:
            return None
        return self.share_right - self.mean_confidence


def _arrays(confidences: Sequence[float], right: Sequence[bool]) -> tuple[np.ndarray, np.ndarray]:
    if len(confidences) != len(right):
        raise ValueError(f"{len(confidences)} confidences but {len(right)} outcomes")
    conf = np.clip(np.asarray(confidences, dtype=float), 0.0, 1.0)
    return conf, np.asarray(right, dtype=float)


def bin_index(confidences: Sequence[float], n_bins: int = N_BINS) -> np.ndarray:
    """Bin of each confidence: floor(c · n_bins), 1.0 in the last bin. Rounded first so that
    0.3 falls in [0.3, 0.4) despite 0.3 · 10 = 3.0000000000000004 or 2.9999999999999996."""
    conf = np.clip(np.asarray(confidences, dtype=float), 0.0, 1.0)
    return np.minimum(np.floor(np.round(conf * n_bins, 9)).astype(int), n_bins - 1)


def reliability_bins(confidences: Sequence[float], right: Sequence[bool],
                     n_bins: int = N_BINS) -> list[CalibrationBin]:
    """``n_bins`` equal-width bins over [0, 1]: count, mean confidence, share right."""
    conf, ok = _arrays(confidences, right)
    idx = bin_index(conf, n_bins)
    bins = []
    for b in range(n_bins):
        mask = idx == b
        count = int(mask.sum())
        bins.append(CalibrationBin(
            b / n_bins, (b + 1) / n_bins, count,
            float(conf[mask].mean()) if count else None,
            float(ok[mask].mean()) if count else None))
    return bins


def expected_calibration_error(confidences: Sequence[float], right: Sequence[bool],
                               n_bins: int = N_BINS) -> float | None:
    """Σ_b (n_b / N) · |share right_b − mean confidence_b| (None without data)."""
    total = len(confidences)
    if total == 0:
        return None
    return float(sum(b.count / total * abs(b.gap) for b in
                     reliability_bins(confidences, right, n_bins) if b.gap is not None))


def brier_score(confidences: Sequence[float], right: Sequence[bool]) -> float | None:
    """Mean of (confidence − right)² (None without data); 0 is perfect."""
    conf, ok = _arrays(confidences, right)
    return float(np.mean((conf - ok) ** 2)) if len(conf) else None


def mean_where(confidences: Sequence[float], right: Sequence[bool], value: bool
               ) -> float | None:
    """Mean confidence of the items whose ``right`` equals ``value`` (None if none)."""
    picked = [c for c, r in zip(confidences, right, strict=True) if bool(r) == value]
    return float(np.mean(picked)) if picked else None


def roc_auc(confidences: Sequence[float], right: Sequence[bool]) -> float | None:
    """Probability that a right answer gets a higher confidence than a wrong one (ties
    count half): the area under the ROC curve; None without both kinds."""
    conf, ok = _arrays(confidences, right)
    pos, neg = conf[ok == 1], conf[ok == 0]
    if not len(pos) or not len(neg):
        return None
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def right_above(confidences: Sequence[float], right: Sequence[bool], level: float
                ) -> tuple[float | None, int]:
    """Share right among the answers given at confidence ≥ ``level``, and their number."""
    picked = [bool(r) for c, r in zip(confidences, right, strict=True) if c >= level]
    return (float(np.mean(picked)) if picked else None), len(picked)


def calibration_summary(outcomes: Sequence[Any], n_bins: int = N_BINS) -> dict[str, Any]:
    """Calibration of the confidence over the answered (non-abstained) questions: bins, ECE,
    Brier score, mean confidence of right and wrong answers (and of abstentions)."""
    answered = [o for o in outcomes if not o.abstained]
    conf = [o.confidence for o in answered]
    right = [o.right for o in answered]
    abstained = [o.confidence for o in outcomes if o.abstained]
    return {
        "n_answered": len(answered), "n_right": sum(right), "n_abstained": len(abstained),
        "bins": reliability_bins(conf, right, n_bins),
        "ece": expected_calibration_error(conf, right, n_bins),
        "brier": brier_score(conf, right),
        "mean_confidence_right": mean_where(conf, right, True),
        "mean_confidence_wrong": mean_where(conf, right, False),
        "mean_confidence_abstained": float(np.mean(abstained)) if abstained else None,
        "auc": roc_auc(conf, right),
        "right_at_90": right_above(conf, right, 0.9),
    }
