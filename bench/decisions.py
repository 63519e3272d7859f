"""Enforcement at scale: 10k, 50k and 100k active decisions, 10 ban shards per IP version.

Decisions are shaped like real ban lists: most addresses scattered, a third of them in
dense clusters (a botnet's /24s, a hoster's range) that aggregation can merge, a tenth
IPv6 /64s; a last row holds 100k scattered IPv4 addresses (the worst case for
aggregation). WAF is moto's, with the template's largest layout (10 shards per IP
version, 10,000 entries each).

Figures per size:
- plan s: aggregation, capacity and shard layout, no AWS call, CPU seconds (bar: <= 1 s);
- read units/run: COMPUTED from DynamoDB's item-size rules ("Amazon DynamoDB Developer
  Guide: Item sizes and formats"; Query and Scan round the summed size of the items read
  up to 4 KB per read unit, half a unit when eventually consistent), not counted: moto's
  ConsumedCapacity is not DynamoDB's. "index" is what the enforcer reads now (the sparse
  index, eventually consistent, 16 bucket queries); "scan" is the full consistent scan it
  made before, with as many ended decisions kept for escalation and audit as active ones;
- UpdateIPSet calls for the first apply, an unchanged rerun, one decision added and one
  removed (make-before-break may take two writes when an aggregate changes), and the
  10 % churn and rerun of earlier versions of this benchmark;
- not enforced: decisions dropped for lack of room.
"""

from __future__ import annotations

import math
import os
import random
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import boto3
from moto import mock_aws

from edgeguard.decisions import Decision, never_bannable
from edgeguard.decisions.store import ENFORCE_BUCKETS, _to_item  # item shape as stored
from edgeguard.waf import shard
from edgeguard.waf.aggregate import parse
from edgeguard.waf.service import Enforcer, EnforcerSettings, plan_ip_group
from edgeguard.waf.sets import Retry, SetRef
from tests.decisions_support import template

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
SIZES = (10_000, 50_000, 100_000)
SHARDS = 10
# What the index projects besides its keys, read from template.yaml (never re-declared).
_INDEX = template()["Resources"]["DecisionsTable"]["Properties"]["GlobalSecondaryIndexes"][0]
PROJECTED = {"value", "action", "enforce_bucket", "expires_at"} | set(
    _INDEX["Projection"]["NonKeyAttributes"]
)


def _decision(value: str, rng: random.Random) -> Decision:
    return Decision(
        value=value,
        scope="ip",
        action="ban",
        origin="log",
        reason="path probing: 240 distinct 404 paths in 5 minutes",
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=rng.randint(5, 7 * 24 * 60)),
        events=rng.randint(1, 500),
        details={"scenario": "path_probing", "first_seen": NOW.isoformat()},
    )


def _values(count: int, rng: random.Random, clustered: bool = True) -> list[str]:
    values: set[str] = set()
    while len(values) < count:
        roll = rng.random() if clustered else 1.0
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


def _size(item: Mapping[str, Any]) -> int:
    """Bytes DynamoDB counts for an item: names plus values (numbers ~1 byte per 2 digits
    + 1); the Developer Guide's "Item sizes and formats"."""
    total = 0
    for name, typed in item.items():
        total += len(name.encode())
        ((kind, raw),) = typed.items()
        total += len(str(raw).encode()) if kind == "S" else math.ceil(len(str(raw)) / 2) + 1
    return total


def _read_units(decisions: list[Decision]) -> tuple[float, float]:
    """(index queries, old full scan with as much history as active), read units."""
    buckets = [0] * ENFORCE_BUCKETS
    full = 0
    for decision in decisions:
        item = _to_item(decision)
        item["purge_at"] = item["version"] = {"N": "1795795200"}
        buckets[int(item["enforce_bucket"]["N"])] += _size(
            {k: v for k, v in item.items() if k in PROJECTED}
        )
        full += _size(item)
    index = sum(max(1, math.ceil(b / 4096)) * 0.5 for b in buckets)
    return index, math.ceil(2 * full / 4096) * 1.0


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


def _plan_only(decisions: list[Decision]) -> float:
    """Planning alone (parse, aggregate, capacity, shard layout) without any AWS call, in
    CPU seconds of this process (the machine is shared; wall time would measure others)."""
    started = time.process_time()
    networks = {d.value: parse(d.value) for d in decisions}
    exclusions = [network for network, _ in never_bannable()]
    for version in (4, 6):
        chosen = [d for d in decisions if networks[d.value].version == version]  # type: ignore[union-attr]
        fitted = plan_ip_group(chosen, networks, exclusions, version, SHARDS * 10_000)  # type: ignore[arg-type]
        shard.assign(fitted.entries, [[] for _ in range(SHARDS)], 10_000)
    return time.process_time() - started


def _calls(enforcer: Enforcer, counter: _Counter, decisions: list[Decision]) -> tuple[int, dict]:
    before = counter.calls
    report = enforcer.reconcile(decisions, NOW)
    return counter.calls - before, report.as_dict()


def _row(label: str, decisions: list[Decision], rng: random.Random, clustered: bool) -> str:
    with mock_aws():
        waf = boto3.client("wafv2")
        counter = _Counter()
        waf.meta.events.register("before-call.wafv2.UpdateIPSet", counter)
        enforcer = Enforcer(_settings(), waf, retry=Retry(sleep=lambda _s: None))
        plan_seconds = _plan_only(decisions)
        index_units, scan_units = _read_units(decisions)
        first, report = _calls(enforcer, counter, decisions)
        unchanged, _ = _calls(enforcer, counter, decisions)
        newcomer = _decision("100.64.0.1/32", rng)  # placeholder, replaced below
        for value in _values(50, random.Random(len(decisions)), clustered=False):
            if value not in {d.value for d in decisions[-50:]}:
                newcomer = _decision(value, rng)
                break
        added, _ = _calls(enforcer, counter, [*decisions, newcomer])
        removed, _ = _calls(enforcer, counter, decisions[1:])
        churned = decisions[len(decisions) // 10 :] + [
            _decision(v, rng)
            for v in _values(len(decisions) // 10, random.Random(len(decisions)), clustered)
        ]
        churn, _ = _calls(enforcer, counter, churned)
        again, _ = _calls(enforcer, counter, churned)
    groups = report["groups"]
    entries = f"{groups['ban-v4']['entries']:,}+{groups['ban-v6']['entries']:,}"
    return (
        f"| {plan_seconds:5.2f} | {index_units:7,.1f} vs {scan_units:7,.0f} | {entries:>14} | "
        f"{first:3} {unchanged:2} {added:2} {removed:2} | {churn:3} {again:2} | "
        f"{report['dropped']:>7,} | {label}"
    )


def run() -> list[tuple[str, str]]:
    rng = random.Random(7)
    rows: list[tuple[str, str]] = [
        (
            "decisions",
            "| plan CPU s | read units/run: index vs old scan | entries v4+v6 | UpdateIPSet: "
            "first unchanged +1 -1 | churn 10% again | not enforced |",
        )
    ]
    for size in SIZES:
        decisions = [_decision(v, rng) for v in _values(size, rng)]
        rows.append((f"{size:>7,}", _row("mixed", decisions, rng, clustered=True)))
    scattered = [_decision(v, rng) for v in _values(100_000, rng, clustered=False)]
    rows.append(("100,000", _row("scattered IPv4 only", scattered, rng, clustered=False)))
    return rows
