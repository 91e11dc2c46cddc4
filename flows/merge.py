"""The network view: every group's record merged with the reference list into frames and totals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flows.model import Contribution, Group, Network, Outcome, Status

if TYPE_CHECKING:
    import pandas as pd

ROLE_RANK = {"membre": 1, "co-pilotage": 2, "animation": 3}


@dataclass(frozen=True)
class NetworkView:
    """One row per registered group, the group × centre matrix, and the network's totals."""

    groups: pd.DataFrame
    matrix: pd.DataFrame
    totals: dict[str, int | str]


def group_frame(network: Network, outcomes: dict[str, Outcome]) -> pd.DataFrame:
    """One row per group of the `Groupes` tab, in printing order, printed or not."""
    import pandas as pd

    rows = []
    for order, registration in enumerate(network.groups, start=1):
        outcome = outcomes.get(registration.sheet)
        group = outcome.record if outcome else None
        assert group is None or isinstance(group, Group)
        rows.append(
            {
                "order": order,
                "group": registration.name,
                "sheet": registration.sheet,
                "printed": group is not None,
                "status": outcome.status if outcome else Status.REJECTED,
                "data_date": (outcome.data_date or outcome.modified) if outcome else None,
                "errors": len(outcome.errors) if outcome else 0,
                "crpv_count": group.crpv_count if group else None,
                "meetings": group.meetings.text if group else None,
                "meetings_min": group.meetings.minimum if group else None,
                "meetings_max": group.meetings.maximum if group else None,
                "created_year": group.created.year if group and group.created else None,
                "leads": ", ".join(_lead_centres(group)) if group else None,
                "topics": len(group.topics) if group else None,
            }
        )
    columns = [
        "order", "group", "sheet", "printed", "status", "data_date", "errors", "crpv_count",
        "meetings", "meetings_min", "meetings_max", "created_year", "leads", "topics",
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)  # an edition without groups still has its columns
    for column in ("crpv_count", "meetings_min", "meetings_max", "created_year", "topics"):
        frame[column] = frame[column].astype("Int64")
    return frame


def _lead_centres(group: Group) -> list[str]:
    seen: list[str] = []
    for entry in group.animation:
        seen.extend(c for c in entry.centres if c not in seen)
    return seen


def centre_matrix(network: Network, groups: list[Group]) -> pd.DataFrame:
    """Group × centre: the strongest role each centre holds in each group, empty where unknown."""
    import pandas as pd

    sigles = [c.sigle for c in network.centres]
    cells: dict[str, dict[str, str]] = {}
    for group in groups:
        roles: dict[str, str] = {}
        for member in group.members:
            roles[member.centre] = _stronger(roles.get(member.centre), member.role)
        for sigle in _lead_centres(group):
            roles[sigle] = _stronger(roles.get(sigle), "animation")
        cells[group.name] = roles
    matrix = pd.DataFrame.from_dict(cells, orient="index").reindex(columns=sigles)
    return matrix.reindex([g.name for g in groups]).fillna("")


def _stronger(current: str | None, role: str) -> str:
    if current is None or ROLE_RANK.get(role, 0) > ROLE_RANK.get(current, 0):
        return role
    return current


def merge(
    network: Network, outcomes: dict[str, Outcome], contributions: list[Contribution]
) -> NetworkView:
    """The network view of an edition from its group outcomes, in the order of `Groupes`."""
    frame = group_frame(network, outcomes)
    printed = [
        outcome.record
        for registration in network.groups
        if (outcome := outcomes.get(registration.sheet)) and isinstance(outcome.record, Group)
    ]
    matrix = centre_matrix(network, printed)
    leading = {sigle for group in printed for sigle in _lead_centres(group)}
    meetings_min = frame["meetings_min"].sum(min_count=1)
    meetings_max = frame["meetings_max"].sum(min_count=1)
    totals: dict[str, int | str] = {
        "groups_registered": len(network.groups),
        "groups_printed": len(printed),
        "centres": len(network.centres),
        "centres_leading": len(leading),
        "participations": int(frame["crpv_count"].sum()),
        "meetings": _span(meetings_min, meetings_max),
        "contributions": len(contributions),
        "observations": sum(len(c.observations) for c in contributions),
    }
    return NetworkView(frame, matrix, totals)


def _span(low: object, high: object) -> str:
    import pandas as pd

    if pd.isna(low) or pd.isna(high):
        return ""
    return str(int(low)) if low == high else f"{int(low)} à {int(high)}"
