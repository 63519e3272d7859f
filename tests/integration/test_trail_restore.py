"""Putting a recorded trail configuration back (edgeguard.response.cloudtrail, moto)."""

from __future__ import annotations

import boto3
from moto import mock_aws

from edgeguard.response import cloudtrail
from edgeguard.response.trail import TrailRef

GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:trail-logs:*"
ROLE = "arn:aws:iam::123456789012:role/trail-to-logs"


@mock_aws
def test_cloudwatch_delivery_is_restored_as_a_pair_and_a_second_restore_changes_nothing() -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="org-audit-logs")
    client = boto3.client("cloudtrail", region_name="us-east-1")
    client.create_trail(
        Name="audit",
        S3BucketName="org-audit-logs",
        CloudWatchLogsLogGroupArn=GROUP,
        CloudWatchLogsRoleArn=ROLE,
    )
    trail = TrailRef("audit")
    recorded = cloudtrail.read_config(client, trail)
    client.update_trail(Name="audit", CloudWatchLogsLogGroupArn="", CloudWatchLogsRoleArn="")

    (step,) = cloudtrail.restore(client, trail, recorded)

    assert step.ok and step.after == {
        "CloudWatchLogsLogGroupArn": GROUP,
        "CloudWatchLogsRoleArn": ROLE,
    }
    assert cloudtrail.read_config(client, trail).settings == recorded.settings
    assert cloudtrail.restore(client, trail, recorded) == []  # idempotent: nothing left to do


@mock_aws
def test_an_empty_selector_record_is_not_pushed_onto_the_trail() -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="org-audit-logs")
    client = boto3.client("cloudtrail", region_name="us-east-1")
    client.create_trail(Name="audit", S3BucketName="org-audit-logs")
    selectors = [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}]
    client.put_event_selectors(TrailName="audit", EventSelectors=selectors)
    recorded = cloudtrail.TrailConfig(name="audit", settings={})

    assert cloudtrail.restore(client, TrailRef("audit"), recorded) == []
    assert (
        client.get_event_selectors(TrailName="audit")["EventSelectors"][0]["ReadWriteType"] == "All"
    )
