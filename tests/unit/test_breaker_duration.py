"""Durations operators type for the circuit breaker."""

from __future__ import annotations

from datetime import timedelta

import pytest

from edgeguard.breaker.service import parse_duration
from edgeguard.decisions import InvalidValue


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4h", timedelta(hours=4)),
        ("30m", timedelta(minutes=30)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        (" 2D ", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("90s", timedelta(seconds=90)),
    ],
)
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "4", "4 hours", "h", "-1h", "1y", "4h!", "0m", "400d"])
def test_bad_durations_are_refused(text):
    with pytest.raises(InvalidValue):
        parse_duration(text)
