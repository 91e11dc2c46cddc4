"""The network view: one row per registered group, the group × centre matrix, the totals."""

from __future__ import annotations

from flows.merge import merge
from flows.model import (
    Centre,
    Contribution,
    Group,
    LeadEntry,
    MeetingCount,
    Member,
    Network,
    Observation,
    Outcome,
    Problem,
    Programme,
    Registration,
)

CENTRES = (
    Centre("IREV", "Institut Régional de la Ville"),
    Centre("ORIV", "ORIV"),
    Centre("Labo Cités", "Labo Cités"),
)


def group(
    name: str, count: int, meetings: MeetingCount, leads: tuple[LeadEntry, ...], members=()
) -> Group:
    return Group(name, count, f"{count} CRPV", meetings, leads, ("Visio",), (), members=members)


def network(*names: str) -> Network:
    registrations = tuple(Registration(n, f"gt-{n.lower()}", i + 2) for i, n in enumerate(names))
    return Network(
        Programme(2024, "Programme annuel 2024", "Réseau"), (), CENTRES, registrations, ()
    )


def outcome(name: str, record: Group | None, errors: int = 0) -> Outcome:
    problems = tuple(Problem("error", f"GT {name}", "faux") for _ in range(errors))
    return Outcome("group", name, f"gt-{name.lower()}", record, problems)


def test_one_row_per_registered_group_in_printing_order_even_when_left_out() -> None:
    net = network("Santé", "Transition", "Sport")
    outcomes = {
        "gt-santé": outcome(
            "Santé", group("Santé", 8, MeetingCount("4", 4, 4), (LeadEntry("IREV", 0, "IREV"),))
        ),
        "gt-transition": outcome("Transition", None, errors=2),
        "gt-sport": outcome(
            "Sport", group("Sport", 5, MeetingCount("1/mois sauf en août", 11, 11), ())
        ),
    }
    view = merge(net, outcomes, [])
    assert list(view.groups["group"]) == ["Santé", "Transition", "Sport"]
    assert list(view.groups["printed"]) == [True, False, True]
    assert list(view.groups["errors"]) == [0, 2, 0]
    assert view.groups["crpv_count"].isna().tolist() == [False, True, False]
    assert view.totals["groups_registered"] == 3
    assert view.totals["groups_printed"] == 2
    assert view.totals["participations"] == 13
    assert view.totals["meetings"] == "15"


def test_meeting_ranges_add_up_to_a_range() -> None:
    net = network("A", "B")
    outcomes = {
        "gt-a": outcome("A", group("A", 3, MeetingCount("Entre 6 et 8", 6, 8), ())),
        "gt-b": outcome("B", group("B", 3, MeetingCount("6 à 7 réunions", 6, 7), ())),
    }
    view = merge(net, outcomes, [])
    assert view.totals["meetings"] == "12 à 15"


def test_matrix_holds_the_strongest_role_and_centres_named_in_free_text() -> None:
    net = network("A", "B")
    members = (Member("IREV", "membre"), Member("ORIV", "co-pilotage"))
    a = group(
        "A", 2, MeetingCount("4", 4, 4), (LeadEntry("IREV : Jeanne", 0, "IREV", "Jeanne"),), members
    )
    free = LeadEntry("Pilotage partagé entre Labo Cités", 0, mentions=("Labo Cités",))
    b = group("B", 1, MeetingCount("4", 4, 4), (free,))
    view = merge(net, {"gt-a": outcome("A", a), "gt-b": outcome("B", b)}, [])
    assert view.matrix.loc["A", "IREV"] == "animation"
    assert view.matrix.loc["A", "ORIV"] == "co-pilotage"
    assert view.matrix.loc["A", "Labo Cités"] == ""
    assert view.matrix.loc["B", "Labo Cités"] == "animation"
    assert list(view.matrix.columns) == ["IREV", "ORIV", "Labo Cités"]
    assert view.totals["centres_leading"] == 2


def test_contributions_count_their_observations() -> None:
    contribution = Contribution(
        "Culture", ("?",), (Observation("IREV", "p1"), Observation("ORIV", "p2"))
    )
    view = merge(network("A"), {}, [contribution])
    assert view.totals["contributions"] == 1
    assert view.totals["observations"] == 2
    assert view.totals["groups_printed"] == 0
    assert view.totals["meetings"] == ""
