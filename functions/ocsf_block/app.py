"""The current Security Hub's OCSF network findings ("Findings Imported V2") -> ban decisions
for their remote addresses. Thin handler; logic in edgeguard.findings."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from edgeguard.decisions import DynamoDecisionStore
from edgeguard.findings.service import OcsfSettings, handle_ocsf_event
from edgeguard.notify.digest import AlertGate

logger = Logger()
tracer = Tracer()
metrics = Metrics()
SETTINGS = OcsfSettings.from_env()
SINK = DynamoDecisionStore.from_env()
SNS = boto3.client("sns")
# Storm control: at most FINDING_ALERTS_PER_HOUR alerts an hour, the rest in a digest.
GATE = (
    AlertGate(boto3.client("dynamodb"), SETTINGS.findings.state_table)
    if SETTINGS.findings.state_table
    else None
)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = handle_ocsf_event(event, SINK, SNS, SETTINGS, gate=GATE)
    metrics.add_metric(
        name="FindingAddressesRecorded", unit=MetricUnit.Count, value=len(result["recorded"])
    )
    if result["malformed_findings_skipped"]:
        metrics.add_metric(
            name="MalformedFindingsSkipped",
            unit=MetricUnit.Count,
            value=result["malformed_findings_skipped"],
        )
    logger.info(
        "security hub OCSF finding handled",
        extra={
            "findings": result["findings"],
            "recorded": len(result["recorded"]),
            "skipped": len(result["skipped"]),
            "malformed": result["malformed_findings_skipped"],
        },
    )
    return result
