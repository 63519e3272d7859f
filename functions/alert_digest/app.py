"""Every minute: publish the digest of every alert storm whose window ended. Thin
handler; the logic is edgeguard.notify.digest (flush_due)."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from edgeguard.notify.digest import STORM_KINDS, AlertGate, DigestSettings, flush_due

logger = Logger()
tracer = Tracer()
metrics = Metrics()
SETTINGS = DigestSettings.from_env()
GATE = AlertGate(boto3.client("dynamodb"), SETTINGS.state_table)
SNS = boto3.client("sns")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # A failure raises: the function's Errors metric (alarmed) fires, nothing is
    # forgotten (held alerts are deleted only after their digest was published) and
    # the next minute's run tries again.
    published = flush_due(SNS, SETTINGS.topic_arn, GATE, STORM_KINDS, console=SETTINGS.console)
    if published:  # a quiet minute adds no metric (nothing to flush, nothing printed)
        metrics.add_metric(name="AlertDigestsPublished", unit=MetricUnit.Count, value=published)
        logger.info("storm digests published", extra={"digests": published})
    return {"digests": published}
