"""CloudTrail tampering inputs the team had not seen: a forwarded event from another
region naming a trail by name, an aggregated Security Hub finding from another region,
and GuardDuty / ASFF sample findings (moto CloudTrail, the real response code)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from edgeguard.response.api_call import parse_api_call
from edgeguard.response.findings import plan
from edgeguard.response.guard import GuardSettings, respond
from edgeguard.response.steps import StepSettings, remediate
from edgeguard.response.trail import ProtectedTrails
from edgeguard_tools.events import load_event
from edgeguard_tools.local.cloud import LocalCloud

REGION = "us-east-1"
TRAIL = "management-events"


@pytest.fixture
def cloudtrail() -> Iterator[Any]:
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(Bucket="org-audit-logs")
        client = boto3.client("cloudtrail", region_name=REGION)
        client.create_trail(Name=TRAIL, S3BucketName="org-audit-logs")
        yield client


def _logging(client: Any) -> bool:
    return bool(client.get_trail_status(Name=TRAIL)["IsLogging"])


def test_stop_logging_by_name_in_another_region_leaves_this_regions_namesake_alone(cloudtrail):
    # A StopLogging forwarded from eu-west-1 (cross-region event bus rule) names the trail
    # by name only: it is eu-west-1's trail, not this region's trail of the same name.
    event = copy.deepcopy(load_event("cloudtrail_stop_logging"))
    event["region"] = event["detail"]["awsRegion"] = "eu-west-1"
    event["detail"]["requestParameters"] = {"name": TRAIL}
    assert not _logging(cloudtrail)  # created, never started: a namesake that is off

    report = respond(
        parse_api_call(event),
        cloudtrail,
        None,
        GuardSettings(region=REGION, protected=ProtectedTrails.parse("*")),
        sleep=lambda _: None,
    )

    assert not _logging(cloudtrail)
    assert report.action == "reported"
    assert report.alert is not None and "eu-west-1" in report.alert.title
    assert any("eu-west-1" in line for line in report.not_undone)


def test_stop_logging_by_name_in_this_region_still_restarts(cloudtrail):
    event = copy.deepcopy(load_event("cloudtrail_stop_logging"))
    event["detail"]["requestParameters"] = {"name": TRAIL}
    report = respond(
        parse_api_call(event),
        cloudtrail,
        None,
        GuardSettings(region=REGION, protected=ProtectedTrails.parse("*")),
        sleep=lambda _: None,
    )
    assert report.action == "restarted" and _logging(cloudtrail)


def _aggregated_finding(region: str, trail_by_name: bool) -> dict[str, Any]:
    event = copy.deepcopy(load_event("securityhub_imported_cloudtrail_disabled"))
    finding = event["detail"]["findings"][0]
    finding["Region"] = region
    if trail_by_name:
        text = repr(finding)
        assert "trail/" in text
        for resource in finding.get("Resources") or []:
            if resource.get("Type") == "AwsCloudTrailTrail":
                resource["Id"] = TRAIL
                resource.get("Details", {}).get("AwsCloudTrailTrail", {}).pop("TrailArn", None)
        fields = finding.get("ProductFields") or {}
        for key in list(fields):
            if key.endswith("affectedResources/AWS::CloudTrail::Trail"):
                fields[key] = TRAIL
        action = (finding.get("Action") or {}).get("AwsApiCallAction") or {}
        if "AffectedResources" in action:
            action["AffectedResources"]["AWS::CloudTrail::Trail"] = TRAIL
        finding["Title"] = finding["Description"] = "CloudTrail logging disabled"
    return event


def test_an_aggregated_finding_from_another_region_does_not_restart_a_local_namesake(
    cloudtrail,
):
    (task,) = plan(_aggregated_finding("eu-west-1", trail_by_name=True)).tasks
    assert task.trail == TRAIL  # by name only

    outcome = remediate(
        task.as_dict(), cloudtrail, StepSettings(REGION, ProtectedTrails.parse("*"))
    )

    assert outcome["status"] == "failed" and "eu-west-1" in outcome["reason"]
    assert not _logging(cloudtrail)


def test_an_aggregated_finding_naming_no_trail_does_not_restart_this_regions_trails(
    cloudtrail,
):
    event = _aggregated_finding("eu-west-1", trail_by_name=True)
    finding = event["detail"]["findings"][0]
    finding["Resources"] = [r for r in finding["Resources"] if r["Type"] != "AwsCloudTrailTrail"]
    finding["ProductFields"] = {}
    finding["Action"] = {}
    (task,) = plan(event).tasks
    assert task.trail == ""

    outcome = remediate(
        task.as_dict(), cloudtrail, StepSettings(REGION, ProtectedTrails.parse("*"))
    )

    assert outcome["status"] == "failed" and "eu-west-1" in outcome["reason"]
    assert not _logging(cloudtrail)


def test_a_finding_of_this_region_by_name_is_still_remediated(cloudtrail):
    (task,) = plan(_aggregated_finding(REGION, trail_by_name=True)).tasks
    outcome = remediate(
        task.as_dict(), cloudtrail, StepSettings(REGION, ProtectedTrails.parse("*"))
    )
    assert outcome["status"] == "restarted" and _logging(cloudtrail)


def test_a_guardduty_sample_finding_is_skipped_not_remediated():
    event = copy.deepcopy(load_event("guardduty_cloudtrail_logging_disabled"))
    event["detail"]["service"]["additionalInfo"] = {
        "sample": True,
        "value": '{"sample":true}',
        "type": "default",
    }
    result = plan(event)
    assert result.tasks == []
    assert "sample" in result.skipped[0]["reason"]


def test_an_archived_guardduty_finding_is_skipped():
    event = copy.deepcopy(load_event("guardduty_cloudtrail_logging_disabled"))
    event["detail"]["service"]["archived"] = True
    assert plan(event).tasks == []


@pytest.mark.parametrize("how", ["ProductFields", "Sample"])
def test_an_imported_asff_sample_finding_is_skipped(how):
    event = copy.deepcopy(load_event("securityhub_imported_cloudtrail_disabled"))
    finding = event["detail"]["findings"][0]
    if how == "Sample":
        finding["Sample"] = True
    else:
        finding.setdefault("ProductFields", {})["aws/guardduty/service/additionalInfo/sample"] = (
            "true"
        )
    result = plan(event)
    assert result.tasks == [] and "sample" in result.skipped[0]["reason"]


def test_a_guardduty_finding_with_a_malformed_service_is_planned_not_crashed():
    event = copy.deepcopy(load_event("guardduty_cloudtrail_logging_disabled"))
    event["detail"]["service"] = "garbage"
    (task,) = plan(event).tasks
    assert task.api == ""


def test_a_sample_stealth_finding_through_the_template_alerts_nothing_critical():
    with LocalCloud(quiet=True) as cloud:
        event = copy.deepcopy(load_event("guardduty_cloudtrail_logging_disabled"))
        event["detail"]["service"]["additionalInfo"] = {"sample": True, "type": "default"}

        assert cloud.put_event(event) == ["RespondStateMachine"]

        texts = [str(m["text"]) for m in cloud.telegram_messages]
        assert not any("NOT restarted" in t or "does not exist" in t for t in texts), texts
