"""Memory under sustained concurrency: ``rag serve`` (one worker) driven by many clients on
/v1/ask; RSS and thread count after a warm-up and then every few seconds, errors counted.

Target: 0 errors and RSS growth ≤ 100 MB after warm-up with 64 clients for 60 s.

    python bench/memory_growth.py [--clients 64] [--warmup 15] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import free_port, memory_of_tree, run_clients, start_server, stop_server  # noqa: E402
from eval.dataset import DEV_SET, load_questions  # noqa: E402


def threads_of(pid: int) -> int:
    """Threads of the server process."""
    return len(os.listdir(f"/proc/{pid}/task"))


def rss(pid: int) -> float:
    """RSS (MB) of the server process tree."""
    return round(sum(r["rss_mb"] for r in memory_of_tree(pid)), 1)


async def measured_run(url: str, pid: int, clients: int, seconds: float, every: float,
                       questions: list[str]) -> tuple[dict[str, float], list[dict[str, float]]]:
    """Drive the clients while sampling memory every ``every`` seconds."""
    samples: list[dict[str, float]] = []
    started = time.perf_counter()

    async def sample() -> None:
        while True:
            samples.append({"t": round(time.perf_counter() - started, 1), "rss_mb": rss(pid),
                            "threads": threads_of(pid)})
            await asyncio.sleep(every)

    sampler = asyncio.create_task(sample())
    result = await run_clients(url, clients, seconds, questions)
    sampler.cancel()
    samples.append({"t": round(time.perf_counter() - started, 1), "rss_mb": rss(pid),
                    "threads": threads_of(pid)})
    return result, samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--warmup", type=float, default=15)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--every", type=float, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    questions = [q.question for q in load_questions(DEV_SET)]
    port = free_port()
    proc = start_server(1, port, {**os.environ, "RAG_ANSWER_CACHE_SIZE": "0",
                                  "RAG_QUERY_CACHE_SIZE": "0"})  # measure the work
    url = f"http://127.0.0.1:{port}"
    try:
        idle = rss(proc.pid)
        warm = asyncio.run(run_clients(url, args.clients, args.warmup, questions))
        after_warmup = rss(proc.pid)
        result, samples = asyncio.run(measured_run(url, proc.pid, args.clients, args.seconds,
                                                   args.every, questions))
    finally:
        stop_server(proc)
    peak = max(s["rss_mb"] for s in samples)
    report = {"clients": args.clients, "warmup_s": args.warmup, "seconds": args.seconds,
              "rss_idle_mb": idle, "rss_after_warmup_mb": after_warmup, "rss_peak_mb": peak,
              "rss_growth_after_warmup_mb": round(peak - after_warmup, 1),
              "threads_peak": max(s["threads"] for s in samples),
              "errors": warm["errors_5xx"] + result["errors_5xx"],
              "statuses": result["statuses"], "rps": result["rps"],
              "p50_ms": result["p50_ms"], "p95_ms": result["p95_ms"], "samples": samples}
    print(json.dumps({k: v for k, v in report.items() if k != "samples"}, indent=1))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "memory_growth.json").write_text(json.dumps(report, indent=1))
    return 0 if report["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
