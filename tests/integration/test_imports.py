"""The import structure: modules that only parse text or name data types import nothing heavy
(no FAISS, BM25, stemmer, torch or index code: the data types they need live in
:mod:`rag.records`); no module imports from a later stage of the data flow; and no two
modules import each other, directly or around a circle, at module level or in a function."""

from __future__ import annotations

import ast
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("faiss", "bm25s", "Stemmer", "torch", "qdrant_client", "rag.index.build",
         "rag.index.load", "rag.query.retrieval", "rag.index.lexical", "rag.index.dense",
         "rag.index.stores.faiss")


def _loaded(module: str) -> set[str]:
    """The modules of ``HEAVY`` that importing ``module`` loads (in a fresh interpreter)."""
    code = (f"import sys, {module}; "
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return set(out.stdout.split())


@pytest.mark.parametrize("module", ["rag.records", "rag.text", "rag.ingest.cleaning",
                                    "rag.ingest.layout", "rag.query.citations",
                                    "rag.index.analysis", "rag.query.plan",
                                    "rag.answer.serialize", "rag.ingest.chunking"])
def test_light_modules_load_nothing_heavy(module: str) -> None:
    assert _loaded(module) == set()


def test_the_command_line_loads_the_server_stack_only_to_serve() -> None:
    """`rag --help`, `rag ask` and the rest start without FastAPI, uvicorn or MCP (0.7 s of
    imports); `rag serve` and `rag mcp` load them."""
    code = ("import sys, rag.cli; "
            "print(' '.join(m for m in ('fastapi', 'uvicorn', 'mcp', 'api.deps') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.split() == []


def test_analysis_loads_stemmer_and_stopwords_on_first_use() -> None:
    from rag.index.analysis import char_grams, tokenize

    assert tokenize("Les opérations de maintien de la paix") == ["oper", "maintien", "paix"]
    assert char_grams("the cooperation")[:3] == ["#coo", "coop", "oope"]


@pytest.mark.parametrize("module", ["rag.query.plan", "rag.query.coverage",
                                    "rag.query.expectations"])
def test_query_stage_imports_no_later_stage(module: str) -> None:
    """The question stage comes before answering: none of its modules loads rag.answer."""
    code = (f"import sys, {module}; "
            "print(' '.join(m for m in sys.modules if m.startswith('rag.answer')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.split() == []


# The stages of the data flow, first to last: a module may import from its own stage and
# earlier ones, never from a later one. The first entry whose name is the module or a package
# above it decides (so ``rag.answer.options`` is a leaf, the rest of ``rag.answer`` is not).
STAGES: list[tuple[str, tuple[str, ...]]] = [
    # data types, errors, text utilities and the components' option models (settings
    # compose them; each knob declared with rag.records.knob)
    ("leaves", ("rag", "rag.records", "rag.errors", "rag.text", "rag.tracing",
                "rag.answer.options", "rag.answer.registry", "rag.encoders.options",
                "rag.index.options", "api.options")),
    ("settings", ("rag.settings",)),
    ("ingest", ("rag.ingest",)),  # files → documents → passages (and their cards, names)
    ("encoders", ("rag.encoders",)),  # texts → vectors
    ("index", ("rag.index",)),  # passages and vectors → an index on disk, and back
    ("query", ("rag.query",)),  # question → plan → hits
    ("answer", ("rag.answer",)),  # hits → answer with citations
    ("service", ("rag.corpus", "rag.pipeline", "rag.langchain", "rag.feedback")),
    ("api", ("api",)),  # HTTP and MCP over the pipeline
    ("cli", ("rag.cli",)),  # runs everything, the server included
    ("tools", ("eval",)),  # evaluation harness (bench/ is scripts, not imported)
]
PACKAGES = ("rag", "api", "eval")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _stage(module: str) -> int:
    best = None
    for rank, (_, prefixes) in enumerate(STAGES):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and \
                    (best is None or len(prefix) > best[1]):
                best = (rank, len(prefix))
    assert best is not None, f"{module} is in no stage of STAGES"
    return best[0]


def _target(name: str) -> str | None:
    """The project module that importing ``name`` runs (None for other packages)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(module: str) -> dict[str, bool]:
    """The project modules ``module`` imports, anywhere in it (functions included): name →
    whether the import runs (False: only under ``if TYPE_CHECKING``)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: dict[str, bool] = {}

    def visit(node: ast.AST, runs: bool) -> None:
        for child in ast.iter_child_nodes(node):
            child_runs = runs and not (isinstance(child, ast.If) and _type_checking(child))
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    up = package
                    for _ in range(child.level - 1):
                        up = up.rpartition(".")[0]
                    base = f"{up}.{base}" if base else up
                # ``from package import module`` imports the module; ``from m import name``, m
                names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                         for a in child.names]
            for name in names:
                target = _target(name)
                if target and target != module:
                    found[target] = found.get(target, False) or child_runs
            visit(child, child_runs)

    visit(ast.parse(path.read_text("utf-8")), True)
    return found


GRAPH = {module: _imports(module) for module in MODULES}


def test_the_import_graph_covers_the_packages() -> None:
    """The checks below pass vacuously over an empty graph (a wrong ROOT after a move)."""
    assert {"rag.pipeline", "rag.ingest.sources.pdf", "api.main", "eval.harness"} <= set(MODULES)
    assert len(GRAPH) == len(MODULES) > 100


def test_every_module_has_a_stage() -> None:
    for module in MODULES:
        _stage(module)


def test_no_module_imports_from_a_later_stage() -> None:
    """Type-only imports (``if TYPE_CHECKING``) included: they name a later stage too."""
    upward = [f"{m} ({STAGES[_stage(m)][0]}) imports {t} ({STAGES[_stage(t)][0]})"
              for m, targets in GRAPH.items() for t in targets if _stage(t) > _stage(m)]
    assert upward == []


LIBRARY = ("rag.ingest", "rag.encoders", "rag.index", "rag.query", "rag.answer")


def test_library_modules_never_import_the_settings() -> None:
    """The stages receive their own options objects (``Settings.encoder_options()``,
    ``index_options()``…), built by the service layer; none imports ``rag.settings``, not
    even for a type."""
    library = [m for m in GRAPH if any(m == p or m.startswith(p + ".") for p in LIBRARY)]
    assert len(library) > 40
    assert [m for m in library if "rag.settings" in GRAPH[m]] == []


def test_no_import_circles() -> None:
    """Every import that runs, at module level or inside a function, counts; only type-only
    imports are left out (they run for the type checker, never in the service)."""
    graph = {m: {t for t, runs in targets.items() if runs} for m, targets in GRAPH.items()}
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        pytest.fail(f"import circle: {' → '.join(exc.args[1])}")


def test_the_check_finds_a_circle() -> None:
    """The graph check itself: a circle through a function-level import is found."""
    with pytest.raises(CycleError):
        tuple(TopologicalSorter({"a": {"b"}, "b": {"c"}, "c": {"a"}}).static_order())


def test_project_imports_sit_at_module_top() -> None:
    """No project module is imported inside a function, except the Qdrant store (its client
    is the optional 'qdrant' extra), OCR, looked up when a PDF page has no text layer, and
    the server stack, which the command line loads only for `rag serve` and `rag mcp`."""
    allowed = {("rag.index.build", "rag.index.stores.qdrant"),
               ("rag.index.load", "rag.index.stores.qdrant"),
               ("rag.ingest.sources.pdf", "rag.ingest.sources.ocr"),
               ("rag.cli", "api.deps"), ("rag.cli", "api.server"),
               ("rag.cli", "api.mcp_server")}
    inside = set()
    for module, path in MODULES.items():
        for function in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    target = _target(node.module)
                    if target:
                        inside.add((module, target))
                elif isinstance(node, ast.Import):
                    inside |= {(module, t) for a in node.names if (t := _target(a.name))}
    assert inside <= allowed, sorted(inside - allowed)
