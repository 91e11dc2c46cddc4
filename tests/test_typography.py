"""French typography on the documents' HTML, and the derived font that can print it."""

from __future__ import annotations

import pytest

from flows import fonts, typography

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Quoi ? Oui ! Non ; fin", f"Quoi{NNBSP}? Oui{NNBSP}! Non{NNBSP}; fin"),
        ("Quoi? Oui!", f"Quoi{NNBSP}? Oui{NNBSP}!"),
        ("Animation : ORIV", f"Animation{NBSP}: ORIV"),
        ("« Santé »", f"«{NNBSP}Santé{NNBSP}»"),
        ("«Santé»", f"«{NNBSP}Santé{NNBSP}»"),
        ('le "Pôle" dit', f"le «{NNBSP}Pôle{NNBSP}» dit"),
        ("le “Pôle” dit", f"le «{NNBSP}Pôle{NNBSP}» dit"),
        ("l'équipe d'ORIV", "l’équipe d’ORIV"),
        ("le 1 décembre 2024", f"le 1er{NBSP}décembre 2024"),
        ("le 11 décembre", f"le 11{NBSP}décembre"),
        ("sa 8ème édition", "sa 8e édition"),
        ("14 CRPV, 12 %, 5 000 €", f"14{NBSP}CRPV, 12{NBSP}%, 5{NNBSP}000{NBSP}€"),
        ("à suivre...", "à suivre…"),
        ("10:30 et Fiche!B3", "10:30 et Fiche!B3"),
        ('voir "https://x.fr/a"', f"voir «{NNBSP}https://x.fr/a{NNBSP}»"),
        ("(voir https://x.fr/a).", "(voir https://x.fr/a)."),
        ("site https://x.fr/a?b=1 !", f"site https://x.fr/a?b=1{NNBSP}!"),
    ],
)
def test_french_rules(text: str, expected: str) -> None:
    assert typography.french_text(text) == expected


def test_addresses_attributes_and_styles_are_left_alone() -> None:
    page = (
        "<html><head><style>a:hover { content: 'x' }</style></head><body>"
        '<p title="a : b">Voir https://x.fr/a?b=1;c=2 ou contact@x.fr : '
        '<a href="https://x.fr/?q=1;r">lien</a> ?</p></body></html>'
    )
    out = typography.french(page)
    assert "<style>a:hover { content: 'x' }</style>" in out
    assert 'title="a : b"' in out and 'href="https://x.fr/?q=1;r"' in out
    assert "https://x.fr/a?b=1;c=2" in out
    assert f"contact@x.fr{NBSP}:" in out
    assert f"lien</a>{NNBSP}?" in out  # the space before the tag moved to the mark


def test_a_formula_like_cell_is_printed_as_written() -> None:
    cell = "=HYPERLINK(&quot;http://exemple.fr&quot;) ; x : y"
    out = typography.french(f"<ul><li>{cell}</li><li>Ensuite : fin</li></ul>")
    assert f"<li>{cell}</li>" in out
    assert f"<li>Ensuite{NBSP}: fin</li>" in out


def test_escaped_sheet_content_stays_escaped() -> None:
    out = typography.french("<body><p>&lt;script&gt; &amp; l&#39;arbre</p></body>")
    assert out == "<body><p>&lt;script&gt; &amp; l’arbre</p></body>"


def test_a_mark_after_a_tag_takes_the_space_from_the_text_before() -> None:
    out = typography.french("<p><strong>Coordination</strong> : ORIV</p>")
    assert out == f"<p><strong>Coordination</strong>{NBSP}: ORIV</p>"


def test_centre_names_are_kept_whole_in_the_body_only() -> None:
    page = "<html><head><title>Pôle Ressources</title></head><body><p>Le Pôle Ressources aide.</p></body></html>"
    out = typography.keep_whole(page, ["Pôle Ressources", "IR"])
    assert '<p>Le <span class="nom">Pôle Ressources</span> aide.</p>' in out
    assert "<title>Pôle Ressources</title>" in out


def test_derived_fonts_are_reproducible_and_hold_the_french_characters() -> None:
    from fontTools.ttLib import TTFont

    for style in fonts.STYLES:
        derived = fonts.derived_path(style)
        assert fonts.derive(fonts.FONTS_DIR / f"Lato-{style}.ttf") == derived.read_bytes()
        cmap = TTFont(derived).getBestCmap()
        for char in "\u2010\u2011\u202f\u00a0’«»…€–—éèàçœ":
            assert ord(char) in cmap, (style, hex(ord(char)))
        assert "Lato" not in TTFont(derived)["name"].getDebugName(1)  # Reserved Font Name
