"""LibreOffice's PDF export of a seed (issue 26): the seed written as a Word document (Word
numbering, heading styles, footnotes, running header and footer: tests.fixtures_docx), then
converted by ``soffice --headless`` to PDF either directly or through an ODT file, as an
office that keeps its documents in Writer would."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.fixtures_docx import render_docx
from tests.support.fixtures_sources import SeedStructure


def soffice() -> str:
    """The LibreOffice executable (Debian package ``libreoffice-writer-nogui``)."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        raise RuntimeError("LibreOffice is needed to make this variant: "
                           "apt-get install libreoffice-writer-nogui")
    return found


def _convert(source: Path, to: str, folder: Path) -> Path:
    profile = folder / "profile"  # a private profile: no clash with a running LibreOffice
    subprocess.run([soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless",
                    "--convert-to", to, "--outdir", str(folder), str(source)],
                   check=True, capture_output=True, timeout=120)
    return folder / f"{source.stem}.{to}"


def render(structure: SeedStructure, out: Path, *, via: str) -> Path:
    """Write ``structure`` at ``out`` as LibreOffice exports it from a DOCX (``via="docx"``)
    or from the ODT that LibreOffice made of that DOCX (``via="odt"``)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        document = render_docx(structure, folder / f"{structure.stem}.docx")
        if via == "odt":
            document = _convert(document, "odt", folder)
        shutil.move(_convert(document, "pdf", folder), out)
    return out
