"""Fit the confidence model of the configured embedding model: a logistic regression from
the answer signals of :mod:`rag.answer.signals` to "this answer is right", written to
rag/answer/calibration.json for the bundled model, calibration-<model>.json for another
(``RAG_EMBEDDING_MODEL``; the file names its model and is used for it from then on).

    python eval/fit_calibration.py [--qa FILE ...] [--out FILE]

Training questions: the dev, extra, tuning and coverage-tuning sets plus the negatives
written for the fit
(eval/offtopic_train.jsonl, eval/unanswerable_train.jsonl) — never
eval/test_qa.jsonl or eval/cover_test_qa.jsonl, the frozen splits the report is judged on
(refused here). Every question is answered with abstention switched off; an answer is
*right* when it covers at least half the gold facts and cites at least one passage holding a
gold quote (unanswerable questions: never). The abstention threshold is chosen on
cross-validated probabilities: within the false-abstention bound, the best trade of
abstention on unanswerable questions against false abstention on answerable ones.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from eval.dataset import GoldQuestion, fact_covered, load_questions, passage_matches  # noqa: E402
from rag.answer.calibration import Calibrator, calibration_path  # noqa: E402
from rag.answer.signals import FEATURES  # noqa: E402
from rag.pipeline import Pipeline  # noqa: E402
from rag.settings import Settings  # noqa: E402

TRAINING = [HERE / "dev_qa.jsonl", HERE / "extra_qa.jsonl", HERE / "tune_qa.jsonl",
            HERE / "cover_tune_qa.jsonl", HERE / "offtopic_train.jsonl",
            HERE / "unanswerable_train.jsonl"]
FROZEN = ("test_qa.jsonl", "cover_test_qa.jsonl")


def is_right(q: GoldQuestion, answer_text: str, cited_texts: list[str]) -> bool:
    """At least half the gold facts, and a cited passage that holds a gold quote."""
    if not q.answerable or not q.answer_facts:
        return False
    covered = sum(fact_covered(answer_text, f) for f in q.answer_facts) / len(q.answer_facts)
    return covered >= 0.5 and any(passage_matches(t, q.gold_quotes) for t in cited_texts)


def collect(pipeline, questions: list[GoldQuestion]) -> tuple[np.ndarray, np.ndarray, list]:
    """Signals and labels of every question the off-topic gate lets through."""
    rows, labels, kept = [], [], []
    for q in questions:
        answer = pipeline.ask(q.question, history=[{"role": r, "content": c}
                                                   for r, c in q.history] or None)
        if not answer.signals or answer.abstained:
            # declined before retrieval (off-topic gate), or by the closed-world checks
            # (names the corpus lacks, a date after the document, the asked fact or names
            # absent from every candidate passage): the confidence model never judges these
            continue
        rows.append([answer.signals[f] for f in FEATURES])
        labels.append(is_right(q, answer.text, [c.passage.text for c in answer.citations]))
        kept.append(q)
    return np.array(rows, dtype=float), np.array(labels, dtype=int), kept


def choose_threshold(p: np.ndarray, answerable: np.ndarray, max_false_abstention: float,
                     false_abstention_cost: float) -> float:
    """Among thresholds whose false abstention on answerable questions stays within the
    bound, the one that best trades abstention on unanswerable questions against false
    abstention (each false abstention costs ``false_abstention_cost`` correct ones)."""
    best, best_gain = 0.0, -np.inf
    for t in np.round(np.arange(0.0, 0.96, 0.01), 2):
        false = np.mean(p[answerable] < t)
        if false > max_false_abstention:
            continue
        gain = np.mean(p[~answerable] < t) - false_abstention_cost * false
        if gain > best_gain + 1e-9:
            best, best_gain = float(t), gain
    return best


def stable_threshold(p: np.ndarray, answerable: np.ndarray, max_false_abstention: float,
                     false_abstention_cost: float, rounds: int = 200) -> float:
    """The median of :func:`choose_threshold` over bootstrap resamples of the questions: a
    handful of borderline answers should not swing the threshold."""
    rng = np.random.default_rng(0)
    picks = []
    for _ in range(rounds):
        idx = rng.integers(0, len(p), len(p))
        if answerable[idx].all() or not answerable[idx].any():
            continue
        picks.append(choose_threshold(p[idx], answerable[idx], max_false_abstention,
                                      false_abstention_cost))
    return round(float(np.median(picks)), 2)


def main(argv: list[str] | None = None) -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.preprocessing import StandardScaler


    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--qa", type=Path, action="append", help="training files")
    parser.add_argument("--out", type=Path, default=None,
                        help="default: the configured embedding model's calibration file")
    parser.add_argument("--max-false-abstention", type=float, default=0.05,
                        help="bound on cross-validated false abstention")
    parser.add_argument("--false-abstention-cost", type=float, default=3.0,
                        help="how many correct abstentions one false abstention is worth")
    parser.add_argument("--C", type=float, default=1.0, help="inverse regularisation")
    args = parser.parse_args(argv)
    files = args.qa or TRAINING
    if frozen := [f.name for f in files if f.name in FROZEN]:
        parser.error(f"{', '.join(frozen)}: frozen test split(s), never used for fitting")
    questions = [q for f in files for q in load_questions(f)]

    settings = Settings()
    out = args.out or calibration_path(settings.embedding_model)
    n = len(FEATURES)  # a neutral model that never abstains, to see every answer
    neutral = Calibrator(FEATURES, (0.0,) * n, (1.0,) * n, (0.0,) * n, 0.0, -1.0)
    pipeline = Pipeline.load(settings, calibrator=neutral)
    x, y, kept = collect(pipeline, questions)
    answerable = np.array([q.answerable for q in kept])
    scaler = StandardScaler().fit(x)
    xs = scaler.transform(x)
    model = LogisticRegression(C=args.C, max_iter=1000)
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    p_cv = cross_val_predict(model, xs, y, cv=folds, method="predict_proba")[:, 1]
    model.fit(xs, y)
    threshold = stable_threshold(p_cv, answerable, args.max_false_abstention,
                                 args.false_abstention_cost)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    fitted = {
        "model": settings.embedding_model,
        "features": list(FEATURES), "mean": scaler.mean_.round(6).tolist(),
        "scale": scale.round(6).tolist(), "coef": model.coef_[0].round(6).tolist(),
        "intercept": round(float(model.intercept_[0]), 6), "threshold": threshold,
        "fitted": {"date": datetime.now(UTC).date().isoformat(),
                   "files": [f.name for f in files], "questions": len(kept),
                   "right": int(y.sum()), "cv_auc": round(float(roc_auc_score(y, p_cv)), 3),
                   "C": args.C, "max_false_abstention": args.max_false_abstention,
                   "false_abstention_cost": args.false_abstention_cost},
    }
    out.write_text(json.dumps(fitted, indent=1) + "\n", "utf-8")
    print(f"{len(kept)} questions ({int(y.sum())} right answers), cross-validated AUC "
          f"{fitted['fitted']['cv_auc']}, threshold {threshold}")
    for f, c in sorted(zip(FEATURES, model.coef_[0], strict=True), key=lambda t: -abs(t[1])):
        print(f"  {f:15} {c:+.3f}")
    un = ~answerable
    print(f"cross-validated: abstention on unanswerable {np.mean(p_cv[un] < threshold):.3f}, "
          f"false abstention {np.mean(p_cv[answerable] < threshold):.3f}")
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
