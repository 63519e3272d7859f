"""How alerts say times and counts to a person: "for 4 h, until 07:50 UTC".

Relative first (how long from now), absolute after (UTC, the date added when it is not
today's). Pure functions: no clock is read here; callers pass ``now``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def span(delta: timedelta) -> str:
    """A duration in the largest fitting units, at most two: "45 s", "12 min", "4 h",
    "1 h 30 min", "2 d", "7 d 12 h"; from a minute on, to the nearest minute (an expiry
    stored to the second reads "1 d", not "23 h 59 min"). Negative durations read "0 s"."""
    seconds = max(0, round(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def at(moment: datetime, now: datetime) -> str:
    """``moment`` in UTC as "07:50 UTC", or "Tue 01 Dec 07:50 UTC" on another day than
    ``now``'s (both tz-aware)."""
    moment, now = moment.astimezone(UTC), now.astimezone(UTC)
    if moment.date() == now.date():
        return f"{moment:%H:%M} UTC"
    if moment.year == now.year:
        return f"{moment:%a %d %b %H:%M} UTC"
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def for_until(expires: datetime, now: datetime) -> str:
    """ "for 4 h, until 07:50 UTC" (``expires`` and ``now`` tz-aware)."""
    return f"for {span(expires - now)}, until {at(expires, now)}"


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 timestamp (as decisions and findings write them) as tz-aware UTC; a
    naive one is taken as UTC; None when ``text`` is not one."""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def plural(count: int, noun: str, plural_form: str = "") -> str:
    """ "1 address", "3 addresses" (``plural_form`` defaults to ``noun + "s"``)."""
    return f"{count} {noun if count == 1 else plural_form or noun + 's'}"


def listed(values: list[str], shown: int = 5) -> str:
    """ "a, b, c and 7 more" (at most ``shown`` values named)."""
    text = ", ".join(values[:shown])
    return f"{text} and {len(values) - shown} more" if len(values) > shown else text


def ban_did(values: list[str], dry_run: bool, when: str) -> str:
    """What edgeguard did about decided values, one sentence: banned in the WAF IP sets
    (or recorded as count decisions in dry run), which values, and ``when`` (e.g.
    "for 4 h, until 07:50 UTC")."""
    verb = (
        "Recorded as count decisions (dry run, not blocked)"
        if dry_run
        else "Banned in the WAF IP sets (the enforcer applies it within a minute)"
    )
    return f"{verb}: {listed(values)}{' ' + when if when else ''}."
