"""Workbooks into records: a group's workbook built in memory, and the bundled network workbook."""

from __future__ import annotations

import pytest

from flows.model import Creation, Group, LeadEntry, MeetingCount, Topic
from flows.parse import parse_group, parse_network
from sources.local import read_workbook
from sources.workbook import Notice
from tests.helpers import EDITION_2024, SEED_GROUPS, centres_2024, tab, workbook

FICHE_ROWS = (
    ("Groupe de travail", "Santé"),
    ("Nombre de CRPV impliqués", "8 CRPV"),
    ("Nombre de réunions", "4 réunions"),
    ("Groupe créé en", "2020"),
    ("Animation", "Normanvilles, Profession Banlieue"),
    ("Modalités de travail", "> Visio-conférences\n> 1 journée en présentiel"),
)
TRAVAUX_ROWS = (
    ("Sujet", "Précisions"),
    (
        "Tour d’actualités des actions menées dans les CRPV sur la santé",
        "> Partage et discussions des problématiques\n\n> Partage de ressources documentaires",
    ),
    ("> Production d’une publication sur l’état de santé dans les QPV", ""),
)


def group_book(fiche=FICHE_ROWS, travaux=TRAVAUX_ROWS, *extra):
    return workbook(tab("Fiche", *fiche), tab("Travaux", *travaux), *extra, name="gt-sante")


def parse(book):
    return parse_group(book, "GT Santé", centres_2024())


def replace_label(label, value, rows=FICHE_ROWS):
    return tuple((label, value) if row[0] == label else row for row in rows)


def errors(parsed):
    return [p for p in parsed.problems if p.severity == "error"]


def warnings(parsed):
    return [p for p in parsed.problems if p.severity == "warning"]


# ---------------------------------------------------------------- a complete group


def test_complete_group_parses_without_problems():
    parsed = parse(group_book())
    assert parsed.problems == []
    assert isinstance(parsed.record, Group)


def test_complete_group_fields():
    group = parse(group_book()).record
    assert group.name == "Santé"
    assert group.crpv_count == 8
    assert group.crpv_count_text == "8 CRPV"
    assert group.meetings == MeetingCount("4 réunions", 4, 4)
    assert group.created == Creation("2020", 2020)
    assert group.animation == (
        LeadEntry("Normanvilles", 0, "Normanvilles"),
        LeadEntry("Profession Banlieue", 0, "Profession Banlieue"),
    )
    assert group.methods == ("Visio-conférences", "1 journée en présentiel")
    assert group.contact == ""
    assert group.members == ()
    assert group.planned_meetings == ()


def test_travaux_sub_items_are_split_into_details():
    topics = parse(group_book()).record.topics
    assert topics == (
        Topic(
            "Tour d’actualités des actions menées dans les CRPV sur la santé",
            ("Partage et discussions des problématiques", "Partage de ressources documentaires"),
        ),
        Topic("Production d’une publication sur l’état de santé dans les QPV", ()),
    )


def test_travaux_blank_rows_are_skipped():
    travaux = (("Sujet", "Précisions"), ("", ""), ("Webinaire", ""), ("  ", ""))
    assert [t.subject for t in parse(group_book(travaux=travaux)).record.topics] == ["Webinaire"]


def test_labels_in_any_order_and_blank_rows():
    fiche = (("", ""),) + tuple(reversed(FICHE_ROWS)) + (("", ""),)
    parsed = parse(group_book(fiche=fiche))
    assert parsed.problems == []
    assert parsed.record.crpv_count == 8


def test_labels_matched_loosely():
    fiche = tuple(
        ("NOMBRE DE CRPV IMPLIQUES :", value)
        if label == "Nombre de CRPV impliqués"
        else ("  modalites de travail ", value)
        if label == "Modalités de travail"
        else (label, value)
        for label, value in FICHE_ROWS
    )
    parsed = parse(group_book(fiche=fiche))
    assert parsed.problems == []
    assert parsed.record.crpv_count == 8
    assert parsed.record.methods == ("Visio-conférences", "1 journée en présentiel")


def test_tab_names_matched_loosely():
    book = workbook(tab("FICHE", *FICHE_ROWS), tab(" travaux ", *TRAVAUX_ROWS))
    assert parse(book).problems == []


def test_optional_members_and_meetings_tabs():
    book = group_book(
        FICHE_ROWS,
        TRAVAUX_ROWS,
        tab("Membres", ("CRPV", "Rôle"), ("Normanvilles", "animation"), ("IREV", "")),
        tab(
            "Réunions",
            ("Date", "Format", "Lieu", "Objet"),
            ("2024-03-24", "visio", "", "Lancement"),
        ),
    )
    group = parse(book).record
    assert [(m.centre, m.role) for m in group.members] == [
        ("Normanvilles", "animation"),
        ("IREV", "membre"),
    ]
    assert [(m.date, m.format, m.purpose) for m in group.planned_meetings] == [
        ("2024-03-24", "visio", "Lancement")
    ]


# ---------------------------------------------------------------- problems in Fiche


def test_unknown_label_is_a_warning_naming_the_a_cell():
    fiche = FICHE_ROWS + (("Budget prévisionnel", "1 000 €"),)
    parsed = parse(group_book(fiche=fiche))
    assert parsed.record is not None
    (warning,) = warnings(parsed)
    assert (warning.tab, warning.cell, warning.found) == ("Fiche", "A7", "Budget prévisionnel")
    assert errors(parsed) == []


def test_value_without_label_is_a_warning_naming_the_b_cell():
    fiche = FICHE_ROWS + (("", "orphan"),)
    (warning,) = warnings(parse(group_book(fiche=fiche)))
    assert (warning.tab, warning.cell, warning.found) == ("Fiche", "B7", "orphan")


def test_missing_required_label_is_an_error_naming_the_label():
    fiche = tuple(row for row in FICHE_ROWS if row[0] != "Animation")
    parsed = parse(group_book(fiche=fiche))
    assert parsed.record is None
    (error,) = errors(parsed)
    assert "« Animation »" in error.message
    assert "obligatoire" in error.message
    assert error.tab == "Fiche"


def test_empty_required_value_is_an_error_at_its_cell():
    parsed = parse(group_book(fiche=replace_label("Animation", "  ")))
    (error,) = errors(parsed)
    assert "« Animation »" in error.message
    assert error.cell == "B5"


def test_missing_fiche_tab_is_an_error():
    parsed = parse(workbook(tab("Travaux", *TRAVAUX_ROWS)))
    assert parsed.record is None
    messages = [e.message for e in errors(parsed)]
    assert "l'onglet « Fiche » est absent" in messages


def test_count_in_words_is_an_error_at_its_cell():
    parsed = parse(group_book(fiche=replace_label("Nombre de CRPV impliqués", "quatorze")))
    assert parsed.record is None
    (error,) = errors(parsed)
    assert (error.tab, error.cell, error.found) == ("Fiche", "B2", "quatorze")
    assert "nombre entier" in error.message


def test_problem_reads_as_sheets_md_says():
    fiche = (FICHE_ROWS[0], ("", ""), ("Nombre de CRPV impliqués", "quatorze")) + FICHE_ROWS[2:]
    (error,) = errors(parse(group_book(fiche=fiche)))
    assert str(error).startswith("GT Santé · Fiche!B3 · « quatorze » : ")
    assert "un nombre entier est attendu (ex. 14)" in str(error)


def test_label_given_twice_with_different_values_is_an_error():
    fiche = FICHE_ROWS + (("Nombre de CRPV impliqués", "9 CRPV"),)
    parsed = parse(group_book(fiche=fiche))
    assert parsed.record is None
    (error,) = errors(parsed)
    assert (error.cell, error.found) == ("B7", "9 CRPV")
    assert "deux fois" in error.message
    assert "B2" in error.message


def test_label_given_twice_with_the_same_value_is_accepted():
    fiche = FICHE_ROWS + (("nombre de crpv impliqués", " 8 CRPV "),)
    parsed = parse(group_book(fiche=fiche))
    assert parsed.problems == []


def test_unparsed_meeting_count_is_a_warning_and_printed_as_written():
    parsed = parse(group_book(fiche=replace_label("Nombre de réunions", "selon les besoins")))
    (warning,) = warnings(parsed)
    assert (warning.cell, warning.found) == ("B3", "selon les besoins")
    assert parsed.record.meetings == MeetingCount("selon les besoins")


def test_unreadable_creation_is_an_error():
    parsed = parse(group_book(fiche=replace_label("Groupe créé en", "vers 2020")))
    (error,) = errors(parsed)
    assert (error.cell, error.found) == ("B4", "vers 2020")


def test_unknown_centre_in_animation_is_an_error_with_a_suggestion():
    parsed = parse(group_book(fiche=replace_label("Animation", "Normanvilles, Profesion Banlieue")))
    assert parsed.record is None
    (error,) = errors(parsed)
    assert (error.cell, error.found) == ("B5", "Profesion Banlieue")
    assert "Profession Banlieue" in error.message


def test_workbook_notices_become_warnings():
    book = workbook(
        tab("Fiche", *FICHE_ROWS),
        tab("Travaux", *TRAVAUX_ROWS),
        notices=(Notice("séparé par des points-virgules", "Fiche"),),
    )
    parsed = parse(book)
    assert parsed.record is not None
    assert [(w.message, w.tab) for w in warnings(parsed)] == [
        ("séparé par des points-virgules", "Fiche")
    ]


# ---------------------------------------------------------------- problems in tabs and tables


def test_unknown_extra_tab_is_a_warning():
    parsed = parse(group_book(FICHE_ROWS, TRAVAUX_ROWS, tab("Brouillon", ("x",))))
    assert parsed.record is not None
    (warning,) = warnings(parsed)
    assert warning.tab == "Brouillon"
    assert "onglet inconnu" in warning.message


def test_controls_tab_is_not_reported():
    parsed = parse(group_book(FICHE_ROWS, TRAVAUX_ROWS, tab("Contrôles", ("x",))))
    assert parsed.problems == []


def test_renamed_header_is_an_error_and_a_warning():
    travaux = (("Sujets", "Précisions"),) + TRAVAUX_ROWS[1:]
    parsed = parse(group_book(travaux=travaux))
    assert parsed.record is None
    (error,) = errors(parsed)
    assert error.tab == "Travaux"
    assert "« Sujet »" in error.message
    assert "absente" in error.message
    (warning,) = warnings(parsed)
    assert (warning.tab, warning.cell, warning.found) == ("Travaux", "A1", "Sujets")
    assert "colonne inconnue" in warning.message


def test_header_row_after_blank_rows():
    travaux = (("", ""), ("", "")) + TRAVAUX_ROWS
    parsed = parse(group_book(travaux=travaux))
    assert parsed.problems == []
    assert len(parsed.record.topics) == 2


def test_unknown_column_is_a_warning_naming_its_cell():
    travaux = (("Sujet", "Précisions", "", "Commentaire"), ("Webinaire", "", "", "à voir"))
    parsed = parse(group_book(travaux=travaux))
    (warning,) = warnings(parsed)
    assert (warning.cell, warning.found) == ("D1", "Commentaire")
    assert [t.subject for t in parsed.record.topics] == ["Webinaire"]


def test_empty_travaux_tab_is_an_error():
    parsed = parse(group_book(travaux=(("", ""),)))
    assert parsed.record is None
    assert any(e.tab == "Travaux" for e in errors(parsed))


def test_short_rows_read_as_empty_cells():
    travaux = (("Sujet", "Précisions"), ("Webinaire",))
    assert parse(group_book(travaux=travaux)).record.topics == (Topic("Webinaire", ()),)


# ---------------------------------------------------------------- the bundled network workbook


@pytest.fixture(scope="module")
def network_parsed():
    return parse_network(read_workbook(EDITION_2024 / "reseau"))


def test_bundled_network_parses_without_problems(network_parsed):
    assert network_parsed.problems == []
    assert network_parsed.record is not None


def test_bundled_network_programme(network_parsed):
    programme = network_parsed.record.programme
    assert programme.year == 2024
    assert programme.title == "Programme annuel 2024"
    assert programme.network == "Réseau National des Centres de Ressources Politique de la Ville"
    assert programme.acronym == "RNCRPV"


def test_bundled_network_has_five_sections(network_parsed):
    sections = network_parsed.record.sections
    assert [s.number for s in sections] == ["1", "2", "3", "4", "5"]
    assert sections[0].title.startswith("Un réseau qui se structure")


def test_bundled_network_has_twenty_centres(network_parsed):
    centres = network_parsed.record.centres
    assert len(centres) == 20
    by_sigle = {c.sigle: c for c in centres}
    assert by_sigle["Normanvilles"].aliases == ("ORS-CREAI Normandie",)
    assert by_sigle["Trajectoires Ressources"].aliases == ("Trajectoire Ressources",)
    assert by_sigle["ORIV"].name == "Observatoire Régional de l'Intégration et de la Ville"
    assert by_sigle["ORIV"].aliases == ()


def test_bundled_network_groups_in_the_seed_order(network_parsed):
    assert tuple(g.name for g in network_parsed.record.groups) == SEED_GROUPS


def test_bundled_network_group_sheets_and_rows(network_parsed):
    groups = network_parsed.record.groups
    assert (groups[0].sheet, groups[0].row) == ("gt-contractualisation", 2)
    assert (groups[-1].sheet, groups[-1].row) == ("gt-valeurs-republique-laicite", 13)


def test_bundled_network_two_contributions(network_parsed):
    assert [(c.name, c.sheet) for c in network_parsed.record.contributions] == [
        ("Culture et politique de la ville", "contribution-culture"),
        ("Le contrat de ville intégrateur", "contribution-contrat-de-ville-integrateur"),
    ]


def test_network_with_a_year_in_words_is_an_error():
    book = workbook(
        tab("Programme", ("Année", "deux mille vingt-quatre"), ("Titre", "T"), ("Réseau", "R")),
        tab("Sections", ("N°", "Titre", "Texte")),
        tab("CRPV", ("Sigle", "Nom"), ("ORIV", "")),
        tab("Groupes", ("Groupe", "Feuille")),
        name="reseau",
    )
    parsed = parse_network(book)
    assert parsed.record is None
    (error,) = errors(parsed)
    assert str(error).startswith("Réseau · Programme!B1 · « deux mille vingt-quatre » : ")


def test_network_centre_name_defaults_to_its_sigle_and_aliases_split():
    book = workbook(
        tab("Programme", ("Année", "2024"), ("Titre", "T"), ("Réseau", "R")),
        tab("Sections", ("N°", "Titre", "Texte")),
        tab("CRPV", ("Sigle", "Nom", "Alias"), ("ORIV", "", "Orive, O.R.I.V.\nObservatoire")),
        tab("Groupes", ("Groupe", "Feuille")),
        name="reseau",
    )
    parsed = parse_network(book)
    assert parsed.problems == []
    (centre,) = parsed.record.centres
    assert (centre.sigle, centre.name, centre.aliases) == (
        "ORIV",
        "ORIV",
        ("Orive", "O.R.I.V.", "Observatoire"),
    )
    assert parsed.record.contributions == ()


def test_a_look_alike_tab_or_label_is_shown_by_its_code_points():
    book = workbook(
        tab("Fiche", *FICHE_ROWS, ("Cont\u0430ct", "x@y.fr")),  # a Cyrillic « а »
        tab("Travaux", *TRAVAUX_ROWS),
        tab("R\u00e9unions\u200b", ("Date",)),  # a zero-width space
    )
    messages = [w.message for w in warnings(parse(book))]
    assert any("libellé inconnu" in m and "Cont<U+0430>ct" in m for m in messages), messages
    assert any("onglet inconnu" in m and "Réunions<U+200B>" in m for m in messages), messages
