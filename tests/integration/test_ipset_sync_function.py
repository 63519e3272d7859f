"""functions/ipset_sync: the deployed handler, with the template's environment, in moto."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from moto import mock_aws

from edgeguard.config import ConfigError
from edgeguard.decisions import DecisionRequest, DynamoDecisionStore
from edgeguard.waf.sets import SetRef
from edgeguard_tools.events import load_event
from edgeguard_tools.local.handlers import LocalContext, environment, load_handler
from tests.decisions_support import create_world, function_environment


def shard_entries(world) -> list[str]:
    waf = boto3.client("wafv2")
    found = []
    for logical in ("BanIpV4Shard1", "BanIpV4Shard2"):
        ref = SetRef.from_arn(world.ip_sets[logical], "CLOUDFRONT")
        found += waf.get_ip_set(**ref.key())["IPSet"]["Addresses"]
    return sorted(found)


@pytest.mark.parametrize("event_name", ["dynamodb_decision_stream", "schedule_ipset_sync"])
def test_handler_enforces_on_stream_and_schedule(event_name):
    with mock_aws():
        world = create_world()
        env = function_environment(world)
        DynamoDecisionStore.from_env(env).record(
            DecisionRequest("203.0.113.7", "ban", "log", "probing", timedelta(hours=1))
        )
        with environment(env):
            handler = load_handler("functions/ipset_sync", fresh=True)
            result = handler(load_event(event_name), LocalContext("ipset-sync"))
            again = handler(load_event(event_name), LocalContext("ipset-sync"))
        assert shard_entries(world) == ["203.0.113.7/32"]
        assert result["updates"] == 1
        assert result["groups"]["ban-v4"]["entries"] == 1
        assert again["updates"] == 0


def test_cold_start_names_the_missing_setting():
    with mock_aws():
        world = create_world()
        env = function_environment(world)
        env.pop("BAN_IPV4_SET_1")
        with environment(env), pytest.raises(ConfigError, match="BAN_IPV4_SET_1"):
            load_handler("functions/ipset_sync", fresh=True)


def test_with_one_shard_per_version_only_shard_one_is_used():
    with mock_aws():
        world = create_world(shards=1)
        env = function_environment(world, shards=1)
        assert env["BAN_IPV4_SHARD_IDS"] == ""
        assert env["BAN_IPV6_SHARD_IDS"] == ""
        store = DynamoDecisionStore.from_env(env)
        for value in ("203.0.113.7", "198.51.100.9", "2001:db8::5"):
            store.record(DecisionRequest(value, "ban", "log", "probing", timedelta(hours=1)))
        with environment(env):
            handler = load_handler("functions/ipset_sync", fresh=True)
            result = handler(load_event("schedule_ipset_sync"), LocalContext("ipset-sync"))
        assert result["groups"]["ban-v4"]["entries"] == 2
        waf = boto3.client("wafv2")
        ref = SetRef.from_arn(world.ip_sets["BanIpV4Shard1"], "CLOUDFRONT")
        assert sorted(waf.get_ip_set(**ref.key())["IPSet"]["Addresses"]) == [
            "198.51.100.9/32",
            "203.0.113.7/32",
        ]
