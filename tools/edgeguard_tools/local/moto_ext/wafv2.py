"""WAFv2: what a rate-based rule is limiting, sampled requests, and stricter writes.

moto 5.2.5 does not implement GetRateBasedStatementManagedKeys or
GetSampledRequests (the alarm workflow's two sources of offending addresses).
Real WAF fills both from live traffic; the mock has none, so the local cloud and
tests *seed* what WAF would have observed (``seed_rate_limited``,
``seed_sampled_requests``) and edgeguard reads it back through boto3.

GetRateBasedStatementManagedKeys (Scope, WebACLName, WebACLId, RuleName,
optional RuleGroupRuleName for a rate-based rule inside a rule group referenced
by the web ACL):
- unknown web ACL or rule -> WAFNonexistentItemException;
- a rule that is not rate-based -> WAFInvalidParameterException;
- a rate-based rule that aggregates on anything but IP / FORWARDED_IP ->
  WAFUnsupportedAggregateKeyTypeException (AWS only reports IP keys);
- answers ManagedKeysIPV4 and ManagedKeysIPV6, each {IPAddressVersion,
  Addresses} with addresses as CIDRs (/32, /128). The current WAFv2 API has no
  NextMarker here (that belonged to WAF Classic); botocore drops it.

GetSampledRequests (WebAclArn, RuleMetricName, Scope, TimeWindow, MaxItems):
- unknown web ACL, or a metric name that is neither the web ACL's nor one of its
  rules' -> WAFNonexistentItemException;
- MaxItems outside 1..500, EndTime not after StartTime, or StartTime more than
  three hours before now -> WAFInvalidParameterException;
- returns the seeded requests whose Timestamp falls in the window, oldest first,
  at most MaxItems, in AWS's shape; PopulationSize = the summed Weight of every
  seeded request in the window; TimeWindow echoes the request's. A rule whose
  VisibilityConfig has SampledRequestsEnabled = false yields no samples.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.wafv2.exceptions import WAFNonexistentItemException, WAFv2ClientError
from moto.wafv2.models import GLOBAL_REGION, FakeRule, FakeWebACL, WAFV2Backend, wafv2_backends
from moto.wafv2.responses import WAFV2Response

from edgeguard import clock
from edgeguard_tools.local.moto_ext._registry import attach

MAX_SAMPLE_ITEMS = 500
SAMPLE_WINDOW = timedelta(hours=3)
IP_AGGREGATE_KEYS = {"IP", "FORWARDED_IP"}
SAMPLE_ACTIONS = {"ALLOW", "BLOCK", "COUNT", "CAPTCHA", "CHALLENGE", "EXCLUDED_AS_COUNT"}


class WAFInvalidParameterException(WAFv2ClientError):
    """AWS's error for a bad parameter, with its Field / Parameter / Reason members."""

    def __init__(self, message: str, field: str = "", parameter: str = "", reason: str = ""):
        super().__init__("WAFInvalidParameterException", message)
        body = {"__type": "WAFInvalidParameterException", "message": message}
        body |= {k: v for k, v in (("Field", field), ("Parameter", parameter)) if v}
        if reason:
            body["Reason"] = reason
        self.description = json.dumps(body)


class WAFUnsupportedAggregateKeyTypeException(WAFv2ClientError):
    def __init__(self) -> None:
        super().__init__(
            "WAFUnsupportedAggregateKeyTypeException",
            "The rule that you've named doesn't aggregate solely on the IP address or solely "
            "on the forwarded IP address. This call is only available for such rules.",
        )


# ---- lookups ---------------------------------------------------------------------------


def _backend_for_arn(web_acl_arn: str) -> WAFV2Backend:
    """The backend that holds a web ACL, from its ARN (global scope lives in 'global')."""
    parts = web_acl_arn.split(":")
    if len(parts) < 6 or parts[2] != "wafv2":
        raise ValueError(f"not a WAFv2 web ACL ARN: {web_acl_arn!r}")
    region = GLOBAL_REGION if parts[5].startswith("global/") else parts[3]
    return wafv2_backends[parts[4]][region]


def _web_acl_by_arn(web_acl_arn: str) -> tuple[WAFV2Backend, FakeWebACL]:
    backend = _backend_for_arn(web_acl_arn)
    acl = backend.wacls.get(web_acl_arn)
    if acl is None:
        raise WAFNonexistentItemException
    return backend, acl


def _rate_rule(
    backend: WAFV2Backend, acl: FakeWebACL, rule_name: str, rule_group_rule_name: str | None
) -> FakeRule:
    """The rate-based rule addressed like GetRateBasedStatementManagedKeys addresses it."""
    rules: list[FakeRule] = acl.rules
    if rule_group_rule_name:
        reference = next((r for r in acl.rules if r.name == rule_group_rule_name), None)
        if reference is None:
            raise WAFNonexistentItemException
        group_arn = (reference.statement or {}).get("RuleGroupReferenceStatement", {}).get("ARN")
        group = backend.rule_groups.get(group_arn) if group_arn else None
        if group is None:
            raise WAFInvalidParameterException(
                f"Rule {rule_group_rule_name} is not a rule group reference statement.",
                field="RULE",
                parameter=rule_group_rule_name,
            )
        rules = group.rules
    rule = next((r for r in rules if r.name == rule_name), None)
    if rule is None:
        raise WAFNonexistentItemException
    statement = (rule.statement or {}).get("RateBasedStatement")
    if statement is None:
        raise WAFInvalidParameterException(
            f"Rule {rule_name} is not a rate-based rule.",
            field="RULE",
            parameter=rule_name,
            reason="not a rate-based statement",
        )
    if statement.get("AggregateKeyType", "IP") not in IP_AGGREGATE_KEYS:
        raise WAFUnsupportedAggregateKeyTypeException
    return rule


def _managed_keys(backend: WAFV2Backend) -> dict[tuple[str, str, str], list[str]]:
    store = backend.__dict__.get("_edgeguard_managed_keys")
    if store is None:
        store = backend.__dict__["_edgeguard_managed_keys"] = {}
    return store


def _samples(backend: WAFV2Backend) -> dict[tuple[str, str], list[dict[str, Any]]]:
    store = backend.__dict__.get("_edgeguard_samples")
    if store is None:
        store = backend.__dict__["_edgeguard_samples"] = {}
    return store


def _metric_names(acl: FakeWebACL) -> dict[str, bool]:
    """Metric name -> whether sampling is enabled, for the web ACL and each rule."""
    names: dict[str, bool] = {}
    for config in [acl.visibility_config, *(r.visibility_config for r in acl.rules)]:
        if config and config.get("MetricName"):
            names[str(config["MetricName"])] = bool(config.get("SampledRequestsEnabled", True))
    return names


# ---- seeding helpers (no AWS API exists for these) ----------------------------------


def _seed_target(web_acl_arn: str) -> tuple[WAFV2Backend, FakeWebACL]:
    try:
        return _web_acl_by_arn(web_acl_arn)
    except WAFNonexistentItemException as error:
        raise LookupError(f"no web ACL {web_acl_arn} in the mock") from error


def seed_rate_limited(
    web_acl_arn: str,
    rule_name: str,
    addresses: Iterable[str],
    *,
    rule_group_rule_name: str | None = None,
) -> list[str]:
    """Set the addresses a rate-based rule currently limits (replaces the previous set).

    Addresses may be bare IPs or CIDRs, IPv4 or IPv6; they are stored as CIDRs.
    The web ACL and the rate-based rule must exist (LookupError; ValueError for a
    rule that is not an IP rate-based rule or a bad address). Returns the CIDRs.
    """
    backend, acl = _seed_target(web_acl_arn)
    try:
        _rate_rule(backend, acl, rule_name, rule_group_rule_name)
    except WAFNonexistentItemException as error:
        raise LookupError(f"no rule {rule_name!r} in web ACL {web_acl_arn}") from error
    except WAFv2ClientError as error:
        raise ValueError(f"rule {rule_name!r} is not an IP rate-based rule") from error
    cidrs = sorted(
        {str(ipaddress.ip_network(a.strip(), strict=False)) for a in addresses},
        key=lambda c: (ipaddress.ip_network(c).version, ipaddress.ip_network(c)),
    )
    _managed_keys(backend)[(web_acl_arn, rule_group_rule_name or "", rule_name)] = cidrs
    return cidrs


def _timestamp(value: Any) -> float:
    if value is None:
        return clock.utcnow().timestamp()
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("sampled request Timestamp must be timezone-aware")
        return value.timestamp()
    return float(value)


def _sample(raw: Mapping[str, Any]) -> dict[str, Any]:
    request = dict(raw.get("Request") or {})
    client_ip = request.get("ClientIP")
    if not client_ip:
        raise ValueError("a sampled request needs Request.ClientIP")
    ipaddress.ip_address(client_ip)
    request.setdefault("Country", "US")
    request.setdefault("URI", "/")
    request.setdefault("Method", "GET")
    request.setdefault("HTTPVersion", "HTTP/2.0")
    request.setdefault("Headers", [])
    action = raw.get("Action", "BLOCK")
    if action not in SAMPLE_ACTIONS:
        raise ValueError(f"Action must be one of {sorted(SAMPLE_ACTIONS)}")
    weight = int(raw.get("Weight", 1))
    if weight < 0:
        raise ValueError("Weight must be >= 0")
    sample = {k: v for k, v in raw.items() if v is not None}
    sample.update(
        {
            "Request": request,
            "Weight": weight,
            "Timestamp": _timestamp(raw.get("Timestamp")),
            "Action": action,
        }
    )
    if "ResponseCodeSent" in sample and not 200 <= int(sample["ResponseCodeSent"]) <= 599:
        raise ValueError("ResponseCodeSent must be 200..599")
    return sample


def seed_sampled_requests(
    web_acl_arn: str, rule_metric_name: str, requests: Iterable[Mapping[str, Any]]
) -> int:
    """Add requests WAF sampled for a rule (or the web ACL's default action).

    Each request is in GetSampledRequests' SampledHTTPRequest shape; only
    Request.ClientIP is required (Timestamp: datetime or epoch seconds, default
    now on edgeguard's clock; Weight 1; Action BLOCK; Country US, URI /, GET,
    HTTP/2.0). The metric name must be the web ACL's or one of its rules'
    (LookupError); a malformed request is a ValueError. Returns how many samples
    are stored for that metric name now.
    """
    backend, acl = _seed_target(web_acl_arn)
    if rule_metric_name not in _metric_names(acl):
        raise LookupError(f"no metric name {rule_metric_name!r} in web ACL {web_acl_arn}")
    bucket = _samples(backend).setdefault((web_acl_arn, rule_metric_name), [])
    bucket.extend(_sample(r) for r in requests)
    bucket.sort(key=lambda s: s["Timestamp"])
    return len(bucket)


# ---- API -------------------------------------------------------------------------------


def get_rate_based_statement_managed_keys(
    self: WAFV2Backend,
    web_acl_name: str,
    web_acl_id: str,
    rule_name: str,
    rule_group_rule_name: str | None,
) -> dict[str, Any]:
    """The addresses a rate-based rule limits now, split by IP version."""
    acl = self.get_web_acl(None, web_acl_name, web_acl_id)
    _rate_rule(self, acl, rule_name, rule_group_rule_name or None)
    cidrs = _managed_keys(self).get((acl.arn, rule_group_rule_name or "", rule_name), [])
    v4 = [c for c in cidrs if ipaddress.ip_network(c).version == 4]
    v6 = [c for c in cidrs if ipaddress.ip_network(c).version == 6]
    return {
        "ManagedKeysIPV4": {"IPAddressVersion": "IPV4", "Addresses": v4},
        "ManagedKeysIPV6": {"IPAddressVersion": "IPV6", "Addresses": v6},
    }


def get_sampled_requests(
    self: WAFV2Backend,
    web_acl_arn: str,
    rule_metric_name: str,
    window: tuple[float, float],
    max_items: int,
) -> dict[str, Any]:
    """Seeded samples in the window, oldest first, with PopulationSize and TimeWindow."""
    start, end = window
    if not 1 <= max_items <= MAX_SAMPLE_ITEMS:
        raise WAFInvalidParameterException(
            f"MaxItems must be between 1 and {MAX_SAMPLE_ITEMS}.", parameter=str(max_items)
        )
    if end <= start:
        raise WAFInvalidParameterException(
            "TimeWindow EndTime must be after StartTime.", parameter="TimeWindow"
        )
    earliest = (clock.utcnow() - SAMPLE_WINDOW).timestamp()
    if start < earliest:
        raise WAFInvalidParameterException(
            "TimeWindow StartTime must be within the previous three hours.",
            parameter="TimeWindow",
        )
    acl = self.wacls.get(web_acl_arn)
    if acl is None:
        raise WAFNonexistentItemException
    metrics = _metric_names(acl)
    if rule_metric_name not in metrics:
        raise WAFNonexistentItemException
    in_window = [
        s
        for s in _samples(self).get((web_acl_arn, rule_metric_name), [])
        if start <= s["Timestamp"] <= end
    ]
    population = sum(s["Weight"] for s in in_window)
    sampled = in_window[:max_items] if metrics[rule_metric_name] else []
    return {
        "SampledRequests": [dict(s) for s in sampled],
        "PopulationSize": population if metrics[rule_metric_name] else 0,
        "TimeWindow": {"StartTime": start, "EndTime": end},
    }


def _epoch(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value)
    try:
        return float(text)
    except ValueError:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).timestamp()


def _response_get_rate_based_statement_managed_keys(self: WAFV2Response) -> Any:
    body = json.loads(self.body)
    if body.get("Scope") == "CLOUDFRONT":
        self.region = GLOBAL_REGION
    result = get_rate_based_statement_managed_keys(
        self.wafv2_backend,
        body.get("WebACLName"),
        body.get("WebACLId"),
        body.get("RuleName"),
        body.get("RuleGroupRuleName"),
    )
    return 200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(result)


def _response_get_sampled_requests(self: WAFV2Response) -> Any:
    body = json.loads(self.body)
    arn = body.get("WebAclArn", "")
    scope = body.get("Scope")
    if scope == "CLOUDFRONT":
        self.region = GLOBAL_REGION
    window = body.get("TimeWindow") or {}
    try:
        start, end = _epoch(window["StartTime"]), _epoch(window["EndTime"])
    except (KeyError, ValueError) as error:
        raise WAFInvalidParameterException(
            "TimeWindow needs StartTime and EndTime.", parameter="TimeWindow"
        ) from error
    if (scope == "CLOUDFRONT") != (":global/" in arn):
        raise WAFNonexistentItemException
    result = get_sampled_requests(
        self.wafv2_backend,
        arn,
        body.get("RuleMetricName", ""),
        (start, end),
        int(body.get("MaxItems", 0)),
    )
    return 200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(result)


def install() -> None:
    """Register the WAFv2 extensions (idempotent)."""
    attach(
        WAFV2Backend,
        {
            "get_rate_based_statement_managed_keys": get_rate_based_statement_managed_keys,
            "get_sampled_requests": get_sampled_requests,
        },
    )
    attach(
        WAFV2Response,
        {
            "get_rate_based_statement_managed_keys": (
                _response_get_rate_based_statement_managed_keys
            ),
            "get_sampled_requests": _response_get_sampled_requests,
        },
    )
