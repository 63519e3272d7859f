"""A hunt's result rows as findings, and findings as decisions (origin ``hunt``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from edgeguard.decisions import DecisionRequest
from edgeguard.errors import EdgeguardError
from edgeguard.hunt.sql import COLUMNS
from edgeguard.logs.settings import DetectionSettings


class ResultError(EdgeguardError, ValueError):
    """A result row that is not what ``hunt.sql`` selects (names the column)."""


@dataclass(frozen=True)
class Finding:
    """One (source, client, scenario) the hunt found.

    ``kind``: ``burst`` (the leaky bucket overflowed at ``overflow_at``, as the analyzer
    decides) or ``slow`` (more events than the capacity in the window, the bucket never
    overflowed; ``overflow_at`` is None). Times are aware UTC datetimes; ``peak`` is the
    highest bucket level; ``sample`` one request as logged (at most 200 characters).
    """

    source: str
    client: str
    scenario: str
    kind: str
    events: int
    first_seen: datetime
    last_seen: datetime
    overflow_at: datetime | None
    peak: float
    sample: str

    @property
    def decided_at(self) -> datetime:
        """When the analyzer would have decided (overflow), else the last event."""
        return self.overflow_at or self.last_seen


def _utc(value: Any, column: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(float(value)), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise ResultError(f"column {column}: not epoch seconds: {value!r}") from None


def finding_from_row(row: Mapping[str, Any]) -> Finding:
    """One result row (column name -> value; values may be text, as Athena returns
    them) as a Finding.

    Raises:
        ResultError: a column of ``hunt.sql.COLUMNS`` is missing or unreadable.
    """
    missing = [c for c in COLUMNS if c not in row]
    if missing:
        raise ResultError(f"result row without column(s) {', '.join(missing)}")
    kind = str(row["kind"])
    if kind not in {"burst", "slow"}:
        raise ResultError(f"column kind: {kind!r} is neither burst nor slow")
    try:
        events, peak = int(float(row["events"])), float(row["peak"])
    except (TypeError, ValueError):
        raise ResultError(f"columns events/peak: not numbers: {row['events']!r}") from None
    overflow = row["overflow_at"]
    return Finding(
        source=str(row["source"]),
        client=str(row["client"]),
        scenario=str(row["scenario"]),
        kind=kind,
        events=events,
        first_seen=_utc(row["first_seen"], "first_seen"),
        last_seen=_utc(row["last_seen"], "last_seen"),
        overflow_at=None if overflow in (None, "") else _utc(overflow, "overflow_at"),
        peak=peak,
        sample=str(row["sample"] or "")[:200],
    )


def findings_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """Every row as a Finding, in the query's order (ResultError as ``finding_from_row``)."""
    return [finding_from_row(row) for row in rows]


def request_for(finding: Finding, settings: DetectionSettings) -> DecisionRequest:
    """The DecisionRequest a finding becomes: origin ``hunt``, the scenario's action and
    ban duration, the scenario as reason (``<scenario> (slow)`` for a slow finding).

    Raises KeyError when the scenario is not in ``settings``.
    """
    scenario = settings.get(finding.scenario)
    reason = finding.scenario if finding.kind == "burst" else f"{finding.scenario} (slow)"
    return DecisionRequest(
        value=finding.client,
        action=scenario.action,
        origin="hunt",
        reason=reason,
        duration=scenario.duration,
        events=finding.events,
        first_seen=finding.first_seen,
        last_seen=finding.last_seen,
        details={
            "source": finding.source,
            "description": scenario.description,
            "kind": finding.kind,
            "sample": finding.sample,
        },
    )
