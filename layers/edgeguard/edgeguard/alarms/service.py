"""The two Lambda steps of the auto_block state machine, with their settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from edgeguard.alarms.collect import WebAclNotConfigured, WebAclRef, collect_offenders
from edgeguard.alarms.record import AlarmSettings, nothing_to_do, record_offenders
from edgeguard.alarms.window import alarm_window
from edgeguard.clock import utcnow
from edgeguard.config import ConfigError, boolean, duration, integer, optional
from edgeguard.decisions import DecisionSink
from edgeguard.errors import Throttled, error_code, is_throttling

if TYPE_CHECKING:
    from mypy_boto3_wafv2 import WAFV2Client


@dataclass(frozen=True)
class CollectSettings:
    """The collect step's environment: which web ACL (WEB_ACL_ARN, else WEB_ACL_NAME),
    the rate-based rule's name, the least sampled blocked requests that make an
    offender (``min_requests``) and the most offenders passed on (``max_offenders``).
    """

    web_acl_arn: str
    web_acl_name: str = ""  # looked up when no ARN is given (ListWebACLs, CLOUDFRONT)
    rate_rule_name: str = "edgeguard-rate"
    min_requests: int = 20
    max_offenders: int = 1000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CollectSettings:
        """Read WEB_ACL_ARN or WEB_ACL_NAME (one is required), RATE_RULE_NAME (default
        ``edgeguard-rate``), MIN_BLOCKED_REQUESTS (default 20) and MAX_OFFENDERS (default 1000).

        Raises:
            ConfigError: neither web ACL variable is set, or a number is malformed or below 1.
        """
        min_requests = integer("MIN_BLOCKED_REQUESTS", 20, environ, minimum=1)
        max_offenders = integer("MAX_OFFENDERS", 1000, environ, minimum=1)
        # An explicit ARN wins; otherwise the web ACL is found by name (the protected
        # edge's edgeguard-<env>-edge). Neither set can never work: refuse at cold start.
        web_acl_arn = optional("WEB_ACL_ARN", "", environ)
        web_acl_name = optional("WEB_ACL_NAME", "", environ)
        if not web_acl_arn and not web_acl_name:
            raise ConfigError(
                "environment variable WEB_ACL_NAME (or WEB_ACL_ARN) is required but not set"
            )
        return cls(
            web_acl_arn=web_acl_arn,
            web_acl_name=web_acl_name,
            rate_rule_name=optional("RATE_RULE_NAME", "edgeguard-rate", environ),
            min_requests=min_requests,
            max_offenders=max_offenders,
        )


def resolve_web_acl(wafv2: WAFV2Client, settings: CollectSettings) -> WebAclRef:
    """The web ACL to collect from: WEB_ACL_ARN, else the CLOUDFRONT web ACL named WEB_ACL_NAME.

    Raises:
        WebAclNotConfigured: the ARN is malformed, or no CLOUDFRONT web ACL has the name.
        botocore.exceptions.ClientError: ListWebACLs failed.
    """
    if settings.web_acl_arn:
        return WebAclRef.from_arn(settings.web_acl_arn)
    if not settings.web_acl_name:
        raise WebAclNotConfigured("neither WEB_ACL_ARN nor WEB_ACL_NAME is set")
    kwargs: dict[str, Any] = {"Scope": "CLOUDFRONT", "Limit": 100}
    for _ in range(100):  # bounded paging
        page = wafv2.list_web_acls(**kwargs)
        for summary in page.get("WebACLs") or []:
            if summary.get("Name") == settings.web_acl_name:
                return WebAclRef.from_arn(str(summary["ARN"]))
        marker = page.get("NextMarker")
        if not marker or not page.get("WebACLs"):
            break
        kwargs["NextMarker"] = marker
    raise WebAclNotConfigured(
        f"no CLOUDFRONT web ACL named {settings.web_acl_name!r} (WEB_ACL_NAME) and no WEB_ACL_ARN"
    )


def record_settings_from_env(environ: Mapping[str, str] | None = None) -> AlarmSettings:
    """The record step's AlarmSettings from BAN_MINUTES (1 to 525,600, default 240) and
    DRY_RUN (a boolean, default false), from ``environ`` (default ``os.environ``).

    Raises:
        ConfigError: a variable is malformed; the message names it.
    """
    return AlarmSettings(
        # the template's AlarmBanMinutes range: a minute to a year
        duration=duration(
            "BAN_MINUTES",
            timedelta(minutes=240),
            environ,
            minimum=timedelta(minutes=1),
            maximum=timedelta(days=365),
        ),
        dry_run=boolean("DRY_RUN", False, environ),
    )


def collect_step(
    event: dict[str, Any],
    wafv2: WAFV2Client,
    settings: CollectSettings,
    now: datetime | None = None,
) -> dict[str, Any]:
    """State machine input (the alarm event) -> offenders, plus the alert if there are none.

    Raises:
        NotAnAlarmEvent: the input is not a CloudWatch alarm state change.
        WebAclNotConfigured, WafThrottled, ClientError: see ``resolve_web_acl`` and
            ``collect_offenders``.
    """
    window = alarm_window(event, now or utcnow())
    collected = collect_offenders(
        wafv2,
        resolve_web_acl(wafv2, settings),
        window,
        rate_rule_name=settings.rate_rule_name,
        min_requests=settings.min_requests,
        max_offenders=settings.max_offenders,
    )
    if collected["count"] == 0:
        collected["notification"] = nothing_to_do(collected)
    return collected


def record_step(
    collected: dict[str, Any],
    sink: DecisionSink,
    settings: AlarmSettings,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Offenders -> decisions (origin alarm) and the alert that lists them.

    ``collected`` is the collect step's output, or (as the state machine passes it)
    ``{"collected": <that output>, "execution": <execution ARN>}``: the execution's ARN
    gives the alert its partition, region and account, and its Step Functions link.

    Raises:
        ValueError: ``collected`` is not the collect step's output.
        DecisionsThrottled: the decisions table throttled a write (Step Functions retries).
        botocore.exceptions.ClientError: any other DynamoDB error.
    """
    execution = ""
    if isinstance(collected, dict) and isinstance(collected.get("collected"), dict):
        execution = str(collected.get("execution") or "")
        collected = collected["collected"]
    if not isinstance(collected, dict) or not isinstance(collected.get("offenders"), list):
        raise ValueError("record step needs the collect step's output (offenders list)")
    try:
        return record_offenders(sink, collected, settings, now, execution=execution)
    except ClientError as error:
        if is_throttling(error):
            # The state machine retries with backoff. Recording again is safe: the
            # longest decision wins.
            raise Throttled(f"decisions table throttled ({error_code(error)})") from None
        raise
