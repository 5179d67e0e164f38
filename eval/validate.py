"""Gold question files for an evaluation: read and validated by
:func:`eval.check_gold.validate_files` (every problem named by file and line), refused with
:class:`eval.check_gold.GoldFileError` if any has a problem.

``rag eval validate FILE...`` prints the problems; ``rag eval`` refuses files with any."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from eval.check_gold import SEEDS, GoldFileError, validate_files
from eval.dataset import GoldQuestion


def load_validated(paths: Sequence[Path], seeds: Path = SEEDS) -> list[GoldQuestion]:
    """The questions of ``paths``; raises :class:`GoldFileError` if any file has a
    problem."""
    questions, problems = validate_files(paths, seeds)
    if problems:
        raise GoldFileError(problems)
    return questions
