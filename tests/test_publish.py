"""Publication: archived sets, one-rename switch, idempotent reruns, incremental rendering, Drive copy."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows import publish
from tests.helpers import EDITION_2024
from tests.pdftext import flat, pdf_text


def make_set(folder: Path, text: str) -> Path:
    staging = folder / f".staging-{text}"
    (staging / "contributions").mkdir(parents=True)
    (staging / "programme-2024.pdf").write_text(f"programme {text}")
    (staging / "contributions" / "culture.pdf").write_text(f"culture {text}")
    return staging


def test_each_publication_is_archived_and_the_stable_names_follow(tmp_path: Path) -> None:
    edition = tmp_path / "2024"
    first = publish.publish(make_set(tmp_path, "un"), edition, {"inputs": "a"})
    second = publish.publish(make_set(tmp_path, "deux"), edition, {"inputs": "b"})
    assert first != second and first.is_dir() and second.is_dir()
    assert (edition / "programme-2024.pdf").read_text() == "programme deux"
    assert (edition / "contributions" / "culture.pdf").read_text() == "culture deux"
    assert (first / "programme-2024.pdf").read_text() == "programme un", (
        "archives are never changed"
    )
    manifest = json.loads((edition / "manifest.json").read_text())
    assert manifest["inputs"] == "b"
    assert manifest["files"]["contributions/culture.pdf"]["sha256"] == publish.sha256(
        second / "contributions" / "culture.pdf"
    )
    assert publish.published_manifest(edition)["inputs"] == "b"


def test_a_crash_while_switching_leaves_the_previous_edition_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edition = tmp_path / "2024"
    publish.publish(make_set(tmp_path, "un"), edition, {"inputs": "a"})
    real_replace = os.replace

    def crash_on_switch(source, target, *args, **kwargs):
        if Path(target).name == publish.CURRENT:
            raise OSError("le processus s'arrête ici")
        return real_replace(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", crash_on_switch)
    with pytest.raises(OSError):
        publish.publish(make_set(tmp_path, "deux"), edition, {"inputs": "b"})
    monkeypatch.setattr(os, "replace", real_replace)
    assert (edition / "programme-2024.pdf").read_text() == "programme un"
    assert (edition / "contributions" / "culture.pdf").read_text() == "culture un"
    assert publish.published_manifest(edition)["inputs"] == "a"
    publish.publish(make_set(tmp_path, "trois"), edition, {"inputs": "c"})
    assert (edition / "programme-2024.pdf").read_text() == "programme trois"


def test_a_build_killed_halfway_leaves_the_previous_edition_intact(tmp_path: Path) -> None:
    from flows.build import build_edition

    source = tmp_path / "source"
    shutil.copytree(EDITION_2024, source)
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "flows.cli",
        "build",
        "--source",
        str(source),
        "--out",
        str(out),
    ]
    assert build_edition(source=str(source), out=str(out)).files
    edition = out / "2024"
    before = publish.published_manifest(edition)
    programme = (edition / "programme-2024.pdf").read_bytes()

    fiche = source / "gt-cosoter" / "Fiche.csv"
    fiche.write_text(
        fiche.read_text(encoding="utf-8").replace("11 CRPV", "12 CRPV"), encoding="utf-8"
    )
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not any(p.is_file() for p in out.glob(".staging-*/**/*")):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert any(out.glob(".staging-*")), "the build was killed while writing its documents"

    assert publish.published_manifest(edition) == before
    assert (edition / "programme-2024.pdf").read_bytes() == programme
    for name, entry in before["files"].items():
        assert publish.sha256(edition / publish.CURRENT / name) == entry["sha256"], name
    assert build_edition(source=str(source), out=str(out)).files
    assert "Cosoter » Nombre de CRPV impliqués 12 CRPV" in flat(
        pdf_text(edition / "programme-2024.pdf")
    )
    assert not any(out.glob(".staging-*")), "a later build clears what a killed one left"


def test_a_second_run_on_the_same_inputs_publishes_nothing_new(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from flows.build import build_edition
    from flows.cli import main

    first = build_edition(out=str(tmp_path))
    assert first.files and not first.unchanged
    capfd.readouterr()
    assert main(["build", "--out", str(tmp_path)]) == 0
    assert "Rien de nouveau" in capfd.readouterr().out
    checks = (tmp_path / "2024" / "controles.html").read_text(encoding="utf-8")
    assert (
        "<strong>Rien de nouveau</strong> : rien n'a changé depuis l'édition publiée le" in checks
    )
    assert len(list((tmp_path / "2024" / "archive").iterdir())) == 1
    manifest = publish.published_manifest(tmp_path / "2024")
    assert {s["sheet"] for s in manifest["sources"]} >= {
        "reseau",
        "gt-sante",
        "contribution-culture",
    }
    assert all(s["modified"] for s in manifest["sources"])
    assert manifest["templates"]["sha256"] and "commit" in manifest["templates"]
    assert manifest["packages"]["weasyprint"] == "70.0"
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "2024/programme-2024.pdf" in index and "http" not in index


def test_only_changed_documents_are_rendered_again(tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterId,
        TaskRunFilter,
        TaskRunFilterName,
    )

    from flows.build import build_edition

    source = tmp_path / "source"
    shutil.copytree(EDITION_2024, source)
    build_edition(source=str(source), out=str(tmp_path / "out"))
    fiche = source / "gt-cosoter" / "Fiche.csv"
    fiche.write_text(
        fiche.read_text(encoding="utf-8").replace("8 réunions", "9 réunions"), encoding="utf-8"
    )
    state = build_edition(source=str(source), out=str(tmp_path / "out"), return_state=True)
    assert state.result().files
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=[state.state_details.flow_run_id])
            ),
            task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="mettre en page")),
        )
    states = sorted(run.state.name for run in runs)
    assert states == ["Cached", "Cached", "Completed"], states
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "Publications précédentes de l'édition 2024 (1)" in index
    assert index.count("publiée le") == 1 and "données du" in index


def test_published_documents_are_copied_to_drive_and_updated_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.build import build_edition
    from tests.fake_google import FakeGoogle

    fake = FakeGoogle(tmp_path / "fake")
    try:
        for name, value in fake.environment().items():
            monkeypatch.setenv(name, value)
        source = tmp_path / "source"
        shutil.copytree(EDITION_2024, source)
        report = build_edition(
            source=str(source), out=str(tmp_path / "out"), publish_drive="dossier-publie"
        )
        names = sorted(f["name"] for f in fake.files.values())
        assert names == [
            "contributions - culture-et-politique-de-la-ville.pdf",
            "contributions - le-contrat-de-ville-integrateur.pdf",
            "programme-2024.pdf",
            "reseau-2024.xlsx",
        ]
        assert all(created for _, _, created in report.drive)
        ids = {f["name"]: key for key, f in fake.files.items()}
        fiche = source / "gt-sante.xlsx"
        fiche.unlink()
        shutil.copytree(source / "gt-cosoter", source / "gt-sante")
        (source / "gt-sante" / "Fiche.csv").write_text(
            (source / "gt-cosoter" / "Fiche.csv")
            .read_text(encoding="utf-8")
            .replace("Cosoter", "Santé"),
            encoding="utf-8",
        )
        report = build_edition(
            source=str(source), out=str(tmp_path / "out"), publish_drive="dossier-publie"
        )
        assert not any(created for _, _, created in report.drive)
        assert {f["name"]: key for key, f in fake.files.items()} == ids, (
            "the same files, so shared links keep working"
        )
        programme = fake.files[ids["programme-2024.pdf"]]
        assert programme["versions"] == 2
        assert (
            programme["content"] == (tmp_path / "out" / "2024" / "programme-2024.pdf").read_bytes()
        )
    finally:
        fake.close()


def edition_artifact(out: Path) -> str:
    """The `edition-2024` artifact of the last build that wrote into `out`."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["edition-2024"])),
            sort=ArtifactSort.CREATED_DESC,
            limit=20,
        )
    mine = [a.data for a in found if str(out) in a.data]
    assert mine, "the build leaves an edition-2024 artifact"
    return mine[0]


def test_publication_artifacts(tmp_path: Path) -> None:
    from flows.build import build_edition

    out = tmp_path / "out"
    build_edition(out=str(out))
    published = edition_artifact(out)
    assert f"**Édition 2024 publiée** dans `{out / '2024'}`." in published
    rows = [line for line in published.splitlines() if line.startswith("| ") and "`" in line]
    assert rows[0].startswith("| Programme") and "(`2024/programme-2024.pdf`)" in rows[0]
    assert any("(`2024/contributions/le-contrat-de-ville-integrateur.pdf`)" in r for r in rows)
    assert "(`2024/reseau-2024.xlsx`)" in rows[-1]
    for not_a_document in ("manifest.json", "controles.json", "file://"):
        assert not_a_document not in published
    assert "--publication-url" in published, "says how to get links that open"

    build_edition(out=str(out), publication_url="https://reseau.exemple.fr/recueil/")
    unchanged = edition_artifact(out)
    assert unchanged.count("**Rien de nouveau**") == 1
    assert (
        "(https://reseau.exemple.fr/recueil/2024/contributions/le-contrat-de-ville-integrateur.pdf)"
        in unchanged
    ), "the published documents, linked where the output folder is served"
    assert (
        "[2024/controles.html](https://reseau.exemple.fr/recueil/2024/controles.html)" in unchanged
    )
