"""Operator exceptions, bulk recording and early ends behave the same in the DynamoDB
store (moto, the template's table) and the memory store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from edgeguard.decisions import DecisionRequest, DynamoDecisionStore, MemoryStore
from tests.template_tables import create_table

T0 = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
FEED = "1.19.0.0/16"


@pytest.fixture(params=["dynamodb", "memory"])
def store(request):
    if request.param == "memory":
        yield MemoryStore()
        return
    with mock_aws():
        client = boto3.client("dynamodb")
        yield DynamoDecisionStore(
            create_table(client, "DecisionsTable", "decisions"), client=client
        )


def req(value: str = FEED, origin: str = "blocklist", hours: float = 48) -> DecisionRequest:
    return DecisionRequest(value, "ban", origin, "spamhaus-drop", timedelta(hours=hours))


def test_an_exception_refuses_its_origin_only_until_removed(store):
    store.add_exception(FEED, "blocklist", "alice", "partner network", now=T0)

    refused = store.record(req(), T0)
    assert refused.status == "refused" and "excepted from blocklist" in refused.reason
    assert "alice" in refused.reason and "reinstate" in refused.reason
    assert [o.status for o in store.record_many([req(), req("2.56.192.0/22")], T0)] == [
        "refused",
        "created",
    ]
    assert store.record(req(origin="log", hours=1), T0).status == "created"  # not excepted
    (listed,) = store.exceptions()
    assert (listed.value, listed.who, listed.why) == (FEED, "alice", "partner network")
    # an exception is never a decision: not active, not enforceable, not in get()
    assert {d.origin for d in store.active(T0)} == {"blocklist", "log"}
    assert all(d.action == "ban" for d in store.get(FEED))
    assert len(store.read_enforceable(T0).decisions) == 2

    assert store.remove_exception(FEED, "blocklist").who == "alice"
    assert store.exceptions() == [] and store.remove_exception(FEED, "blocklist") is None
    assert store.record(req(), T0 + timedelta(minutes=1)).status == "extended"


def test_end_shortens_only_a_decision_its_origin_still_owns(store):
    store.record(req(), T0)
    assert store.end(FEED, "ban", T0 + timedelta(hours=24), "blocklist")
    (decision,) = store.active(T0)
    assert decision.expires_at == T0 + timedelta(hours=24)
    assert not store.end(FEED, "ban", T0 + timedelta(hours=30), "blocklist")  # not earlier
    store.record(req(origin="log", hours=40), T0)  # a longer log ban takes it over
    assert not store.end(FEED, "ban", T0 + timedelta(hours=1), "blocklist")
    assert store.active(T0 + timedelta(hours=39))[0].origin == "log"


def test_a_blocklist_entry_never_escalates(store):
    store.record(req(hours=2), T0)
    store.end(FEED, "ban", T0 + timedelta(hours=1), "blocklist")
    again = store.record(req(hours=2), T0 + timedelta(hours=3))
    assert again.status == "created" and again.decision.duration == timedelta(hours=2)
    assert again.decision.strikes == 1
