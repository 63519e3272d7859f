"""The same wiring written as plain CloudFormation resources instead of SAM Events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgeguard_tools.local.cloud import LocalCloud
from edgeguard_tools.local.stepfunctions import output

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "wiring" / "cfn_forms.yaml"


@pytest.fixture
def cloud():
    with LocalCloud(template=FIXTURE, quiet=True) as running:
        yield running


def echoed(cloud):
    return [c.event for c in cloud.invocations if c.logical_id == "EchoFunction"]


def test_sns_subscriptions_lambda_with_body_filter_and_sqs_with_mapping(cloud):
    sns = cloud.client("sns")
    with cloud.deferred():
        for kind in ("ban", "noise", "unban"):
            sns.publish(TopicArn=cloud.resource("Topic"), Message=json.dumps({"kind": kind}))
    events = echoed(cloud)
    direct = [e for e in events if "Sns" in e["Records"][0]]
    queued = [e for e in events if "body" in e["Records"][0]]
    # the Lambda subscription's MessageBody filter: prefix "ban" only
    assert [json.loads(e["Records"][0]["Sns"]["Message"]) for e in direct] == [{"kind": "ban"}]
    # SNS -> SQS (raw delivery, moto's own) -> EventSourceMapping, "noise" filtered out
    (batch,) = queued
    assert [json.loads(r["body"]) for r in batch["Records"]] == [{"kind": "ban"}, {"kind": "unban"}]
    assert cloud.queue_depth("Queue") == {"visible": 0, "in_flight": 0}


def test_scheduler_schedule_and_rule_to_a_definitionstring_machine(cloud):
    cloud.tick(60)
    events = echoed(cloud)
    assert events.count({"from": "scheduler"}) == 1
    sfn = cloud.client("stepfunctions")
    executions = sfn.list_executions(stateMachineArn=cloud.resource("Machine"))["executions"]
    assert len(executions) == 6
    first = sfn.describe_execution(executionArn=executions[0]["executionArn"])
    assert output(first) == {"got": {"from": "rule"}, "env": None}


def test_trail_hub_action_target_and_parameter_exist_in_moto(cloud):
    trail = cloud.client("cloudtrail").get_trail_status(Name=cloud.resource("Trail"))
    assert trail["IsLogging"] is True
    assert cloud.attribute("Trail", "Arn").endswith(":trail/fixture-trail")
    targets = cloud.client("securityhub").describe_action_targets()["ActionTargets"]
    assert [t["ActionTargetArn"] for t in targets] == [cloud.resource("BlockIpAction")]
    assert cloud.resource("BlockIpAction").endswith(":action/custom/BlockIp")
    parameter = cloud.client("ssm").get_parameter(Name=cloud.resource("Setting"))
    assert parameter["Parameter"]["Value"] == "500"
