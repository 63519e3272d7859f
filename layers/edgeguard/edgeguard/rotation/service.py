"""The four rotation steps for the origin secret, in the order that never locks CloudFront out.

Invariant: at every moment, every X-Origin-Verify value an edge location may send is admitted
by the regional ``origin-verify`` rule. The rule admits two values (slots), so the sequence is:

1. createSecret  - a new value P is stored as AWSPENDING (C stays AWSCURRENT).
2. setSecret     - the rule first admits {C, P}; only then CloudFront is told to send P.
                   While CloudFront deploys, edges send C or P: both admitted.
3. testSecret    - the rule admits both values, CloudFront is configured with P, and (when
                   an origin URL is configured) a request with each value is admitted and a
                   request without the header is refused.
4. finishSecret  - P becomes AWSCURRENT. The rule keeps admitting {C, P}.

The old value C leaves the rule only in the NEXT rotation's setSecret, and only once the
distribution reports Deployed (no edge can still send it); until then setSecret raises
NotReady and changes nothing, and Secrets Manager retries it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from edgeguard.config import duration, optional, require
from edgeguard.notify.alert import Alert, publish
from edgeguard.notify.console import Console
from edgeguard.rotation import cloudfront_header, origin_rule, probe
from edgeguard.rotation.errors import LockoutRisk, NotReady, RotationError, redact
from edgeguard.rotation.origin_rule import WebAclRef  # noqa: F401 - the handler names the ACL
from edgeguard.rotation.secret_versions import (
    RotationEvent,
    check_staging,
    create_pending,
    current_value,
    finish,
    pending_value,
)

if TYPE_CHECKING:
    from mypy_boto3_cloudfront import CloudFrontClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_wafv2 import WAFV2Client

ALERT_KIND = "origin_secret_rotation"
LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class RotationSettings:
    """Where the header lives; read once at cold start."""

    web_acl_arn: str
    distribution_id: str
    alerts_topic_arn: str
    origin_url: str = ""  # direct origin URL for HTTP tests; empty: configuration checks only
    health_path: str = "/"
    probe_timeout: float = 5.0
    propagation_seconds: float = 0.0  # wait after widening the rule, before CloudFront switches
    rule_name: str = origin_rule.RULE_NAME

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RotationSettings:
        """Read ORIGIN_WEB_ACL_ARN, DISTRIBUTION_ID and ALERTS_TOPIC_ARN (required), ORIGIN_URL,
        HEALTH_CHECK_PATH (default ``/``), PROBE_TIMEOUT_SECONDS (default 5, at least 0.1)
        and WAF_PROPAGATION_SECONDS (default 0, at most 240) from ``environ`` (default
        ``os.environ``).

        Raises:
            ConfigError: a required variable is missing or a duration is malformed or out
                of range.
        """
        timeout = duration(
            "PROBE_TIMEOUT_SECONDS", timedelta(seconds=5), environ, minimum=timedelta(seconds=0.1)
        )
        # the template's OriginWafPropagationSeconds range
        propagation = duration(
            "WAF_PROPAGATION_SECONDS", timedelta(0), environ, maximum=timedelta(seconds=240)
        )
        return cls(
            web_acl_arn=require("ORIGIN_WEB_ACL_ARN", environ),
            distribution_id=require("DISTRIBUTION_ID", environ),
            alerts_topic_arn=require("ALERTS_TOPIC_ARN", environ),
            origin_url=optional("ORIGIN_URL", "", environ),
            health_path=optional("HEALTH_CHECK_PATH", "/", environ),
            probe_timeout=timeout.total_seconds(),
            propagation_seconds=propagation.total_seconds(),
        )

    @property
    def probe_url(self) -> str:
        """``origin_url`` joined with ``health_path`` (one ``/`` between them)."""
        path = self.health_path if self.health_path.startswith("/") else "/" + self.health_path
        return self.origin_url.rstrip("/") + path


@dataclass
class Clients:
    """The boto3 clients a rotation uses (Secrets Manager, WAFv2, CloudFront, SNS)."""

    secretsmanager: SecretsManagerClient
    wafv2: WAFV2Client
    cloudfront: CloudFrontClient
    sns: SNSClient


@dataclass
class StepOutcome:
    """What one step did: its name, what this call changed (empty on a repeat), and
    whether it was skipped because the version is already AWSCURRENT.
    """

    step: str
    changed: list[str] = field(default_factory=list)  # what this call changed (retries: nothing)
    skipped: bool = False  # the token is already AWSCURRENT


class OriginSecretRotator:
    """Runs one rotation step; every step is safe to run again.

    Args (of ``__init__``): ``settings`` (where the header lives), ``clients`` (boto3
    clients), ``sleep`` (replaceable in tests).

    Raises (``__init__``):
        RotationError: ``settings.web_acl_arn`` is not a web ACL ARN.
    """

    def __init__(
        self,
        settings: RotationSettings,
        clients: Clients,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.clients = clients
        self.acl = origin_rule.WebAclRef.from_arn(settings.web_acl_arn)
        self.sleep = sleep

    # ------------------------------------------------------------------ entry
    def handle(self, raw_event: dict[str, Any]) -> StepOutcome:
        """Validate, guard, run the step, and report success or failure on the alerts topic.

        ``raw_event`` is the Secrets Manager rotation event. Any failure is told on the
        alerts topic (secret values redacted) and raised again: NotReady (Secrets Manager
        retries later), LockoutRisk (needs a human now), RotationError, Conflict or a
        botocore ClientError.
        """
        event = RotationEvent.parse(raw_event)
        sm = self.clients.secretsmanager
        secrets: list[str] = []
        try:
            if not check_staging(sm, event):
                return StepOutcome(event.step, skipped=True)
            step = {
                "createSecret": self.create_secret,
                "setSecret": self.set_secret,
                "testSecret": self.test_secret,
                "finishSecret": self.finish_secret,
            }[event.step]
            outcome = step(event, secrets)
        except Exception as error:
            self._report_failure(event, error, secrets)
            raise
        if event.step == "finishSecret" and outcome.changed:
            self._report(
                event,
                "Origin secret rotated",
                "info",
                {"result": "the new X-Origin-Verify value is current"},
            )
        return outcome

    # ------------------------------------------------------------------ steps
    def create_secret(self, event: RotationEvent, secrets: list[str]) -> StepOutcome:
        """createSecret: store a new random 48-character AWSPENDING value under the token,
        unless that version already has one.
        """
        created = create_pending(self.clients.secretsmanager, event)
        return StepOutcome(event.step, ["AWSPENDING value"] if created else [])

    def set_secret(self, event: RotationEvent, secrets: list[str]) -> StepOutcome:
        """setSecret: the rule admits {what CloudFront sends now, AWSPENDING}, then CloudFront
        is told to send AWSPENDING.

        Raises:
            NotReady: the old value cannot leave the rule yet (distribution not Deployed),
                or the origin does not admit the new value yet.
            LockoutRisk: afterwards the rule does not admit the value CloudFront sends.
            RotationError: the version stopped being AWSPENDING meanwhile.
        """
        sm, waf, cf = self.clients.secretsmanager, self.clients.wafv2, self.clients.cloudfront
        current = current_value(sm, event.secret_id)
        pending = pending_value(sm, event.secret_id, event.token)
        secrets += [current, pending]
        outcome = StepOutcome(event.step)

        sent = cloudfront_header.read(cf, self.settings.distribution_id).value
        # Keep admitting what CloudFront sends now; normally that is AWSCURRENT (or, on a
        # retry, already AWSPENDING). Anything else (a drifted header) stays admitted too.
        keep = current if sent in (current, pending) else sent

        def may_drop(_dropped: list[str]) -> bool:
            # Re-read every attempt: a value may leave the rule only when no edge can send it.
            state = cloudfront_header.read(cf, self.settings.distribution_id)
            return state.deployed and state.value in (keep, pending)

        if origin_rule.admit(
            waf,
            self.acl,
            (keep, pending),
            may_drop,
            rule_name=self.settings.rule_name,
            sleep=self.sleep,
        ):
            outcome.changed.append("origin rule admits AWSCURRENT and AWSPENDING")
            self._await_origin_admits(pending)
        if sent != pending:
            if not check_staging(sm, event):  # a later rotation took over meanwhile
                raise RotationError("the version is no longer AWSPENDING; not switching CloudFront")
            if cloudfront_header.send(cf, self.settings.distribution_id, pending, self.sleep):
                outcome.changed.append("CloudFront sends AWSPENDING")
        admitted = origin_rule.current_values(waf, self.acl, self.settings.rule_name)
        if pending not in admitted:
            raise LockoutRisk("the origin rule stopped admitting the value CloudFront sends")
        return outcome

    def test_secret(self, event: RotationEvent, secrets: list[str]) -> StepOutcome:
        """testSecret: the rule admits both values, CloudFront is configured with AWSPENDING
        and, when ORIGIN_URL is set, the origin admits each value and refuses no header.

        Raises RotationError naming the check that failed. Changes nothing.
        """
        sm, waf, cf = self.clients.secretsmanager, self.clients.wafv2, self.clients.cloudfront
        current = current_value(sm, event.secret_id)
        pending = pending_value(sm, event.secret_id, event.token)
        secrets += [current, pending]
        admitted = origin_rule.current_values(waf, self.acl, self.settings.rule_name)
        for label, value in (("AWSCURRENT", current), ("AWSPENDING", pending)):
            if value not in admitted:
                raise RotationError(f"the origin rule does not admit the {label} value")
        if cloudfront_header.read(cf, self.settings.distribution_id).value != pending:
            raise RotationError("CloudFront is not configured to send the AWSPENDING value")
        if self.settings.origin_url:
            self._probe_origin(current, pending)
        return StepOutcome(event.step)

    def finish_secret(self, event: RotationEvent, secrets: list[str]) -> StepOutcome:
        """finishSecret: move AWSCURRENT to the token's version and remove its AWSPENDING label."""
        moved = finish(self.clients.secretsmanager, event)
        return StepOutcome(event.step, ["AWSCURRENT moved"] if moved else [])

    # ---------------------------------------------------------------- helpers
    def _probe_origin(self, current: str, pending: str) -> None:
        url, timeout = self.settings.probe_url, self.settings.probe_timeout
        for label, value in (("AWSCURRENT", current), ("AWSPENDING", pending)):
            result = probe.request(url, value, timeout)
            if not result.admitted:
                raise RotationError(
                    f"the origin did not admit a request with the {label} value "
                    f"(status {result.status}{', ' + result.detail if result.detail else ''})"
                )
        result = probe.request(url, None, timeout)
        if not result.refused:
            raise RotationError(
                "the origin did not refuse a request without X-Origin-Verify "
                f"(status {result.status})"
            )

    def _await_origin_admits(self, pending: str) -> None:
        """Give the widened rule time to reach the ALB before CloudFront switches."""
        if self.settings.origin_url:
            for attempt in range(10):
                if probe.request(
                    self.settings.probe_url, pending, self.settings.probe_timeout
                ).admitted:
                    return
                self.sleep(min(5.0, 0.2 * 2**attempt))
            raise NotReady("the origin does not admit the AWSPENDING value yet")
        if self.settings.propagation_seconds > 0:
            self.sleep(self.settings.propagation_seconds)

    def _report(
        self, event: RotationEvent, title: str, severity: str, extra: dict[str, Any]
    ) -> None:
        fields = {"secret": event.secret_id, "step": event.step, "version": event.token, **extra}
        console = Console.deployed(event.secret_id)
        if not console.region:  # a secret named by name: the topic's region and account
            console = Console.deployed(self.settings.alerts_topic_arn)
        name = event.secret_id.rsplit(":", 1)[-1]
        happened = f"{title}: secret {name}, step {event.step}"
        if "error" in extra:
            happened += f" \u2014 {extra['error']}"
        alert = Alert(
            ALERT_KIND,
            title,
            severity,
            fields,
            happened=happened,
            did=str(extra.get("state") or extra.get("result") or ""),
            # Rotation replaces a value CloudFront and WAF use; Secrets Manager retries
            # it and `aws secretsmanager rotate-secret` starts it again: no edgeguard undo.
            undo="",
            links=(("Secret", console.secret(event.secret_id)),) if console.region else (),
        )
        try:
            publish(self.clients.sns, self.settings.alerts_topic_arn, alert)
        except Exception as error:  # the step's own outcome stands; an alert must not mask it
            LOG.error("could not publish the rotation alert: %s", type(error).__name__)

    def _report_failure(self, event: RotationEvent, error: Exception, secrets: list[str]) -> None:
        retry = isinstance(error, NotReady)
        if isinstance(error, LockoutRisk):
            severity, state = (
                "critical",
                "the origin may refuse CloudFront: check the origin-verify rule",
            )
        else:
            severity, state = ("low" if retry else "high"), "nothing unsafe was left half-done"
        self._report(
            event,
            "Origin secret rotation waits" if retry else "Origin secret rotation failed",
            severity,
            {"error": redact(f"{type(error).__name__}: {error}", secrets), "state": state},
        )
