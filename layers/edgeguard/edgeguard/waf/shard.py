"""Spread entries over a fixed number of sets, moving as little as possible.

An entry that already sits in a set stays there; a new entry goes to the set its
hash prefers, or to the emptiest set when that one is full. The same inputs give
the same layout, so an unchanged world makes no write at all, and churn touches
only the sets whose entries came or went.
"""

from __future__ import annotations

import bisect
import ipaddress
import zlib
from collections.abc import Sequence


def preferred(entry: str, shards: int) -> int:
    """The set index in [0, shards) that ``entry`` goes to when new: CRC-32 of it mod ``shards``."""
    return zlib.crc32(entry.encode()) % shards


def assign(
    desired: Sequence[str],
    current: Sequence[Sequence[str]],
    capacity: int,
    reserved: Sequence[int] | None = None,
) -> list[list[str]]:
    """New contents per set: exactly ``desired``, none over ``capacity``.

    ``current`` is what each set holds now (one list per set, same order every run).
    ``reserved`` (optional, one count per set) is room kept free in each set, for the
    old entries it must hold while a change is made (see ``superseded``).
    Returns one sorted list per set, in the order of ``current``.

    Raises:
        ValueError: ``current`` is empty, or the distinct ``desired`` entries do not fit
            ``len(current) * capacity`` less the reserved room.
    """
    shards = len(current)
    if shards == 0:
        raise ValueError("at least one set is needed")
    room = [capacity - r for r in reserved] if reserved else [capacity] * shards
    if len(set(desired)) > sum(max(r, 0) for r in room):
        raise ValueError(f"{len(set(desired))} entries do not fit {shards} x {capacity}")
    wanted = set(desired)
    placed: set[str] = set()
    layout: list[list[str]] = [[] for _ in range(shards)]
    for index, held in enumerate(current):
        for entry in held:
            if entry in wanted and entry not in placed and len(layout[index]) < room[index]:
                layout[index].append(entry)
                placed.add(entry)
    for entry in sorted(wanted - placed):
        target = preferred(entry, shards)
        if len(layout[target]) >= room[target]:
            target = max(range(shards), key=lambda i: (room[i] - len(layout[i]), -i))
        layout[target].append(entry)
    return [sorted(entries) for entries in layout]


def superseded(desired: Sequence[str], current: Sequence[Sequence[str]]) -> list[list[str]]:
    """Per set, the old entries that leave but still cover a wanted address.

    An entry of ``current`` that is not in ``desired`` but overlaps a desired CIDR (it
    is being replaced by a wider, narrower or moved aggregate) must stay until the
    replacement is written everywhere; an entry overlapping nothing desired covers no
    active ban and can go at once. ``desired`` must be disjoint CIDRs of one IP version
    (what aggregation returns); unparseable old entries overlap nothing.
    """
    wanted = set(desired)
    leaving = [[e for e in held if e not in wanted] for held in current]
    if not any(leaving):
        return [[] for _ in current]
    spans = sorted(span for span in map(_span, desired) if span is not None)
    starts = [start for start, _ in spans]

    def overlaps(entry: str) -> bool:
        span = _span(entry)
        if span is None:
            return False
        # Desired CIDRs are disjoint, so the last one starting at or before this entry's
        # end is the only one that can reach back into it.
        index = bisect.bisect_right(starts, span[1])
        return index > 0 and spans[index - 1][1] >= span[0]

    return [[e for e in entries if overlaps(e)] for entries in leaving]


def _span(cidr: str) -> tuple[int, int] | None:
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None
    start = int(network.network_address)
    return start, start + network.num_addresses - 1
