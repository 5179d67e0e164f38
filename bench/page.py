"""Time to the first meaningful answer on the staff page, in a real headless Chromium
(Playwright, Debian ``chromium``) against the real app: from the click on "Demander" to the
answer (or the "not in the documents" line) on screen, for first questions and for
follow-ups asked with their conversation; and the page's own load, to the question box.

Uses the built index (``rag index`` first) with the answer cache off, so every answer is
computed. The conversations are the ``turns`` of a chat gold file; each is asked in a fresh
browser context (own storage), first its opening questions, then the follow-up.

    python bench/page.py [--qa eval/dev_chat_qa.jsonl ...] [--limit 30] [--out bench/results]
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # eval/ and bench/ are run from the checkout, not installed
    sys.path.insert(0, str(ROOT))

from bench.entities import cpu_model  # noqa: E402
from eval.dataset import EVAL_DIR  # noqa: E402
from tests.support.helpers import serve_app  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOWN = ("#turns > .turn:nth-child({n}) .answer-text, #turns > .turn:nth-child({n}) .not-found, "
         "#turns > .turn:nth-child({n}) .error")


def conversations(path: Path, limit: int) -> list[list[str]]:
    """The user questions of each conversation in a chat gold file (its ``turns`` and the
    final ``question``), at most ``limit``."""
    found = []
    for line in path.read_text("utf-8").splitlines():
        item = json.loads(line) if line.strip() else None
        if not item or not item.get("turns"):
            continue
        asked = [t["content"] for t in item["turns"] if t.get("role") == "user"]
        found.append([*asked, item["question"]])
    return found[:limit]


def timed_ask(page, question: str, n: int) -> float:
    """Seconds from the click on the ask button to the n-th card's answer on screen."""
    page.fill("#question", question)
    started = time.perf_counter()
    page.click("#submit")
    page.wait_for_selector(SHOWN.format(n=n), timeout=60_000)
    return time.perf_counter() - started


def summary(seconds: list[float]) -> dict[str, float]:
    """Count, p50, p95 and max in milliseconds."""
    ms = np.array(seconds) * 1000
    return {"n": len(ms), "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p95_ms": round(float(np.percentile(ms, 95)), 1), "max_ms": round(float(ms.max()), 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--qa", type=Path, action="append",
                        help="chat gold files (default: dev_chat_qa and chat_tune_qa)")
    parser.add_argument("--limit", type=int, default=30, help="conversations to replay")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    files = args.qa or [EVAL_DIR / "dev_chat_qa.jsonl", EVAL_DIR / "chat_tune_qa.jsonl"]
    logging.getLogger("api.access").setLevel(logging.WARNING)

    from playwright.sync_api import sync_playwright

    from api.main import create_app
    from rag.pipeline import Pipeline
    from rag.settings import Settings

    settings = Settings().model_copy(update={"answer_cache_size": 0})
    pipeline = Pipeline.load(settings)
    pipeline.ask("Quels sont les domaines de coopération ?")  # warm the model and caches
    talks = [c for f in files for c in conversations(f, args.limit)][: args.limit]
    times: dict[str, list[float]] = {"load": [], "first": [], "follow_up": []}
    with serve_app(create_app(settings, pipeline=pipeline)) as (host, port), \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        for questions in talks:
            context = browser.new_context(viewport={"width": 1280, "height": 900},
                                          locale="fr-FR")
            page = context.new_page()
            started = time.perf_counter()
            page.goto(f"http://{host}:{port}/")
            page.wait_for_selector("#question:visible")
            times["load"].append(time.perf_counter() - started)
            for n, question in enumerate(questions, start=1):
                group = "first" if n == 1 else "follow_up"
                times[group].append(timed_ask(page, question, n))
            context.close()
        browser.close()
    report = {"cpu": cpu_model(), "conversations": len(talks), "qa": [f.name for f in files],
              **{group: summary(values) for group, values in times.items() if values}}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "page.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
