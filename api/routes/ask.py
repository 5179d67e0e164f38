"""``POST /v1/ask``: a cited answer."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from api.deps import Authorized, PipelineDep, SettingsDep
from api.metrics import count_answer
from api.responses import ANY_ROUTE, GUARDED, WITH_BODY, AskResponse, error_responses
from api.schemas import AskRequest
from api.validation import HISTORY_TURNS, clean_question, clean_turn
from rag.answer.render import answer_json

router = APIRouter(prefix="/v1", tags=["answers"], dependencies=[Authorized])


@router.post("/ask", responses=error_responses(*ANY_ROUTE, *GUARDED, *WITH_BODY,
                                               404, 422, 502, 503, 504))
async def ask(body: AskRequest, pipeline: PipelineDep, settings: SettingsDep,
              request: Request, response: Response) -> AskResponse:
    """Answer a question with cited sentences (or say it is not in the documents)."""
    question = clean_question(body.question, settings)
    history = [(t.role, clean_turn(t.content, settings)) for t in body.history or ()
               if t.content.strip()][-HISTORY_TURNS:]
    answer = await run_in_threadpool(pipeline.ask, question, body.top_k, body.documents,
                                     body.composer, history, body.language)
    count_answer(request, answer, "ask")
    response.headers["Server-Timing"] = ", ".join(
        f"{name};dur={ms:.1f}" for name, ms in answer.timings_ms.items())
    return AskResponse.model_validate(answer_json(answer))
