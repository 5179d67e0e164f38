"""Sustained load on the real server: 16 concurrent clients for 60 s on /v1/ask must see no
server error. Slow: run with ``pytest -m slow`` (or ``make test-slow``)."""

from __future__ import annotations

import asyncio

import pytest

from bench.load import run_clients
from eval.dataset import DEV_SET, load_questions


@pytest.mark.slow
def test_sixteen_clients_for_a_minute_get_no_5xx(live_server):
    questions = [q.question for q in load_questions(DEV_SET)]
    result = asyncio.run(run_clients(live_server, 16, 60, questions))
    print(result)
    assert result["requests"] > 100
    assert result["errors_5xx"] == 0 and set(result["statuses"]) == {"200"}
