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
    (ASFF)") or GuardDuty's own format ("Amazon GuardDuty User Guide: GuardDuty finding
    format"). Sample, archived and (for imported findings) not-new findings, and
    findings with no playbook, go to ``skipped`` with the reason.

    Raises:
        NotAFindingEvent: not one of the three deliveries, or no detail / findings list.
    """
    if not isinstance(event, dict):
        raise NotAFindingEvent("the event is not a JSON object")
    detail_type = event.get("detail-type")
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise NotAFindingEvent(f"{detail_type!r} event without a detail object")
    event_id = str(event.get("id") or "")
    if detail_type == GUARDDUTY and event.get("source") == "aws.guardduty":
        task = _guardduty_task(detail, event_id)
        why_not = _guardduty_not_real(detail)
        if why_not:
            return Plan([], [{"finding": task.finding_id, "reason": why_not}])
        return Plan([task], [])
    if detail_type == IMPORTED_V2 and event.get("source") == "aws.securityhub":
        return _plan_ocsf(detail, event_id)
    if detail_type not in (IMPORTED, CUSTOM_ACTION) or event.get("source") != "aws.securityhub":
        raise NotAFindingEvent(f"not a finding delivery edgeguard serves: {detail_type!r}")
    findings = detail.get("findings")
    if not isinstance(findings, list):
        raise NotAFindingEvent("Security Hub event without a findings list")
    custom = detail_type == CUSTOM_ACTION
    tasks: list[Task] = []
    skipped: list[dict[str, str]] = []
    for finding in findings:
        if not isinstance(finding, dict) or not finding.get("Id"):
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
        info = _dict(finding.get("finding_info")) if isinstance(finding, dict) else {}
        if not isinstance(info.get("uid"), str) or not info["uid"]:
            skipped.append({"finding": "?", "reason": "not an OCSF finding (no finding_info.uid)"})
            continue
        task = _ocsf_task(finding, info, event_id)
        status = finding.get("status_id")
        if status != OCSF_NEW:
            skipped.append({"finding": task.finding_id, "reason": f"status_id is {status}, not 1"})
        elif task.playbook == NO_PLAYBOOK:
            skipped.append({"finding": task.finding_id, "reason": task.reason})
        else:
            tasks.append(task)
    return Plan(tasks, skipped)


def _ocsf_task(finding: dict[str, Any], info: dict[str, Any], event_id: str) -> Task:
    """One OCSF Detection Finding ("OCSF findings in Security Hub"): the type in
    ``finding_info.types``, the trail among ``resources[]`` (type AWS::CloudTrail::Trail),
    the caller's address in ``evidences[].src_endpoint.ip``."""
    types = [t for t in _list(info.get("types")) if isinstance(t, str)]
    candidates: list[Any] = []
    for resource in _list(finding.get("resources")):
        if isinstance(resource, dict) and resource.get("type") in OCSF_TRAIL_TYPES:
            candidates += [resource.get("uid"), resource.get("name")]
    trail = _first_trail(candidates, [info.get("title"), info.get("desc")])
    matches = GUARDDUTY_TYPE in types or any(t.endswith("CloudTrailLoggingDisabled") for t in types)
    playbook, reason = PLAYBOOK, ""
    if not matches:
        playbook = NO_PLAYBOOK
        reason = f"no playbook for finding type {', '.join(types) or 'unknown'}"
    evidences = [e for e in _list(finding.get("evidences")) if isinstance(e, dict)]
    api = next((_dict(e.get("api")).get("operation") for e in evidences if e.get("api")), "")
    source_ip = next(
        (_dict(e.get("src_endpoint")).get("ip") for e in evidences if e.get("src_endpoint")), ""
    )
    finding_id = str(info["uid"])
    updated = _canonical_time(info.get("modified_time_dt") or finding.get("time_dt"))
    product = _dict(_dict(finding.get("metadata")).get("product"))
    cloud = _dict(finding.get("cloud"))
    return Task(
        source=OCSF_SOURCE,
        trigger="imported-v2",
        finding_id=finding_id,
        product_arn=str(product.get("uid") or ""),
        finding_type=", ".join(types),
        title=str(info.get("title") or ""),
        updated_at=updated,
        account=str(_dict(cloud.get("account")).get("uid") or ""),
        region=str(cloud.get("region") or ""),
        playbook=playbook,
        reason=reason,
        trail=trail,
        api=str(api or ""),
        source_ip=str(source_ip or ""),
        # GuardDuty's OCSF finding_info.uid is the GuardDuty finding ARN, as its ASFF Id is:
        # the copies share one remediation (and one announcement).
        remediation_key=f"finding:{finding_id}:{updated}",
        record_key=f"{OCSF_SOURCE}:{finding_id}:{updated}",
        event_id=event_id,
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _guardduty_not_real(detail: dict[str, Any]) -> str | None:
    """Sample findings ("Generate sample findings") name made-up trails; archived ones
    were dismissed. Neither may restart anything or raise a critical alert."""
    service = detail.get("service")
    service = service if isinstance(service, dict) else {}
    info = service.get("additionalInfo")
    if isinstance(info, dict) and _is_true(info.get("sample")):
        return "sample finding (Generate sample findings): nothing to remediate"
    if _is_true(service.get("archived")):
        return "archived finding: nothing to remediate"
    return None


def _asff_sample(finding: dict[str, Any]) -> str | None:
    fields = finding.get("ProductFields")
    fields = fields if isinstance(fields, dict) else {}
    sample = _is_true(finding.get("Sample")) or any(
        str(k).lower().endswith("additionalinfo/sample") and _is_true(v) for k, v in fields.items()
    )
    return "sample finding: nothing to remediate" if sample else None


def _not_new(finding: dict[str, Any]) -> str | None:
    """Imported findings are acted on once: only NEW and ACTIVE (our own update re-imports)."""
    workflow = finding.get("Workflow")
    status = workflow.get("Status") if isinstance(workflow, dict) else None
    status = status or finding.get("WorkflowState")
    if status != "NEW":
        return f"workflow status is {status}, not NEW"
    if finding.get("RecordState") != "ACTIVE":
        return f"record state is {finding.get('RecordState')}, not ACTIVE"
    return None


def _asff_task(finding: dict[str, Any], event_id: str, custom: bool) -> Task:
    types = [t for t in finding.get("Types") or [] if isinstance(t, str)]
    trail = _asff_trail(finding)
    matches = ASFF_TYPE in types or any(t.endswith("CloudTrailLoggingDisabled") for t in types)
    if matches or (custom and trail):
        playbook, reason = PLAYBOOK, ""
    else:
        playbook = NO_PLAYBOOK
        reason = f"no playbook for finding type {', '.join(types) or 'unknown'} and no trail named"
    api_call = _asff_api_call(finding)
    finding_id = str(finding["Id"])
    updated = _canonical_time(finding.get("UpdatedAt"))
    task = Task(
        source="securityhub",
        trigger="custom-action" if custom else "imported",
        finding_id=finding_id,
        product_arn=str(finding.get("ProductArn") or ""),
        finding_type=", ".join(types),
        title=str(finding.get("Title") or ""),
        updated_at=updated,
        account=str(finding.get("AwsAccountId") or ""),
        region=str(finding.get("Region") or ""),
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


def _dict(value: Any) -> dict[str, Any]:
    """value if it is a JSON object, else an empty one (event fields are untrusted)."""
    return value if isinstance(value, dict) else {}


def _guardduty_task(detail: dict[str, Any], event_id: str) -> Task:
    finding_type = str(detail.get("type") or "")
    service = _dict(detail.get("service"))
    action_block = _dict(service.get("action"))
    action = action_block.get("awsApiCallAction") or {}
    action = action if isinstance(action, dict) else {}
    affected = action.get("affectedResources") or {}
    trail = _first_trail(
        [affected.get(AFFECTED_TRAIL)], [detail.get("title"), detail.get("description")]
    )
    remote = action.get("remoteIpDetails") or {}
    resource = detail.get("resource") or {}
    finding_arn = str(detail.get("arn") or detail.get("id") or "")
    updated = _canonical_time(detail.get("updatedAt"))
    playbook, reason = PLAYBOOK, ""
    if finding_type != GUARDDUTY_TYPE:
        playbook, reason = NO_PLAYBOOK, f"no playbook for GuardDuty finding type {finding_type}"
    return Task(
        source="guardduty",
        trigger="guardduty",
        finding_id=finding_arn,
        product_arn="",
        finding_type=finding_type,
        title=str(detail.get("title") or ""),
        updated_at=updated,
        account=str(detail.get("accountId") or ""),
        region=str(detail.get("region") or ""),
        playbook=playbook,
        reason=reason,
        trail=trail,
        api=str(action.get("api") or ""),
        source_ip=str(remote.get("ipAddressV4") or remote.get("ipAddressV6") or ""),
        actor=Actor.from_access_key_details(resource.get("accessKeyDetails")).to_dict(),
        remediation_key=f"finding:{finding_arn}:{updated}",
        record_key=f"guardduty:{finding_arn}:{updated}",
        event_id=event_id,
    )


def _asff_trail(finding: dict[str, Any]) -> str:
    candidates: list[Any] = []
    for resource in finding.get("Resources") or []:
        if isinstance(resource, dict) and resource.get("Type") == TRAIL_RESOURCE_TYPE:
            details = (resource.get("Details") or {}).get("AwsCloudTrailTrail") or {}
            candidates += [resource.get("Id"), details.get("TrailArn"), details.get("Name")]
    affected = ((finding.get("Action") or {}).get("AwsApiCallAction") or {}).get(
        "AffectedResources"
    ) or {}
    candidates.append(affected.get(AFFECTED_TRAIL))
    fields = finding.get("ProductFields") or {}
    candidates += [
        v for k, v in fields.items() if str(k).endswith(f"affectedResources/{AFFECTED_TRAIL}")
    ]
    return _first_trail(candidates, [finding.get("Title"), finding.get("Description")])


def _first_trail(fields: list[Any], texts: list[Any]) -> str:
    """The first structured field holding a trail name or ARN, else an ARN found in free
    text (a title word is never taken for a trail name)."""
    for value in fields:
        if isinstance(value, str) and value.strip():
            try:
                return TrailRef.parse(value).api_id()
            except InvalidTrail:
                continue
    for text in texts:
        found = TRAIL_ARN_IN_TEXT.search(text) if isinstance(text, str) else None
        if found:
            return found.group(0)
    return ""


def _asff_api_call(finding: dict[str, Any]) -> dict[str, str]:
    action = (finding.get("Action") or {}).get("AwsApiCallAction") or {}
    remote = action.get("RemoteIpDetails") or {}
    fields = {str(k): str(v) for k, v in (finding.get("ProductFields") or {}).items()}
    api = action.get("Api") or _suffix(fields, "awsApiCallAction/api")
    ip = remote.get("IpAddressV4") or _suffix(fields, "remoteIpDetails/ipAddressV4")
    return {"api": str(api or ""), "ip": str(ip or "")}


def _asff_actor(finding: dict[str, Any]) -> Actor:
    for resource in finding.get("Resources") or []:
        if not isinstance(resource, dict) or resource.get("Type") not in (
            "AwsIamAccessKey",
            "AWSIAMAccessKey",
        ):
            continue
        details = (resource.get("Details") or {}).get("AwsIamAccessKey") or {}
        key_id = str(resource.get("Id") or "").rsplit(":", 1)[-1]
        return Actor(
            type=str(details.get("PrincipalType") or ""),
            principal_id=str(details.get("PrincipalId") or ""),
            access_key_id=key_id if key_id.startswith(("AKIA", "ASIA")) else "",
            user_name=str(details.get("PrincipalName") or details.get("UserName") or ""),
        )
    return Actor()


def _suffix(fields: dict[str, str], suffix: str) -> str:
    return next((v for k, v in fields.items() if k.endswith(suffix)), "")


def _canonical_time(value: Any) -> str:
    """Second precision UTC, so GuardDuty's and Security Hub's copies key alike."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
