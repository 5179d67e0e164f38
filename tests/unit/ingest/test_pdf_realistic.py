"""PDFs made the way a user might make them with reportlab, in a layout unlike
tests/support/fixtures_pdf.py: Helvetica (standard font), wide left margin, numbered paragraphs
with a hanging indent, a running header with the symbol and a ``Page n`` footer, footnote calls
and markers as superscript characters (``¹``) or as small raised digits, words hyphenated at
line ends, a paragraph that runs over a page break, and the masthead on one line or in two
columns. Read back through rag.documents.load_document, they must give the passages of the
text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from rag.ingest.documents import load_document
from rag.ingest.sources.pdf import pdf_title, read_pdf
from rag.records import Document, Passage
from rag.settings import Settings

FONT, BOLD = "Helvetica", "Helvetica-Bold"
BODY, LEADING, NOTE, NOTE_LEADING = 11.0, 16.0, 8.0, 10.0
SMALL_CALL, SMALL_RISE = 6.5, 4.0
LEFT, RIGHT = 85.0, A4[0] - 100.0
HANG = 28.0  # hanging indent of numbered paragraphs
TOP_FIRST, TOP, BOTTOM = 690.0, 780.0, 100.0
SYMBOL = "A/80/777"
SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_VOWELS = set("aeiouyàâéèêëîïôûù")

# (number, text): ``{n}`` is a footnote call; notes 1 and 2 are set as superscript characters
# (``¹``, ``²``: the glyphs Helvetica has), notes 3 and 4 as small raised digits
PARAGRAPHS = [
    "Le présent rapport est soumis en application de la résolution 79/123 de l’Assemblée "
    "générale, dans laquelle l’Assemblée a prié le Secrétaire général de lui rendre compte de "
    "la coopération entre les États riverains de l’Arctique{1}. Il rend compte des initiatives "
    "prises depuis la publication du précédent rapport et présente des recommandations sur les "
    "moyens de renforcer la coordination internationale dans la région.",
    "Les changements climatiques transforment rapidement l’environnement arctique. La fonte de "
    "la banquise ouvre de nouvelles routes maritimes, facilite l’exploitation des ressources "
    "naturelles et expose les communautés autochtones à des risques accrus. Les organisations "
    "régionales ont multiplié les consultations afin de concilier la protection des "
    "écosystèmes fragiles et le développement économique des territoires septentrionaux.",
    "Les États Membres ont souligné la nécessité d’une approche intégrée, associant la "
    "recherche scientifique, la surveillance environnementale et la participation des peuples "
    "autochtones{2}. Plusieurs délégations ont rappelé que la coopération scientifique était "
    "restée possible même lorsque les relations politiques étaient tendues, et que les "
    "programmes communs de surveillance de la banquise avaient contribué à la préparation des "
    "interventions d’urgence et à la sécurité de la navigation dans les eaux polaires. Elles "
    "ont encouragé le partage systématique des données et la mise en commun des moyens "
    "logistiques des stations de recherche.",
    "La sécurité maritime demeure une préoccupation majeure. Le trafic commercial le long de "
    "la route maritime du Nord a augmenté de manière considérable au cours de la dernière "
    "décennie{3}, ce qui accroît le risque de déversements d’hydrocarbures dans des zones où "
    "les capacités d’intervention sont limitées. L’Organisation maritime internationale a "
    "adopté des mesures complémentaires pour les navires exploités dans les eaux polaires.",
    "Les communautés autochtones ont insisté sur le respect de leurs droits et de leurs savoirs "
    "traditionnels. Elles ont demandé à être associées dès le départ à la conception des "
    "projets d’infrastructure, de transport et d’extraction, et à bénéficier équitablement des "
    "retombées économiques. Le Secrétaire général salue les mécanismes de consultation mis en "
    "place par certains États et encourage leur généralisation à l’ensemble de la région.",
    "La coopération en matière de recherche et de sauvetage s’est renforcée grâce aux accords "
    "conclus entre les États de la région{4}. Des exercices conjoints sont organisés chaque "
    "année et les centres de coordination échangent désormais leurs informations en temps "
    "réel. Les participants ont toutefois relevé l’insuffisance des moyens aériens et "
    "navals disponibles pour couvrir des distances aussi considérables.",
    "Le financement des activités de surveillance reste fragmenté. Les contributions "
    "volontaires ne permettent pas d’assurer la continuité des séries d’observation à long "
    "terme, pourtant indispensables à la compréhension des évolutions climatiques. Plusieurs "
    "intervenants ont proposé la création d’un fonds commun, administré de manière "
    "transparente et ouvert aux contributions des États non riverains et du secteur privé.",
    "Les participants ont également examiné les conséquences économiques de l’ouverture des "
    "voies de navigation. Le développement du tourisme de croisière, de la pêche commerciale "
    "et de l’extraction minière suscite des attentes importantes dans les collectivités "
    "locales, mais il exige des investissements considérables dans les ports, les "
    "télécommunications et les services de santé, que les budgets régionaux ne peuvent "
    "assumer seuls.",
    "Plusieurs organismes des Nations Unies apportent un appui technique aux États de la "
    "région. Le Programme des Nations Unies pour l’environnement coordonne l’évaluation des "
    "polluants persistants, tandis que l’Organisation météorologique mondiale contribue à "
    "l’amélioration des prévisions saisonnières et des services climatologiques destinés aux "
    "populations isolées et aux opérateurs de transport.",
    "Le Secrétaire général recommande aux États Membres de renforcer les mécanismes existants "
    "de coopération régionale, d’accroître leur soutien aux programmes de recherche "
    "scientifique et de garantir la participation pleine et effective des peuples autochtones "
    "à toutes les décisions qui les concernent. Il les invite également à envisager "
    "l’élaboration d’un cadre commun pour la prévention des pollutions et l’intervention "
    "d’urgence, qui tienne compte des particularités de l’environnement polaire.",
    "Enfin, le Secrétaire général souligne que l’Arctique doit demeurer une zone de paix, de "
    "stabilité et de coopération constructive. Il se félicite de l’engagement renouvelé des "
    "États de la région en faveur du dialogue et encourage la communauté internationale à "
    "appuyer leurs efforts, dans le respect du droit international et des instruments "
    "applicables, notamment la Convention des Nations Unies sur le droit de la mer.",
]
FOOTNOTES = {
    1: "Canada, Danemark, États-Unis d’Amérique, Fédération de Russie, Finlande, Islande, "
       "Norvège et Suède.",
    2: "Voir la Déclaration sur les droits des peuples autochtones, adoptée par l’Assemblée "
       "générale dans sa résolution 61/295.",
    3: "Données communiquées par l’administration de la route maritime du Nord.",
    4: "Accord sur la coopération en matière de recherche et de sauvetage aéronautiques et "
       "maritimes dans l’Arctique, signé à Nuuk le 12 mai 2011.",
}
SUPERSCRIPT_NOTES = {1, 2}
HEADINGS = {1: "I. Introduction", 4: "II. Sécurité et coopération", 10: "III. Recommandations"}


@dataclass
class _Word:
    text: str
    call: int | None = None  # footnote called right after the word
    tail: str = ""  # punctuation after the call


@dataclass
class _Page:
    lines: list[tuple[float, float, str, list[_Word]]] = field(default_factory=list)
    notes: list[int] = field(default_factory=list)


@dataclass
class Typeset:
    """What was set: the words split at line ends and the words on each side of a page
    break inside a paragraph."""

    hyphenated: list[tuple[str, str]] = field(default_factory=list)
    page_breaks: list[tuple[int, str, str]] = field(default_factory=list)  # (par., last, next)
    pages: int = 0


def _words(text: str) -> list[_Word]:
    out = []
    for raw in text.split():
        m = re.fullmatch(r"(.*?)\{(\d)\}(.*)", raw)
        out.append(_Word(m.group(1), int(m.group(2)), m.group(3)) if m else _Word(raw))
    return out


def _call_text(n: int) -> str:
    return str(n).translate(SUPERSCRIPTS) if n in SUPERSCRIPT_NOTES else str(n)


def _word_width(word: _Word, font: str = FONT) -> float:
    width = stringWidth(word.text + word.tail, font, BODY)
    if word.call is not None:
        size = BODY if word.call in SUPERSCRIPT_NOTES else SMALL_CALL
        width += stringWidth(_call_text(word.call), font, size)
    return width


def _note_lines(n: int) -> list[str]:
    lines, cur = [], ""
    for word in FOOTNOTES[n].split():
        trial = f"{cur} {word}" if cur else word
        if stringWidth(trial, FONT, NOTE) > RIGHT - LEFT - 12:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    return [*lines, cur]


def _split(word: _Word, room: float) -> tuple[_Word, _Word] | None:
    """Hyphenate between a vowel and a consonant followed by a vowel, as far right as fits."""
    text = word.text
    if word.call is not None or not re.fullmatch(r"[^\W\d_]+", text) or len(text) < 8:
        return None
    low = text.lower()
    for k in range(len(text) - 3, 2, -1):
        if low[k - 1] in _VOWELS and low[k] not in _VOWELS and low[k + 1] in _VOWELS:
            head = text[:k] + "-"
            if stringWidth(head, FONT, BODY) <= room:
                return _Word(head), _Word(text[k:], word.call, word.tail)
    return None


class _Setter:
    def __init__(self, gap: float) -> None:
        self.gap = gap
        self.pages = [_Page()]
        self.y = TOP_FIRST
        self.record = Typeset()

    def _notes_height(self, extra: list[int]) -> float:
        notes = self.pages[-1].notes + extra
        rows = sum(len(_note_lines(n)) for n in notes)
        return rows * NOTE_LEADING + 10 if rows else 0.0

    def _place(self, x: float, font: str, words: list[_Word], before: float) -> bool:
        """Place one line; True when it went to a new page."""
        calls = [w.call for w in words if w.call is not None]
        new_page = self.y - before - LEADING < BOTTOM + self._notes_height(calls)
        if new_page:
            self.pages.append(_Page())
            self.y = TOP
        else:
            self.y -= before + LEADING
        self.pages[-1].lines.append((x, self.y, font, words))
        self.pages[-1].notes += calls
        return new_page

    def block(self, words: list[_Word], font: str, first_x: float, x: float,
              before: float, number: int | None = None, label: str | None = None) -> None:
        queue, line, used = list(words), [], 0.0
        space = stringWidth(" ", font, BODY)
        start, lines_placed, last = first_x, 0, ""
        while queue:
            word = queue.pop(0)
            room = RIGHT - start - used - (space if line else 0.0)
            if _word_width(word, font) <= room:
                line.append(word)
                used += (space if len(line) > 1 else 0.0) + _word_width(word, font)
                continue
            split = _split(word, room) if line and font == FONT else None
            if split:
                line.append(split[0])
                queue.insert(0, split[1])
                self.record.hyphenated.append((split[0].text[:-1], split[1].text))
            else:
                queue.insert(0, word)
            moved = self._place(start, font, line, before if lines_placed == 0 else 0.0)
            if moved and lines_placed and number is not None:
                self.record.page_breaks.append((number, last, line[0].text))
            if lines_placed == 0 and label is not None:  # in the hanging indent
                self.pages[-1].lines.append((LEFT, self.y, FONT, [_Word(label)]))
            last = line[-1].text
            lines_placed += 1
            line, used, start = [], 0.0, x
        if line:
            moved = self._place(start, font, line, before if lines_placed == 0 else 0.0)
            if moved and lines_placed and number is not None:
                self.record.page_breaks.append((number, last, line[0].text))


def _draw_masthead(canvas: Canvas, style: str) -> None:
    if style == "oneline":
        canvas.setFont(FONT, 9)
        canvas.drawString(LEFT, 800, f"Nations Unies {SYMBOL} Assemblée générale "
                                     "Distr. générale 3 mars 2025")
    elif style == "organ":  # no "Nations Unies": the organ on the left, the rest on the right
        canvas.setFont(BOLD, 16)
        canvas.drawString(LEFT, 790, "Assemblée générale")
        canvas.drawRightString(RIGHT, 790, SYMBOL)
        canvas.setFont(FONT, 9)
        canvas.drawString(420, 770, "Distr. générale")
        canvas.drawString(420, 759, "3 mars 2025")
        canvas.drawString(420, 748, "Français")
    else:  # UN style: name and organ on the left, symbol and distribution on the right
        canvas.setFont(BOLD, 13)
        canvas.drawString(LEFT, 800, "Nations Unies")
        canvas.setFont(BOLD, 16)
        canvas.drawRightString(RIGHT, 800, SYMBOL)
        canvas.setFont(BOLD, 16)
        canvas.drawString(LEFT, 770, "Assemblée générale")
        canvas.setFont(FONT, 9)
        canvas.drawString(420, 776, "Distr. générale")
        canvas.drawString(420, 765, "3 mars 2025")
        canvas.drawString(420, 743, "Original : anglais")
    canvas.line(LEFT, 730, RIGHT, 730)


def _draw_word(canvas: Canvas, x: float, y: float, font: str, word: _Word) -> float:
    canvas.setFont(font, BODY)
    canvas.drawString(x, y, word.text)
    x += stringWidth(word.text, font, BODY)
    if word.call is not None:
        if word.call in SUPERSCRIPT_NOTES:  # the character ¹ in the body font, on the line
            canvas.drawString(x, y, _call_text(word.call))
            x += stringWidth(_call_text(word.call), font, BODY)
        else:
            canvas.setFont(font, SMALL_CALL)
            canvas.drawString(x, y + SMALL_RISE, str(word.call))
            x += stringWidth(str(word.call), font, SMALL_CALL)
            canvas.setFont(font, BODY)
    canvas.drawString(x, y, word.tail)
    return x + stringWidth(word.tail + " ", font, BODY)


def _draw_notes(canvas: Canvas, notes: list[int]) -> None:
    rows = sum(len(_note_lines(n)) for n in notes)
    y = BOTTOM + rows * NOTE_LEADING + 4
    canvas.line(LEFT, y, LEFT + 120, y)
    for n in notes:
        for k, text in enumerate(_note_lines(n)):
            y -= NOTE_LEADING
            canvas.setFont(FONT, NOTE)
            if k:
                canvas.drawString(LEFT + 12, y, text)
            elif n in SUPERSCRIPT_NOTES:  # "¹ Canada, …"
                canvas.drawString(LEFT, y, _call_text(n))
                canvas.drawString(LEFT + 12, y, text)
            else:  # a small raised digit
                canvas.setFont(FONT, 6)
                canvas.drawString(LEFT, y + 3, str(n))
                canvas.setFont(FONT, NOTE)
                canvas.drawString(LEFT + 12, y, text)


def build_pdf(path: Path, *, masthead: str = "oneline", gap: float = 6.0, hang: bool = True,
              title: str | None = None) -> Typeset:
    """Set the report into ``path``; ``gap`` is the space between paragraphs (0: none);
    ``hang``: paragraph numbers in a hanging indent, else at the start of the first line."""
    setter = _Setter(gap)
    setter.block(_words("Coopération dans l’Arctique"), BOLD, LEFT, LEFT, 0.0)
    setter.block(_words("Rapport du Secrétaire général"), BOLD, LEFT, LEFT, 12.0)
    for number, text in enumerate(PARAGRAPHS, start=1):
        if number in HEADINGS:
            setter.block(_words(HEADINGS[number]), BOLD, LEFT, LEFT, 12.0)
        if hang:
            setter.block(_words(text), FONT, LEFT + HANG, LEFT + HANG, gap, number,
                         f"{number}.")
        else:
            setter.block(_words(f"{number}. {text}"), FONT, LEFT, LEFT, gap, number)
    canvas = Canvas(str(path), pagesize=A4, invariant=1)
    if title is not None:
        canvas.setTitle(title)
    total = len(setter.pages)
    for n, page in enumerate(setter.pages, start=1):
        if n == 1:
            _draw_masthead(canvas, masthead)
        else:
            canvas.setFont(FONT, 9)
            canvas.drawString(LEFT, 810, SYMBOL)
        canvas.setFont(FONT, 9)
        canvas.drawCentredString(A4[0] / 2, 35, f"Page {n}")
        for x, y, font, words in page.lines:
            cursor = x
            for word in words:
                cursor = _draw_word(canvas, cursor, y, font, word)
        if page.notes:
            _draw_notes(canvas, page.notes)
        canvas.showPage()
    canvas.save()
    setter.record.pages = total
    return setter.record


# (masthead, space between paragraphs, hanging indent)
VARIANTS = [("oneline", 6.0, True), ("columns", 0.0, True), ("columns", 6.0, False),
            ("oneline", 8.0, False), ("organ", 6.0, True)]


@pytest.fixture(scope="module", params=VARIANTS,
                ids=lambda v: f"{v[0]}-gap{v[1]:g}-{'hanging' if v[2] else 'inline'}")
def report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[Document, list[Passage], Typeset]:
    masthead, gap, hang = request.param
    path = tmp_path_factory.mktemp("realistic") / f"rapport_{masthead}_{gap:g}_{hang}.pdf"
    record = build_pdf(path, masthead=masthead, gap=gap, hang=hang)
    doc = load_document(path)
    from rag.ingest.chunking import chunk_document

    return doc, chunk_document(doc, Settings().chunk_options()), record


def test_fixture_is_three_pages_with_a_paragraph_over_a_page_break(
        report: tuple[Document, list[Passage], Typeset]) -> None:
    _, _, record = report
    assert record.pages == 3
    assert record.page_breaks and record.hyphenated


def test_numbered_paragraphs_and_headings(report: tuple[Document, list[Passage], Typeset]
                                          ) -> None:
    doc, passages, _ = report
    labels = [p.label for p in passages if p.kind == "paragraph"]
    assert labels == [str(n) for n in range(1, len(PARAGRAPHS) + 1)]
    headings = [b.text for b in doc.blocks if b.kind == "heading"]
    assert headings[:2] == ["Coopération dans l’Arctique", "Rapport du Secrétaire général"]
    assert [h for h in headings if h in HEADINGS.values()] == list(HEADINGS.values())
    by_label = {p.label: p for p in passages}
    assert by_label["5"].section[-1] == "II. Sécurité et coopération"


def test_paragraph_text_is_whole(report: tuple[Document, list[Passage], Typeset]) -> None:
    _, passages, record = report
    by_label = {p.label: p.text for p in passages}
    for number, text in enumerate(PARAGRAPHS, start=1):
        expected = re.sub(r"\{\d\}", "", text)
        assert by_label[str(number)] == expected, number
    for number, last, nxt in record.page_breaks:  # the paragraph runs on over the page
        joined = last[:-1] + nxt if last.endswith("-") else f"{last} {nxt}"
        assert joined in by_label[str(number)]


def test_footnotes_are_kept_apart_and_linked(report: tuple[Document, list[Passage], Typeset]
                                             ) -> None:
    doc, passages, _ = report
    assert doc.footnotes == FOOTNOTES
    by_label = {p.label: p for p in passages}
    calls = {1: "1", 2: "3", 3: "4", 4: "6"}
    for note, paragraph in calls.items():
        footnote = by_label[f"note {note}"]
        assert footnote.text == FOOTNOTES[note]
        assert footnote.parent == by_label[paragraph].id
        assert footnote.id in by_label[paragraph].footnotes
    for p in passages:
        assert not re.search(r"[^\W\d_][0-9¹²³⁴-⁹]", p.text), (p.label, p.text)
        assert "Canada, Danemark" not in p.text or p.kind == "footnote"


def test_masthead_is_metadata_and_a_passage_of_its_own(
        report: tuple[Document, list[Passage], Typeset]) -> None:
    from rag.ingest.cards import build_card

    doc, passages, _ = report
    assert doc.meta.symbol == SYMBOL and doc.meta.date == "2025-03-03"
    assert doc.meta.title == "Coopération dans l’Arctique"
    masthead = passages[0]  # cited by the document card, never content
    assert (masthead.kind, masthead.role) == ("masthead", "masthead")
    assert SYMBOL in masthead.text and "Distr. générale" in masthead.text
    card = build_card(doc, passages, None)
    assert card.get("symbol").value == SYMBOL
    assert card.get("distribution_date").iso == "2025-03-03"
    for p in passages[1:]:
        assert "Nations Unies A/80" not in p.text and "Distr." not in p.text, p.label
        assert not p.label.startswith("§"), (p.label, p.text)
        assert "Page " not in p.text


def test_hyphenated_words_are_joined(report: tuple[Document, list[Passage], Typeset]) -> None:
    _, passages, record = report
    text = " ".join(p.text for p in passages)
    for head, tail in record.hyphenated:
        assert f"{head}{tail}" in text and f"{head}-{tail}" not in text


def test_pdf_title(tmp_path: Path) -> None:
    cases = {"Coopération dans l’Arctique": "Coopération dans l’Arctique",
             "  Rapport annuel  ": "Rapport annuel", "": None, "Untitled": None,
             "untitled": None, "Microsoft Word - rapport_final.docx": None,
             "rapport_final.pdf": None, "C:\\Users\\x\\Documents\\A_80_777.docx": None,
             "A_80_777": None}
    for title, expected in cases.items():
        path = tmp_path / "t.pdf"
        build_pdf(path, title=title)
        assert pdf_title(path.read_bytes()) == expected, title
    build_pdf(path)  # reportlab's own default
    assert pdf_title(path.read_bytes()) is None


def test_superscript_characters_read_as_calls_and_markers(tmp_path: Path) -> None:
    """The reader's own output: calls ``¹`` kept as digits glued to their word (where rag.layout
    strips known note numbers), footnotes after the rule as `` 1 text``."""
    path = tmp_path / "r.pdf"
    build_pdf(path)
    text, pages = read_pdf(path.read_bytes(), path.name)
    assert pages == 3
    assert "l’Arctique1." in text and "¹" not in text
    assert re.search(r"^ 1 Canada, Danemark", text, re.MULTILINE)
    assert re.match(r"Nations Unies +A/80/777\nAssemblée générale\nDistr. générale\n"
                    r"3 mars 2025\n", text)


def test_only_superscripts_that_are_note_numbers_become_calls() -> None:
    from rag.ingest.sources.pdf import _Line, _superscript_calls

    line = _Line(chars=["de 14 millions de km² dans l’Arctique¹, selon l’étude⁵."])
    _superscript_calls([line], {1: ["Canada."]})
    assert line.text == "de 14 millions de km² dans l’Arctique1, selon l’étude⁵."
