"""One settings object for the whole service, read from ``RAG_*`` environment variables (or
``.env``), composed of the components' options.

Each knob is declared once, in its component's options dataclass (:func:`rag.records.knob`:
default, bounds, description): :class:`~rag.encoders.options.EncoderOptions`,
:class:`~rag.index.options.IndexOptions`, :class:`~rag.index.options.StoreOptions`,
:class:`~rag.records.IndexSpec`, :class:`~rag.records.ChunkOptions`,
:class:`~rag.records.RetrievalOptions`, :class:`~rag.records.CoverageOptions`,
:class:`~rag.answer.options.ExtractiveOptions`, :class:`~rag.answer.options.LLMOptions`,
:class:`~rag.records.FeedbackOptions`, :class:`api.options.ServerOptions` (:data:`GROUPS`).
:class:`Settings` gets one flat field per knob, generated from those declarations
(``RAG_MMR_LAMBDA``, ``RAG_LLM_MODEL``: the group's prefix, or the knob's own ``setting``
name), and builds the options objects back (``encoder_options()``, ``index_options()``,
``extractive_options()``…) for the library modules, which never see the settings. Only the
service-wide knobs (the default composer, the answer cache, memory-mapping) are fields of
:class:`Settings` itself. ``rag settings`` lists them all (:func:`settings_report`)."""

from __future__ import annotations

import dataclasses
import math
import os
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, get_type_hints

from dotenv import dotenv_values
from pydantic import Field, ValidationError, create_model, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.options import ServerOptions
from rag.answer.options import ExtractiveOptions, LLMOptions
from rag.answer.registry import COMPOSER_NAMES, DEFAULT_COMPOSER, ComposerName
from rag.encoders.options import DEFAULT_MODEL, E5_PROMPTS, EncoderOptions
from rag.errors import ConfigurationError
from rag.index.options import IndexOptions, StoreOptions
from rag.records import (
    PROJECT_ROOT,
    ChunkOptions,
    CoverageOptions,
    FeedbackOptions,
    IndexSpec,
    Knob,
    RetrievalOptions,
    knobs,
)

__all__ = ["DEFAULT_MODEL", "E5_PROMPTS", "GROUPS", "PROJECT_ROOT", "Settings",
           "get_settings", "settings_problem", "settings_report"]

WEAK_KEYS = frozenset({"changeme", "change-me", "secret", "password", "admin", "test", "dev",
                       "development", "default", "apikey", "api-key", "key", "12345678"})


KEY_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
MIN_KEY_BITS = 64


def key_strength_bits(key: str) -> float:
    """Estimated entropy of ``key`` in bits: per-character Shannon entropy times the number
    of characters that do not merely continue a run or a sequence (``aaaa``, ``abcd``,
    ``1234``), so repetition and keyboard walks count for little."""
    if not key:
        return 0.0
    counts = Counter(key)
    per_char = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    informative = 1
    for i in range(1, len(key)):
        step = ord(key[i]) - ord(key[i - 1])
        previous = ord(key[i - 1]) - ord(key[i - 2]) if i > 1 else None
        if step not in (0, previous):
            informative += 1
    return max(0.0, per_char * informative)


def key_weakness(key: str) -> str | None:
    """Why ``key`` is not fit to guard the API, or None."""
    if key != key.strip() or any(c.isspace() for c in key):
        return "it contains spaces, which the Authorization header cannot carry"
    if key.lower() in WEAK_KEYS:
        return "a well-known default"
    if len(key) < 16:
        return "shorter than 16 characters"
    bits = key_strength_bits(key)
    if bits < MIN_KEY_BITS:
        return f"about {bits:.0f} bits of entropy, {MIN_KEY_BITS} needed"
    return None




@dataclasses.dataclass(frozen=True)
class Group:
    """The knobs of one options dataclass, as settings named ``prefix + field`` (or the
    knob's own ``setting`` name)."""

    name: str  # what rag settings calls the group
    options: type
    prefix: str = ""

    def knobs(self) -> Iterator[tuple[str, dataclasses.Field[Any], Knob]]:
        """(settings field name, dataclass field, declaration) of each knob."""
        for f, declared in knobs(self.options):
            yield declared.setting or self.prefix + f.name, f, declared


GROUPS: tuple[Group, ...] = (
    Group("encoder", EncoderOptions),
    Group("index", IndexOptions),
    Group("index structure", IndexSpec),
    Group("vector store", StoreOptions),
    Group("chunking", ChunkOptions),
    Group("retrieval", RetrievalOptions),
    Group("coverage", CoverageOptions),
    Group("extractive composer", ExtractiveOptions),
    Group("llm composer", LLMOptions, "llm_"),
    Group("feedback", FeedbackOptions, "feedback_"),
    Group("server", ServerOptions),
)
SERVICE = "service"  # the group of the fields of Settings itself


def _field(f: dataclasses.Field[Any], declared: Knob) -> FieldInfo:
    """The settings field of a knob: its default, description and bounds."""
    extra: dict[str, Any] = {"description": declared.description, **declared.bounds}
    if declared.secret:
        extra["repr"] = False
    if f.default_factory is not dataclasses.MISSING:
        return Field(default_factory=f.default_factory, **extra)
    return Field(f.default, **extra)


def _knob_fields() -> dict[str, Any]:
    made: dict[str, Any] = {}
    for group in GROUPS:
        hints = get_type_hints(group.options)
        for name, f, declared in group.knobs():
            if name in made:
                raise TypeError(f"two knobs make the setting {name}")
            made[name] = (hints[f.name], _field(f, declared))
    return made


# the fields generated from the options' knobs, under Settings (which adds its own)
_Knobs: type[BaseSettings] = create_model(  # type: ignore[call-overload]
    "_Knobs", __base__=BaseSettings, __module__=__name__, **_knob_fields())


class Settings(_Knobs):  # type: ignore[misc,valid-type]
    """Configuration; every field can be set as ``RAG_<FIELD>`` (e.g. ``RAG_TOP_K=8``): one
    per knob of the options in :data:`GROUPS`, and the service-wide ones below."""

    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore",
                                      hide_input_in_errors=True)  # never echo a refused key

    composer: ComposerName = Field(
        DEFAULT_COMPOSER, description=f"Default composer: {' or '.join(COMPOSER_NAMES)} "
        "(rag.answer.registry)."
    )
    answer_cache_size: int = Field(
        512, ge=0, description="Answers kept per index snapshot (LRU, emptied by a reload); "
        "0 = off."
    )
    mmap_index: bool = Field(False, description="Memory-map the FAISS file (shared by workers).")

    @model_validator(mode="after")
    def _refuse_weak_key_outside_development(self) -> Settings:
        if self.environment != "development" and self.api_key is not None:
            problem = key_weakness(self.api_key)
            if problem:
                raise ValueError(f"RAG_API_KEY is too weak ({problem}); outside development "
                                 f"use a random key, e.g. {KEY_HINT}")
        return self

    def _options(self, options: type, **parts: Any) -> Any:
        group = next(g for g in GROUPS if g.options is options)
        return options(**{f.name: getattr(self, name) for name, f, _ in group.knobs()},
                       **parts)

    @property
    def requires_key(self) -> bool:
        """Outside development the API must not run without a key."""
        return self.environment != "development"

    @property
    def index_dir(self) -> Path:
        """Folder of the active index (:attr:`IndexOptions.index_dir`)."""
        return self.index_options().index_dir

    @property
    def qdrant_location(self) -> str:
        """The Qdrant server URL, local folder or ``:memory:``
        (:attr:`IndexOptions.qdrant_location`)."""
        return self.index_options().qdrant_location

    def encoder_options(self) -> EncoderOptions:
        """What the encoders receive (model, prompts, runtime, batches, caches)."""
        return self._options(EncoderOptions)

    def index_options(self) -> IndexOptions:
        """What the index build and load receive: folders, limits, FAISS structure, chunk
        sizes, vector store, and the embedding model the index must hold."""
        return self._options(IndexOptions, spec=self.index_spec(), chunk=self.chunk_options(),
                             store=self.store_options(), model=self.embedding_model)

    def store_options(self) -> StoreOptions:
        """Where passage vectors live (FAISS or Qdrant)."""
        return self._options(StoreOptions)

    def chunk_options(self) -> ChunkOptions:
        """The chunker's sizes."""
        return self._options(ChunkOptions)

    def extractive_options(self) -> ExtractiveOptions:
        """The extractive composer's options."""
        return self._options(ExtractiveOptions)

    def llm_options(self) -> LLMOptions:
        """The LLM composer's options (``RAG_LLM_*``), shown as many passages and asked for
        as many sentences as the extractive composer's."""
        return self._options(LLMOptions, passages=self.answer_passages,
                             max_sentences=self.answer_max_sentences)

    def retrieval_options(self) -> RetrievalOptions:
        """The retriever's options."""
        return self._options(RetrievalOptions)

    def coverage_options(self) -> CoverageOptions:
        """The coverage checker's options."""
        return self._options(CoverageOptions)

    def feedback_options(self) -> FeedbackOptions:
        """Where evaluators' feedback is kept (``index_root/feedback``) and its caps."""
        return self._options(FeedbackOptions, folder=self.index_root / "feedback")

    def index_spec(self) -> IndexSpec:
        """The FAISS structure these settings ask for."""
        return self._options(IndexSpec)

    def server_options(self) -> ServerOptions:
        """The HTTP server's options."""
        return self._options(ServerOptions)

    @property
    def embedding_cache_path(self) -> Path:
        """SQLite file of cached vectors (:attr:`IndexOptions.embedding_cache_path`)."""
        return self.index_options().embedding_cache_path

    @property
    def catalog_path(self) -> Path:
        """Path of the seeds catalogue (:attr:`IndexOptions.catalog_path`)."""
        return self.index_options().catalog_path


def setting_groups() -> dict[str, str]:
    """The group of each settings field (``rag settings`` prints them by group)."""
    owner = {name: group.name for group in GROUPS for name, _, _ in group.knobs()}
    return {name: owner.get(name, SERVICE) for name in Settings.model_fields}


def _secret(name: str) -> bool:
    return Settings.model_fields[name].repr is False


def _env_names(environ: dict[str, str | None]) -> set[str]:
    return {key.upper() for key, value in environ.items() if value is not None}


def settings_report(settings: Settings) -> list[dict[str, Any]]:
    """Every knob: its variable, current value, default, where the value came from (``env``,
    ``.env`` or ``default``), description and group; secrets masked (``***``)."""
    from_env = _env_names(dict(os.environ))
    env_file = settings.model_config.get("env_file")
    from_file = _env_names(dotenv_values(env_file)) if isinstance(env_file, str) and \
        Path(env_file).is_file() else set()
    groups = setting_groups()
    rows = []
    for name, info in Settings.model_fields.items():
        variable = f"RAG_{name.upper()}"
        value = to_jsonable_python(getattr(settings, name))
        default = to_jsonable_python(info.get_default(call_default_factory=True))
        if _secret(name):
            value = None if value is None else "***"
            default = None if default is None else "***"
        source = "env" if variable in from_env else ".env" if variable in from_file else \
            "default"
        rows.append({"variable": variable, "value": value, "default": default,
                     "source": source, "description": info.description or "",
                     "group": groups[name]})
    return rows


def settings_problem(exc: ValidationError) -> str:
    """One line saying which settings are wrong and why (never their values)."""
    problems = []
    for error in exc.errors():
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        loc = error.get("loc") or ()
        name = f"RAG_{str(loc[0]).upper()}: " if loc else ""
        problems.append(f"{name}{message}")
    return "; ".join(problems) or "invalid settings"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (read once); ``ConfigurationError`` (one line) if the
    environment holds invalid ones."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigurationError(f"invalid configuration: {settings_problem(exc)}") from None
