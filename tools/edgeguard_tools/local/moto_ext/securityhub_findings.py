"""Security Hub findings as AWS stores and filters them.

moto 5.2.5's GetFindings ignores ``Filters`` and ``SortCriteria`` (it returns
every finding), and BatchImportFindings stores the finding exactly as sent and,
on a re-import, overwrites whatever the customer set with BatchUpdateFindings.
On AWS:

- GetFindings applies the filters. Implemented here for the filter fields
  edgeguard and its tests use (see ``FIELDS``): string filters with EQUALS,
  PREFIX, CONTAINS, CONTAINS_WORD (OR'ed per field) and NOT_EQUALS,
  PREFIX_NOT_EQUALS, NOT_CONTAINS (AND'ed per field; EQUALS with a negative, or
  CONTAINS with NOT_CONTAINS, on one field is an InvalidInputException); number,
  date (Start/End or DateRange in DAYS), map, IP (CIDR) and boolean filters;
  fields are AND'ed. SortCriteria sorts by any of those fields. A filter field
  that is not modelled raises NotImplementedError instead of being ignored, so a
  test can never pass because a filter was silently dropped.
- BatchImportFindings fills what Security Hub adds: Workflow.Status NEW,
  WorkflowState NEW, RecordState ACTIVE, ProcessedAt, and FindingProviderFields
  (a copy of the provider's Severity, Types, Confidence, Criticality and
  RelatedFindings); a Severity with only Label or only Normalized gets the
  other. A re-import of an existing finding keeps the customer-owned fields
  (Note, UserDefinedFields, VerificationState, Workflow)
  and, where BatchUpdateFindings changed them, Severity / Types / Confidence /
  Criticality / RelatedFindings; the provider's new values go to
  FindingProviderFields.
"""

from __future__ import annotations

import copy
import ipaddress
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from moto.securityhub.exceptions import SecurityHubClientError
from moto.securityhub.models import Finding, SecurityHubBackend
from moto.utilities.paginator import paginate

from edgeguard import clock
from edgeguard_tools.local.moto_ext._registry import attach, iso_now, original
from edgeguard_tools.local.moto_ext.securityhub import (
    LABEL_TO_NORMALIZED,
    customer_updated,
    label_for,
)

STRING, NUMBER, DATE, MAP, IP, BOOLEAN = "string", "number", "date", "map", "ip", "boolean"

# Filter field -> (kind, path in the ASFF finding; "[]" walks into a list).
FIELDS: dict[str, tuple[str, str]] = {
    **{
        name: (STRING, name)
        for name in (
            "ProductArn",
            "AwsAccountId",
            "AwsAccountName",
            "Id",
            "GeneratorId",
            "Region",
            "Title",
            "Description",
            "SourceUrl",
            "ProductName",
            "CompanyName",
            "VerificationState",
            "WorkflowState",
            "RecordState",
        )
    },
    "Type": (STRING, "Types[]"),
    "SeverityLabel": (STRING, "Severity.Label"),
    "RecommendationText": (STRING, "Remediation.Recommendation.Text"),
    "NetworkDirection": (STRING, "Network.Direction"),
    "NetworkProtocol": (STRING, "Network.Protocol"),
    "NetworkSourceDomain": (STRING, "Network.SourceDomain"),
    "NetworkDestinationDomain": (STRING, "Network.DestinationDomain"),
    "ThreatIntelIndicatorType": (STRING, "ThreatIntelIndicators[].Type"),
    "ThreatIntelIndicatorValue": (STRING, "ThreatIntelIndicators[].Value"),
    "ThreatIntelIndicatorCategory": (STRING, "ThreatIntelIndicators[].Category"),
    "ThreatIntelIndicatorSource": (STRING, "ThreatIntelIndicators[].Source"),
    "ResourceType": (STRING, "Resources[].Type"),
    "ResourceId": (STRING, "Resources[].Id"),
    "ResourcePartition": (STRING, "Resources[].Partition"),
    "ResourceRegion": (STRING, "Resources[].Region"),
    "ResourceAwsIamAccessKeyUserName": (STRING, "Resources[].Details.AwsIamAccessKey.UserName"),
    "ResourceAwsIamAccessKeyPrincipalName": (
        STRING,
        "Resources[].Details.AwsIamAccessKey.PrincipalName",
    ),
    "ResourceAwsIamUserUserName": (STRING, "Resources[].Details.AwsIamUser.UserName"),
    "ResourceAwsEc2InstanceVpcId": (STRING, "Resources[].Details.AwsEc2Instance.VpcId"),
    "ComplianceStatus": (STRING, "Compliance.Status"),
    "ComplianceSecurityControlId": (STRING, "Compliance.SecurityControlId"),
    "WorkflowStatus": (STRING, "Workflow.Status"),
    "RelatedFindingsProductArn": (STRING, "RelatedFindings[].ProductArn"),
    "RelatedFindingsId": (STRING, "RelatedFindings[].Id"),
    "NoteText": (STRING, "Note.Text"),
    "NoteUpdatedBy": (STRING, "Note.UpdatedBy"),
    "FindingProviderFieldsSeverityLabel": (STRING, "FindingProviderFields.Severity.Label"),
    "FindingProviderFieldsTypes": (STRING, "FindingProviderFields.Types[]"),
    "CreatedAt": (DATE, "CreatedAt"),
    "UpdatedAt": (DATE, "UpdatedAt"),
    "FirstObservedAt": (DATE, "FirstObservedAt"),
    "LastObservedAt": (DATE, "LastObservedAt"),
    "NoteUpdatedAt": (DATE, "Note.UpdatedAt"),
    "SeverityNormalized": (NUMBER, "Severity.Normalized"),
    "SeverityProduct": (NUMBER, "Severity.Product"),
    "Confidence": (NUMBER, "Confidence"),
    "Criticality": (NUMBER, "Criticality"),
    "NetworkSourcePort": (NUMBER, "Network.SourcePort"),
    "NetworkDestinationPort": (NUMBER, "Network.DestinationPort"),
    "ProductFields": (MAP, "ProductFields"),
    "UserDefinedFields": (MAP, "UserDefinedFields"),
    "ResourceTags": (MAP, "Resources[].Tags"),
    "NetworkSourceIpV4": (IP, "Network.SourceIpV4"),
    "NetworkSourceIpV6": (IP, "Network.SourceIpV6"),
    "NetworkDestinationIpV4": (IP, "Network.DestinationIpV4"),
    "NetworkDestinationIpV6": (IP, "Network.DestinationIpV6"),
    "Sample": (BOOLEAN, "Sample"),
}
_POSITIVE = {"EQUALS", "PREFIX", "CONTAINS", "CONTAINS_WORD"}
_NEGATIVE = {"NOT_EQUALS", "PREFIX_NOT_EQUALS", "NOT_CONTAINS"}
CUSTOMER_FIELDS = ("Note", "UserDefinedFields", "VerificationState", "Workflow")
PROVIDER_FIELDS = ("Severity", "Types", "Confidence", "Criticality", "RelatedFindings")


def _invalid(message: str) -> SecurityHubClientError:
    return SecurityHubClientError("InvalidInputException", message)


def values_at(data: Any, path: str) -> list[Any]:
    """Every value at ``path`` (dots into objects, ``[]`` across list items)."""
    current: list[Any] = [data]
    for step in path.split("."):
        into_list = step.endswith("[]")
        key = step.removesuffix("[]")
        following: list[Any] = []
        for node in current:
            if not isinstance(node, dict) or node.get(key) is None:
                continue
            value = node[key]
            if into_list and isinstance(value, list):
                following.extend(v for v in value if v is not None)
            else:
                following.append(value)
        current = following
    return current


def _string_hit(value: str, comparison: str, wanted: str) -> bool:
    if comparison in {"EQUALS", "NOT_EQUALS"}:
        return value == wanted
    if comparison in {"PREFIX", "PREFIX_NOT_EQUALS"}:
        return value.startswith(wanted)
    if comparison == "CONTAINS_WORD":
        return re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", value) is not None
    return wanted in value  # CONTAINS / NOT_CONTAINS


def _check_combination(name: str, comparisons: set[str]) -> None:
    if "EQUALS" in comparisons and comparisons & {"NOT_EQUALS", "PREFIX_NOT_EQUALS"}:
        raise _invalid(f"{name}: EQUALS cannot be combined with NOT_EQUALS or PREFIX_NOT_EQUALS.")
    if "CONTAINS" in comparisons and "NOT_CONTAINS" in comparisons:
        raise _invalid(f"{name}: CONTAINS cannot be combined with NOT_CONTAINS.")


def _match_strings(name: str, values: list[Any], conditions: list[dict[str, Any]]) -> bool:
    comparisons = {c.get("Comparison", "EQUALS") for c in conditions}
    unknown = comparisons - _POSITIVE - _NEGATIVE
    if unknown:
        raise _invalid(f"{name}: unknown Comparison {sorted(unknown)}.")
    _check_combination(name, comparisons)
    texts = [str(v) for v in values]
    positive = [c for c in conditions if c.get("Comparison", "EQUALS") in _POSITIVE]
    negative = [c for c in conditions if c.get("Comparison") in _NEGATIVE]
    if positive and not any(
        _string_hit(t, c.get("Comparison", "EQUALS"), str(c.get("Value", "")))
        for c in positive
        for t in texts
    ):
        return False
    return not any(
        _string_hit(t, c["Comparison"], str(c.get("Value", ""))) for c in negative for t in texts
    )


def _match_number(value: Any, condition: dict[str, Any]) -> bool:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    checks = {
        "Eq": lambda x: number == x,
        "Gte": lambda x: number >= x,
        "Lte": lambda x: number <= x,
        "Gt": lambda x: number > x,
        "Lt": lambda x: number < x,
    }
    return all(check(float(condition[key])) for key, check in checks.items() if key in condition)


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


def _match_date(value: Any, condition: dict[str, Any]) -> bool:
    moment = _parse_time(value)
    if moment is None:
        return False
    if date_range := condition.get("DateRange"):
        if date_range.get("Unit", "DAYS") != "DAYS":
            raise _invalid("DateRange.Unit must be DAYS.")
        return moment >= clock.utcnow() - timedelta(days=int(date_range.get("Value", 0)))
    start = _parse_time(condition["Start"]) if condition.get("Start") else None
    end = _parse_time(condition["End"]) if condition.get("End") else None
    return (start is None or moment >= start) and (end is None or moment <= end)


def _map_pairs(values: list[Any]) -> Iterator[tuple[str, str]]:
    for value in values:
        if isinstance(value, dict):
            yield from ((str(k), str(v)) for k, v in value.items())


def _match_map(name: str, values: list[Any], conditions: list[dict[str, Any]]) -> bool:
    _check_combination(name, {c.get("Comparison", "EQUALS") for c in conditions})
    pairs = list(_map_pairs(values))

    def hit(condition: dict[str, Any]) -> bool:
        wanted = str(condition.get("Value", ""))
        found = [v for k, v in pairs if k == condition.get("Key")]
        return any(_string_hit(v, condition.get("Comparison", "EQUALS"), wanted) for v in found)

    positive = [c for c in conditions if c.get("Comparison", "EQUALS") in _POSITIVE]
    negative = [c for c in conditions if c.get("Comparison") in _NEGATIVE]
    if positive and not any(hit(c) for c in positive):
        return False
    return not any(hit(c) for c in negative)


def _match_ip(value: Any, condition: dict[str, Any]) -> bool:
    try:
        return ipaddress.ip_address(str(value)) in ipaddress.ip_network(
            condition["Cidr"], strict=False
        )
    except (KeyError, ValueError):
        return False


def matches(finding: dict[str, Any], filters: dict[str, list[dict[str, Any]]]) -> bool:
    """Whether an ASFF finding passes AwsSecurityFindingFilters (fields AND'ed)."""
    for name, conditions in filters.items():
        if not conditions:
            continue
        if name not in FIELDS:
            raise NotImplementedError(
                f"edgeguard moto_ext: GetFindings filter {name!r} is not modelled; "
                "add it to edgeguard_tools.local.moto_ext.securityhub_findings.FIELDS"
            )
        kind, path = FIELDS[name]
        values = values_at(finding, path)
        if kind == STRING:
            ok = _match_strings(name, values, conditions)
        elif kind == MAP:
            ok = _match_map(name, values, conditions)
        elif kind == NUMBER:
            ok = any(_match_number(v, c) for c in conditions for v in values)
        elif kind == DATE:
            ok = any(_match_date(v, c) for c in conditions for v in values)
        elif kind == IP:
            ok = any(_match_ip(v, c) for c in conditions for v in values)
        else:
            ok = any(v is c.get("Value") for c in conditions for v in values)
        if not ok:
            return False
    return True


def _sort_key(field: str) -> Any:
    if field not in FIELDS:
        raise NotImplementedError(f"edgeguard moto_ext: SortCriteria field {field!r} not modelled")
    kind, path = FIELDS[field]

    def key(finding: dict[str, Any]) -> tuple[int, Any]:
        values = values_at(finding, path)
        if not values:
            return (1, "")
        value = values[0]
        if kind == NUMBER:
            return (0, float(value))
        return (0, str(value))

    return key


@paginate(pagination_model=SecurityHubBackend.PAGINATION_MODEL)
def get_findings(
    self: SecurityHubBackend,
    filters: dict[str, Any] | None = None,
    sort_criteria: list[dict[str, str]] | None = None,
    max_results: int | None = None,
) -> list[dict[str, Any]]:
    """GetFindings with Filters and SortCriteria applied."""
    if max_results is not None and not 1 <= int(max_results) <= 100:
        raise _invalid("MaxResults must be a number between 1 and 100")
    findings = [f.as_dict() for f in self.findings if matches(f.as_dict(), filters or {})]
    for criterion in reversed(sort_criteria or []):
        key = _sort_key(criterion.get("Field", ""))
        descending = criterion.get("SortOrder", "asc").lower() == "desc"
        present = [f for f in findings if key(f)[0] == 0]
        absent = [f for f in findings if key(f)[0] == 1]
        findings = sorted(present, key=key, reverse=descending) + absent
    return findings


def _complete_severity(severity: dict[str, Any]) -> dict[str, Any]:
    """Fill Label from Normalized or Normalized from Label, as Security Hub does."""
    severity = dict(severity)
    if "Label" not in severity and severity.get("Normalized") is not None:
        severity["Label"] = label_for(int(severity["Normalized"]))
    if "Normalized" not in severity and severity.get("Label") in LABEL_TO_NORMALIZED:
        severity["Normalized"] = LABEL_TO_NORMALIZED[severity["Label"]]
    return severity


def _provider_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = {k: copy.deepcopy(data[k]) for k in PROVIDER_FIELDS if data.get(k) is not None}
    if "Severity" in fields:  # FindingProviderSeverity has Label and Original only
        severity = _complete_severity(fields["Severity"])
        fields["Severity"] = {k: severity[k] for k in ("Label", "Original") if k in severity}
    return fields


def batch_import_findings(
    self: SecurityHubBackend, findings: list[dict[str, Any]]
) -> tuple[int, int, list[dict[str, Any]]]:
    """moto's import, plus the fields Security Hub adds and keeps (see module doc)."""
    existing = {(f.id, str(f.data.get("ProductArn"))): f for f in self.findings}
    customer: dict[tuple[str, str], dict[str, Any]] = {}
    for data in findings:
        key = (str(data.get("Id")), str(data.get("ProductArn")))
        if key in existing:
            old = existing[key].data
            kept = {k: old[k] for k in CUSTOMER_FIELDS if k in old}
            kept |= {k: old[k] for k in customer_updated(self).get(key, ()) if k in old}
            customer[key] = kept
    moto_import = original(SecurityHubBackend, "batch_import_findings")
    failed, succeeded, failures = moto_import(self, findings)
    now = iso_now()
    by_key = {(f.id, str(f.data.get("ProductArn"))): f for f in self.findings}
    for data in findings:
        key = (str(data.get("Id")), str(data.get("ProductArn")))
        finding: Finding | None = by_key.get(key)
        if finding is None or any(x.get("Id") == key[0] for x in failures):
            continue
        stored = finding.data
        stored["FindingProviderFields"] = data.get("FindingProviderFields") or _provider_fields(
            data
        )
        if isinstance(data.get("Severity"), dict):
            stored["Severity"] = _complete_severity(data["Severity"])
        stored.update(customer.get(key, {}))
        stored.setdefault("Workflow", {"Status": "NEW"})
        stored.setdefault("WorkflowState", "NEW")
        stored.setdefault("RecordState", "ACTIVE")
        stored["ProcessedAt"] = now
    return failed, succeeded, failures


def install() -> None:
    """Register filtered GetFindings and the AWS-like import (idempotent)."""
    original(SecurityHubBackend, "batch_import_findings")
    attach(
        SecurityHubBackend,
        {"get_findings": get_findings, "batch_import_findings": batch_import_findings},
    )
