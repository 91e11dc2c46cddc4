"""The bad-input corpus, built once by the real flow: every case gets its message, and no case
costs another group its place in the programme."""

from __future__ import annotations

import re

import pytest

from tests.corpus import CASES, CONTRIBUTION_CASES, Case, make_corpus
from tests.helpers import SEED_GROUPS
from tests.pdftext import flat, pdf_text

ALL_CASES = CASES + CONTRIBUTION_CASES


@pytest.fixture(scope="module")
def corpus_build(tmp_path_factory: pytest.TempPathFactory):
    from flows.build import build_edition

    root = tmp_path_factory.mktemp("corpus")
    corpus = make_corpus(root)
    report = build_edition(year=2024, source=str(corpus.edition), out=str(root / "out"))
    programme = flat(pdf_text(root / "out" / "2024" / "brouillon" / "programme-2024.pdf"))
    return report, programme, root / "out" / "2024" / "brouillon"


def outcome_of(report, case: Case):
    return next(o for o in report.outcomes if o.name == case.name)


def test_the_corpus_is_large_enough() -> None:
    assert len(ALL_CASES) >= 30
    assert len({c.id for c in ALL_CASES}) == len(ALL_CASES)


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.id for c in ALL_CASES])
def test_each_case_gets_its_message(corpus_build, case: Case) -> None:
    report, _, _ = corpus_build
    outcome = outcome_of(report, case)
    for expected in case.expected:
        workbook = expected.workbook or case.display
        matching = [
            p
            for p in report.problems
            if p.workbook == workbook
            and p.severity == expected.severity
            and p.tab == expected.tab
            and p.cell == expected.cell
            and all(word in str(p) for word in expected.words)
        ]
        assert matching, (expected, [str(p) for p in outcome.problems])
        assert str(matching[0]).startswith(workbook + " · " if expected.tab else workbook + " : ")
    if case.printed:
        assert outcome.errors == (), [str(p) for p in outcome.errors]
        assert outcome.record is not None
    else:
        assert outcome.record is None
        assert outcome.errors


@pytest.mark.parametrize("case", [c for c in CASES], ids=[c.id for c in CASES])
def test_each_group_case_is_printed_or_noticed(corpus_build, case: Case) -> None:
    _, programme, _ = corpus_build
    title = f"Groupe de travail « {case.name} »"
    if case.printed:
        start = programme.index(f"{title} Nombre de CRPV impliqués")
        following = re.search(
            r"Groupe de travail « [^»]+ » (Nombre de CRPV|Fiche non)", programme[start + 1 :]
        )
        record = programme[start : start + 1 + following.start() if following else len(programme)]
        for literal in case.literal:
            assert flat(literal) in record, literal
    else:
        assert f"{title} Fiche non disponible" in programme


def test_the_real_groups_still_render_with_their_figures(corpus_build) -> None:
    report, programme, _ = corpus_build
    for name in SEED_GROUPS:
        assert f"Groupe de travail « {name} » Nombre de CRPV impliqués" in programme, name
        outcome = next(o for o in report.outcomes if o.name == name)
        assert outcome.problems == ()
    assert "Document provisoire" in programme


def test_contribution_cases(corpus_build) -> None:
    _, _, folder = corpus_build
    printed = flat(pdf_text(folder / "contributions" / "cas-41.pdf"))
    assert "javascript:alert(1)" in printed
    assert not (folder / "contributions" / "cas-42.pdf").exists()
    assert (folder / "contributions" / "culture-et-politique-de-la-ville.pdf").exists()


def test_no_case_reaches_the_published_edition(corpus_build) -> None:
    _, _, folder = corpus_build
    assert not (folder.parent / "programme-2024.pdf").exists()
    assert (folder.parent / "controles.html").exists()
