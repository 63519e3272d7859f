"""Seed what WAF "observed" from real-shaped WAF log records.

The local cloud and the demo replay WAF logs (the JSON lines WAF delivers to S3
/ Firehose, one object per request). ``seed_from_waf_log`` turns each record into
what WAF's read APIs would then report:

- a sampled request (GetSampledRequests) under the metric name of the rule that
  terminated the request, or of the web ACL for ``Default_Action``;
- for a request a rate-based rule blocked (terminatingRuleType ``RATE_BASED``),
  the client address in that rule's managed keys
  (GetRateBasedStatementManagedKeys), added to what is already there.

A record whose web ACL or rule is not in the mock, or that is malformed, is
skipped and counted, never fatal.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from moto.wafv2.exceptions import WAFv2ClientError

from edgeguard_tools.local.moto_ext import wafv2


@dataclass
class SeedReport:
    """What ``seed_from_waf_log`` stored and skipped."""

    samples: Counter[str] = field(default_factory=Counter)  # metric name -> samples added
    rate_limited: Counter[str] = field(default_factory=Counter)  # rule name -> addresses
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> records


def _record_to_sample(record: Mapping[str, Any]) -> dict[str, Any]:
    http = record["httpRequest"]
    sample: dict[str, Any] = {
        "Request": {
            "ClientIP": http["clientIp"],
            "Country": http.get("country") or "-",
            "URI": http.get("uri") or "/",
            "Method": http.get("httpMethod") or "GET",
            "HTTPVersion": http.get("httpVersion") or "HTTP/1.1",
            "Headers": [
                {"Name": h["name"], "Value": h.get("value", "")}
                for h in http.get("headers") or []
                if h.get("name")
            ],
        },
        "Weight": 1,
        "Timestamp": float(record["timestamp"]) / 1000.0,
        "Action": str(record.get("action", "ALLOW")).upper(),
    }
    if labels := record.get("labels"):
        sample["Labels"] = [{"Name": label["name"]} for label in labels if label.get("name")]
    if inserted := record.get("requestHeadersInserted"):
        sample["RequestHeadersInserted"] = [
            {"Name": h["name"], "Value": h.get("value", "")} for h in inserted if h.get("name")
        ]
    if record.get("responseCodeSent"):
        sample["ResponseCodeSent"] = int(record["responseCodeSent"])
    for source, target in (
        ("captchaResponse", "CaptchaResponse"),
        ("challengeResponse", "ChallengeResponse"),
    ):
        if response := record.get(source):
            sample[target] = {
                key[0].upper() + key[1:]: value
                for key, value in response.items()
                if key in {"responseCode", "solveTimestamp", "failureReason"}
            }
    return sample


def _metric_for(acl: Any, terminating_rule: str) -> str | None:
    if terminating_rule == "Default_Action":
        return str(acl.visibility_config.get("MetricName") or "") or None
    rule = next((r for r in acl.rules if r.name == terminating_rule), None)
    if rule is None:
        return None
    return str((rule.visibility_config or {}).get("MetricName") or "") or None


def _limited_address(record: Mapping[str, Any], rule_name: str) -> str:
    for entry in record.get("rateBasedRuleList") or []:
        if entry.get("rateBasedRuleName") == rule_name and entry.get("limitValue"):
            return str(entry["limitValue"])
    return str(record["httpRequest"]["clientIp"])


def seed_from_waf_log(
    records: Iterable[Mapping[str, Any]], *, web_acl_arn: str | None = None
) -> SeedReport:
    """Seed sampled requests and rate-limited addresses from WAF log records."""
    report = SeedReport()
    samples: dict[tuple[str, str], list[dict[str, Any]]] = {}
    limited: dict[tuple[str, str], set[str]] = {}
    for record in records:
        arn = web_acl_arn or str(record.get("webaclId", ""))
        try:
            backend, acl = wafv2._web_acl_by_arn(arn)
        except (ValueError, WAFv2ClientError):
            report.skipped["unknown web ACL"] += 1
            continue
        try:
            sample = wafv2._sample(_record_to_sample(record))
        except (KeyError, TypeError, ValueError):
            report.skipped["malformed record"] += 1
            continue
        terminating = str(record.get("terminatingRuleId", ""))
        metric = _metric_for(acl, terminating)
        if metric is None:
            report.skipped["rule not in web ACL"] += 1
            continue
        samples.setdefault((arn, metric), []).append(sample)
        report.samples[metric] += 1
        if record.get("terminatingRuleType") == "RATE_BASED" and sample["Action"] == "BLOCK":
            try:
                wafv2._rate_rule(backend, acl, terminating, None)
                address = ipaddress.ip_network(_limited_address(record, terminating), strict=False)
            except (WAFv2ClientError, ValueError):
                report.skipped["rate rule not IP rate-based"] += 1
                continue
            limited.setdefault((arn, terminating), set()).add(str(address))
    for (arn, metric), batch in samples.items():
        wafv2.seed_sampled_requests(arn, metric, batch)
    for (arn, rule), addresses in limited.items():
        backend, _ = wafv2._web_acl_by_arn(arn)
        current = wafv2._managed_keys(backend).get((arn, "", rule), [])
        stored = wafv2.seed_rate_limited(arn, rule, [*current, *addresses])
        report.rate_limited[rule] = len(stored)
    return report
