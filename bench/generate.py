"""Synthetic editions for the scale benchmark: the bundled groups copied until there are N of them.

Each copy is a real CSV workbook of the edition with its `Groupe de travail` renamed (« Santé 7 »), so
that a synthetic edition checks clean and costs what a network of that size would cost.
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
from pathlib import Path

from flows.settings import default_source

NETWORK = "reseau"
GROUP_NAME_LABEL = "Groupe de travail"


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def _write(path: Path, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def generate(groups: int, target: Path, year: int = 2024) -> Path:
    """Write an edition of `groups` group workbooks into `target` and return it."""
    bundled = default_source(year)
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(bundled, target)
    registered = _rows(target / NETWORK / "Groupes.csv")
    header, originals = registered[0], registered[1:]
    # Only folder workbooks are copied: their name is rewritten as plain CSV.
    templates = [(name, sheet) for name, sheet in originals if (bundled / sheet).is_dir()]
    rows = list(originals)
    copy = 1
    while len(rows) < groups:
        for name, sheet in templates:
            if len(rows) >= groups:
                break
            copy_name, copy_sheet = f"{name} {copy + 1}", f"{sheet}-{copy + 1}"
            shutil.copytree(bundled / sheet, target / copy_sheet)
            fiche = target / copy_sheet / "Fiche.csv"
            _write(
                fiche,
                [
                    [label, copy_name] if label.strip() == GROUP_NAME_LABEL else [label, *rest]
                    for label, *rest in _rows(fiche)
                ],
            )
            rows.append([copy_name, copy_sheet])
        copy += 1
    _write(target / NETWORK / "Groupes.csv", [header, *rows[:groups]])
    for _, sheet in rows[groups:]:
        shutil.rmtree(target / sheet, ignore_errors=True)
        for suffix in (".xlsx", ".ods"):
            (target / f"{sheet}{suffix}").unlink(missing_ok=True)
    return target


def main() -> None:
    """`python -m bench.generate 200 /tmp/edition-200`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("groups", type=int)
    parser.add_argument("target", type=Path)
    parser.add_argument("--year", type=int, default=2024)
    arguments = parser.parse_args()
    print(generate(arguments.groups, arguments.target, arguments.year))


if __name__ == "__main__":
    main()
