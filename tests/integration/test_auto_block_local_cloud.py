"""Acceptance: the auto_block state machine executed in the local cloud (issue 5).

The alarm event goes in through the template's own EventBridge rule; moto runs
statemachines/auto_block.asl.json; the collect and record functions run in process
with their template environment; alerts reach the Telegram stand-in through the
alerts topic and the notifier. WAF's observations are seeded with moto_ext.
"""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from edgeguard.clock import utcnow
from edgeguard.decisions import DynamoDecisionStore
from edgeguard_tools.local import moto_ext
from edgeguard_tools.local.cloud import LocalCloud
from edgeguard_tools.local.stepfunctions import failed_states, output
from tests.alarm_support import alarm_event, create_edge_web_acl, managed_group_metric


@pytest.fixture
def cloud():
    with LocalCloud(quiet=True) as running:
        name = running.function_environment("AlarmCollectFunction")["WEB_ACL_NAME"]
        waf = running.client("wafv2")
        existing = [
            a for a in waf.list_web_acls(Scope="CLOUDFRONT")["WebACLs"] if a["Name"] == name
        ]
        arn = existing[0]["ARN"] if existing else create_edge_web_acl(waf, name)["ARN"]
        yield running, arn


def _alarm(cloud):
    prefix = cloud.function_environment("AlarmCollectFunction")["WEB_ACL_NAME"].rsplit("-", 1)[0]
    return alarm_event(f"{prefix}-waf-blocked", utcnow())


def _execution(cloud):
    sfn = cloud.client("stepfunctions")
    listed = sfn.list_executions(stateMachineArn=cloud.resource("AutoBlockStateMachine"))
    (execution,) = listed["executions"]
    return sfn.describe_execution(executionArn=execution["executionArn"])


def _store(cloud):
    return DynamoDecisionStore(cloud.resource("DecisionsTable"), client=cloud.client("dynamodb"))


def _telegram_titles(cloud):
    return [str(m["text"]).splitlines()[0] for m in cloud.telegram_messages]


def test_alarm_with_offenders_bans_them_and_tells_the_team(cloud):
    running, arn = cloud
    moto_ext.seed_rate_limited(arn, "edgeguard-rate", ["203.0.113.7", "2001:db8:1::5"])
    blocked = [
        {
            "Request": {"ClientIP": "198.51.100.9", "URI": "/wp-login.php"},
            "Weight": 40,
            "Timestamp": utcnow() - timedelta(minutes=2),
        },
    ]
    moto_ext.seed_sampled_requests(arn, managed_group_metric(running.client("wafv2"), arn), blocked)

    targets = running.put_event(_alarm(running))

    assert targets == ["AutoBlockStateMachine"]
    execution = _execution(running)
    assert execution["status"] == "SUCCEEDED"
    assert output(execution)["record"]["Payload"]["recorded"] == 3
    decisions = {d.value: d for d in _store(running).active()}
    assert set(decisions) == {"203.0.113.7/32", "2001:db8:1::/64", "198.51.100.9/32"}
    assert {d.origin for d in decisions.values()} == {"alarm"}
    assert all(d.action == "ban" for d in decisions.values())
    assert any("3 addresses banned" in t for t in _telegram_titles(running))
    assert "198.51.100.9/32 (40 blocked requests sampled)" in str(
        running.telegram_messages[-1]["text"]
    )


def test_alarm_with_no_offender_notifies_and_ends(cloud):
    running, arn = cloud
    moto_ext.seed_sampled_requests(
        arn,
        managed_group_metric(running.client("wafv2"), arn),
        [{"Request": {"ClientIP": "198.51.100.9"}, "Weight": 2}],
    )
    running.put_event(_alarm(running))
    execution = _execution(running)
    assert execution["status"] == "SUCCEEDED"
    assert output(execution)["collect"]["Payload"]["count"] == 0
    assert _store(running).active() == []
    assert any("no offender to ban" in t for t in _telegram_titles(running))


def test_throttled_collection_is_retried_and_recovers(cloud):
    running, arn = cloud
    moto_ext.seed_rate_limited(arn, "edgeguard-rate", ["203.0.113.7"])
    calls = []

    def throttle_first(**_):
        calls.append(1)
        if len(calls) == 1:
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}},
                "GetRateBasedStatementManagedKeys",
            )

    # The collect function builds its wafv2 client at cold start from boto3's default
    # session; clients copy the session's event hooks when they are created.
    session = boto3._get_default_session()
    session.events.register("before-call.wafv2.GetRateBasedStatementManagedKeys", throttle_first)
    try:
        running.put_event(_alarm(running))
    finally:
        session.events.unregister(
            "before-call.wafv2.GetRateBasedStatementManagedKeys", throttle_first
        )
    execution = _execution(running)
    assert execution["status"] == "SUCCEEDED"
    assert len(calls) == 2
    failures = failed_states(running.client("stepfunctions"), execution["executionArn"])
    assert any(f.get("error") == "Throttled" for f in failures)
    assert [d.value for d in _store(running).active()] == ["203.0.113.7/32"]


def test_a_failing_record_step_ends_notified(cloud):
    running, arn = cloud
    moto_ext.seed_rate_limited(arn, "edgeguard-rate", ["203.0.113.7"])

    def deny(**_):
        raise ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}},
            "UpdateItem",
        )

    # The record function's store builds its DynamoDB client at cold start from the
    # default session, so the hook reaches it (as an IAM mistake would).
    session = boto3._get_default_session()
    session.events.register("before-call.dynamodb.UpdateItem", deny)
    try:
        running.put_event(_alarm(running))
    finally:
        session.events.unregister("before-call.dynamodb.UpdateItem", deny)

    execution = _execution(running)
    assert execution["status"] == "FAILED"
    assert execution["error"] == "AutoBlockFailed"
    assert _store(running).active() == []
    titles = _telegram_titles(running)
    assert any("WAF alarm auto-block failed" in t for t in titles)
    text = str(running.telegram_messages[-1]["text"])
    assert "AccessDeniedException" in text
