"""Spread entries over a fixed number of sets, moving as little as possible.

An entry that already sits in a set stays there; a new entry goes to the set its
hash prefers, or to the emptiest set when that one is full. The same inputs give
the same layout, so an unchanged world makes no write at all, and churn touches
only the sets whose entries came or went.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence


def preferred(entry: str, shards: int) -> int:
    """The set index in [0, shards) that ``entry`` goes to when new: CRC-32 of it mod ``shards``."""
    return zlib.crc32(entry.encode()) % shards


def assign(
    desired: Sequence[str], current: Sequence[Sequence[str]], capacity: int
) -> list[list[str]]:
    """New contents per set: exactly ``desired``, none over ``capacity``.

    ``current`` is what each set holds now (one list per set, same order every run).
    Returns one sorted list per set, in the order of ``current``.

    Raises:
        ValueError: ``current`` is empty, or the distinct ``desired`` entries exceed
            ``len(current) * capacity``.
    """
    shards = len(current)
    if shards == 0:
        raise ValueError("at least one set is needed")
    if len(set(desired)) > shards * capacity:
        raise ValueError(f"{len(set(desired))} entries do not fit {shards} x {capacity}")
    wanted = set(desired)
    placed: set[str] = set()
    layout: list[list[str]] = [[] for _ in range(shards)]
    for index, held in enumerate(current):
        for entry in held:
            if entry in wanted and entry not in placed and len(layout[index]) < capacity:
                layout[index].append(entry)
                placed.add(entry)
    for entry in sorted(wanted - placed):
        target = preferred(entry, shards)
        if len(layout[target]) >= capacity:
            target = min(range(shards), key=lambda i: (len(layout[i]), i))
        layout[target].append(entry)
    return [sorted(entries) for entries in layout]
