"""LocalCloud on the real template.yaml: resources exist in moto, the SNS wiring delivers."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from edgeguard.decisions import DecisionRequest, DynamoDecisionStore
from edgeguard.notify.alert import Alert, publish
from edgeguard_tools.local.cloud import DeliveryError, LocalCloud
from edgeguard_tools.local.telegram_server import Fault


@pytest.fixture
def cloud():
    with LocalCloud(quiet=True) as running:
        yield running


def test_stateful_resources_exist_in_moto(cloud):
    topics = [t["TopicArn"] for t in cloud.client("sns").list_topics()["Topics"]]
    assert cloud.resource("AlertsTopic") in topics
    assert cloud.resource("AlertsTopic").endswith(":edgeguard-dev-alerts")
    name, set_id, scope = cloud.resource("BanIpV4Shard2").split("|")
    ip_set = cloud.client("wafv2").get_ip_set(Name=name, Scope=scope, Id=set_id)["IPSet"]
    assert ip_set["IPAddressVersion"] == "IPV4" and scope == "CLOUDFRONT"
    assert "BanIpV4Shard3" not in cloud.physical  # condition BanShard3 is false by default
    buckets = {b["Name"] for b in cloud.client("s3").list_buckets()["Buckets"]}
    assert cloud.resource("LogBucket") == "edgeguard-dev-logs-123456789012"
    assert {cloud.resource("LogBucket"), cloud.resource("WafLogBucket")} <= buckets
    key = cloud.client("kms").describe_key(KeyId=cloud.attribute("EdgeguardKey", "Arn"))
    assert key["KeyMetadata"]["Enabled"]
    assert cloud.skipped == {}


def test_parameters_change_what_is_created():
    with LocalCloud({"Environment": "prod", "BanShardsPerIpVersion": 4}, quiet=True) as cloud:
        assert cloud.resource("AlertsTopic").endswith(":edgeguard-prod-alerts")
        assert cloud.resource("BanIpV6Shard4").startswith("edgeguard-prod-ban-v6-4|")


def test_function_environment_is_resolved_from_the_template(cloud):
    env = cloud.function_environment("NotifierFunction")
    assert env["TELEGRAM_TOKEN_SECRET"] == cloud.resource("TelegramBotTokenSecret")
    assert env["TELEGRAM_API_BASE"] == cloud.telegram.base_url
    assert env["TELEGRAM_CHAT_ID"] == "42"
    assert env["EDGEGUARD_ENVIRONMENT"] == "dev"  # from Globals
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "edgeguard-dev-notifier"


def test_sns_alert_reaches_telegram_through_the_real_notifier(cloud):
    alert = Alert(kind="ban", title="Banned <203.0.113.7>", severity="high", fields={"n": 3})
    publish(cloud.client("sns"), cloud.resource("AlertsTopic"), alert)
    assert [m["text"].splitlines()[0] for m in cloud.telegram_messages] == [
        "🔴 Banned <203.0.113.7>"
    ]
    # The log analyzer also runs once: it drains S3's s3:TestEvent from its queue.
    (call,) = [c for c in cloud.invocations if c.logical_id != "LogAnalyzerFunction"]
    assert call.logical_id == "NotifierFunction" and call.result["messages_sent"] == 1
    record = call.event["Records"][0]
    assert record["EventSource"] == "aws:sns"
    assert json.loads(record["Sns"]["Message"])["title"] == "Banned <203.0.113.7>"


def test_failed_delivery_is_retried_then_lands_in_the_dead_letter_queue():
    with LocalCloud(quiet=True, raise_errors=False) as cloud:
        cloud.telegram.queue(*[Fault(status=400, description="Bad Request: chat not found")] * 3)
        cloud.client("sns").publish(TopicArn=cloud.resource("AlertsTopic"), Message="hello")
        assert cloud.telegram_messages == []
        ran = [c.logical_id for c in cloud.invocations if c.logical_id != "LogAnalyzerFunction"]
        assert ran == ["NotifierFunction"] * 3  # (the analyzer drains S3's s3:TestEvent)
        assert len(cloud.failures) == 1
        dlq = cloud.client("sqs").receive_message(
            QueueUrl=cloud.resource("NotifierDeadLetterQueue")
        )
        assert json.loads(dlq["Messages"][0]["Body"])["Records"][0]["Sns"]["Message"] == "hello"


def test_a_delivery_that_fails_is_raised_by_default(cloud):
    cloud.telegram.queue(*[Fault(status=401)] * 3)
    with pytest.raises(DeliveryError, match="NotifierFunction failed on topic AlertsTopic"):
        cloud.client("sns").publish(TopicArn=cloud.resource("AlertsTopic"), Message="hello")


def test_invoke_runs_one_function_with_its_environment(cloud):
    event = {"Records": [{"Sns": {"Message": "plain text alert", "Subject": None}}]}
    result = cloud.invoke("NotifierFunction", event)
    assert result == {"records": 1, "messages_sent": 1, "skipped_reason": None}
    assert cloud.telegram_messages[0]["text"] == "plain text alert"


def test_alarm_state_change_reaches_telegram_through_the_alarm_action(cloud):
    """NotifierDeadLetterAlarm's AlarmActions publish on AlertsTopic, as in AWS."""
    reached = cloud.set_alarm_state("NotifierDeadLetterAlarm", "ALARM", "1 message waiting")
    assert reached == ["AlertsTopic"]
    (message,) = cloud.telegram_messages
    assert "edgeguard-dev-notifier-undelivered" in message["text"]
    sns_record = cloud.invocations[-1].event["Records"][0]["Sns"]
    assert (
        sns_record["Subject"]
        == 'ALARM: "edgeguard-dev-notifier-undelivered" in US East (N. Virginia)'
    )
    body = json.loads(sns_record["Message"])
    assert body["NewStateValue"] == "ALARM" and body["OldStateValue"] == "INSUFFICIENT_DATA"
    assert body["Trigger"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert body["Trigger"]["Dimensions"] == [
        {"value": "edgeguard-dev-notifier-dlq", "name": "QueueName"}
    ]
    # no change, no notification
    assert cloud.set_alarm_state("NotifierDeadLetterAlarm", "ALARM") == []
    assert len(cloud.telegram_messages) == 1


def banned(cloud) -> list[str]:
    waf = cloud.client("wafv2")
    found = []
    for shard in ("BanIpV4Shard1", "BanIpV4Shard2"):
        name, set_id, scope = cloud.resource(shard).split("|")
        found += waf.get_ip_set(Name=name, Scope=scope, Id=set_id)["IPSet"]["Addresses"]
    return sorted(found)


def test_decision_stream_and_schedule_drive_the_real_enforcer(cloud):
    """template.yaml: DecisionsTable stream -> IpSetSyncFunction, then its rate(1 minute)."""
    env = cloud.function_environment("IpSetSyncFunction")
    store = DynamoDecisionStore.from_env(env, client=cloud.client("dynamodb"))
    before = len(cloud.invocations)
    store.record(DecisionRequest("203.0.113.7", "ban", "log", "probing", timedelta(minutes=3)))
    # the write reached the enforcer through the table's stream, synchronously
    assert [c.source for c in cloud.invocations[before:]] == ["stream DecisionsTable"]
    assert banned(cloud) == ["203.0.113.7/32"]
    # the schedule lifts the ban once it has expired (edgeguard.clock moves with tick)
    cloud.tick(5)
    assert banned(cloud) == []
    assert "schedule IpSetSyncFunctionEveryMinute" in [c.source for c in cloud.invocations]
