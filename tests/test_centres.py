"""The reference list of centres, and every `Animation` value of the 2024 seed."""

from __future__ import annotations

import pytest

from flows.centres import CentreIndex, centre_key
from flows.model import Centre
from tests.helpers import centres_2024

PARTICIPATION = (
    "Coordination tournante et renouvelable par moitié tous les ans de deux membres du GT : "
    "cette année co-pilotage Noémie SIEFERT –2e année (Pôle Ressources) et Cyril MELOT "
    "1ère année (Profession Banlieue)"
)
COSOTER = (
    "Pilotage partagé entre Labo Cités, Profession Banlieue, Pôle Ressources, Cité Ressources, "
    "Ressources & Territoires"
)
EDUCATION = (
    "Trajectoires ressources : Marie-Pascale GUYON\n"
    "Villes et Territoires : Eloïse THEBAUD\n"
    "Ville Caraïbe : Mickaël GUANEL"
)


@pytest.fixture(scope="module")
def index() -> CentreIndex:
    return centres_2024()


def test_the_bundled_list_has_twenty_centres(index):
    assert len(index) == 20


# ---------------------------------------------------------------- resolve


@pytest.mark.parametrize(
    ("text", "sigle"),
    [
        ("ORIV", "ORIV"),  # sigle
        ("IREV", "IREV"),
        ("Observatoire Régional de l'Intégration et de la Ville", "ORIV"),  # full name
        ("Institut Régional de la Ville", "IREV"),
        ("Pôle Ressources Ville et Développement Social", "Pôle Ressources"),
        ("Trajectoire Ressources", "Trajectoires Ressources"),  # alias
        ("ORS-CREAI Normandie", "Normanvilles"),  # alias
        ("Maoré Ouvoimoja", "CRPV Mayotte"),
        ("Resovilles", "Résovilles"),  # no accents
        ("Villes & Territoires", "Villes et Territoires"),  # & for et
        ("Ressources et Territoires", "Ressources & Territoires"),  # et for &
        ("Trajectoires ressources", "Trajectoires Ressources"),  # case
        ("  LABO CITES ", "Labo Cités"),
        ("PQN A", "PQN-A"),  # punctuation
        ("Observatoire Régional de l’Intégration et de la Ville", "ORIV"),  # curly apostrophe
    ],
)
def test_resolve(index, text, sigle):
    assert index.resolve(text) == sigle


@pytest.mark.parametrize("text", ["Profesion Banlieue", "Xyz", "", "Villes", "Ressources"])
def test_resolve_refuses_what_is_not_exactly_a_centre(index, text):
    assert index.resolve(text) is None


def test_suggest_a_near_miss(index):
    assert index.suggest("Profesion Banlieue") == "Profession Banlieue"


def test_suggest_nothing_for_a_far_text(index):
    assert index.suggest("Centre Inconnu") is None


def test_centre_key_treats_ampersand_as_et():
    assert centre_key("Villes & Territoires") == centre_key("villes et territoires")


def test_index_built_inline():
    index = CentreIndex([Centre("ABC", "Atelier Bien Commun", aliases=("A.B.C.",))])
    assert index.resolve("atelier bien commun") == "ABC"
    assert index.resolve("A.B.C.") == "ABC"


def test_empty_index_resolves_and_mentions_nothing():
    index = CentreIndex([])
    assert index.resolve("ORIV") is None
    assert index.mentions("ORIV") == ()


# ---------------------------------------------------------------- parse_leads, seed values


def centres_of(entries):
    return [e.centre for e in entries]


SEED_LISTS = [
    # (Animation cell, sigles in order) for the cells that only name centres
    (
        "Trajectoires Ressources, ORS-CREAI Normandie, ORIV",
        ["Trajectoires Ressources", "Normanvilles", "ORIV"],
    ),  # Contractualisation
    ("Resovilles", ["Résovilles"]),  # Développement économique
    ("ORIV, Villes & Territoires", ["ORIV", "Villes et Territoires"]),  # Égalité femmes-hommes
    ("IREV et Normanvilles", ["IREV", "Normanvilles"]),  # Transition
    ("Résovilles ", ["Résovilles"]),  # Questions urbaines
    (
        "Profession Banlieue, Trajectoire Ressources",
        ["Profession Banlieue", "Trajectoires Ressources"],
    ),  # Ressource & Communication
    ("Normanvilles, Profession Banlieue", ["Normanvilles", "Profession Banlieue"]),  # Santé
    ("IREV, Labo Cités", ["IREV", "Labo Cités"]),  # Sport
    ("Labo Cités et IREV", ["Labo Cités", "IREV"]),  # Valeurs de la République
]


@pytest.mark.parametrize(("value", "sigles"), SEED_LISTS)
def test_parse_leads_seed_lists_of_centres(index, value, sigles):
    entries, unknown = index.parse_leads(value)
    assert unknown == ()
    assert centres_of(entries) == sigles
    assert all(e.people == "" for e in entries)


def test_parse_leads_keeps_each_entry_as_written(index):
    entries, _ = index.parse_leads("Profession Banlieue, Trajectoire Ressources")
    assert [e.text for e in entries] == ["Profession Banlieue", "Trajectoire Ressources"]


def test_parse_leads_education_centres_and_people(index):
    entries, unknown = index.parse_leads(EDUCATION)
    assert unknown == ()
    assert [(e.centre, e.people, e.line) for e in entries] == [
        ("Trajectoires Ressources", "Marie-Pascale GUYON", 0),
        ("Villes et Territoires", "Eloïse THEBAUD", 1),
        ("Ville Caraïbe", "Mickaël GUANEL", 2),
    ]


def test_parse_leads_education_with_bullets_and_windows_line_endings(index):
    value = "> " + EDUCATION.replace("\n", "\r\n> ") + "\r\n"
    entries, unknown = index.parse_leads(value)
    assert unknown == ()
    assert [e.people for e in entries] == [
        "Marie-Pascale GUYON",
        "Eloïse THEBAUD",
        "Mickaël GUANEL",
    ]


def test_parse_leads_cosoter_free_text_then_four_centres(index):
    entries, unknown = index.parse_leads(COSOTER)
    assert unknown == ()
    free, *named = entries
    assert free.centre is None
    assert free.text == "Pilotage partagé entre Labo Cités"
    assert free.mentions == ("Labo Cités",)
    assert centres_of(named) == [
        "Profession Banlieue",
        "Pôle Ressources",
        "Cité Ressources",
        "Ressources & Territoires",
    ]


def test_parse_leads_cosoter_names_five_centres_in_all(index):
    entries, _ = index.parse_leads(COSOTER)
    assert [s for e in entries for s in e.centres] == [
        "Labo Cités",
        "Profession Banlieue",
        "Pôle Ressources",
        "Cité Ressources",
        "Ressources & Territoires",
    ]


def test_parse_leads_participation_is_one_free_text_entry(index):
    entries, unknown = index.parse_leads(PARTICIPATION)
    assert unknown == ()
    assert len(entries) == 1
    (entry,) = entries
    assert entry.centre is None
    assert entry.text == PARTICIPATION
    assert entry.mentions == ("Pôle Ressources", "Profession Banlieue")


def test_parse_leads_participation_as_laid_out_in_the_seed(index):
    # The seed breaks the sentence over four lines: each line is kept, none is an error.
    value = (
        "Coordination tournante et renouvelable par moitié \n"
        "tous les ans de deux membres du GT : cette année co-\n"
        "pilotage Noémie SIEFERT –2e année (Pôle Ressources) \n"
        "et Cyril MELOT 1ère année (Profession Banlieue)"
    )
    entries, unknown = index.parse_leads(value)
    assert unknown == ()
    assert [s for e in entries for s in e.centres] == ["Pôle Ressources", "Profession Banlieue"]


# ---------------------------------------------------------------- parse_leads, other forms


@pytest.mark.parametrize(
    ("value", "sigles"),
    [
        ("> ORIV\n- IREV", ["ORIV", "IREV"]),
        ("ORIV\n\n\nIREV", ["ORIV", "IREV"]),
        ("Villes et Territoires et IREV", ["Villes et Territoires", "IREV"]),
        ("IREV & Ressources & Territoires", ["IREV", "Ressources & Territoires"]),
        ("Pôle Ressources Ville et Développement Social et ORIV", ["Pôle Ressources", "ORIV"]),
        ("ORIV, IREV et Labo Cités", ["ORIV", "IREV", "Labo Cités"]),
    ],
)
def test_parse_leads_other_lists(index, value, sigles):
    entries, unknown = index.parse_leads(value)
    assert unknown == ()
    assert centres_of(entries) == sigles


def test_parse_leads_centre_with_several_people(index):
    entries, unknown = index.parse_leads("ORIV : Jean DUPONT, Marie CURIE")
    assert unknown == ()
    assert [(e.centre, e.people) for e in entries] == [("ORIV", "Jean DUPONT, Marie CURIE")]


def test_parse_leads_of_an_empty_cell(index):
    assert index.parse_leads("") == ((), ())


# ---------------------------------------------------------------- parse_leads, mistakes


def test_parse_leads_near_miss_is_unknown_with_a_suggestion(index):
    entries, unknown = index.parse_leads("Profesion Banlieue")
    assert entries == ()
    assert [(u.text, u.suggestion) for u in unknown] == [
        ("Profesion Banlieue", "Profession Banlieue")
    ]


def test_parse_leads_near_miss_among_known_centres(index):
    entries, unknown = index.parse_leads("Trajectoires Ressources, Profesion Banlieue")
    assert centres_of(entries) == ["Trajectoires Ressources"]
    assert [(u.text, u.suggestion) for u in unknown] == [
        ("Profesion Banlieue", "Profession Banlieue")
    ]


def test_parse_leads_unknown_centre_with_people_is_an_error(index):
    entries, unknown = index.parse_leads("Centre Inconnu : Jean DUPONT")
    assert entries == ()
    assert [(u.text, u.suggestion) for u in unknown] == [("Centre Inconnu : Jean DUPONT", None)]


def test_parse_leads_short_unknown_text_is_an_error(index):
    entries, unknown = index.parse_leads("Xyz")
    assert entries == ()
    assert [u.text for u in unknown] == ["Xyz"]


def test_parse_leads_unknown_reports_its_line(index):
    _, unknown = index.parse_leads("ORIV\nXyz")
    assert [(u.text, u.line) for u in unknown] == [("Xyz", 1)]


def test_parse_leads_long_sentence_without_centre_is_free_text(index):
    text = "Coordination tournante entre les membres du groupe cette année"
    entries, unknown = index.parse_leads(text)
    assert unknown == ()
    assert [(e.text, e.centre, e.mentions) for e in entries] == [(text, None, ())]


# ---------------------------------------------------------------- mentions


def test_mentions_finds_nothing_in_unrelated_text(index):
    assert (
        index.mentions("Le GT participation se réunit en visio sauf durant le regroupement.") == ()
    )


def test_mentions_in_order_of_appearance_without_repeats(index):
    assert index.mentions("avec IREV et Labo Cités puis encore IREV") == ("IREV", "Labo Cités")


def test_mentions_prefers_the_longest_name(index):
    # The full name wins over the shorter "Pôle Ressources" it begins with: one mention.
    assert index.mentions("le centre Pôle Ressources Ville et Développement Social") == (
        "Pôle Ressources",
    )


def test_mentions_ignores_a_sigle_inside_a_word(index):
    assert index.mentions("les PRIORIVES du territoire") == ()
