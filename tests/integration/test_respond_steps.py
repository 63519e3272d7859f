"""The respond state machine's tasks, called through functions/respond (in process, moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from edgeguard.response import securityhub
from edgeguard.response.cloudtrail import NotLoggingYet, Throttled
from edgeguard_tools.events import load_event
from edgeguard_tools.local import moto_ext
from edgeguard_tools.local.handlers import LocalContext, environment, load_handler
from tests.template_tables import create_table

REGION = "us-east-1"
TRAIL = "management-events"


@dataclass
class Cloud:
    cloudtrail: Any
    sqs: Any
    queue_url: str
    handler: Any

    def step(self, step: str, **payload: Any) -> dict[str, Any]:
        return self.handler({"step": step, **payload}, LocalContext(function_name="respond"))

    def alerts(self) -> list[dict[str, Any]]:
        got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
        return [json.loads(json.loads(m["Body"])["Message"]) for m in got.get("Messages", [])]

    def logging(self) -> bool:
        return bool(self.cloudtrail.get_trail_status(Name=TRAIL)["IsLogging"])


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(Bucket="org-audit-logs")
        cloudtrail = boto3.client("cloudtrail", region_name=REGION)
        cloudtrail.create_trail(Name=TRAIL, S3BucketName="org-audit-logs")
        create_table(boto3.client("dynamodb", region_name=REGION), "IdempotencyTable", "idem")
        sns = boto3.client("sns", region_name=REGION)
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="alerts-copy")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["Attributes"]["QueueArn"])
        env = {
            "ALERTS_TOPIC_ARN": topic,
            "PROTECTED_TRAILS": "*",
            "IDEMPOTENCY_TABLE": "idem",
            "AWS_REGION": REGION,
        }
        with environment(env):
            yield Cloud(cloudtrail, sqs, queue_url, load_handler("functions/respond", fresh=True))


def _task(cloud: Cloud, name: str = "securityhub_imported_cloudtrail_disabled") -> dict[str, Any]:
    (task,) = cloud.step("plan", event=load_event(name))["items"]
    return task


def test_remediate_then_verify_restarts_the_trail_the_finding_names(cloud: Cloud) -> None:
    task = _task(cloud)
    assert not cloud.logging()

    task["outcome"] = cloud.step("remediate", task=task)
    verified = cloud.step("verify", task=task)

    assert cloud.logging()
    assert task["outcome"]["status"] == "restarted"
    assert verified["verified"] is True


def test_the_same_finding_is_remediated_once(cloud: Cloud) -> None:
    task = _task(cloud)
    task["outcome"] = cloud.step("remediate", task=task)
    cloud.step("verify", task=task)
    cloud.cloudtrail.stop_logging(Name=TRAIL)

    again = cloud.step("remediate", task=task)
    replayed = cloud.step("verify", task={**task, "outcome": again})

    assert again["status"] == "restarted"  # the first outcome, replayed
    assert not cloud.logging()
    assert replayed["verified"] is True  # the first verification, not a new wait


def test_the_guardduty_copy_of_a_finding_already_handled_is_not_remediated_again(
    cloud: Cloud,
) -> None:
    cloud.step("remediate", task=_task(cloud))
    cloud.cloudtrail.stop_logging(Name=TRAIL)

    cloud.step("remediate", task=_task(cloud, "guardduty_cloudtrail_logging_disabled"))

    assert not cloud.logging()


def test_a_deleted_trail_is_a_failed_outcome_with_the_reason(cloud: Cloud) -> None:
    cloud.cloudtrail.delete_trail(Name=TRAIL)

    outcome = cloud.step("remediate", task=_task(cloud))

    assert outcome["status"] == "failed"
    assert "does not exist" in outcome["reason"]


def test_verify_raises_for_a_retry_while_the_trail_does_not_log(cloud: Cloud) -> None:
    task = _task(cloud)
    task["outcome"] = {"status": "restarted", "trails": [TRAIL], "reason": "", "verified": False}

    with pytest.raises(NotLoggingYet):
        cloud.step("verify", task=task)


def test_a_trail_found_by_listing_when_the_finding_names_none(cloud: Cloud) -> None:
    event = load_event("securityhub_custom_action_enable_cloudtrail")
    finding = event["detail"]["findings"][0]
    finding.update(ProductFields={}, Action={}, Title="Trail stopped", Description="stopped")
    finding["Types"] = ["TTPs/Defense Evasion/Stealth:IAMUser-CloudTrailLoggingDisabled"]
    (task,) = cloud.step("plan", event=event)["items"]
    assert task["trail"] == ""

    outcome = cloud.step("remediate", task=task)

    assert outcome["status"] == "restarted"
    assert cloud.logging()


def test_guardduty_delivery_records_nothing_and_notifies_once(cloud: Cloud) -> None:
    task = _task(cloud, "guardduty_cloudtrail_logging_disabled")
    task["outcome"] = cloud.step("remediate", task=task)
    task["outcome"] = cloud.step("verify", task=task)
    task["record"] = cloud.step("record", task=task)

    cloud.step("notify", task=task)
    cloud.step("notify", task=task)

    assert task["record"]["updated"] is False
    (alert,) = cloud.alerts()
    assert alert["severity"] == "high"
    assert alert["title"].startswith("CloudTrail logging restored on management-events")
    assert alert["fields"]["access key"] == "ASIA3EXAMPLEKEY7ABCD"
    assert alert["fields"]["from"] == "198.51.100.24"


def test_a_malformed_delivery_is_an_error_the_state_machine_catches(cloud: Cloud) -> None:
    with pytest.raises(ValueError, match="not a finding delivery"):
        cloud.step("plan", event=load_event("cloudtrail_stop_logging"))


class _Hub:
    """Stands in for Security Hub throttling, which moto cannot produce; edgeguard's
    own code runs unchanged."""

    def __init__(self, answer: dict[str, Any] | Exception) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []

    def batch_update_findings(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def _import_finding(event_name: str = "securityhub_imported_cloudtrail_disabled") -> dict:
    hub = boto3.client("securityhub", region_name=REGION)
    hub.enable_security_hub()
    finding = load_event(event_name)["detail"]["findings"][0]
    hub.batch_import_findings(Findings=[finding])
    return finding


def _finding_now(finding_id: str) -> dict[str, Any]:
    hub = boto3.client("securityhub", region_name=REGION)
    found = hub.get_findings(Filters={"Id": [{"Value": finding_id, "Comparison": "EQUALS"}]})
    return found["Findings"][0]


def test_record_resolves_the_finding_with_a_note_when_logging_is_verified(cloud: Cloud) -> None:
    moto_ext.install()
    _import_finding()
    task = _task(cloud)
    task["outcome"] = cloud.step("remediate", task=task)
    task["outcome"] = cloud.step("verify", task=task)

    record = cloud.step("record", task=task)

    assert record["updated"] is True
    finding = _finding_now(task["finding_id"])
    assert finding["Workflow"]["Status"] == "RESOLVED"
    assert "restarted and verified" in finding["Note"]["Text"]
    assert finding["Note"]["UpdatedBy"] == "edgeguard"


def test_record_marks_notified_with_the_reason_when_logging_could_not_be_restored(
    cloud: Cloud,
) -> None:
    moto_ext.install()
    _import_finding()
    cloud.cloudtrail.delete_trail(Name=TRAIL)
    task = _task(cloud)
    task["outcome"] = cloud.step("remediate", task=task)

    cloud.step("record", task=task)

    finding = _finding_now(task["finding_id"])
    assert finding["Workflow"]["Status"] == "NOTIFIED"
    assert "does not exist" in finding["Note"]["Text"]


def test_an_unprocessed_finding_is_reported_not_taken_for_success(cloud: Cloud) -> None:
    moto_ext.install()
    boto3.client("securityhub", region_name=REGION).enable_security_hub()  # finding never imported
    task = _task(cloud)
    task["outcome"] = cloud.step("remediate", task=task)
    task["outcome"] = cloud.step("verify", task=task)

    record = cloud.step("record", task=task)

    assert record["updated"] is False
    assert "FindingNotFound" in record["reason"]


def test_throttling_is_raised_for_step_functions_to_back_off() -> None:
    throttled = ClientError(
        {"Error": {"Code": "TooManyRequestsException", "Message": "slow"}}, "BatchUpdateFindings"
    )
    with pytest.raises(Throttled):
        securityhub.record(_Hub(throttled), "f", "p", resolved=False, note="x" * 900)
    hub = _Hub({"ProcessedFindings": [{"Id": "f", "ProductArn": "p"}], "UnprocessedFindings": []})
    result = securityhub.record(hub, "f", "p", resolved=False, note="x" * 900)
    assert result.updated and result.status == "NOTIFIED"
    assert len(hub.calls[0]["Note"]["Text"]) == 512
