"""The fast path: a call stopped or weakened a trail seconds ago; undo what can be
undone, and tell the team who did it, from where and when."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from edgeguard.errors import error_code
from edgeguard.notify.alert import Alert
from edgeguard.notify.console import Console
from edgeguard.response import cloudtrail
from edgeguard.response.api_call import ApiCall, is_suite_call
from edgeguard.response.cloudtrail import RestoreStep, TrailGone
from edgeguard.response.snapshots import SnapshotStore
from edgeguard.response.trail import ProtectedTrails

if TYPE_CHECKING:
    from mypy_boto3_cloudtrail import CloudTrailClient

KIND = "cloudtrail-tamper"
_VALUE_LIMIT = 600  # selector lists can be long; the alert shows the start


@dataclass(frozen=True)
class GuardSettings:
    """The guard's settings: this function's region (it only changes trails homed here),
    the protected trails, the suite's own role ARNs (their calls are ignored) and
    whether a weakened configuration is restored from its snapshot.
    """

    region: str
    protected: ProtectedTrails
    suite_role_arns: frozenset[str] = frozenset()
    restore_configuration: bool = True


@dataclass
class GuardReport:
    """What the fast path did about one call (the handler's return value)."""

    event_id: str
    event_name: str
    trail: str
    action: str  # ignored | reported | restarted | restored | failed
    logging: bool | None = None
    restored: list[str] = field(default_factory=list)
    not_undone: list[str] = field(default_factory=list)
    alert: Alert | None = None

    def as_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict; the alert itself as ``alerted`` (bool)."""
        return {
            "event_id": self.event_id,
            "event_name": self.event_name,
            "trail": self.trail,
            "action": self.action,
            "logging": self.logging,
            "restored": self.restored,
            "not_undone": self.not_undone,
            "alerted": self.alert is not None,
        }


def respond(
    call: ApiCall,
    client: CloudTrailClient,
    store: SnapshotStore | None,
    settings: GuardSettings,
    sleep: Callable[[float], None] | None = None,
) -> GuardReport:
    """Decide and act on one call. Throttled propagates (the invocation is retried)."""
    report = GuardReport(call.event_id, call.event_name, call.trail.name, "reported")
    if is_suite_call(call.actor, settings.suite_role_arns):
        report.action = "ignored"
        return report
    if call.failed:
        report.not_undone.append(f"nothing changed: the call was refused ({call.error_code})")
        report.alert = _alert(call, report, "medium", f"Refused attempt: {call.event_name}")
        return report
    # A trail given by name lives in the region the call was made in (StopLogging and
    # friends only work in a trail's home region); a forwarded event from another region
    # must not touch this region's trail of the same name.
    home = call.trail.region or call.region
    if home and home != settings.region:
        report.not_undone.append(
            f"the trail lives in {home}; edgeguard in {settings.region} cannot change it"
        )
        report.alert = _alert(call, report, "high", f"{call.event_name} on a trail in {home}")
        return report
    if not settings.protected.covers(call.trail):
        report.not_undone.append(
            f"not a protected trail (protected: {settings.protected.describe()})"
        )
        report.alert = _alert(call, report, "medium", f"{call.event_name} on an unprotected trail")
        return report
    if call.event_name == "StopLogging":
        _restart(call, client, report, sleep)
    elif call.event_name == "DeleteTrail":
        _deleted(call, store, report)
    else:
        _restore(call, client, store, settings, report)
    return report


def _restart(call: ApiCall, client: CloudTrailClient, report: GuardReport, sleep: Any) -> None:
    try:
        kwargs = {"sleep": sleep} if sleep else {}
        report.logging = cloudtrail.start_and_verify(client, call.trail, **kwargs)
    except (TrailGone, ClientError) as error:
        report.action, report.logging = "failed", False
        reason = (
            "the trail no longer exists; logging cannot be restarted"
            if isinstance(error, TrailGone)
            else f"StartLogging refused: {_error_text(error)}"
        )
        report.not_undone.append(reason)
        report.alert = _alert(call, report, "critical", "CloudTrail logging stopped; NOT restarted")
        return
    if report.logging:
        report.action = "restarted"
        report.restored.append("logging restarted and verified (GetTrailStatus IsLogging)")
        report.alert = _alert(call, report, "high", "CloudTrail logging stopped and restarted")
    else:
        report.action = "failed"
        report.not_undone.append("StartLogging was sent but the trail still does not log")
        report.alert = _alert(
            call, report, "critical", "CloudTrail logging stopped; restart failed"
        )


def _deleted(call: ApiCall, store: SnapshotStore | None, report: GuardReport) -> None:
    report.action = "failed"
    report.not_undone.append(
        "a deleted trail cannot be undone automatically: recreate it (logs already in S3 remain)"
    )
    snapshot = store.get(call.trail.name) if store else None
    if snapshot:
        settings = {k: v for k, v in snapshot.config.settings.items() if v not in ("", None)}
        report.not_undone.append(
            f"last recorded configuration ({snapshot.taken_at}): {_short(settings)}"
        )
    report.alert = _alert(call, report, "critical", "CloudTrail trail deleted")


def _restore(
    call: ApiCall,
    client: CloudTrailClient,
    store: SnapshotStore | None,
    settings: GuardSettings,
    report: GuardReport,
) -> None:
    snapshot = store.get(call.trail.name) if store else None
    if not settings.restore_configuration:
        report.not_undone.append("automatic restore is off (RestoreTrailConfiguration=false)")
    elif snapshot is None:
        report.not_undone.append(
            "no recorded configuration for this trail yet; change it back by hand"
        )
    else:
        try:
            steps = cloudtrail.restore(client, call.trail, snapshot.config)
            if not cloudtrail.is_logging(client, call.trail):
                cloudtrail.start_logging(client, call.trail)
                steps.append(RestoreStep("logging", False, True, ok=True))
        except TrailGone:
            steps = []
            report.not_undone.append("the trail no longer exists")
        except ClientError as error:  # e.g. AccessDenied: say so, never go silent
            steps = []
            report.not_undone.append(f"could not restore: {_error_text(error)}")
        report.restored += [
            f"{s.what} back to the configuration of {snapshot.taken_at}" for s in steps if s.ok
        ]
        report.not_undone += [f"{s.what}: {s.error}" for s in steps if not s.ok]
        if not steps and not report.not_undone:
            report.restored.append(f"already matches the configuration of {snapshot.taken_at}")
    failed = bool(report.not_undone)
    report.action = "failed" if failed else "restored"
    title = f"CloudTrail trail weakened ({call.event_name})" + (
        "; not fully undone" if failed else "; restored"
    )
    report.alert = _alert(call, report, "critical" if failed else "high", title)


def _alert(call: ApiCall, report: GuardReport, severity: str, title: str) -> Alert:
    fields: dict[str, Any] = {
        "trail": call.trail.name,
        "call": call.event_name,
        "when": call.event_time,
        **call.actor.fields(),
        "from": call.source_ip or "unknown",
        "user agent": call.user_agent or "unknown",
        "region": call.region,
    }
    changes = {key: _short(value) for key, value in call.changes().items()}
    if changes:
        fields["changed"] = [f"{key}: {value}" for key, value in changes.items()]
    if call.failed:
        fields["error"] = f"{call.error_code}: {call.error_message}"[:300]
    if report.restored:
        fields["undone"] = report.restored
    if report.not_undone:
        fields["not undone"] = report.not_undone
    fields["event id"] = call.event_id
    console = Console(call.trail.partition, call.region, call.account)
    links: list[tuple[str, str]] = []
    if call.region and call.event_id:
        links.append(("CloudTrail event", console.cloudtrail_event(call.event_id)))
    if call.region and call.account:
        arn = (
            f"arn:{call.trail.partition}:cloudtrail:{call.trail.region or call.region}:"
            f"{call.trail.account or call.account}:trail/{call.trail.name}"
        )
        links.append(("Trail", console.cloudtrail_trail(arn)))
    source = f" from {call.source_ip}" if call.source_ip else ""
    if report.not_undone:
        did = "Tried to undo it; NOT undone: " + "; ".join(report.not_undone)
        if report.restored:
            did += ". Undone: " + "; ".join(report.restored)
    elif report.restored:
        did = "Undone: " + "; ".join(report.restored)
    else:
        did = "Nothing to undo"
    return Alert(
        kind=KIND,
        title=f"{title}: {call.trail.name} by {call.actor.label()}",
        severity=severity,
        fields=fields,
        happened=(
            f"{call.actor.label()} called {call.event_name} on trail {call.trail.name}"
            f"{source} at {call.event_time}"
            + (f" (it failed: {call.error_code})" if call.failed else "")
        ),
        did=did,
        # Restoring audit logging is the remedy; there is nothing of edgeguard's to undo.
        undo="",
        links=tuple(links),
        link=links[0][1] if links else None,
    )


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= _VALUE_LIMIT else text[: _VALUE_LIMIT - 3] + "..."


def _error_text(error: ClientError) -> str:
    message = str(error.response.get("Error", {}).get("Message", ""))
    return f"{error_code(error) or 'error'}: {message[:200]}"
