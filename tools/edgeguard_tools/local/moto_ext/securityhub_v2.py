"""The current Security Hub's OCSF findings on moto's Security Hub backend.

moto 5.2.5 knows only Security Hub CSPM (ASFF). The current Security Hub keeps OCSF
findings, which producers (GuardDuty, Inspector, partner integrations) write directly -
there is no customer API to import one - sends each as a "Findings Imported V2"
EventBridge event, and is answered with BatchUpdateFindingsV2. Added here:

- ``put_ocsf_finding(finding)``: what a producer does (a local-cloud/test helper, as AWS has
  no API for it); returns the "Findings Imported V2" event AWS would send
  (``findings_imported_v2_event``; "AWS Security Hub User Guide: EventBridge event formats").
- BatchUpdateFindingsV2 (``PATCH /findingsv2/batchupdatev2``; "AWS Security Hub API
  Reference: BatchUpdateFindingsV2"): findings named by ``MetadataUids`` or by
  ``FindingIdentifiers`` (CloudAccountUid + FindingInfoUid + MetadataProductUid), never both
  (ValidationException), at most 100; at least one of Comment, SeverityId, StatusId. Each
  finding is processed or comes back unprocessed with ``ResourceNotFoundException``. As on
  AWS, ``finding_info.modified_time(_dt)`` and ``time(_dt)`` are not changed. The OCSF
  captions follow the ids (``status``, ``severity``); the comment is kept in ``comment``.
- GetFindingsV2 (``POST /findingsv2``): the stored findings, paged by MaxResults /
  NextToken. Filters are not modelled: a request with Filters raises NotImplementedError
  rather than answering as if they were applied.

State lives on the backend instance, so ``mock_aws`` resets it.
"""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

from moto.securityhub import urls as securityhub_urls
from moto.securityhub.exceptions import SecurityHubClientError
from moto.securityhub.models import SecurityHubBackend, securityhub_backends
from moto.securityhub.responses import SecurityHubResponse

from edgeguard_tools.local.moto_ext._registry import add_url_paths, attach

MAX_IDENTIFIERS = 100
# OCSF Detection Finding status_id and severity_id captions (OCSF 1.x schema).
STATUS = {0: "Unknown", 1: "New", 2: "In Progress", 3: "Suppressed", 4: "Resolved", 99: "Other"}
SEVERITY = {
    0: "Unknown",
    1: "Informational",
    2: "Low",
    3: "Medium",
    4: "High",
    5: "Critical",
    6: "Fatal",
    99: "Other",
}


def _validation(message: str) -> SecurityHubClientError:
    return SecurityHubClientError("ValidationException", message)


def _store(backend: SecurityHubBackend) -> list[dict[str, Any]]:
    store = backend.__dict__.get("_edgeguard_ocsf_findings")
    if store is None:
        store = backend.__dict__["_edgeguard_ocsf_findings"] = []
    return store


def _identifier(finding: dict[str, Any]) -> dict[str, str]:
    return {
        "CloudAccountUid": str(((finding.get("cloud") or {}).get("account") or {}).get("uid", "")),
        "FindingInfoUid": str((finding.get("finding_info") or {}).get("uid", "")),
        "MetadataProductUid": str(
            ((finding.get("metadata") or {}).get("product") or {}).get("uid", "")
        ),
    }


def findings_imported_v2_event(
    finding: dict[str, Any], account: str, region: str, time: str = "2026-11-20T14:06:00Z"
) -> dict[str, Any]:
    """The EventBridge event the current Security Hub sends for one finding."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Findings Imported V2",
        "source": "aws.securityhub",
        "account": account,
        "time": time,
        "region": region,
        "resources": [uuid.uuid4().hex + uuid.uuid4().hex[:31]],
        "detail": {"findings": [copy.deepcopy(finding)]},
    }


def put_ocsf_finding(
    finding: dict[str, Any], account: str = "123456789012", region: str = "us-east-1"
) -> dict[str, Any]:
    """Store ``finding`` as a producer would (replacing one with the same identifier) and
    return its "Findings Imported V2" event. ``finding_info.uid``, ``metadata.uid`` and
    ``metadata.product.uid`` are required (ValueError otherwise)."""
    identifier = _identifier(finding)
    if not identifier["FindingInfoUid"] or not identifier["MetadataProductUid"]:
        raise ValueError("an OCSF finding needs finding_info.uid and metadata.product.uid")
    if not (finding.get("metadata") or {}).get("uid"):
        raise ValueError("an OCSF finding needs metadata.uid")
    store = _store(securityhub_backends[account][region])
    store[:] = [f for f in store if _identifier(f) != identifier]
    store.append(copy.deepcopy(finding))
    return findings_imported_v2_event(finding, account, region)


def batch_update_findings_v2(
    self: SecurityHubBackend, params: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Apply Comment / SeverityId / StatusId; (processed, unprocessed) as AWS answers."""
    uids = params.get("MetadataUids")
    identifiers = params.get("FindingIdentifiers")
    if uids and identifiers:
        raise _validation("MetadataUids cannot be used together with FindingIdentifiers.")
    targets = uids or identifiers
    if not targets or len(targets) > MAX_IDENTIFIERS:
        raise _validation(f"Between 1 and {MAX_IDENTIFIERS} findings must be named.")
    update = {k: params.get(k) for k in ("Comment", "SeverityId", "StatusId")}
    if all(value is None for value in update.values()):
        raise _validation("At least one of Comment, SeverityId or StatusId is required.")
    if update["StatusId"] is not None and update["StatusId"] not in STATUS:
        raise _validation(f"StatusId {update['StatusId']} is not a valid OCSF status_id.")
    if update["SeverityId"] is not None and update["SeverityId"] not in SEVERITY:
        raise _validation(f"SeverityId {update['SeverityId']} is not a valid OCSF severity_id.")
    comment = update["Comment"]
    if comment is not None and (not isinstance(comment, str) or not comment.strip()):
        raise _validation("Comment must contain a non-blank character.")
    processed: list[dict[str, Any]] = []
    unprocessed: list[dict[str, Any]] = []
    for target in targets:
        if uids:
            found = [f for f in _store(self) if (f.get("metadata") or {}).get("uid") == target]
            key: dict[str, Any] = {"MetadataUid": target}
        else:
            found = [f for f in _store(self) if _identifier(f) == target]
            key = {"FindingIdentifier": target}
        if not found:
            unprocessed.append(
                {
                    **key,
                    "ErrorCode": "ResourceNotFoundException",
                    "ErrorMessage": "Finding not found",
                }
            )
            continue
        for finding in found:
            if update["StatusId"] is not None:
                finding["status_id"] = update["StatusId"]
                finding["status"] = STATUS[update["StatusId"]]
            if update["SeverityId"] is not None:
                finding["severity_id"] = update["SeverityId"]
                finding["severity"] = SEVERITY[update["SeverityId"]]
            if comment is not None:
                finding["comment"] = comment
        processed.append(key)
    return processed, unprocessed


def get_findings_v2(self: SecurityHubBackend, params: dict[str, Any]) -> dict[str, Any]:
    """Stored OCSF findings, paged; Filters are not modelled (NotImplementedError)."""
    if params.get("Filters"):
        raise NotImplementedError("GetFindingsV2 Filters are not modelled by moto_ext")
    findings = _store(self)
    start = 0
    if token := params.get("NextToken"):
        if not str(token).isdigit() or int(token) > len(findings):
            raise _validation("The NextToken is not valid.")
        start = int(token)
    size = int(params.get("MaxResults") or 100)
    result: dict[str, Any] = {"Findings": copy.deepcopy(findings[start : start + size])}
    if start + size < len(findings):
        result["NextToken"] = str(start + size)
    return result


def _body(response: SecurityHubResponse) -> dict[str, Any]:
    raw = response.body
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    return json.loads(raw) if raw else {}


def _response_batch_update_findings_v2(self: SecurityHubResponse) -> str:
    processed, unprocessed = batch_update_findings_v2(self.securityhub_backend, _body(self))
    return json.dumps({"ProcessedFindings": processed, "UnprocessedFindings": unprocessed})


def _response_get_findings_v2(self: SecurityHubResponse) -> str:
    return json.dumps(get_findings_v2(self.securityhub_backend, _body(self)))


def install() -> None:
    """Register BatchUpdateFindingsV2 and GetFindingsV2 (idempotent)."""
    attach(
        SecurityHubBackend,
        {"batch_update_findings_v2": batch_update_findings_v2, "get_findings_v2": get_findings_v2},
    )
    attach(
        SecurityHubResponse,
        {
            "batch_update_findings_v2": _response_batch_update_findings_v2,
            "get_findings_v2": _response_get_findings_v2,
        },
    )
    add_url_paths(
        securityhub_urls,
        ["{0}/findingsv2$", "{0}/findingsv2/batchupdatev2$"],
        SecurityHubResponse.dispatch,
    )
