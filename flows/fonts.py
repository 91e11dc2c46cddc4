"""The documents' text font, derived from Lato so that every character French typography prints exists.

Lato 1.104 (the shipped OFL files, also what PyPI's `font-lato` holds) has no U+2010 HYPHEN, which
WeasyPrint draws at each hyphenation point, no U+2011 NON-BREAKING HYPHEN and no U+202F NARROW NO-BREAK
SPACE, which French puts before ; ! ? and inside « ». Without them Pango draws those characters from a
system font. `python -m flows.fonts` writes `templates/fonts/RecueilSans-*.ttf` from `Lato-*.ttf`: both
hyphens map to Lato's own hyphen glyph and U+202F to a new empty glyph an eighth of an em wide. The
family is renamed because the licence reserves the name « Lato » for unmodified versions. The output
is byte-for-byte the same on every run (no timestamp recalculated); tests/test_typography.py checks it.
"""

from __future__ import annotations

import copy
import io
from pathlib import Path

from flows.settings import TEMPLATES_DIR

FONTS_DIR = TEMPLATES_DIR / "fonts"
FAMILY = "Recueil Sans"
STYLES = ("Regular", "Italic", "Bold", "BoldItalic")
NARROW_SPACE = "uni202F"
# Own glyphs rather than more codes on `hyphen`: a PDF maps each glyph back to one character, so the
# text read back (and tagging) can tell a hyphenation point from a hyphen written in a sheet.
HYPHENS = {0x2010: "uni2010", 0x2011: "uni2011"}


def derived_path(style: str) -> Path:
    return FONTS_DIR / f"RecueilSans-{style}.ttf"


def derive(source: Path) -> bytes:
    """The bytes of the derived font for one Lato file."""
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    font = TTFont(source, recalcTimestamp=False)
    glyphs, metrics = font["glyf"], font["hmtx"]
    added = {NARROW_SPACE: (Glyph(), (font["head"].unitsPerEm // 8, 0))}
    for name in HYPHENS.values():
        added[name] = (copy.deepcopy(glyphs["hyphen"]), metrics["hyphen"])
    for name, (glyph, metric) in added.items():
        glyphs[name] = glyph  # appends the name to the glyph order too
        metrics[name] = metric
    font.setGlyphOrder(glyphs.glyphOrder)
    for table in ("hdmx", "LTSH", "VDMX"):  # per-glyph tables that would no longer match
        if table in font:
            del font[table]
    for subtable in font["cmap"].tables:
        if subtable.isUnicode():
            subtable.cmap[0x202F] = NARROW_SPACE
            subtable.cmap.update(HYPHENS)
    for record in font["name"].names:
        text = record.toUnicode()
        if "Lato" in text and record.nameID in (1, 3, 4, 6, 16, 17, 18, 21):
            renamed = text.replace("Lato", "RecueilSans" if record.nameID == 6 else FAMILY)
            record.string = renamed
    output = io.BytesIO()
    font.save(output)
    return output.getvalue()


def main() -> None:
    for style in STYLES:
        target = derived_path(style)
        target.write_bytes(derive(FONTS_DIR / f"Lato-{style}.ttf"))
        print(target.relative_to(TEMPLATES_DIR.parent))


if __name__ == "__main__":
    main()
