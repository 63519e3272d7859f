"""Schedules: local time moving on, minute by minute, and what comes due with it.

``Scheduler.tick(minutes)`` advances ``edgeguard.clock`` one minute at a time
(``catch_up(now)``: follows the clock without moving it) and, each minute, fires the
rules and EventBridge Scheduler schedules whose rate/cron expression is due
(edgeguard_tools.local.schedule) with the "Scheduled Event" EventBridge sends, runs due
secret rotations, releases the retries that came due and delivers. ``rewind`` gives the
clock back the time the ticks added.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from edgeguard import clock
from edgeguard_tools.local.template import ACCOUNT_ID, REGION
from edgeguard_tools.local.wiring import Rule, Target, Wiring


class Scheduler:
    """Fires the template's schedules as local time moves on.

    ``wiring()`` gives the rules, Scheduler schedules and rotation schedules;
    ``deliver(target, event, source)`` delivers to a rule's target;
    ``rotate(secret_logical_id)`` rotates a secret; ``release_retries()`` makes the
    retries that came due deliverable; ``pump()`` delivers what is pending.
    """

    def __init__(
        self,
        *,
        wiring: Callable[[], Wiring],
        deliver: Callable[[Target, dict[str, Any], str], None],
        rotate: Callable[[str], Any],
        release_retries: Callable[[], None],
        pump: Callable[[], None],
    ) -> None:
        self._wiring = wiring
        self._deliver = deliver
        self._rotate = rotate
        self._release_retries = release_retries
        self._pump = pump
        self.minute = datetime.now(UTC)
        self.started_minute = self.minute
        self.ticked = timedelta(0)

    def start(self, now: datetime) -> None:
        """Schedules count from the minute ``now`` falls in."""
        self.minute = self.started_minute = now.replace(second=0, microsecond=0)

    def tick(self, minutes: int = 1) -> list[str]:
        """Advance ``minutes`` minutes; the logical ids fired. ``ValueError`` when negative."""
        if minutes < 0:
            raise ValueError("time only moves forward")
        fired: list[str] = []
        for _ in range(minutes):
            self.ticked += timedelta(minutes=1)
            clock.advance(timedelta(minutes=1))
            fired += self._next_minute()
        return fired

    def catch_up(self, now: datetime) -> list[str]:
        """Fire every minute that ``now`` (the clock, not moved) has passed since the last
        one fired: the schedules of a cloud that keeps running. The logical ids fired."""
        fired: list[str] = []
        while self.minute + timedelta(minutes=1) <= now:
            fired += self._next_minute()
        return fired

    def _next_minute(self) -> list[str]:
        self.minute += timedelta(minutes=1)
        fired: list[str] = []
        for rule in self._wiring().rules:
            if (
                rule.schedule
                and rule.enabled
                and rule.schedule.due(self.minute, self.started_minute)
            ):
                fired += self._fire(rule)
        for rotation in self._wiring().rotations:
            if rotation.schedule and rotation.schedule.due(self.minute, self.started_minute):
                self._rotate(rotation.secret)
                fired.append(rotation.function)
        self._release_retries()
        self._pump()
        return fired

    def rewind(self) -> None:
        """Take back from ``edgeguard.clock`` the time the ticks added."""
        if self.ticked:
            clock.advance(-self.ticked)
            self.ticked = timedelta(0)

    def _fire(self, rule: Rule) -> list[str]:
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT_ID,
            "time": self.minute.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": REGION,
            "resources": [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{rule.logical_id}"],
            "detail": {},
        }
        for declared in rule.targets:
            target = declared
            if rule.scheduler and target.input is None:
                target = copy.copy(declared)
                target.input = "{}"
            self._deliver(target, event, f"schedule {rule.logical_id}")
        return [target.logical_id for target in rule.targets]
