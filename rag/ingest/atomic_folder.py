"""Folders written whole or not at all: a folder is built in a temporary sibling
(``.<name>.tmp-<pid>-<n>``) and renamed into place, so a crash never leaves a half-written
folder where a reader looks; temporaries left by dead processes are removed later. Used by
index builds, the model conversion and the ONNX export."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_INFIX = ".tmp-"


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def staging(target: Path) -> Iterator[Path]:
    """A new empty temporary sibling of ``target``; deleted on exit unless moved away."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}{_INFIX}{os.getpid()}-{time.monotonic_ns()}")
    tmp.mkdir()
    try:
        yield tmp
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def remove_stale(target: Path) -> None:
    """Delete temporary siblings of ``target`` whose process is gone (killed builds)."""
    for stale in target.parent.glob(f".{target.name}{_INFIX}*"):
        pid = stale.name.rsplit(_INFIX, 1)[1].split("-")[0]
        if not pid.isdigit() or not pid_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def install(tmp: Path, target: Path) -> None:
    """Put the finished folder ``tmp`` at ``target``, replacing what is there."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}-{time.monotonic_ns()}")
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)
