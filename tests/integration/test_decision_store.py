"""The DynamoDB decision store against moto, with the table built from template.yaml."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from edgeguard.config import ConfigError
from edgeguard.decisions import (
    BanPolicy,
    DecisionRequest,
    DynamoDecisionStore,
    Escalation,
    InvalidValue,
)
from tests.decisions_support import create_world

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def ban(value: str, hours: float = 1, **kwargs) -> DecisionRequest:
    kwargs.setdefault("origin", "log")
    kwargs.setdefault("reason", "path probing")
    return DecisionRequest(
        value=value, action=kwargs.pop("action", "ban"), duration=timedelta(hours=hours), **kwargs
    )


@pytest.fixture
def world():
    with mock_aws():
        yield create_world()


@pytest.fixture
def store(world):
    return DynamoDecisionStore(
        world.table,
        BanPolicy.from_cidrs(["198.51.100.0/28"]),
        Escalation(window=timedelta(hours=24), maximum=timedelta(hours=8)),
        client=boto3.client("dynamodb"),
    )


def test_record_normalises_and_is_active_until_expiry(store):
    outcome = store.record(ban(" 203.0.113.7 ", hours=2, actor="alice"), now=T0)
    assert outcome.status == "created"
    assert outcome.decision.value == "203.0.113.7/32"
    assert [d.value for d in store.active(T0 + timedelta(hours=1))] == ["203.0.113.7/32"]
    assert store.active(T0 + timedelta(hours=2)) == []  # expires_at > now, not >=
    (stored,) = store.get("203.0.113.7")
    assert stored.updated_by == "alice"
    assert stored.reason == "path probing"
    assert stored.expires_at == T0 + timedelta(hours=2)


def test_ipv6_host_widens_to_policy_prefix(world):
    store = DynamoDecisionStore(world.table, BanPolicy(ipv6_host_prefix=56))
    outcome = store.record(ban("2001:db8:1:2:3::9"), now=T0)
    assert outcome.decision.value == "2001:db8:1::/56"


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("10.1.2.3", "private"),
        ("127.0.0.1", "loopback"),
        ("198.51.100.5", "allowlisted"),
        ("fe80::1", "link-local"),
        ("203.0.113.7/16", "host bits"),
        ("not-an-ip", "not an IP"),
    ],
)
def test_refused_values_are_never_stored(store, world, value, why):
    outcome = store.record(ban(value), now=T0)
    assert outcome.status == "refused"
    assert why in outcome.reason
    assert boto3.client("dynamodb").scan(TableName=world.table)["Count"] == 0


def test_longest_expiry_wins_and_events_add_up(store):
    store.record(ban("203.0.113.7", hours=4, events=3), now=T0)
    shorter = store.record(ban("203.0.113.7", hours=1, events=2), now=T0 + timedelta(minutes=5))
    assert shorter.status == "unchanged"
    assert shorter.decision.expires_at == T0 + timedelta(hours=4)
    longer = store.record(ban("203.0.113.7", hours=6), now=T0 + timedelta(minutes=10))
    assert longer.status == "extended"
    (stored,) = store.get("203.0.113.7/32")
    assert stored.expires_at == T0 + timedelta(hours=6, minutes=10)
    assert stored.events == 6
    assert stored.created_at == T0  # still the same ban


def test_repeat_offender_escalates_up_to_maximum(store):
    durations = []
    now = T0
    for _ in range(5):
        outcome = store.record(ban("203.0.113.9", hours=1), now=now)
        decision = outcome.decision
        durations.append(decision.expires_at - decision.created_at)
        now = decision.expires_at + timedelta(hours=1)  # comes back an hour after the ban
    assert durations == [timedelta(hours=h) for h in (1, 2, 4, 8, 8)]
    assert store.get("203.0.113.9")[0].strikes == 5


def test_no_escalation_outside_window_or_after_lift(store):
    first = store.record(ban("203.0.113.10", hours=2), now=T0).decision
    later = first.expires_at + timedelta(hours=25)
    again = store.record(ban("203.0.113.10", hours=2), now=later).decision
    assert again.expires_at - again.created_at == timedelta(hours=2)
    lifted = store.remove("203.0.113.10", "ban", "bob", "false positive", now=later)
    assert lifted is not None
    assert lifted.lifted_by == "bob"
    back = store.record(ban("203.0.113.10", hours=2), now=later + timedelta(minutes=1)).decision
    assert back.expires_at - back.created_at == timedelta(hours=2)


def test_remove_lifts_at_once_and_keeps_the_audit(store):
    store.record(ban("203.0.113.11", hours=4), now=T0)
    lifted = store.remove("203.0.113.11/32", "ban", "arn:aws:iam::1:user/bob", "customer", now=T0)
    assert lifted.lifted_reason == "customer"
    assert store.active(T0) == []
    (kept,) = store.get("203.0.113.11")
    assert kept.lifted_by == "arn:aws:iam::1:user/bob"
    assert store.remove("203.0.113.11", "ban", "bob", "again", now=T0) is None


def test_tenants_and_captcha_are_separate_items(store):
    store.record(ban("acc-123", scope="tenant", origin="manual"), now=T0)
    store.record(ban("203.0.113.7", action="captcha"), now=T0)
    store.record(ban("203.0.113.7"), now=T0)
    active = {(d.value, d.action, d.scope) for d in store.active(T0)}
    assert active == {
        ("acc-123", "ban", "tenant"),
        ("203.0.113.7/32", "captcha", "ip"),
        ("203.0.113.7/32", "ban", "ip"),
    }
    with pytest.raises(InvalidValue):
        store.get("Acc 123")


def test_a_concurrent_writer_between_read_and_write_is_not_lost(world):
    """Another writer bans the same value for longer between our read and our write:
    our conditional write fails, we re-read, and the longer ban and both counts stay."""
    client = boto3.client("dynamodb")
    other = DynamoDecisionStore(world.table, client=boto3.client("dynamodb"))
    raced = []

    def race(**_kwargs):
        if not raced:
            raced.append(other.record(ban("203.0.113.50", hours=8, events=5), now=T0))

    client.meta.events.register("before-call.dynamodb.UpdateItem", race)
    store = DynamoDecisionStore(world.table, client=client)
    outcome = store.record(ban("203.0.113.50", hours=2, events=1), now=T0)
    assert raced and raced[0].status == "created"
    assert outcome.status == "unchanged"
    (stored,) = store.get("203.0.113.50")
    assert stored.expires_at == T0 + timedelta(hours=8)
    assert stored.events == 6


def test_retrying_the_same_request_does_not_escalate(store):
    first = store.record(ban("203.0.113.51", hours=2), now=T0).decision
    again = store.record(ban("203.0.113.51", hours=2), now=T0 + timedelta(seconds=3))
    assert again.status == "extended"
    assert again.decision.created_at == first.created_at
    assert again.decision.expires_at == T0 + timedelta(hours=2, seconds=3)


def test_from_env_reads_settings_and_names_what_is_missing(world):
    with pytest.raises(ConfigError, match="DECISIONS_TABLE"):
        DynamoDecisionStore.from_env({})
    store = DynamoDecisionStore.from_env(
        {
            "DECISIONS_TABLE": world.table,
            "ESCALATION_WINDOW_HOURS": "12",
            "MAX_BAN_HOURS": "48",
            "IPV6_HOST_PREFIX": "48",
            "ALLOWLIST_CIDRS": "203.0.113.0/24, 2001:db8::/32",
        }
    )
    assert store.escalation == Escalation(timedelta(hours=12), timedelta(hours=48))
    assert store.record(ban("203.0.113.1"), now=T0).status == "refused"
    with pytest.raises(ConfigError, match="MAX_BAN_HOURS"):
        DynamoDecisionStore.from_env({"DECISIONS_TABLE": "t", "MAX_BAN_HOURS": "soon"})
    with pytest.raises(ConfigError, match="IPV6_HOST_PREFIX"):
        DynamoDecisionStore.from_env({"DECISIONS_TABLE": "t", "IPV6_HOST_PREFIX": "/64"})
    with pytest.raises(ConfigError, match="MAX_BAN_HOURS must be at least 1 hours"):
        DynamoDecisionStore.from_env({"DECISIONS_TABLE": "t", "MAX_BAN_HOURS": "0"})
    with pytest.raises(ConfigError, match="ALLOWLIST_CIDRS"):
        DynamoDecisionStore.from_env({"DECISIONS_TABLE": "t", "ALLOWLIST_CIDRS": "10.0.0.0/33"})
