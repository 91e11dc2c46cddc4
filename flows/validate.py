"""Great Expectations suites (JSON in expectations/) run on each workbook's staged tabs.

Each expectation's `meta` says how a failure reads: `severity` (error or warning), `message` (French,
formatted with the expectation's kwargs and the failing row's values), and `cell_of` (the field whose
cell a failure points at, when the checked column is derived from another one).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from flows import contract
from flows.centres import CentreIndex
from flows.fields import parse_count, parse_creation, parse_date, parse_meeting_count
from flows.model import Group, Network, Outcome, Problem, display_name
from flows.parse import Row, Value
from flows.settings import EXPECTATIONS_DIR
from sources.workbook import match_key

if TYPE_CHECKING:
    import pandas as pd


Derive = Callable[[list[Row], dict[str, list[Row]], CentreIndex | None], dict[str, list[Any]]]


def _fiche(
    rows: list[Row], staged: dict[str, list[Row]], centres: CentreIndex | None
) -> dict[str, list[Any]]:
    row = rows[0]
    meetings = parse_meeting_count(row.get("meetings"))
    created = parse_creation(row.get("created")) if row.get("created") else None
    members = staged.get(contract.MEMBERS.code)
    planned = staged.get(contract.MEETINGS.code)
    return {
        "leads_not_members": [_leads_not_members(row.get("animation"), members, centres)],
        "crpv_count_number": [parse_count(row.get("crpv_count"))],
        "meetings_min": [meetings.minimum],
        "meetings_max": [meetings.maximum],
        "created_year": [created.year if created else None],
        "members_rows": [len(members) if members is not None else None],
        "meeting_rows": [len(planned) if planned is not None else None],
    }


def _leads_not_members(
    animation: str, members: list[Row] | None, centres: CentreIndex | None
) -> str | None:
    """Centres named in `Animation` that the `Membres` tab does not list (None when all are)."""
    if members is None or centres is None:
        return None
    listed = {centres.resolve(m.get("centre")) or m.get("centre") for m in members}
    entries, _ = centres.parse_leads(animation)
    missing = [c for e in entries if e.centre for c in e.centres if c not in listed]
    return ", ".join(dict.fromkeys(missing)) or None


def _programme(rows: list[Row], *_: object) -> dict[str, list[Any]]:
    published = rows[0].get("published")
    return {
        "year_number": [parse_count(rows[0].get("year"))],
        "published_is_date": [None if not published else parse_date(published) is not None],
    }


def _normalised(column: str) -> Derive:
    def derive(rows: list[Row], *_: object) -> dict[str, list[Any]]:
        return {f"{column}_key": [match_key(r.get(column)) or None for r in rows]}

    return derive


# Columns computed from the staged text so that expectations can compare numbers and normalised words.
DERIVED: dict[str, Derive] = {
    "network.programme": _programme,
    "group.record": _fiche,
    "group.members": _normalised("role"),
    "group.meetings": _normalised("format"),
}
VIEW_SUITE = "view.groups"


def suite_name(kind: str, code: str) -> str:
    """`group.record` for the tab coded `record` (`Fiche`) of a group workbook."""
    return f"{kind}.{code}"


@cache
def load_suite_files() -> dict[str, dict[str, Any]]:
    """Every suite of expectations/, by name, as stored."""
    suites = {}
    for path in sorted(Path(EXPECTATIONS_DIR).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        suites[data["name"]] = data
    return suites


class ValidationLog:
    """The Great Expectations results of one build, kept for its Data Docs when they are asked for.

    Passed explicitly to whatever checks a workbook: several checks may run at once, in threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.results: list[tuple[str, str, Any]] = []

    def keep(self, workbook: str, tab: str, result: Any) -> None:
        with self._lock:
            self.results.append((workbook, tab, result))


@dataclass(frozen=True)
class Staged:
    """One workbook's staged tabs (by code), as its suites check them."""

    display: str
    tabs: dict[str, list[Row]]
    parameters: dict[str, Any]
    centres: CentreIndex | None = None


class Checks(Protocol):
    """What checks workbooks' tabs and the merged view: `Checker`, or `checking.CheckProcess`."""

    def check(
        self, kind: str, workbooks: list[Staged], log: ValidationLog | None = None
    ) -> list[list[Problem]]: ...

    def check_view(
        self, rows: list[Row], displays: list[str], log: ValidationLog | None = None
    ) -> list[tuple[int, Problem]]: ...


_checker_lock = threading.Lock()


@cache
def _create_checker() -> Checker:
    return Checker()


def checker() -> Checker:
    """The process's one Great Expectations context, created on first use by whichever thread.

    It holds no state of a build: what a build keeps goes to its own `ValidationLog`.
    """
    with _checker_lock:
        return _create_checker()


# Expectations whose verdict on a row depends on that row alone: the rows of many workbooks checked in
# one frame get the verdicts each would get alone. A suite of only these (and row counts) is run once
# for a whole edition's tabs, not once per workbook: a GX validation costs tens of milliseconds.
ROW_BY_ROW = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_be_between",
        "expect_column_value_lengths_to_be_between",
        "expect_column_pair_values_to_be_equal",
        "expect_column_pair_values_a_to_be_greater_than_b",
    }
)
# A tab's row count, checked for many workbooks at once as a column of counts, one row per workbook.
ROW_COUNT = "expect_table_row_count_to_be_between"
ROW_COUNT_COLUMN = "_table_rows"


def _together(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """A stored suite as two that check many workbooks at once — the rows' expectations, and the row
    counts' as a range of the count column — each keeping its place in the suite; None when an
    expectation compares rows with each other (uniqueness, a share of rows)."""
    rows: list[dict[str, Any]] = []
    counts: list[dict[str, Any]] = []
    for position, expectation in enumerate(data["expectations"]):
        kind, kwargs = expectation["type"], expectation["kwargs"]
        meta = {**expectation.get("meta", {}), "position": position}
        if kind in ROW_BY_ROW and "mostly" not in kwargs:
            rows.append({**expectation, "meta": meta})
        elif kind == ROW_COUNT:
            counts.append(
                {
                    "type": "expect_column_values_to_be_between",
                    "kwargs": {"column": ROW_COUNT_COLUMN, **kwargs},
                    "meta": {**meta, "row_count": True},
                }
            )
        else:
            return None
    name = data["name"]
    return (
        {"name": f"{name} (lignes)", "expectations": rows},
        {"name": f"{name} (nombre de lignes)", "expectations": counts},
    )


class Checker:
    """One Great Expectations context and the suites, loaded once, shared by every workbook."""

    def __init__(self) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        # Some GX modules set their own logger to INFO on import; only failures matter here.
        for name in list(logging.root.manager.loggerDict):
            if name.startswith("great_expectations"):
                logging.getLogger(name).setLevel(logging.ERROR)

        self._lock = threading.Lock()
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = context.data_sources.add_pandas("recueil").add_dataframe_asset("tabs")
        self._batches = asset.add_batch_definition_whole_dataframe("tab")
        files = load_suite_files()
        self._suites = {name: gx.ExpectationSuite(**data) for name, data in files.items()}
        self._files = files
        self._together: dict[str, tuple[Any, Any] | None] = {}  # made on first use: a check of
        # one workbook (`recueil check`) never needs them
        self._columns = {
            name: {
                e["kwargs"][key]
                for e in data["expectations"]
                for key in ("column", "column_A", "column_B")
                if key in e["kwargs"]
            }
            for name, data in files.items()
        }

    def check(
        self, kind: str, workbooks: list[Staged], log: ValidationLog | None = None
    ) -> list[list[Problem]]:
        """Run the suite of every staged tab of `workbooks` (all of one kind); failures as problems,
        by workbook. The workbooks that share parameters are validated together, once per tab; with
        a `log` (Data Docs: one result per workbook and tab), each on its own."""
        if log is not None or len(workbooks) == 1:  # alone, a workbook needs no suites split
            return [self._check_alone(kind, workbook, log) for workbook in workbooks]
        found: list[list[Problem]] = [[] for _ in workbooks]
        sharing: dict[str, list[int]] = {}
        for index, workbook in enumerate(workbooks):
            sharing.setdefault(repr(sorted(workbook.parameters.items())), []).append(index)
        for indices in sharing.values():
            together = self._check_together(kind, [workbooks[i] for i in indices])
            for index, problems in zip(indices, together, strict=True):
                found[index] = problems
        return found

    def _check_alone(self, kind: str, workbook: Staged, log: ValidationLog | None) -> list[Problem]:
        problems: list[Problem] = []
        for code, rows in workbook.tabs.items():
            name = suite_name(kind, code)
            if name not in self._suites:
                continue
            frame = self._frame(name, [(rows, workbook.tabs, workbook.centres)])
            displays = [workbook.display] * max(1, len(rows))  # table-level failures name it too
            tab = contract.tab_spec(kind, code).name
            failed = self._validate(
                self._suites[name], frame, rows, displays, tab, workbook.parameters, log
            )
            problems += [problem for _, _, problem in failed]
        return problems

    def _check_together(self, kind: str, workbooks: list[Staged]) -> list[list[Problem]]:
        """Workbooks of one kind and the same parameters, each tab's rows validated in one frame."""
        # Problems in a workbook's order: its tabs, each suite's expectations, the rows.
        keyed: list[list[tuple[tuple[int, int, int], Problem]]] = [[] for _ in workbooks]
        for code in dict.fromkeys(code for w in workbooks for code in w.tabs):
            name = suite_name(kind, code)
            if name not in self._suites:
                continue
            tab = contract.tab_spec(kind, code).name
            having = [(i, w) for i, w in enumerate(workbooks) if code in w.tabs]
            place = {i: list(w.tabs).index(code) for i, w in having}
            together = self._together_suites(name)
            if together is None:  # rows compared with each other: each workbook alone
                for i, w in having:
                    rows = w.tabs[code]
                    frame = self._frame(name, [(rows, w.tabs, w.centres)])
                    displays = [w.display] * max(1, len(rows))
                    failed = self._validate(
                        self._suites[name], frame, rows, displays, tab, w.parameters, None
                    )
                    keyed[i] += [((place[i], n, 0), p) for n, (_, _, p) in enumerate(failed)]
                continue
            by_row, by_count = together
            parameters = having[0][1].parameters
            owners = [(i, r) for i, w in having for r in range(len(w.tabs[code]))]
            rows = [row for _, w in having for row in w.tabs[code]]
            displays = [workbooks[i].display for i, _ in owners]
            if rows:
                frame = self._frame(name, [(w.tabs[code], w.tabs, w.centres) for _, w in having])
                for position, row, problem in self._validate(
                    by_row, frame, rows, displays, tab, parameters, None
                ):
                    i, local = owners[row]
                    keyed[i].append(((place[i], position, local), problem))
            if by_count.expectations:
                counts = self._count_frame([len(w.tabs[code]) for _, w in having])
                for position, index, problem in self._validate(
                    by_count, counts, [], [w.display for _, w in having], tab, parameters, None
                ):
                    i = having[index][0]
                    keyed[i].append(((place[i], position, -1), problem))
        return [[problem for _, problem in sorted(found, key=lambda k: k[0])] for found in keyed]

    def _together_suites(self, name: str) -> tuple[Any, Any] | None:
        if name not in self._together:
            import great_expectations as gx

            split = _together(self._files[name])
            self._together[name] = (
                None if split is None else tuple(gx.ExpectationSuite(**s) for s in split)
            )
        return self._together[name]

    def check_view(
        self, rows: list[Row], displays: list[str], log: ValidationLog | None = None
    ) -> list[tuple[int, Problem]]:
        """Run the merged view's suite: one row per printed group, failures by row index."""
        frame = self._frame(VIEW_SUITE, [(rows, {}, None)])
        failed = self._validate(
            self._suites[VIEW_SUITE], frame, rows, displays, contract.FICHE.name, {}, log
        )
        return [(displays.index(p.workbook), p) for _, _, p in failed]

    def _validate(
        self,
        suite: Any,
        frame: pd.DataFrame,
        rows: list[Row],
        displays: list[str],
        tab: str,
        parameters: dict[str, Any],
        log: ValidationLog | None,
    ) -> list[tuple[int, int, Problem]]:
        """Each failure as (its expectation's place in the stored suite, its row or -1, problem)."""
        with self._lock:  # one GX context; its batch registry is not thread-safe
            batch = self._batches.get_batch(batch_parameters={"dataframe": frame})
            result = batch.validate(
                suite,
                result_format={
                    "result_format": "COMPLETE",
                    "unexpected_index_column_names": ["_row"],
                },
                expectation_parameters=parameters,
            )
        if log is not None:
            log.keep(displays[0] if len(set(displays)) == 1 else "Vue du réseau", tab, result)
        failed: list[tuple[int, int, Problem]] = []
        for place, outcome in enumerate(result.results):
            if outcome.exception_info.get("raised_exception"):
                raise RuntimeError(
                    f"suite {suite.name}: {outcome.exception_info.get('exception_message')}"
                )
            if not outcome.success:
                position = (outcome.expectation_config.meta or {}).get("position", place)
                failed += [
                    (position, row, problem)
                    for row, problem in _problems(outcome, displays, tab, rows, parameters)
                ]
        return failed

    def _frame(
        self,
        name: str,
        tables: list[tuple[list[Row], dict[str, list[Row]], CentreIndex | None]],
    ) -> pd.DataFrame:
        """One frame of the rows of one tab of several workbooks (its rows, all its staged tabs, its
        centres), numbered in order by `_row`, with the columns the suite reads derived."""
        import pandas as pd

        parts: list[tuple[int, dict[str, list[Any]]]] = []
        for rows, staged, centres in tables:
            fields = sorted({f for row in rows for f in row.values})
            data: dict[str, list[Any]] = {f: [row.get(f) or None for row in rows] for f in fields}
            if name in DERIVED and rows:
                data.update(DERIVED[name](rows, staged, centres))
            parts.append((len(rows), data))
        columns = dict.fromkeys(
            [*(c for _, data in parts for c in data), *sorted(self._columns[name])]
        )
        merged: dict[str, list[Any]] = {c: [] for c in columns}
        for count, data in parts:
            for column in columns:
                merged[column] += data.get(column, [None] * count)
        merged["_row"] = list(range(sum(count for count, _ in parts)))
        return pd.DataFrame(merged, dtype=object)

    @staticmethod
    def _count_frame(counts: list[int]) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame({ROW_COUNT_COLUMN: counts, "_row": list(range(len(counts)))})


def _problems(
    outcome: Any, displays: list[str], tab: str, rows: list[Row], parameters: dict[str, Any]
) -> list[tuple[int, Problem]]:
    """A failed expectation's problems, each with the index of its row (-1 for the whole table)."""
    config = outcome.expectation_config
    meta = config.meta or {}
    kwargs = {
        k: _plain(
            parameters.get(v["$PARAMETER"]) if isinstance(v, dict) and "$PARAMETER" in v else v
        )
        for k, v in config.kwargs.items()
    }
    severity = meta.get("severity", "error")
    column = meta.get("cell_of") or kwargs.get("column") or kwargs.get("column_A")
    failing = outcome.result.get("unexpected_index_list")
    if meta.get("row_count"):  # one row per workbook: its count of rows
        return [
            (
                index := int(failure["_row"]),
                Problem(
                    severity,
                    displays[index],
                    meta.get("message", config.type).format(
                        **kwargs, observed=_plain(failure[ROW_COUNT_COLUMN])
                    ),
                    tab,
                    meta.get("cell"),
                ),
            )
            for failure in failing or ()
        ]
    if not failing:
        message = meta.get("message", config.type).format(
            **kwargs, observed=outcome.result.get("observed_value")
        )
        cell = meta.get("cell")
        return [(-1, Problem(severity, displays[0] if displays else "", message, tab, cell))]
    problems = []
    for failure in failing:
        index = int(failure["_row"])
        row = rows[index]
        texts = {k: v.text for k, v in row.values.items()}
        values = {k: _plain(v) for k, v in failure.items()}
        message = meta.get("message", config.type).format(**{**kwargs, **texts, **values})
        found = (row.get(column) or None) if column in row.values else None
        cell = row.cell(column) if column else None
        problems.append((index, Problem(severity, displays[index], message, tab, cell, found)))
    return problems


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers, so that messages print `14`, not `np.float64(14.0)`."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def check_across(
    network: Network,
    outcomes: dict[str, Outcome],
    log: ValidationLog | None = None,
    checks: Checks | None = None,
) -> dict[str, Outcome]:
    """The merged view's suite: one workbook per group name, names matching the `Groupes` tab."""
    from dataclasses import replace

    printed = [
        (registration, outcome)
        for registration in network.groups
        if (outcome := outcomes.get(registration.sheet)) and isinstance(outcome.record, Group)
    ]
    if not printed:
        return dict(outcomes)
    keys = [match_key(o.record.name) for _, o in printed]
    rows = []
    for index, (registration, outcome) in enumerate(printed):
        cell = outcome.name_cell or ""
        others = [
            printed[i][0].sheet for i, key in enumerate(keys) if key == keys[index] and i != index
        ]
        rows.append(
            Row(
                0,
                {
                    "declared": Value(outcome.record.name, cell),
                    "declared_key": Value(keys[index], cell),
                    "registered": Value(registration.name, cell),
                    "registered_key": Value(match_key(registration.name), cell),
                    "others": Value(", ".join(others), cell),
                },
            )
        )
    displays = [display_name("group", r.name) for r, _ in printed]
    merged = dict(outcomes)
    for index, problem in (checks or checker()).check_view(rows, displays, log=log):
        sheet = printed[index][0].sheet
        outcome = merged[sheet]
        problems = outcome.problems + (problem,)
        errors = any(p.severity == "error" for p in problems)
        merged[sheet] = replace(
            outcome, problems=problems, record=None if errors else outcome.record
        )
    return merged
