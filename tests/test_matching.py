"""The matching rules of SHEETS.md: case, accents, spaces and a trailing ':' are ignored."""

from __future__ import annotations

import unicodedata

import pytest

from flows import contract
from sources.workbook import column_letter, match_key
from tests.helpers import tab, workbook

ALL_TABS = contract.NETWORK_TABS + contract.GROUP_TABS + contract.CONTRIBUTION_TABS


def shouted(text: str) -> str:
    """The text as someone might type it: upper case, no accents, a trailing colon."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return f"{bare.upper()} :"


@pytest.mark.parametrize(
    ("written", "wanted"),
    [
        ("  Nombre de CRPV   impliqués : ", "nombre de crpv impliques"),
        ("NOMBRE DE CRPV IMPLIQUES", "Nombre de CRPV impliqués"),
        ("Nombre de réunions:", "Nombre de réunions"),
        ("Groupe\tcréé\u00a0en", "Groupe créé en"),
        ("Modalités de travail\n", "modalites de travail"),
        ("Réunions ", "reunions"),
        ("ÉGALITÉ", "egalite"),
        ("Précisions :", "PRECISIONS"),
    ],
)
def test_match_key_ignores_case_accents_spaces_and_trailing_colon(written, wanted):
    assert match_key(written) == match_key(wanted)


def test_match_key_of_the_example_label():
    assert match_key("  Nombre de CRPV   impliqués : ") == "nombre de crpv impliques"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Nombre de CRPV", "Nombre de CRPV impliqués"),
        ("Sujet", "Sujets"),
        ("Groupe", "Groupe de travail"),
        ("Date", "Date de publication"),
        ("Animation : IREV", "Animation"),
    ],
)
def test_match_key_keeps_different_words_apart(one, other):
    assert match_key(one) != match_key(other)


def test_match_key_drops_only_a_trailing_colon():
    assert match_key("Objet : détail") == "objet : detail"


def test_workbook_tab_finds_a_tab_under_a_loose_name():
    book = workbook(tab("Fiche"), tab("Réunions", ("Date",)))
    found = book.tab("réunions ")
    assert found is not None
    assert found.name == "Réunions"


def test_workbook_tab_returns_none_for_an_absent_tab():
    assert workbook(tab("Fiche")).tab("Réunions") is None


def test_workbook_tab_returns_the_first_of_two_matching_tabs():
    book = workbook(tab("Travaux", ("a",)), tab("TRAVAUX", ("b",)))
    assert book.tab("travaux").rows == (("a",),)


@pytest.mark.parametrize(
    ("index", "letter"),
    [
        (0, "A"),
        (1, "B"),
        (25, "Z"),
        (26, "AA"),
        (27, "AB"),
        (51, "AZ"),
        (52, "BA"),
        (701, "ZZ"),
        (702, "AAA"),
        (16383, "XFD"),
    ],
)
def test_column_letter(index, letter):
    assert column_letter(index) == letter


@pytest.mark.parametrize(
    "label",
    sorted({f.label for spec in ALL_TABS for f in spec.fields}),
)
def test_every_contract_label_and_header_matches_when_shouted(label):
    assert match_key(shouted(label)) == match_key(label)


@pytest.mark.parametrize("spec", ALL_TABS, ids=lambda spec: spec.name)
def test_every_contract_tab_is_found_under_a_shouted_name(spec):
    book = workbook(tab(shouted(spec.name), ("x",)))
    assert book.tab(spec.name) is not None


@pytest.mark.parametrize("spec", ALL_TABS, ids=lambda spec: spec.name)
def test_labels_of_a_tab_stay_distinct_under_matching(spec):
    keys = [match_key(f.label) for f in spec.fields]
    assert len(set(keys)) == len(keys)
