"""Embedding a whole corpus without holding it in memory: texts are embedded chunk by chunk
and each chunk's rows written straight into a memory-mapped ``.npy`` file.

With the embedding cache in front of the model (the default), every finished chunk is also
stored in the cache before the next one starts, so a build that is killed and started again
reads the finished chunks back and embeds only the rest, in the same chunks, giving the same
vectors as an uninterrupted build.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from rag.encoders.base import Embedder


def embed_to_file(embedder: Embedder, texts: list[str], path: Path, *, chunk: int,
                  dtype: type = np.float32, label: str = "texts",
                  show_progress: bool = False,
                  on_chunk: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Embed ``texts`` into a new ``.npy`` file at ``path`` (rows in ``texts`` order, stored
    as ``dtype``) ``chunk`` texts per model call; returns the file, memory-mapped read-only.
    ``on_chunk(done, total)`` is called after each chunk."""
    if chunk < 1:
        raise ValueError("chunk must be ≥ 1")
    total = len(texts)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(total, embedder.dim))
    bar = _progress(total, label) if show_progress and total else None
    try:
        for start in range(0, total, chunk):
            rows = embedder.embed(texts[start:start + chunk])
            if rows.shape != (min(chunk, total - start), embedder.dim):
                raise ValueError(f"embedder returned {rows.shape} for {label} "
                                 f"{start}..{start + chunk}")
            out[start:start + len(rows)] = rows
            done = start + len(rows)
            if bar is not None:
                bar.update(len(rows))
            if on_chunk is not None:
                on_chunk(done, total)
        out.flush()
    finally:
        if bar is not None:
            bar.close()
        del out
    return np.load(path, mmap_mode="r")


def _progress(total: int, label: str) -> Any:
    """A bar with texts/s and the time left."""
    return tqdm(total=total, desc=f"Embedding {label}", unit=label.rstrip("s"),
                smoothing=0.1, dynamic_ncols=True)
