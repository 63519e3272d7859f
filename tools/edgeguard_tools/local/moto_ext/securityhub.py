"""Security Hub: custom action targets and BatchUpdateFindings on moto's backend.

moto 5.2.5 has EnableSecurityHub, BatchImportFindings and GetFindings but no
action targets (the "Block IP" / "Enable CloudTrail logging" custom actions) and
no BatchUpdateFindings (how remediation records the workflow status and note).
Both are added here to ``SecurityHubBackend`` (state lives on the backend
instance, so ``mock_aws`` resets it) and to ``SecurityHubResponse``.

Behaviour follows the API reference:
- every call here needs Security Hub enabled (InvalidAccessException otherwise);
- CreateActionTarget: Name <= 20 chars, Id <= 20 alphanumeric chars, Description
  <= 256 chars (InvalidInputException), a second target with the same Id is a
  ResourceConflictException; the ARN is
  ``arn:aws:securityhub:<region>:<account>:action/custom/<Id>``;
- DescribeActionTargets lists all targets, or the ARNs asked for (an unknown ARN
  is a ResourceNotFoundException), paged by MaxResults (1..100) / NextToken;
- DeleteActionTarget returns the ARN; an unknown ARN is ResourceNotFoundException;
- BatchUpdateFindings takes 1..100 FindingIdentifiers (Id + ProductArn, both must
  match an imported finding) and at least one field to change. Per finding it
  answers in ProcessedFindings or in UnprocessedFindings with ErrorCode
  ``FindingNotFound`` / ``DuplicatedFindingIdentifier``. Note gets ``UpdatedAt``;
  a Severity with only Label (or only Normalized) gets the other filled in with
  AWS's mapping; UserDefinedFields are merged into the existing map; Types and
  RelatedFindings are replaced. As on AWS, the finding's ``UpdatedAt`` is NOT
  changed by BatchUpdateFindings ("your updates don't affect the value for the
  UpdatedAt field"); the change is visible through GetFindings at once.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

from moto.securityhub import urls as securityhub_urls
from moto.securityhub.exceptions import SecurityHubClientError
from moto.securityhub.models import SecurityHubBackend
from moto.securityhub.responses import SecurityHubResponse

from edgeguard_tools.local.moto_ext._registry import add_url_paths, attach, iso_now

MAX_IDENTIFIERS = 100
_ID_PATTERN = re.compile(r"^[A-Za-z0-9]{1,20}$")
UPDATABLE_FIELDS = (
    "Note",
    "Severity",
    "VerificationState",
    "Confidence",
    "Criticality",
    "Types",
    "UserDefinedFields",
    "Workflow",
    "RelatedFindings",
)
_PROVIDER_OWNED = ("Severity", "Types", "Confidence", "Criticality", "RelatedFindings")
LABEL_TO_NORMALIZED = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}
_WORKFLOW_STATUSES = {"NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"}
_VERIFICATION_STATES = {"UNKNOWN", "TRUE_POSITIVE", "FALSE_POSITIVE", "BENIGN_POSITIVE"}


def _invalid(message: str) -> SecurityHubClientError:
    return SecurityHubClientError("InvalidInputException", message)


def _not_found(message: str) -> SecurityHubClientError:
    return SecurityHubClientError("ResourceNotFoundException", message)


def label_for(normalized: int) -> str:
    """AWS's Normalized -> Label mapping (0 / 1-39 / 40-69 / 70-89 / 90-100)."""
    if normalized == 0:
        return "INFORMATIONAL"
    if normalized < 40:
        return "LOW"
    if normalized < 70:
        return "MEDIUM"
    if normalized < 90:
        return "HIGH"
    return "CRITICAL"


# ---- backend ---------------------------------------------------------------------------


def _require_enabled(backend: SecurityHubBackend) -> None:
    if not backend.enabled:
        raise SecurityHubClientError(
            "InvalidAccessException", "Account is not subscribed to AWS Security Hub"
        )


def _targets(backend: SecurityHubBackend) -> dict[str, dict[str, str]]:
    store = backend.__dict__.get("_edgeguard_action_targets")
    if store is None:
        store = backend.__dict__["_edgeguard_action_targets"] = {}
    return store


def customer_updated(backend: SecurityHubBackend) -> dict[tuple[str, str], set[str]]:
    """(finding Id, ProductArn) -> provider fields a BatchUpdateFindings call changed."""
    store = backend.__dict__.get("_edgeguard_customer_updated")
    if store is None:
        store = backend.__dict__["_edgeguard_customer_updated"] = {}
    return store


def create_action_target(
    self: SecurityHubBackend, name: str, description: str, target_id: str
) -> str:
    """Create a custom action; return its ARN."""
    _require_enabled(self)
    if not name or len(name) > 20:
        raise _invalid("Name must be between 1 and 20 characters.")
    if not description or len(description) > 256:
        raise _invalid("Description must be between 1 and 256 characters.")
    if not target_id or not _ID_PATTERN.match(target_id):
        raise _invalid("Id must contain only alphanumeric characters, up to 20 characters.")
    arn = f"arn:aws:securityhub:{self.region_name}:{self.account_id}:action/custom/{target_id}"
    targets = _targets(self)
    if arn in targets:
        raise SecurityHubClientError(
            "ResourceConflictException", f"ActionTarget with Id {target_id} already exists."
        )
    targets[arn] = {"ActionTargetArn": arn, "Name": name, "Description": description}
    return arn


def describe_action_targets(
    self: SecurityHubBackend, arns: list[str] | None
) -> list[dict[str, str]]:
    """All custom actions, or the ones named by ``arns`` (each must exist)."""
    _require_enabled(self)
    targets = _targets(self)
    if not arns:
        return [dict(t) for t in targets.values()]
    missing = [arn for arn in arns if arn not in targets]
    if missing:
        raise _not_found(f"ActionTarget {missing[0]} not found.")
    return [dict(targets[arn]) for arn in arns]


def delete_action_target(self: SecurityHubBackend, arn: str) -> str:
    """Delete a custom action; return its ARN."""
    _require_enabled(self)
    targets = _targets(self)
    if arn not in targets:
        raise _not_found(f"ActionTarget {arn} not found.")
    del targets[arn]
    return arn


def _validate_update(update: dict[str, Any]) -> None:
    if not any(update.get(field) is not None for field in UPDATABLE_FIELDS):
        raise _invalid("At least one field to update must be provided.")
    note = update.get("Note")
    if note is not None and (not note.get("Text") or not note.get("UpdatedBy")):
        raise _invalid("Note requires Text and UpdatedBy.")
    if note is not None and len(note["Text"]) > 512:
        raise _invalid("Note.Text must be at most 512 characters.")
    workflow = update.get("Workflow")
    if workflow is not None and workflow.get("Status") not in _WORKFLOW_STATUSES:
        raise _invalid(f"Workflow.Status must be one of {sorted(_WORKFLOW_STATUSES)}.")
    state = update.get("VerificationState")
    if state is not None and state not in _VERIFICATION_STATES:
        raise _invalid(f"VerificationState must be one of {sorted(_VERIFICATION_STATES)}.")
    for field in ("Confidence", "Criticality"):
        value = update.get(field)
        if value is not None and not 0 <= value <= 100:
            raise _invalid(f"{field} must be between 0 and 100.")
    severity = update.get("Severity")
    if severity is not None:
        label = severity.get("Label")
        if label is not None and label not in LABEL_TO_NORMALIZED:
            raise _invalid(f"Severity.Label must be one of {sorted(LABEL_TO_NORMALIZED)}.")
        normalized = severity.get("Normalized")
        if normalized is not None and not 0 <= normalized <= 100:
            raise _invalid("Severity.Normalized must be between 0 and 100.")


def _apply_update(data: dict[str, Any], update: dict[str, Any], now: str) -> None:
    if (note := update.get("Note")) is not None:
        data["Note"] = {"Text": note["Text"], "UpdatedBy": note["UpdatedBy"], "UpdatedAt": now}
    if (severity := update.get("Severity")) is not None:
        merged = dict(data.get("Severity") or {})
        merged.update({k: v for k, v in severity.items() if v is not None})
        if "Label" in severity and "Normalized" not in severity:
            merged["Normalized"] = LABEL_TO_NORMALIZED[severity["Label"]]
        if "Normalized" in severity and "Label" not in severity:
            merged["Label"] = label_for(int(severity["Normalized"]))
        data["Severity"] = merged
    if (workflow := update.get("Workflow")) is not None:
        data["Workflow"] = {**(data.get("Workflow") or {}), "Status": workflow["Status"]}
    if (fields := update.get("UserDefinedFields")) is not None:
        data["UserDefinedFields"] = {**(data.get("UserDefinedFields") or {}), **fields}
    for field in ("VerificationState", "Confidence", "Criticality", "Types", "RelatedFindings"):
        if update.get(field) is not None:
            data[field] = update[field]


def batch_update_findings(
    self: SecurityHubBackend, identifiers: list[dict[str, str]], update: dict[str, Any]
) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """Apply ``update`` to each identified finding; (processed, unprocessed) like AWS."""
    _require_enabled(self)
    if not identifiers or len(identifiers) > MAX_IDENTIFIERS:
        raise _invalid(f"FindingIdentifiers must contain between 1 and {MAX_IDENTIFIERS} items.")
    for identifier in identifiers:
        if not identifier.get("Id") or not identifier.get("ProductArn"):
            raise _invalid("Each FindingIdentifier needs Id and ProductArn.")
    _validate_update(update)

    counts: dict[tuple[str, str], int] = {}
    for identifier in identifiers:
        key = (identifier["Id"], identifier["ProductArn"])
        counts[key] = counts.get(key, 0) + 1
    by_key = {(f.id, f.data.get("ProductArn")): f for f in self.findings}
    now = iso_now()
    processed: list[dict[str, str]] = []
    unprocessed: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for identifier in identifiers:
        key = (identifier["Id"], identifier["ProductArn"])
        pair = {"Id": key[0], "ProductArn": key[1]}
        if counts[key] > 1:
            if key not in seen:
                unprocessed.append(
                    {
                        "FindingIdentifier": pair,
                        "ErrorCode": "DuplicatedFindingIdentifier",
                        "ErrorMessage": "Finding Identifier is duplicated",
                    }
                )
            seen.add(key)
            continue
        finding = by_key.get(key)
        if finding is None:
            unprocessed.append(
                {
                    "FindingIdentifier": pair,
                    "ErrorCode": "FindingNotFound",
                    "ErrorMessage": "Finding Not Found",
                }
            )
            continue
        _apply_update(finding.data, update, now)
        touched = {f for f in _PROVIDER_OWNED if update.get(f) is not None}
        customer_updated(self).setdefault(key, set()).update(touched)
        processed.append(pair)
    return processed, unprocessed


# ---- responses -------------------------------------------------------------------------


def _body(response: SecurityHubResponse) -> dict[str, Any]:
    raw = response.body
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    return json.loads(raw) if raw else {}


def _response_create_action_target(self: SecurityHubResponse) -> str:
    params = _body(self)
    arn = create_action_target(
        self.securityhub_backend,
        name=params.get("Name", ""),
        description=params.get("Description", ""),
        target_id=params.get("Id", ""),
    )
    return json.dumps({"ActionTargetArn": arn})


def _response_describe_action_targets(self: SecurityHubResponse) -> str:
    params = _body(self)
    max_results = params.get("MaxResults")
    if max_results is not None and not 1 <= int(max_results) <= 100:
        raise _invalid("MaxResults must be between 1 and 100.")
    targets = describe_action_targets(self.securityhub_backend, params.get("ActionTargetArns"))
    start = 0
    if token := params.get("NextToken"):
        if not token.isdigit() or int(token) > len(targets):
            raise _invalid("The NextToken is not valid.")
        start = int(token)
    end = len(targets) if max_results is None else start + int(max_results)
    result: dict[str, Any] = {"ActionTargets": targets[start:end]}
    if end < len(targets):
        result["NextToken"] = str(end)
    return json.dumps(result)


def _response_delete_action_target(self: SecurityHubResponse) -> str:
    arn = self.uri_match.get("ActionTargetArn") if self.uri_match else None
    if not arn:
        arn = self.path.split("/actionTargets/", 1)[-1]
    arn = delete_action_target(self.securityhub_backend, unquote(arn))
    return json.dumps({"ActionTargetArn": arn})


def _response_batch_update_findings(self: SecurityHubResponse) -> str:
    params = _body(self)
    identifiers = params.get("FindingIdentifiers") or []
    update = {field: params.get(field) for field in UPDATABLE_FIELDS}
    processed, unprocessed = batch_update_findings(self.securityhub_backend, identifiers, update)
    return json.dumps({"ProcessedFindings": processed, "UnprocessedFindings": unprocessed})


def install() -> None:
    """Register the Security Hub extensions (idempotent)."""
    attach(
        SecurityHubBackend,
        {
            "create_action_target": create_action_target,
            "describe_action_targets": describe_action_targets,
            "delete_action_target": delete_action_target,
            "batch_update_findings": batch_update_findings,
        },
    )
    attach(
        SecurityHubResponse,
        {
            "create_action_target": _response_create_action_target,
            "describe_action_targets": _response_describe_action_targets,
            "delete_action_target": _response_delete_action_target,
            "batch_update_findings": _response_batch_update_findings,
        },
    )
    add_url_paths(
        securityhub_urls,
        [
            "{0}/actionTargets$",
            "{0}/actionTargets/get$",
            "{0}/actionTargets/(?P<ActionTargetArn>.+)$",
            "{0}/findings/batchupdate$",
        ],
        SecurityHubResponse.dispatch,
    )
