"""The window and watched rule of a WAF alarm, from the documented alarm event."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from edgeguard.alarms.window import NotAnAlarmEvent, alarm_window, parse_time
from edgeguard_tools.events import load_event

NOW = datetime(2026, 11, 21, 23, 59, tzinfo=UTC)


def test_window_spans_the_evaluated_datapoints_to_the_state_change():
    window = alarm_window(load_event("cloudwatch_alarm_waf_blocked"), NOW)
    assert window.alarm_name == "edgeguard-dev-waf-blocked"
    # one 1-minute datapoint at 23:54, widened to five minutes before the state change
    assert window.start == datetime(2026, 11, 21, 23, 50, 12, 989000, tzinfo=UTC)
    assert window.end == datetime(2026, 11, 21, 23, 55, 12, 989000, tzinfo=UTC)
    assert window.rule_metric is None  # Rule=ALL: the whole web ACL


def test_rate_rule_alarm_names_its_rule():
    window = alarm_window(load_event("cloudwatch_alarm_waf_rate_limited"), NOW)
    assert window.rule_metric == "edgeguard-rate"


def test_window_is_clamped_to_the_three_hours_waf_keeps_samples():
    event = load_event("cloudwatch_alarm_waf_blocked")
    data = json.loads(event["detail"]["state"]["reasonData"])
    data["evaluatedDatapoints"] = [{"timestamp": "2026-11-21T15:00:00.000+0000"}]
    event["detail"]["state"]["reasonData"] = json.dumps(data)
    window = alarm_window(event, NOW)
    assert NOW - window.start < timedelta(hours=3)


def test_missing_reason_data_falls_back_to_one_period():
    event = load_event("cloudwatch_alarm_waf_rate_limited")
    event["detail"]["state"].pop("reasonData")
    event["detail"]["configuration"]["metrics"][0]["metricStat"]["period"] = 900
    window = alarm_window(event, NOW)
    assert window.end - window.start == timedelta(minutes=15)


def test_a_long_evaluation_widens_the_window():
    event = load_event("cloudwatch_alarm_waf_blocked")
    data = json.loads(event["detail"]["state"]["reasonData"])
    data["evaluatedDatapoints"].append({"timestamp": "2026-11-21T23:30:00.000+0000"})
    event["detail"]["state"]["reasonData"] = json.dumps(data)
    assert alarm_window(event, NOW).start == datetime(2026, 11, 21, 23, 30, tzinfo=UTC)


def test_other_events_are_refused():
    with pytest.raises(NotAnAlarmEvent):
        alarm_window({"detail-type": "GuardDuty Finding", "detail": {}}, NOW)
    with pytest.raises(NotAnAlarmEvent, match="alarmName"):
        alarm_window({"detail-type": "CloudWatch Alarm State Change", "detail": {}}, NOW)


def test_cloudwatch_time_format():
    assert parse_time("2026-11-21T23:55:12.989+0000") == datetime(
        2026, 11, 21, 23, 55, 12, 989000, tzinfo=UTC
    )
    assert parse_time("garbage") is None
