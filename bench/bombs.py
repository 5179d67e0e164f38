"""Peak memory and time of reading hostile files: each bomb is read by ``rag.ingest.sources``
(then, for files that pass, chunked and counted as the index build would) in a fresh
process, whose peak RSS above its idle RSS is reported. Target: ≤ 500 MB above idle on
every bomb, and each one refused (or read) in seconds.

    python bench/bombs.py [--out bench/results]

Bombs: a Word document whose document.xml inflates to 1.1 GiB of empty paragraphs; the same
filled with whitespace; a 600 KB PDF whose page tree points at one page 100,000 times; a
text of 7,000 one-line paragraphs; an HTML file of 1,000 nested <div>.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _docx(path: Path, filler: str, size: int) -> Path:
    """A .docx whose document.xml inflates to about ``size`` bytes of ``filler``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(b"<w:document><w:body>")
            chunk = (filler * (1_000_000 // len(filler))).encode()
            for _ in range(size // len(chunk)):
                part.write(chunk)
            part.write(b"</w:body></w:document>")
    return path


def _pdf_pages(path: Path, pages: int) -> Path:
    """A PDF whose page tree lists the same page object ``pages`` times."""
    kids = " ".join(["3 0 R"] * pages)
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
    ]
    text = b"BT /F1 12 Tf 72 720 Td (La cooperation entre les Nations Unies et l'UA.) Tj ET"
    body = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += f"{i} 0 obj\n{obj}\nendobj\n".encode()
    offsets.append(len(body))
    body += b"4 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (len(text), text)
    offsets.append(len(body))
    body += b"5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n"
    xref = len(body)
    body += f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode()
    body += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    body += (f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n"
             "%%EOF\n").encode()
    path.write_bytes(bytes(body))
    return path


def make_bombs(folder: Path) -> dict[str, Path]:
    """The hostile files, written into ``folder``."""
    paragraphs = "\n\n".join(f"{n}. La coopération régionale, point {n}, est examinée."
                             for n in range(1, 7001))
    (folder / "paragraphs.txt").write_text(paragraphs, "utf-8")
    (folder / "deep.html").write_text("<html><body>" + "<div>" * 1000 + "Texte" +
                                      "</div>" * 1000 + "</body></html>", "utf-8")
    return {
        "docx inflating to 1.1 GiB (empty paragraphs)": _docx(folder / "empty.docx", "<w:p/>",
                                                             1_100_000_000),
        "docx inflating to 1.1 GiB (whitespace)": _docx(folder / "blank.docx", " ",
                                                       1_100_000_000),
        "PDF: one page referenced 100,000 times": _pdf_pages(folder / "pages.pdf", 100_000),
        "text of 7,000 paragraphs": folder / "paragraphs.txt",
        "HTML of 1,000 nested <div>": folder / "deep.html",
    }


_PROBE = """
import json, resource, sys, time
from pathlib import Path
from rag.ingest.sources import read_source
from rag.errors import DocumentRejected
idle = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
try:
    source = read_source(Path(sys.argv[1]))
    outcome = f"read: {len(source.text):,} characters"
except DocumentRejected as exc:
    outcome = f"refused ({exc.reason}): {exc.detail[:90]}"
except Exception as exc:
    outcome = f"FAILED: {type(exc).__name__}: {str(exc)[:90]}"
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "seconds": round(time.perf_counter() - started, 2),
                  "peak_above_idle_mb": round((peak - idle) / 1024, 1)}))
"""


def measure(path: Path) -> dict[str, object]:
    """Read ``path`` in a fresh process: outcome, seconds, peak RSS above idle (MB)."""
    done = subprocess.run([sys.executable, "-c", _PROBE, str(path)], capture_output=True,
                          text=True, cwd=ROOT, timeout=600)
    if done.returncode != 0:
        return {"outcome": f"process failed: {done.stderr.strip()[-200:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                .splitlines() if line.startswith("model name")), platform.processor())
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in make_bombs(Path(tmp)).items():
            size = path.stat().st_size
            rows[name] = {"file_bytes": size, **measure(path)}
            print(f"{name} ({size:,} bytes): {rows[name]}")
    args.out.mkdir(parents=True, exist_ok=True)
    report = {"cpu": cpu, "date": time.strftime("%Y-%m-%d"), "bombs": rows,
              "target_peak_above_idle_mb": 500,
              "self_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}
    (args.out / "bombs.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(f"cpu: {cpu}")


if __name__ == "__main__":
    main()
