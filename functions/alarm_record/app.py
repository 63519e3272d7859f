"""auto_block step 2: offenders become decisions. Thin handler; logic in edgeguard.alarms."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from edgeguard.alarms.service import record_settings_from_env, record_step
from edgeguard.decisions import DynamoDecisionStore

logger = Logger()
tracer = Tracer()
SETTINGS = record_settings_from_env()
SINK = DynamoDecisionStore.from_env()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = record_step(event, SINK, SETTINGS)
    logger.info(
        "alarm decisions recorded",
        extra={"recorded": len(result["recorded"]), "refused": len(result["refused"])},
    )
    return result
