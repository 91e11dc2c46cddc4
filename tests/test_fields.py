"""Parsers of cell values, on every real value of the 2024 seed and on what people might write."""

from __future__ import annotations

import pytest

from flows.fields import (
    parse_count,
    parse_creation,
    parse_meeting_count,
    split_items,
    strip_bullet,
)

# ---------------------------------------------------------------- Nombre de CRPV impliqués

# Every value of the seed, as the bundled workbooks hold it (and a trailing space as in the PDF).
SEED_COUNTS = [
    ("14 CRPV", 14),  # Contractualisation, Éducation, Transition
    ("11 CRPV", 11),  # Cosoter
    ("11 CRPV ", 11),  # trailing space, as copied from the PDF
    ("9 CRPV", 9),  # Développement économique, Valeurs de la République et laïcité
    ("8 CRPV", 8),  # Égalité femmes-hommes, Santé
    ("15 CRPV", 15),  # Participation des habitants
    ("12 CRPV", 12),  # Questions urbaines
    ("13 CRPV", 13),  # Ressource & Communication
    ("5 CRPV", 5),  # Sport et quartiers populaires
]


@pytest.mark.parametrize(("text", "expected"), SEED_COUNTS)
def test_parse_count_reads_every_seed_value(text, expected):
    assert parse_count(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("14", 14), (" 14 ", 14), ("14 crpv", 14), ("14CRPV", 14), ("14 CRPV.", 14), ("20", 20)],
)
def test_parse_count_accepts_a_bare_number_or_a_number_of_crpv(text, expected):
    assert parse_count(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "quatorze",
        "",
        "   ",
        "14,5",
        "14.5",
        "-3",
        "1 4",
        "CRPV 14",
        "14 CRPVs",
        "14 centres",
        "environ 14",
    ],
)
def test_parse_count_refuses_what_is_not_a_whole_number(text):
    assert parse_count(text) is None


def test_parse_count_reads_zero_as_zero():
    # The range 1..size of the CRPV list is checked by the expectations suite, not here.
    assert parse_count("0") == 0


# ---------------------------------------------------------------- Nombre de réunions

SEED_MEETINGS = [
    ("Entre 6 et 8 sur l’année", 6, 8),  # Contractualisation
    ("8 réunions", 8, 8),  # Cosoter, Participation des habitants
    ("10 réunions", 10, 10),  # Développement économique
    ("4", 4, 4),  # Éducation
    ("6 réunions ", 6, 6),  # Égalité femmes-hommes (trailing space in the seed)
    ("10", 10, 10),  # Transition
    ("6 à 7 réunions", 6, 7),  # Questions urbaines
    ("4 réunions", 4, 4),  # Ressource & Communication, Santé
    ("1/mois sauf en août", 11, 11),  # Sport et quartiers populaires
    ("3 réunions", 3, 3),  # Valeurs de la République et laïcité
]


@pytest.mark.parametrize(("text", "low", "high"), SEED_MEETINGS)
def test_parse_meeting_count_reads_every_seed_value(text, low, high):
    meetings = parse_meeting_count(text)
    assert (meetings.minimum, meetings.maximum) == (low, high)


@pytest.mark.parametrize(("text", "_low", "_high"), SEED_MEETINGS)
def test_parse_meeting_count_keeps_the_text_as_written(text, _low, _high):
    assert parse_meeting_count(text).text == text


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("Entre 6 et 8 sur l'année", 6, 8),  # straight apostrophe
        ("entre 8 et 6", 6, 8),  # bounds given in the wrong order
        ("6-7", 6, 7),
        ("6 ou 7 réunions", 6, 7),
        ("2 par mois", 24, 24),
        ("1 fois par mois", 12, 12),
        ("1/mois", 12, 12),
        ("1/mois sauf juillet et août", 10, 10),
        ("1/mois hors août", 11, 11),
        ("1 par trimestre", 4, 4),
        ("2 par an", 2, 2),
        ("1 par semestre", 2, 2),
        ("1 réunion", 1, 1),
        ("5 rencontres", 5, 5),
        ("10 (dont 2 en présentiel)", 10, 10),
    ],
)
def test_parse_meeting_count_reads_other_usual_forms(text, low, high):
    meetings = parse_meeting_count(text)
    assert (meetings.minimum, meetings.maximum) == (low, high)


@pytest.mark.parametrize(
    "text", ["quelques-unes", "selon les besoins", "mensuelle", "", "une dizaine"]
)
def test_parse_meeting_count_leaves_unparsed_text_as_written(text):
    meetings = parse_meeting_count(text)
    assert (meetings.minimum, meetings.maximum) == (None, None)
    assert meetings.text == text


def test_months_excluded_only_after_sauf_or_hors():
    # "août" named without "sauf"/"hors" does not remove a month.
    assert parse_meeting_count("1/mois dont août").minimum == 12


# ---------------------------------------------------------------- Groupe créé en

CONTRACTUALISATION_NOTE = "transformation du GT évaluation en GT contractualisation"
RESSOURCE_NOTE = (
    "fusion des groupes Communication et Club de veille qui ont été créés il y a plusieurs années"
)


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("2009", 2009),
        ("2017", 2017),
        ("2018", 2018),
        ("2019", 2019),
        ("2020", 2020),
        ("2022", 2022),
        (" 2020 ", 2020),
    ],
)
def test_parse_creation_reads_a_bare_year(text, year):
    created = parse_creation(text)
    assert created is not None
    assert (created.year, created.month, created.note) == (year, None, "")


def test_parse_creation_keeps_the_text_stripped():
    assert parse_creation(" 2020 ").text == "2020"


@pytest.mark.parametrize(
    ("text", "year", "month", "note"),
    [
        (f"Janvier 2023 ({CONTRACTUALISATION_NOTE})", 2023, 1, CONTRACTUALISATION_NOTE),
        (f"Mai 2022 ({RESSOURCE_NOTE})", 2022, 5, RESSOURCE_NOTE),
        # As the seed lays them out: the note broken over two lines of the cell.
        (
            "Janvier 2023 (transformation du GT évaluation en GT \ncontractualisation)",
            2023,
            1,
            CONTRACTUALISATION_NOTE,
        ),
        (
            "Mai 2022 (fusion des groupes Communication et Club de \nveille qui ont été créés "
            "il y a plusieurs années)",
            2022,
            5,
            RESSOURCE_NOTE,
        ),
        (
            "Janvier 2023\n(transformation du GT évaluation en GT contractualisation)",
            2023,
            1,
            CONTRACTUALISATION_NOTE,
        ),
    ],
)
def test_parse_creation_reads_month_year_and_note(text, year, month, note):
    created = parse_creation(text)
    assert created is not None
    assert (created.year, created.month, created.note) == (year, month, note)


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("Janvier 2023", 1),
        ("février 2019", 2),
        ("Fevrier 2019", 2),
        ("Août 2021", 8),
        ("aout 2021", 8),
        ("DÉCEMBRE 2024", 12),
        ("mai 2022", 5),
    ],
)
def test_parse_creation_reads_french_month_names(text, month):
    created = parse_creation(text)
    assert created is not None
    assert created.month == month


def test_parse_creation_year_with_a_note_and_no_month():
    created = parse_creation("2020 (création du groupe)")
    assert (created.year, created.month, created.note) == (2020, None, "création du groupe")


@pytest.mark.parametrize(
    "text",
    [
        "vers 2020",
        "Brumaire 2020",
        "l'an dernier",
        "",
        "20",
        "20201",
        "2020 (note non fermée",
        "Janvier",
        "2020 2021",
    ],
)
def test_parse_creation_refuses_what_is_not_a_year(text):
    assert parse_creation(text) is None


# ---------------------------------------------------------------- item lists and bullets


@pytest.mark.parametrize(
    ("line", "item"),
    [
        ("> Visio", "Visio"),
        ("- Visio", "Visio"),
        ("• Visio", "Visio"),
        ("* Visio", "Visio"),
        (
            "> > Participation aux temps de sensibilisation",
            "Participation aux temps de sensibilisation",
        ),
        ("  > Webinaires  ", "Webinaires"),
        (">Webinaires", "Webinaires"),
        ("– Webinaires", "Webinaires"),
        ("— Webinaires", "Webinaires"),
        ("Webinaires", "Webinaires"),
    ],
)
def test_strip_bullet_drops_leading_marks(line, item):
    assert strip_bullet(line) == item


@pytest.mark.parametrize(
    "line",
    [
        "co-production (publication, webinaire)",
        "Visio-conférences",
        "-5 % de budget",  # a minus sign glued to a number is not a bullet
        "–2e année",  # nor a dash glued to a word (Participation des habitants)
        "Intervention d’experts hors CRPV : chefs de projet",
        "outils de com > veille",  # a '>' inside the line stays
    ],
)
def test_strip_bullet_keeps_hyphens_and_marks_that_are_not_bullets(line):
    assert strip_bullet(line) == line


def test_split_items_one_item_a_line():
    value = (
        "Ateliers d’échanges de pratiques\n"
        "Ateliers de qualification et d’inter-qualification\n"
        "Webinaires\nFormations"
    )
    assert split_items(value) == (
        "Ateliers d’échanges de pratiques",
        "Ateliers de qualification et d’inter-qualification",
        "Webinaires",
        "Formations",
    )


def test_split_items_drops_bullets_and_blank_lines():
    assert split_items("> Visio\n\n   \n> Présentiel\n") == ("Visio", "Présentiel")


def test_split_items_windows_line_endings():
    assert split_items("> Visio-conférences\r\n\r\n- 1 journée en présentiel\r\n") == (
        "Visio-conférences",
        "1 journée en présentiel",
    )


def test_split_items_seed_cosoter_details():
    value = (
        "> Alimentation régulière de la base de données \n"
        "> En présentiel : au 1er semestre - travail de nettoyage de la base\n"
        "> > Participation aux temps de sensibilisation"
    )
    assert split_items(value) == (
        "Alimentation régulière de la base de données",
        "En présentiel : au 1er semestre - travail de nettoyage de la base",
        "Participation aux temps de sensibilisation",
    )


def test_split_items_single_line_is_one_item():
    assert split_items(
        "Échange régulier entre les membres ; co-production (publication, webinaire)"
    ) == ("Échange régulier entre les membres ; co-production (publication, webinaire)",)


@pytest.mark.parametrize("value", ["", "\n\n", " \r\n ", "> \n- \n•"])
def test_split_items_of_an_empty_cell(value):
    assert split_items(value) == ()
