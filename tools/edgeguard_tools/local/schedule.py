"""EventBridge schedule expressions: ``rate(...)`` and six-field ``cron(...)`` (UTC).

cron fields: minutes hours day-of-month month day-of-week year; one of
day-of-month / day-of-week is ``?``. Supported: ``*``, ``?``, lists ``,``, ranges
``-``, steps ``/``, month and weekday names (day-of-week 1-7 is SUN-SAT), ``L``
(last day of month / last weekday ``5L``), ``W`` (nearest weekday) and ``#``
(``6#3`` = third Friday).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
_UNIT = {"minute": 1, "hour": 60, "day": 1440}
_MONTHS = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


class ScheduleError(ValueError):
    """Not a schedule expression EventBridge accepts."""


@dataclass(frozen=True)
class Schedule:
    """A parsed expression; ``due(minute, start)`` says whether it fires in that minute."""

    expression: str
    rate_minutes: int | None = None
    cron: tuple[str, ...] | None = None

    @classmethod
    def parse(cls, expression: str) -> Schedule:
        text = expression.strip()
        rate = _RATE.fullmatch(text)
        if rate:
            value, unit = int(rate.group(1)), rate.group(2).rstrip("s")
            if value < 1 or (value == 1) != (not rate.group(2).endswith("s")):
                raise ScheduleError(f"{expression}: use 'rate(1 {unit})' or 'rate(N {unit}s)'")
            return cls(text, rate_minutes=value * _UNIT[unit])
        if text.startswith("cron(") and text.endswith(")"):
            fields = tuple(text[5:-1].split())
            if len(fields) != 6:
                raise ScheduleError(f"{expression}: cron needs 6 fields")
            if "?" not in (fields[2], fields[4]):
                raise ScheduleError(f"{expression}: day-of-month or day-of-week must be '?'")
            schedule = cls(text, cron=fields)
            schedule.due(datetime(2000, 1, 1))  # validates every field now
            return schedule
        raise ScheduleError(f"{expression!r} is neither rate(...) nor cron(...)")

    def due(self, minute: datetime, start: datetime | None = None) -> bool:
        """Fires in ``minute`` (UTC, seconds ignored); rates count from ``start``."""
        minute = minute.replace(second=0, microsecond=0)
        if self.rate_minutes is not None:
            origin = (start or minute).replace(second=0, microsecond=0)
            elapsed = int((minute - origin) / timedelta(minutes=1))
            return elapsed > 0 and elapsed % self.rate_minutes == 0
        assert self.cron is not None
        minutes, hours, dom, month, dow, year = self.cron
        return (
            minute.minute in _field(minutes, 0, 59)
            and minute.hour in _field(hours, 0, 23)
            and minute.month in _field(month, 1, 12, _MONTHS)
            and minute.year in _field(year, 1970, 2199)
            and _day_matches(dom, dow, minute)
        )


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    out: set[int] = set()
    for raw in text.upper().split(","):
        part, step, stepped = raw, 1, "/" in raw
        if stepped:
            part, step_text = raw.split("/", 1)
            step = int(step_text)
            if step < 1:
                raise ScheduleError(f"bad step in {text!r}")
        if part in {"*", "?"}:
            first, last = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            first, last = _value(a, names), _value(b, names)
        else:
            first = _value(part, names)
            last = high if stepped else first
        if not (low <= first <= high and low <= last <= high):
            raise ScheduleError(f"{text!r} is outside {low}-{high}")
        if first <= last:
            out.update(range(first, last + 1, step))
        else:  # wraps around, e.g. FRI-MON
            cycle = [*range(first, high + 1), *range(low, last + 1)]
            out.update(cycle[::step])
    return out


def _value(text: str, names: dict[str, int] | None) -> int:
    if names and text in names:
        return names[text]
    if not text.isdigit():
        raise ScheduleError(f"{text!r} is not a number or name")
    return int(text)


def _day_matches(dom: str, dow: str, day: datetime) -> bool:
    last_day = calendar.monthrange(day.year, day.month)[1]
    weekday = (day.weekday() + 1) % 7 + 1  # Monday=0 -> 2 ... Sunday=6 -> 1
    if dom != "?":
        text = dom.upper()
        if text == "L":
            return day.day == last_day
        if text.endswith("W"):
            return day.day == _nearest_weekday(day, int(text[:-1]), last_day)
        return day.day in _field(text, 1, 31)
    text = dow.upper()
    if text.endswith("L") and text != "L":
        target = _value(text[:-1], _DAYS)
        return weekday == target and day.day + 7 > last_day
    if "#" in text:
        name, nth = text.split("#", 1)
        return weekday == _value(name, _DAYS) and (day.day - 1) // 7 + 1 == int(nth)
    if text == "L":
        return weekday == 7
    return weekday in _field(text, 1, 7, _DAYS)


def _nearest_weekday(day: datetime, wanted: int, last_day: int) -> int:
    wanted = min(wanted, last_day)
    candidate = day.replace(day=wanted)
    if candidate.weekday() == 5:  # Saturday -> Friday, or Monday if the 1st
        return wanted - 1 if wanted > 1 else wanted + 2
    if candidate.weekday() == 6:  # Sunday -> Monday, or Friday if month end
        return wanted + 1 if wanted < last_day else wanted - 2
    return wanted
