"""The Great Expectations suites of expectations/, really run, and the rules across workbooks."""

from __future__ import annotations

import json

import pytest

from flows.check import check_workbook
from flows.load import Fetched
from flows.model import Outcome
from flows.settings import EXPECTATIONS_DIR
from flows.validate import check_across
from sources.workbook import Tab
from tests.helpers import SANTE_FICHE, SANTE_TRAVAUX, network_2024, tab, workbook


def check_group(*tabs, fiche=SANTE_FICHE) -> Outcome:
    book = workbook(tab("Fiche", *fiche), *tabs)
    return check_workbook(Fetched("group", "Santé", "gt-sante", book), network_2024())


def with_label(label: str, value: str) -> tuple[tuple[str, str], ...]:
    rows = [row for row in SANTE_FICHE if row[0] != label]
    return (*rows, (label, value))


def only(outcome: Outcome, severity: str):
    found = [p for p in outcome.problems if p.severity == severity]
    assert len(found) == 1, [str(p) for p in outcome.problems]
    return found[0]


def test_every_suite_file_is_valid_and_says_how_failures_read() -> None:
    files = sorted(EXPECTATIONS_DIR.glob("*.json"))
    assert len(files) >= 10
    for path in files:
        suite = json.loads(path.read_text(encoding="utf-8"))
        assert path.stem == suite["name"]
        for expectation in suite["expectations"]:
            assert expectation["meta"]["severity"] in ("error", "warning")
            assert expectation["meta"]["message"]


def test_a_clean_group_has_no_problem() -> None:
    outcome = check_group(tab("Travaux", *SANTE_TRAVAUX))
    assert outcome.problems == ()
    assert outcome.ok


@pytest.mark.parametrize("count", ["0", "21", "99 CRPV"])
def test_centre_count_outside_the_reference_list(count: str) -> None:
    outcome = check_group(
        tab("Travaux", *SANTE_TRAVAUX), fiche=with_label("Nombre de CRPV impliqués", count)
    )
    error = only(outcome, "error")
    assert (error.tab, error.cell, error.found) == ("Fiche", "B6", count)
    assert "un nombre de 1 à 20 est attendu" in error.message
    assert outcome.record is None


def test_creation_after_the_edition_is_a_warning() -> None:
    outcome = check_group(
        tab("Travaux", *SANTE_TRAVAUX), fiche=with_label("Groupe créé en", "3024")
    )
    warning = only(outcome, "warning")
    assert (warning.cell, warning.found) == ("B6", "3024")
    assert outcome.ok


def test_travaux_without_rows_is_an_error() -> None:
    error = only(check_group(tab("Travaux", ("Sujet", "Précisions"))), "error")
    assert (error.tab, error.cell) == ("Travaux", "A2")
    assert "au moins un sujet" in error.message


def test_members_must_match_the_declared_count() -> None:
    members = tab(
        "Membres",
        ("CRPV", "Rôle"),
        ("Normanvilles", "animation"),
        ("Profession Banlieue", ""),
        ("IREV", ""),
    )
    error = only(check_group(tab("Travaux", *SANTE_TRAVAUX), members), "error")
    assert error.cell == "B2" and "compte 3 centre(s)" in error.message and "est 2" in error.message


def test_meetings_rows_outside_the_declared_range() -> None:
    meetings = tab("Réunions", ("Date", "Format", "Lieu", "Objet"), ("2024-01-10", "visio", "", ""))
    error = only(check_group(tab("Travaux", *SANTE_TRAVAUX), meetings), "error")
    assert error.cell == "B3" and "moins que les 2 annoncées" in error.message


def test_unknown_role_and_format_are_warnings_naming_their_cells() -> None:
    members = tab(
        "Membres", ("CRPV", "Rôle"), ("Normanvilles", "chef"), ("Profession Banlieue", "membre")
    )
    meetings = tab(
        "Réunions",
        ("Date", "Format", "Lieu", "Objet"),
        ("2024-01-10", "Présentiel", "", ""),
        ("", "téléphone", "", ""),
    )
    outcome = check_group(tab("Travaux", *SANTE_TRAVAUX), members, meetings)
    warnings = sorted((p.tab, p.cell, p.found) for p in outcome.problems if p.severity == "warning")
    assert warnings == [("Membres", "B2", "chef"), ("Réunions", "B3", "téléphone")]
    assert outcome.ok


def test_contact_that_is_not_an_address() -> None:
    warning = only(
        check_group(tab("Travaux", *SANTE_TRAVAUX), fiche=with_label("Contact", "Marie au 06")),
        "warning",
    )
    assert warning.cell == "B7" and "adresse électronique" in warning.message


def test_observation_source_must_be_a_web_address() -> None:
    book = workbook(
        tab("Contribution", ("Sujet", "Culture"), ("Questions", "Pourquoi ?")),
        tab(
            "Observations",
            ("CRPV", "Pratique", "Source"),
            ("IREV", "Atelier", "javascript:alert(1)"),
            ("ORIV", "", ""),
        ),
    )
    outcome = check_workbook(Fetched("contribution", "Culture", "c", book), network_2024())
    problems = sorted((p.severity, p.cell, p.found) for p in outcome.problems)
    assert problems == [("error", "B3", None), ("warning", "C2", "javascript:alert(1)")]


def check_bundled_network_with(replaced: Tab) -> Outcome:
    """The bundled network workbook, checked with one of its tabs replaced."""
    from sources.local import read_workbook
    from tests.helpers import EDITION_2024

    others = [t for t in read_workbook(EDITION_2024 / "reseau").tabs if t.name != replaced.name]
    return check_workbook(Fetched("network", "Réseau", "reseau", workbook(replaced, *others)))


def test_network_groupes_must_be_unique() -> None:
    groupes = tab(
        "Groupes",
        ("Groupe", "Feuille"),
        ("Santé", "gt-sante"),
        ("Santé", "gt-sante-bis"),
        ("Sport", "gt-sante"),
    )
    outcome = check_bundled_network_with(groupes)
    cells = sorted(p.cell for p in outcome.problems)
    assert cells == ["A2", "A3", "B2", "B4"]
    assert outcome.record is None


def test_two_workbooks_declaring_the_same_group_are_both_left_out() -> None:
    net = network_2024()
    good = check_group(tab("Travaux", *SANTE_TRAVAUX))
    sante, cosoter = net.groups[9], net.groups[1]
    outcomes = {
        sante.sheet: Outcome("group", sante.name, sante.sheet, good.record, (), name_cell="B1"),
        cosoter.sheet: Outcome(
            "group", cosoter.name, cosoter.sheet, good.record, (), name_cell="B1"
        ),
    }
    merged = check_across(net, outcomes)
    assert merged[sante.sheet].record is None and merged[cosoter.sheet].record is None
    messages = [str(p) for p in merged[cosoter.sheet].problems]
    assert any("aussi déclaré par le classeur « gt-sante »" in m for m in messages)
    assert any("diffère de celui de l'onglet « Groupes »" in m for m in messages)


def test_animators_must_be_members() -> None:
    members = tab("Membres", ("CRPV", "Rôle"), ("Normanvilles", "animation"), ("IREV", ""))
    error = only(check_group(tab("Travaux", *SANTE_TRAVAUX), members), "error")
    assert error.cell == "B5"
    assert "absent(s) de l'onglet « Membres » : Profession Banlieue" in error.message


def test_unknown_member_centre_gets_a_suggestion() -> None:
    members = tab("Membres", ("CRPV", "Rôle"), ("Normanvilles", ""), ("Profesion Banlieue", ""))
    outcome = check_group(tab("Travaux", *SANTE_TRAVAUX), members)
    messages = [(p.tab, p.cell, p.message) for p in outcome.problems if p.severity == "error"]
    assert ("Membres", "A3", messages[0][2]) == messages[0]
    assert "« Profession Banlieue » ?" in messages[0][2]


def test_programme_year_and_publication_date() -> None:
    programme = tab(
        "Programme",
        ("Année", "3024"),
        ("Titre", "Programme annuel"),
        ("Réseau", "RNCRPV"),
        ("Date de publication", "bientôt"),
    )
    outcome = check_bundled_network_with(programme)
    problems = sorted((p.severity, p.cell, p.found) for p in outcome.problems)
    assert problems == [("error", "B1", "3024"), ("warning", "B4", "bientôt")]


def test_programme_partners_contact_and_licence() -> None:
    programme = tab(
        "Programme",
        ("Année", "2024"),
        ("Titre", "Programme annuel 2024"),
        ("Réseau", "RNCRPV"),
        ("Partenaires", "ANCT\n> Banque des territoires"),
        ("Contact", "coordination chez rncrpv"),
        ("Licence", "CC BY 4.0"),
    )
    outcome = check_bundled_network_with(programme)
    assert [(p.severity, p.cell, p.message[:33]) for p in outcome.problems] == [
        ("warning", "B5", "une adresse électronique est atte")
    ]
    printed = outcome.record.programme
    assert printed.partners == ("ANCT", "Banque des territoires")
    assert (printed.contact, printed.licence) == ("coordination chez rncrpv", "CC BY 4.0")


def test_workbooks_checked_together_get_what_each_gets_alone() -> None:
    """One validation per tab for many workbooks finds, workbook by workbook and in the same order,
    what validating each on its own finds."""
    from flows.check import check_workbooks

    network = network_2024()
    faults = [
        with_label("Nombre de CRPV impliqués", "99 CRPV"),
        with_label("Contact", "pas une adresse"),
        SANTE_FICHE,
        with_label("Nombre de réunions", "Entre 5 et 3"),
    ]
    fetched = [
        Fetched(
            "group",
            f"Santé {n}",
            f"gt-sante-{n}",
            workbook(tab("Fiche", *fiche), tab("Travaux", *SANTE_TRAVAUX[: 1 if n == 2 else None])),
        )
        for n, fiche in enumerate(faults)
    ]
    together = check_workbooks(fetched, network)
    alone = [check_workbook(f, network) for f in fetched]
    assert together == alone
    empty = [p for p in together[2].problems if p.tab == "Travaux"]
    assert [(p.cell, p.message) for p in empty] == [
        ("A2", "au moins un sujet de travail est attendu (une ligne par sujet)")
    ]
    assert together[0].record is None and together[1].record is not None
    assert {p.severity for p in together[1].problems} == {"warning"}
