"""Layout workers: the same PDF as in the build's own process, and no worker outlives its build."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from flows import layout, render
from flows.processes import alive
from tests.helpers import run_probe

ROOT = Path(__file__).resolve().parent.parent
PAGE = (
    '<html lang="fr"><head><meta name="dcterms.created" content="2024-03-01">'
    "<title>Essai</title></head><body><h1>Essai</h1><p>Un paragraphe.</p></body></html>"
)


def test_a_worker_lays_out_the_same_bytes_as_the_build_itself() -> None:
    with layout.Workers(2) as workers:
        laid_out = [workers.submit(PAGE), workers.submit(PAGE.replace("Essai", "Autre"))]
        pdfs = [future.result(timeout=120) for future in laid_out]
    assert pdfs[0] == render.pdf_bytes(PAGE)
    assert render.page_count(pdfs[1]) == 1
    assert layout.Workers(0).lay_out(PAGE) == pdfs[0]


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid and stat[0] != "Z":
                found.append(int(entry.name))
    return found


def test_workers_stop_when_their_build_is_killed() -> None:
    probe = (
        "import os, sys, time\n"
        "from flows.layout import Workers\n"
        "workers = Workers(2)\n"
        f"workers.lay_out({PAGE!r})\n"
        "print('READY', flush=True)\n"
        "time.sleep(60)\n"
    )
    build = subprocess.Popen(
        [sys.executable, "-c", probe], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert build.stdout is not None and build.stdout.readline().strip() == "READY"
        workers = [p for p in _children(build.pid) if "spawn" in _command(p)]
        assert len(workers) == 2
        build.kill()  # as SIGKILL would: nothing of the build runs to stop them
        build.wait()
        deadline = time.monotonic() + 20
        while any(alive(p) for p in workers):
            assert time.monotonic() < deadline, "a layout worker outlived its build"
            time.sleep(0.2)
    finally:
        build.kill()
        build.wait()


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_weasyprint_opens_its_libraries_without_searching_for_them() -> None:
    # ctypes' search runs ldconfig then gcc for each of the names WeasyPrint tries: half its import.
    probe = (
        "import ctypes.util, json\n"
        "asked = []\n"
        "def search(name):\n"
        "    asked.append(name)\n"
        "    return None\n"
        "ctypes.util.find_library = search\n"
        "from flows import render\n"
        "render.load_weasyprint()\n"
        "from weasyprint.text.ffi import pango\n"
        "print(json.dumps({'asked': asked, 'restored': ctypes.util.find_library is search,\n"
        "                  'pango': pango.pango_version() > 0}))\n"
    )
    done = run_probe(probe)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"asked": [], "restored": True, "pango": True}


def test_page_references_are_kept_until_a_page_is_added_and_the_pdf_is_unchanged():
    # pydyf rebuilds the references of every page on each read, once per structure element.
    probe = (
        "import hashlib, json, os, pydyf\n"
        "os.environ['SOURCE_DATE_EPOCH'] = '1700000000'  # fontTools stamps fonts with it\n"
        "original = pydyf.PDF.page_references\n"
        "from flows import render\n"
        "render.load_weasyprint()\n"
        "from weasyprint import HTML\n"
        "html = '<html lang=fr><title>t</title><h1>Titre</h1>' + '<p>mot</p>' * 400\n"
        "def digest():\n"
        "    pdf = HTML(string=html).write_pdf(pdf_variant='pdf/ua-1', pdf_identifier=b'x')\n"
        "    return hashlib.sha256(pdf).hexdigest()\n"
        "patched = pydyf.PDF.page_references\n"
        "remembered = digest()\n"
        "pdf = pydyf.PDF()\n"
        "first = pdf.page_references\n"
        "pdf.add_page(pydyf.Dictionary({'Type': '/Page'}))\n"
        "second = pdf.page_references\n"
        "pydyf.PDF.page_references = original\n"
        "expected, rebuilt = pdf.page_references, digest()\n"
        "print(json.dumps({'patched': patched is not original, 'first': len(first),\n"
        "                  'same': second == expected, 'kept': second is pdf.__dict__['_recueil_page_references'][1],\n"
        "                  'count': len(second), 'bytes': remembered == rebuilt}))\n"
    )
    done = run_probe(probe)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result == {
        "patched": True,
        "first": 0,
        "same": True,
        "kept": True,
        "count": 1,
        "bytes": True,
    }
