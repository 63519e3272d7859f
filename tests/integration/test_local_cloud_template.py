"""LocalCloud on the real template.yaml: resources exist in moto, the SNS wiring delivers."""

from __future__ import annotations

import json

import pytest

from edgeguard.local.cloud import DeliveryError, LocalCloud
from edgeguard.local.telegram_server import Fault
from edgeguard.notify.alert import Alert, publish


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
    (call,) = cloud.invocations
    assert call.logical_id == "NotifierFunction" and call.result["messages_sent"] == 1
    record = call.event["Records"][0]
    assert record["EventSource"] == "aws:sns"
    assert json.loads(record["Sns"]["Message"])["title"] == "Banned <203.0.113.7>"


def test_failed_delivery_is_retried_then_lands_in_the_dead_letter_queue():
    with LocalCloud(quiet=True, raise_errors=False) as cloud:
        cloud.telegram.queue(*[Fault(status=400, description="Bad Request: chat not found")] * 3)
        cloud.client("sns").publish(TopicArn=cloud.resource("AlertsTopic"), Message="hello")
        assert cloud.telegram_messages == []
        assert [c.logical_id for c in cloud.invocations] == ["NotifierFunction"] * 3
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
