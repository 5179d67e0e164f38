"""Markdown files with markdown-it-py (CommonMark, plus tables and strikethrough), read through
the HTML reader so that both formats give the same blocks: ATX and Setext headings at their
level, emphasis, code, links (their text) and images (dropped) reduced to text, bullet lists as
bullets, numbered lists as the HTML reader takes ordered lists (paragraph numbering or list
items). Indented code blocks are not recognised: an indented line in a document is text.
A YAML front matter block (``---`` … ``---``) is not text; its ``title:`` is the title.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from rag.ingest.sources.html import parse_html

_FRONT_MATTER = re.compile(
    r"\A---[ \t]*\n([A-Za-z_][\w-]*[ \t]*:.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_TITLE_FIELD = re.compile(r"^title[ \t]*:[ \t]*(.+?)[ \t]*$", re.MULTILINE | re.IGNORECASE)


def split_front_matter(text: str) -> tuple[str, str | None]:
    """The text without its YAML front matter, and the front matter's ``title``."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return text, None
    title = _TITLE_FIELD.search(m.group(1))
    value = title.group(1).strip().strip("\"'").strip() if title else ""
    return text[m.end():], value or None


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"]).disable("code")
    # a soft line break is a space (a wrapped line), not a forced line break
    md.add_render_rule("softbreak", lambda *_: " ")
    return md


def markdown_to_html(text: str) -> str:
    """The HTML of a Markdown text."""
    return _parser().render(text)


def parse_markdown(text: str) -> tuple[str, str | None]:
    """Seed-shaped text of a Markdown document, and its title (the front matter's, else its
    first ``#`` heading)."""
    text, declared = split_front_matter(text)
    shaped, first_heading = parse_html(markdown_to_html(text))
    return shaped, declared or first_heading
