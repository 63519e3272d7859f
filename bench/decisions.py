"""Enforcement at scale: plan and apply 10k, 50k and 100k active decisions, then 10% churn.

Decisions are shaped like real ban lists: most addresses scattered, a third of them
in dense clusters (a botnet's /24s, a hoster's range) that aggregation can merge,
a tenth IPv6 /64s. WAF is moto's, with the template's largest layout (4 ban shards
per IP version, 10,000 entries each). Reading the table is not part of the figures.
"""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime, timedelta

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import boto3
from moto import mock_aws

from edgeguard.decisions import (
    Decision,
    never_bannable,
)
from edgeguard.waf import shard
from edgeguard.waf.aggregate import parse
from edgeguard.waf.service import Enforcer, EnforcerSettings, plan_ip_group
from edgeguard.waf.sets import Retry, SetRef

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
SIZES = (10_000, 50_000, 100_000)
SHARDS = 4


def _decision(value: str, rng: random.Random) -> Decision:
    return Decision(
        value=value,
        scope="ip",
        action="ban",
        origin="log",
        reason="bench",
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=rng.randint(5, 7 * 24 * 60)),
    )


def _values(count: int, rng: random.Random) -> list[str]:
    values: set[str] = set()
    while len(values) < count:
        roll = rng.random()
        if roll < 0.1:
            values.add(
                f"2a0{rng.randint(1, 9)}:{rng.getrandbits(16):x}:{rng.getrandbits(16):x}::/64"
            )
        elif roll < 0.1135:  # cluster: 8-64 neighbours in one /24 (a third of all addresses)
            base = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}"
            start = rng.randint(0, 192)
            values.update(f"{base}.{start + i}/32" for i in range(rng.randint(8, 64)))
        else:
            octets = (rng.randint(1, 223), *(rng.randint(0, 255) for _ in range(3)))
            values.add(".".join(map(str, octets)) + "/32")
    return sorted(values)[:count]


def _settings() -> EnforcerSettings:
    waf = boto3.client("wafv2")

    def ip_set(name: str, version: str) -> SetRef:
        summary = waf.create_ip_set(
            Name=name, Scope="CLOUDFRONT", IPAddressVersion=version, Addresses=[]
        )["Summary"]
        return SetRef.from_arn(summary["ARN"], "CLOUDFRONT")

    return EnforcerSettings(
        ban_v4=tuple(ip_set(f"ban-v4-{n}", "IPV4") for n in range(1, SHARDS + 1)),
        ban_v6=tuple(ip_set(f"ban-v6-{n}", "IPV6") for n in range(1, SHARDS + 1)),
    )


class _Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, **_kwargs: object) -> None:
        self.calls += 1


def _run(
    enforcer: Enforcer, counter: _Counter, decisions: list[Decision]
) -> tuple[float, int, dict]:
    before = counter.calls
    started = time.perf_counter()
    report = enforcer.reconcile(decisions, NOW)
    return time.perf_counter() - started, counter.calls - before, report.as_dict()


def _plan_only(decisions: list[Decision]) -> float:
    """Planning alone (aggregate, capacity, shard layout) without any AWS call."""
    started = time.perf_counter()
    networks = {d.value: parse(d.value) for d in decisions}
    exclusions = [network for network, _ in never_bannable()]
    for version in (4, 6):
        chosen = [d for d in decisions if networks[d.value].version == version]
        fitted = plan_ip_group(chosen, networks, exclusions, version, SHARDS * 10_000)
        shard.assign(fitted.entries, [[] for _ in range(SHARDS)], 10_000)
    return time.perf_counter() - started


def run() -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    rng = random.Random(7)
    header = (
        "decisions | plan s | entries v4+v6 | not enforced | "
        "first apply: s, UpdateIPSet | churn 10%: s, UpdateIPSet | again"
    )
    rows.append(("", header))
    for size in SIZES:
        with mock_aws():
            waf = boto3.client("wafv2")
            counter = _Counter()
            waf.meta.events.register("before-call.wafv2.UpdateIPSet", counter)
            enforcer = Enforcer(_settings(), waf, retry=Retry(sleep=lambda _s: None))
            values = _values(size, rng)
            decisions = [_decision(v, rng) for v in values]
            plan_seconds = _plan_only(decisions)
            first_s, first_calls, report = _run(enforcer, counter, decisions)
            churned = decisions[size // 10 :] + [
                _decision(v, rng) for v in _values(size // 10, random.Random(size))
            ]
            churn_s, churn_calls, _ = _run(enforcer, counter, churned)
            _, again_calls, _ = _run(enforcer, counter, churned)
        groups = report["groups"]
        entries = f"{groups['ban-v4']['entries']:,}+{groups['ban-v6']['entries']:,}"
        rows.append(
            (
                f"{size:>7,}",
                f"| {plan_seconds:6.2f} | {entries:>13} | {report['dropped']:>12,} | "
                f"{first_s:5.2f}s, {first_calls} calls | {churn_s:5.2f}s, {churn_calls} calls | "
                f"{again_calls} calls",
            )
        )
    return rows
