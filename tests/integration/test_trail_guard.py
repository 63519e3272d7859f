"""The fast path: CloudTrail API events reach functions/trail_guard (in process, moto)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from edgeguard_tools.events import load_event
from edgeguard_tools.local.handlers import LocalContext, environment, load_handler
from tests.template_tables import create_table

REGION = "us-east-1"
TRAIL = "management-events"
GUARD_ROLE = "arn:aws:iam::123456789012:role/edgeguard-dev-TrailGuardFunctionRole-1AB2C3D4"
DEFAULT_SELECTORS = [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}]


@dataclass
class Cloud:
    cloudtrail: Any
    sqs: Any
    queue_url: str
    handler: Any
    snapshot_table: str

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        return self.handler(event, LocalContext(function_name="edgeguard-dev-trail-guard"))

    def alerts(self) -> list[dict[str, Any]]:
        found = []
        while True:
            got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            messages = got.get("Messages", [])
            if not messages:
                return found
            for message in messages:
                body = json.loads(message["Body"])
                found.append(json.loads(body["Message"]))
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def logging(self) -> bool:
        return bool(self.cloudtrail.get_trail_status(Name=TRAIL)["IsLogging"])


def _cloud(protected: str = "*") -> Iterator[Cloud]:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in ("org-audit-logs", "exfil-logs-7731"):
            s3.create_bucket(Bucket=bucket)
        cloudtrail = boto3.client("cloudtrail", region_name=REGION)
        cloudtrail.create_trail(
            Name=TRAIL,
            S3BucketName="org-audit-logs",
            IsMultiRegionTrail=True,
            EnableLogFileValidation=True,
        )
        cloudtrail.put_event_selectors(TrailName=TRAIL, EventSelectors=DEFAULT_SELECTORS)
        cloudtrail.start_logging(Name=TRAIL)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_table(dynamodb, "IdempotencyTable", "idem")
        create_table(dynamodb, "TrailSnapshotTable", "snapshots")
        sns = boto3.client("sns", region_name=REGION)
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="alerts-copy")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        env = {
            "ALERTS_TOPIC_ARN": topic,
            "PROTECTED_TRAILS": protected,
            "TRAIL_SNAPSHOT_TABLE": "snapshots",
            "IDEMPOTENCY_TABLE": "idem",
            "SUITE_ROLE_ARNS": GUARD_ROLE,
            "RESTORE_TRAIL_CONFIGURATION": "true",
            "AWS_REGION": REGION,
        }
        with environment(env):
            handler = load_handler("functions/trail_guard", fresh=True)
            yield Cloud(cloudtrail, sqs, queue_url, handler, "snapshots")


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    yield from _cloud()


def _stop(cloud: Cloud) -> dict[str, Any]:
    cloud.cloudtrail.stop_logging(Name=TRAIL)
    return load_event("cloudtrail_stop_logging")


def test_stop_logging_is_undone_and_the_alert_names_who_where_when(cloud: Cloud) -> None:
    event = _stop(cloud)
    assert not cloud.logging()

    result = cloud.invoke(event)

    assert cloud.logging()
    assert result["action"] == "restarted"
    (alert,) = cloud.alerts()
    assert alert["severity"] == "high"
    assert "management-events" in alert["title"]
    fields = alert["fields"]
    assert (
        fields["actor"]
        == "arn:aws:sts::123456789012:assumed-role/DevOpsAdmin/mallory (AssumedRole)"
    )
    assert fields["access key"] == "ASIA3EXAMPLEKEY7ABCD"
    assert fields["role (session issuer)"] == "arn:aws:iam::123456789012:role/DevOpsAdmin"
    assert fields["from"] == "198.51.100.24"
    assert fields["user agent"].startswith("aws-cli/2.22.4")
    assert fields["when"] == "2026-11-21T22:14:03Z"
    assert any("verified" in line for line in fields["undone"])


def test_a_duplicate_delivery_is_remediated_and_announced_once(cloud: Cloud) -> None:
    event = _stop(cloud)
    cloud.invoke(event)
    cloud.cloudtrail.stop_logging(Name=TRAIL)  # a later stop that raised no event here

    again = cloud.invoke(copy.deepcopy(event))

    assert again["action"] == "restarted"  # the first result, replayed
    assert not cloud.logging()  # no second StartLogging for the same event
    assert len(cloud.alerts()) == 1


def test_the_suites_own_calls_are_ignored(cloud: Cloud) -> None:
    event = load_event("cloudtrail_update_trail")
    identity = event["detail"]["userIdentity"]
    identity["arn"] = (
        "arn:aws:sts::123456789012:assumed-role/edgeguard-dev-TrailGuardFunctionRole-1AB2C3D4/edgeguard-dev-trail-guard"
    )
    identity["sessionContext"]["sessionIssuer"]["arn"] = GUARD_ROLE

    result = cloud.invoke(event)

    assert result["action"] == "ignored"
    assert cloud.alerts() == []


def test_update_trail_is_restored_from_the_recorded_configuration(cloud: Cloud) -> None:
    recorded = cloud.invoke(load_event("scheduled_trail_snapshot"))
    assert recorded["recorded"] == [TRAIL]
    cloud.cloudtrail.update_trail(
        Name=TRAIL, S3BucketName="exfil-logs-7731", EnableLogFileValidation=False
    )

    result = cloud.invoke(load_event("cloudtrail_update_trail"))

    trail = cloud.cloudtrail.get_trail(Name=TRAIL)["Trail"]
    assert trail["S3BucketName"] == "org-audit-logs"
    assert trail["LogFileValidationEnabled"] is True
    assert result["action"] == "restored"
    (alert,) = cloud.alerts()
    assert "S3 bucket: exfil-logs-7731" in alert["fields"]["changed"]
    assert "log file validation: false" in alert["fields"]["changed"]
    assert any(line.startswith("trail settings back to") for line in alert["fields"]["undone"])


def test_update_trail_without_a_recorded_configuration_says_what_was_not_undone(
    cloud: Cloud,
) -> None:
    cloud.cloudtrail.update_trail(Name=TRAIL, S3BucketName="exfil-logs-7731")

    result = cloud.invoke(load_event("cloudtrail_update_trail"))

    assert result["action"] == "failed"
    assert cloud.cloudtrail.get_trail(Name=TRAIL)["Trail"]["S3BucketName"] == "exfil-logs-7731"
    (alert,) = cloud.alerts()
    assert alert["severity"] == "critical"
    assert any("no recorded configuration" in line for line in alert["fields"]["not undone"])


def test_put_event_selectors_is_restored(cloud: Cloud) -> None:
    cloud.invoke(load_event("scheduled_trail_snapshot"))
    cloud.cloudtrail.put_event_selectors(
        TrailName=TRAIL,
        EventSelectors=[{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": False}],
    )

    cloud.invoke(load_event("cloudtrail_put_event_selectors"))

    selectors = cloud.cloudtrail.get_event_selectors(TrailName=TRAIL)["EventSelectors"]
    assert selectors[0]["ReadWriteType"] == "All"
    assert selectors[0]["IncludeManagementEvents"] is True


def test_delete_trail_is_reported_with_the_last_recorded_configuration(cloud: Cloud) -> None:
    cloud.invoke(load_event("scheduled_trail_snapshot"))
    cloud.cloudtrail.delete_trail(Name=TRAIL)

    result = cloud.invoke(load_event("cloudtrail_delete_trail"))

    assert result["action"] == "failed"
    (alert,) = cloud.alerts()
    assert alert["severity"] == "critical"
    not_undone = " ".join(alert["fields"]["not undone"])
    assert "cannot be undone automatically" in not_undone
    assert "org-audit-logs" in not_undone


def test_a_refused_call_is_reported_and_nothing_is_touched(cloud: Cloud) -> None:
    event = load_event("cloudtrail_stop_logging")
    event["detail"]["errorCode"] = "AccessDenied"
    event["detail"]["errorMessage"] = "User is not authorized to perform: cloudtrail:StopLogging"

    result = cloud.invoke(event)

    assert result["action"] == "reported"
    (alert,) = cloud.alerts()
    assert alert["severity"] == "medium"
    assert alert["fields"]["error"].startswith("AccessDenied")


def test_a_stopped_trail_is_not_recorded_as_the_configuration_to_restore(cloud: Cloud) -> None:
    cloud.cloudtrail.stop_logging(Name=TRAIL)

    report = cloud.invoke(load_event("scheduled_trail_snapshot"))

    assert report["recorded"] == []
    assert "not logging" in report["skipped"][TRAIL]


def test_a_malformed_event_is_ignored_not_crashed(cloud: Cloud) -> None:
    event = load_event("cloudtrail_stop_logging")
    event["detail"]["requestParameters"] = {"name": "no spaces allowed here"}

    result = cloud.invoke(event)

    assert result["action"] == "ignored"
    assert cloud.alerts() == []


def test_an_unprotected_trail_is_reported_not_touched() -> None:
    for cloud in _cloud(protected="prod-trail"):
        event = _stop(cloud)
        result = cloud.invoke(event)
        assert result["action"] == "reported"
        assert not cloud.logging()
        (alert,) = cloud.alerts()
        assert "not a protected trail" in alert["fields"]["not undone"][0]
