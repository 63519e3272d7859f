"""auto_block step 1: who set off the WAF alarm. Thin handler; logic in edgeguard.alarms."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from edgeguard.alarms.service import CollectSettings, collect_step

logger = Logger()
tracer = Tracer()
SETTINGS = CollectSettings.from_env()
# botocore retries throttling a few times itself; beyond that the state machine backs off.
WAFV2 = boto3.client("wafv2", config=Config(retries={"mode": "standard", "max_attempts": 3}))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = collect_step(event, WAFV2, SETTINGS)
    logger.info(
        "offenders collected",
        extra={
            "alarm": result["alarm"]["alarm_name"],
            "offenders": result["count"],
            "rules_sampled": result["rules_sampled"],
        },
    )
    return result
