"""Faults of the output and the environment, and crashes at every rename of a publication: one French
line and exit status 2, never a traceback, the published edition whole, and the next build completes."""

from __future__ import annotations

import errno
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

from flows import publish
from flows.cli import main
from sources import files
from tests.helpers import EDITION_2024


class FailingOs:
    """The `os` module as flows.publish (and the file writer it uses) sees it, with its Nth rename
    (or replace) failing."""

    def __init__(self, failing_call: int, error: OSError) -> None:
        self.failing_call, self.error, self.calls = failing_call, error, 0

    def __getattr__(self, name: str):
        return getattr(os, name)

    def _count(self) -> None:
        self.calls += 1
        if self.calls == self.failing_call:
            raise self.error

    def rename(self, source, target) -> None:
        self._count()
        os.rename(source, target)

    def replace(self, source, target) -> None:
        self._count()
        os.replace(source, target)


def make_set(folder: Path, text: str) -> Path:
    staging = folder / f".staging-{text}"
    (staging / "contributions").mkdir(parents=True)
    (staging / "programme-2024.pdf").write_text(f"programme {text}")
    (staging / "contributions" / "culture.pdf").write_text(f"culture {text}")
    (staging / "reseau-2024.xlsx").write_text(f"reseau {text}")
    return staging


STABLE = ("programme-2024.pdf", "contributions/culture.pdf", "reseau-2024.xlsx", "manifest.json")
# A first publication renames its archive into place, switches `publie`, logs the switch, then makes
# each stable name; a later one finds the stable names already pointing through `publie`.
CRASHES = [(False, n) for n in range(1, 8)] + [(True, n) for n in range(1, 4)]


def shown(edition: Path) -> set[str]:
    """What the stable names present show: never two publications mixed."""
    texts = {
        (edition / name).read_text().split()[-1] for name in STABLE[:3] if (edition / name).exists()
    }
    assert len(texts) <= 1, texts
    return texts


@pytest.mark.parametrize(
    "earlier, failing_call",
    CRASHES,
    ids=[f"{'suivante' if e else 'premiere'}-{n}" for e, n in CRASHES],
)
def test_a_crash_at_any_rename_of_a_publication_is_completed_by_the_next_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing_call: int, earlier: bool
) -> None:
    edition = tmp_path / "out" / "2024"
    if earlier:
        publish.publish(make_set(tmp_path, "un"), edition, {"inputs": "a"})
    failing = FailingOs(failing_call, OSError(errno.EIO, "coupure simulée"))
    monkeypatch.setattr(publish, "os", failing)
    monkeypatch.setattr(files, "os", failing)  # the switch log is replaced by `write_atomically`
    with pytest.raises(OSError, match="coupure"):
        publish.publish(make_set(tmp_path, "deux"), edition, {"inputs": "b"})
    assert failing.calls == failing_call
    monkeypatch.setattr(publish, "os", os)
    monkeypatch.setattr(files, "os", os)
    shown(edition)  # right after the crash, a reader sees one publication, never a mix
    publish.recover(edition)  # what the next build does first
    switched = failing_call > 2  # the switch of `publie` was the second rename
    expected = "deux" if switched else ("un" if earlier else None)
    assert shown(edition) == ({expected} if expected else set())
    if expected:
        for name in STABLE:
            assert (edition / name).resolve().is_relative_to((edition / publish.CURRENT).resolve())
    index = publish.write_index(tmp_path / "out").read_text(encoding="utf-8")
    unswitched = [
        p.name
        for p in (edition / publish.ARCHIVE).glob("2*")
        if p.name not in publish.published_archives(edition)
    ]
    assert all(name not in index for name in unswitched)
    assert len(unswitched) == (0 if switched or failing_call == 1 else 1)


def test_an_output_folder_that_is_a_file_exits_2_with_one_line(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "sortie").write_text("un fichier")
    assert main(["build", "--out", str(tmp_path / "sortie")]) == 2
    out, err = capfd.readouterr()
    assert "Le dossier de sortie" in out and "un fichier est à la place d'un dossier" in out
    assert len(out.strip().splitlines()) == 1 and "Traceback" not in out + err


@pytest.mark.parametrize(
    "where, reason",
    [
        ("/sys/recueil-sortie", "écriture interdite"),
        ("/proc/recueil/sortie", "dossier impossible à créer"),
    ],
)
def test_an_output_folder_that_cannot_be_written_exits_2(
    where: str, reason: str, capfd: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "--out", where]) == 2
    out, err = capfd.readouterr()
    assert reason in out and "Traceback" not in out + err


def test_an_output_path_too_long_exits_2(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path.joinpath(*["dossier-au-nom-assez-long-" + str(i) for i in range(150)])
    assert main(["build", "--out", str(deep)]) == 2
    out, err = capfd.readouterr()
    assert "chemin trop long" in out and "Traceback" not in out + err


def test_a_prefect_home_that_cannot_be_written_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "prefect").write_text("un fichier")
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    assert main(["build", "--out", str(tmp_path / "out")]) == 2
    out, err = capfd.readouterr()
    assert "PREFECT_HOME" in out and "Traceback" not in out + err


def test_a_prefect_api_url_that_is_not_prefect_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    class NotPrefect(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<html>une autre application</html>")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), NotPrefect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{server.server_port}/api")
        assert main(["build", "--out", str(tmp_path / "out")]) == 2
    finally:
        server.shutdown()
    out, err = capfd.readouterr()
    assert "ce n'est pas un serveur Prefect" in out and "Traceback" not in out + err


def test_a_full_disk_mid_build_and_a_crash_after_the_first_switch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """The first publication stops right after its switch: the next build completes the stable
    names (it used to say « Rien de nouveau » with them missing for good). Then a disk full at the
    archive of a later publication: exit 2, one line, the published edition unchanged."""
    out_dir = tmp_path / "out"
    edition = tmp_path / "2024"
    shutil.copytree(EDITION_2024, edition)
    arguments = ["build", "--source", str(edition), "--out", str(out_dir)]
    monkeypatch.setattr(publish, "os", FailingOs(4, OSError(errno.EIO, "arrêt simulé")))
    assert main(arguments) == 2
    monkeypatch.setattr(publish, "os", os)
    capfd.readouterr()
    assert main(arguments) == 0
    assert "Rien de nouveau" in capfd.readouterr().out
    published = out_dir / "2024"
    assert (published / "programme-2024.pdf").is_file()
    assert (published / "contributions" / "le-contrat-de-ville-integrateur.pdf").is_file()
    before = {p: (published / p).read_bytes() for p in ("programme-2024.pdf", "manifest.json")}

    fiche = edition / "gt-cosoter" / "Fiche.csv"
    fiche.write_text(fiche.read_text(encoding="utf-8").replace("Visio", "Visio et présentiel"))
    full = OSError(errno.ENOSPC, "No space left on device", str(out_dir / "2024" / "archive"))
    monkeypatch.setattr(publish, "os", FailingOs(1, full))
    assert main(arguments) == 2
    out, err = capfd.readouterr()
    assert "Écriture impossible" in out and "disque plein" in out
    assert "Traceback" not in out + err
    assert {p: (published / p).read_bytes() for p in before} == before
