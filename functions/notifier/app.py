"""Alerts topic -> Telegram. Thin handler; the logic is edgeguard.notify.service."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.typing import LambdaContext

from edgeguard.notify.service import (
    NotifierSettings,
    TelegramError,
    bot_token_from_secret,
    deliver,
)

logger = Logger()
tracer = Tracer()
metrics = Metrics()
SETTINGS = NotifierSettings.from_env()
TOKEN_CACHE_SECONDS = 300


def _token() -> str:
    secret = parameters.get_secret(SETTINGS.token_secret, max_age=TOKEN_CACHE_SECONDS)
    return bot_token_from_secret(secret if isinstance(secret, str) else None)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    remaining = context.get_remaining_time_in_millis() / 1000.0
    try:
        report = deliver(event, SETTINGS, _token, remaining_seconds=remaining)
    except TelegramError as error:
        metrics.add_metric(name="TelegramFailed", unit=MetricUnit.Count, value=1)
        logger.error("telegram delivery failed", extra={"cause": str(error)})
        raise
    if report.skipped_reason:
        logger.warning("telegram delivery skipped", extra={"reason": report.skipped_reason})
    metrics.add_metric(name="TelegramDelivered", unit=MetricUnit.Count, value=report.messages_sent)
    return report.as_dict()
