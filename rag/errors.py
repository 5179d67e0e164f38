"""Named errors, mapped once to CLI messages and HTTP responses."""

from __future__ import annotations

import re

_ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(?:[^\s/:,;()'\"]+/)*[^\s/:,;()'\"]*")

REBUILD_HINT = "Rebuild it with: rag index"


class RagError(Exception):
    """Base class of the errors this package raises on purpose."""


class IndexNotBuilt(RagError):
    """No index exists at the configured location."""

    def __init__(self, path: object) -> None:
        super().__init__(f"No index found at {path}. {REBUILD_HINT}")


class IndexCorrupt(RagError):
    """An index exists but one of its files is missing or unreadable."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"Index at {path} is unusable ({reason}). {REBUILD_HINT}")


class IndexMismatch(RagError):
    """The index was built with another model or chunker than the one configured."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"Index at {path} does not match the configuration ({reason}). "
                         f"{REBUILD_HINT}")


class ModelUnavailable(RagError):
    """The embedding model cannot be loaded."""


class ModelServerError(RagError):
    """The LLM composer's model server failed: it answered with an error or a reply that is
    not a chat completion (HTTP 502)."""


class ModelServerTimeout(ModelServerError):
    """The model server did not answer within ``RAG_LLM_TIMEOUT`` (HTTP 504)."""


class ModelServerUnavailable(ModelServerError):
    """The model server cannot be reached (HTTP 503)."""


class UnknownDocument(RagError):
    """A document id that is not in the corpus."""


class UnknownPassage(RagError):
    """A passage id that is not in the index."""


class ComposerUnavailable(RagError):
    """The requested answer composer is not configured on this installation."""


class DocumentRejected(RagError):
    """A source file that cannot become a document; the message names the file.

    ``reason`` is one of ``too_large``, ``unsupported_type``, ``unreadable`` or
    ``bad_file_name`` (the API maps them to 413, 415, 422 and 422).
    """

    def __init__(self, file: object, message: str, reason: str = "unreadable") -> None:
        super().__init__(f"{file}: {message}")
        self.file = str(file)
        self.detail = message
        self.reason = reason


class ConfigurationError(RagError):
    """The ``RAG_*`` settings are invalid (a weak production key, a wrong type…)."""


class CorpusBusy(RagError):
    """Another process is changing the corpus or building the index."""


def redact_paths(message: str) -> str:
    """``message`` without absolute paths (for unauthenticated HTTP answers; logs keep them):
    ``Index at /srv/x/index/default is unusable`` → ``Index at …/default is unusable``."""
    return _ABSOLUTE_PATH.sub(lambda m: "…/" + m.group(0).rstrip("/").rsplit("/", 1)[-1]
                              if len(m.group(0)) > 1 else m.group(0), message)
