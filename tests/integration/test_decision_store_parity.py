"""One decision rule: the DynamoDB store (deployed) and the memory store (replay, demo,
tests) give identical outcomes for the same request sequence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from edgeguard.decisions import (
    BanPolicy,
    DecisionRequest,
    DecisionStore,
    DynamoDecisionStore,
    Escalation,
    MemoryStore,
)
from tests.template_tables import create_table

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
POLICY = BanPolicy.from_cidrs(["198.51.100.0/28"])
ESCALATION = Escalation(window=timedelta(hours=24), maximum=timedelta(hours=8))


@dataclass(frozen=True)
class Step:
    """At T0 + ``at`` hours: record ``value`` for ``hours`` (or lift it when ``lift``)."""

    at: float
    value: str
    hours: float = 1
    origin: str = "log"
    action: str = "ban"
    lift: bool = False


SEQUENCES = {
    "new": [Step(0, "203.0.113.7")],
    "repeat while active keeps the longest expiry": [
        Step(0, "203.0.113.7", 2),
        Step(0.5, "203.0.113.7", 1),
    ],
    "longer request extends": [Step(0, "203.0.113.7", 1), Step(0.5, "203.0.113.7", 3)],
    "shorter request leaves it unchanged": [Step(0, "203.0.113.7", 3), Step(1, "203.0.113.7", 1)],
    "repeat within the escalation window doubles": [
        Step(0, "203.0.113.7", 1),
        Step(2, "203.0.113.7", 1),
        Step(5, "203.0.113.7", 1),
        Step(10, "203.0.113.7", 1),
    ],
    "escalation stops at the maximum": [
        Step(0, "203.0.113.7", 3),
        Step(4, "203.0.113.7", 1),
        Step(11, "203.0.113.7", 1),
    ],
    "expired beyond the window starts again": [
        Step(0, "203.0.113.7", 1),
        Step(30, "203.0.113.7", 1),
    ],
    "lifted by an operator is forgotten": [
        Step(0, "203.0.113.7", 2),
        Step(1, "203.0.113.7", lift=True),
        Step(1.5, "203.0.113.7", 1),
    ],
    "lifting what is not active": [Step(0, "203.0.113.8", lift=True)],
    "allowlisted is refused": [Step(0, "198.51.100.3")],
    "private is refused": [Step(0, "10.1.2.3")],
    "too wide for an automated origin": [Step(0, "203.0.0.0/15")],
    "an operator may ban a /12": [Step(0, "203.0.0.0/12", origin="manual")],
    "not an address": [Step(0, "not-an-ip")],
    "IPv6 host widens to its /64": [Step(0, "2001:db8:1:2::7"), Step(0.1, "2001:db8:1:2::9", 2)],
    "actions are separate decisions": [
        Step(0, "203.0.113.7", 2, action="count"),
        Step(0, "203.0.113.7", 1, action="ban"),
    ],
}


def outcome_rows(store: DecisionStore, steps: list[Step]) -> list[tuple]:
    rows: list[tuple] = []
    for step in steps:
        now = T0 + timedelta(hours=step.at)
        if step.lift:
            lifted = store.remove(step.value, step.action, "alice", "false positive", now)
            rows.append(("lifted", lifted and (lifted.value, lifted.expires_at, lifted.lifted_by)))
            continue
        outcome = store.record(
            DecisionRequest(
                value=step.value,
                action=step.action,
                origin=step.origin,
                reason="parity",
                duration=timedelta(hours=step.hours),
            ),
            now,
        )
        d = outcome.decision
        rows.append(
            (
                outcome.status,
                outcome.reason,
                d and (d.value, d.scope, d.created_at, d.expires_at, d.strikes, d.events),
            )
        )
    rows.append(sorted((d.value, d.action, d.expires_at) for d in store.active(now)))
    return rows


@pytest.mark.parametrize("name", list(SEQUENCES))
def test_both_stores_decide_alike(name):
    steps = SEQUENCES[name]
    memory = outcome_rows(MemoryStore(POLICY, ESCALATION), steps)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        table = create_table(client, "DecisionsTable", "decisions-parity")
        dynamo = outcome_rows(DynamoDecisionStore(table, POLICY, ESCALATION, client), steps)
    assert memory == dynamo


def test_escalation_is_what_both_stores_do():
    """Pin the rule itself, so parity cannot pass by both being wrong the same way."""
    rows = outcome_rows(
        MemoryStore(POLICY, ESCALATION), SEQUENCES["repeat within the escalation window doubles"]
    )
    durations = [(r[2][3] - r[2][2], r[2][4]) for r in rows[:-1]]
    assert durations == [
        (timedelta(hours=1), 1),
        (timedelta(hours=2), 2),
        (timedelta(hours=4), 3),
        (timedelta(hours=8), 4),
    ]
