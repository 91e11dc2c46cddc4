"""Reading rendered PDFs back as text, the way a reader's copy-paste would see it."""

from __future__ import annotations

import re
from pathlib import Path

WORD = re.compile(r"[^\W_]+")


def pdf_text(path: Path) -> str:
    """The text of every page of a PDF, pages separated by form feeds."""
    from pypdf import PdfReader

    return "\f".join(page.extract_text() or "" for page in PdfReader(path).pages)


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
