"""Secrets Manager rotation of the origin secret. Thin handler; logic in edgeguard.rotation."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from edgeguard.rotation.service import (
    Clients,
    NotReady,
    OriginSecretRotator,
    RotationSettings,
    WebAclRef,
)

logger = Logger()
tracer = Tracer()
metrics = Metrics()
SETTINGS = RotationSettings.from_env()
_rotator: OriginSecretRotator | None = None


def _get_rotator() -> OriginSecretRotator:
    global _rotator  # noqa: PLW0603 - one set of clients per warm container
    if _rotator is None:
        clients = Clients(
            secretsmanager=boto3.client("secretsmanager"),
            # the origin web ACL may live in another region than this function (README)
            wafv2=boto3.client(
                "wafv2", region_name=WebAclRef.from_arn(SETTINGS.web_acl_arn).region
            ),
            cloudfront=boto3.client("cloudfront"),
            sns=boto3.client("sns"),
        )
        _rotator = OriginSecretRotator(SETTINGS, clients)
    return _rotator


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = str(event.get("Step", "?")) if isinstance(event, dict) else "?"
    try:
        outcome = _get_rotator().handle(event)
    except NotReady as error:
        metrics.add_metric(name="RotationStepDeferred", unit=MetricUnit.Count, value=1)
        logger.warning("rotation step deferred", extra={"step": step, "cause": str(error)})
        raise
    except Exception as error:
        metrics.add_metric(name="RotationStepFailed", unit=MetricUnit.Count, value=1)
        logger.error("rotation step failed", extra={"step": step, "error": type(error).__name__})
        raise
    metrics.add_metric(name="RotationStepDone", unit=MetricUnit.Count, value=1)
    if outcome.step == "finishSecret" and outcome.changed:
        metrics.add_metric(name="RotationSucceeded", unit=MetricUnit.Count, value=1)
    logger.info(
        "rotation step done",
        extra={"step": outcome.step, "changed": outcome.changed, "skipped": outcome.skipped},
    )
    return {"step": outcome.step, "changed": outcome.changed, "skipped": outcome.skipped}
