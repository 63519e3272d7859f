"""Blocklist import at scale: a 50,000-entry Spamhaus-DROP-style feed (JSON lines) served
by the local feed host on 127.0.0.1, imported into the decisions table (moto, the
template's schema) and enforced into the template's largest WAF layout (10 ban shards
per IP version).

Figures:
- first import: wall time, decision-table write calls (one conditional UpdateItem per new
  entry), BatchGetItem calls (one per 50 entries), state-table writes (the feed item and
  the compressed entry-list chunks), then the enforcer's UpdateIPSet calls;
- the same feed again (304 Not Modified): time, decision writes, WAF writes (both 0);
- the same body from a host without validators (200, same SHA-256): the same;
- 1 % of the entries replaced: decision writes (500 added + 500 ended) and WAF writes.
Times are moto's and include its in-process DynamoDB: they bound the importer's own cost,
not AWS latency (DynamoDB answers a write in single-digit milliseconds).
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import boto3
from moto import mock_aws

from edgeguard.blocklist.service import Importer, ImportSettings
from edgeguard.blocklist.state import StateStore
from edgeguard.decisions import DynamoDecisionStore
from edgeguard.waf.service import Enforcer, EnforcerSettings
from edgeguard.waf.sets import Retry
from edgeguard_tools.local.feed_server import FeedServer, Route, drop_json
from tests.blocklist_support import WriteCounter, importer_environment, many
from tests.decisions_support import create_world, function_environment
from tests.template_tables import create_table

ENTRIES = int(os.environ.get("BENCH_BLOCKLIST_ENTRIES", "50000"))
CHURN = ENTRIES // 100
NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


class Calls:
    """Counts BatchGetItem calls on a client."""

    def __init__(self, client: object) -> None:
        self.batch_gets = 0
        client.meta.events.register("before-call.dynamodb.BatchGetItem", self._count)  # type: ignore[attr-defined]

    def _count(self, **_: object) -> None:
        self.batch_gets += 1


def run() -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    entries = many(ENTRIES, "20.0.0.0")
    with mock_aws(), FeedServer() as server:
        server.routes["/drop_v4.json"] = Route(drop_json(entries), "application/json")
        world = create_world(shards=10)
        client = boto3.client("dynamodb")
        writes, calls = WriteCounter(client), Calls(client)
        state_table = create_table(client, "BlocklistStateTable", "bench-blocklist-state")
        feeds = json.dumps([{"name": "spamhaus-drop", "url": server.url("/drop_v4.json")}])
        env = importer_environment(world, state_table, BLOCKLIST_FEEDS=feeds)
        env["FETCH_TIMEOUT_SECONDS"] = "60"
        store = DynamoDecisionStore.from_env(env, client=client)
        importer = Importer(ImportSettings.from_env(env), store, StateStore(client, state_table))
        enforcer = Enforcer(
            EnforcerSettings.from_env(function_environment(world, shards=10)),
            boto3.client("wafv2"),
            boto3.client("sns"),
            Retry(attempts=6, sleep=lambda _s: None),
        )

        def step(label: str, at: datetime) -> None:
            started = time.perf_counter()
            report = importer.run(at)
            seconds = time.perf_counter() - started
            table = writes.take(world.table)
            state = writes.take(state_table)
            gets, calls.batch_gets = calls.batch_gets, 0
            waf = enforcer.run(store, at).updates
            (feed,) = report.feeds
            rows.append(
                (
                    f"{label}: import",
                    f"{seconds:.1f} s, {feed.status}, +{feed.added} -{feed.ended} "
                    f"renewed {feed.renewed}",
                )
            )
            rows.append(
                (
                    f"{label}: writes",
                    f"{table} decision-table, {state} state-table, {gets} BatchGetItem, "
                    f"{waf} UpdateIPSet",
                )
            )

        step(f"first import ({ENTRIES:,})", NOW)
        step("same feed again (304)", NOW + HOUR)
        server.routes["/drop_v4.json"] = Route(
            drop_json(entries), "application/json", conditional=False
        )
        step("same body, no validators", NOW + 2 * HOUR)
        changed = entries[CHURN:] + many(CHURN, "60.0.0.0")
        server.routes["/drop_v4.json"] = Route(drop_json(changed), "application/json")
        step(f"{CHURN} replaced (1 %)", NOW + 3 * HOUR)
    return rows


if __name__ == "__main__":
    for label, value in run():
        print(f"{label:<40} {value}")
