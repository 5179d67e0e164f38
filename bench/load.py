"""HTTP load benchmark: ``rag serve`` with N uvicorn workers on 127.0.0.1, driven by 1, 4
and 16 concurrent clients posting dev-set questions to /v1/ask. Reports throughput,
latency p50/p95/p99, error counts, and RSS/PSS per worker process.

    python bench/load.py [--workers 1 2] [--clients 1 4 16] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # eval/ and bench/ are run from the checkout, not installed
    sys.path.insert(0, str(ROOT))

from eval.dataset import DEV_SET, load_questions  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workers: int, port: int, env: dict[str, str]) -> subprocess.Popen:
    """``rag serve`` in its own process group; waits until /readyz answers."""
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "serve", "--port", str(port),
                             "--workers", str(workers)], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 180
    ready = 0
    while time.time() < deadline and ready < 3 * workers:
        try:
            ok = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
            ready = ready + 1 if ok else 0
        except httpx.HTTPError:
            ready = 0
        time.sleep(0.2)
    if ready < 3 * workers:
        stop_server(proc)
        raise RuntimeError("server did not become ready")
    return proc


def stop_server(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def memory_of_tree(pid: int) -> list[dict[str, float]]:
    """RSS and PSS (MB) of the server process and its children (the workers)."""
    pids = [pid]
    for _ in range(3):
        for p in list(pids):
            children = Path(f"/proc/{p}/task/{p}/children")
            if children.exists():
                pids += [int(c) for c in children.read_text().split() if int(c) not in pids]
    rows = []
    for p in pids:
        try:
            fields = dict(line.split(":", 1) for line in
                          Path(f"/proc/{p}/smaps_rollup").read_text().splitlines()[1:])
        except OSError:
            continue
        rows.append({"pid": p, "rss_mb": int(fields["Rss"].split()[0]) / 1024,
                     "pss_mb": int(fields["Pss"].split()[0]) / 1024})
    return rows


async def run_clients(url: str, clients: int, seconds: float, questions: list[str]
                      ) -> dict[str, float]:
    """``clients`` loops posting questions for ``seconds``; latency and status counts."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop = time.perf_counter() + seconds

    async def client(i: int) -> None:
        async with httpx.AsyncClient(timeout=60) as http:
            n = i
            while time.perf_counter() < stop:
                q = questions[n % len(questions)]
                n += clients
                t0 = time.perf_counter()
                try:
                    r = await http.post(f"{url}/v1/ask", json={"question": q})
                    code = r.status_code
                except httpx.HTTPError:
                    code = 599
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses[code] = statuses.get(code, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - started
    lat = np.array(latencies)
    return {"clients": clients, "requests": len(lat), "rps": round(len(lat) / elapsed, 2),
            "p50_ms": round(float(np.percentile(lat, 50)), 1),
            "p95_ms": round(float(np.percentile(lat, 95)), 1),
            "p99_ms": round(float(np.percentile(lat, 99)), 1),
            "errors_5xx": sum(n for c, n in statuses.items() if c >= 500),
            "statuses": {str(k): v for k, v in sorted(statuses.items())}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--mmap", action="store_true", help="memory-map the FAISS index")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    questions = [q.question for q in load_questions(DEV_SET)]
    env = {**os.environ, "RAG_MMAP_INDEX": "true" if args.mmap else "false",
           "RAG_ANSWER_CACHE_SIZE": "0", "RAG_QUERY_CACHE_SIZE": "0",  # measure the work
           "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    results = []
    for workers in args.workers:
        port = free_port()
        proc = start_server(workers, port, env)
        try:
            asyncio.run(run_clients(f"http://127.0.0.1:{port}", 2, 3, questions))  # warm-up
            for clients in args.clients:
                row = asyncio.run(run_clients(f"http://127.0.0.1:{port}", clients,
                                              args.seconds, questions))
                row["workers"] = workers
                row["memory"] = memory_of_tree(proc.pid)
                results.append(row)
                print(json.dumps(row), flush=True)
        finally:
            stop_server(proc)
    args.out.mkdir(parents=True, exist_ok=True)
    name = "load_mmap.json" if args.mmap else "load.json"
    (args.out / name).write_text(json.dumps(results, indent=1))
    print("| workers | clients | req/s | p50 ms | p95 ms | p99 ms | 5xx | RSS per process MB |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        rss = ", ".join(f"{m['rss_mb']:.0f}" for m in r["memory"])
        print(f"| {r['workers']} | {r['clients']} | {r['rps']} | {r['p50_ms']} | {r['p95_ms']} "
              f"| {r['p99_ms']} | {r['errors_5xx']} | {rss} |")


if __name__ == "__main__":
    main()
