"""The time window and scope of a WAF alarm, from its "CloudWatch Alarm State Change" event.

The window is what the alarm evaluated: from the first evaluated datapoint
(``state.reasonData``) to the state change, at least one period and at least five
minutes long (attackers were at it before a one-minute alarm crossed its threshold). WAF keeps
sampled requests for three hours only, so the window is clamped to them.
The alarm's metric dimensions say which rule it watches: ``Rule`` is the rule's
metric name, or ``ALL`` for the whole web ACL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from edgeguard import fields
from edgeguard.errors import EdgeguardError

SAMPLE_RETENTION = timedelta(hours=3)
DEFAULT_PERIOD = timedelta(minutes=5)
MIN_LOOKBACK = timedelta(minutes=5)  # a 1-minute alarm still looks at the minutes before it


class NotAnAlarmEvent(EdgeguardError, ValueError):
    """The input is not a CloudWatch alarm state change into ALARM."""


@dataclass(frozen=True)
class AlarmWindow:
    """What an alarm evaluated: its name, the window [start, end] (aware UTC datetimes),
    the rule metric name it watches (None for the whole web ACL) and the state reason.
    """

    alarm_name: str
    start: datetime
    end: datetime
    rule_metric: str | None  # None: the alarm watches the whole web ACL
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The window as a JSON-ready dict (times ISO 8601 to the second; no reason)."""
        return {
            "alarm_name": self.alarm_name,
            "start": self.start.isoformat(timespec="seconds"),
            "end": self.end.isoformat(timespec="seconds"),
            "rule_metric": self.rule_metric,
        }


def parse_time(raw: Any) -> datetime | None:
    """CloudWatch writes ``2026-11-21T23:50:12.989+0000``; EventBridge ``...Z``.

    Returns an aware datetime (naive text is taken as UTC), or None for anything
    that is not such a time.
    """
    if not isinstance(raw, str) or not raw.strip():
        return None
    text = raw.strip().replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    try:
        moment = datetime.fromisoformat(text)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        # a time at the edge of datetime's range (year 1 / 9999) cannot be shifted by a
        # window: it is no time an alarm evaluated
        moment.astimezone(UTC)
        _ = (moment - SAMPLE_RETENTION, moment + SAMPLE_RETENTION)
    except (ValueError, OverflowError):
        return None
    return moment


def alarm_window(event: dict[str, Any], now: datetime) -> AlarmWindow:
    """The alarm's name, window and watched rule; raises NotAnAlarmEvent for anything else.

    ``event`` is an EventBridge "CloudWatch Alarm State Change" event ("Amazon
    CloudWatch User Guide: Alarm events and EventBridge"). ``now`` is an aware
    datetime; the window ends at the state change (never after ``now``) and starts no
    earlier than 3 hours before ``now`` ("AWS WAF API Reference: GetSampledRequests").
    """
    if event.get("detail-type") != "CloudWatch Alarm State Change":
        raise NotAnAlarmEvent(
            f"not a CloudWatch alarm state change: {str(event.get('detail-type'))[:80]!r}"
        )
    detail = fields.obj(event, "detail")
    name = fields.text(detail, "alarmName")
    if not name:
        raise NotAnAlarmEvent("alarm event without detail.alarmName")
    state = fields.obj(detail, "state")
    end = parse_time(fields.text(state, "timestamp")) or parse_time(fields.text(event, "time"))
    end = min(end or now, now)

    period, rule = DEFAULT_PERIOD, None
    for metric in fields.items(detail, "configuration", "metrics"):
        # CloudWatch periods are seconds, at most a day (longer is no alarm's period)
        seconds = fields.number(metric, "metricStat", "period", limit=86_400)
        if seconds is not None and seconds > 0:
            period = timedelta(seconds=seconds)
        value = fields.text(metric, "metricStat", "metric", "dimensions", "Rule")
        if value and value.upper() != "ALL":
            rule = value

    start = end - max(period, MIN_LOOKBACK)
    reason_data = _reason_data(fields.value(state, "reasonData"))
    evaluated = [
        parse_time(fields.text(p, "timestamp"))
        for p in fields.items(reason_data, "evaluatedDatapoints")
    ]
    earliest = min((t for t in evaluated if t), default=None) or parse_time(
        fields.text(reason_data, "startDate")
    )
    if earliest is not None:
        start = min(start, earliest)
    start = max(start, now - SAMPLE_RETENTION + timedelta(minutes=1))
    if start >= end:
        start = end - timedelta(minutes=1)
    return AlarmWindow(name, start, end, rule, fields.text(state, "reason"))


def _reason_data(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        data = json.loads(raw) if isinstance(raw, str) else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
