"""Security Hub "Block source IP in WAF" custom action -> ban decisions and a note on each
finding. Thin handler; logic in edgeguard.findings."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from edgeguard.decisions import DynamoDecisionStore
from edgeguard.findings.service import FindingSettings, handle_custom_action_event

logger = Logger()
tracer = Tracer()
metrics = Metrics()
SETTINGS = FindingSettings.from_env()
SINK = DynamoDecisionStore.from_env()
SNS = boto3.client("sns")
SECURITYHUB = boto3.client("securityhub")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = handle_custom_action_event(event, SINK, SNS, SECURITYHUB, SETTINGS)
    metrics.add_metric(
        name="FindingAddressesRecorded", unit=MetricUnit.Count, value=len(result["recorded"])
    )
    if result["notes_not_written"]:
        metrics.add_metric(
            name="FindingNotesNotWritten",
            unit=MetricUnit.Count,
            value=len(result["notes_not_written"]),
        )
    logger.info(
        "security hub custom action handled",
        extra={
            "findings": result["findings"],
            "recorded": len(result["recorded"]),
            "notes_not_written": len(result["notes_not_written"]),
        },
    )
    return result
