"""``rag eval``: run gold questions through the real pipeline and report metrics; compare,
export and validate.

    rag eval [answers] [--qa FILE]... [--out DIR] [--check] [--warmup N]
    rag eval retrieval [--qa FILE]...
    rag eval compare RUN_A RUN_B [--out FILE]
    rag eval export RUN --format ragas|deepeval --out FILE
    rag eval validate [FILE...]

``rag`` knows this module only by name (``rag.cli.PLUGIN_COMMANDS``) and hands it the
arguments after ``eval``: ``eval`` imports ``rag``, never the reverse.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from eval.check_gold import DEFAULT_FILES, SEEDS, validate_files
from eval.compare import compare_runs, comparison_markdown
from eval.dataset import DEV_SET, GoldQuestion
from eval.export import FORMATS, export_run
from eval.harness import run_answer_eval
from eval.results import load_run
from eval.retrieval_metrics import RetrievalOutcome, score_ranking
from eval.tables import CI_NOTE, by_attribute, retrieval_table
from eval.validate import load_validated
from rag.answer.registry import COMPOSER_NAMES
from rag.errors import RagError
from rag.pipeline import Pipeline
from rag.settings import Settings

WARMUP_SEARCHES = 3  # first searches of `rag eval retrieval`, kept out of the percentiles


def load_sets(paths: list[Path] | None, seeds: Path = SEEDS) -> list[GoldQuestion]:
    """Questions of every given file (default: the dev set), validated against the
    documents of ``seeds``: raises :class:`eval.check_gold.GoldFileError` (a RagError)
    listing each problem by file and line."""
    return load_validated(paths or [DEV_SET], seeds)


def evaluate_retrieval(pipeline: object, questions: list[GoldQuestion]
                       ) -> tuple[list[RetrievalOutcome], list[float]]:
    """Top-10 search for every answerable question; outcomes and latencies (ms)."""
    outcomes, latencies = [], []
    for q in questions:
        if not q.answerable:
            continue
        started = time.perf_counter()
        hits = pipeline.search(q.question, 10)  # type: ignore[attr-defined]
        latencies.append((time.perf_counter() - started) * 1000)
        outcomes.append(score_ranking(q, [(h.passage.id, h.passage.text) for h in hits]))
    return outcomes, latencies


def retrieval_report(outcomes: list[RetrievalOutcome], latencies: list[float],
                     warmup: int = WARMUP_SEARCHES) -> str:
    """Markdown tables by file (when several), language, type and category, with 95 %
    intervals; latency after the first ``warmup`` searches (those reported apart); the
    misses, questions in full."""
    parts = [CI_NOTE, ""]
    if len({o.question.split for o in outcomes}) > 1:
        parts += [retrieval_table(by_attribute(outcomes, "split"), "split"), ""]
    parts += [retrieval_table(by_attribute(outcomes, "lang"), "lang"), "",
              retrieval_table(by_attribute(outcomes, "type"), "type"), "",
              retrieval_table(by_attribute(outcomes, "category"), "category"), ""]
    lat = np.array(latencies[warmup:])
    if lat.size:
        parts.append(f"search latency: p50 {np.percentile(lat, 50):.1f} ms, "
                     f"p95 {np.percentile(lat, 95):.1f} ms over {lat.size} queries")
    if latencies[:warmup]:
        parts.append("warm-up searches (excluded): "
                     + ", ".join(f"{v:.1f} ms" for v in latencies[:warmup]))
    misses = [o for o in outcomes if not o.hit(5) or o.quote_recall < 1]
    if misses:
        parts.append("\nnot perfect (first relevant rank, quotes found):")
        for o in misses:
            parts.append(f"- {o.question.split}:{o.question.id} rank={o.first_relevant_rank} "
                         f"quotes={o.quotes_found}/{len(o.question.gold_quotes)} "
                         f"{o.question.question}")
    return "\n".join(parts)


def run_validate(paths: list[Path]) -> int:
    """``rag eval validate``: every problem as ``file:line: message``; 1 if any."""
    files = paths or [p for p in DEFAULT_FILES if p.exists()]
    questions, problems = validate_files(files)
    for problem in problems:
        print(problem)
    print(f"{len(questions)} questions in {len(files)} file(s): {len(problems)} problem(s)")
    return 1 if problems else 0


def run_compare(paths: list[Path], out: Path | None) -> int:
    """``rag eval compare RUN_A RUN_B``: Markdown to stdout, or to ``out``."""
    if len(paths) != 2:
        raise RagError("rag eval compare takes two runs: RUN_A RUN_B (folders or "
                       "results.jsonl files)")
    text = comparison_markdown(compare_runs(load_run(paths[0]), load_run(paths[1])))
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, "utf-8")
        print(f"comparison: {out}")
    else:
        print(text, end="")
    return 0


def run_export(paths: list[Path], fmt: str | None, out: Path | None) -> int:
    """``rag eval export RUN --format ragas|deepeval --out FILE``."""
    if len(paths) != 1 or not fmt or not out:
        raise RagError(f"usage: rag eval export RUN --format {'|'.join(FORMATS)} --out FILE")
    count = export_run(load_run(paths[0]), fmt, out)
    print(f"{count} questions written to {out} ({fmt})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The arguments of ``rag eval``."""
    p = argparse.ArgumentParser(
        prog="rag eval", description="Run gold questions through the real pipeline and report "
        "metrics; compare, export and validate (see eval/README.md).")
    p.add_argument("what", nargs="?", default="answers",
                   choices=["answers", "retrieval", "compare", "export", "validate"])
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                   help="compare: RUN_A RUN_B; export: RUN; validate: gold files")
    p.add_argument("--qa", type=Path, action="append", help="gold question file(s)")
    p.add_argument("--composer", default=None, choices=COMPOSER_NAMES)
    p.add_argument("--out", type=Path, default=None,
                   help="report folder (compare, export: output file)")
    p.add_argument("--check", action="store_true", help="fail below eval/floors.json")
    p.add_argument("--warmup", type=int, default=3, metavar="N",
                   help="first N questions kept out of the latency percentiles")
    p.add_argument("--format", choices=["ragas", "deepeval"], help="export format")
    return p


def main(argv: list[str], settings: Settings) -> int:
    """``rag eval ARGS``: ``argv`` is what follows ``eval`` on the command line."""
    return run_eval(build_parser().parse_args(argv), settings)


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Entry point of ``rag eval``."""
    paths: list[Path] = getattr(args, "paths", None) or []
    if args.what == "validate":
        return run_validate([*paths, *(args.qa or [])])
    if args.what == "compare":
        return run_compare(paths, args.out)
    if args.what == "export":
        return run_export(paths, getattr(args, "format", None), args.out)
    if paths:
        raise RagError(f"rag eval {args.what} takes no positional files (use --qa FILE)")

    questions = load_sets(args.qa, settings.seeds_dir)
    pipeline = Pipeline.load(settings)
    if args.what == "retrieval":
        outcomes, latencies = evaluate_retrieval(pipeline, questions)
        print(retrieval_report(outcomes, latencies,
                               getattr(args, "warmup", WARMUP_SEARCHES)))
        return 0

    return run_answer_eval(pipeline, questions, args)
