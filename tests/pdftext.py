"""Reading rendered PDFs back as text, the way a reader's copy-paste would see it."""

from __future__ import annotations

import hashlib
import io
import os
import re
from pathlib import Path

WORD = re.compile(r"[^\W_]+")


def pdf_text(path: Path) -> str:
    """The text of every page of a PDF, pages separated by form feeds.

    pypdf takes seconds for a programme, and builds of the same inputs give the same bytes: the text
    is kept for the test run by the PDF's hash (tests/conftest.py's folder), shared by its workers.
    """
    data = Path(path).read_bytes()
    run = os.environ.get("RECUEIL_TESTS_FOLDER")
    kept = Path(run) / "pdf-text" / f"{hashlib.sha256(data).hexdigest()}.txt" if run else None
    if kept is not None and kept.is_file():
        return kept.read_text(encoding="utf-8")
    from pypdf import PdfReader

    text = "\f".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    if kept is not None:
        kept.parent.mkdir(exist_ok=True)
        partial = kept.with_suffix(f".{os.getpid()}.partiel")
        partial.write_text(text, encoding="utf-8")
        partial.replace(kept)
    return text


def flat(text: str) -> str:
    """Text with hyphenation undone and all spacing collapsed, for phrase comparisons."""
    text = text.replace("\u00ad", "").replace("’", "'")
    text = re.sub(r"[-‐]\s*\n\s*", "", text)
    return " ".join(text.split())


def words(text: str, hyphenated: bool = True) -> set[str]:
    """Every word of a text; where `hyphenated`, a hyphen ending a line may also join a word."""
    text = text.replace("\u00ad", "").replace("’", "'")
    kept = set(WORD.findall(re.sub(r"[-‐]\s*\n\s*", "-", text)))
    if not hyphenated:
        return kept
    return kept | set(WORD.findall(re.sub(r"[-‐]\s*\n\s*", "", text)))
