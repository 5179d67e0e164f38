"""Command line: ``rag index | add | remove | documents | search | ask | passages | eval |
feedback | serve | mcp``. ``eval`` lives in the ``eval`` package, which ``rag`` names but never
imports by itself (:data:`PLUGIN_COMMANDS`)."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, get_args

from rag import corpus  # module attributes, looked up when a command runs
from rag.answer.registry import COMPOSER_NAMES, DEFAULT_COMPOSER, composer_help
from rag.answer.render import answer_json, format_answer
from rag.answer.serialize import hit_json, passage_json
from rag.errors import RagError
from rag.feedback import draft_gold_items, read_feedback, summarize
from rag.index.build import build_index
from rag.index.manifest import read_manifest
from rag.ingest.chunking import chunk_document
from rag.ingest.documents import load_corpus
from rag.ingest.sources.ocr import recognise_once
from rag.pipeline import Pipeline
from rag.query.citations import citation_label
from rag.records import IndexKind, IndexSpec
from rag.settings import PROJECT_ROOT, Settings, get_settings, settings_report

#: Commands that packages built on ``rag`` provide: name → (help, module). The module is
#: imported by name only when its command runs, and gets the arguments after the command:
#: it has ``main(argv: list[str], settings) -> int`` and parses them itself.
PLUGIN_COMMANDS: dict[str, tuple[str, str]] = {
    "eval": ("evaluate on gold questions; compare, export or validate (see eval/README.md; "
             "rag eval --help)", "eval.cli"),
}


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False))


def read_batch(path: Path) -> Iterator[tuple[Any, str]]:
    """(id, question) pairs from a file: one question per line (id None), or JSON Lines
    with a ``question`` field and an optional ``id``."""
    for n, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                row = json.loads(line)
                yield row.get("id"), str(row["question"])
            except (json.JSONDecodeError, KeyError, AttributeError) as exc:
                raise RagError(f"{path}:{n}: expected a JSON object with a 'question' "
                               f"field ({exc})") from exc
        else:
            yield None, line


def _with_id(item_id: Any, obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` led by the input's ``id`` (unchanged when the input had none)."""
    return obj if item_id is None else {"id": item_id, **obj}


def _step(message: str) -> None:
    print(message, file=sys.stderr)


def _report_build(report_json: dict[str, Any], path: Path | None, as_json: bool) -> None:
    if as_json:
        _print_json(report_json)
        return
    for change in report_json.get("changes", []):
        print(f"{change['action']:>9}  {change['doc_id']}  ({change['file']})")
    if path is None:
        print("nothing to do: the index is up to date")
    else:
        print(f"index {path}: {report_json['documents']} documents; embedded "
              f"{report_json['embedded_texts']} texts, {report_json['cached_texts']} from the "
              f"cache, in {report_json['seconds']:.1f} s")


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    started = time.perf_counter()
    embedder = corpus.build_embedder(settings)  # the build shows one bar: texts/s and time left
    spec = settings.index_spec()
    if args.kind:
        spec = IndexSpec(args.kind, spec.nlist, spec.nprobe, spec.hnsw_m, spec.hnsw_ef_search)
    with corpus.corpus_lock(settings), recognise_once(corpus.ocr_folder(settings)):
        path = build_index(settings.index_options(), embedder, spec=spec, on_step=_step,
                           show_progress=not args.quiet)
    stats = getattr(embedder, "stats", None)
    report = corpus.ChangeReport([], path, getattr(stats, "embedded", 0), getattr(stats, "hits", 0),
                          time.perf_counter() - started, read_manifest(path).documents)
    _report_build(report.as_json(), path, False)
    print(f"built {path} in {time.perf_counter() - started:.1f} s")
    return 0


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    report = corpus.add_documents(settings, args.paths, on_step=None if args.json else _step)
    _report_build(report.as_json(), report.index, args.json)
    return 0


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    report = corpus.remove_documents(settings, args.doc_ids, on_step=None if args.json else _step)
    _report_build(report.as_json(), report.index, args.json)
    return 0


def cmd_documents(args: argparse.Namespace, settings: Settings) -> int:

    docs = corpus.list_documents(settings)
    if args.json:
        for doc in docs:
            _print_json({k: v for k, v in asdict(doc).items() if k != "extra"})
        return 0
    rows = [("id", "symbol", "passages", "format", "added", "title")] + [
        (d.id, d.symbol or "–", str(d.passages), d.format or "–",
         (d.added or "–")[:16].replace("T", " "), d.title[:70]) for d in docs]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for row in rows:
        cells = [row[i].rjust(widths[i]) if i == 2 else row[i].ljust(widths[i])
                 for i in range(5)]
        print("  ".join([*cells, row[5]]))
    return 0


def _pipeline(settings: Settings):
    return Pipeline.load(settings)


def _print_hits(query: str, hits: list[Any]) -> None:
    print(f"\n{query}")
    for rank, hit in enumerate(hits, start=1):
        label = citation_label(hit.document, hit.passage)
        print(f"\n[{rank}] {label}  (score {hit.score:.4f})")
        if hit.passage.section:
            print(f"    {' > '.join(hit.passage.section[-2:])}")
        print(f"    {hit.passage.text}")


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    pipe = _pipeline(settings)
    queries = list(read_batch(args.batch)) if args.batch else [(None, args.query)]
    for item_id, query in queries:
        hits = pipe.search(query, args.k, args.doc)
        if args.json or args.batch:
            _print_json(_with_id(item_id, {"query": query,
                                           "hits": [hit_json(h) for h in hits]}))
        else:
            _print_hits(query, hits)
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    pipe = _pipeline(settings)
    questions = list(read_batch(args.batch)) if args.batch else [(None, args.question)]
    history = read_history(args.history) if args.history else None
    for item_id, question in questions:
        answer = pipe.ask(question, k=args.k, documents=args.doc, composer=args.composer,
                          history=history)
        if args.json or args.batch:
            _print_json(_with_id(item_id, answer_json(answer)))
        else:
            print(format_answer(answer))
    return 0


def read_history(path: Path) -> list[tuple[str, str]]:
    """Earlier turns from a JSON file: a list of ``{"role": "user"|"assistant", "content":
    …}`` (the messages an OpenAI client sends; other roles are skipped)."""
    try:
        rows = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise RagError(f"Cannot read the conversation {path}: {exc}") from exc
    if not isinstance(rows, list) or not all(
            isinstance(r, dict) and isinstance(r.get("content"), str) for r in rows):
        raise RagError(f"{path}: expected a JSON list of {{\"role\", \"content\"}} messages")
    return [(r["role"], r["content"]) for r in rows if r.get("role") in ("user", "assistant")]


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    pipe = _pipeline(settings)
    history: list[tuple[str, str]] = []
    print("Posez une question (ligne vide ou Ctrl-D pour finir) / Ask a question "
          "(empty line or Ctrl-D to end).")
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            break
        if not question:
            break
        answer = pipe.ask(question, k=args.k, composer=args.composer, history=history)
        print(format_answer(answer), end="\n\n")
        history += [("user", question), ("assistant", answer.text)]
    return 0


def cmd_passages(args: argparse.Namespace, settings: Settings) -> int:
    docs = load_corpus(settings.seeds_dir, settings.catalog_path)
    wanted = [d for d in docs if not args.doc or d.id in args.doc or d.meta.file in args.doc
              or (d.meta.symbol and d.meta.symbol in args.doc)]
    if args.doc and not wanted:
        raise RagError(f"No document {args.doc}; known: {', '.join(d.id for d in docs)}")
    for doc in wanted:
        passages = chunk_document(doc, settings.chunk_options())
        if not args.json:
            print(f"# {doc.id}  {doc.meta.symbol or ''}  {len(passages)} passages\n")
        for p in passages:
            if args.json:
                _print_json(passage_json(p, doc.meta))
            else:
                print(f"[{p.id}] {citation_label(doc.meta, p)}  ({p.kind}, {len(p.text)} chars)")
                if p.section:
                    print(f"  section: {' > '.join(p.section)}")
                if p.context:
                    print(f"  context: {p.context[:100]}")
                print(f"  {p.text}\n")
    return 0


def cmd_feedback(args: argparse.Namespace, settings: Settings) -> int:
    path = settings.feedback_options().path
    log = read_feedback(path)
    if args.action == "export":
        items = list(draft_gold_items(log.records, args.verdict))
        text = "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items)
        if args.out:
            args.out.write_text(text, "utf-8")
            print(f"{len(items)} draft gold question(s) in {args.out}; `rag eval validate "
                  f"{args.out}` lists what each still needs", file=sys.stderr)
        else:
            sys.stdout.write(text)
        if log.skipped:
            print(f"{log.skipped} unreadable line(s) of {path} skipped", file=sys.stderr)
        return 0
    counts = summarize(log)
    if args.json:
        _print_json({"file": str(path), **counts})
        return 0
    print(f"{path}: {counts['records']} record(s) on {counts['answers']} answer(s): "
          f"{counts['up']} 👍, {counts['down']} 👎 (latest verdict of each answer), "
          f"{counts['with_comment']} with a comment")
    if counts["first"]:
        print(f"from {counts['first']} to {counts['last']}")
    if counts["skipped_lines"]:
        print(f"{counts['skipped_lines']} unreadable line(s) skipped")
    return 0


def cmd_plugin(args: argparse.Namespace, settings: Settings) -> int:
    _, module = PLUGIN_COMMANDS[args.command]
    if str(PROJECT_ROOT) not in sys.path and (PROJECT_ROOT / module.partition(".")[0]).is_dir():
        # eval/ is part of the checkout (with its gold files), not an installed package
        sys.path.append(str(PROJECT_ROOT))
    try:
        plugin = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module.partition(".")[0]:
            raise
        raise RagError(f"rag {args.command} needs the {exc.name!r} package of a source "
                       "checkout of unrag") from exc
    return plugin.main(args.plugin_argv, settings)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    # the server stack (FastAPI, uvicorn, MCP: 0.7 s of imports) loads only for the commands
    # that serve, so that `rag --help`, `rag ask` and the rest start without it
    import uvicorn  # noqa: PLC0415

    from api.deps import check_startup  # noqa: PLC0415
    from api.server import uvicorn_options  # noqa: PLC0415

    check_startup(settings)  # a clear "error:" and exit 2, before uvicorn starts

    # an import string (not an app object) so that --workers N can start N processes; the
    # options (timeouts, header-timed protocol) are picklable and reach every worker
    uvicorn.run("api.main:create_app", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_level="info", **uvicorn_options(settings))
    return 0


def cmd_settings(args: argparse.Namespace, settings: Settings) -> int:
    rows = settings_report(settings)
    if args.json:
        for row in rows:
            _print_json(row)
        return 0
    group = None
    for row in rows:
        if row["group"] != group:
            print(f"{'' if group is None else chr(10)}# {row['group']}")
            group = row["group"]
        value = json.dumps(row["value"], ensure_ascii=False)
        default = json.dumps(row["default"], ensure_ascii=False)
        source = row["source"]
        note = source if source == "default" else f"{source}; default {default}"
        print(f"{row['variable']}={value}  ({note})")
        print(textwrap.fill(row["description"], 96, initial_indent="    ",
                            subsequent_indent="    "))
    return 0


def cmd_mcp(args: argparse.Namespace, settings: Settings) -> int:
    from api.mcp_server import local_server  # noqa: PLC0415  (the server stack: see cmd_serve)

    local_server(settings).run("stdio")  # the index loads on the first tool call
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(prog="rag", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("add", help="add or replace documents (PDF, DOCX, HTML, TXT, MD "
                                   "files or folders) and update the index")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                   help="document file, or folder (its supported files, recursively)")
    p.add_argument("--json", action="store_true", help="print the change report as JSON")
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("remove", help="remove documents by id and update the index")
    p.add_argument("doc_ids", nargs="+", metavar="DOC_ID",
                   help="document id (see rag documents), file name or symbol")
    p.add_argument("--json", action="store_true", help="print the change report as JSON")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("documents", help="list the indexed documents")
    p.add_argument("--json", action="store_true", help="JSON Lines")
    p.set_defaults(func=cmd_documents)

    p = sub.add_parser("index", help="rebuild the index from the seeds folder")
    p.add_argument("--kind", default=None, choices=get_args(IndexKind),
                   help="FAISS structure (default: RAG_INDEX_KIND, auto)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_index)

    for name, func, positional in (("search", cmd_search, "query"), ("ask", cmd_ask, "question")):
        p = sub.add_parser(name, help=f"{name} the documents")
        p.add_argument(positional, nargs="?", help="text (omit with --batch)")
        p.add_argument("-k", "--k", type=int, default=None, help="number of passages")
        p.add_argument("--doc", action="append", help="restrict to a document id or symbol")
        p.add_argument("--json", action="store_true", help="JSON output")
        p.add_argument("--batch", type=Path, help="file of questions (lines or JSONL); "
                                                  "prints JSON Lines")
        if name == "ask":
            p.add_argument("--composer", default=None, choices=COMPOSER_NAMES,
                           help=f"default: RAG_COMPOSER, {DEFAULT_COMPOSER}. {composer_help()}")
            p.add_argument("--history", type=Path, help="earlier turns of a conversation "
                           "(JSON list of role/content messages): the question is a follow-up")
        p.set_defaults(func=func, positional=positional)

    p = sub.add_parser("chat", help="a conversation: each question may follow up on the "
                                    "ones before")
    p.add_argument("-k", "--k", type=int, default=None, help="number of passages")
    p.add_argument("--composer", default=None, choices=COMPOSER_NAMES,
                   help=f"default: RAG_COMPOSER, {DEFAULT_COMPOSER}")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("passages", help="print the passages of the seed documents")
    p.add_argument("--doc", action="append", help="document id, file or symbol")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_passages)

    p = sub.add_parser("feedback", help="evaluators' verdicts (POST /v1/feedback): counts, "
                                        "or export them as draft gold questions")
    p.add_argument("action", nargs="?", choices=["summary", "export"], default="summary",
                   help="summary (default): counts; export: draft gold questions (JSON "
                        "Lines, the format of eval/README.md) for rag eval validate")
    p.add_argument("--out", type=Path, help="export: file to write (default: stdout)")
    p.add_argument("--verdict", choices=["up", "down", "all"], default="all",
                   help="export: only answers whose latest verdict is this (default: all)")
    p.add_argument("--json", action="store_true", help="summary: as a JSON object")
    p.set_defaults(func=cmd_feedback)

    for name, (help_text, _) in PLUGIN_COMMANDS.items():
        # its arguments are the plugin's own (main() hands them over unparsed)
        p = sub.add_parser(name, help=help_text, add_help=False)
        p.set_defaults(func=cmd_plugin, plugin_argv=[])

    p = sub.add_parser("serve", help="run the HTTP API and web page")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    p.add_argument("--port", type=int, default=8000, help="TCP port")
    p.add_argument("--workers", type=int, default=1, help="server processes (each follows "
                                                            "index rebuilds on its own)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("settings", help="every setting: its RAG_ variable, value, default, "
                                        "source (env, .env or default) and description")
    p.add_argument("--json", action="store_true", help="JSON Lines, one setting a line")
    p.set_defaults(func=cmd_settings)

    p = sub.add_parser("mcp", help="serve the tools to an MCP client (agent, desktop app) "
                                   "over stdin/stdout")
    p.set_defaults(func=cmd_mcp)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rag`` console script."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    # the first word that is not an option is the command (rag's own options take no value)
    at = next((i for i, word in enumerate(argv) if not word.startswith("-")), len(argv))
    plugin_argv = argv[at + 1:] if at < len(argv) and argv[at] in PLUGIN_COMMANDS else None
    args = parser.parse_args(argv if plugin_argv is None else argv[:at + 1])
    if plugin_argv is not None:
        args.plugin_argv = plugin_argv
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    positional = getattr(args, "positional", None)
    if positional and not getattr(args, positional) and not args.batch:
        parser.error(f"give a {positional} or --batch FILE")
    run: Callable[[argparse.Namespace, Settings], int] = args.func
    try:
        return run(args, get_settings())
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if getattr(args, "json", False):
            _print_json({"error": {"code": type(exc).__name__, "message": str(exc)}})
        return 2
    except BrokenPipeError:  # output piped into head & co.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
