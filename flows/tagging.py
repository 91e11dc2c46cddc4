"""What WeasyPrint 70's PDF/UA tagging gets wrong, put right with pikepdf after `write_pdf`.

Each step works around a known limit of WeasyPrint's tagger (weasyprint/pdf/tags.py):

- page-margin boxes (running title, network, page number, draft banner) are tagged, but their
  structure elements are linked to nothing (WeasyPrint #1836, #2482: PDF/UA-1 wants them as artifacts);
- the structure tree is built page by page, so an element cut by a page break becomes two elements
  (a group's record, its table, its lists, a paragraph): the pieces are joined again;
- a nested list is placed beside its item instead of inside the item's body;
- header cells get no /Scope;
- images and shadings painted outside any tag (the cover's backgrounds) are marked as artifacts;
- a table of contents is a plain list in a NonStruct (HTML has no TOC element): tagged TOC / TOCI;
- a link's description (/Contents) is its target (« section-1 »), not its words;
- the outline is not shown on opening;
- a word hyphenated at a line end reaches a reader cut in two: the hyphen gets a soft hyphen as /ActualText.

The CSS avoids the rest: the contents' leaders are dotted borders and the decorative chevrons
backgrounds, both drawn as artifacts, and no link holds generated content, so no link is nested.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from typing import Any

HEADINGS = {"/H", "/H1", "/H2", "/H3", "/H4", "/H5", "/H6"}
# Containers that only a page break can split into two adjacent pieces of the same type.
ALWAYS_JOINED = {"/Table", "/THead", "/TBody", "/TFoot", "/L", "/LBody"}
# Blocks that may follow one another across a page: a piece that does not open with a heading continues.
OPENED_BY_A_HEADING = {"/Sect", "/Art", "/Div", "/NonStruct"}


def finish(pdf: bytes, html: str) -> bytes:
    """The PDF with its tagging completed; `html` is the page it was rendered from."""
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        root = document.Root.StructTreeRoot
        top = root.K[0] if isinstance(root.K, pikepdf.Array) else root.K
        orphans = _orphans(root)
        _join_across_pages(top, _Paragraphs(pdf, document, html))
        _nest_sublists(top)
        _scope_headers(top)
        _contents_as_toc(top)
        _drop_empty(top)
        _describe_links(document, link_texts(html))
        _rewrite_content(document, orphans)
        document.Root.PageMode = pikepdf.Name.UseOutlines
        output = io.BytesIO()
        document.save(
            output, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate
        )
    return output.getvalue()


def _kids(element: Any) -> list[Any]:
    import pikepdf

    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _elements(element: Any) -> list[Any]:
    """The structure elements among an element's kids (not marked-content ids or annotations)."""
    import pikepdf

    return [k for k in _kids(element) if isinstance(k, pikepdf.Dictionary) and "/S" in k]


def _set_kids(element: Any, kids: list[Any]) -> None:
    import pikepdf

    element.K = pikepdf.Array(kids)


def _walk(element: Any):
    yield element
    for kid in _elements(element):
        yield from _walk(kid)


def _orphans(root: Any) -> dict[int, set[int]]:
    """By page, the marked-content ids whose structure element is not in the tree (margin boxes);
    their entries leave the parent tree."""
    import pikepdf

    reachable = {
        e.objgen for e in _walk(root.K[0] if isinstance(root.K, pikepdf.Array) else root.K)
    }
    numbers = list(root.ParentTree.Nums)
    orphans: dict[int, set[int]] = {}
    for index in range(0, len(numbers), 2):
        page, entries = int(numbers[index]), numbers[index + 1]
        if not isinstance(entries, pikepdf.Array):
            continue
        for mcid, entry in enumerate(entries):
            if isinstance(entry, pikepdf.Dictionary) and entry.objgen not in reachable:
                orphans.setdefault(page, set()).add(mcid)
                entries[mcid] = None
    return orphans


def _join_across_pages(top: Any, paragraphs: _Paragraphs) -> None:
    """One structure element per HTML element: the pieces a page break made are joined again."""
    _join_siblings(top, paragraphs)


def _continues(before: Any, after: Any, paragraphs: _Paragraphs) -> bool:
    if before.S != after.S:
        return False
    kind = str(after.S)
    if kind in ALWAYS_JOINED:
        return True
    if kind == "/P":  # two paragraphs may meet at a page break too: their words tell them apart
        return paragraphs.one_cut_in_two(before, after)
    first = next(iter(_elements(after)), None)
    if kind in OPENED_BY_A_HEADING:
        # A new block opens with its heading; a piece may open with a deeper one (a record's H4).
        if first is None or str(first.S) not in HEADINGS:
            return True
        opening = next(iter(_elements(before)), None)
        return opening is not None and _level(first) > _level(opening)
    if kind == "/LI":  # the marker is drawn on an item's first piece only
        return first is None or str(first.S) != "/Lbl"
    return False


def _level(element: Any) -> int:
    """1 to 6 for a heading, 7 for anything else."""
    role = str(element.S)
    return int(role[2]) if re.fullmatch(r"/H[1-6]", role) else 7


def _join_siblings(parent: Any, paragraphs: _Paragraphs) -> None:
    kids = _kids(parent)
    joined: list[Any] = []
    for kid in kids:
        previous = joined[-1] if joined else None
        if (
            _is_element(previous)
            and _is_element(kid)
            and _pages_differ(previous, kid)
            and _continues(previous, kid, paragraphs)
        ):
            _absorb(previous, kid, paragraphs)
            continue
        joined.append(kid)
    if len(joined) != len(kids):
        _set_kids(parent, joined)
    for kid in _elements(parent):
        _join_siblings(kid, paragraphs)


def _pages_differ(before: Any, after: Any) -> bool:
    page = after.get("/Pg")
    return page is not None and before.get("/Pg") is not None and page.objgen != before.Pg.objgen


def _is_element(kid: Any) -> bool:
    import pikepdf

    return isinstance(kid, pikepdf.Dictionary) and "/S" in kid


def _absorb(kept: Any, piece: Any, paragraphs: _Paragraphs) -> None:
    """Move `piece`'s kids to the end of `kept`; the junction may itself be a split element."""
    before, moved = _kids(kept), _kids(piece)
    junction = before and moved and _is_element(before[-1]) and _is_element(moved[0])
    if junction and _continues(before[-1], moved[0], paragraphs):
        _absorb(before[-1], moved[0], paragraphs)
        moved = moved[1:]
    for kid in moved:
        if _is_element(kid):
            kid.P = kept
    _set_kids(kept, before + moved)


def _nest_sublists(top: Any) -> None:
    """A list directly inside a list belongs to the body of the item before it.

    A list made only of lists is one list cut into columns (`columns: 2`): its pieces are joined.
    """
    for element in list(_walk(top)):
        if str(element.get("/S")) != "/L":
            continue
        kids = _kids(element)
        if kids and all(_is_element(k) and str(k.S) == "/L" for k in kids):
            kids = [inner for column in kids for inner in _kids(column)]
            for inner in kids:
                if _is_element(inner):
                    inner.P = element
        kept: list[Any] = []
        for kid in kids:
            item = kept[-1] if kept else None
            if (
                _is_element(kid)
                and str(kid.S) == "/L"
                and _is_element(item)
                and str(item.S) == "/LI"
            ):
                body = next((k for k in _elements(item) if str(k.S) == "/LBody"), item)
                _set_kids(body, [*_kids(body), kid])
                kid.P = body
            else:
                kept.append(kid)
        _set_kids(element, kept)


def _scope_headers(top: Any) -> None:
    """/Scope on every header cell: Row when its row holds data cells, else Column."""
    import pikepdf

    for row in _walk(top):
        if str(row.get("/S")) != "/TR":
            continue
        cells = _elements(row)
        scope = "/Row" if any(str(c.S) == "/TD" for c in cells) else "/Column"
        for cell in cells:
            if str(cell.S) == "/TH":
                attributes = cell.get("/A")
                if not isinstance(attributes, pikepdf.Dictionary):
                    attributes = pikepdf.Dictionary(O=pikepdf.Name.Table)
                    cell.A = attributes
                attributes.Scope = pikepdf.Name(scope)
            elif str(cell.S) == "/TD":
                headers = (
                    cell.get("/A", {}).get("/Headers") if hasattr(cell.get("/A"), "get") else None
                )
                if headers is not None and len(headers) == 0:
                    del cell.A["/Headers"]  # an empty list says « no header », which is false


def _contents_as_toc(top: Any) -> None:
    """The list of a NonStruct block (the HTML <nav> of the contents) becomes TOC, its items TOCI."""
    import pikepdf

    for block in _elements(top):
        parts = _elements(block)
        is_contents = (
            str(block.S) == "/NonStruct"
            and parts
            and str(parts[0].S) in HEADINGS
            and any(str(p.S) == "/L" for p in parts)
        )
        if not is_contents:
            continue
        for element in _walk(block):
            if str(element.get("/S")) == "/L":
                element.S = pikepdf.Name.TOC
            elif str(element.get("/S")) == "/LI":
                element.S = pikepdf.Name.TOCI
                # An item's words go straight into the TOCI: the list body has no role in a TOC.
                flattened: list[Any] = []
                for kid in _kids(element):
                    if isinstance(kid, pikepdf.Dictionary) and str(kid.get("/S")) == "/LBody":
                        for inner in _kids(kid):
                            if isinstance(inner, pikepdf.Dictionary) and "/S" in inner:
                                inner.P = element
                            flattened.append(inner)
                    else:
                        flattened.append(kid)
                _set_kids(element, flattened)


def _drop_empty(element: Any) -> None:
    """Elements left with no content (the contents' empty leader boxes) are removed."""
    kept = []
    for kid in _kids(element):
        if _is_element(kid):
            _drop_empty(kid)
            if not _kids(kid):
                continue
        kept.append(kid)
    if len(kept) != len(_kids(element)):
        _set_kids(element, kept)


def _hyphen_codes(page: Any) -> dict[str, bytes]:
    """For each font of a page, the glyph code its ToUnicode maps to U+2010 (the hyphenation mark)."""
    codes = {}
    for name, font in page.Resources.get("/Font", {}).items():
        if "/ToUnicode" not in font:
            continue
        found = re.search(rb"<([0-9A-Fa-f]+)>\s*<2010>", font.ToUnicode.read_bytes())
        if found:
            codes[str(name)] = bytes.fromhex(found.group(1).decode())
    return codes


def _rewrite_content(document: Any, orphans: dict[int, set[int]]) -> None:
    """One pass over each page's content: margin boxes and untagged paintings become artifacts, and a
    line-ending U+2010 (WeasyPrint's hyphenation character) gets U+00AD as /ActualText, so that text
    extraction and screen readers get the word whole."""
    import pikepdf

    pagination = [pikepdf.Name.Artifact, pikepdf.Dictionary(Type=pikepdf.Name.Pagination)]
    # Read as a soft hyphen, which readers drop, joining the two pieces of the word.
    soft = [pikepdf.Name.Span, pikepdf.Dictionary(ActualText=pikepdf.String("\u00ad"))]
    for index, page in enumerate(document.pages):
        mcids, codes = orphans.get(index, set()), _hyphen_codes(page)
        operations: list[Any] = []
        font, depth = None, 0
        # Unchanged instructions are kept as parsed: unparsing those is many times faster.
        for instruction in pikepdf.parse_content_stream(page):
            operands, operator = instruction.operands, instruction.operator
            name = str(operator)
            if name == "BDC":
                depth += 1
                properties = operands[1] if len(operands) == 2 else None
                if isinstance(properties, pikepdf.Dictionary) and properties.get("/MCID") in mcids:
                    operations.append(pikepdf.ContentStreamInstruction(pagination, operator))
                    continue
            elif name == "BMC":
                depth += 1
            elif name == "EMC":
                depth -= 1
            elif name == "Tf":
                font = str(operands[0])
            elif depth == 0 and name in ("Do", "sh"):
                # Images and shadings painted outside any tag are backgrounds (the cover's).
                operations += [
                    ([pikepdf.Name.Artifact], pikepdf.Operator("BMC")),
                    (operands, operator),
                    ([], pikepdf.Operator("EMC")),
                ]
                continue
            elif name == "TJ" and font in codes:
                split = _split_hyphen(list(operands[0]), codes[font])
                if split:
                    head, hyphen = split
                    operations += [
                        ([pikepdf.Array(head)], operator),
                        (soft, pikepdf.Operator("BDC")),
                        ([pikepdf.Array(hyphen)], operator),
                        ([], pikepdf.Operator("EMC")),
                    ]
                    continue
            operations.append(instruction)
        page.Contents = document.make_stream(pikepdf.unparse_content_stream(operations))


def _split_hyphen(items: list[Any], code: bytes) -> tuple[list[Any], list[Any]] | None:
    """A TJ array ending with the hyphen glyph, cut into what comes before it and the hyphen."""
    import pikepdf

    strings = [i for i, item in enumerate(items) if isinstance(item, pikepdf.String)]
    last = bytes(items[strings[-1]]) if strings else b""
    if not (last.endswith(code) and len(last) % len(code) == 0):
        return None
    at = strings[-1]
    return [*items[:at], pikepdf.String(last[: -len(code)])], [
        pikepdf.String(code),
        *items[at + 1 :],
    ]


class _Paragraphs:
    """The page's paragraphs, to tell a paragraph a page break cut in two from two paragraphs.

    A piece continues the one before when, put end to end, their words begin one paragraph of the
    HTML that the first piece alone does not complete. Words are compared as letters and digits only:
    spaces, hyphenation marks and punctuation differ between HTML and PDF text. The PDF's text is read
    (with pdfium) only when two paragraphs meet at a page break.
    """

    def __init__(self, pdf: bytes, document: Any, html: str) -> None:
        self._pdf, self._document, self._html = pdf, document, html
        self._texts: dict[tuple[int, int], str] | None = None
        self._html_paragraphs: list[str] | None = None
        self._pages: dict[tuple[int, int], int] = {}

    def one_cut_in_two(self, before: Any, after: Any) -> bool:
        if self._texts is None:
            self._texts = _marked_texts(self._pdf)
            self._html_paragraphs = [_letters(p) for p in _ParagraphTexts.of(self._html)]
            self._pages = {page.objgen: index for index, page in enumerate(self._document.pages)}
        head, tail = _letters(self._text(before)), _letters(self._text(after))
        if not head or not tail:
            return False
        return any(
            len(whole) > len(head) and whole.startswith(head + tail)
            for whole in self._html_paragraphs or []
        )

    def _text(self, element: Any, page: int | None = None) -> str:
        import pikepdf

        if "/Pg" in element:
            page = self._pages.get(element.Pg.objgen, page)
        words = []
        for kid in _kids(element):
            if isinstance(kid, int) and page is not None:
                words.append((self._texts or {}).get((page, kid), ""))
            elif isinstance(kid, pikepdf.Dictionary) and "/MCID" in kid:
                on = self._pages.get(kid.Pg.objgen, page) if "/Pg" in kid else page
                words.append((self._texts or {}).get((on, int(kid.MCID)), ""))
            elif _is_element(kid):
                words.append(self._text(kid, page))
        return "".join(words)


def _letters(text: str) -> str:
    return "".join(character for character in text if character.isalnum())


def _marked_texts(pdf: bytes) -> dict[tuple[int, int], str]:
    """The text of each marked-content sequence, by page and MCID."""
    import ctypes

    import pypdfium2
    import pypdfium2.raw as pdfium

    texts: dict[tuple[int, int], str] = {}
    document = pypdfium2.PdfDocument(pdf)
    try:
        for index in range(len(document)):
            page = document[index]
            text_page = page.get_textpage()
            for item in page.get_objects(max_depth=4):
                if item.type != pdfium.FPDF_PAGEOBJ_TEXT:
                    continue
                mcid = pdfium.FPDFPageObj_GetMarkedContentID(item.raw)
                length = pdfium.FPDFTextObj_GetText(item.raw, text_page.raw, None, 0)
                if mcid < 0 or length <= 0:
                    continue
                buffer = (ctypes.c_ushort * length)()
                pdfium.FPDFTextObj_GetText(item.raw, text_page.raw, buffer, length)
                text = bytes(buffer).decode("utf-16-le", errors="replace").rstrip("\x00")
                texts[(index, mcid)] = texts.get((index, mcid), "") + text
    finally:
        document.close()
    return texts


class _ParagraphTexts(HTMLParser):
    """The text of each <p> of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._open: list[list[str]] = []

    @classmethod
    def of(cls, html: str) -> list[str]:
        parser = cls()
        parser.feed(html)
        return parser.found

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p":
            self._open.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag == "p" and self._open:
            self.found.append("".join(self._open.pop()))

    def handle_data(self, data: str) -> None:
        for words in self._open:
            words.append(data)


class _Links(HTMLParser):
    """The words of each link of a page, by target."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: dict[str, str] = {}
        self._open: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open.append((dict(attrs).get("href") or "", []))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open:
            href, words = self._open.pop()
            text = re.sub(r"[ \t\n\r]+", " ", "".join(words)).strip()
            if href and text:
                self.texts.setdefault(href.removeprefix("#"), text)

    def handle_data(self, data: str) -> None:
        for _, words in self._open:
            words.append(data)


def link_texts(html: str) -> dict[str, str]:
    parser = _Links()
    parser.feed(html)
    return parser.texts


def _describe_links(document: Any, texts: dict[str, str]) -> None:
    """Each link annotation described by the words it is on, not by its target's id."""
    import pikepdf

    for page in document.pages:
        for annotation in page.get("/Annots", []):
            if annotation.get("/Subtype") != pikepdf.Name.Link:
                continue
            target = str(annotation.get("/Contents", ""))
            text = texts.get(target) or texts.get(re.sub(r"^#", "", target))
            if text:
                annotation.Contents = pikepdf.String(text)
