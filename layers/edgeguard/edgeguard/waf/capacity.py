"""When decisions outgrow the sets: keep the most severe and longest-lived ones.

Decisions are ranked (severity, then expiry, latest first; the value breaks ties so
the choice is deterministic) and a prefix of that ranking whose aggregation fits is
kept; the rest is reported as dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from edgeguard.decisions import ACTION_SEVERITY, Decision


@dataclass(frozen=True)
class Fitted:
    """What goes into the sets, and which decisions did not fit."""

    entries: list[str]
    dropped: list[Decision]


def rank(decisions: Sequence[Decision]) -> list[Decision]:
    """Decisions in the order capacity keeps them: most severe action first (ban > captcha >
    count), then the latest ``expires_at``, then ``value`` so the order is deterministic.

    Returns a new list; ``decisions`` is not changed. Origin and event count play no part.
    """
    return sorted(
        decisions,
        key=lambda d: (-ACTION_SEVERITY.get(d.action, 0), -d.expires_at.timestamp(), d.value),
    )


def fit(
    decisions: Sequence[Decision],
    entries_of: Callable[[Sequence[Decision]], list[str]],
    capacity: int,
    rounds: int = 3,
    own_count: Callable[[Decision], int] | None = None,
) -> Fitted:
    """Keep top-ranked decisions, in rank order, while ``entries_of`` places them in
    ``capacity`` entries.

    ``own_count`` (optional, for speed) says how many entries one decision needs alone.
    Each round admits the next decisions counting their own entries (an upper bound:
    aggregation can only merge), then aggregates what was admitted; the room merging
    freed is offered to the next round. The first decision that does not fit ends it,
    so a shorter-lived decision never displaces a longer-lived one.
    """
    entries = entries_of(decisions)
    if len(entries) <= capacity:
        return Fitted(entries, [])
    count = own_count or (lambda decision: len(entries_of([decision])))
    ranked = rank(decisions)
    admitted = 0
    kept: list[str] = []
    for _ in range(rounds):
        room = capacity - len(kept)
        start = admitted
        while admitted < len(ranked):
            own = count(ranked[admitted])
            if own > room:
                break
            room -= own
            admitted += 1
        if admitted == start:
            break
        kept = entries_of(ranked[:admitted])
    return Fitted(kept, ranked[admitted:])
