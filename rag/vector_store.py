"""Dense vector search over passage embeddings with FAISS (inner product on normalised
vectors = cosine). The index type is chosen by corpus size unless configured."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import faiss
import numpy as np

IndexKind = Literal["auto", "flat", "ivf", "hnsw"]
FLAT_MAX = 50_000  # exact search stays fast below this many vectors (≈ 4 ms on 2 cores)


@dataclass(frozen=True)
class IndexSpec:
    """Which FAISS structure to build and its tuning knobs."""

    kind: IndexKind = "auto"
    nlist: int | None = None  # IVF cells; default ≈ 4·√n
    nprobe: int | None = None  # IVF cells visited per query; default nlist/16 (≥ 8)
    hnsw_m: int = 32
    hnsw_ef_search: int = 512  # efSearch 128 gave recall@10 0.90 at 1M (bench/README.md)


def choose_kind(n: int, spec: IndexSpec) -> str:
    """``flat`` (exact) up to 50k vectors, ``ivf`` beyond, unless set explicitly: IVF kept
    recall@10 ≥ 0.999 up to 1M in bench/scale.py at 6 ms, with the smallest memory; HNSW is
    faster per query but costlier to build and needs a large efSearch for recall."""
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
        nlist = spec.nlist or max(1, min(int(4 * math.sqrt(n)), n // 39 or 1))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
        index.nprobe = spec.nprobe or max(8, nlist // 16)
        index.make_direct_map()  # lets answers reconstruct passage vectors
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, spec.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = max(40, spec.hnsw_m * 2)
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


def search(index: faiss.Index, query: np.ndarray, k: int,
           allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` (scores, ids) for one query vector, optionally restricted to ``allowed`` ids.

    Missing results (fewer than ``k`` vectors) are dropped, so arrays may be shorter.
    """
    query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
    k = max(1, min(k, index.ntotal))
    params = None
    if allowed is not None:
        selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
        params = _params_for(index, selector)
    scores, ids = index.search(query, k, params=params)
    keep = ids[0] >= 0
    return scores[0][keep], ids[0][keep]


def _params_for(index: faiss.Index, selector: faiss.IDSelector) -> faiss.SearchParameters:
    real = faiss.downcast_index(index)
    if isinstance(real, faiss.IndexIVF):
        return faiss.SearchParametersIVF(sel=selector, nprobe=real.nprobe)
    if isinstance(real, faiss.IndexHNSW):
        return faiss.SearchParametersHNSW(sel=selector, efSearch=real.hnsw.efSearch)
    return faiss.SearchParameters(sel=selector)
