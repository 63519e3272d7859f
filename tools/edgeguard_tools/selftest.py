"""``edgeguard selftest``: safe checks that a deployed stack does what it promises.

Each check returns a ``Result``, printed as ``ok  <check>`` or
``FAIL <check>: <problem>. Fix: <what to do>``:

- ``origin-closed``: a TCP connection to the ALB's DNS name is refused or times out (its
  security group admits only CloudFront's origin-facing prefix list), and the site answers
  through CloudFront (the distribution's domain, HealthCheckPath, status below 400);
- ``test-ban``: a ban of a documentation address (RFC 5737 TEST-NET-1, reason
  ``selftest``) reaches a ban IP set within a minute, through the decisions table and the
  enforcer as every ban does; it is lifted afterwards, also when a step failed;
- ``alerts``: a test alert is accepted by the alerts topic, email subscriptions are
  confirmed, and the notifier delivers a test alert to Telegram when a chat is set (its
  report says what it sent, or why not);
- ``rotation``: the origin secret has rotation enabled, an AWSCURRENT version, no
  rotation left unfinished (AWSPENDING on another version) and is not overdue.

Every AWS call goes through clients of one boto3 session, so the same code runs against
AWS and against the local cloud (whose CloudFormation API answers for its stack).
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from edgeguard.notify.alert import Alert, publish

TEST_ADDRESS = "192.0.2.123"  # RFC 5737 TEST-NET-1: documentation, never a real client
CONNECT_TIMEOUT = 5.0
BAN_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class Result:
    """One check's outcome; ``line()`` is what the command prints."""

    check: str
    ok: bool
    problem: str = ""
    fix: str = ""
    detail: str = ""

    def line(self) -> str:
        if self.ok:
            return f"ok  {self.check}" + (f" ({self.detail})" if self.detail else "")
        return f"FAIL {self.check}: {self.problem}. Fix: {self.fix}"


@dataclass(frozen=True)
class Edge:
    """Where the edge is reached: the ALB (must not answer) and the site (must)."""

    alb_host: str
    alb_port: int
    site_url: str
    site_headers: dict[str, str] = field(default_factory=dict)


@dataclass
class StackFacts:
    """A stack's outputs, parameters and resources (logical id -> physical id, type)."""

    name: str
    outputs: dict[str, str]
    parameters: dict[str, str]
    resources: dict[str, tuple[str, str]]

    @classmethod
    def read(cls, cfn: Any, stack_name: str) -> StackFacts:
        """DescribeStacks and ListStackResources; botocore errors propagate."""
        stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
        resources = {
            s["LogicalResourceId"]: (s.get("PhysicalResourceId", ""), s["ResourceType"])
            for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name)
            for s in page["StackResourceSummaries"]
        }
        return cls(
            stack_name,
            {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
            {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])},
            resources,
        )


def edge_of(facts: StackFacts) -> Edge:
    """The deployed edge: the ALB's DNS name and listener port, the distribution's URL."""
    https = bool(facts.parameters.get("OriginCertificateArn"))
    path = facts.parameters.get("HealthCheckPath") or "/"
    return Edge(
        alb_host=facts.outputs.get("AlbDnsName", ""),
        alb_port=443 if https else 80,
        site_url=f"https://{facts.outputs.get('DistributionDomainName', '')}{path}",
    )


def check_origin_closed(edge: Edge, timeout: float = CONNECT_TIMEOUT) -> Result:
    """The ALB refuses a direct connection; the site answers through CloudFront."""
    name = "origin-closed"
    try:
        with socket.create_connection((edge.alb_host, edge.alb_port), timeout=timeout):
            pass
    except OSError:  # refused, timed out, unreachable: closed, as it should be
        pass
    else:
        return Result(
            name,
            False,
            f"the ALB {edge.alb_host} accepted a direct connection on port {edge.alb_port}",
            "its security group (AlbSecurityGroup) must admit only the CloudFront "
            "origin-facing prefix list: remove any other ingress rule, or redeploy",
        )
    request = urllib.request.Request(edge.site_url, headers=edge.site_headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (urllib.error.URLError, OSError) as error:
        return Result(
            name,
            False,
            f"the site did not answer at {edge.site_url}: {error}",
            "check the distribution (DistributionDomainName output) is Deployed and enabled",
        )
    if status >= 400:
        return Result(
            name,
            False,
            f"the site answered {status} through CloudFront at {edge.site_url}",
            "403: the origin web ACL refused CloudFront's X-Origin-Verify header (see the "
            "rotation check); 502/503/504: the service has no healthy task (ECS console)",
        )
    return Result(name, True, detail=f"ALB closed, site answered {status}")


def _set_holds(waf: Any, ref: str, cidr: str) -> bool:
    set_name, set_id, scope = ref.split("|")
    ip_set = waf.get_ip_set(Name=set_name, Scope=scope, Id=set_id)["IPSet"]
    return cidr in ip_set.get("Addresses", [])


def _wait_for(
    predicate: Callable[[], bool], seconds: float, sleep: Callable[[float], None]
) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        sleep(2.0)


def check_test_ban(
    breaker: Any,
    waf: Any,
    ban_sets: list[str],
    *,
    address: str = TEST_ADDRESS,
    wait: float = BAN_WAIT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> Result:
    """Ban ``address`` for ten minutes through ``breaker`` (a CircuitBreaker), see it in
    one of ``ban_sets`` (CloudFormation refs ``name|id|scope``), then lift it, whatever
    happened in between."""
    name, cidr = "test-ban", f"{address}/32"
    if not ban_sets:
        return Result(name, False, "the stack has no ban IP set", "redeploy the stack")

    def in_waf() -> bool:
        return any(_set_holds(waf, ref, cidr) for ref in ban_sets)

    try:
        breaker.block(address, timedelta(minutes=10), "selftest")
        if not _wait_for(in_waf, wait, sleep):
            return Result(
                name,
                False,
                f"the ban of {address} was recorded but not in WAF after {wait:.0f} s",
                "the enforcer is failing: see the edgeguard-<env>-ipset-sync-failing alarm "
                "and the enforcer's log",
            )
    except Exception as error:
        return Result(
            name,
            False,
            f"banning {address} failed: {error}",
            "check the decisions table and the enforcer function of the stack",
        )
    finally:
        lifted_error = _lift(breaker, address)
    if lifted_error:
        return Result(
            name,
            False,
            f"the test ban of {address} could not be lifted: {lifted_error}",
            f"run `edgeguard unblock {address}`; it expires by itself within ten minutes",
        )
    if not _wait_for(lambda: not in_waf(), wait, sleep):
        return Result(
            name,
            False,
            f"the lifted ban of {address} is still in WAF after {wait:.0f} s",
            "the enforcer is failing: see the edgeguard-<env>-ipset-sync-failing alarm",
        )
    return Result(name, True, detail=f"{address} banned and lifted")


def _lift(breaker: Any, address: str) -> str:
    try:
        breaker.unblock(address, "selftest done")
    except Exception as error:
        return str(error)
    return ""


def check_alerts(
    sns: Any, lambda_client: Any, topic_arn: str, notifier: str, telegram_on: bool
) -> Result:
    """The topic accepts a test alert, email subscriptions are confirmed, and the
    notifier delivers one to Telegram when a chat is configured."""
    name = "alerts"
    alert = Alert(
        kind="selftest",
        title="edgeguard selftest: this alert reached you",
        severity="info",
        fields={"what": "a test; nothing happened to the site"},
    )
    publish(sns, topic_arn, alert)
    pending = [
        s["Endpoint"]
        for s in sns.list_subscriptions_by_topic(TopicArn=topic_arn).get("Subscriptions", [])
        if s.get("Protocol") == "email" and s.get("SubscriptionArn") == "PendingConfirmation"
    ]
    if pending:
        return Result(
            name,
            False,
            f"the email subscription of {', '.join(pending)} is not confirmed",
            "open the mail from AWS Notifications and confirm it (look in spam); "
            "or subscribe the address again to the AlertsTopicArn output",
        )
    if not telegram_on:
        return Result(name, True, detail="topic ok; Telegram off (TelegramChatId empty)")
    event = {
        "Records": [
            {
                "EventSource": "aws:sns",
                "Sns": {
                    "TopicArn": topic_arn,
                    "Subject": alert.subject(),
                    "Message": json.dumps(alert.to_dict()),
                },
            }
        ]
    }
    response = lambda_client.invoke(FunctionName=notifier, Payload=json.dumps(event).encode())
    body = json.loads(response["Payload"].read() or b"{}")
    if response.get("FunctionError"):
        return Result(
            name,
            False,
            f"Telegram refused the test alert: {body.get('errorMessage', body)}",
            "`chat not found`: correct TelegramChatId or add the bot to the chat; "
            "`Unauthorized`: store a valid token in the TelegramBotTokenSecretArn secret "
            "(aws secretsmanager put-secret-value, docs/alerts.md)",
        )
    if not body.get("messages_sent"):
        return Result(
            name,
            False,
            f"the notifier sent nothing to Telegram: {body.get('skipped_reason')}",
            "store the bot token from @BotFather in the TelegramBotTokenSecretArn secret "
            "(aws secretsmanager put-secret-value, docs/alerts.md)",
        )
    return Result(name, True, detail="topic ok, Telegram delivered")


def check_rotation(secrets: Any, secret_id: str, now: datetime | None = None) -> Result:
    """Rotation of the origin secret: enabled, an AWSCURRENT version, nothing unfinished,
    not overdue (Secrets Manager DescribeSecret)."""
    name = "rotation"
    now = now or datetime.now(UTC)
    secret = secrets.describe_secret(SecretId=secret_id)
    stages = secret.get("VersionIdsToStages") or {}
    current = [v for v, labels in stages.items() if "AWSCURRENT" in labels]
    pending = [v for v, labels in stages.items() if "AWSPENDING" in labels and v not in current]
    rotate = f"aws secretsmanager rotate-secret --secret-id {secret.get('Name', secret_id)}"
    if not secret.get("RotationEnabled"):
        return Result(
            name,
            False,
            "rotation of the origin secret is off",
            f"redeploy the stack, then {rotate}",
        )
    if not current:
        return Result(name, False, "the origin secret has no AWSCURRENT version", "redeploy")
    if pending:
        return Result(
            name,
            False,
            f"a rotation is unfinished (AWSPENDING on version {pending[0]})",
            f"once the distribution shows Deployed, run `{rotate}`; the rotation "
            "function's log says which step waits",
        )
    days = int((secret.get("RotationRules") or {}).get("AutomaticallyAfterDays") or 30)
    last = secret.get("LastRotatedDate") or secret.get("CreatedDate")
    if isinstance(last, datetime) and now - last > timedelta(days=days + 2):
        return Result(
            name,
            False,
            f"the origin secret was last rotated {last:%Y-%m-%d}, more than {days} days ago",
            f"run `{rotate}` and read the rotation function's log",
        )
    when = f"{last:%Y-%m-%d}" if isinstance(last, datetime) else "never"
    return Result(name, True, detail=f"last {when}, every {days} days")


def run_checks(
    session: Any,
    facts: StackFacts,
    breaker: Any,
    *,
    edge: Edge | None = None,
    say: Callable[[str], None] = print,
    wait: float = BAN_WAIT_SECONDS,
) -> list[Result]:
    """Every check in order, each printed as it finishes; a check that cannot even run
    (a missing output, an AWS error) is a FAIL of that check, never a crash."""
    checks: list[tuple[str, Callable[[], Result]]] = [
        ("origin-closed", lambda: check_origin_closed(edge or edge_of(facts))),
        (
            "test-ban",
            lambda: check_test_ban(
                breaker,
                session.client("wafv2"),
                sorted(
                    physical
                    for logical, (physical, _) in facts.resources.items()
                    if logical.startswith("BanIpV4Shard")
                ),
                wait=wait,
            ),
        ),
        (
            "alerts",
            lambda: check_alerts(
                session.client("sns"),
                session.client("lambda"),
                facts.outputs["AlertsTopicArn"],
                facts.resources["NotifierFunction"][0],
                bool(facts.parameters.get("TelegramChatId")),
            ),
        ),
        (
            "rotation",
            lambda: check_rotation(
                session.client("secretsmanager"), facts.outputs["OriginSecretArn"]
            ),
        ),
    ]
    results = []
    for name, check in checks:
        try:
            result = check()
        except KeyError as error:
            result = Result(
                name, False, f"the stack has no {error}", "deploy this edgeguard version"
            )
        except Exception as error:
            result = Result(name, False, f"{type(error).__name__}: {error}", "see the error")
        say(result.line())
        results.append(result)
    return results
