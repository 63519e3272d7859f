"""Acceptance for issue 6 through the local cloud: the template's own rules, the real
state machine definition, the functions in process, alerts to the Telegram stand-in."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from edgeguard_tools.events import load_event
from edgeguard_tools.local.cloud import LocalCloud

TRAIL = "management-events"


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(quiet=True) as running:
        running.client("s3").create_bucket(Bucket="org-audit-logs")
        cloudtrail = running.client("cloudtrail")
        cloudtrail.create_trail(Name=TRAIL, S3BucketName="org-audit-logs", IsMultiRegionTrail=True)
        cloudtrail.put_event_selectors(
            TrailName=TRAIL,
            EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}],
        )
        cloudtrail.start_logging(Name=TRAIL)
        yield running


def _logging(cloud: LocalCloud) -> bool:
    return bool(cloud.client("cloudtrail").get_trail_status(Name=TRAIL)["IsLogging"])


def _stop(cloud: LocalCloud) -> None:
    cloud.client("cloudtrail").stop_logging(Name=TRAIL)
    assert not _logging(cloud)


def _import(cloud: LocalCloud, event: dict[str, Any]) -> str:
    hub = cloud.client("securityhub")
    hub.enable_security_hub()
    hub.batch_import_findings(Findings=event["detail"]["findings"])
    return str(event["detail"]["findings"][0]["Id"])


def _finding(cloud: LocalCloud, finding_id: str) -> dict[str, Any]:
    found = cloud.client("securityhub").get_findings(
        Filters={"Id": [{"Value": finding_id, "Comparison": "EQUALS"}]}
    )
    return found["Findings"][0]


def _texts(cloud: LocalCloud) -> list[str]:
    return [message["text"] for message in cloud.telegram_messages]


def test_stop_logging_event_restarts_the_trail_and_telegram_names_the_actor(
    cloud: LocalCloud,
) -> None:
    _stop(cloud)

    targets = cloud.put_event(load_event("cloudtrail_stop_logging"))

    assert targets == ["TrailGuardFunction"]
    assert _logging(cloud)
    (text,) = _texts(cloud)
    assert "assumed-role/DevOpsAdmin/mallory" in text
    assert "198.51.100.24" in text
    assert "2026-11-21T22:14:03Z" in text


def test_imported_finding_restarts_the_trail_and_resolves_the_finding(cloud: LocalCloud) -> None:
    event = load_event("securityhub_imported_cloudtrail_disabled")
    finding_id = _import(cloud, event)
    _stop(cloud)

    targets = cloud.put_event(event)

    assert targets == ["RespondStateMachine"]
    assert _logging(cloud)
    finding = _finding(cloud, finding_id)
    assert finding["Workflow"]["Status"] == "RESOLVED"
    assert "restarted and verified" in finding["Note"]["Text"]
    (text,) = _texts(cloud)
    assert "CloudTrail logging restored on management-events" in text


def test_custom_action_restarts_the_trail_and_resolves_the_finding(cloud: LocalCloud) -> None:
    event = load_event("securityhub_custom_action_enable_cloudtrail")
    finding_id = _import(cloud, event)
    _stop(cloud)

    targets = cloud.put_event(event)

    assert targets == ["RespondStateMachine"]
    assert _logging(cloud)
    finding = _finding(cloud, finding_id)
    assert finding["Workflow"]["Status"] == "RESOLVED"
    assert finding["Note"]["UpdatedBy"] == "edgeguard"
    assert len(_texts(cloud)) == 1


def test_a_deleted_trail_leaves_the_finding_notified_with_the_reason_and_alerts(
    cloud: LocalCloud,
) -> None:
    event = load_event("securityhub_imported_cloudtrail_disabled")
    finding_id = _import(cloud, event)
    cloud.client("cloudtrail").delete_trail(Name=TRAIL)

    cloud.put_event(event)

    finding = _finding(cloud, finding_id)
    assert finding["Workflow"]["Status"] == "NOTIFIED"
    assert "does not exist" in finding["Note"]["Text"]
    (text,) = _texts(cloud)
    assert "NOT restored" in text
    assert "does not exist" in text


def test_a_duplicate_delivery_is_remediated_and_announced_once(cloud: LocalCloud) -> None:
    event = load_event("securityhub_imported_cloudtrail_disabled")
    _import(cloud, event)
    _stop(cloud)
    cloud.put_event(event)
    assert _logging(cloud)
    cloud.client("cloudtrail").stop_logging(Name=TRAIL)  # stopped again, no new finding

    cloud.put_event(copy.deepcopy(event))

    assert not _logging(cloud)  # the duplicate did not remediate a second time
    assert len(_texts(cloud)) == 1


def test_guardduty_finding_serves_accounts_without_security_hub(cloud: LocalCloud) -> None:
    _stop(cloud)

    targets = cloud.put_event(load_event("guardduty_cloudtrail_logging_disabled"))

    assert targets == ["RespondStateMachine"]
    assert _logging(cloud)
    (text,) = _texts(cloud)
    assert "ASIA3EXAMPLEKEY7ABCD" in text


def test_findings_already_handled_do_not_trigger_the_state_machine(cloud: LocalCloud) -> None:
    event = load_event("securityhub_imported_cloudtrail_disabled")
    event["detail"]["findings"][0]["Workflow"] = {"Status": "RESOLVED"}

    assert cloud.put_event(event) == []


def test_a_weakened_trail_is_put_back_to_the_hourly_snapshot(cloud: LocalCloud) -> None:
    cloud.client("s3").create_bucket(Bucket="exfil-logs-7731")
    cloud.tick(minutes=60)  # the hourly schedule records the trail while it logs
    cloudtrail = cloud.client("cloudtrail")
    cloudtrail.update_trail(
        Name=TRAIL, S3BucketName="exfil-logs-7731", EnableLogFileValidation=False
    )

    cloud.put_event(load_event("cloudtrail_update_trail"))

    assert cloudtrail.get_trail(Name=TRAIL)["Trail"]["S3BucketName"] == "org-audit-logs"
    (text,) = _texts(cloud)
    assert "exfil-logs-7731" in text  # what changed is reported
    assert "trail settings back to" in text


def test_a_finding_security_hub_does_not_know_is_announced_as_not_updated(
    cloud: LocalCloud,
) -> None:
    cloud.client("securityhub").enable_security_hub()  # the finding itself was never imported
    _stop(cloud)

    cloud.put_event(load_event("securityhub_imported_cloudtrail_disabled"))

    assert _logging(cloud)
    (text,) = _texts(cloud)
    assert "NOT updated" in text and "FindingNotFound" in text


def test_custom_action_on_a_finding_without_a_playbook_ends_notified_with_the_reason(
    cloud: LocalCloud,
) -> None:
    event = load_event("securityhub_custom_action_enable_cloudtrail")
    finding = event["detail"]["findings"][0]
    finding.update(Types=["Software and Configuration Checks/Vulnerabilities/CVE"])
    finding.update(Title="CVE-2026-0001 in nginx", Description="A CVE", ProductFields={}, Action={})
    finding_id = _import(cloud, event)

    cloud.put_event(event)

    updated = _finding(cloud, finding_id)
    assert updated["Workflow"]["Status"] == "NOTIFIED"
    assert "no playbook" in updated["Note"]["Text"]
    (text,) = _texts(cloud)
    assert "No edgeguard playbook for finding: CVE-2026-0001 in nginx" in text
    sfn = cloud.client("stepfunctions")
    (execution,) = sfn.list_executions(stateMachineArn=cloud.resource("RespondStateMachine"))[
        "executions"
    ]
    assert execution["status"] == "SUCCEEDED"
