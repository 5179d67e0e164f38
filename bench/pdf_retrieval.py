"""Retrieval from an index built from PDFs against the index built from the text files: for
each PDF variant of tests/pdf_variants (its five seeds as the PDF producer made them), an
index is built in a temporary folder with the default model and the dev questions are
searched; hit@1/5/10 and MRR@10 are printed beside the text index's, per variant and half.

Both sides get the same operator metadata: the seed catalogue (``seeds/catalog.toml``: titles,
authors, aliases such as "Viet Nam" for the concept note) is copied beside the PDFs, as an
operator who keeps one would, so the difference measured is the PDF reader's alone. A second
text row builds the text files without the catalogue, to show what the catalogue itself is
worth (``--no-catalogue`` builds the PDF variants without it too).

Passages whose text is the same as in the text build come from the embedding cache of the
text index (``rag index`` first), so only what the PDF reader changed is embedded.

    python bench/pdf_retrieval.py [--qa eval/dev_qa.jsonl] [--variant NAME ...]
                                  [--no-catalogue] [--out bench/results]
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
if str(ROOT) not in sys.path:  # eval/, bench/ and tests/ are run from the checkout
    sys.path.insert(0, str(ROOT))

from bench.entities import cpu_model  # noqa: E402
from eval.dataset import DEV_SET, load_questions  # noqa: E402
from eval.retrieval_metrics import score_ranking, summarize  # noqa: E402
from tests.pdf_variants.make import FILES, VARIANTS  # noqa: E402


def retrieval(settings, model, questions) -> dict[str, float]:
    """hit@k and MRR@10 of the dev questions over the index of ``settings``."""
    from rag.index.load import load_index
    from rag.pipeline import Pipeline

    pipeline = Pipeline.from_parts(settings, model,
                                   load_index(settings.index_options(), dim=model.dim))
    outcomes = [score_ranking(q, [(h.passage.id, h.passage.text)
                                  for h in pipeline.search(q.question, 10)])
                for q in questions if q.answerable]
    return {k: round(v, 3) for k, v in summarize(outcomes).items()}


def build(settings, model) -> None:
    """The index of ``settings.seeds_dir`` with ``model`` (vectors from the cache first)."""
    from rag.corpus import build_embedder
    from rag.index.build import build_index

    build_index(settings.index_options(), build_embedder(settings, model))


def variant_index(base, model, seeds: Path, root: Path, *, catalogue: bool) -> tuple[object, float]:
    """Settings of an index of the files in ``seeds`` built under ``root`` (with the seed
    catalogue beside them when ``catalogue``) and the build's seconds."""
    if catalogue and base.catalog_path.exists():
        shutil.copyfile(base.catalog_path, seeds / base.catalog_path.name)
    settings = base.model_copy(update={"seeds_dir": seeds, "index_root": root / "index"})
    cache = settings.embedding_cache_path
    cache.parent.mkdir(parents=True, exist_ok=True)
    if base.embedding_cache_path.exists():
        shutil.copyfile(base.embedding_cache_path, cache)
    started = time.perf_counter()
    build(settings, model)
    return settings, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--qa", type=Path, default=DEV_SET)
    parser.add_argument("--variant", action="append", help="only these variants")
    parser.add_argument("--no-catalogue", action="store_true",
                        help="build the PDF variants without the seed catalogue")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)

    from rag.encoders.load import load_embedder
    from rag.settings import Settings

    base = Settings()
    model = load_embedder(base.encoder_options())
    questions = load_questions(args.qa)
    report: dict[str, object] = {"cpu": cpu_model(), "qa": args.qa.name,
                                 "catalogue": not args.no_catalogue,
                                 "text": retrieval(base, model, questions), "variants": {}}
    with tempfile.TemporaryDirectory() as tmp:
        seeds = Path(tmp) / "seeds"
        shutil.copytree(base.seeds_dir, seeds, ignore=shutil.ignore_patterns("catalog.toml"))
        bare, _ = variant_index(base, model, seeds, Path(tmp), catalogue=False)
        report["text_no_catalogue"] = retrieval(bare, model, questions)
    print(f"{'half':<8} {'variant':<28} {'hit@1':>6} {'hit@5':>6} {'Δhit@5':>7} {'mrr':>6} "
          f"{'build s':>7}")
    text = report["text"]
    print(f"{'text':<8} {'(seeds/*.txt)':<28} {text['hit@1']:>6.3f} {text['hit@5']:>6.3f} "
          f"{'':>7} {text['mrr@10']:>6.3f}")
    bare = report["text_no_catalogue"]
    print(f"{'text':<8} {'(seeds/*.txt, no catalogue)':<28} {bare['hit@1']:>6.3f} "
          f"{bare['hit@5']:>6.3f} {bare['hit@5'] - text['hit@5']:>+7.3f} {bare['mrr@10']:>6.3f}")
    for variant in VARIANTS:
        if args.variant and variant.name not in args.variant:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            seeds = root / "seeds"
            shutil.copytree(FILES / variant.name, seeds)
            settings, seconds = variant_index(base, model, seeds, root,
                                              catalogue=not args.no_catalogue)
            row = {"half": variant.half, **retrieval(settings, model, questions),
                   "build_s": round(seconds, 1)}
        report["variants"][variant.name] = row  # type: ignore[index]
        delta = row["hit@5"] - text["hit@5"]
        print(f"{variant.half:<8} {variant.name:<28} {row['hit@1']:>6.3f} {row['hit@5']:>6.3f} "
              f"{delta:>+7.3f} {row['mrr@10']:>6.3f} {seconds:>7.1f}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "pdf_retrieval.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
