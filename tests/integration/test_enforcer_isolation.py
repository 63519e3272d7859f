"""Faults that used to stop all enforcement: one unreadable item, one unwritable group,
and an aggregate moving between shards. moto's DynamoDB and WAF, wired from template.yaml;
faults are injected with botocore's event hooks, edgeguard's code runs unmocked."""

from __future__ import annotations

import ipaddress
import json
import re
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from edgeguard.decisions import Decision, DecisionRequest, DynamoDecisionStore
from edgeguard.decisions.store import enforce_bucket
from edgeguard.waf.service import Enforcer, EnforcerSettings, GroupsFailed
from edgeguard.waf.sets import Retry, SetRef
from edgeguard_tools.events import load_event
from edgeguard_tools.local.handlers import LocalContext, environment, load_handler
from tests.decisions_support import alerts_seen, create_world, function_environment

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
HOUR = 3600


@pytest.fixture
def world():
    with mock_aws():
        yield create_world()


def make(world, capacity: int | None = None):
    env = function_environment(world)
    if capacity:
        env["IP_SET_CAPACITY"] = str(capacity)
    waf = boto3.client("wafv2")
    retry = Retry(attempts=3, sleep=lambda _s: None)
    enforcer = Enforcer(EnforcerSettings.from_env(env), waf, boto3.client("sns"), retry)
    return enforcer, waf, DynamoDecisionStore.from_env(env)


def entries(world, prefix: str) -> list[str]:
    waf = boto3.client("wafv2")
    found: list[str] = []
    for logical, arn in world.ip_sets.items():
        if logical.startswith(prefix):
            ref = SetRef.from_arn(arn, "CLOUDFRONT")
            found += waf.get_ip_set(**ref.key())["IPSet"]["Addresses"]
    return sorted(found)


def tenant_regexes(world) -> list[str]:
    ref = SetRef.from_arn(world.tenant_set_arn, "CLOUDFRONT")
    found = boto3.client("wafv2").get_regex_pattern_set(**ref.key())["RegexPatternSet"]
    return [r["RegexString"] for r in found["RegularExpressionList"]]


def ban(value: str, scope=None, origin="log") -> DecisionRequest:
    return DecisionRequest(value, "ban", origin, "test", timedelta(hours=1), scope=scope)


def put_raw(world, **attributes) -> None:
    """An item as another writer (or a hand edit) left it, attribute-value form."""
    item = {
        "scope": {"S": "ip"},
        "origin": {"S": "manual"},
        "reason": {"S": "hand edit"},
        "created_at": {"S": T0.isoformat()},
        "expires_at": {"N": str(int(T0.timestamp()) + HOUR)},
        **attributes,
    }
    item = {k: v for k, v in item.items() if v is not None}
    # as a writer of this version does: the enforcer's index holds it
    item.setdefault("enforce_bucket", {"N": str(enforce_bucket(item["value"]["S"]))})
    boto3.client("dynamodb").put_item(TableName=world.table, Item=item)


def reject(client, operation: str, code: str, when) -> list[str]:
    """Answer ``operation`` with error ``code`` whenever ``when(set name)`` is true."""
    rejected: list[str] = []

    def answer(params, **_kwargs):
        name = json.loads(params["body"])["Name"]
        if when(name):
            rejected.append(name)
            body = {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {}}
            return AWSResponse("https://wafv2.us-east-1.amazonaws.com", 400, {}, None), body
        return None

    client.meta.events.register(f"before-call.wafv2.{operation}", answer)
    return rejected


# ----------------------------------------------------------- 1: per item
BAD_ITEMS = {
    "198.51.100.1/32|ban": {"created_at": None},  # no created_at
    "198.51.100.2/32|ban": {"expires_at": {"N": "1e20"}},  # not a time
    "198.51.100.3/32|ban": {"events": {"S": "many"}},  # wrong type
    "198.51.100.4/32|block": {},  # not an action
    "ACC-1|ban": {"scope": {"S": "tenant"}},  # not a tenant id
    "not-an-ip|ban": {},  # an IP scope without a CIDR
}


def put_bad_items(world) -> None:
    for key, attributes in BAD_ITEMS.items():
        value, action = key.split("|")
        put_raw(world, value={"S": value}, action={"S": action}, **attributes)


def test_unreadable_items_are_skipped_counted_announced_once_and_the_rest_enforced(world):
    enforcer, _, store = make(world)
    store.record(ban("203.0.113.7"), now=T0)
    store.record(ban("2001:db8::1"), now=T0)
    store.record(ban("acc-2", scope="tenant", origin="manual"), now=T0)
    put_bad_items(world)

    report = enforcer.run(store, now=T0)

    assert entries(world, "BanIpV4") == ["203.0.113.7/32"]
    assert entries(world, "BanIpV6") == ["2001:db8::/64"]
    assert tenant_regexes(world) == ["^/account/(?:acc-2)(?:/|$)"]
    assert sorted(i.key for i in report.invalid) == sorted(BAD_ITEMS)
    assert report.as_dict()["invalid"] == len(BAD_ITEMS)
    (alert,) = alerts_seen(world)
    assert alert["kind"] == "invalid-decisions"
    named = " ".join(alert["fields"]["items (value|action: why)"])
    assert all(key in named for key in BAD_ITEMS)
    assert "created_at" in named and "expires_at" in named

    enforcer.run(store, now=T0 + timedelta(minutes=1))
    assert alerts_seen(world) == []  # the same bad items: told once, not every minute
    put_raw(world, value={"S": "198.51.100.9/32"}, action={"S": "ban"}, created_at={"S": "x"})
    enforcer.run(store, now=T0 + timedelta(minutes=2))
    (again,) = alerts_seen(world)
    assert again["fields"]["items (value|action: why)"][0].startswith("198.51.100.9/32|ban")
    assert again["fields"]["skipped in all"] == len(BAD_ITEMS) + 1


def test_handler_counts_invalid_decisions_and_still_enforces(world, capsys):
    env = function_environment(world)
    DynamoDecisionStore.from_env(env).record(ban("203.0.113.7"))
    put_raw(
        world,
        value={"S": "198.51.100.1/32"},
        action={"S": "ban"},
        created_at=None,
        expires_at={"N": str(int(datetime.now(UTC).timestamp()) + HOUR)},
    )
    with environment(env):
        handler = load_handler("functions/ipset_sync", fresh=True)
        result = handler(load_event("schedule_ipset_sync"), LocalContext("ipset-sync"))
    assert entries(world, "BanIpV4") == ["203.0.113.7/32"]
    assert result["invalid"] == 1
    assert re.search(r'"InvalidDecisions": *\[?1', capsys.readouterr().out)


# ---------------------------------------------------------- 2: per group
def test_a_group_that_cannot_be_written_does_not_stop_the_others(world):
    enforcer, waf, store = make(world)
    for value in ("203.0.113.7", "2001:db8::1"):
        store.record(ban(value), now=T0)
    store.record(DecisionRequest("198.51.100.5", "captcha", "log", "t", timedelta(hours=1)), now=T0)
    store.record(ban("acc-2", scope="tenant", origin="manual"), now=T0)
    rejected = reject(waf, "UpdateIPSet", "AccessDeniedException", lambda name: "-v4" in name)

    with pytest.raises(GroupsFailed, match="ban-v4") as failure:
        enforcer.run(store, now=T0)

    assert rejected  # the IPv4 sets were really refused
    report = failure.value.report
    assert {g.group for g in report.failed} == {"ban-v4", "captcha-v4"}
    assert "AccessDenied" in report.as_dict()["groups"]["ban-v4"]["error"]
    # every group after the failed one was still written
    assert entries(world, "BanIpV6") == ["2001:db8::/64"]
    assert tenant_regexes(world) == ["^/account/(?:acc-2)(?:/|$)"]
    assert entries(world, "BanIpV4") == []

    fixed, _, _ = make(world)  # the next run, without the fault, catches up
    fixed.run(store, now=T0)
    assert entries(world, "BanIpV4") == ["203.0.113.7/32"]
    assert entries(world, "CaptchaIpV4") == ["198.51.100.5/32"]


def test_a_missing_allowlist_set_stops_only_its_ip_version(world):
    enforcer, waf, store = make(world)
    store.record(ban("203.0.113.7"), now=T0)
    store.record(ban("2001:db8::1"), now=T0)
    reject(
        waf,
        "GetIPSet",
        "WAFNonexistentItemException",
        lambda name: name.endswith("allow-v4"),
    )
    with pytest.raises(GroupsFailed):
        enforcer.run(store, now=T0)
    assert entries(world, "BanIpV6") == ["2001:db8::/64"]
    assert entries(world, "BanIpV4") == []


# ------------------------------------------------ 3: make-before-break
def network(index: int, prefix: int) -> str:
    return str(
        ipaddress.ip_network(f"{ipaddress.IPv4Address(0xCB007100 + index)}/{prefix}", strict=False)
    )


values = st.lists(
    st.builds(network, st.integers(0, 63), st.sampled_from([32, 32, 32, 31, 30])),
    max_size=24,
    unique=True,
)


def decisions_of(cidrs) -> list[Decision]:
    return [
        Decision(c, "ip", "ban", "log", "p", T0 - timedelta(hours=1), T0 + timedelta(hours=2))
        for c in cidrs
    ]


def covered(cidrs) -> set[int]:
    result: set[int] = set()
    for cidr in cidrs:
        net = ipaddress.ip_network(cidr)
        result |= set(range(int(net.network_address), int(net.network_address) + net.num_addresses))
    return result


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(before=values, after=values, fail_write=st.sampled_from([0, 2]))
# Two /32s on different shards each merging with a neighbour whose /31 lands on the
# other shard: both shards gain and lose, so no order of whole-set writes is safe.
@example(
    before=[network(0, 32), network(2, 32), network(5, 32), network(9, 32)],
    after=[network(0, 31), network(2, 31), network(4, 31), network(8, 31)],
    fail_write=2,
)
@example(before=[network(0, 32), network(2, 32)], after=[network(0, 30)], fail_write=2)
def test_property_an_address_active_before_and_after_is_in_a_set_after_every_write(
    before, after, fail_write
):
    with mock_aws():
        world = create_world()
        enforcer, waf, _ = make(world)
        enforcer.reconcile(decisions_of(before), now=T0)
        kept = covered(before) & covered(after)
        union_after_each_write: list[set[int]] = []
        writes: list[int] = []

        def snapshot(**_kwargs):
            union_after_each_write.append(covered(entries(world, "BanIpV4")))

        def count(**_kwargs):
            writes.append(1)

        waf.meta.events.register("before-call.wafv2.UpdateIPSet", count)
        waf.meta.events.register("after-call.wafv2.UpdateIPSet", snapshot)
        if fail_write:
            reject(
                waf, "UpdateIPSet", "AccessDeniedException", lambda _name: len(writes) == fail_write
            )
        try:
            enforcer.reconcile(decisions_of(after), now=T0)
        except GroupsFailed:
            assert fail_write and len(writes) == fail_write
        for union in union_after_each_write:
            assert kept <= union, sorted(kept - union)
        assert kept <= covered(entries(world, "BanIpV4"))
        fresh, _, _ = make(world)
        fresh.reconcile(decisions_of(after), now=T0)
        assert covered(entries(world, "BanIpV4")) == covered(after)


# ------------------------------------------------------- capacity order
def test_over_capacity_one_order_keeps_origin_then_events_then_expiry(world):
    enforcer, _, _ = make(world, capacity=3)  # 2 shards x 3 = six places

    def decided(n: int, origin: str, events: int, hours: int) -> Decision:
        value = f"203.0.113.{n * 4}/32"  # never adjacent: one entry each
        return Decision(
            value, "ip", "ban", origin, "t", T0, T0 + timedelta(hours=hours), events=events
        )

    blocklist = [decided(n, "blocklist", 1000, 500) for n in range(4)]
    manual = [decided(4, "manual", 1, 1), decided(5, "manual", 1, 1)]
    findings = [decided(6, "guardduty", 1, 2), decided(7, "securityhub", 1, 2)]
    wide_log = decided(8, "log", 50, 1)
    later_log = decided(9, "log", 5, 10)
    sooner_log = decided(10, "log", 5, 1)
    hunt = decided(11, "hunt", 900, 300)
    everything = [*blocklist, sooner_log, hunt, later_log, wide_log, *findings, *manual]

    report = enforcer.reconcile(everything, now=T0)

    kept = [*manual, *findings, wide_log, later_log]
    assert entries(world, "BanIpV4") == sorted(d.value for d in kept)
    dropped = [d.value for d in report.dropped]
    assert dropped[:2] == [sooner_log.value, hunt.value]  # rank order, blocklist last
    assert sorted(dropped[2:]) == sorted(d.value for d in blocklist)
    (alert,) = alerts_seen(world)
    why = alert["fields"]["not enforced (lowest-ranked first)"]
    assert why[-1].startswith(f"{sooner_log.value}: ranks after the last kept by expiry")
    assert any(
        line.startswith(f"{hunt.value}: ranks after the last kept by origin") for line in why
    )


# ------------------------------------------------------------- 10 shards
def test_ten_shards_per_version_from_the_template_hold_a_hundred_thousand_scattered():
    with mock_aws():
        world = create_world(shards=10)
        env = function_environment(world, shards=10)
        settings = EnforcerSettings.from_env(env)
        assert [r.name for r in settings.ban_v4] == [
            f"edgeguard-test-ban-v4-{n}" for n in range(1, 11)
        ]
        assert {r.arn for r in settings.ban_v6} == {
            world.ip_sets[f"BanIpV6Shard{n}"] for n in range(1, 11)
        }
        enforcer = Enforcer(settings, boto3.client("wafv2"), retry=Retry(sleep=lambda _s: None))
        scattered = [f"{ipaddress.IPv4Address(0x0B000000 + i * 7919)}/32" for i in range(100_000)]
        report = enforcer.reconcile(decisions_of(scattered), now=T0)
        assert report.dropped == []
        assert len(entries(world, "BanIpV4")) == 100_000
