"""Findings into tasks: the three deliveries, the NEW/ACTIVE filter, trail and actor extraction."""

from __future__ import annotations

import copy

import pytest

from edgeguard.response.api_call import NotATrailCall, is_suite_call, parse_api_call
from edgeguard.response.findings import NO_PLAYBOOK, PLAYBOOK, NotAFindingEvent, plan
from edgeguard.response.trail import InvalidTrail, ProtectedTrails, TrailRef
from edgeguard_tools.events import load_event

TRAIL_ARN = "arn:aws:cloudtrail:us-east-1:123456789012:trail/management-events"


def test_imported_finding_becomes_one_task_naming_trail_actor_and_address() -> None:
    result = plan(load_event("securityhub_imported_cloudtrail_disabled"))

    (task,) = result.tasks
    assert task.playbook == PLAYBOOK
    assert task.trail == TRAIL_ARN
    assert task.source == "securityhub" and task.trigger == "imported"
    assert task.product_arn == "arn:aws:securityhub:us-east-1::product/aws/guardduty"
    assert task.actor["access_key_id"] == "ASIA3EXAMPLEKEY7ABCD"
    assert task.source_ip == "198.51.100.24"
    assert task.api == "StopLogging"


def test_guardduty_and_security_hub_copies_of_one_finding_share_the_remediation_key() -> None:
    imported = plan(load_event("securityhub_imported_cloudtrail_disabled")).tasks[0]
    native = plan(load_event("guardduty_cloudtrail_logging_disabled")).tasks[0]

    assert native.trail == TRAIL_ARN
    assert native.source == "guardduty"
    assert native.remediation_key == imported.remediation_key
    assert native.record_key != imported.record_key


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("Workflow", {"Status": "RESOLVED"}, "workflow status is RESOLVED"),
        ("RecordState", "ARCHIVED", "record state is ARCHIVED"),
    ],
)
def test_imported_findings_that_are_not_new_and_active_are_skipped(field, value, why) -> None:
    event = load_event("securityhub_imported_cloudtrail_disabled")
    event["detail"]["findings"][0][field] = value

    result = plan(event)

    assert result.tasks == []
    assert why in result.skipped[0]["reason"]


def test_custom_action_acts_whatever_the_workflow_status_and_keys_on_the_press() -> None:
    event = load_event("securityhub_custom_action_enable_cloudtrail")
    (task,) = plan(event).tasks
    assert task.trigger == "custom-action" and task.playbook == PLAYBOOK

    pressed_again = copy.deepcopy(event)
    pressed_again["id"] = "another-press"
    assert plan(pressed_again).tasks[0].remediation_key != task.remediation_key


def test_custom_action_on_a_finding_without_a_trail_gets_no_playbook() -> None:
    event = load_event("securityhub_custom_action_enable_cloudtrail")
    finding = event["detail"]["findings"][0]
    finding.update(Types=["Software and Configuration Checks/Vulnerabilities/CVE"], Title="CVE")
    finding.update(Description="A CVE", ProductFields={}, Action={})

    (task,) = plan(event).tasks

    assert task.playbook == NO_PLAYBOOK
    assert "no playbook" in task.reason


def test_trail_named_as_a_resource_is_found() -> None:
    event = load_event("securityhub_imported_cloudtrail_disabled")
    finding = event["detail"]["findings"][0]
    finding.update(ProductFields={}, Action={}, Title="t", Description="d")
    finding["Resources"].append({"Type": "AwsCloudTrailTrail", "Id": TRAIL_ARN})

    assert plan(event).tasks[0].trail == TRAIL_ARN


def test_events_that_are_not_findings_are_refused() -> None:
    with pytest.raises(NotAFindingEvent):
        plan(load_event("cloudtrail_stop_logging"))
    with pytest.raises(NotAFindingEvent):
        plan({"detail-type": "Security Hub Findings - Imported", "source": "aws.securityhub"})


def test_api_call_reads_changes_from_request_parameters() -> None:
    call = parse_api_call(load_event("cloudtrail_update_trail"))

    assert call.trail == TrailRef("management-events")
    assert call.changes() == {"S3 bucket": "exfil-logs-7731", "log file validation": False}


def test_api_call_accepts_a_trail_arn_and_refuses_other_events() -> None:
    call = parse_api_call(load_event("cloudtrail_stop_logging"))
    assert call.trail.name == "management-events" and call.trail.region == "us-east-1"
    with pytest.raises(NotATrailCall):
        parse_api_call(load_event("guardduty_cloudtrail_logging_disabled"))


def test_suite_calls_are_recognised_by_role_not_by_session_name() -> None:
    call = parse_api_call(load_event("cloudtrail_stop_logging"))
    role = "arn:aws:iam::123456789012:role/edgeguard-dev-TrailGuardFunctionRole-X"
    assert not is_suite_call(call.actor, frozenset({role}))
    assert is_suite_call(call.actor, frozenset({"arn:aws:iam::123456789012:role/DevOpsAdmin"}))


def test_protected_trails_parameter() -> None:
    assert ProtectedTrails.parse("*").covers(TrailRef("anything"))
    named = ProtectedTrails.parse("prod, audit")
    assert named.covers(TrailRef("audit")) and not named.covers(TrailRef("dev"))
    with pytest.raises(InvalidTrail):
        ProtectedTrails.parse("bad name")


def test_a_role_is_matched_whatever_its_path_or_session() -> None:
    call = parse_api_call(load_event("cloudtrail_stop_logging"))
    own = "arn:aws:sts::123456789012:assumed-role/DevOpsAdmin/edgeguard-dev-trail-guard"
    assert is_suite_call(call.actor, frozenset({own}))
    assert is_suite_call(call.actor, frozenset({"arn:aws:iam::123456789012:role/ops/DevOpsAdmin"}))
    assert not is_suite_call(call.actor, frozenset({"arn:aws:iam::999999999999:role/DevOpsAdmin"}))
