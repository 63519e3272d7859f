"""GuardDuty finding -> ban decisions for its remote addresses. Thin handler; logic in
edgeguard.findings."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from edgeguard.decisions import DynamoDecisionStore
from edgeguard.findings.service import FindingSettings, handle_guardduty_event
from edgeguard.notify.digest import AlertGate

logger = Logger()
tracer = Tracer()
metrics = Metrics()
SETTINGS = FindingSettings.from_env()
SINK = DynamoDecisionStore.from_env()
SNS = boto3.client("sns")
# Storm control: at most FINDING_ALERTS_PER_HOUR alerts an hour, the rest in a digest.
GATE = AlertGate(boto3.client("dynamodb"), SETTINGS.state_table) if SETTINGS.state_table else None


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = handle_guardduty_event(event, SINK, SNS, SETTINGS, gate=GATE)
    metrics.add_metric(
        name="FindingAddressesRecorded", unit=MetricUnit.Count, value=len(result["recorded"])
    )
    logger.info(
        "guardduty finding handled",
        extra={
            "finding_type": result["finding_type"],
            "recorded": len(result["recorded"]),
            "refused": len(result["refused"]),
            "problems": len(result["problems"]),
        },
    )
    return result
