"""A blocklist importer wired like the deployed one, against moto and a real feed server.

The decisions table, WAF sets and alerts topic come from template.yaml
(tests.decisions_support), the state table too (tests.template_tables); feeds are served
by tests.feed_server on 127.0.0.1. Writes are counted with botocore's own event system on
the real clients; no edgeguard code is mocked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from edgeguard.blocklist.service import Importer, ImportReport, ImportSettings
from edgeguard.blocklist.state import StateStore
from edgeguard.decisions import Decision, DynamoDecisionStore
from edgeguard.notify.digest import AlertGate
from edgeguard.waf.service import Enforcer, EnforcerSettings
from edgeguard.waf.sets import Retry, SetRef
from edgeguard_tools.local.feed_server import FeedServer, Route, drop_json
from tests.decisions_support import (
    DecisionsWorld,
    alerts_seen,
    create_world,
    function_environment,
    template,
)
from tests.template_tables import create_table

FIXTURES = Path(__file__).parent / "fixtures" / "blocklist"
T0 = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def many(count: int, start: str = "20.0.0.0") -> list[str]:
    """``count`` distinct /32 addresses from ``start`` on, spaced so none aggregate."""
    import ipaddress  # noqa: PLC0415

    base = int(ipaddress.ip_address(start))
    return [f"{ipaddress.ip_address(base + 2 * n)}/32" for n in range(count)]


class WriteCounter:
    """Counts write calls per table on a real boto3 client."""

    def __init__(self, client: Any) -> None:
        self.by_table: dict[str, int] = {}
        client.meta.events.register("before-parameter-build.dynamodb", self._count)

    def _count(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name not in WRITES:
            return
        tables = params.get("RequestItems", {}).keys() or [params.get("TableName", "")]
        for table in tables:
            self.by_table[table] = self.by_table.get(table, 0) + 1

    def take(self, table: str) -> int:
        return self.by_table.pop(table, 0)


@dataclass
class Rig:
    world: DecisionsWorld
    server: FeedServer
    state_table: str
    importer: Importer
    store: DynamoDecisionStore
    enforcer: Enforcer
    waf: Any
    writes: WriteCounter
    waf_updates: list[int] = field(default_factory=list)

    def run(self, at: datetime) -> ImportReport:
        return self.importer.run(at)

    def enforce(self, at: datetime) -> int:
        """One enforcer run at ``at``; the UpdateIPSet calls it made."""
        return self.enforcer.run(self.store, at).updates

    def decision_writes(self) -> int:
        return self.writes.take(self.world.table)

    def active(self, at: datetime, origin: str = "blocklist") -> dict[tuple[str, str], Decision]:
        return {(d.value, d.action): d for d in self.store.active(at) if d.origin == origin}

    def waf_entries(self, logical_ids: tuple[str, ...]) -> set[str]:
        found: set[str] = set()
        for logical_id in logical_ids:
            ref = SetRef.from_arn(self.world.ip_sets[logical_id], "CLOUDFRONT")
            found |= set(self.waf.get_ip_set(**ref.key())["IPSet"]["Addresses"])
        return found

    def alerts(self) -> list[dict[str, Any]]:
        return alerts_seen(self.world)


def importer_environment(world: DecisionsWorld, state_table: str, **extra: str) -> dict[str, str]:
    """BlocklistImportFunction's environment: the template's parameter defaults, this
    world's tables and topic, and ``extra``."""
    variables = template()["Resources"]["BlocklistImportFunction"]["Properties"]["Environment"][
        "Variables"
    ]
    parameters = world.parameters
    env: dict[str, str] = {}
    for name, value in variables.items():
        if isinstance(value, dict) and "Ref" in value and value["Ref"] in parameters:
            env[name] = parameters[value["Ref"]]
    env.update(
        BLOCKLIST_STATE_TABLE=state_table,
        DECISIONS_TABLE=world.table,
        ALERTS_TOPIC_ARN=world.topic_arn,
        FETCH_TIMEOUT_SECONDS="1",
    )
    env.update(extra)
    return env


def make_rig(server: FeedServer, feeds: list[dict[str, Any]], **extra: str) -> Rig:
    """Inside mock_aws: the world, the state table and an importer for ``feeds`` (their
    ``path`` becomes a URL on ``server``)."""
    world = create_world()
    client = boto3.client("dynamodb")
    writes = WriteCounter(client)
    state_table = create_table(client, "BlocklistStateTable", "test-blocklist-state")
    configured = [
        {**{k: v for k, v in f.items() if k != "path"}, "url": server.url(f["path"])} for f in feeds
    ]
    env = importer_environment(world, state_table, BLOCKLIST_FEEDS=json.dumps(configured), **extra)
    store = DynamoDecisionStore.from_env(env, client=client)
    importer = Importer(
        ImportSettings.from_env(env),
        store,
        StateStore(client, state_table),
        sns=boto3.client("sns"),
        gate=AlertGate(client, state_table),
    )
    waf = boto3.client("wafv2")
    enforcer = Enforcer(
        EnforcerSettings.from_env(function_environment(world)),
        waf,
        boto3.client("sns"),
        Retry(attempts=6, sleep=lambda _s: None),
    )
    return Rig(world, server, state_table, importer, store, enforcer, waf, writes)


__all__ = ["T0", "FeedServer", "Route", "drop_json", "fixture", "make_rig", "many"]
