"""Demo chapter: an intruder stops the audit trail. The template's rule hands the
CloudTrail event to the trail guard, logging is back within the same event and the
team reads who did it on Telegram; then the same through a Security Hub finding,
which ends RESOLVED with a note."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from edgeguard.errors import error_code
from edgeguard_tools.demo.localcloud import local_cloud
from edgeguard_tools.demo.story import Story
from edgeguard_tools.events import load_event
from edgeguard_tools.local.cloud import LocalCloud

TITLE = "Security response: a stopped CloudTrail trail is restarted"
TRAIL = "management-events"  # the trail the sample events name


def run(story: Story) -> None:
    cloud = local_cloud()
    seen = len(cloud.telegram_messages)
    cloudtrail = cloud.client("cloudtrail")
    cloud.client("s3").create_bucket(Bucket="org-audit-logs")
    cloudtrail.create_trail(Name=TRAIL, S3BucketName="org-audit-logs", IsMultiRegionTrail=True)
    cloudtrail.start_logging(Name=TRAIL)
    story.step(f"trail {TRAIL} logs")

    event = load_event("cloudtrail_stop_logging")
    detail = event["detail"]
    story.step(
        f"{detail['userIdentity']['arn']} calls StopLogging from {detail['sourceIPAddress']}"
    )
    cloudtrail.stop_logging(Name=TRAIL)
    story.expect("the trail stopped logging", not _logging(cloudtrail))

    targets = cloud.put_event(event)
    story.step(f"the EventBridge rule delivers the CloudTrail event to {', '.join(targets)}")
    story.expect("the trail logs again (GetTrailStatus IsLogging)", _logging(cloudtrail))
    texts = _show(story, cloud, seen)
    story.expect(
        "a Telegram message names the actor and the address",
        any("mallory" in text and "198.51.100.24" in text for text in texts),
    )

    cloud.put_event(event)
    story.expect(
        "the same event delivered again sends no second message",
        len(cloud.telegram_messages) == seen + 1,
    )

    finding_event = load_event("securityhub_imported_cloudtrail_disabled")
    hub = cloud.client("securityhub")
    try:
        hub.enable_security_hub()
    except ClientError as error:  # another chapter enabled it already
        if error_code(error) != "ResourceConflictException":
            raise
    hub.batch_import_findings(Findings=finding_event["detail"]["findings"])
    cloudtrail.stop_logging(Name=TRAIL)
    story.step("the trail is stopped again; GuardDuty's finding reaches Security Hub")
    targets = cloud.put_event(finding_event)
    story.step(f"the EventBridge rule starts {', '.join(targets)}")
    story.expect("the trail logs again", _logging(cloudtrail))
    finding_id = finding_event["detail"]["findings"][0]["Id"]
    found = hub.get_findings(Filters={"Id": [{"Value": finding_id, "Comparison": "EQUALS"}]})
    finding = found["Findings"][0]
    story.step(f"Security Hub note: {finding.get('Note', {}).get('Text', '')}")
    story.expect("the finding is RESOLVED with a note", finding["Workflow"]["Status"] == "RESOLVED")
    _show(story, cloud, seen + 1)


def _logging(cloudtrail: Any) -> bool:
    return bool(cloudtrail.get_trail_status(Name=TRAIL)["IsLogging"])


def _show(story: Story, cloud: LocalCloud, start: int) -> list[str]:
    texts = [str(message["text"]) for message in cloud.telegram_messages[start:]]
    for text in texts:
        for line in text.splitlines()[:5]:
            story.step(f"Telegram: {line}")
    return texts
