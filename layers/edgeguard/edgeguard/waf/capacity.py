"""When decisions outgrow the sets: one total order decides which are kept.

Decisions are ranked by origin (manual > finding (guardduty, securityhub) > alarm >
log > hunt > blocklist: who decided, and how sure they are), then by events (wider
coverage of the attack first), then by expiry (latest first); the value breaks ties
so the choice is deterministic (DESIGN.md §4). A prefix of that ranking whose
aggregation fits is kept; the rest is reported as dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from edgeguard.decisions import ACTION_SEVERITY, Decision

# Lower ranks are kept first; an origin not listed ranks after all of these.
ORIGIN_RANK = {
    "manual": 0,
    "guardduty": 1,
    "securityhub": 1,
    "alarm": 2,
    "log": 3,
    "hunt": 4,
    "blocklist": 5,
}


@dataclass(frozen=True)
class Fitted:
    """What goes into the sets, and which decisions did not fit."""

    entries: list[str]
    dropped: list[Decision]
    last_kept: Decision | None = None  # the lowest-ranked decision kept, when any dropped


def rank(decisions: Sequence[Decision]) -> list[Decision]:
    """Decisions in the order capacity keeps them: by origin (``ORIGIN_RANK``: manual >
    guardduty = securityhub > alarm > log > hunt > blocklist), then more ``events`` first,
    then the later ``expires_at``, then ``value`` so the order is deterministic. (The
    action comes first, ban > captcha, but one group never mixes actions.)

    Returns a new list; ``decisions`` is not changed.
    """
    return sorted(decisions, key=_order)


def _order(d: Decision) -> tuple[int, int, int, float, str]:
    return (
        -ACTION_SEVERITY.get(d.action, 0),
        ORIGIN_RANK.get(d.origin, len(ORIGIN_RANK)),
        -d.events,
        -d.expires_at.timestamp(),
        d.value,
    )


def why_dropped(kept_last: Decision | None, dropped: Decision) -> str:
    """One line saying why ``dropped`` lost to the last decision kept (``kept_last``)."""
    if kept_last is None:
        return f"{dropped.value}: no room at all"
    for label, mine, theirs in (
        ("origin", ORIGIN_RANK.get(dropped.origin, 99), ORIGIN_RANK.get(kept_last.origin, 99)),
        ("events", -dropped.events, -kept_last.events),
        ("expiry", -dropped.expires_at.timestamp(), -kept_last.expires_at.timestamp()),
    ):
        if mine != theirs:
            return (
                f"{dropped.value}: ranks after the last kept by {label} "
                f"({dropped.origin}, {dropped.events} events, until "
                f"{dropped.expires_at:%Y-%m-%dT%H:%MZ})"
            )
    return f"{dropped.value}: ranks after the last kept ({dropped.origin})"


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
    so a lower-ranked decision never displaces a higher-ranked one.
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
    return Fitted(kept, ranked[admitted:], ranked[admitted - 1] if admitted else None)
