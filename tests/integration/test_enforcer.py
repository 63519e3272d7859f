"""The enforcer against moto's WAF and DynamoDB, wired from template.yaml.

Faults are injected with botocore's own event system (a before-call handler that
answers instead of the service) or by a real concurrent UpdateIPSet; edgeguard's
code runs unmocked.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from edgeguard.decisions import Decision, DecisionRequest, DynamoDecisionStore
from edgeguard.waf.service import Enforcer, EnforcerSettings
from edgeguard.waf.sets import EnforcementError, Retry, SetRef
from tests.decisions_support import alerts_seen, create_world, function_environment

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def no_wait() -> Retry:
    return Retry(attempts=6, sleep=lambda _seconds: None)


class Waf:
    """Reads what WAF holds, and counts UpdateIPSet calls."""

    def __init__(self, world):
        self.world = world
        self.client = boto3.client("wafv2")
        self.updates = 0
        self.client.meta.events.register("before-call.wafv2.UpdateIPSet", self._count)
        self.client.meta.events.register("before-call.wafv2.UpdateRegexPatternSet", self._count)

    def _count(self, **_kwargs):
        self.updates += 1

    def entries(self, logical_id: str) -> list[str]:
        ref = SetRef.from_arn(self.world.ip_sets[logical_id], "CLOUDFRONT")
        return self.client.get_ip_set(**ref.key())["IPSet"]["Addresses"]

    def regexes(self) -> list[str]:
        ref = SetRef.from_arn(self.world.tenant_set_arn, "CLOUDFRONT")
        found = self.client.get_regex_pattern_set(**ref.key())["RegexPatternSet"]
        return [r["RegexString"] for r in found["RegularExpressionList"]]

    def set_by_hand(self, logical_id: str, addresses: list[str]) -> None:
        other = boto3.client("wafv2")
        ref = SetRef.from_arn(self.world.ip_sets[logical_id], "CLOUDFRONT")
        token = other.get_ip_set(**ref.key())["LockToken"]
        other.update_ip_set(**ref.key(), Addresses=addresses, LockToken=token)


def fail(client, operation: str, code: str, times: int) -> list[int]:
    """Make the next ``times`` calls of ``operation`` answer with error ``code``."""
    failed: list[int] = []

    def answer(**_kwargs):
        if len(failed) < times:
            failed.append(1)
            body = {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {}}
            return AWSResponse("https://wafv2.us-east-1.amazonaws.com", 400, {}, None), body
        return None

    client.meta.events.register(f"before-call.wafv2.{operation}", answer)
    return failed


@pytest.fixture
def world():
    with mock_aws():
        yield create_world()


def make(world, capacity: int | None = None, retry: Retry | None = None):
    env = function_environment(world)
    if capacity:
        env["IP_SET_CAPACITY"] = str(capacity)
    waf = Waf(world)
    enforcer = Enforcer(
        EnforcerSettings.from_env(env), waf.client, boto3.client("sns"), retry or no_wait()
    )
    return enforcer, waf, DynamoDecisionStore.from_env(env)


def ban(value, hours=1.0, action="ban", scope=None, **kw) -> DecisionRequest:
    return DecisionRequest(
        value=value,
        action=action,
        origin=kw.pop("origin", "log"),
        reason="test",
        duration=timedelta(hours=hours),
        scope=scope,
        **kw,
    )


def all_entries(waf, prefix: str) -> list[str]:
    return sorted(
        e
        for logical in waf.world.ip_sets
        if logical.startswith(prefix)
        for e in waf.entries(logical)
    )


# ------------------------------------------------------------------ basics
def test_bans_reach_their_sets_aggregated_and_a_rerun_writes_nothing(world):
    enforcer, waf, store = make(world)
    for value in ("203.0.113.0", "203.0.113.1", "198.51.100.7", "2001:db8::1", "2001:db8:0:1::9"):
        store.record(ban(value), now=T0)
    store.record(ban("203.0.113.9", action="captcha"), now=T0)
    store.record(ban("203.0.113.10", action="count"), now=T0)
    report = enforcer.run(store, now=T0)
    assert all_entries(waf, "BanIpV4") == ["198.51.100.7/32", "203.0.113.0/31"]
    assert all_entries(waf, "BanIpV6") == ["2001:db8::/63"]
    assert waf.entries("CaptchaIpV4") == ["203.0.113.9/32"]
    assert "203.0.113.10/32" not in str([waf.entries(x) for x in world.ip_sets])  # count: never
    assert report.updates == waf.updates
    before = waf.updates
    assert enforcer.run(store, now=T0 + timedelta(seconds=30)).updates == 0
    assert waf.updates == before


def test_expired_decision_leaves_waf_within_one_tick_although_ttl_kept_it(world):
    enforcer, waf, store = make(world)
    store.record(ban("203.0.113.7", hours=1), now=T0)
    store.record(ban("203.0.113.99", hours=3), now=T0)
    enforcer.run(store, now=T0)
    assert all_entries(waf, "BanIpV4") == ["203.0.113.7/32", "203.0.113.99/32"]
    tick = T0 + timedelta(hours=1, minutes=1)
    enforcer.run(store, now=tick)
    assert all_entries(waf, "BanIpV4") == ["203.0.113.99/32"]
    stored = boto3.client("dynamodb").scan(
        TableName=world.table, FilterExpression="attribute_exists(expires_at)"
    )  # decisions only (not the index backfill's done-marker)
    assert stored["Count"] == 2  # TTL did nothing


def test_manual_entries_are_removed_the_table_is_the_truth(world):
    enforcer, waf, store = make(world)
    store.record(ban("203.0.113.7"), now=T0)
    enforcer.run(store, now=T0)
    waf.set_by_hand("BanIpV4Shard2", ["192.0.2.55/32"])
    report = enforcer.run(store, now=T0)
    assert all_entries(waf, "BanIpV4") == ["203.0.113.7/32"]
    assert report.groups[0].removed == 1


def test_allowlist_and_reserved_ranges_are_never_enforced(world):
    """A decision recorded before the allowlist changed (or by another writer) is cut."""
    enforcer, waf, _ = make(world)
    waf.set_by_hand("AllowlistIpV4", ["203.0.113.128/25"])
    decisions = [
        Decision("203.0.113.0/24", "range", "ban", "manual", "t", T0, T0 + timedelta(hours=1)),
        Decision("10.0.0.0/8", "range", "ban", "manual", "t", T0, T0 + timedelta(hours=1)),
    ]
    enforcer.reconcile(decisions, now=T0)
    assert all_entries(waf, "BanIpV4") == ["203.0.113.0/25"]


def test_tenant_block_and_unblock_keep_the_others(world):
    enforcer, waf, store = make(world)
    assert waf.regexes() == ["^$"]
    for tenant in ("acc-1", "acc-2", "acc-3"):
        store.record(ban(tenant, scope="tenant", origin="manual"), now=T0)
    enforcer.run(store, now=T0)
    (regex,) = waf.regexes()
    assert all(re.search(regex, f"/account/acc-{n}/x") for n in (1, 2, 3))
    store.remove("acc-2", "ban", "alice", "fixed", now=T0)
    enforcer.run(store, now=T0)
    (regex,) = waf.regexes()
    assert re.search(regex, "/account/acc-1/x") and re.search(regex, "/account/acc-3")
    assert not re.search(regex, "/account/acc-2/x")
    for tenant in ("acc-1", "acc-3"):
        store.remove(tenant, "ban", "alice", "fixed", now=T0)
    enforcer.run(store, now=T0)
    assert waf.regexes() == ["^$"]


# ---------------------------------------------------------------- capacity
def test_over_capacity_keeps_longest_lived_and_alerts_once(world):
    enforcer, waf, store = make(world, capacity=3)
    for i in range(10):  # not adjacent: ten entries for six places
        store.record(ban(f"203.0.113.{i * 4}", hours=i + 1), now=T0)
    report = enforcer.run(store, now=T0)
    kept = all_entries(waf, "BanIpV4")
    assert kept == sorted(f"203.0.113.{i * 4}/32" for i in range(4, 10))
    assert max(len(waf.entries(f"BanIpV4Shard{n}")) for n in (1, 2)) <= 3
    assert len(report.dropped) == 4
    (alert,) = alerts_seen(world)
    assert alert["kind"] == "enforcement-capacity"
    assert "4 decisions" in alert["title"]
    enforcer.run(store, now=T0 + timedelta(seconds=30))
    assert alerts_seen(world) == []  # nothing changed, nothing repeated
    store.record(ban("203.0.113.201", hours=20), now=T0 + timedelta(minutes=1))
    assert enforcer.run(store, now=T0 + timedelta(minutes=1)).updates >= 1
    assert alerts_seen(world) == []  # still overflowing: at most one alert an hour
    store.record(ban("203.0.113.205", hours=30), now=T0 + timedelta(minutes=61))
    enforcer.run(store, now=T0 + timedelta(minutes=61))
    (again,) = alerts_seen(world)
    assert again["kind"] == "enforcement-capacity"


# ------------------------------------------------------------------ faults
@pytest.mark.parametrize(
    ("code", "times"),
    [
        ("WAFOptimisticLockException", 3),
        ("ThrottlingException", 2),
        ("WAFUnavailableEntityException", 4),
    ],
)
def test_transient_faults_still_end_exact(world, code, times):
    pauses: list[float] = []
    enforcer, waf, store = make(world, retry=Retry(attempts=6, sleep=pauses.append))
    failed = fail(waf.client, "UpdateIPSet", code, times)
    for i in range(20):
        store.record(ban(f"198.51.100.{i * 2}"), now=T0)
    report = enforcer.run(store, now=T0)
    assert len(failed) == times
    assert all_entries(waf, "BanIpV4") == sorted(f"198.51.100.{i * 2}/32" for i in range(20))
    assert report.groups[0].retries == times
    assert len(pauses) == times
    if code == "WAFOptimisticLockException":  # a short random pause, then re-read
        assert all(0 <= p <= 0.2 for p in pauses)
    else:  # exponential backoff
        assert pauses == sorted(pauses) and pauses[-1] >= 0.1 * 2 ** (times - 1)
    assert enforcer.run(store, now=T0).updates == 0


def test_external_edit_between_read_and_write_is_not_overwritten_blindly(world):
    """Someone edits the set after our read: WAF refuses our stale LockToken for real,
    we re-read, re-plan and end exact (their entry is gone, ours are all there)."""
    enforcer, waf, store = make(world)
    for i in range(5):
        store.record(ban(f"198.51.100.{i * 2}"), now=T0)
    edits = []

    def edit_first(params, **_kwargs):
        if not edits:
            edits.append(params["Name"])
            logical = next(k for k, arn in world.ip_sets.items() if f"/{params['Name']}/" in arn)
            waf.set_by_hand(logical, ["192.0.2.1/32"])

    waf.client.meta.events.register("before-parameter-build.wafv2.UpdateIPSet", edit_first)
    report = enforcer.run(store, now=T0)
    assert edits
    assert report.groups[0].retries == 1
    assert all_entries(waf, "BanIpV4") == sorted(f"198.51.100.{i * 2}/32" for i in range(5))


def test_lock_conflicts_forever_give_up_loudly_and_lose_nothing(world):
    enforcer, waf, store = make(world)
    store.record(ban("198.51.100.1"), now=T0)
    fail(waf.client, "UpdateIPSet", "WAFOptimisticLockException", 100)
    with pytest.raises(EnforcementError, match="WAFOptimisticLockException after 6"):
        enforcer.run(store, now=T0)
    fresh, waf2, _ = make(world)
    fresh.run(store, now=T0)  # the next tick catches up
    assert all_entries(waf2, "BanIpV4") == ["198.51.100.1/32"]


def test_regex_set_conflict_is_retried(world):
    enforcer, waf, store = make(world)
    fail(waf.client, "UpdateRegexPatternSet", "WAFOptimisticLockException", 2)
    store.record(ban("acc-9", scope="tenant", origin="manual"), now=T0)
    enforcer.run(store, now=T0)
    assert waf.regexes() == ["^/account/(?:acc-9)(?:/|$)"]


def test_access_denied_is_not_retried(world):
    enforcer, waf, store = make(world)
    failed = fail(waf.client, "UpdateIPSet", "AccessDeniedException", 10)
    store.record(ban("198.51.100.1"), now=T0)
    with pytest.raises(Exception, match="AccessDenied"):
        enforcer.run(store, now=T0)
    assert len(failed) == 1


# -------------------------------------------------------------- properties
v4_value = st.builds(
    lambda i, prefix: str(
        ipaddress.ip_network(f"{ipaddress.IPv4Address(0xCB007100 + i)}/{prefix}", strict=False)
    ),
    st.integers(0, 255),
    st.sampled_from([32, 32, 32, 31, 30, 28]),
)
v6_value = st.builds(
    lambda i, prefix: str(ipaddress.ip_network(f"2001:db8:0:{i:x}::/{prefix}", strict=False)),
    st.integers(0, 63),
    st.sampled_from([64, 64, 63, 62]),
)
decisions = st.lists(
    st.builds(
        lambda value, action, hours: Decision(
            value=value,
            scope="ip",
            action=action,
            origin="log",
            reason="p",
            created_at=T0 - timedelta(hours=2),
            expires_at=T0 + timedelta(hours=hours),
        ),
        st.one_of(v4_value, v6_value),
        st.sampled_from(["ban", "ban", "captcha", "count"]),
        st.sampled_from([-1, 1, 2, 5]),  # -1: expired, still in the table
    ),
    max_size=30,
)
ALLOWED_V4 = ["203.0.113.64/28"]


def covered(cidrs) -> set[int]:
    """Every address (IPv4) or /64 (IPv6) the CIDRs cover, as integers."""
    result: set[int] = set()
    for cidr in cidrs:
        net = ipaddress.ip_network(cidr)
        if net.version == 4:
            result |= {int(net.network_address) + k for k in range(net.num_addresses)}
        else:
            first = int(net.network_address) >> 64
            result |= {(6 << 80) | (first + k) for k in range(2 ** (64 - net.prefixlen))}
    return result


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(decisions)
def test_property_sets_equal_active_non_allowlisted_decisions(generated):
    with mock_aws():
        world = create_world()
        enforcer, waf, _ = make(world, capacity=30)
        waf.set_by_hand("AllowlistIpV4", ALLOWED_V4)
        enforcer.reconcile(generated, now=T0)
        allowed = covered(ALLOWED_V4)
        for action, prefix in (("ban", "BanIp"), ("captcha", "CaptchaIp")):
            expected = covered(
                d.value for d in generated if d.action == action and d.expires_at > T0
            )
            in_waf = all_entries(waf, prefix)
            assert covered(in_waf) == expected - allowed
            assert len(in_waf) == len(set(in_waf))
        assert all(len(waf.entries(logical)) <= 30 for logical in world.ip_sets)
        before = waf.updates
        assert enforcer.reconcile(generated, now=T0).updates == 0
        assert waf.updates == before
