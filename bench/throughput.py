"""Throughput issue targets, every ratio measured in one run on this machine:

1. warm ``ask`` latency, one client, in process (caches off): the pre-issue configuration
   (torch encoder, one model call per question) against today's default (fastest backend,
   micro-batching on);
2. ``/v1/ask`` over HTTP (``rag serve``, one worker, caches off) with 1, 16 and 64 concurrent
   clients for the same two configurations: req/s, p50/p99, errors, RSS after warm-up and
   at the end, and 16-client throughput as a multiple of one client's.

    python bench/throughput.py [--seconds 15] [--rounds 3] [--out bench/results]
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

CONFIGS = {  # environment of each configuration
    "before (torch, no batching)": {"RAG_EMBEDDING_BACKEND": "torch", "RAG_QUERY_BATCH_SIZE": "1"},
    "now (default backend, micro-batching)": {},
}
NO_CACHES = {"RAG_ANSWER_CACHE_SIZE": "0", "RAG_QUERY_CACHE_SIZE": "0"}


def in_process_latency(env: dict[str, str], questions: list[str], rounds: int) -> dict:
    """p50/p90 of warm ``Pipeline.ask`` calls in a fresh interpreter with ``env``."""
    import subprocess

    code = (
        "import json,sys,time,statistics\n"
        "from rag.pipeline import Pipeline\nfrom rag.settings import Settings\n"
        "from rag.encoders.base import encoder_of\n"
        "qs=json.loads(sys.stdin.read()); p=Pipeline.load(Settings())\n"
        "[p.ask(q) for q in qs[:5]]\nlat=[]\n"
        f"for _ in range({rounds}):\n"
        "    for q in qs:\n"
        "        t=time.perf_counter(); p.ask(q); lat.append(1000*(time.perf_counter()-t))\n"
        "lat.sort(); print(json.dumps({'encoder': encoder_of(p.embedder).as_dict(),"
        " 'asks': len(lat), 'p50_ms': round(statistics.median(lat),2),"
        " 'p90_ms': round(lat[int(0.9*len(lat))],2)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], input=json.dumps(questions), text=True,
                         capture_output=True, env={**os.environ, **NO_CACHES, **env},
                         check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def http_runs(env: dict[str, str], questions: list[str], seconds: float) -> list[dict]:
    """1, 16 and 64 clients against one server started with ``env``."""
    port = free_port()
    proc = start_server(1, port, {**os.environ, **NO_CACHES, **env,
                                  "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")})
    url = f"http://127.0.0.1:{port}"
    rows = []
    try:
        asyncio.run(run_clients(url, 4, 5, questions))  # warm-up
        for clients in (1, 16, 64):
            before = sum(m["rss_mb"] for m in memory_of_tree(proc.pid))
            row = asyncio.run(run_clients(url, clients, seconds, questions))
            row["rss_before_mb"] = round(before, 1)
            row["rss_after_mb"] = round(sum(m["rss_mb"] for m in memory_of_tree(proc.pid)), 1)
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        stop_server(proc)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    questions = [q.question for q in load_questions(DEV_SET)]
    report: dict = {"date": time.strftime("%Y-%m-%d"), "cores": os.cpu_count(), "configs": {}}
    for name, env in CONFIGS.items():
        latency = in_process_latency(env, questions, args.rounds)
        print(name, json.dumps(latency), flush=True)
        report["configs"][name] = {"ask": latency, "http": http_runs(env, questions,
                                                                     args.seconds)}
    before, now = report["configs"].values()
    report["ask_p50_speedup"] = round(before["ask"]["p50_ms"] / now["ask"]["p50_ms"], 2)
    print("| configuration | encoder | ask p50 ms | clients | req/s | p50 ms | p99 ms | errors "
          "| ×1 client | RSS before → after MB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, result in report["configs"].items():
        one = result["http"][0]["rps"]
        encoder = "/".join(result["ask"]["encoder"].values())
        for row in result["http"]:
            row["x_one_client"] = round(row["rps"] / one, 2)
            print(f"| {name} | {encoder} | {result['ask']['p50_ms']} | {row['clients']} | "
                  f"{row['rps']} | {row['p50_ms']} | {row['p99_ms']} | "
                  f"{row['errors_5xx'] + row['statuses'].get('599', 0)} | "
                  f"{row['x_one_client']} | {row['rss_before_mb']} → {row['rss_after_mb']} |")
    print(f"warm ask p50 speed-up: {report['ask_p50_speedup']}×; 16 clients now vs one client "
          f"before: {round(now['http'][1]['rps'] / before['http'][0]['rps'], 2)}×")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "throughput.json").write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
