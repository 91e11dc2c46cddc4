"""French typography on a rendered document's HTML: text nodes only, never tags, attributes or addresses.

Applied once to the whole page after Jinja2, so that the same rules reach the templates' own words and
every value from a sheet. The rules (Imprimerie nationale's usual ones):

- U+202F NARROW NO-BREAK SPACE before ; ! ? and inside « » (added when missing);
- U+00A0 NO-BREAK SPACE before : (replacing a space, or added when a word ends on « : »);
- typographic apostrophe ’ for ', French quotes « » for "…" and “…”, … for ...;
- « 1er » for the first day of a month, « 8e » for « 8ème »;
- no line break between a number and what it counts (« 14 CRPV », « 12 % », « 5 000 € »).

Neither PyPI package fits (README, Library choices): `typographeur` 0.5 puts no-break spaces inside
addresses (« https&nbsp;:// ») and only U+00A0; `french-typo` 1.6 has no apostrophes or quotes, only U+00A0,
and returns HTML entities rather than characters.
"""

from __future__ import annotations

import html
import re

NNBSP = "\u202f"
NBSP = "\u00a0"
MONTHS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
# Sheet content is escaped by Jinja2, so a real `<` only ever opens a tag of the templates.
TAG = re.compile(r"(<[^>]*>)")
RAW_ELEMENTS = re.compile(r"<(style|script)\b", re.IGNORECASE)
# Addresses and e-mails pass through untouched: `https://x.fr/?a=1;b` keeps its ? and ;. Quotes and the
# punctuation that ends a sentence or a bracket after an address are not part of it.
ADDRESS = re.compile(
    r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.|\bmailto:)[^\s\"«»<>]+?(?=[.,;:!?)\]'’]*(?:[\s\"«»<>]|$))"
    r"|\b[\w.+-]+@[\w-]+\.[\w.-]+",
    re.I,
)
SPACE = r"[ \t\n\r]"
# After a number, these begin the rest of the sentence rather than name what is counted.
LINK_WORDS = r"(?:et|ou|à|a|au|aux|de|des|du|en|le|la|les|pour|par|sur|dans|avec|puis)"

RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\.\.\.", "…"),
        (r"“", "«"),
        (r"”", "»"),
        (r"(?<=\w)'(?=\w)", "’"),
        (r"'", "’"),
        (rf"{SPACE}+([;!?])", NNBSP + r"\1"),
        (r"(?<=[\w)»’\]])([;!?])(?=\s|$|[»)\]])", NNBSP + r"\1"),
        (rf"{SPACE}+:", NBSP + ":"),
        (r"(?<=[^\W\d_])(:)(?=\s|$)", NBSP + r"\1"),
        (rf"«{SPACE}*", "«" + NNBSP),
        (rf"{SPACE}*»", NNBSP + "»"),
        (rf"\b1{SPACE}+({MONTHS})\b", "1er" + NBSP + r"\1"),
        (r"(?<=\d)(?:ème|eme)(?=s?\b)", "e"),
        (rf"\b(\d{{1,3}}){SPACE}(\d{{3}})\b", r"\1" + NNBSP + r"\2"),
        (rf"(?<=\d){SPACE}+(?=[%€$]|(?!{LINK_WORDS}\b)[^\W\d_])", NBSP),
    )
)
CLOSING_AFTER = re.compile(r"^[;!?:»]")
TRAILING_SPACE = re.compile(rf"{SPACE}+$")


def _quotes(text: str, previous: str) -> str:
    """Straight double quotes into « », opening after a space or an opening mark, else closing."""
    out = []
    for char in text:
        if char == '"':
            char = "«" if not previous or previous.isspace() or previous in "([{«’" else "»"
        out.append(char)
        previous = char
    return "".join(out)


def french_text(text: str) -> str:
    """One plain text (not HTML) with the same rules, for the attributes a page prints."""
    return _text(text, "")


def _text(text: str, previous: str) -> str:
    pieces = []
    last = 0
    for match in ADDRESS.finditer(text):
        pieces.append((False, text[last : match.start()]))
        pieces.append((True, match.group()))
        last = match.end()
    pieces.append((False, text[last:]))
    out = []
    for is_address, piece in pieces:
        if not is_address and piece:
            piece = _quotes(piece, out[-1][-1:] if out and out[-1] else previous)
            for pattern, replacement in RULES:
                piece = pattern.sub(replacement, piece)
        out.append(piece)
    return "".join(out)


def french(document: str) -> str:
    """The HTML with French typography in every text node; tags and attributes left as they are."""
    parts = TAG.split(document)
    raw = False
    last_text = None  # index of the previous text node, whose end a following « : » may change
    for index, part in enumerate(parts):
        if index % 2:  # a tag
            if RAW_ELEMENTS.match(part):
                raw = True
            elif raw and part.lower().startswith(("</style", "</script")):
                raw = False
            continue
        if raw or not part or part.lstrip().startswith("="):
            # A cell that starts with « = » is text printed exactly as written (SHEETS.md §5).
            continue
        text = html.unescape(part)
        previous = html.unescape(parts[last_text])[-1:] if last_text is not None else ""
        if last_text is not None and CLOSING_AFTER.match(text):
            # « <strong>Animation</strong>: » or « … </a> ; »: the space belongs before the mark.
            stripped = TRAILING_SPACE.sub("", parts[last_text])
            if stripped != parts[last_text] or (previous.isalnum() and text[0] != ":"):
                parts[last_text] = stripped
                text = (NBSP if text[0] == ":" else NNBSP) + text
        if text.strip():
            text = _text(text, previous)
            last_text = index
        parts[index] = html.escape(text, quote=False)
    return "".join(parts)


def keep_whole(document: str, names: list[str]) -> str:
    """Proper names in the body's text wrapped in `<span class="nom">`, which the CSS never hyphenates."""
    wanted = sorted(
        {french_text(n.strip()) for n in names if len(n.strip()) >= 4}, key=len, reverse=True
    )
    if not wanted:
        return document
    pattern = re.compile(
        r"(?<!\w)(" + "|".join(re.escape(html.escape(n, quote=False)) for n in wanted) + r")(?!\w)"
    )
    start = document.find(">", document.find("<body")) + 1
    parts = TAG.split(document[start:])
    for index in range(0, len(parts), 2):
        parts[index] = pattern.sub(r'<span class="nom">\1</span>', parts[index])
    return document[:start] + "".join(parts)
