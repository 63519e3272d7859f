"""Where the circuit breaker acts: a deployed stack, or the local cloud in this process.

A stack: physical ids from its outputs (DecisionsTableName, AlertsTopicArn,
IpSetSyncFunctionName), policy settings from its parameters (allowlists, IPv6
prefix, escalation), the caller's identity from STS; the enforcer is the stack's own
ipset_sync function, invoked synchronously, so WAF still has a single writer.

Local: the LocalCloud running in this process (edgeguard_tools.local.cloud): the
ipset_sync function's resolved template environment says where things are, and the
local cloud runs that function as the enforcer.
"""

from __future__ import annotations

import json
import time
from typing import Any

from edgeguard.breaker.service import Backend
from edgeguard.config import ConfigError
from edgeguard.decisions import BanPolicy, DynamoDecisionStore, Escalation
from edgeguard.notify.alert import Alert, publish
from edgeguard.notify.console import Console
from edgeguard.waf.aggregate import parse
from edgeguard.waf.service import EnforcerSettings
from edgeguard.waf.sets import read_ip_set

REQUIRED_OUTPUTS = ("DecisionsTableName", "AlertsTopicArn", "IpSetSyncFunctionName")
INVOKE_ATTEMPTS = 5


class BackendError(RuntimeError):
    """The stack or local cloud cannot be used; the message says what to fix."""


def caller(sts_client: Any) -> str:
    """Who is acting: the caller's ARN (recorded as updated_by / lifted_by)."""
    return str(sts_client.get_caller_identity()["Arn"])


def stack_backend(
    stack_name: str, region: str | None, profile: str | None, session: Any = None
) -> Backend:
    """A deployed edgeguard stack, addressed the way the AWS CLI is (``session``: a
    ready boto3 Session to use instead of one made from profile and region)."""
    import boto3  # noqa: PLC0415 - only when a command runs
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    try:
        if session is None:
            session = boto3.Session(profile_name=profile, region_name=region or "us-east-1")
        stacks = session.client("cloudformation").describe_stacks(StackName=stack_name)
        stack = stacks["Stacks"][0]
        who = caller(session.client("sts"))
    except (BotoCoreError, ClientError) as error:
        raise BackendError(f"cannot use stack {stack_name!r}: {error}") from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    parameters = {
        p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])
    }
    missing = [name for name in REQUIRED_OUTPUTS if not outputs.get(name)]
    if missing:
        raise BackendError(
            f"stack {stack_name!r} has no output {', '.join(missing)}: is it an edgeguard stack "
            "with the decisions capability deployed?"
        )
    try:
        policy = BanPolicy.from_cidrs(
            [
                *parameters.get("AllowlistIPv4Cidrs", "").split(","),
                *parameters.get("AllowlistIPv6Cidrs", "").split(","),
            ],
            ipv6_host_prefix=int(parameters.get("Ipv6HostPrefix", "64") or 64),
        )
        escalation = Escalation.from_hours(
            float(parameters.get("EscalationWindowHours", "24") or 24),
            float(parameters.get("MaxBanHours", "168") or 168),
        )
    except ValueError as error:
        raise BackendError(f"stack {stack_name!r} has an invalid parameter: {error}") from None
    store = DynamoDecisionStore(
        outputs["DecisionsTableName"], policy, escalation, session.client("dynamodb")
    )
    sns = session.client("sns")
    topic = outputs["AlertsTopicArn"]
    function = outputs["IpSetSyncFunctionName"]
    lambda_client = session.client("lambda")
    return Backend(
        store=store,
        announce=lambda alert: publish(sns, topic, alert),
        enforce=lambda: invoke_enforcer(lambda_client, function),
        who=who,
        console=Console.from_arn(topic, stack_name),
    )


def invoke_enforcer(lambda_client: Any, function: str) -> dict[str, Any]:
    """Run the stack's enforcer once and return its report; wait while it is busy
    (reserved concurrency 1: a scheduled run may hold the only slot)."""
    payload = json.dumps({"source": "edgeguard.cli", "detail-type": "Circuit breaker change"})
    for attempt in range(INVOKE_ATTEMPTS):
        try:
            response = lambda_client.invoke(FunctionName=function, Payload=payload.encode())
        except lambda_client.exceptions.TooManyRequestsException:
            if attempt + 1 == INVOKE_ATTEMPTS:
                raise
            time.sleep(2**attempt)
            continue
        body = json.loads(response["Payload"].read() or b"{}")
        if response.get("FunctionError"):
            raise RuntimeError(f"enforcer failed: {body.get('errorMessage', body)}")
        return dict(body)
    raise RuntimeError("enforcer not invoked")


ENFORCER_FUNCTION = "IpSetSyncFunction"
CLI_EVENT = {"source": "edgeguard.cli", "detail-type": "Circuit breaker change", "detail": {}}


def running_local_cloud() -> Any:
    """The LocalCloud running in this process (tests, the demo), or None."""
    from edgeguard_tools.local.cloud import LocalCloud  # noqa: PLC0415 - moto only when asked

    return LocalCloud.running()


def cloud_backend(cloud: Any) -> Backend:
    """A LocalCloud: the enforcer function's resolved template environment says where
    things are; the enforcer is the function itself, run by the local cloud."""
    env = cloud.function_environment(ENFORCER_FUNCTION)
    try:
        settings = EnforcerSettings.from_env(env)
        configured = DynamoDecisionStore.from_env(env, client=cloud.client("dynamodb"))
    except ConfigError as error:
        raise BackendError(f"the local cloud's {ENFORCER_FUNCTION}: {error}") from None
    waf = cloud.client("wafv2")
    allowed = [
        entry
        for ref in (settings.allow_v4, settings.allow_v6)
        if ref
        for entry in read_ip_set(waf, ref).entries
        if parse(entry)
    ]
    policy = BanPolicy.from_cidrs(
        [*allowed, *(str(n) for n in configured.policy.allowlist)],
        ipv6_host_prefix=configured.policy.ipv6_host_prefix,
    )
    store = DynamoDecisionStore(
        configured.table_name, policy, configured.escalation, cloud.client("dynamodb")
    )
    sns = cloud.client("sns")

    def announce(alert: Alert) -> None:
        if settings.alerts_topic_arn:
            publish(sns, settings.alerts_topic_arn, alert)

    return Backend(
        store=store,
        announce=announce,
        enforce=lambda: dict(cloud.invoke(ENFORCER_FUNCTION, dict(CLI_EVENT)) or {}),
        who=caller(cloud.client("sts")),
        console=Console.deployed(settings.alerts_topic_arn or "", env),
    )
