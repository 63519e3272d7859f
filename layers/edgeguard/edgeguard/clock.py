"""The one source of "now" for edgeguard code.

Everything that compares against the current time (decision expiry, scenario
windows, schedules) calls ``utcnow()``, so the local cloud can advance time
(``LocalCloud.tick``) and tests can pin it, without touching the system clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass
class _ClockState:
    offset: timedelta = timedelta(0)
    frozen: datetime | None = None


_state = _ClockState()


def utcnow() -> datetime:
    """Current UTC time (timezone-aware), shifted by the local cloud's clock if any."""
    if _state.frozen is not None:
        return _state.frozen
    return datetime.now(UTC) + _state.offset


def advance(delta: timedelta) -> datetime:
    """Move the clock forward (local cloud, tests); returns the new now."""
    if _state.frozen is not None:
        _state.frozen += delta
    else:
        _state.offset += delta
    return utcnow()


def reset() -> None:
    """Back to the system clock."""
    _state.offset, _state.frozen = timedelta(0), None


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Pin now to ``moment`` (tz-aware) for the block; advance() still moves it.

    Raises:
        ValueError: ``moment`` is naive.
    """
    if moment.tzinfo is None:
        raise ValueError("frozen_at needs a timezone-aware datetime")
    saved = _state.frozen
    _state.frozen = moment.astimezone(UTC)
    try:
        yield
    finally:
        _state.frozen = saved
