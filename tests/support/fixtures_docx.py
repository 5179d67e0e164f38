"""Render a seed document as a Word file with python-docx: numbered paragraphs and lettered
items through Word's automatic numbering, bullets by style, headings by style, a page header
and footer, and real footnotes (``word/footnotes.xml``)."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import docx
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.text.paragraph import Paragraph

from tests.support.fixtures_sources import SeedStructure, words_with_calls

_FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
_FOOTNOTES_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"


class _Numbering:
    """Word list definitions: a new list (abstractNum + num) for every restart."""

    def __init__(self, document: docx.document.Document) -> None:
        self.element = document.part.numbering_part.element
        self.next_id = 100

    def new_list(self, fmt: str, text: str, start: int) -> int:
        nid = self.next_id
        self.next_id += 1
        self.element.insert(0, parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{nid}">'
            '<w:multiLevelType w:val="singleLevel"/><w:lvl w:ilvl="0">'
            f'<w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/>'
            '</w:lvl></w:abstractNum>'))
        self.element.append(parse_xml(
            f'<w:num {nsdecls("w")} w:numId="{nid}"><w:abstractNumId w:val="{nid}"/></w:num>'))
        return nid


def _number(paragraph: Paragraph, num_id: int) -> None:
    paragraph._p.get_or_add_pPr().append(parse_xml(
        f'<w:numPr {nsdecls("w")}><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr>'))


def _fill(paragraph: Paragraph, text: str, calls: tuple[int, ...]) -> None:
    """Write ``text`` with footnote references after the words that call them."""
    buffer = ""
    for i, (word, call, tail) in enumerate(words_with_calls(text, calls)):
        buffer += (" " if i else "") + word
        if call:
            paragraph.add_run(buffer)
            ref = paragraph.add_run()
            ref.font.superscript = True
            ref._r.append(parse_xml(f'<w:footnoteReference {nsdecls("w")} w:id="{call}"/>'))
            buffer = ""
        buffer += tail
    paragraph.add_run(buffer)


def _add_footnotes(document: docx.document.Document, notes: dict[int, str]) -> None:
    body = "".join(
        f'<w:footnote w:id="{n}"><w:p><w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
        f'<w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> {escape(text)}</w:t></w:r>'
        '</w:p></w:footnote>' for n, text in sorted(notes.items()))
    xml = (f'<w:footnotes {nsdecls("w", "r")}>'
           '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
           '</w:footnote><w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r>'
           f'<w:continuationSeparator/></w:r></w:p></w:footnote>{body}</w:footnotes>')
    part = Part(PackURI("/word/footnotes.xml"), _FOOTNOTES_TYPE, xml.encode(),
                document.part.package)
    document.part.relate_to(part, _FOOTNOTES_REL)


def render_docx(structure: SeedStructure, path: Path) -> Path:
    """Write ``structure`` as a ``.docx`` file at ``path``."""
    document = docx.Document()
    numbering = _Numbering(document)
    section = document.sections[0]
    section.header.paragraphs[0].text = structure.symbol or structure.stem
    section.footer.paragraphs[0].text = f"{structure.job or '00-00000'} – page"
    for line in structure.masthead:
        document.add_paragraph(line)
    last_number, last_letter = 0, ""
    list_id = item_id = 0  # 0: no list yet
    for block in structure.blocks:
        if block.kind == "heading":
            _fill(document.add_heading(level=min(block.level + 1, 9)), block.text,
                  block.footnotes)
            continue
        paragraph = document.add_paragraph(style="List Bullet" if block.kind == "bullet"
                                           else None)
        if block.kind == "signature":
            head, _, signed = block.text.partition(" (Signé)")
            paragraph.add_run(head)
            if signed:
                paragraph.add_run().add_break()
                paragraph.add_run("(Signé)" + signed)
            continue
        if block.kind == "item" and block.letter:
            if block.letter == "a" or ord(block.letter) != ord(last_letter or "a") + 1:
                item_id = numbering.new_list("lowerLetter", "%1)", ord(block.letter) - 96)
            _number(paragraph, item_id)
            last_letter = block.letter
        elif block.number is not None:
            if not list_id or block.number != last_number + 1:
                list_id = numbering.new_list("decimal", "%1.", block.number)
            _number(paragraph, list_id)
            last_number = block.number
        _fill(paragraph, block.text, block.footnotes)
    if structure.footnotes:
        _add_footnotes(document, structure.footnotes)
    document.save(str(path))
    return path


def add_list(document: docx.document.Document, levels: list[tuple[str, str]],
             start: int = 1) -> int:
    """A multilevel Word list definition (one ``(numFmt, lvlText)`` per level, e.g.
    ``("upperRoman", "%1.")``); returns its numId."""
    numbering = document.part.numbering_part.element
    nid = 200 + len(numbering.findall(f"{{{numbering.nsmap['w']}}}num"))
    lvls = "".join(
        f'<w:lvl w:ilvl="{k}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>'
        f'<w:lvlText w:val="{text}"/></w:lvl>' for k, (fmt, text) in enumerate(levels))
    numbering.insert(0, parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{nid}">'
        f'<w:multiLevelType w:val="multilevel"/>{lvls}</w:abstractNum>'))
    numbering.append(parse_xml(
        f'<w:num {nsdecls("w")} w:numId="{nid}"><w:abstractNumId w:val="{nid}"/></w:num>'))
    return nid


def number_style(document: docx.document.Document, style: str, num_id: int,
                 ilvl: int = 0) -> None:
    """Number every paragraph of ``style`` through the style itself (as Word's List Number
    does), with level ``ilvl`` of list ``num_id``."""
    ppr = document.styles[style].element.get_or_add_pPr()
    for old in ppr.findall(f"{{{ppr.nsmap['w']}}}numPr"):
        ppr.remove(old)
    ppr.insert(0, parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{ilvl}"/>'
                            f'<w:numId w:val="{num_id}"/></w:numPr>'))


def number_paragraph(paragraph: Paragraph, num_id: int, ilvl: int = 0) -> None:
    """Number ``paragraph`` directly (numbering set on the paragraph, not its style)."""
    paragraph._p.get_or_add_pPr().append(parse_xml(
        f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/>'
        '</w:numPr>'))
