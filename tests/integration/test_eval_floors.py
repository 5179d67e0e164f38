"""The dev set through the session pipeline stays above the regression floors (eval/floors.json)."""

from __future__ import annotations

import json

from eval.answer_metrics import summarize_answers
from eval.dataset import DEV_SET, load_questions
from eval.harness import FLOORS, check_floors, run_questions


def test_dev_set_stays_above_the_floors(pipeline):
    """Regression gate: answer quality on the dev set may not drop below eval/floors.json."""
    from eval.retrieval_metrics import by_group

    outcomes = run_questions(pipeline, load_questions(DEV_SET), None)
    summary = summarize_answers(outcomes)
    retrievals = [o.retrieval for o in outcomes if o.retrieval is not None]
    summary.update(by_group(retrievals, "lang")["all"])
    failures = check_floors(summary, json.loads(FLOORS.read_text("utf-8")))
    assert not failures, failures
