"""Write on each Security Hub finding what edgeguard blocked because of it.

BatchUpdateFindings takes one Note for all the findings of a call, so findings
are grouped by their note text (at most 100 identifiers per call). A finding
Security Hub could not update comes back in ``UnprocessedFindings``: it is
reported, never silently lost. Writing the same note again is harmless.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_securityhub import SecurityHubClient
    from mypy_boto3_securityhub.type_defs import AwsSecurityFindingIdentifierTypeDef

UPDATED_BY = "edgeguard"
_BATCH = 100


@dataclass
class NoteReport:
    """What ``write_notes`` did: findings Security Hub updated, and the ones it did not.

    ``unprocessed`` entries read ``"<finding id>: <ErrorCode> <ErrorMessage>"``.
    """

    updated: int = 0
    unprocessed: list[str] = field(default_factory=list)  # "finding id: ErrorCode message"


def write_notes(
    securityhub: SecurityHubClient,
    notes: Iterable[tuple[AwsSecurityFindingIdentifierTypeDef, str]],
    updated_by: str = UPDATED_BY,
) -> NoteReport:
    """Write each note on its findings with BatchUpdateFindings; returns a NoteReport.

    ``notes`` are (FindingIdentifier ``{"Id", "ProductArn"}``, note text) pairs; the
    text must be at most 512 characters and a call takes at most 100 identifiers
    (source: "AWS Security Hub API Reference: BatchUpdateFindings").

    Raises:
        botocore.exceptions.ClientError: a call was refused as a whole (findings
            refused one by one are reported in ``unprocessed`` instead).
    """
    groups: dict[str, list[AwsSecurityFindingIdentifierTypeDef]] = defaultdict(list)
    for identifier, text in notes:
        groups[text].append(identifier)
    report = NoteReport()
    for text, identifiers in groups.items():
        for start in range(0, len(identifiers), _BATCH):
            batch = identifiers[start : start + _BATCH]
            response = securityhub.batch_update_findings(
                FindingIdentifiers=batch, Note={"Text": text, "UpdatedBy": updated_by}
            )
            unprocessed = response.get("UnprocessedFindings") or []
            report.updated += len(response.get("ProcessedFindings") or [])
            for item in unprocessed:
                finding_id = (item.get("FindingIdentifier") or {}).get("Id", "?")
                why = f"{item.get('ErrorCode', '')} {item.get('ErrorMessage', '')}".strip()
                report.unprocessed.append(f"{finding_id}: {why}")
    return report
