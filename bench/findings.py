"""Finding extraction speed, and the alarm workflow's collection over a large sample."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import boto3
from moto import mock_aws

from edgeguard import clock
from edgeguard.alarms.collect import WebAclRef, collect_offenders
from edgeguard.alarms.window import AlarmWindow
from edgeguard.findings.asff import extract_asff, findings_from_custom_action
from edgeguard.findings.guardduty import extract_guardduty
from edgeguard_tools.events import load_event, project_root
from edgeguard_tools.local import moto_ext


def _per_second(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s"


def run() -> list[tuple[str, str]]:
    rows = []
    details = [
        load_event(p.stem)["detail"]
        for p in sorted((project_root() / "events").glob("guardduty_*.json"))
    ]
    started = time.perf_counter()
    rounds = 2000
    for _ in range(rounds):
        for detail in details:
            extract_guardduty(detail)
    count = rounds * len(details)
    rows.append(("GuardDuty findings extracted", _per_second(count, time.perf_counter() - started)))

    asff = findings_from_custom_action(load_event("securityhub_custom_action_block_ip"))
    started = time.perf_counter()
    for _ in range(rounds):
        for finding in asff:
            extract_asff(finding)
    count = rounds * len(asff)
    rows.append(("ASFF findings extracted", _per_second(count, time.perf_counter() - started)))

    # 1,000 rate-limited keys and 500 sampled requests from 300 clients, through boto3 + moto
    moto_ext.install()
    now = datetime.now(UTC)
    with clock.frozen_at(now), mock_aws():
        waf = boto3.client("wafv2", region_name="us-east-1")
        visibility = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True}
        arn = waf.create_web_acl(
            Name="bench-edge",
            Scope="CLOUDFRONT",
            DefaultAction={"Allow": {}},
            Rules=[
                {
                    "Name": "edgeguard-rate",
                    "Priority": 1,
                    "Statement": {"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}},
                    "Action": {"Block": {}},
                    "VisibilityConfig": {**visibility, "MetricName": "edgeguard-rate"},
                }
            ],
            VisibilityConfig={**visibility, "MetricName": "bench-edge"},
        )["Summary"]["ARN"]
        moto_ext.seed_rate_limited(
            arn, "edgeguard-rate", [f"198.51.{i // 250}.{i % 250 + 1}" for i in range(1000)]
        )
        moto_ext.seed_sampled_requests(
            arn,
            "edgeguard-rate",
            [
                {
                    "Request": {"ClientIP": f"203.0.113.{i % 250 + 1}"},
                    "Weight": 30,
                    "Timestamp": now,
                }
                for i in range(500)
            ],
        )
        window = AlarmWindow("bench", now - timedelta(minutes=5), now + timedelta(seconds=1), None)
        started = time.perf_counter()
        collected = collect_offenders(
            waf, WebAclRef.from_arn(arn), window, rate_rule_name="edgeguard-rate", min_requests=20
        )
        elapsed = time.perf_counter() - started
    rows.append(
        (
            "collect offenders (1,000 keys + 500 samples, moto)",
            f"{elapsed * 1000:,.0f} ms, {collected['count']} offenders kept, "
            f"{collected['truncated']} over the 1,000 cap",
        )
    )
    return rows
