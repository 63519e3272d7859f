"""The current Security Hub's OCSF CloudTrail-logging-disabled finding through the local
cloud: the template's rule, the respond state machine, the trail restarted and the finding
marked Resolved through BatchUpdateFindingsV2."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edgeguard_tools.local import moto_ext
from edgeguard_tools.local.cloud import LocalCloud

TRAIL = "management-events"
TRAIL_ARN = f"arn:aws:cloudtrail:us-east-1:123456789012:trail/{TRAIL}"
CASE = Path(__file__).parents[1] / "fixtures" / "findings" / "securityhub-ocsf-imported-v2.json"
FINDING_ARN = (
    "arn:aws:guardduty:us-east-1:123456789012:detector/12abc34d567e8fa901bc2d34eexample"
    "/finding/c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7"
)


def trail_finding() -> dict[str, Any]:
    """GuardDuty's Stealth:IAMUser/CloudTrailLoggingDisabled as an OCSF Detection Finding,
    shaped like the shared case (same metadata and cloud objects)."""
    finding = copy.deepcopy(json.loads(CASE.read_text())["detail"]["findings"][0])
    finding["metadata"]["uid"] = FINDING_ARN
    finding["finding_info"] = {
        "uid": FINDING_ARN,
        "title": f"The CloudTrail trail {TRAIL} was disabled.",
        "desc": "API StopLogging was invoked by user mallory.",
        "types": ["Stealth:IAMUser/CloudTrailLoggingDisabled"],
        "modified_time_dt": "2026-11-20T14:05:00.000Z",
    }
    finding["severity_id"], finding["severity"] = 2, "Low"
    finding["evidences"] = [
        {"api": {"operation": "StopLogging"}, "src_endpoint": {"ip": "198.51.100.24"}}
    ]
    finding["observables"] = []
    finding["resources"] = [{"type": "AWS::CloudTrail::Trail", "uid": TRAIL_ARN}]
    return finding


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(quiet=True) as running:
        running.client("s3").create_bucket(Bucket="org-audit-logs")
        cloudtrail = running.client("cloudtrail")
        cloudtrail.create_trail(Name=TRAIL, S3BucketName="org-audit-logs", IsMultiRegionTrail=True)
        cloudtrail.start_logging(Name=TRAIL)
        cloudtrail.stop_logging(Name=TRAIL)
        yield running


def _logging(cloud: LocalCloud) -> bool:
    return bool(cloud.client("cloudtrail").get_trail_status(Name=TRAIL)["IsLogging"])


def test_ocsf_finding_restarts_the_trail_and_resolves_the_finding_through_v2(cloud):
    assert not _logging(cloud)
    event = moto_ext.put_ocsf_finding(trail_finding())

    assert cloud.put_event(event) == ["RespondStateMachine"]

    assert _logging(cloud)
    (stored,) = cloud.client("securityhub").get_findings_v2()["Findings"]
    assert (stored["status_id"], stored["status"]) == (4, "Resolved")
    assert "restarted and verified" in stored["comment"]
    texts = [str(message["text"]) for message in cloud.telegram_messages]
    (text,) = texts
    assert f"CloudTrail logging restored on {TRAIL}" in text
    assert "198.51.100.24" in text


def test_an_ocsf_finding_no_longer_new_does_not_start_a_response(cloud):
    finding = trail_finding()
    finding["status_id"], finding["status"] = 4, "Resolved"  # our own update comes back
    assert cloud.put_event(moto_ext.put_ocsf_finding(finding)) == []
    assert not _logging(cloud)


def test_guardduty_event_and_its_ocsf_copy_remediate_and_announce_once(cloud):
    guardduty = json.loads(
        (
            Path(__file__).parents[2] / "events" / "guardduty_cloudtrail_logging_disabled.json"
        ).read_text()
    )
    finding = trail_finding()
    arn = guardduty["detail"]["arn"]
    finding["metadata"]["uid"] = finding["finding_info"]["uid"] = arn
    finding["finding_info"]["modified_time_dt"] = guardduty["detail"]["updatedAt"]

    assert cloud.put_event(guardduty) == ["RespondStateMachine"]
    assert _logging(cloud)
    cloud.client("cloudtrail").stop_logging(Name=TRAIL)  # stopped again, no new finding
    assert cloud.put_event(moto_ext.put_ocsf_finding(finding)) == ["RespondStateMachine"]

    assert not _logging(cloud)  # the copy did not remediate a second time
    assert len(cloud.telegram_messages) == 1
