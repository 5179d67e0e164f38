"""``confidence`` as the probability that an answer is right: a logistic regression over
the generic signals of :mod:`rag.answer.signals`, fitted by ``eval/fit_calibration.py`` on
the tuning questions (never the frozen test split) and shipped as ``calibration.json``."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from rag.answer.signals import FEATURES
from rag.errors import RagError

DEFAULT_MODEL = Path(__file__).with_name("calibration.json")


@dataclass(frozen=True)
class Calibrator:
    """Standardised features → logistic probability; abstain below ``threshold``."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float

    @classmethod
    def load(cls, path: Path = DEFAULT_MODEL) -> Calibrator:
        """Read a fitted model; refuses one fitted on other features."""
        try:
            data = json.loads(path.read_text("utf-8"))
            model = cls(tuple(data["features"]), tuple(data["mean"]), tuple(data["scale"]),
                        tuple(data["coef"]), float(data["intercept"]), float(data["threshold"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise RagError(f"Calibration model {path} is unreadable ({exc}); refit it with: "
                           f"python eval/fit_calibration.py") from exc
        if model.features != FEATURES:
            raise RagError(f"Calibration model {path} was fitted on features {model.features}, "
                           f"the code computes {FEATURES}; refit: python eval/fit_calibration.py")
        return model

    def probability(self, values: dict[str, float]) -> float:
        """P(answer right | signals)."""
        z = self.intercept + sum(
            c * (values[f] - m) / s
            for f, m, s, c in zip(self.features, self.mean, self.scale, self.coef, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
