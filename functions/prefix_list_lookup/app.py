"""Custom::ManagedPrefixList -> the prefix list id. Thin handler; logic in edgeguard.edge."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from edgeguard.edge.service import handle

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    status = handle(event, boto3.client("ec2"))
    logger.info(
        "prefix list lookup answered", extra={"status": status, "type": event.get("RequestType")}
    )
    return {"status": status}
