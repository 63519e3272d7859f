"""The tasks of the respond state machine (statemachines/respond.asl.json).
Thin handler: ``{"step": ..., "task": {...}}`` in, JSON out; logic in edgeguard.response.

remediate, verify, record and notify are idempotent on the task's keys: a finding
delivered twice is remediated once, recorded once and announced once, and the
second delivery replays the first one's verified outcome instead of waiting on it.
GuardDuty's and Security Hub's copies of one finding share the remediation key, so
the second copy still records its own Security Hub finding with that outcome."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.idempotency import idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

import edgeguard.response.service as response
from edgeguard import idempotency
from edgeguard.notify.alert import publish

logger = Logger()
tracer = Tracer()
SETTINGS = response.ResponseSettings.from_env()
RETRIES = Config(retries={"mode": "standard", "max_attempts": 5})
CLOUDTRAIL = boto3.client("cloudtrail", config=RETRIES)
SECURITYHUB = boto3.client("securityhub", config=RETRIES)
SNS = boto3.client("sns", config=RETRIES)
STEP_SETTINGS = response.StepSettings(region=SETTINGS.region, protected=SETTINGS.protected)
STORE = idempotency.persistence()
BY_REMEDIATION = idempotency.config("[step, task.remediation_key]")
BY_RECORD = idempotency.config("[step, task.record_key]")


@idempotent_function(data_keyword_argument="data", config=BY_REMEDIATION, persistence_store=STORE)
def _remediate(data: dict[str, Any]) -> dict[str, Any]:
    return response.remediate(data["task"], CLOUDTRAIL, STEP_SETTINGS)


@idempotent_function(data_keyword_argument="data", config=BY_REMEDIATION, persistence_store=STORE)
def _verify(data: dict[str, Any]) -> dict[str, Any]:
    return response.verify(data["task"], CLOUDTRAIL)


@idempotent_function(data_keyword_argument="data", config=BY_RECORD, persistence_store=STORE)
def _record(data: dict[str, Any]) -> dict[str, Any]:
    return response.record(data["task"], SECURITYHUB)


@idempotent_function(data_keyword_argument="data", config=BY_REMEDIATION, persistence_store=STORE)
def _notify(data: dict[str, Any]) -> dict[str, Any]:
    alert = response.alert_for(data["task"])
    return {"message_id": publish(SNS, SETTINGS.alerts_topic_arn, alert), "title": alert.title}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = event.get("step")
    task = event.get("task") or {}
    for config in (BY_REMEDIATION, BY_RECORD):
        config.register_lambda_context(context)
    if step == "plan":
        plan = response.plan(event.get("event"))
        logger.info("findings planned", extra={"tasks": len(plan.tasks), "skipped": plan.skipped})
        return plan.as_dict()
    if step == "remediate":
        return _remediate(data={"step": step, "task": task})
    if step == "verify":
        return _verify(data={"step": step, "task": task})
    if step == "record":
        return _record(data={"step": step, "task": task})
    if step == "notify":
        return _notify(data={"step": step, "task": task})
    if step == "notify_failure":
        alert = response.failure_alert(event.get("event"), event.get("error") or {})
        return {"message_id": publish(SNS, SETTINGS.alerts_topic_arn, alert)}
    raise ValueError(f"unknown step {step!r}")
