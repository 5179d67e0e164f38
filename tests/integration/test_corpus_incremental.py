"""An incremental index with the real model answers like a full build."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.corpus import add_documents, build_embedder, remove_documents
from rag.index.build import build_index
from rag.index.load import load_index
from rag.settings import Settings
from tests.support.helpers import vectors_of
from tests.unit.core.test_corpus import SEED_FILES, _seeds


@pytest.fixture(scope="module")
def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("corpus-index")


def test_incremental_index_answers_like_a_full_build(built_settings, pipeline,
                                                     shared_root: Path, tmp_path: Path):
    from rag.answer.render import answer_json
    from rag.index.build import passage_vector_texts
    from rag.pipeline import Pipeline
    from rag.records import Document
    from tests.conftest import warm_embedding_cache

    model = pipeline.embedder
    inc = Settings(index_root=shared_root, index_name="incremental",
                   seeds_dir=_seeds(tmp_path / "inc", SEED_FILES[:1]))
    # both builds start from the session build's embedding cache: the model embeds only the
    # changed paragraph (the cache's own vectors are checked against the model below)
    warm_embedding_cache(built_settings, inc.index_root)
    build_index(inc.index_options(), build_embedder(inc, model))
    for f in SEED_FILES[1:]:
        add_documents(inc, [f], embedder=model)
    changed = tmp_path / SEED_FILES[2].name
    changed.write_text(SEED_FILES[2].read_text("utf-8").replace("Conseil", "Conseil", 1)
                       + "\n Paragraphe final ajouté lors de la mise à jour du document.\n",
                       "utf-8")
    assert add_documents(inc, [changed], embedder=model).changes[0].action == "replaced"
    remove_documents(inc, [SEED_FILES[3].stem], embedder=model)

    final_files = sorted(p for p in inc.seeds_dir.iterdir() if p.suffix == ".txt")
    scratch = Settings(index_root=shared_root / "scratch",
                       seeds_dir=_seeds(tmp_path / "scratch", final_files))
    warm_embedding_cache(built_settings, scratch.index_root)
    build_index(scratch.index_options(), build_embedder(scratch, model))

    a, b = load_index(inc.index_options()), load_index(scratch.index_options())
    assert [p.id for p in a.passages] == [p.id for p in b.passages]
    assert [p.text for p in a.passages] == [p.text for p in b.passages]
    # same vectors up to the encoder's batch-to-batch noise (bf16 kernels depend a little on
    # which texts share a batch): the fidelity bar every backend meets
    assert (vectors_of(a) * vectors_of(b)).sum(axis=1).min() >= 0.9999
    assert np.allclose(a.sentence_vectors, b.sentence_vectors, atol=2e-3)  # stored as float16
    # the vectors the incremental index holds (cached or embedded by it) are the model's:
    # a sample of its passages (as build_index embeds them) and sentences embedded afresh
    rows = list(range(0, len(a.passages), 12))
    texts = passage_vector_texts([Document(m, ()) for m in a.documents.values()],
                                 a.passages)
    fresh = model.embed([texts[i] for i in rows])
    assert (vectors_of(a)[rows] * fresh).sum(axis=1).min() >= 0.9999
    rows = list(range(0, len(a.sentences), 40))
    fresh = model.embed([a.sentences[i].text for i in rows])
    assert np.allclose(a.sentence_vectors[rows], fresh, atol=2e-3)

    pa = Pipeline.from_parts(inc, model, a)
    pb = Pipeline.from_parts(scratch, model, b)
    # questions made from the corpus itself (the start of every 10th passage), not eval data
    questions = [" ".join(p.text.split()[:12]) + " ?" for p in b.passages[::10]][:20]
    for question in questions:
        ja, jb = answer_json(pa.ask(question)), answer_json(pb.ask(question))
        assert ja["answer"] == jb["answer"], question
        assert [c["passage_id"] for c in ja["citations"]] == \
            [c["passage_id"] for c in jb["citations"]]
