"""``rag eval compare RUN_A RUN_B``: two runs over the same gold questions, question by
question — which questions flipped on each pass/fail metric (exact McNemar test), how the
continuous metrics moved (paired bootstrap interval of the mean difference, sign-flip
permutation test), and every question whose outcome or answer changed, answers in full."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eval.results import Run, answerable
from eval.stats import mcnemar_exact, mean_ci, sign_flip_p

Row = dict[str, Any]


def _rank_within(k: int) -> Callable[[Row], bool | None]:
    def hit(row: Row) -> bool | None:
        if not answerable(row):
            return None
        rank = row.get("first_relevant_rank")
        return rank is not None and rank <= k
    return hit


def _cites_gold(row: Row) -> bool | None:
    return any(row.get("cited_relevant") or ()) if answerable(row) else None


def _reciprocal_rank(row: Row) -> float | None:
    if not answerable(row):
        return None
    rank = row.get("first_relevant_rank")
    return 1 / rank if rank else 0.0


def _field(name: str) -> Callable[[Row], float | None]:
    def value(row: Row) -> float | None:
        v = row.get(name)
        return None if v is None or (name == "latency_ms" and row.get("warmup")) else float(v)
    return value


# pass/fail metrics (None: the metric does not apply to the question)
BINARY: dict[str, Callable[[Row], bool | None]] = {
    "right": lambda row: bool(row["right"]),
    "hit@1": _rank_within(1),
    "hit@5": _rank_within(5),
    "cites_gold": _cites_gold,
}
CONTINUOUS: dict[str, Callable[[Row], float | None]] = {
    "fact_coverage": _field("fact_coverage"),
    "reciprocal_rank": _reciprocal_rank,
    "confidence": _field("confidence"),
    "latency_ms": _field("latency_ms"),  # warm-up questions left out
}


@dataclass(frozen=True)
class BinaryChange:
    """A pass/fail metric over the questions both runs answered."""

    metric: str
    n: int
    passed_a: int
    passed_b: int
    pass_to_fail: tuple[str, ...]
    fail_to_pass: tuple[str, ...]

    @property
    def p_value(self) -> float:
        """Exact McNemar test on the flips."""
        return mcnemar_exact(len(self.pass_to_fail), len(self.fail_to_pass))


@dataclass(frozen=True)
class ContinuousChange:
    """A continuous metric, paired question by question (B − A)."""

    metric: str
    n: int
    mean_a: float
    mean_b: float
    ci: tuple[float, float] | None
    up: int
    down: int
    p_value: float

    @property
    def mean_difference(self) -> float:
        """Mean of B − A."""
        return self.mean_b - self.mean_a


@dataclass(frozen=True)
class Comparison:
    """Everything ``rag eval compare`` reports."""

    a: Run
    b: Run
    common: tuple[str, ...]
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]
    binary: tuple[BinaryChange, ...]
    continuous: tuple[ContinuousChange, ...]
    changed: tuple[str, ...]  # questions whose outcome or answer text differs


def _binary(metric: str, score: Callable[[Row], bool | None], a: Run, b: Run,
            keys: tuple[str, ...]) -> BinaryChange:
    pairs = [(k, score(a.rows[k]), score(b.rows[k])) for k in keys]
    pairs = [(k, x, y) for k, x, y in pairs if x is not None and y is not None]
    return BinaryChange(metric, len(pairs), sum(bool(x) for _, x, _ in pairs),
                        sum(bool(y) for _, _, y in pairs),
                        tuple(k for k, x, y in pairs if x and not y),
                        tuple(k for k, x, y in pairs if y and not x))


def _continuous(metric: str, score: Callable[[Row], float | None], a: Run, b: Run,
                keys: tuple[str, ...]) -> ContinuousChange | None:
    pairs = [(score(a.rows[k]), score(b.rows[k])) for k in keys]
    pairs = [(x, y) for x, y in pairs if x is not None and y is not None]
    if not pairs:
        return None
    diffs = [y - x for x, y in pairs]
    return ContinuousChange(
        metric, len(pairs), sum(x for x, _ in pairs) / len(pairs),
        sum(y for _, y in pairs) / len(pairs), mean_ci(diffs),
        sum(d > 0 for d in diffs), sum(d < 0 for d in diffs), sign_flip_p(diffs))


def _outcome(row: Row) -> tuple[Any, ...]:
    return (row.get("right"), row.get("abstained"), row.get("fact_coverage"),
            row.get("first_relevant_rank"), row.get("answer"), tuple(row.get("citations", ())))


def compare_runs(a: Run, b: Run) -> Comparison:
    """Pair the questions of two runs and measure what changed."""
    common = tuple(k for k in a.rows if k in b.rows)
    binary = tuple(_binary(m, f, a, b, common) for m, f in BINARY.items())
    continuous = tuple(c for m, f in CONTINUOUS.items()
                       if (c := _continuous(m, f, a, b, common)) is not None)
    changed = tuple(k for k in common if _outcome(a.rows[k]) != _outcome(b.rows[k]))
    return Comparison(a, b, common, tuple(k for k in a.rows if k not in b.rows),
                      tuple(k for k in b.rows if k not in a.rows), binary, continuous, changed)


def _run_line(name: str, run: Run) -> str:
    info = run.info
    if not info:
        return f"- {name}: `{run.path}` (no run.json)"
    return (f"- {name}: `{run.path}` — {info.get('date', '?')}, commit "
            f"`{info.get('commit', 'unknown')}`, composer `{info.get('composer', '?')}`, "
            f"settings {info.get('settings') or 'defaults'}")


def _value(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


def _question_rows(cmp: Comparison) -> list[str]:
    lines = ["| question | right | abstained | fact_coverage | first relevant rank | "
             "confidence | answer |", "|---|---|---|---|---|---|---|"]
    for key in cmp.changed:
        ra, rb = cmp.a.rows[key], cmp.b.rows[key]
        cells = []
        for field in ("right", "abstained", "fact_coverage", "first_relevant_rank",
                      "confidence"):
            x, y = _value(ra.get(field)), _value(rb.get(field))
            cells.append(x if x == y else f"{x} → {y}")
        cells.append("same" if ra.get("answer") == rb.get("answer") else "changed")
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return lines


def _answers(cmp: Comparison) -> list[str]:
    lines = []
    for key in cmp.changed:
        ra, rb = cmp.a.rows[key], cmp.b.rows[key]
        if ra.get("answer") == rb.get("answer"):
            continue
        lines += [f"- **{key}** {ra.get('question', '')}",
                  "  - A: " + str(ra.get("answer", "")).replace("\n", "\n    "),
                  "  - B: " + str(rb.get("answer", "")).replace("\n", "\n    ")]
    return lines


def comparison_markdown(cmp: Comparison) -> str:
    """The comparison as Markdown."""
    questions = {k: cmp.a.rows[k].get("question", "") for k in cmp.common}
    out = ["# Comparison of two evaluation runs", "", _run_line("A", cmp.a),
           _run_line("B", cmp.b), "",
           f"{len(cmp.common)} questions in both runs; only in A: {len(cmp.only_a)}"
           + (f" ({', '.join(cmp.only_a)})" if cmp.only_a else "")
           + f"; only in B: {len(cmp.only_b)}"
           + (f" ({', '.join(cmp.only_b)})" if cmp.only_b else "") + ".", "",
           "## Pass/fail metrics", "",
           "Exact McNemar test: two-sided binomial test on the questions that flipped "
           "(p < 0.05: unlikely to be chance; several metrics are tested, so read a p near "
           "0.05 with care).", "",
           "| metric | n | passed A | passed B | pass → fail | fail → pass | p |",
           "|---|---|---|---|---|---|---|"]
    for c in cmp.binary:
        out.append(f"| {c.metric} | {c.n} | {c.passed_a} | {c.passed_b} | "
                   f"{len(c.pass_to_fail)} | {len(c.fail_to_pass)} | {c.p_value:.3g} |")
    out += ["", "## Continuous metrics", "",
            "Paired over the questions both runs score: mean of B − A with its 95 % paired "
            "bootstrap interval, questions up / down, and the sign-flip permutation test "
            "(latency: warm-up questions left out).", "",
            "| metric | n | mean A | mean B | B − A [95 % interval] | up | down | p |",
            "|---|---|---|---|---|---|---|---|"]
    for c in cmp.continuous:
        ci = f" [{c.ci[0]:+.3f}, {c.ci[1]:+.3f}]" if c.ci else ""
        out.append(f"| {c.metric} | {c.n} | {c.mean_a:.3f} | {c.mean_b:.3f} | "
                   f"{c.mean_difference:+.3f}{ci} | {c.up} | {c.down} | {c.p_value:.3g} |")
    out += ["", "## Flipped questions", ""]
    for c in cmp.binary:
        for label, keys in (("pass → fail", c.pass_to_fail), ("fail → pass", c.fail_to_pass)):
            out.append(f"### {c.metric}: {label} ({len(keys)})")
            out += [f"- {k}: {questions[k]}" for k in keys] or ["- none"]
            out.append("")
    out += [f"## Questions whose outcome or answer changed ({len(cmp.changed)})", "",
            *(_question_rows(cmp) if cmp.changed else ["none"]), "",
            "## Changed answers, in full", "", *(_answers(cmp) or ["none"])]
    return "\n".join(out) + "\n"
