"""Year over year: the comparison of two editions, `recueil diff`, and the bundled 2023 edition."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from flows.cli import main
from flows.diff import (
    EditionFacts,
    EditionNotFound,
    GroupFacts,
    as_json,
    compare,
    group_lines,
    previous_folder,
    read_facts,
    resolve,
)

EDITIONS = Path(__file__).resolve().parent.parent / "sources" / "editions"


def group(name: str, sheet: str = "", **changes: object) -> GroupFacts:
    values: dict[str, object] = {
        "name": name,
        "sheet": sheet or name.lower(),
        "crpv_count": 5,
        "meetings": "6 réunions",
        "meetings_min": 6,
        "meetings_max": 6,
        "leads": ("IREV",),
        "topics": ("Un webinaire national sur la santé", "Une publication"),
    }
    values.update(changes)
    return GroupFacts(**values)  # type: ignore[arg-type]


def edition(year: int, *groups: GroupFacts, centres: int = 20) -> EditionFacts:
    return EditionFacts(year, centres, groups)


def test_groups_added_removed_and_renamed_by_workbook_or_by_name() -> None:
    before = edition(
        2023,
        group("Santé"),
        group("Club de veille", "gt-veille"),
        group("Communication", "gt-com"),
        group("Évaluation", "gt-contrat"),
    )
    after = edition(
        2024,
        group("Santé"),
        group("Contractualisation", "gt-contrat"),
        group("Ressource & Communication", "gt-ressource-com"),
        group("Sport", "gt-sport"),
    )
    changes = compare(before, after)
    assert changes.added == ("Sport",)
    assert changes.removed == ("Club de veille",)
    assert [(g.previous_name, g.name) for g in changes.renamed] == [
        ("Évaluation", "Contractualisation"),
        ("Communication", "Ressource & Communication"),
    ]
    assert changes.unchanged == ("Santé",)
    assert changes.group_count is None  # four groups each year


def test_counts_animation_and_topics_of_a_group() -> None:
    before = edition(2023, group("Santé", crpv_count=7, leads=("IREV", "ORIV")))
    after = edition(
        2024,
        group(
            "Santé",
            crpv_count=8,
            meetings="Entre 6 et 8",
            meetings_min=6,
            meetings_max=8,
            leads=("IREV", "Labo Cités"),
            topics=("Un webinaire national sur la santé.", "Un guide des ressources"),
        ),
        centres=21,
    )
    changes = compare(before, after)
    (santé,) = changes.changed
    assert (santé.crpv_count.before, santé.crpv_count.after) == (7, 8)
    assert (santé.meetings.before, santé.meetings.after) == ("6", "6 à 8")
    assert santé.leads_added == ("Labo Cités",) and santé.leads_dropped == ("ORIV",)
    # A full stop added is the same topic; a new subject is a topic added, the old one dropped.
    assert santé.topics_added == ("Un guide des ressources",)
    assert santé.topics_dropped == ("Une publication",)
    assert group_lines(santé, 2023) == [
        "Centres impliqués : 8 (7 en 2023).",
        "Réunions dans l’année : 6 à 8 (6 en 2023).",
        "Rejoint l’animation : « Labo Cités ».",
        "Quitte l’animation : « ORIV ».",
    ]
    assert "Centres de ressources du réseau : 20 en 2023, 21 en 2024." in changes.overview()
    assert "Participations de centres aux groupes : 7 en 2023, 8 en 2024." in changes.overview()


def test_a_rewording_of_the_meetings_is_no_change() -> None:
    before = edition(2023, group("Santé", meetings="8 réunions", meetings_min=8, meetings_max=8))
    after = edition(2024, group("Santé", meetings="8", meetings_min=8, meetings_max=8))
    assert compare(before, after).changed == ()


def test_empty_and_identical_editions() -> None:
    assert compare(edition(2023), edition(2024)).overview() == [
        "Aucun changement dans les groupes de travail depuis 2023."
    ]
    changes = compare(edition(2023), edition(2024, group("Santé")))
    assert changes.added == ("Santé",)
    assert changes.overview()[0] == "1 groupe créé : « Santé »."


def test_the_bundled_2023_edition_is_checked_clean(tmp_path: Path) -> None:
    from flows.check import check_folder

    outcomes = check_folder(EDITIONS / "2023", tmp_path)
    assert len(outcomes) == 12
    assert [str(p) for o in outcomes for p in o.problems] == []


def test_the_bundled_2023_edition_says_it_is_illustrative() -> None:
    sections = (EDITIONS / "2023" / "reseau" / "Sections.csv").read_text(encoding="utf-8")
    assert "illustrative" in sections


def test_2023_to_2024_of_the_bundled_editions() -> None:
    changes = compare(read_facts(resolve("2023")), read_facts(resolve("2024")))
    assert changes.added == ("Valeurs de la République et laïcité",)
    assert changes.removed == ()
    assert [(g.previous_name, g.name) for g in changes.renamed] == [
        ("Évaluation et contractualisation", "Contractualisation")
    ]
    education = next(g for g in changes.changed if g.name == "Éducation")
    assert education.leads_added == ("Ville Caraïbe",)
    assert education.topics_added == ("La place de l’éducation dans la future contractualisation",)
    assert len(changes.unchanged) == 5


def test_an_edition_that_is_not_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EditionNotFound, match="aucune édition 1999"):
        resolve("1999")
    with pytest.raises(EditionNotFound, match="ne contient ni classeur réseau"):
        resolve(tmp_path)


def test_recueil_diff_prints_in_french(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "2023", "2024"]) == 0
    out, _ = capfd.readouterr()
    assert "Évolutions de 2023 à 2024" in out
    assert "1 groupe créé : « Valeurs de la République et laïcité »." in out
    assert "« Évaluation et contractualisation » s’appelle désormais « Contractualisation »." in out
    assert "+ La place de l’éducation dans la future contractualisation" in out


def test_recueil_diff_json_with_a_folder(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "edition-2024"
    shutil.copytree(EDITIONS / "2024", folder)
    assert main(["diff", "2023", str(folder), "--json"]) == 0
    data = json.loads(capfd.readouterr().out)
    assert data["previous_year"] == 2023 and data["year"] == 2024
    assert data["renamed"] == [
        {"before": "Évaluation et contractualisation", "after": "Contractualisation"}
    ]
    cosoter = next(g for g in data["groups"] if g["name"] == "Cosoter")
    assert cosoter["crpv_count"] == {"before": 10, "after": 11}


def test_recueil_diff_of_a_missing_edition_exits_2(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "1999", "2024"]) == 2
    assert "aucune édition 1999" in capfd.readouterr().out


def test_a_published_edition_keeps_its_facts_for_next_year(tmp_path: Path) -> None:
    """An archived or published edition holds no workbooks: its manifest keeps what to compare."""
    facts = read_facts(resolve("2023"))
    published = tmp_path / "out" / "2023" / "publie"
    published.mkdir(parents=True)
    (published / "manifest.json").write_text(
        json.dumps({"facts": as_json(facts)}), encoding="utf-8"
    )
    edition = tmp_path / "out" / "2023"
    assert resolve(edition) == edition
    kept = read_facts(edition)
    assert kept.groups == facts.groups and (kept.year, kept.centres) == (2023, 20)
    assert compare(kept, read_facts(resolve("2024"))).added == (
        "Valeurs de la République et laïcité",
    )
    # The year before is the bundled edition when there is one, else the one published in `out`.
    assert previous_folder(2024, out=tmp_path / "out") == EDITIONS / "2023"
    assert previous_folder(2024, EDITIONS / "2023") is None
    (tmp_path / "out" / "2030").mkdir()
    shutil.copytree(published, tmp_path / "out" / "2030" / "publie")
    assert previous_folder(2031, out=tmp_path / "out") == tmp_path / "out" / "2030"
    assert previous_folder(2032, out=tmp_path / "out") is None
