"""Issue 14 item 6: many Lambdas recording the same value at once (one attacker seen in
many log files) all succeed, and the stored decision is exact: every writer's events
summed, the longest expiry kept."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from edgeguard.decisions import BanPolicy, DecisionRequest, DynamoDecisionStore
from tests.decisions_support import create_world

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
WRITERS = 32


@pytest.fixture
def store():
    with mock_aws():
        world = create_world()
        yield DynamoDecisionStore(world.table, BanPolicy(), client=boto3.client("dynamodb"))


def test_32_concurrent_writers_on_one_value_all_succeed_and_sum_exactly(store) -> None:
    def write(i: int):
        request = DecisionRequest(
            value="203.0.113.7",
            action="ban",
            origin="log",
            reason=f"writer-{i}",
            duration=timedelta(hours=1 + i % 7),
            events=i + 1,
        )
        return store.record(request, now=T0)

    with ThreadPoolExecutor(WRITERS) as pool:
        outcomes = list(pool.map(write, range(WRITERS)))  # re-raises any writer's error

    assert len(outcomes) == WRITERS
    assert [o.status for o in outcomes].count("created") == 1
    (stored,) = store.get("203.0.113.7")
    assert stored.events == sum(range(1, WRITERS + 1))  # 528: no write lost
    assert stored.expires_at == T0 + timedelta(hours=7)  # the longest wins
    assert stored.created_at == T0
