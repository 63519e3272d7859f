"""Each kind of wiring, delivered by the local cloud from a fixture template.

tests/fixtures/wiring/template.yaml declares one of each: rule -> function,
rule -> state machine, S3 -> SQS -> function, SNS -> function, stream -> function,
schedule -> function, and a rotation schedule. The tiny functions next to it record
nothing themselves: what they received and returned is in ``cloud.invocations``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgeguard_tools.events import load_event, project_root
from edgeguard_tools.local.cloud import LocalCloud, RotationFailed
from edgeguard_tools.local.stepfunctions import failed_states, output

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "wiring" / "template.yaml"

STOP_LOGGING = load_event("eventbridge_cloudtrail_stoplogging")


@pytest.fixture
def cloud():
    with LocalCloud(template=FIXTURE, quiet=True) as running:
        yield running


def calls(cloud, logical_id):
    return [c for c in cloud.invocations if c.logical_id == logical_id]


def test_rule_to_function_matches_inside_the_findings_array(cloud):
    event = load_event("securityhub_imported_cloudtrail_disabled")
    assert cloud.put_event(event) == ["FindingFunction"]
    (call,) = calls(cloud, "FindingFunction")
    assert call.event["detail"]["findings"][0]["Types"] == [
        "TTPs/Defense Evasion/Stealth:IAMUser-CloudTrailLoggingDisabled"
    ]
    assert call.result["env"] == "wiring"  # Globals environment, resolved

    archived = json.loads(json.dumps(event))
    archived["detail"]["findings"][0]["RecordState"] = "ARCHIVED"
    assert cloud.put_event(archived) == []


def test_events_put_from_code_are_routed_too(cloud):
    event = load_event("securityhub_imported_cloudtrail_disabled")
    cloud.client("events").put_events(
        Entries=[
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
            }
        ]
    )
    assert len(calls(cloud, "FindingFunction")) == 1


def test_rule_to_state_machine_runs_task_choice_map_catch_and_publishes(cloud):
    assert cloud.put_event(STOP_LOGGING) == ["BlockMachine"]
    sfn = cloud.client("stepfunctions")
    (execution,) = sfn.list_executions(stateMachineArn=cloud.resource("BlockMachine"))["executions"]
    description = sfn.describe_execution(executionArn=execution["executionArn"])
    assert description["status"] == "SUCCEEDED"
    result = output(description)
    # the rule's InputTransformer shaped the input
    assert result["trail"] == "arn:aws:cloudtrail:us-east-1:123456789012:trail/edgeguard-dev-trail"
    assert result["note"] == "stopped by 198.51.100.23"
    assert result["ips"] == ["198.51.100.23", "boom", "flaky"]
    assert result["results"] == [
        {"ip": "198.51.100.23", "blocked": True},
        {"ip": "boom", "refused": "ValueError"},  # Catch on the function's errorType
        {"ip": "flaky", "blocked": True},  # Retry after a TimeoutError
    ]
    assert [c.event for c in calls(cloud, "ItemFunction")] == [
        {"ip": "198.51.100.23"},
        {"ip": "boom"},
        {"ip": "flaky"},
        {"ip": "flaky"},
    ]
    # the sns:publish task reached the topic, whose subscriber filters on severity=high
    (told,) = calls(cloud, "TopicFunction")
    message = told.event["Records"][0]["Sns"]
    assert json.loads(message["Message"])[1] == {"ip": "boom", "refused": "ValueError"}
    assert message["MessageAttributes"]["severity"] == {"Type": "String", "Value": "high"}


def test_state_machine_failure_is_reported_with_its_cause(cloud):
    description = cloud.start_execution("BlockMachine", {"ips": "not-a-list"})
    assert description["status"] == "FAILED"
    sfn = cloud.client("stepfunctions")
    assert description["error"] == "TypeError"
    assert "ips must be a list" in description["cause"]
    failures = failed_states(sfn, description["executionArn"])
    assert any(f.get("error") == "TypeError" for f in failures)


def test_s3_to_sqs_to_function_in_batches_with_partial_failures(cloud):
    keys = ["cloudfront/a.gz", "cloudfront/bad.gz", "cloudfront/c.gz", "cloudfront/d.gz"]
    cloud.invocations.clear()
    with cloud.deferred():
        for key in [*keys, "alb/not-for-this-queue.gz"]:
            cloud.put_object("LogBucket", key, b"log line\n")
    batches = calls(cloud, "LogConsumerFunction")
    delivered = [
        json.loads(r["body"])["Records"][0]["s3"]["object"]["key"]
        for call in batches
        for r in call.event["Records"]
        if "Records" in json.loads(r["body"])
    ]
    assert sorted(delivered) == sorted(keys)  # S3 keeps the slashes of a key
    assert [len(call.event["Records"]) for call in batches][:1] == [3]  # BatchSize 3
    # the failed record stays in the queue (in flight), the others were deleted
    assert cloud.queue_depth("LogQueue") == {"visible": 0, "in_flight": 1}
    # after the visibility timeout it is retried; after maxReceiveCount=2 it is in the DLQ
    cloud.tick(1)
    assert cloud.queue_depth("LogQueue") == {"visible": 0, "in_flight": 1}
    retried = [c for c in calls(cloud, "LogConsumerFunction") if c not in batches]
    assert len(retried) == 1 and len(retried[0].event["Records"]) == 1
    cloud.tick(1)
    assert cloud.queue_depth("LogQueue") == {"visible": 0, "in_flight": 0}
    dead = cloud.client("sqs").receive_message(QueueUrl=cloud.resource("LogDeadLetterQueue"))
    body = json.loads(dead["Messages"][0]["Body"])
    assert body["Records"][0]["s3"]["object"]["key"] == "cloudfront/bad.gz"


def test_sns_to_function_honours_the_filter_policy(cloud):
    sns = cloud.client("sns")
    topic = cloud.resource("Topic")
    for severity in ("low", "critical"):
        sns.publish(
            TopicArn=topic,
            Message=f"{severity} news",
            MessageAttributes={"severity": {"DataType": "String", "StringValue": severity}},
        )
    assert [c.event["Records"][0]["Sns"]["Message"] for c in calls(cloud, "TopicFunction")] == [
        "critical news"
    ]


def test_stream_to_function_retries_from_the_failed_record(cloud):
    ddb = cloud.client("dynamodb")
    table = cloud.resource("DecisionsTable")
    with cloud.deferred():
        for value in ("a", "poison", "c"):
            ddb.put_item(TableName=table, Item={"value": {"S": value}})
    (first,) = calls(cloud, "StreamFunction")
    assert [r["dynamodb"]["Keys"]["value"]["S"] for r in first.event["Records"]] == [
        "a",
        "poison",
        "c",
    ]
    assert first.event["Records"][0]["eventSourceARN"] == cloud.attribute(
        "DecisionsTable", "StreamArn"
    )
    cloud.tick(1)
    retry = calls(cloud, "StreamFunction")[1]
    assert [r["dynamodb"]["Keys"]["value"]["S"] for r in retry.event["Records"]] == ["poison", "c"]


def test_schedules_fire_on_tick(cloud):
    fired = cloud.tick(60)
    assert fired.count("SweepFunction") == 12 + 1  # rate(5 minutes) and the hourly cron
    sweeps = calls(cloud, "SweepFunction")
    scheduled = [c.event for c in sweeps if c.event.get("detail-type") == "Scheduled Event"]
    assert len(scheduled) == 12
    assert scheduled[0]["source"] == "aws.events"
    assert {"sweep": "hourly"} in [c.event for c in sweeps]  # ScheduleV2 Input


def test_rotation_runs_the_four_steps_and_moves_awscurrent(cloud):
    sm = cloud.client("secretsmanager")
    arn = cloud.resource("OriginSecret")
    before = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])
    report = cloud.rotate_secret("OriginSecret")
    assert report.steps == [
        ("createSecret", 1),
        ("setSecret", 1),
        ("testSecret", 1),
        ("finishSecret", 1),
    ]
    after = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])
    assert after["value"] != before["value"] and after["header"] == "X-Origin-Verify"
    stages = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
    assert "AWSCURRENT" in stages[report.token]


def test_rotation_retries_a_failed_step():
    with LocalCloud({"FailFirstSetSecret": "true"}, template=FIXTURE, quiet=True) as cloud:
        report = cloud.rotate_secret("OriginSecret")
        assert ("setSecret", 2) in report.steps
        assert [f.source for f in cloud.failures] == ["rotation OriginSecret setSecret"]


def test_rotation_that_keeps_failing_stops_with_the_step_named():
    with LocalCloud({"FailFirstSetSecret": "true"}, template=FIXTURE, quiet=True) as cloud:
        sm = cloud.client("secretsmanager")
        arn = cloud.resource("OriginSecret")
        before = sm.get_secret_value(SecretId=arn)["SecretString"]
        with pytest.raises(RotationFailed, match="setSecret"):
            cloud.rotate_secret("OriginSecret", retries=0)
        assert sm.get_secret_value(SecretId=arn)["SecretString"] == before
        stages = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
        assert ["AWSPENDING"] in stages.values()  # left for the next attempt, as in AWS
        with pytest.raises(RotationFailed, match="still in progress"):
            cloud.rotate_secret("OriginSecret")


def test_unsupported_resources_are_listed_not_ignored(cloud):
    assert cloud.skipped == {"NotEmulated": "AWS::ApiGateway::RestApi is not emulated locally"}


def test_the_wiring_comes_from_the_template(tmp_path):
    """Change the rule's pattern in a copy of the template: the same event no longer routes."""
    copy_dir = tmp_path / "wiring"
    copy_dir.mkdir()
    text = FIXTURE.read_text().replace(
        "eventName: [StopLogging, DeleteTrail]", "eventName: [DeleteTrail]"
    )
    assert "eventName: [DeleteTrail]" in text
    (copy_dir / "template.yaml").write_text(text)
    for name in ("functions", "statemachines"):
        (copy_dir / name).symlink_to(FIXTURE.parent / name)
    with LocalCloud(template=copy_dir / "template.yaml", quiet=True) as cloud:
        assert cloud.put_event(STOP_LOGGING) == []
        deleted = json.loads(json.dumps(STOP_LOGGING))
        deleted["detail"]["eventName"] = "DeleteTrail"
        assert cloud.put_event(deleted) == ["BlockMachine"]


def test_real_template_edit_stops_routing(tmp_path):
    """The real template.yaml: give the notifier's SNS event a filter policy in a copy."""
    root = project_root()
    data = (root / "template.yaml").read_text()
    anchor = "            Topic: !Ref AlertsTopic\n"
    assert data.count(anchor) == 1
    edited = data.replace(
        anchor, anchor + "            FilterPolicy:\n              kind: [nothing]\n"
    )
    (tmp_path / "template.yaml").write_text(edited)
    for name in ("functions", "statemachines"):
        (tmp_path / name).symlink_to(root / name)
    for cloud_template in (root / "template.yaml", tmp_path / "template.yaml"):
        with LocalCloud(template=cloud_template, quiet=True) as cloud:
            cloud.client("sns").publish(TopicArn=cloud.resource("AlertsTopic"), Message="x")
            delivered = len(cloud.telegram_messages)
        assert delivered == (1 if cloud_template == root / "template.yaml" else 0)


def test_execution_started_by_code_finishes_and_its_publications_arrive(cloud):
    sfn = cloud.client("stepfunctions")
    started = sfn.start_execution(
        stateMachineArn=cloud.resource("BlockMachine"), input=json.dumps({"ips": ["192.0.2.1"]})
    )
    # the call returns once the execution and everything it published were delivered
    status = sfn.describe_execution(executionArn=started["executionArn"])["status"]
    assert status == "SUCCEEDED"
    (told,) = calls(cloud, "TopicFunction")
    assert json.loads(told.event["Records"][0]["Sns"]["Message"]) == [
        {"ip": "192.0.2.1", "blocked": True}
    ]


def test_alarm_state_change_event_starts_the_state_machine(cloud):
    reached = cloud.set_alarm_state(
        "BlockedRequestsAlarm", "ALARM", "Threshold Crossed: 1 datapoint [1532.0]"
    )
    assert reached == ["BlockMachine", "Topic"]  # the rule, then the alarm action
    sfn = cloud.client("stepfunctions")
    (execution,) = sfn.list_executions(stateMachineArn=cloud.resource("BlockMachine"))["executions"]
    description = sfn.describe_execution(executionArn=execution["executionArn"])
    event = json.loads(description["input"])
    assert event["detail-type"] == "CloudWatch Alarm State Change"
    assert event["detail"]["alarmName"] == "wiring-waf-blocked-requests"
    assert event["detail"]["previousState"]["value"] == "INSUFFICIENT_DATA"
    metric = event["detail"]["configuration"]["metrics"][0]["metricStat"]
    assert metric["metric"]["dimensions"] == {"WebACL": "wiring-edge", "Rule": "ALL"}
    assert description["status"] == "SUCCEEDED"
    # back to OK: the rule matches ALARM only
    assert cloud.set_alarm_state("BlockedRequestsAlarm", "OK", "back to normal") == []


def test_events_for_another_bus_do_not_reach_default_bus_rules(cloud):
    event = load_event("securityhub_imported_cloudtrail_disabled")
    assert cloud.put_event(event, bus="partner-bus") == []
    cloud.client("events").create_event_bus(Name="partner-bus")
    cloud.client("events").put_events(
        Entries=[
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
                "EventBusName": "arn:aws:events:us-east-1:123456789012:event-bus/partner-bus",
            }
        ]
    )
    assert calls(cloud, "FindingFunction") == []
