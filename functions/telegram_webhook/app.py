"""Telegram webhook (Lambda function URL) -> the circuit breaker. Thin handler; the logic
is edgeguard.chatops.service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.idempotency import idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext

from edgeguard import idempotency
from edgeguard.chatops.service import WebhookSettings, bot_token_from_secret, build

logger = Logger()
tracer = Tracer()
metrics = Metrics()
SETTINGS = WebhookSettings.from_env()
SECRET_CACHE_SECONDS = 60  # an old webhook secret works at most this long after a rotation
ONCE_PER_UPDATE = idempotency.config("update_id")
UPDATES_SEEN = idempotency.persistence()
METRIC = {
    "accepted": "TelegramCommandsAccepted",
    "refused": "TelegramCommandsRefused",
    "not-allowed": "TelegramCommandsNotAllowed",
    "unauthenticated": "TelegramWebhookUnauthenticated",
    "malformed": "TelegramWebhookMalformed",
}


def _secret(secret_id: str, force: bool = False) -> str:
    value = parameters.get_secret(secret_id, max_age=SECRET_CACHE_SECONDS, force_fetch=force)
    return value.strip() if isinstance(value, str) else ""


def _once(step: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    return idempotent_function(
        data_keyword_argument="update", config=ONCE_PER_UPDATE, persistence_store=UPDATES_SEEN
    )(step)


WEBHOOK = build(
    SETTINGS,
    dynamodb=boto3.client("dynamodb"),
    sns=boto3.client("sns"),
    secret_token=lambda force: _secret(SETTINGS.webhook_secret, force),
    bot_token=lambda: bot_token_from_secret(_secret(SETTINGS.token_secret)),
    once=_once,
)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    ONCE_PER_UPDATE.register_lambda_context(context)
    response, report = WEBHOOK.handle(event)
    outcome = str(report.get("outcome", ""))
    if outcome in METRIC:
        metrics.add_metric(name=METRIC[outcome], unit=MetricUnit.Count, value=1)
    if report.get("reply_error"):
        metrics.add_metric(name="TelegramReplyFailed", unit=MetricUnit.Count, value=1)
    # The audit line: who (Telegram user id and name) did what, and how it ended.
    log = logger.warning if outcome in ("unauthenticated", "not-allowed") else logger.info
    log("telegram update", extra={"telegram": report, "status": response["statusCode"]})
    return response
