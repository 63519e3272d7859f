"""What CloudWatch emits when an alarm changes state, in AWS's documented shapes.

- the EventBridge event "CloudWatch Alarm State Change" (source aws.cloudwatch);
- the SNS notification an alarm action publishes (the JSON message with Trigger);
- the payload of a Lambda alarm action (``alarmData``).

moto stores alarms and their state (SetAlarmState) but emits none of these; the
local cloud builds them from the alarm moto holds (``describe_alarms``).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from edgeguard_tools.local.template import ACCOUNT_ID, REGION

REGION_NAME = "US East (N. Virginia)"


def _stamp(moment: datetime) -> str:
    """CloudWatch's timestamp form: 2026-11-21T10:15:41.823+0000."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _metrics(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    if alarm.get("Metrics"):
        out = []
        for metric in alarm["Metrics"]:
            item: dict[str, Any] = {
                "id": metric["Id"],
                "returnData": metric.get("ReturnData", True),
            }
            if "Expression" in metric:
                item["expression"] = metric["Expression"]
            if "MetricStat" in metric:
                stat = metric["MetricStat"]
                item["metricStat"] = {
                    "metric": {
                        "namespace": stat["Metric"].get("Namespace"),
                        "name": stat["Metric"].get("MetricName"),
                        "dimensions": {
                            d["Name"]: d["Value"] for d in stat["Metric"].get("Dimensions", [])
                        },
                    },
                    "period": stat.get("Period"),
                    "stat": stat.get("Stat"),
                }
            out.append(item)
        return out
    return [
        {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, alarm["AlarmArn"])),
            "metricStat": {
                "metric": {
                    "namespace": alarm.get("Namespace"),
                    "name": alarm.get("MetricName"),
                    "dimensions": {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])},
                },
                "period": alarm.get("Period"),
                "stat": alarm.get("Statistic") or alarm.get("ExtendedStatistic"),
            },
            "returnData": True,
        }
    ]


def _state(value: str, reason: str, reason_data: str | None, when: datetime) -> dict[str, Any]:
    state = {"value": value, "reason": reason, "timestamp": _stamp(when)}
    if reason_data:
        state["reasonData"] = reason_data
    return state


def state_change_event(
    alarm: dict[str, Any],
    previous: dict[str, Any],
    new: dict[str, Any],
    when: datetime,
) -> dict[str, Any]:
    """The EventBridge event for a state change (``previous``/``new`` from ``_state``)."""
    configuration: dict[str, Any] = {"metrics": _metrics(alarm)}
    if alarm.get("AlarmDescription"):
        configuration["description"] = alarm["AlarmDescription"]
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": ACCOUNT_ID,
        "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [alarm["AlarmArn"]],
        "detail": {
            "alarmName": alarm["AlarmName"],
            "configuration": configuration,
            "previousState": previous,
            "state": new,
        },
    }


def lambda_action_payload(
    alarm: dict[str, Any], previous: dict[str, Any], new: dict[str, Any], when: datetime
) -> dict[str, Any]:
    """What a Lambda alarm action receives."""
    configuration: dict[str, Any] = {"metrics": _metrics(alarm)}
    if alarm.get("AlarmDescription"):
        configuration["description"] = alarm["AlarmDescription"]
    return {
        "source": "aws.cloudwatch",
        "alarmArn": alarm["AlarmArn"],
        "accountId": ACCOUNT_ID,
        "time": _stamp(when),
        "region": REGION,
        "alarmData": {
            "alarmName": alarm["AlarmName"],
            "state": new,
            "previousState": previous,
            "configuration": configuration,
        },
    }


def sns_notification(
    alarm: dict[str, Any], old_value: str, new: dict[str, Any], when: datetime
) -> tuple[str, str]:
    """(Subject, Message) an SNS alarm action publishes."""
    updated = alarm.get("AlarmConfigurationUpdatedTimestamp")
    message = {
        "AlarmName": alarm["AlarmName"],
        "AlarmDescription": alarm.get("AlarmDescription"),
        "AWSAccountId": ACCOUNT_ID,
        "AlarmConfigurationUpdatedTimestamp": _stamp(updated)
        if isinstance(updated, datetime)
        else _stamp(when),
        "NewStateValue": new["value"],
        "NewStateReason": new["reason"],
        "StateChangeTime": new["timestamp"],
        "Region": REGION_NAME,
        "AlarmArn": alarm["AlarmArn"],
        "OldStateValue": old_value,
        "OKActions": alarm.get("OKActions", []),
        "AlarmActions": alarm.get("AlarmActions", []),
        "InsufficientDataActions": alarm.get("InsufficientDataActions", []),
        "Trigger": {
            "MetricName": alarm.get("MetricName"),
            "Namespace": alarm.get("Namespace"),
            "StatisticType": "ExtendedStatistic" if alarm.get("ExtendedStatistic") else "Statistic",
            "Statistic": str(
                alarm.get("Statistic") or alarm.get("ExtendedStatistic") or ""
            ).upper(),
            "Unit": alarm.get("Unit"),
            "Dimensions": [
                {"value": d["Value"], "name": d["Name"]} for d in alarm.get("Dimensions", [])
            ],
            "Period": alarm.get("Period"),
            "EvaluationPeriods": alarm.get("EvaluationPeriods"),
            "DatapointsToAlarm": alarm.get("DatapointsToAlarm", alarm.get("EvaluationPeriods")),
            "ComparisonOperator": alarm.get("ComparisonOperator"),
            "Threshold": alarm.get("Threshold"),
            "TreatMissingData": alarm.get("TreatMissingData", "missing"),
            "EvaluateLowSampleCountPercentile": alarm.get("EvaluateLowSampleCountPercentile", ""),
        },
    }
    subject = f'{new["value"]}: "{alarm["AlarmName"]}" in {REGION_NAME}'
    return subject[:100], json.dumps(message)


def new_states(
    old: tuple[str, str], new: tuple[str, str, str | None], when: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(previousState, state) blocks from (value, reason) and (value, reason, reason data)."""
    return _state(old[0], old[1], None, when), _state(new[0], new[1], new[2], when)
