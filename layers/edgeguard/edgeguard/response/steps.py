"""The tasks of statemachines/respond.asl.json: plan, remediate, verify, record, notify.

Each takes the Map item (a findings.Task as a dict, plus what earlier states added)
and returns JSON. The state machine owns retries and ordering; these own the work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from edgeguard.notify.alert import Alert
from edgeguard.notify.console import Console
from edgeguard.response import cloudtrail, securityhub
from edgeguard.response.actor import Actor
from edgeguard.response.cloudtrail import NotLoggingYet, TrailGone
from edgeguard.response.findings import PLAYBOOK
from edgeguard.response.snapshots import protected_trails
from edgeguard.response.trail import InvalidTrail, ProtectedTrails, TrailRef

if TYPE_CHECKING:
    from mypy_boto3_cloudtrail import CloudTrailClient
    from mypy_boto3_securityhub import SecurityHubClient
    from mypy_boto3_securityhub.type_defs import OcsfFindingIdentifierTypeDef

KIND = "cloudtrail-finding"


@dataclass(frozen=True)
class StepSettings:
    """The steps' settings: this function's region and the protected trails."""

    region: str
    protected: ProtectedTrails


def remediate(
    task: dict[str, Any], client: CloudTrailClient, settings: StepSettings
) -> dict[str, Any]:
    """Start logging on the trail the finding names (or on every stopped protected trail
    when it names none). Returns the outcome; a trail that cannot be fixed is a
    ``failed`` outcome with the reason, not an exception.

    The outcome is ``{"status", "trails", "reason", "verified": False}``; status is ``restarted``,
    ``already_logging``, ``skipped`` or ``failed``. Throttled and ClientError from
    CloudTrail propagate (Step Functions retries / catches them).
    """
    if task.get("playbook") != PLAYBOOK:
        return _outcome("skipped", [], task.get("reason") or "no playbook for this finding")
    named = str(task.get("trail") or "")
    # A finding aggregated from another region (Security Hub cross-region aggregation)
    # is about that region's trails: never restart this region's trail of the same name.
    finding_region = str(task.get("region") or "")
    if named:
        try:
            trail = TrailRef.parse(named)
        except InvalidTrail as error:
            return _outcome("failed", [], str(error))
        home = trail.region or finding_region
        if home and home != settings.region:
            return _outcome(
                "failed",
                [trail.name],
                f"the trail lives in {home}; "
                f"edgeguard runs in {settings.region} and cannot restart it",
            )
        if not settings.protected.covers(trail):
            return _outcome(
                "failed",
                [trail.name],
                "not a protected trail "
                f"(protected: {settings.protected.describe()}); left as it is",
            )
        targets = [trail]
    elif finding_region and finding_region != settings.region:
        return _outcome(
            "failed",
            [],
            f"the finding is from {finding_region}; "
            f"edgeguard runs in {settings.region} and cannot restart trails there",
        )
    else:
        targets = protected_trails(client, settings.protected, settings.region)
        if not targets:
            return _outcome(
                "failed", [], "the finding names no trail and no protected trail exists"
            )
    started: list[str] = []
    already: list[str] = []
    for trail in targets:
        try:
            if cloudtrail.is_logging(client, trail):
                already.append(trail.api_id())
                continue
            cloudtrail.start_logging(client, trail)
        except TrailGone:
            return _outcome(
                "failed",
                [trail.name],
                f"trail {trail.name} does not exist "
                "(deleted?); logging cannot be restarted - recreate the trail",
            )
        started.append(trail.api_id())
    status = "restarted" if started else "already_logging"
    reason = (
        f"StartLogging sent for {', '.join(TrailRef.parse(t).name for t in started)}"
        if started
        else "the trail was already logging"
    )
    return _outcome(status, started + already, reason)


def verify(task: dict[str, Any], client: CloudTrailClient) -> dict[str, Any]:
    """GetTrailStatus on every remediated trail; NotLoggingYet makes Step Functions retry.

    Returns the task's outcome with ``verified: True``, the outcome unchanged when
    nothing was remediated, or a ``failed`` outcome when a trail vanished.

    Raises:
        NotLoggingYet: a trail does not report IsLogging yet.
    """
    outcome = dict(task.get("outcome") or {})
    if outcome.get("status") not in ("restarted", "already_logging"):
        return outcome
    for name in outcome.get("trails") or []:
        trail = TrailRef.parse(name)
        try:
            logging = cloudtrail.is_logging(client, trail)
        except TrailGone:
            return _outcome("failed", outcome.get("trails") or [], f"trail {trail.name} vanished")
        if not logging:
            raise NotLoggingYet(f"trail {trail.name} does not report IsLogging yet")
    outcome["verified"] = True
    return outcome


def note_for(task: dict[str, Any]) -> tuple[bool, str]:
    """The finding's workflow note: RESOLVED on verified logging, NOTIFIED with why not."""
    outcome = task.get("outcome") or {}
    trails = ", ".join(TrailRef.parse(t).name for t in outcome.get("trails") or []) or "none"
    if outcome.get("verified"):
        how = "restarted" if outcome.get("status") == "restarted" else "found already logging"
        return True, f"edgeguard: CloudTrail logging {how} and verified (IsLogging) on: {trails}."
    return False, f"edgeguard could not restore logging: {outcome.get('reason') or 'unknown'}"


def record(task: dict[str, Any], client: SecurityHubClient) -> dict[str, Any]:
    """BatchUpdateFindings on Security Hub findings; GuardDuty-only ones have no workflow.

    Returns ``RecordResult.as_dict()``. Raises Throttled (see ``securityhub.record``)
    and KeyError when a Security Hub task lacks ``finding_id`` or ``product_arn``.
    """
    resolved, note = note_for(task)
    if task.get("source") == "securityhub-v2":
        identifier: OcsfFindingIdentifierTypeDef = {
            "CloudAccountUid": str(task["account"]),
            "FindingInfoUid": str(task["finding_id"]),
            "MetadataProductUid": str(task["product_arn"]),
        }
        return securityhub.record_v2(client, identifier, resolved, note).as_dict()
    if task.get("source") != "securityhub":
        return {
            "updated": False,
            "status": "",
            "note": note,
            "reason": "GuardDuty delivery: no Security Hub finding to update",
        }
    return securityhub.record(
        client, str(task["finding_id"]), str(task["product_arn"]), resolved, note
    ).as_dict()


def alert_for(task: dict[str, Any]) -> Alert:
    """What the team reads: trail, outcome, who and from where, finding update."""
    outcome = task.get("outcome") or {}
    record_result = task.get("record") or {}
    resolved, note = note_for(task)
    actor = Actor.from_dict(task.get("actor"))
    trails = [TrailRef.parse(t).name for t in outcome.get("trails") or []]
    trail_text = ", ".join(trails) or "unknown trail"
    if resolved:
        title = f"CloudTrail logging restored on {trail_text} (finding)"
        severity = "high"
    elif outcome.get("status") == "skipped":
        title = f"No edgeguard playbook for finding: {str(task.get('title') or '?')[:80]}"
        severity = "medium"
    else:
        title = f"CloudTrail logging NOT restored on {trail_text} (finding)"
        severity = "critical"
    fields: dict[str, Any] = {
        "trail": trail_text,
        "result": note,
        "finding": task.get("finding_type") or task.get("title"),
        "trigger": task.get("trigger"),
        **({"call": task["api"]} if task.get("api") else {}),
        **actor.fields(),
        **({"from": task["source_ip"]} if task.get("source_ip") else {}),
        "finding id": task.get("finding_id"),
    }
    if task.get("source") in ("securityhub", "securityhub-v2"):
        if record_result.get("updated"):
            fields["Security Hub"] = f"workflow {record_result.get('status')}, note added"
        else:
            fields["Security Hub"] = (
                "NOT updated: "
                + str(
                    record_result.get("reason")
                    or (task.get("record_error") or {}).get("Cause")
                    or "unknown"
                )[:300]
            )
    links = _finding_links(task, trails)
    happened = (
        f"{task.get('finding_type') or task.get('title') or 'A finding'} says CloudTrail "
        f"logging was stopped on {trail_text}"
        + (f" by {actor.label()}" if task.get("actor") else "")
        + (f" from {task['source_ip']}" if task.get("source_ip") else "")
    )
    return Alert(
        kind=KIND,
        title=title,
        severity=severity,
        fields=fields,
        link=links[0][1] if links else None,
        happened=happened,
        did=note,
        undo="",  # restarting audit logging is the remedy; there is nothing to undo
        links=links,
    )


def _finding_links(task: dict[str, Any], trails: list[str]) -> tuple[tuple[str, str], ...]:
    """The finding (GuardDuty, Security Hub CSPM or the current Security Hub) and the
    trail, in the finding's region and account."""
    region = str(task.get("region") or "")
    if not region:
        return ()
    console = Console(region=region, account=str(task.get("account") or ""))
    finding = str(task.get("finding_id") or "")
    source = task.get("source")
    links: list[tuple[str, str]] = []
    if finding and source == "securityhub":
        links.append(("Security Hub finding", console.securityhub_finding(finding)))
    elif finding and source == "securityhub-v2":
        links.append(("Security Hub finding", console.securityhub_v2_finding(finding)))
    elif finding and source == "guardduty":
        links.append(("GuardDuty finding", console.guardduty_finding(finding)))
    for trail in (task.get("outcome") or {}).get("trails") or []:
        if str(trail).startswith("arn:"):
            links.append(("Trail", console.cloudtrail_trail(str(trail))))
    return tuple(links)


def failure_alert(event: Any, error: dict[str, Any]) -> Alert:
    """A delivery the state machine could not even plan still reaches the team."""
    detail_type = event.get("detail-type") if isinstance(event, dict) else None
    return Alert(
        kind=KIND,
        title="A CloudTrail finding could not be handled",
        severity="critical",
        fields={
            "event": str(detail_type or "unknown"),
            "event id": str(event.get("id") if isinstance(event, dict) else ""),
            "error": str(error.get("Error") or "unknown"),
            "cause": str(error.get("Cause") or "")[:500],
        },
    )


def _outcome(status: str, trails: list[str], reason: str) -> dict[str, Any]:
    return {"status": status, "trails": trails, "reason": reason, "verified": False}
