"""The one source of "now" for edgeguard code.

Everything that compares against the current time (decision expiry, scenario
windows, schedules) calls ``utcnow()``, so the local cloud can advance time
(``LocalCloud.tick``) and tests can pin it, without touching the system clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)
_frozen: datetime | None = None


def utcnow() -> datetime:
    """Current UTC time (timezone-aware), shifted by the local cloud's clock if any."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def advance(delta: timedelta) -> datetime:
    """Move the clock forward (local cloud, tests); returns the new now."""
    global _offset, _frozen
    if _frozen is not None:
        _frozen += delta
    else:
        _offset += delta
    return utcnow()


def reset() -> None:
    """Back to the system clock."""
    global _offset, _frozen
    _offset, _frozen = timedelta(0), None


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Pin now to ``moment`` (tz-aware) for the duration of the block; advance() still moves it."""
    global _frozen
    if moment.tzinfo is None:
        raise ValueError("frozen_at needs a timezone-aware datetime")
    saved = _frozen
    _frozen = moment.astimezone(UTC)
    try:
        yield
    finally:
        _frozen = saved
