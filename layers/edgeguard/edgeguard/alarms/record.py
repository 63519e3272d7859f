"""Offenders of a WAF alarm become decisions (origin alarm), and the alerts that say so.

The alerts are returned ready for the state machine's SNS publish step
(``Subject``, ``Message`` with ``MessageStructure: json``), in the same wire form as
``edgeguard.notify.alert.publish``: JSON for the notifier, readable text for email.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from edgeguard import fields
from edgeguard.clock import utcnow
from edgeguard.decisions import DecisionRequest, DecisionSink
from edgeguard.notify.alert import Alert, message_body, single_ban_actions
from edgeguard.notify.console import Console
from edgeguard.notify.digest import fit
from edgeguard.notify.wording import ban_did, for_until, parse_time

_LIST_LIMIT = 100


@dataclass(frozen=True)
class AlarmSettings:
    """How offenders become decisions: how long (``duration``, BAN_MINUTES), and whether
    only as ``count`` decisions (``dry_run``, DRY_RUN).
    """

    duration: timedelta = timedelta(hours=4)
    dry_run: bool = False

    @property
    def action(self) -> str:
        """The decision action: ``count`` in dry run, else ``ban``."""
        return "count" if self.dry_run else "ban"


def sns_publication(alert: Alert) -> dict[str, str]:
    """What ``publish`` sends, as parameters for the Step Functions SNS integration:
    the alert made to fit SNS's 256 KB (``edgeguard.notify.digest.fit``)."""
    fitted = fit(alert)
    return {"Subject": fitted.subject(), "Message": message_body(fitted)}


def nothing_to_do(collected: dict[str, Any]) -> dict[str, str]:
    """The alert when an alarm fired but no client qualifies (told, never silent)."""
    alarm = fields.obj(collected, "alarm")
    alert_fields: dict[str, Any] = {
        "alarm": fields.text(alarm, "alarm_name") or None,
        "window": f"{fields.text(alarm, 'start')} - {fields.text(alarm, 'end')}",
        "rules sampled": [
            r for r in fields.items(collected, "rules_sampled") if isinstance(r, str)
        ],
        "clients below threshold": fields.integer(collected, "below_threshold") or 0,
        "threshold (blocked requests)": fields.integer(collected, "min_requests"),
    }
    alert = Alert(
        kind="alarm-block",
        title=f"WAF alarm {fields.text(alarm, 'alarm_name')}: no offender to ban",
        severity="low",
        fields=alert_fields,
    )
    return sns_publication(alert)


def record_offenders(
    sink: DecisionSink,
    collected: dict[str, Any],
    settings: AlarmSettings,
    now: datetime | None = None,
    *,
    execution: str = "",
    console: Console | None = None,
) -> dict[str, Any]:
    """One decision per offender; the sink refuses allowlisted and reserved ranges.

    ``collected`` is ``collect_offenders``' output. Returns ``action``, ``recorded``
    (value, status, requests, expires_at ISO 8601 UTC), ``refused`` (ip, reason) and
    ``notification`` (``sns_publication`` of the alert). ``execution`` is the state
    machine execution's ARN (its console link; partition, region and account of the
    links when ``console`` is not given). Errors of the sink propagate.
    """
    now = now or utcnow()
    console = console or Console.deployed(execution)
    alarm = fields.obj(collected, "alarm")
    name = fields.text(alarm, "alarm_name") or "WAF alarm"
    window = [fields.text(alarm, "start"), fields.text(alarm, "end")]
    recorded, refused = [], []
    for offender in fields.items(collected, "offenders"):
        ip = fields.text(offender, "ip")
        sources = [s for s in fields.items(offender, "sources") if isinstance(s, str)]
        requests = max(fields.integer(offender, "requests") or 0, 0)
        request = DecisionRequest(
            value=ip,
            action=settings.action,
            origin="alarm",
            reason=f"WAF alarm {name}: {', '.join(sources)}"[:200],
            duration=settings.duration,
            events=max(requests, 1),
            details={"alarm": name, "window": window},
        )
        outcome = sink.record(request, now)
        if outcome.status == "refused" or outcome.decision is None:
            refused.append({"ip": ip, "reason": outcome.reason})
            continue
        recorded.append(
            {
                "value": outcome.decision.value,
                "status": outcome.status,
                "requests": requests,
                "expires_at": outcome.decision.expires_at.isoformat(timespec="seconds"),
            }
        )
    return {
        "action": settings.action,
        "recorded": recorded,
        "refused": refused,
        "notification": sns_publication(
            _alert(collected, recorded, refused, settings, (console, execution, now))
        ),
    }


def _alert(
    collected: dict[str, Any],
    recorded: list[dict[str, Any]],
    refused: list[dict[str, Any]],
    settings: AlarmSettings,
    where: tuple[Console, str, datetime],
) -> Alert:
    alarm = fields.obj(collected, "alarm")
    verb = "counted (dry run)" if settings.dry_run else "banned"
    lines = [
        f"{r['value']} ({r['requests']} blocked requests sampled)" if r["requests"] else r["value"]
        for r in recorded
    ]
    alert_fields: dict[str, Any] = {
        "alarm": fields.text(alarm, "alarm_name") or None,
        "window": f"{fields.text(alarm, 'start')} - {fields.text(alarm, 'end')}",
        verb: lines[:_LIST_LIMIT],
    }
    if len(lines) > _LIST_LIMIT:
        alert_fields["not listed"] = len(lines) - _LIST_LIMIT
    if recorded:
        alert_fields["until"] = max(r["expires_at"] for r in recorded)
    if refused:
        alert_fields["refused"] = [f"{r['ip']}: {r['reason']}" for r in refused][:_LIST_LIMIT]
    truncated = fields.integer(collected, "truncated")
    if truncated:
        alert_fields["offenders over the per-run cap, not banned"] = truncated
    count = len(recorded)
    alarm_name = fields.text(alarm, "alarm_name")
    title = f"WAF alarm {alarm_name}: {count} address{'es' if count != 1 else ''} {verb}"
    severity = "high" if recorded and not settings.dry_run else "medium"
    console, execution, now = where
    values = [str(r["value"]) for r in recorded]
    until = max((t for r in recorded if (t := parse_time(r["expires_at"]))), default=None)
    when = f" {for_until(until, now)}" if until else ""
    top = max(recorded, key=lambda r: r["requests"], default=None)
    worst = f"; most: {top['value']} ({top['requests']} blocked requests)" if top else ""
    happened = (
        f"WAF alarm {alarm_name or '?'} went to ALARM: {count} client"
        f"{'s' if count != 1 else ''} over the threshold between "
        f"{fields.text(alarm, 'start')} and {fields.text(alarm, 'end')}{worst}"
    )
    did = (
        ban_did(values, settings.dry_run, when.strip())
        if values
        else "Nothing banned: " + ("every offender was refused" if refused else "no offender")
    )
    undo = console.unblock_all(values, "alarm")
    links: list[tuple[str, str]] = []
    if alarm_name and console.region:
        links.append(("CloudWatch alarm", console.cloudwatch_alarm(alarm_name)))
    if execution:
        links.append(("Step Functions execution", console.stepfunctions_execution(execution)))
    if values and console.region:
        links.append(("WAF IP sets", console.waf_ip_sets()))
    return Alert(
        kind="alarm-block",
        title=title,
        severity=severity,
        fields=alert_fields,
        happened=happened,
        did=did,
        undo=undo,
        links=tuple(links),
        actions=single_ban_actions(values),
    )
