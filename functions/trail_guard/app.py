"""CloudTrail API calls that stop or weaken a trail (and the hourly configuration
snapshot). Thin handler; the logic is edgeguard.response.guard / .snapshots."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from edgeguard import idempotency
from edgeguard.notify.alert import publish
from edgeguard.response.service import (
    DynamoSnapshots,
    GuardSettings,
    NotATrailCall,
    ResponseSettings,
    own_role_arns,
    parse_api_call,
    record_all,
    respond,
)

logger = Logger()
tracer = Tracer()
metrics = Metrics()
SETTINGS = ResponseSettings.from_env()
RETRIES = Config(retries={"mode": "standard", "max_attempts": 5})
CLOUDTRAIL = boto3.client("cloudtrail", config=RETRIES)
SNS = boto3.client("sns", config=RETRIES)
SNAPSHOTS = (
    DynamoSnapshots(boto3.client("dynamodb", config=RETRIES), SETTINGS.snapshot_table)
    if SETTINGS.snapshot_table
    else None
)
GUARD = GuardSettings(
    region=SETTINGS.region,
    protected=SETTINGS.protected,
    suite_role_arns=SETTINGS.suite_role_arns | own_role_arns(boto3.client("sts", config=RETRIES)),
    restore_configuration=SETTINGS.restore_configuration,
)
IDEMPOTENCY = idempotency.config("detail.eventID")
STORE = idempotency.persistence()


@idempotent_function(data_keyword_argument="event", config=IDEMPOTENCY, persistence_store=STORE)
def _guard(event: dict[str, Any]) -> dict[str, Any]:
    call = parse_api_call(event)
    report = respond(call, CLOUDTRAIL, SNAPSHOTS, GUARD)
    if report.alert is not None:
        publish(SNS, SETTINGS.alerts_topic_arn, report.alert)
    logger.info("trail call handled", extra=report.as_dict())
    metrics.add_metric(name=f"Trail{report.action.title()}", unit=MetricUnit.Count, value=1)
    return report.as_dict()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("detail-type") == "Scheduled Event":
        if SNAPSHOTS is None:
            return {"recorded": [], "skipped": {"*": "no snapshot table configured"}}
        report = record_all(CLOUDTRAIL, SNAPSHOTS, SETTINGS.protected, SETTINGS.region)
        logger.info("trail configuration recorded", extra=report.as_dict())
        metrics.add_metric(name="TrailsRecorded", unit=MetricUnit.Count, value=len(report.recorded))
        return report.as_dict()
    try:
        parse_api_call(event)
    except NotATrailCall as error:  # wrong event: say so and stop, never crash or retry
        logger.warning("event ignored", extra={"reason": str(error)})
        metrics.add_metric(name="TrailEventIgnored", unit=MetricUnit.Count, value=1)
        return {"action": "ignored", "reason": str(error)}
    metrics.add_metric(name="TrailEventReceived", unit=MetricUnit.Count, value=1)
    IDEMPOTENCY.register_lambda_context(context)
    return _guard(event=event)
