"""Who set off a WAF alarm: the rate-based rule's current keys and the top blocked clients.

Two sources, both read-only:
- GetRateBasedStatementManagedKeys: the addresses the rate-based rule is limiting
  right now (already over the limit, so each is an offender);
- GetSampledRequests of the web ACL's blocking rules over the alarm's window: a
  weighted sample of blocked requests; clients with at least ``min_requests``
  (sum of weights) are offenders.
Rules that match edgeguard's own IP sets or the tenant pattern set are not sampled:
their clients are already banned, or are a blocked tenant's users, not attackers.
A throttled WAF call raises ``Throttled`` so that Step Functions retries the
step with backoff (botocore has already retried it a few times by then).

Sources: "AWS WAF API Reference: GetRateBasedStatementManagedKeys" and
"AWS WAF API Reference: GetSampledRequests" (at most 500 items per call, a time
window within the previous 3 hours).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from edgeguard.alarms.window import AlarmWindow
from edgeguard.errors import EdgeguardError, Throttled, error_code, is_throttling
from edgeguard.findings.addresses import parse_address

if TYPE_CHECKING:
    from mypy_boto3_wafv2 import WAFV2Client

MAX_SAMPLE_ITEMS = 500  # GetSampledRequests' maximum
_NOT_ATTACKERS = ("IPSetReferenceStatement", "RegexPatternSetReferenceStatement")


class WebAclNotConfigured(EdgeguardError):
    """No web ACL to collect from (WEB_ACL_ARN unset or not a web ACL ARN)."""


@dataclass(frozen=True)
class WebAclRef:
    """One WAFv2 web ACL: ARN, name, id and scope (CLOUDFRONT for a ``global`` ARN, else
    REGIONAL), as the wafv2 calls want them.
    """

    arn: str
    name: str
    id: str
    scope: str

    @classmethod
    def from_arn(cls, arn: str) -> WebAclRef:
        """``arn:aws:wafv2:us-east-1:123456789012:global/webacl/<name>/<id>``.

        Raises:
            WebAclNotConfigured: ``arn`` is empty or not a wafv2 web ACL ARN.
        """
        parts = (arn or "").split(":", 5)
        resource = parts[5].split("/") if len(parts) == 6 else []
        if len(resource) != 4 or resource[1] != "webacl" or parts[2] != "wafv2":
            raise WebAclNotConfigured(f"not a WAFv2 web ACL ARN: {arn[:120]!r}")
        scope = "CLOUDFRONT" if resource[0] == "global" else "REGIONAL"
        return cls(arn=arn, name=resource[2], id=resource[3], scope=scope)


@dataclass
class Offender:
    """One client that set off the alarm: its address (compressed text), the blocked
    requests sampled for it (sum of sample weights; 0 when only rate-limited), the
    rules or sources it was found by, and whether the rate-based rule limits it now.
    """

    ip: str
    requests: int = 0
    sources: list[str] = field(default_factory=list)
    rate_limited: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The offender as a JSON-ready dict (ip, requests, sources, rate_limited)."""
        return {
            "ip": self.ip,
            "requests": self.requests,
            "sources": self.sources,
            "rate_limited": self.rate_limited,
        }


def _call(client: WAFV2Client, operation: str, **kwargs: Any) -> dict[str, Any]:
    try:
        response: dict[str, Any] = getattr(client, operation)(**kwargs)
    except ClientError as error:
        if is_throttling(error):
            # the state machine retries the step with backoff
            raise Throttled(f"WAF {operation} throttled ({error_code(error)})") from None
        raise
    return response


def blocking_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rules whose matches are blocked and whose clients are attackers.

    ``rules`` are the web ACL's ``Rules`` (GetWebACL). Chosen: rules with a Block
    action, and rule groups used without override (``OverrideAction: None``); never a
    rule whose statement references an IP set or a regex pattern set.
    """
    chosen = []
    for rule in rules:
        action = rule.get("Action") or {}
        override = rule.get("OverrideAction") or {}
        statement = rule.get("Statement") or {}
        blocks = "Block" in action or ("None" in override and _is_group(statement))
        if blocks and not any(marker in json.dumps(statement) for marker in _NOT_ATTACKERS):
            chosen.append(rule)
    return chosen


def _is_group(statement: dict[str, Any]) -> bool:
    return "ManagedRuleGroupStatement" in statement or "RuleGroupReferenceStatement" in statement


def _metric(rule: dict[str, Any]) -> str:
    return str((rule.get("VisibilityConfig") or {}).get("MetricName") or rule.get("Name") or "")


def collect_offenders(
    wafv2: WAFV2Client,
    acl: WebAclRef,
    window: AlarmWindow,
    *,
    rate_rule_name: str,
    min_requests: int,
    max_offenders: int = 1000,
) -> dict[str, Any]:
    """Offenders of the alarm's window, rate-limited first, then most requests; JSON-safe.

    At most ``max_offenders`` (about 100 KB in the state machine's 256 KB payload); how
    many were left out is reported in ``truncated`` and in the alert. Returns a dict
    with ``alarm`` (the window), ``web_acl``, ``rules_sampled``, ``rate_rules``,
    ``min_requests``, ``offenders`` (``Offender.to_dict`` each), ``count``,
    ``truncated``, ``below_threshold`` and up to 20 ``malformed`` client addresses.

    Raises:
        WafThrottled: a WAF call was throttled (Step Functions retries the step).
        botocore.exceptions.ClientError: any other WAF error.
    """
    web_acl = _call(wafv2, "get_web_acl", Name=acl.name, Scope=acl.scope, Id=acl.id)["WebACL"]
    rules = list(web_acl.get("Rules") or [])
    offenders: dict[str, Offender] = {}
    skipped: list[str] = []

    def add(raw: str, requests: int, source: str, rate_limited: bool = False) -> None:
        text = raw.split("/", maxsplit=1)[0] if raw.endswith(("/32", "/128")) else raw
        address = parse_address(text)
        if address is None:
            skipped.append(f"{source}: {raw[:64]!r}")
            return
        offender = offenders.setdefault(address.compressed, Offender(address.compressed))
        offender.requests += requests
        offender.rate_limited = offender.rate_limited or rate_limited
        if source not in offender.sources:
            offender.sources.append(source)

    rate_rules = [r for r in rules if r.get("Name") == rate_rule_name]
    for rule in rate_rules:
        keys = _call(
            wafv2,
            "get_rate_based_statement_managed_keys",
            Scope=acl.scope,
            WebACLName=acl.name,
            WebACLId=acl.id,
            RuleName=rule["Name"],
        )
        for version in ("ManagedKeysIPV4", "ManagedKeysIPV6"):
            for key in (keys.get(version) or {}).get("Addresses") or []:
                add(str(key), 0, f"rate-limited by {rule['Name']}", rate_limited=True)

    sampled = blocking_rules(rules)
    if window.rule_metric:
        sampled = [r for r in sampled if _metric(r) == window.rule_metric]
    for rule in sampled:
        response = _call(
            wafv2,
            "get_sampled_requests",
            WebAclArn=acl.arn,
            RuleMetricName=_metric(rule),
            Scope=acl.scope,
            TimeWindow={"StartTime": window.start, "EndTime": window.end},
            MaxItems=MAX_SAMPLE_ITEMS,
        )
        for sample in response.get("SampledRequests") or []:
            if str(sample.get("Action", "")).upper() != "BLOCK":
                continue
            client_ip = (sample.get("Request") or {}).get("ClientIP")
            weight = sample.get("Weight")
            add(str(client_ip or ""), int(weight) if isinstance(weight, int) else 1, _metric(rule))

    chosen = [o for o in offenders.values() if o.rate_limited or o.requests >= min_requests]
    below = len(offenders) - len(chosen)
    chosen.sort(key=lambda o: (not o.rate_limited, -o.requests, o.ip))
    return {
        "alarm": window.to_dict(),
        "web_acl": acl.name,
        "rules_sampled": [_metric(r) for r in sampled],
        "rate_rules": [r["Name"] for r in rate_rules],
        "min_requests": min_requests,
        "offenders": [o.to_dict() for o in chosen[:max_offenders]],
        "count": min(len(chosen), max_offenders),
        "truncated": max(0, len(chosen) - max_offenders),
        "below_threshold": below,
        "malformed": skipped[:20],
    }
