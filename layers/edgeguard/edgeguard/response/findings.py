"""Findings into response tasks.

Four deliveries reach the state machine: Security Hub CSPM "Findings - Imported" (ASFF),
Security Hub CSPM "Findings - Custom Action" (an operator chose "Enable CloudTrail
logging"), the current Security Hub's "Findings Imported V2" (OCSF) and GuardDuty's own
"GuardDuty Finding" event (accounts without Security Hub). Each
finding becomes one task: which playbook, which trail, who, and the idempotency keys.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from edgeguard import fields
from edgeguard.errors import EdgeguardError
from edgeguard.response.actor import Actor
from edgeguard.response.trail import TRAIL_ARN_IN_TEXT, InvalidTrail, TrailRef

IMPORTED = "Security Hub Findings - Imported"
CUSTOM_ACTION = "Security Hub Findings - Custom Action"
IMPORTED_V2 = "Findings Imported V2"
OCSF_SOURCE = "securityhub-v2"
OCSF_NEW = 1  # OCSF Detection Finding status_id New
OCSF_TRAIL_TYPES = ("AWS::CloudTrail::Trail", "AwsCloudTrailTrail")
GUARDDUTY = "GuardDuty Finding"
ASFF_TYPE = "TTPs/Defense Evasion/Stealth:IAMUser-CloudTrailLoggingDisabled"
GUARDDUTY_TYPE = "Stealth:IAMUser/CloudTrailLoggingDisabled"
PLAYBOOK = "enable-cloudtrail-logging"
NO_PLAYBOOK = "none"
TRAIL_RESOURCE_TYPE = "AwsCloudTrailTrail"
AFFECTED_TRAIL = "AWS::CloudTrail::Trail"


class NotAFindingEvent(EdgeguardError, ValueError):
    """The event is none of the three deliveries the state machine serves."""


@dataclass
class Task:
    """One finding to respond to; plain JSON so it travels through Step Functions."""

    source: str  # securityhub | guardduty
    trigger: str  # imported | custom-action | guardduty
    finding_id: str
    product_arn: str
    finding_type: str
    title: str
    updated_at: str
    account: str
    region: str
    playbook: str
    reason: str = ""
    trail: str = ""
    api: str = ""
    source_ip: str = ""
    actor: dict[str, str] = field(default_factory=dict)
    remediation_key: str = ""
    record_key: str = ""
    event_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The task as a JSON-ready dict (every field)."""
        return asdict(self)


@dataclass
class Plan:
    """One event's tasks, and the findings that did not qualify (with why)."""

    tasks: list[Task]
    skipped: list[dict[str, str]]

    def as_dict(self) -> dict[str, Any]:
        """The plan as the state machine's Map input: ``items`` (tasks) and ``skipped``."""
        return {"items": [task.as_dict() for task in self.tasks], "skipped": self.skipped}


def plan(event: Any) -> Plan:
    """Turn one EventBridge event into tasks; findings that do not qualify are listed.

    Findings are ASFF ("AWS Security Hub User Guide: AWS Security Finding Format
    (ASFF)"), OCSF ("OCSF findings in Security Hub") or GuardDuty's own format ("Amazon
    GuardDuty User Guide: GuardDuty finding format"). Sample, archived and (for imported
    findings) not-new findings, and findings with no playbook, go to ``skipped`` with the
    reason. Every field is read through ``edgeguard.fields``: a wrong type is absent.

    Raises:
        NotAFindingEvent: not one of the four deliveries, or no detail / findings list.
    """
    if not isinstance(event, dict):
        raise NotAFindingEvent("the event is not a JSON object")
    detail_type = event.get("detail-type")
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise NotAFindingEvent(f"{str(detail_type)[:80]!r} event without a detail object")
    event_id = fields.text(event, "id")
    if detail_type == GUARDDUTY and event.get("source") == "aws.guardduty":
        task = _guardduty_task(detail, event_id)
        why_not = _guardduty_not_real(detail)
        if why_not:
            return Plan([], [{"finding": task.finding_id, "reason": why_not}])
        return Plan([task], [])
    if detail_type == IMPORTED_V2 and event.get("source") == "aws.securityhub":
        return _plan_ocsf(detail, event_id)
    if detail_type not in (IMPORTED, CUSTOM_ACTION) or event.get("source") != "aws.securityhub":
        raise NotAFindingEvent(
            f"not a finding delivery edgeguard serves: {str(detail_type)[:80]!r}"
        )
    findings = detail.get("findings")
    if not isinstance(findings, list):
        raise NotAFindingEvent("Security Hub event without a findings list")
    custom = detail_type == CUSTOM_ACTION
    tasks: list[Task] = []
    skipped: list[dict[str, str]] = []
    for finding in findings:
        if not fields.text(finding, "Id"):
            skipped.append({"finding": "?", "reason": "not an ASFF finding (no Id)"})
            continue
        task = _asff_task(finding, event_id, custom)
        why_not = _asff_sample(finding) or (None if custom else _not_new(finding))
        if why_not:
            skipped.append({"finding": task.finding_id, "reason": why_not})
            continue
        if not custom and task.playbook == NO_PLAYBOOK:
            skipped.append({"finding": task.finding_id, "reason": task.reason})
            continue
        tasks.append(task)
    return Plan(tasks, skipped)


def _plan_ocsf(detail: dict[str, Any], event_id: str) -> Plan:
    """Tasks for the OCSF findings of a "Findings Imported V2" event: New ones only (our own
    BatchUpdateFindingsV2 re-sends the finding with another status_id)."""
    findings = detail.get("findings")
    if not isinstance(findings, list):
        raise NotAFindingEvent("Findings Imported V2 event without a findings list")
    tasks: list[Task] = []
    skipped: list[dict[str, str]] = []
    for finding in findings:
        if not fields.text(finding, "finding_info", "uid"):
            skipped.append({"finding": "?", "reason": "not an OCSF finding (no finding_info.uid)"})
            continue
        task = _ocsf_task(finding, event_id)
        status = fields.integer(finding, "status_id")
        if status != OCSF_NEW:
            skipped.append({"finding": task.finding_id, "reason": f"status_id is {status}, not 1"})
        elif task.playbook == NO_PLAYBOOK:
            skipped.append({"finding": task.finding_id, "reason": task.reason})
        else:
            tasks.append(task)
    return Plan(tasks, skipped)


def _ocsf_task(finding: dict[str, Any], event_id: str) -> Task:
    """One OCSF Detection Finding ("OCSF findings in Security Hub"): the type in
    ``finding_info.types``, the trail among ``resources[]`` (type AWS::CloudTrail::Trail),
    the caller's address in ``evidences[].src_endpoint.ip``."""
    info = fields.obj(finding, "finding_info")
    types = [t for t in fields.items(info, "types") if isinstance(t, str)]
    candidates: list[Any] = []
    for resource in fields.items(finding, "resources"):
        if fields.text(resource, "type") in OCSF_TRAIL_TYPES:
            candidates += [fields.text(resource, "uid"), fields.text(resource, "name")]
    trail = _first_trail(candidates, [fields.text(info, "title"), fields.text(info, "desc")])
    matches = GUARDDUTY_TYPE in types or any(t.endswith("CloudTrailLoggingDisabled") for t in types)
    playbook, reason = PLAYBOOK, ""
    if not matches:
        playbook = NO_PLAYBOOK
        reason = f"no playbook for finding type {', '.join(types) or 'unknown'}"
    evidences = fields.items(finding, "evidences")
    api = next((a for e in evidences if (a := fields.text(e, "api", "operation"))), "")
    source_ip = next((a for e in evidences if (a := fields.text(e, "src_endpoint", "ip"))), "")
    finding_id = fields.text(info, "uid")
    updated = _canonical_time(
        fields.text(info, "modified_time_dt") or fields.text(finding, "time_dt")
    )
    return Task(
        source=OCSF_SOURCE,
        trigger="imported-v2",
        finding_id=finding_id,
        product_arn=fields.text(finding, "metadata", "product", "uid"),
        finding_type=", ".join(types),
        title=fields.text(info, "title"),
        updated_at=updated,
        account=fields.text(finding, "cloud", "account", "uid"),
        region=fields.text(finding, "cloud", "region"),
        playbook=playbook,
        reason=reason,
        trail=trail,
        api=api,
        source_ip=source_ip,
        # GuardDuty's OCSF finding_info.uid is the GuardDuty finding ARN, as its ASFF Id is:
        # the copies share one remediation (and one announcement).
        remediation_key=f"finding:{finding_id}:{updated}",
        record_key=f"{OCSF_SOURCE}:{finding_id}:{updated}",
        event_id=event_id,
    )


def _guardduty_not_real(detail: dict[str, Any]) -> str | None:
    """Sample findings ("Generate sample findings") name made-up trails; archived ones
    were dismissed. Neither may restart anything or raise a critical alert."""
    if fields.flag(detail, "service", "additionalInfo", "sample"):
        return "sample finding (Generate sample findings): nothing to remediate"
    if fields.flag(detail, "service", "archived"):
        return "archived finding: nothing to remediate"
    return None


def _asff_sample(finding: dict[str, Any]) -> str | None:
    product_fields = fields.obj(finding, "ProductFields")
    sample = fields.flag(finding, "Sample") or any(
        str(k).lower().endswith("additionalinfo/sample") and fields.flag(v)
        for k, v in product_fields.items()
    )
    return "sample finding: nothing to remediate" if sample else None


def _not_new(finding: dict[str, Any]) -> str | None:
    """Imported findings are acted on once: only NEW and ACTIVE (our own update re-imports)."""
    status = fields.text(finding, "Workflow", "Status") or fields.text(finding, "WorkflowState")
    if status != "NEW":
        return f"workflow status is {status or None}, not NEW"
    state = fields.text(finding, "RecordState")
    if state != "ACTIVE":
        return f"record state is {state or None}, not ACTIVE"
    return None


def _asff_task(finding: dict[str, Any], event_id: str, custom: bool) -> Task:
    types = [t for t in fields.items(finding, "Types") if isinstance(t, str)]
    trail = _asff_trail(finding)
    matches = ASFF_TYPE in types or any(t.endswith("CloudTrailLoggingDisabled") for t in types)
    if matches or (custom and trail):
        playbook, reason = PLAYBOOK, ""
    else:
        playbook = NO_PLAYBOOK
        reason = f"no playbook for finding type {', '.join(types) or 'unknown'} and no trail named"
    api_call = _asff_api_call(finding)
    finding_id = fields.text(finding, "Id")
    updated = _canonical_time(fields.text(finding, "UpdatedAt"))
    task = Task(
        source="securityhub",
        trigger="custom-action" if custom else "imported",
        finding_id=finding_id,
        product_arn=fields.text(finding, "ProductArn"),
        finding_type=", ".join(types),
        title=fields.text(finding, "Title"),
        updated_at=updated,
        account=fields.text(finding, "AwsAccountId"),
        region=fields.text(finding, "Region"),
        playbook=playbook,
        reason=reason,
        trail=trail,
        api=api_call.get("api", ""),
        source_ip=api_call.get("ip", ""),
        actor=_asff_actor(finding).to_dict(),
        event_id=event_id,
    )
    # GuardDuty's ASFF Id is the GuardDuty finding ARN, so a finding delivered both by
    # GuardDuty and by Security Hub shares one remediation (and one announcement).
    if custom:
        task.remediation_key = f"custom:{event_id}:{finding_id}"
        task.record_key = task.remediation_key
    else:
        task.remediation_key = f"finding:{finding_id}:{updated}"
        task.record_key = f"securityhub:{finding_id}:{updated}"
    return task


def _guardduty_task(detail: dict[str, Any], event_id: str) -> Task:
    finding_type = fields.text(detail, "type")
    action = fields.obj(detail, "service", "action", "awsApiCallAction")
    trail = _first_trail(
        [fields.text(action, "affectedResources", AFFECTED_TRAIL)],
        [fields.text(detail, "title"), fields.text(detail, "description")],
    )
    finding_arn = fields.text(detail, "arn") or fields.text(detail, "id")
    updated = _canonical_time(fields.text(detail, "updatedAt"))
    playbook, reason = PLAYBOOK, ""
    if finding_type != GUARDDUTY_TYPE:
        playbook, reason = NO_PLAYBOOK, f"no playbook for GuardDuty finding type {finding_type}"
    return Task(
        source="guardduty",
        trigger="guardduty",
        finding_id=finding_arn,
        product_arn="",
        finding_type=finding_type,
        title=fields.text(detail, "title"),
        updated_at=updated,
        account=fields.text(detail, "accountId"),
        region=fields.text(detail, "region"),
        playbook=playbook,
        reason=reason,
        trail=trail,
        api=fields.text(action, "api"),
        source_ip=fields.text(action, "remoteIpDetails", "ipAddressV4")
        or fields.text(action, "remoteIpDetails", "ipAddressV6"),
        actor=Actor.from_access_key_details(
            fields.obj(detail, "resource", "accessKeyDetails")
        ).to_dict(),
        remediation_key=f"finding:{finding_arn}:{updated}",
        record_key=f"guardduty:{finding_arn}:{updated}",
        event_id=event_id,
    )


def _asff_trail(finding: dict[str, Any]) -> str:
    candidates: list[Any] = []
    for resource in fields.items(finding, "Resources"):
        if fields.text(resource, "Type") == TRAIL_RESOURCE_TYPE:
            details = fields.obj(resource, "Details", "AwsCloudTrailTrail")
            candidates += [
                fields.text(resource, "Id"),
                fields.text(details, "TrailArn"),
                fields.text(details, "Name"),
            ]
    candidates.append(
        fields.text(finding, "Action", "AwsApiCallAction", "AffectedResources", AFFECTED_TRAIL)
    )
    candidates += [
        v
        for k, v in fields.obj(finding, "ProductFields").items()
        if str(k).endswith(f"affectedResources/{AFFECTED_TRAIL}")
    ]
    return _first_trail(
        candidates, [fields.text(finding, "Title"), fields.text(finding, "Description")]
    )


def _first_trail(candidates: list[Any], texts: list[Any]) -> str:
    """The first structured field holding a trail name or ARN, else an ARN found in free
    text (a title word is never taken for a trail name)."""
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            try:
                return TrailRef.parse(candidate).api_id()
            except InvalidTrail:
                continue
    for text in texts:
        found = TRAIL_ARN_IN_TEXT.search(text) if isinstance(text, str) else None
        if found:
            return found.group(0)
    return ""


def _asff_api_call(finding: dict[str, Any]) -> dict[str, str]:
    action = fields.obj(finding, "Action", "AwsApiCallAction")
    product = {str(k): v for k, v in fields.obj(finding, "ProductFields").items()}
    api = fields.text(action, "Api") or _suffix(product, "awsApiCallAction/api")
    ip = fields.text(action, "RemoteIpDetails", "IpAddressV4") or _suffix(
        product, "remoteIpDetails/ipAddressV4"
    )
    return {"api": api, "ip": ip}


def _asff_actor(finding: dict[str, Any]) -> Actor:
    for resource in fields.items(finding, "Resources"):
        if fields.text(resource, "Type") not in ("AwsIamAccessKey", "AWSIAMAccessKey"):
            continue
        details = fields.obj(resource, "Details", "AwsIamAccessKey")
        key_id = fields.text(resource, "Id").rsplit(":", 1)[-1]
        return Actor(
            type=fields.text(details, "PrincipalType"),
            principal_id=fields.text(details, "PrincipalId"),
            access_key_id=key_id if key_id.startswith(("AKIA", "ASIA")) else "",
            user_name=fields.text(details, "PrincipalName") or fields.text(details, "UserName"),
        )
    return Actor()


def _suffix(product_fields: dict[str, Any], suffix: str) -> str:
    return next(
        (v for k, v in product_fields.items() if k.endswith(suffix) and isinstance(v, str)), ""
    )


def _canonical_time(value: Any) -> str:
    """Second precision UTC, so GuardDuty's and Security Hub's copies key alike."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError):
        return value
