"""When decisions outgrow the sets: keep the most severe and longest-lived ones.

Decisions are ranked (severity, then expiry, latest first; the value breaks ties so
the choice is deterministic) and the longest prefix of that ranking whose
aggregation fits is kept; the rest is reported as dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from edgeguard.decisions.model import ACTION_SEVERITY, Decision


@dataclass(frozen=True)
class Fitted:
    """What goes into the sets, and which decisions did not fit."""

    entries: list[str]
    dropped: list[Decision]


def rank(decisions: Sequence[Decision]) -> list[Decision]:
    return sorted(
        decisions,
        key=lambda d: (-ACTION_SEVERITY.get(d.action, 0), -d.expires_at.timestamp(), d.value),
    )


def fit(
    decisions: Sequence[Decision],
    entries_of: Callable[[Sequence[Decision]], list[str]],
    capacity: int,
) -> Fitted:
    """Keep as many top-ranked decisions as ``entries_of`` can place in ``capacity`` entries."""
    entries = entries_of(decisions)
    if len(entries) <= capacity:
        return Fitted(entries, [])
    ranked = rank(decisions)
    low, high = 0, min(len(ranked), capacity)  # each decision needs at least one entry
    best: list[str] = []
    while low < high:
        middle = (low + high + 1) // 2
        candidate = entries_of(ranked[:middle])
        if len(candidate) <= capacity:
            low, best = middle, candidate
        else:
            high = middle - 1
    if low and not best:
        best = entries_of(ranked[:low])
    return Fitted(best, ranked[low:])
