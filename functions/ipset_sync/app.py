"""Decision changes (DynamoDB stream) and a one-minute schedule -> WAF sets equal to the
active decisions. Thin handler; the logic is edgeguard.waf.service. Reserved
concurrency 1 makes it the single writer."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from edgeguard.decisions import DynamoDecisionStore
from edgeguard.waf.service import Enforcer, EnforcerSettings, GroupsFailed, Report

logger = Logger()
tracer = Tracer()
metrics = Metrics()
STORE = DynamoDecisionStore.from_env()
ENFORCER = Enforcer(EnforcerSettings.from_env(), boto3.client("wafv2"), boto3.client("sns"))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Whatever woke us (stream records or the schedule), the whole world is reconciled:
    # the run is idempotent and the table, not the event, is the truth.
    trigger = "stream" if event.get("Records") else event.get("source", "unknown")
    try:
        report = ENFORCER.run(STORE, recent=_stream_keys(event))
    except GroupsFailed as failure:
        # Every group was tried; count what was done, then fail the invocation so the
        # function's Errors metric (and its alarm) fire.
        _count(failure.report, trigger)
        raise
    return _count(report, trigger)


def _stream_keys(event: dict[str, Any]) -> list[tuple[str, str]]:
    """(value, action) of every decision a DynamoDB stream batch names (none for the
    schedule): the index may not show them yet, so they are read consistently."""
    keys = []
    for record in event.get("Records") or []:
        found = record.get("dynamodb", {}).get("Keys", {})
        value, action = found.get("value", {}).get("S"), found.get("action", {}).get("S")
        if value and action:
            keys.append((value, action))
    return keys


def _count(report: Report, trigger: str) -> dict[str, Any]:
    metrics.add_metric(
        name="EnforcementGroupsFailed", unit=MetricUnit.Count, value=len(report.failed)
    )
    metrics.add_metric(name="WafSetUpdates", unit=MetricUnit.Count, value=report.updates)
    metrics.add_metric(
        name="DecisionsNotEnforced", unit=MetricUnit.Count, value=len(report.dropped)
    )
    metrics.add_metric(name="InvalidDecisions", unit=MetricUnit.Count, value=len(report.invalid))
    for group in report.groups:
        metrics.add_metric(
            name=f"Entries-{group.group}", unit=MetricUnit.Count, value=group.entries
        )
    summary = report.as_dict()
    logger.info("enforced", extra={"trigger": trigger, "report": summary})
    return summary
