"""Corpus growth benchmark: what a full build, an added document and an upload cost, and
whether documents read from PDF retrieve as well as their text versions.

Every measurement runs in its own temporary index root, so the embedding cache starts cold
where it says so. The model is loaded once, first (its load time is reported apart: a
running server has it loaded; the ``rag`` command loads it when something needs embedding).

    python bench/corpus.py [--out bench/results]

Numbers:
- full build, cold cache and warm cache (every text already embedded);
- adding the largest seed document (the Secretary-General's report) to an index of the
  others, as a share of the cold full build; re-adding it after a one-paragraph edit;
  removing it;
- uploading a 10-page PDF through ``POST /v1/documents`` until a question about it is
  answered from it (cold cache for its text);
- hit@5 / MRR@10 of the dev questions on an index built from PDF renderings of the seeds
  (typeset, two-column, and the text drawn line by line), DOCX and HTML versus the
  text-built index.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval.dataset import load_questions  # noqa: E402
from eval.retrieval_metrics import score_ranking, summarize  # noqa: E402
from rag.corpus import add_documents, build_embedder, remove_documents  # noqa: E402
from rag.encoders.base import Embedder  # noqa: E402
from rag.encoders.load import load_embedder  # noqa: E402
from rag.index.build import build_index  # noqa: E402
from rag.index.load import load_index  # noqa: E402
from rag.pipeline import Pipeline  # noqa: E402
from rag.settings import Settings  # noqa: E402

SEEDS = ROOT / "seeds"


def _seeds(folder: Path, files: list[Path]) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(SEEDS / "catalog.toml", folder)
    for f in files:
        shutil.copy(f, folder / f.name)
    return folder


def _timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def builds(model: Embedder, tmp: Path) -> dict[str, float]:
    """Cold and warm full builds; add, edit and remove the largest document."""
    files = sorted(SEEDS.glob("*.txt"))
    largest = max(files, key=lambda p: p.stat().st_size)
    full = Settings(index_root=tmp / "full", seeds_dir=_seeds(tmp / "full-seeds", files))
    cold, _ = _timed(lambda: build_index(full.index_options(), build_embedder(full, model)))
    warm, _ = _timed(lambda: build_index(full.index_options(), build_embedder(full, model)))

    grow = Settings(index_root=tmp / "grow",
                    seeds_dir=_seeds(tmp / "grow-seeds", [f for f in files if f != largest]))
    build_index(grow.index_options(), build_embedder(grow, model))
    add, report = _timed(lambda: add_documents(grow, [largest], embedder=model))
    edited = tmp / largest.name
    text = largest.read_text("utf-8")
    cut = text.index("\n", len(text) // 2)
    edited.write_text(text[:cut] + " (paragraphe révisé lors de la mise à jour)" + text[cut:],
                      "utf-8")
    edit, edit_report = _timed(lambda: add_documents(grow, [edited], embedder=model))
    remove, _ = _timed(lambda: remove_documents(grow, [largest.stem], embedder=model))
    return {"full_build_cold_s": round(cold, 2), "full_build_warm_s": round(warm, 2),
            "add_largest_s": round(add, 2),
            "add_largest_share_of_cold_build": round(add / cold, 3),
            "add_largest_embedded_texts": report.embedded,  # type: ignore[attr-defined]
            "largest_share_of_corpus_bytes": round(
                largest.stat().st_size / sum(f.stat().st_size for f in files), 3),
            "edit_largest_s": round(edit, 2),
            "edit_largest_embedded_texts": edit_report.embedded,  # type: ignore[attr-defined]
            "remove_largest_s": round(remove, 2)}


def ten_page_pdf(tmp: Path) -> Path:
    """The first 10 pages of the largest seed document rendered as a UN-style PDF."""
    import pypdfium2 as pdfium

    from tests.support.fixtures_sources import render

    largest = max(SEEDS.glob("*.txt"), key=lambda p: p.stat().st_size)
    full = render(largest, tmp / "rendered", "pdf")
    source = pdfium.PdfDocument(full)
    out = pdfium.PdfDocument.new()
    out.import_pages(source, list(range(min(10, len(source)))))
    path = tmp / "rapport-10-pages.pdf"
    out.save(path)
    return path


def upload(model: Embedder, tmp: Path) -> dict[str, float]:
    """POST a 10-page PDF to the running app, then ask about it; seconds until answered."""
    from fastapi.testclient import TestClient

    from api.main import create_app

    others = [f for f in sorted(SEEDS.glob("*.txt"))
              if f != max(SEEDS.glob("*.txt"), key=lambda p: p.stat().st_size)]
    settings = Settings(index_root=tmp / "upload", reload_poll_seconds=0,
                        seeds_dir=_seeds(tmp / "upload-seeds", others))
    build_index(settings.index_options(), build_embedder(settings, model))
    pdf = ten_page_pdf(tmp)
    app = create_app(settings, pipeline=Pipeline.from_parts(settings, model,
                                                            load_index(settings.index_options())))
    question = "Dans quelle ville la Secrétaire générale adjointe a-t-elle tenu des " \
               "consultations avec l’OTSC ?"
    # a server without a key accepts uploads only under a loopback host name
    with TestClient(app, base_url="http://localhost") as client:
        started = time.perf_counter()
        r = client.post("/v1/documents", files={"file": (pdf.name, pdf.read_bytes(),
                                                          "application/pdf")})
        posted = time.perf_counter() - started
        answer = client.post("/v1/ask", json={"question": question}).json()
        total = time.perf_counter() - started
    cited = [c["document"]["id"] for c in answer.get("citations", [])]
    return {"upload_status": r.status_code, "upload_embedded_texts": r.json()["embedded_texts"],
            "upload_s": round(posted, 2), "upload_to_answer_s": round(total, 2),
            "answer_cites_upload": pdf.stem in cited, "answer": answer.get("answer", "")[:200]}


def pdf_retrieval(model: Embedder, tmp: Path) -> dict[str, dict[str, float]]:
    """Dev-question retrieval from text-built and PDF-built indexes (same cache)."""
    from tests.support.fixtures_sources import render_corpus

    questions = [q for q in load_questions() if q.gold_quotes]
    results = {}
    for fmt in ("text", "pdf", "pdf2", "pdfraw", "docx", "html"):
        seeds = tmp / f"seeds-{fmt}"
        if fmt == "text":
            _seeds(seeds, sorted(SEEDS.glob("*.txt")))
        else:
            seeds.mkdir()
            shutil.copy(SEEDS / "catalog.toml", seeds)
            for path in render_corpus(SEEDS, tmp / f"render-{fmt}", fmt):
                shutil.copy(path, seeds / path.name)
        settings = Settings(index_root=tmp / "retrieval", index_name=fmt, seeds_dir=seeds)
        build_index(settings.index_options(), build_embedder(settings, model))
        pipeline = Pipeline.from_parts(settings, model, load_index(settings.index_options()))
        outcomes = [score_ranking(q, [(h.passage.id, h.passage.text)
                                      for h in pipeline.search(q.question, 10)])
                    for q in questions]
        results[fmt] = {k: round(v, 3) for k, v in summarize(outcomes).items()}
    return results


PARTS = {"builds": builds, "upload": upload, "retrieval_dev": pdf_retrieval}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--parts", nargs="+", default=list(PARTS), choices=list(PARTS))
    args = parser.parse_args()
    started = time.perf_counter()
    model = load_embedder(Settings().encoder_options())
    results: dict[str, object] = {"model_load_s": round(time.perf_counter() - started, 2)}
    with tempfile.TemporaryDirectory() as tmp:
        for part in args.parts:
            results[part] = PARTS[part](model, Path(tmp) / part)
            print(json.dumps(results[part], indent=1, ensure_ascii=False), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "corpus.json"
    previous = json.loads(out.read_text()) if out.exists() else {}
    out.write_text(json.dumps(previous | results, indent=1, ensure_ascii=False))
    print(f"model load {results['model_load_s']} s; written {args.out / 'corpus.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
