"""Scheduled hunt (ScheduledHunt=enabled): the last HUNT_WINDOW_HOURS of logs on Athena ->
decisions (origin hunt) and one alert. Thin handler; the logic is edgeguard.hunt.service."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from edgeguard.decisions import DynamoDecisionStore
from edgeguard.hunt.service import HuntFailed, HuntSettings, scheduled_hunt

logger = Logger()
tracer = Tracer()
metrics = Metrics()
SETTINGS = HuntSettings.from_env()
STORE = DynamoDecisionStore.from_env()
ATHENA = boto3.client("athena")
SNS = boto3.client("sns")
# Seconds kept back from the function's timeout to stop the query and alert.
MARGIN_SECONDS = 60


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    budget = max(30.0, context.get_remaining_time_in_millis() / 1000 - MARGIN_SECONDS)
    try:
        summary = scheduled_hunt(ATHENA, SNS, STORE, SETTINGS, timeout_seconds=budget)
    except HuntFailed:
        metrics.add_metric(name="HuntsFailed", unit=MetricUnit.Count, value=1)
        raise
    metrics.add_metric(name="HuntFindings", unit=MetricUnit.Count, value=len(summary["findings"]))
    metrics.add_metric(
        name="HuntBytesScanned", unit=MetricUnit.Bytes, value=summary["bytes_scanned"]
    )
    logger.info("hunt done", extra={k: v for k, v in summary.items() if k != "findings"})
    return summary
