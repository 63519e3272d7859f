"""The enforcer along the template's own wiring in the local cloud: the decisions
table's stream and the one-minute schedule run IpSetSyncFunction."""

from __future__ import annotations

from datetime import timedelta

import pytest

from edgeguard.decisions import DecisionRequest, DynamoDecisionStore
from edgeguard.waf.service import EnforcerSettings
from edgeguard_tools.local.cloud import LocalCloud


@pytest.fixture(scope="module")
def cloud():
    with LocalCloud(quiet=True) as running:
        yield running


def bans(cloud) -> list[str]:
    env = cloud.function_environment("IpSetSyncFunction")
    waf = cloud.client("wafv2")
    found: list[str] = []
    settings = EnforcerSettings.from_env(env)
    for ref in (*settings.ban_v4, *settings.ban_v6):
        found += waf.get_ip_set(**ref.key())["IPSet"]["Addresses"]
    return sorted(found)


def store(cloud) -> DynamoDecisionStore:
    env = cloud.function_environment("IpSetSyncFunction")
    return DynamoDecisionStore.from_env(env, client=cloud.client("dynamodb"))


def test_a_recorded_decision_reaches_waf_through_the_stream(cloud):
    with cloud.deferred():  # like any writer: the stream delivers when the write is done
        store(cloud).record(
            DecisionRequest("203.0.113.40", "ban", "log", "probing", timedelta(hours=1))
        )
    assert "203.0.113.40/32" in bans(cloud)
    assert cloud.invocations[-1].logical_id == "IpSetSyncFunction"
    assert cloud.invocations[-1].source.startswith("stream")


def test_an_expired_ban_leaves_waf_within_one_tick_while_the_item_stays(cloud):
    with cloud.deferred():
        store(cloud).record(
            DecisionRequest("198.51.100.40", "ban", "log", "scanner", timedelta(minutes=3))
        )
    assert "198.51.100.40/32" in bans(cloud)
    cloud.tick(2)
    assert "198.51.100.40/32" in bans(cloud)  # still active: the schedule keeps it
    fired = cloud.tick(1)  # the minute it expires
    assert "IpSetSyncFunction" in fired
    assert "198.51.100.40/32" not in bans(cloud)
    assert store(cloud).get("198.51.100.40")  # DynamoDB TTL has not deleted it
