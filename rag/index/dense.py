"""Dense vector search over passage embeddings with FAISS (inner product on normalised
vectors = cosine): build, save and load an index (its kind chosen by corpus size unless
configured, see :class:`rag.records.IndexSpec`), search it with or without a filter on rows,
and read its stored vectors back."""

from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np

from rag.records import IndexSpec

FLAT_MAX = 50_000  # exact search stays fast below this many vectors (≈ 4 ms on 2 cores)
# IVF cells default to CELLS_PER_SQRT·√n, the low end of FAISS's 4–16·√n guideline: more
# cells are faster to search but need more probes for the same recall.
CELLS_PER_SQRT = 4
# FAISS's k-means wants at least 39 training points per centroid (it warns below that), so a
# corpus of n vectors gets at most n // 39 cells.
MIN_POINTS_PER_CELL = 39
# IVF probes nlist / PROBE_DIVISOR cells per query, at least MIN_NPROBE: recall@10 ≥ 0.999
# at 100k and 1M vectors in bench/scale.py.
PROBE_DIVISOR = 16
MIN_NPROBE = 8
# HNSW build breadth (efConstruction): twice the graph degree, at least FAISS's default 40.
EF_CONSTRUCTION_PER_M = 2
MIN_EF_CONSTRUCTION = 40
# Rows reconstructed per FAISS call: batch reconstruction starts threads above ≈ 1000 rows,
# which cost more than they save on a busy 2-core machine.
RECONSTRUCT_CHUNK = 1000


def choose_kind(n: int, spec: IndexSpec) -> str:
    """``flat`` (exact) up to ``FLAT_MAX`` vectors, ``ivf`` beyond, unless set explicitly:
    IVF kept recall@10 ≥ 0.999 up to 1M in bench/scale.py at 6 ms, with the smallest memory;
    HNSW is faster per query but costlier to build and needs a large efSearch for recall."""
    if spec.kind != "auto":
        return spec.kind
    return "flat" if n <= FLAT_MAX else "ivf"


def build_faiss(vectors: np.ndarray, spec: IndexSpec | None = None) -> faiss.Index:
    """Build a FAISS index over L2-normalised ``vectors`` (row i gets id i)."""
    spec = spec or IndexSpec()
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    kind = choose_kind(n, spec)
    if kind == "flat":
        index: faiss.Index = faiss.IndexFlatIP(dim)
    elif kind == "ivf":
        nlist = spec.nlist or max(1, min(int(CELLS_PER_SQRT * math.sqrt(n)),
                                         n // MIN_POINTS_PER_CELL or 1))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
        index.nprobe = spec.nprobe or max(MIN_NPROBE, nlist // PROBE_DIVISOR)
        index.make_direct_map()  # lets answers reconstruct passage vectors
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, spec.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = max(MIN_EF_CONSTRUCTION,
                                        spec.hnsw_m * EF_CONSTRUCTION_PER_M)
        index.hnsw.efSearch = spec.hnsw_ef_search
    else:
        raise ValueError(f"Unknown index kind {kind!r}; choose one of auto, flat, ivf, hnsw")
    index.add(vectors)
    return index


def describe(index: faiss.Index) -> str:
    """Short name of the FAISS structure (for manifests and benchmarks)."""
    return type(faiss.downcast_index(index)).__name__


def save_faiss(index: faiss.Index, path: Path) -> None:
    """Write ``index`` to ``path``."""
    faiss.write_index(index, str(path))


def load_faiss(path: Path, *, mmap: bool = False) -> faiss.Index:
    """Read an index; ``mmap`` shares the file's pages between processes (read-only)."""
    flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mmap else 0
    return faiss.read_index(str(path), flags)


def check_faiss(index: faiss.Index) -> None:
    """Raise ``ValueError`` if a loaded index cannot serve this package's searches: an
    untrained index, another metric than inner product, an IVF index without the direct map
    that answers use to reconstruct passage vectors."""
    if not index.is_trained:
        raise ValueError("the FAISS index is not trained")
    if index.metric_type != faiss.METRIC_INNER_PRODUCT:
        raise ValueError(f"the FAISS index uses metric {index.metric_type}, not inner product")
    real = faiss.downcast_index(index)
    if isinstance(real, faiss.IndexIVF) and real.direct_map.type == faiss.DirectMap.NoMap:
        raise ValueError("the IVF index has no direct map")


# A filter of at most this many rows is scored exactly over its rows' vectors: gathering and
# scoring 8192 vectors of 384 dimensions takes 1–2 ms on 2 cores (bench/filtered_recall.py),
# less than an unfiltered IVF search at 1M, and covers the largest document a build accepts
# (RAG_MAX_DOCUMENT_PASSAGES, 5000), so a filter on one document is always exact.
EXACT_MAX = 8192


def search(index: faiss.Index, query: np.ndarray, k: int,
           allowed: np.ndarray | None = None, *, exact_max: int = EXACT_MAX
           ) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` (scores, ids) for one query vector, optionally restricted to ``allowed`` ids.

    An approximate index misses most of a small allowed set (its probed cells or graph
    neighbourhood hold few allowed rows), so a filter is served by :func:`filtered_search`.
    Missing results (fewer than ``k`` vectors) are dropped, so arrays may be shorter.
    """
    query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
    if allowed is not None:
        return filtered_search(index, query, k, allowed, exact_max=exact_max)
    k = max(1, min(k, index.ntotal))
    scores, ids = index.search(query, k)
    keep = ids[0] >= 0
    return scores[0][keep], ids[0][keep]


def filtered_search(index: faiss.Index, query: np.ndarray, k: int, allowed: np.ndarray, *,
                    exact_max: int = EXACT_MAX) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` among the ``allowed`` ids, exact or nearly so on every index kind:

    - up to ``exact_max`` rows: their vectors are reconstructed and scored exactly;
    - flat: a FAISS ID selector on the exhaustive scan (exact);
    - IVF: an ID selector with ``nprobe`` divided by the allowed fraction (capped at every
      cell), so the search meets as many allowed vectors as an unfiltered one meets vectors;
    - HNSW: an ID selector on the graph's flat storage (exact: a graph walk with a selector
      keeps stepping through rows it may not return, and its recall was 0.97 even
      unfiltered at 1M).
    """
    allowed = np.unique(np.asarray(allowed, dtype=np.int64))
    allowed = allowed[(allowed >= 0) & (allowed < index.ntotal)]
    query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
    if not len(allowed):
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    k = max(1, min(k, len(allowed)))
    if len(allowed) <= exact_max:
        return _exact_rows(index, query[0], k, allowed)
    selector = faiss.IDSelectorBatch(allowed)
    real = faiss.downcast_index(index)
    fraction = len(allowed) / index.ntotal
    if isinstance(real, faiss.IndexIVF):
        nprobe = min(real.nlist, math.ceil(real.nprobe / fraction))
        scores, ids = index.search(query, k, params=faiss.SearchParametersIVF(
            sel=selector, nprobe=nprobe))
    elif isinstance(real, faiss.IndexHNSW):
        storage = faiss.downcast_index(real.storage)
        scores, ids = storage.search(query, k, params=faiss.SearchParameters(sel=selector))
    else:
        scores, ids = index.search(query, k, params=faiss.SearchParameters(sel=selector))
    keep = ids[0] >= 0
    return scores[0][keep], ids[0][keep]


def _exact_rows(index: faiss.Index, query: np.ndarray, k: int, rows: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-``k`` of ``rows`` (sorted ids) by inner product, best first; ties keep
    the lower id first, as FAISS's exhaustive search does."""
    vectors = stored_vectors(index, rows)
    scores = np.empty(len(rows), dtype=np.float32)
    # one thread, SIMD: numpy's BLAS and FAISS's batch reconstruction start threads above
    # ≈ 1000 rows, which cost milliseconds on a busy 2-core machine
    faiss.fvec_inner_products_ny(faiss.swig_ptr(scores), faiss.swig_ptr(query),
                                 faiss.swig_ptr(vectors), vectors.shape[1], len(rows))
    top = np.argpartition(-scores, k - 1)[:k] if k < len(rows) else np.arange(len(rows))
    top = top[np.lexsort((rows[top], -scores[top]))]
    return scores[top], rows[top]


def stored_vectors(index: faiss.Index, rows: np.ndarray, chunk: int = RECONSTRUCT_CHUNK
                   ) -> np.ndarray:
    """The stored vectors of ``rows``: read in place from a flat index or an HNSW graph's
    flat storage, reconstructed through the direct map of an IVF index."""
    rows = np.asarray(rows, dtype=np.int64)
    real = faiss.downcast_index(index)
    if isinstance(real, faiss.IndexHNSW):
        real = faiss.downcast_index(real.storage)
    if isinstance(real, faiss.IndexFlat):
        stored = faiss.rev_swig_ptr(real.get_xb(), real.ntotal * real.d)
        return np.ascontiguousarray(stored.reshape(real.ntotal, real.d)[rows])
    if not len(rows):
        return np.zeros((0, index.d), dtype=np.float32)
    return np.vstack([index.reconstruct_batch(rows[i:i + chunk])
                      for i in range(0, len(rows), chunk)])
