"""The enforcer reads only active decisions (the sparse index of template.yaml), never
misses one the stream names, and an upgraded table keeps every active ban. moto's
DynamoDB and WAF; reads are counted with botocore's event hooks."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import boto3
from moto import mock_aws

from edgeguard.decisions import DecisionRequest, DynamoDecisionStore
from edgeguard.waf.service import Enforcer, EnforcerSettings
from edgeguard.waf.sets import Retry, SetRef
from edgeguard_tools.events import load_event
from edgeguard_tools.local.handlers import LocalContext, environment, load_handler
from tests.decisions_support import create_world, function_environment, template

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


class Reads:
    """Counts the items DynamoDB examined for each kind of read call of one client."""

    def __init__(self, client) -> None:
        self.examined: dict[str, int] = {}
        for operation in ("Scan", "Query", "GetItem", "BatchGetItem"):
            client.meta.events.register(f"after-call.dynamodb.{operation}", self._seen)

    def _seen(self, parsed, model, **_kwargs) -> None:
        if model.name == "GetItem":
            count = 1 if "Item" in parsed else 0
        elif model.name == "BatchGetItem":
            count = sum(len(items) for items in parsed.get("Responses", {}).values())
        else:
            count = parsed.get("ScannedCount", parsed.get("Count", 0))
        self.examined[model.name] = self.examined.get(model.name, 0) + count


def ban(value: str, hours: float = 1.0, action: str = "ban") -> DecisionRequest:
    return DecisionRequest(value, action, "log", "t", timedelta(hours=hours))


def enforcer_and_store(world):
    env = function_environment(world)
    client = boto3.client("dynamodb")
    enforcer = Enforcer(
        EnforcerSettings.from_env(env), boto3.client("wafv2"), retry=Retry(sleep=lambda _s: None)
    )
    return enforcer, DynamoDecisionStore.from_env(env, client=client), client


def banned(world) -> list[str]:
    waf = boto3.client("wafv2")
    found: list[str] = []
    for logical, arn in world.ip_sets.items():
        if logical.startswith("BanIpV4"):
            found += waf.get_ip_set(**SetRef.from_arn(arn, "CLOUDFRONT").key())["IPSet"][
                "Addresses"
            ]
    return sorted(found)


def test_a_run_examines_only_active_decisions_not_the_history():
    with mock_aws():
        world = create_world()
        enforcer, store, client = enforcer_and_store(world)
        for i in range(120):  # history: bans that ended long ago, kept for escalation/audit
            store.record(ban(f"198.51.{i // 200}.{i % 200 + 1}"), now=T0 - timedelta(days=3))
        for i in range(5):
            store.record(ban(f"203.0.113.{i * 2}"), now=T0)
        store.record(ban("203.0.113.100", action="count"), now=T0)  # never enforced
        enforcer.run(store, now=T0)  # the first run backfills (nothing to do here)
        reads = Reads(client)
        report = enforcer.run(store, now=T0 + timedelta(minutes=1))
        assert banned(world) == sorted(f"203.0.113.{i * 2}/32" for i in range(5))
        assert reads.examined.get("Scan", 0) == 0
        assert reads.examined["Query"] == 5  # the active bans, not 126 stored items
        assert report.read_units > 0


def test_a_ban_the_stream_names_is_enforced_before_the_index_shows_it():
    with mock_aws():
        world = create_world()
        enforcer, store, client = enforcer_and_store(world)
        enforcer.run(store, now=T0)
        store.record(ban("203.0.113.7"), now=T0)
        # The index is eventually consistent: make it not show the new ban yet.
        client.update_item(
            TableName=world.table,
            Key={"value": {"S": "203.0.113.7/32"}, "action": {"S": "ban"}},
            UpdateExpression="REMOVE enforce_bucket",
        )
        enforcer.run(store, now=T0)
        assert banned(world) == []  # the schedule's index read cannot see it
        enforcer.run(store, now=T0, recent=[("203.0.113.7/32", "ban")])
        assert banned(world) == ["203.0.113.7/32"]


def test_the_handler_reads_the_stream_batch_keys_consistently():
    with mock_aws():
        world = create_world()
        env = function_environment(world)
        event = copy.deepcopy(load_event("dynamodb_decision_stream"))
        event["Records"] = event["Records"][:1]
        assert event["Records"][0]["dynamodb"]["Keys"]["value"]["S"] == "203.0.113.7/32"
        with environment(env):
            handler = load_handler("functions/ipset_sync", fresh=True)
            handler(load_event("schedule_ipset_sync"), LocalContext("ipset-sync"))
            DynamoDecisionStore.from_env(env).record(ban("203.0.113.7", hours=24))
            boto3.client("dynamodb").update_item(  # the index does not show it yet
                TableName=world.table,
                Key={"value": {"S": "203.0.113.7/32"}, "action": {"S": "ban"}},
                UpdateExpression="REMOVE enforce_bucket",
            )
            handler(load_event("schedule_ipset_sync"), LocalContext("ipset-sync"))
            assert banned(world) == []
            handler(event, LocalContext("ipset-sync"))
        assert banned(world) == ["203.0.113.7/32"]


def test_an_upgraded_table_keeps_every_active_ban():
    """A table created before the index (items without enforce_bucket) gets the index
    the way CloudFormation adds it (UpdateTable), and no active ban is lost."""
    with mock_aws():
        world = create_world(with_indexes=False)
        _, store, client = enforcer_and_store(world)
        for i in range(30):
            store.record(ban(f"203.0.113.{i * 2}"), now=T0)
        store.record(ban("198.51.100.9", action="captcha"), now=T0)
        store.record(ban("198.51.100.200", hours=1), now=T0 - timedelta(hours=2))  # ended
        for item in client.scan(TableName=world.table)["Items"]:  # as the old code wrote
            client.update_item(
                TableName=world.table,
                Key={"value": item["value"], "action": item["action"]},
                UpdateExpression="REMOVE enforce_bucket",
            )
        props = template()["Resources"]["DecisionsTable"]["Properties"]
        (index,) = props["GlobalSecondaryIndexes"]
        client.update_table(
            TableName=world.table,
            AttributeDefinitions=props["AttributeDefinitions"],
            GlobalSecondaryIndexUpdates=[{"Create": index}],
        )
        upgraded, fresh_store, _ = enforcer_and_store(world)  # the new code's cold start
        upgraded.run(fresh_store, now=T0 + timedelta(minutes=1))
        assert banned(world) == sorted(f"203.0.113.{i * 2}/32" for i in range(30))
        captcha = SetRef.from_arn(world.ip_sets["CaptchaIpV4"], "CLOUDFRONT")
        held = boto3.client("wafv2").get_ip_set(**captcha.key())["IPSet"]["Addresses"]
        assert held == ["198.51.100.9/32"]
        reads = Reads(client)
        upgraded.run(fresh_store, now=T0 + timedelta(minutes=2))
        assert reads.examined.get("Scan", 0) == 0  # backfilled at the cold start only
        assert banned(world) == sorted(f"203.0.113.{i * 2}/32" for i in range(30))
