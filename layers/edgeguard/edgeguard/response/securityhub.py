"""Record the outcome on the Security Hub finding: RESOLVED with a note when logging
is back, NOTIFIED with the reason otherwise. Unprocessed findings are reported, and
throttling is raised so Step Functions backs off and retries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from edgeguard.errors import Throttled, error_code, is_throttling

if TYPE_CHECKING:
    from mypy_boto3_securityhub import SecurityHubClient
    from mypy_boto3_securityhub.literals import WorkflowStatusType
    from mypy_boto3_securityhub.type_defs import OcsfFindingIdentifierTypeDef

NOTE_LIMIT = 512  # Note.Text and Note.UpdatedBy: at most 512 characters
UPDATED_BY = "edgeguard"


@dataclass
class RecordResult:
    """What ``record`` did to one finding: whether it was updated, the workflow status
    asked for (RESOLVED or NOTIFIED), the note as sent, and why not when it was not.
    """

    updated: bool
    status: str
    note: str
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict."""
        return {
            "updated": self.updated,
            "status": self.status,
            "note": self.note,
            "reason": self.reason,
        }


def record(
    client: SecurityHubClient, finding_id: str, product_arn: str, resolved: bool, note: str
) -> RecordResult:
    """BatchUpdateFindings for one finding; safe to repeat (same status, same note).

    Sets Workflow.Status RESOLVED when ``resolved`` else NOTIFIED, with ``note``
    shortened to 512 characters (source: "AWS Security Hub API Reference:
    BatchUpdateFindings"). A refused call or an unprocessed finding is returned as
    ``updated=False`` with the reason.

    Raises:
        Throttled: Security Hub throttled the call or the finding (Step Functions retries).
    """
    status: WorkflowStatusType = "RESOLVED" if resolved else "NOTIFIED"
    text = note if len(note) <= NOTE_LIMIT else note[: NOTE_LIMIT - 3] + "..."
    try:
        response = client.batch_update_findings(
            FindingIdentifiers=[{"Id": finding_id, "ProductArn": product_arn}],
            Workflow={"Status": status},
            Note={"Text": text, "UpdatedBy": UPDATED_BY},
        )
    except ClientError as error:
        code = error_code(error)
        if is_throttling(code):
            raise Throttled(f"Security Hub throttled BatchUpdateFindings ({code})") from error
        return RecordResult(False, status, text, f"BatchUpdateFindings failed: {code}")
    for unprocessed in response.get("UnprocessedFindings") or []:
        code = str(unprocessed.get("ErrorCode", ""))
        if is_throttling(code):
            raise Throttled(f"Security Hub left the finding unprocessed ({code})")
        message = str(unprocessed.get("ErrorMessage", ""))
        return RecordResult(False, status, text, f"finding not updated: {code} {message}".strip())
    return RecordResult(True, status, text)


# OCSF Detection Finding status_id ("Open Cybersecurity Schema Framework: Detection Finding")
OCSF_RESOLVED = 4
OCSF_IN_PROGRESS = 2


def record_v2(
    client: SecurityHubClient, identifier: OcsfFindingIdentifierTypeDef, resolved: bool, note: str
) -> RecordResult:
    """BatchUpdateFindingsV2 for one finding of the current Security Hub; safe to repeat.

    ``identifier`` names the finding (CloudAccountUid = ``cloud.account.uid``, FindingInfoUid
    = ``finding_info.uid``, MetadataProductUid = ``metadata.product.uid``); status_id
    becomes 4 (Resolved) when ``resolved`` else 2 (In Progress: OCSF has no "notified"), and
    ``note`` (shortened to 512 characters, as the CSPM note) is the Comment (source: "AWS
    Security Hub API Reference: BatchUpdateFindingsV2"). A refused call or an unprocessed
    finding is returned as ``updated=False`` with the reason; ``status`` reads "Resolved" or
    "In Progress".

    Raises:
        Throttled: Security Hub throttled the call (Step Functions retries).
    """
    status_id = OCSF_RESOLVED if resolved else OCSF_IN_PROGRESS
    status = "Resolved" if resolved else "In Progress"
    text = note if len(note) <= NOTE_LIMIT else note[: NOTE_LIMIT - 3] + "..."
    try:
        response = client.batch_update_findings_v2(
            FindingIdentifiers=[identifier],
            StatusId=status_id,
            Comment=text,
        )
    except ClientError as error:
        code = error_code(error)
        if is_throttling(code):
            raise Throttled(f"Security Hub throttled BatchUpdateFindingsV2 ({code})") from error
        return RecordResult(False, status, text, f"BatchUpdateFindingsV2 failed: {code}")
    for unprocessed in response.get("UnprocessedFindings") or []:
        code = str(unprocessed.get("ErrorCode", ""))
        message = str(unprocessed.get("ErrorMessage", ""))
        return RecordResult(False, status, text, f"finding not updated: {code} {message}".strip())
    return RecordResult(True, status, text)
