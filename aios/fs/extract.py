"""Text from file contents: plain text, Markdown, code, JSON and CSV as they are;
PDF with pypdf; DOCX with python-docx. Anything else is stored and versioned but
not indexed, and ``extract`` says why."""

from __future__ import annotations

import io
import mimetypes
from dataclasses import dataclass

__all__ = ["Extracted", "extract", "guess_mime", "looks_like_text"]


@dataclass(frozen=True)
class Extracted:
    text: str | None  # None: not indexable
    mime: str
    note: str | None = None  # why it was not indexed, or what was lost


def guess_mime(path: str, data: bytes) -> str:
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"PK\x03\x04") and path.lower().endswith(".docx"):
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    guessed, _ = mimetypes.guess_type(path)
    if guessed:
        return guessed
    return "text/plain" if looks_like_text(data) else "application/octet-stream"


def looks_like_text(data: bytes) -> bool:
    head = data[:8192]
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a multi-byte character cut at the 8 KiB mark is fine
        return exc.start >= len(head) - 4
    return True


def extract(path: str, data: bytes) -> Extracted:
    mime = guess_mime(path, data)
    if mime == "application/pdf":
        return _pdf(data, mime)
    if mime.endswith("wordprocessingml.document"):
        return _docx(data, mime)
    if looks_like_text(data):
        return Extracted(data.decode("utf-8", errors="replace"), mime)
    return Extracted(None, mime, f"binary content ({mime}) is stored and versioned, not indexed")


def _pdf(data: bytes, mime: str) -> Extracted:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        text = "\n\n".join((page.extract_text() or "") for page in reader.pages)
    except Exception as exc:
        return Extracted(None, mime, f"unreadable PDF: {exc}")
    if not text.strip():
        return Extracted(None, mime, "PDF without extractable text (scanned?)")
    return Extracted(text, mime)


def _docx(data: bytes, mime: str) -> Extracted:
    import docx

    try:
        doc = docx.Document(io.BytesIO(data))
    except Exception as exc:
        return Extracted(None, mime, f"unreadable DOCX: {exc}")
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    return Extracted("\n".join(parts), mime)
