"""EventBridge schedule expressions: when does a rule fire?"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from edgeguard_tools.local.schedule import Schedule, ScheduleError

START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # a Friday


def fires(expression: str, minutes: int, start: datetime = START) -> list[datetime]:
    schedule = Schedule.parse(expression)
    moments = [start + timedelta(minutes=m) for m in range(1, minutes + 1)]
    return [moment for moment in moments if schedule.due(moment, start)]


def test_rates_count_from_the_start():
    assert len(fires("rate(1 minute)", 10)) == 10
    assert [m.minute for m in fires("rate(5 minutes)", 12)] == [5, 10]
    assert [m.hour for m in fires("rate(1 hour)", 180)] == [11, 12, 13]


def test_cron_minutes_hours_and_steps():
    assert [m.minute for m in fires("cron(0/15 * * * ? *)", 60)] == [15, 30, 45, 0]
    assert [(m.hour, m.minute) for m in fires("cron(30 10,12 * * ? *)", 180)] == [
        (10, 30),
        (12, 30),
    ]


def test_cron_weekdays_and_names():
    week = 7 * 24 * 60
    mondays = fires("cron(0 9 ? * MON *)", week)
    assert [m.strftime("%a %H:%M") for m in mondays] == ["Mon 09:00"]
    weekdays = fires("cron(0 9 ? * MON-FRI *)", week)
    assert len(weekdays) == 5
    assert fires("cron(0 9 ? * 2 *)", week) == mondays  # 1 = SUN, 2 = MON


def test_cron_last_day_and_nth_weekday():
    start = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
    month = 30 * 24 * 60
    assert [m.day for m in fires("cron(0 0 L * ? *)", month, start)] == [30]
    assert [m.day for m in fires("cron(0 12 ? * 6#3 *)", month, start)] == [20]  # 3rd Friday


@pytest.mark.parametrize(
    "bad",
    ["rate(0 minutes)", "rate(5 minute)", "cron(0 9 * * *)", "cron(0 9 1 * MON *)", "every 5m"],
)
def test_invalid_expressions_are_refused(bad):
    with pytest.raises(ScheduleError):
        Schedule.parse(bad)
