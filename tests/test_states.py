"""The state a build's flow run ends in, read back from Prefect: what a scheduled run can alert on."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from flows.model import BuildFailed, BuildReport, Outcome, Problem

BUNDLED = Path(__file__).resolve().parent.parent / "sources" / "editions" / "2024"
RUN_NAME = re.compile(r"édition-2024 · \d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def read_back(state):
    """The flow run and its task runs, as the Prefect API has them."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
        tasks = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id]))
        )
    return run, tasks


def test_a_strict_build_with_errors_ends_failed_with_its_summary(tmp_path: Path) -> None:
    from flows.build import build_edition

    edition = tmp_path / "2024"
    shutil.copytree(BUNDLED, edition)
    fiche = edition / "gt-cosoter" / "Fiche.csv"
    fiche.write_text(
        re.sub(
            r"(?m)^Nombre de CRPV impliqués,.*$", "Nombre de CRPV impliqués,99", fiche.read_text()
        ),
        encoding="utf-8",
    )
    state = build_edition(
        year=2024, source=str(edition), out=str(tmp_path / "out"), strict=True, return_state=True
    )
    run, tasks = read_back(state)
    assert run.state.is_failed()
    assert run.state.message.startswith(
        "Mode strict : erreurs, aucun document de l'édition 2024 écrit — "
    ), run.state.message
    assert "1 écarté ; 1 erreur" in run.state.message
    assert RUN_NAME.fullmatch(run.name), run.name
    failure = state.result(raise_on_failure=False)
    assert isinstance(failure, BuildFailed)
    assert failure.report.strict and failure.report.errors and not failure.report.files
    names = {task.name for task in tasks}
    checks = {"contrôler · reseau", "contrôler · 14 classeurs"}  # the network, then the others
    assert {"lire · reseau", "lire · 14 classeurs", *checks} <= names, names


def test_a_build_that_cannot_read_its_network_ends_failed(tmp_path: Path) -> None:
    from flows.build import build_edition

    state = build_edition(
        year=2023, source=str(BUNDLED), out=str(tmp_path / "a"), return_state=True
    )
    run, _ = read_back(state)
    assert run.state.is_failed()
    assert run.state.message.startswith(
        "Aucun document écrit : le classeur réseau doit d'abord être corrigé — 1 classeur"
    ), run.state.message
    assert run.name.startswith("édition-2023 · ")
    # Called directly (as a test or a script would), the failure is raised, its report inside.
    with pytest.raises(BuildFailed) as raised:
        build_edition(year=2023, source=str(BUNDLED), out=str(tmp_path / "b"))
    assert raised.value.report.errors and not raised.value.report.files


def _report(*outcomes: Outcome, files: bool = True) -> BuildReport:
    report = BuildReport(2024, "test", list(outcomes), out="out", draft=True)
    report.files = [("out/2024/brouillon/programme-2024.pdf", 1)] if files else []
    return report


def test_a_draft_is_completed_under_its_own_name() -> None:
    from flows.build import final_state

    error = Problem("error", "GT Santé", "un nombre de 1 à 20 est attendu")
    network = Outcome("network", "Réseau", "reseau", object())  # type: ignore[arg-type]
    rejected = Outcome("group", "Santé", "gt-sante", None, (error,))
    printed_from_copy = Outcome("group", "Santé", "gt-sante", object(), (error,))  # type: ignore[arg-type]

    draft = final_state(_report(network, rejected))
    assert draft.is_completed() and draft.name == "Brouillon"
    assert draft.message.startswith(
        "Brouillon de l'édition 2024 écrit, l'édition publiée n'est pas"
    )
    fallback = final_state(_report(network, printed_from_copy))
    assert fallback.is_completed() and fallback.name == "Données antérieures"
    assert "1 avec ses données antérieures" in fallback.message
    assert final_state(_report(network, rejected, files=False)).is_failed()
