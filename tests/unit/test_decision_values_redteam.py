"""Decision values as operators and AWS spell them: brackets, case, zone ids, mapped IPv4,
and how wide a range each origin may ban."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from edgeguard.decisions import DecisionRequest, MemoryStore, normalize_ip

NOW = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("[2001:db8::1]", "2001:db8::/64"),  # as in a URL or an access log
        ("[2001:DB8::1]/128", "2001:db8::/64"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9/32"),
        (" 203.0.113.9\n", "203.0.113.9/32"),
    ],
)
def test_spellings_of_one_address_normalise_alike(raw, value):
    assert normalize_ip(raw)[0] == value


def _record(value: str, origin: str):
    request = DecisionRequest(value, "ban", origin, "test", timedelta(hours=1))
    return MemoryStore().record(request, NOW)


@pytest.mark.parametrize(
    ("value", "origin", "allowed"),
    [
        ("3.0.0.0/8", "manual", True),
        ("2.0.0.0/7", "manual", False),
        ("2a00::/16", "blocklist", True),
        ("2a00::/15", "manual", False),
        ("3.1.0.0/16", "log", True),
        ("3.0.0.0/15", "log", False),
        ("3.0.0.0/8", "guardduty", False),
        ("2a00:1450::/32", "alarm", True),
        ("2a00::/31", "securityhub", False),
    ],
)
def test_the_widest_range_depends_on_who_asks(value, origin, allowed):
    outcome = _record(value, origin)
    assert (outcome.status == "created") is allowed, outcome.reason
    if not allowed:
        assert "wider than" in outcome.reason
