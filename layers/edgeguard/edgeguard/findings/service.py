"""The two finding paths end to end: event -> addresses -> decisions -> note -> alert.

Handlers stay thin: they build the clients and the sink once at cold start and
call ``handle_guardduty_event`` or ``handle_custom_action_event``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from edgeguard.config import ConfigError, boolean, duration, number, optional, require
from edgeguard.decisions import DecisionSink
from edgeguard.errors import error_code
from edgeguard.findings.addresses import lookup, parse_networks
from edgeguard.findings.asff import extract_asff, finding_identifier, findings_from_custom_action
from edgeguard.findings.blocking import (
    BlockSettings,
    FindingOutcome,
    block_finding,
    findings_alert,
)
from edgeguard.findings.guardduty import extract_guardduty, finding_from_event
from edgeguard.findings.notes import NoteReport, write_notes
from edgeguard.findings.ocsf import (
    extract_ocsf,
    findings_from_v2_event,
    produced_by_guardduty,
    severity_id,
)
from edgeguard.notify.alert import Alert, publish
from edgeguard.notify.console import Console
from edgeguard.notify.digest import TOP_OFFENDERS, AlertGate, Contribution, announce

if TYPE_CHECKING:
    from mypy_boto3_securityhub import SecurityHubClient
    from mypy_boto3_sns import SNSClient

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FindingSettings:
    """Read once at cold start.

    ``topic_arn`` is the alerts topic; ``block`` says how findings become decisions;
    ``min_severity`` (GuardDuty's 0-10 scale) is the least severity that is acted on.
    """

    topic_arn: str
    block: BlockSettings
    min_severity: float = 0.0  # the rule filters too; this guards direct invocations
    console: Console = field(default_factory=Console)
    # Storm control: the table of the alert gate (DETECTION_STATE_TABLE; "" = no gate)
    # and how many alerts of one kind an hour are sent one by one before the rest wait
    # for the hourly digest (FINDING_ALERTS_PER_HOUR).
    state_table: str = ""
    alerts_per_hour: int = 20

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> FindingSettings:
        """Read ALERTS_TOPIC_ARN (required; its ARN gives the console links' partition,
        region and account), EDGEGUARD_STACK (the stack name in undo commands),
        DETECTION_STATE_TABLE (the alert gate's table; empty: every alert is sent),
        FINDING_ALERTS_PER_HOUR (1-10,000, default 20), OWN_CIDRS (comma-separated CIDRs),
        MIN_SEVERITY (number, default 0), BAN_MINUTES (1 to 525,600, default 1440) and
        DRY_RUN (a boolean, default false), from ``environ`` (default ``os.environ``).

        Raises:
            ConfigError: a variable is missing or malformed; the message names it.
        """
        try:
            own = parse_networks(optional("OWN_CIDRS", "", environ).split(","))
        except ValueError as error:
            raise ConfigError(f"environment variable OWN_CIDRS: {error}") from None
        topic_arn = require("ALERTS_TOPIC_ARN", environ)
        per_hour = number("FINDING_ALERTS_PER_HOUR", 20, environ)
        if per_hour != int(per_hour) or not 1 <= per_hour <= 10_000:
            raise ConfigError(
                f"environment variable FINDING_ALERTS_PER_HOUR: not 1-10000: {per_hour}"
            )
        return cls(
            state_table=optional("DETECTION_STATE_TABLE", "", environ),
            alerts_per_hour=int(per_hour),
            min_severity=number("MIN_SEVERITY", 0.0, environ),
            topic_arn=topic_arn,
            console=Console.deployed(topic_arn, environ),
            block=BlockSettings(
                # the template's FindingBanMinutes range: a minute to a year
                duration=duration(
                    "BAN_MINUTES",
                    timedelta(minutes=1440),
                    environ,
                    minimum=timedelta(minutes=1),
                    maximum=timedelta(days=365),
                ),
                dry_run=boolean("DRY_RUN", False, environ),
                own_networks=own,
            ),
        )


@dataclass(frozen=True)
class OcsfSettings:
    """Read once at cold start: the finding settings plus what the current Security Hub's
    network rule admits - ``producers`` (``metadata.product.name`` values, exact) and
    ``min_severity_id`` (OCSF 1 Informational .. 6 Fatal). The rule filters on both; they
    are checked here again for direct invocations."""

    findings: FindingSettings
    producers: tuple[str, ...] = ()
    min_severity_id: int = 4

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> OcsfSettings:
        """``FindingSettings.from_env`` plus OCSF_PRODUCERS (comma-separated product names,
        default none: third-party bans are opt-in) and MIN_SEVERITY_ID (1-6, default 4).

        Raises:
            ConfigError: a variable is missing or malformed; the message names it.
        """
        minimum = number("MIN_SEVERITY_ID", 4, environ)
        if minimum != int(minimum) or not 1 <= minimum <= 6:
            raise ConfigError(f"environment variable MIN_SEVERITY_ID: not 1-6: {minimum}")
        producers = optional("OCSF_PRODUCERS", "", environ).split(",")
        return cls(
            findings=FindingSettings.from_env(environ),
            producers=tuple(p.strip() for p in producers if p.strip()),
            min_severity_id=int(minimum),
        )


STORM_WINDOW = timedelta(hours=1)


def finding_contribution(outcomes: list[FindingOutcome]) -> Contribution:
    """What a held-back finding alert adds to the hourly digest: findings per type, the
    banned values (with the attacker's organisation, ASN and country) weighted by the
    finding's severity."""
    counts: dict[str, int] = {}
    offenders: list[tuple[str, int]] = []
    for outcome in outcomes:
        extraction = outcome.extraction
        counts[extraction.finding_type] = counts.get(extraction.finding_type, 0) + 1
        for value in outcome.values:
            context = extraction.describe(value.split("/")[0])
            text = f"{value} ({extraction.finding_type}{', ' + context if context else ''})"
            offenders.append((text, round(extraction.severity * 10)))
    return Contribution(
        counts=counts,
        offenders=tuple(sorted(offenders, key=lambda pair: -pair[1])[:TOP_OFFENDERS]),
        source=", ".join(o.extraction.finding_id for o in outcomes[:3]),
        origin=outcomes[0].extraction.source if outcomes else "",
    )


def tell(
    sns: SNSClient,
    settings: FindingSettings,
    alert: Alert,
    outcomes: list[FindingOutcome],
    *,
    gate: AlertGate | None = None,
    now: datetime | None = None,
) -> str | None:
    """Publish a findings alert; with a ``gate``, at most ``settings.alerts_per_hour`` of
    its kind an hour, the others held for the hourly digest (never dropped). Returns the
    MessageId, or None when it was held. ClientError propagates (the invocation fails
    and EventBridge retries)."""
    if gate is None:
        return publish(sns, settings.topic_arn, alert)
    return announce(
        sns,
        settings.topic_arn,
        alert,
        gate=gate,
        window=STORM_WINDOW,
        now=now,
        contribution=finding_contribution(outcomes),
        limit=settings.alerts_per_hour,
    )


def ocsf_skip_reason(finding: dict[str, Any], settings: OcsfSettings) -> str:
    """Why an OCSF finding is not acted on by the network rule's function, or ""."""
    if produced_by_guardduty(finding):
        return "produced by GuardDuty: banned through GuardDuty's own event, not this copy"
    product = lookup(finding, "metadata", "product", "name")
    if product not in settings.producers:
        return f"producer {str(product)[:64]!r} is not in OcsfBlockProducers"
    if severity_id(finding) < settings.min_severity_id:
        return f"severity_id {severity_id(finding)} below {settings.min_severity_id}"
    return ""


def handle_ocsf_event(
    event: dict[str, Any],
    sink: DecisionSink,
    sns: SNSClient,
    settings: OcsfSettings,
    now: datetime | None = None,
    *,
    gate: AlertGate | None = None,
) -> dict[str, Any]:
    """One "Findings Imported V2" event: ban the remote addresses of its network findings
    (origin securityhub) and alert once. GuardDuty's own findings, producers outside
    ``settings.producers`` and findings below ``settings.min_severity_id`` are skipped with
    their reason and no alert (GuardDuty's copy is banned and told through its own event).
    Returns a JSON-ready summary.

    Raises:
        ValueError: not a Findings Imported V2 event, or one without ``detail.findings``.
    """
    findings = findings_from_v2_event(event)
    malformed = len(lookup(event, "detail", "findings") or []) - len(findings)
    block = settings.findings.block
    outcomes, skipped = [], []
    for finding in findings:
        reason = ocsf_skip_reason(finding, settings)
        if reason:
            skipped.append({"finding_id": extract_ocsf(finding).finding_id, "skipped": reason})
            continue
        outcomes.append(block_finding(sink, extract_ocsf(finding), "securityhub", block, now))
    if outcomes:
        alert = findings_alert(
            outcomes, "securityhub", block.action, settings.findings.console, now
        )
        tell(sns, settings.findings, alert, outcomes, gate=gate, now=now)
    return {
        "findings": len(findings),
        "action": block.action,
        "recorded": sorted({v for outcome in outcomes for v in outcome.values}),
        "refused": [
            {"ip": ip, "reason": why} for outcome in outcomes for ip, why in outcome.refused
        ],
        "outbound_not_banned": sorted(
            {ip for outcome in outcomes for ip in outcome.extraction.outbound_addresses()}
        ),
        "skipped": skipped,
        "malformed_findings_skipped": malformed,
    }


def handle_guardduty_event(
    event: dict[str, Any],
    sink: DecisionSink,
    sns: SNSClient,
    settings: FindingSettings,
    now: datetime | None = None,
    *,
    gate: AlertGate | None = None,
) -> dict[str, Any]:
    """One "GuardDuty Finding" event: ban its remote addresses (origin guardduty), alert.

    A finding below ``settings.min_severity`` is skipped, with no alert. Returns a
    JSON-ready summary (finding id and type, recorded decisions, refused, skipped
    and not-banned addresses, domains, problems).

    Raises:
        ValueError: not a GuardDuty finding event, or one without a ``detail`` object.
    """
    extraction = extract_guardduty(finding_from_event(event))
    if extraction.severity < settings.min_severity:
        return {
            "finding_id": extraction.finding_id,
            "finding_type": extraction.finding_type,
            "skipped": f"severity {extraction.severity} below {settings.min_severity}",
            "recorded": [],
            "refused": [],
            "problems": [],
        }
    outcome = block_finding(sink, extraction, "guardduty", settings.block, now)
    alert = findings_alert([outcome], "guardduty", settings.block.action, settings.console, now)
    tell(sns, settings, alert, [outcome], gate=gate, now=now)
    return {
        "finding_id": extraction.finding_id,
        "finding_type": extraction.finding_type,
        "action": settings.block.action,
        "recorded": outcome.banned,
        "refused": [{"ip": ip, "reason": why} for ip, why in outcome.refused],
        "own_skipped": outcome.own,
        "outbound_not_banned": extraction.outbound_addresses(),
        "affiliated_not_banned": list(extraction.affiliated),
        "not_actionable": extraction.not_actionable,
        "domains": extraction.domains,
        "problems": extraction.problems,
    }


def handle_custom_action_event(
    event: dict[str, Any],
    sink: DecisionSink,
    sns: SNSClient,
    securityhub: SecurityHubClient,
    settings: FindingSettings,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The findings selected with "Block source IP in WAF": ban, note each finding, alert.

    A note that could not be written is reported in the alert and the result; the
    bans stand either way (recording them again later is harmless). There is no
    severity filter here: the operator chose the findings. Returns a JSON-ready summary.

    Raises:
        ValueError: not a custom action event, or one without a ``detail.findings`` list.
    """
    findings = findings_from_custom_action(event)
    malformed = len(lookup(event, "detail", "findings") or []) - len(findings)
    outcomes, notes, skipped = [], [], 0
    for finding in findings:
        outcome = block_finding(sink, extract_asff(finding), "securityhub", settings.block, now)
        outcomes.append(outcome)
        identifier = finding_identifier(finding)
        if identifier is None:
            skipped += 1
            continue
        notes.append((identifier, outcome.note(settings.block.action)))
    note_report = _write_notes_reporting_errors(securityhub, notes) if notes else None
    alert = findings_alert(outcomes, "securityhub", settings.block.action, settings.console, now)
    problems = []
    if note_report and note_report.unprocessed:
        problems = note_report.unprocessed
        logger.warning("security hub notes not written", extra={"unprocessed": problems})
        alert = replace(alert, fields={**alert.fields, "notes not written": problems})
    publish(sns, settings.topic_arn, alert)
    return {
        "findings": len(findings),
        "action": settings.block.action,
        "recorded": sorted({v for outcome in outcomes for v in outcome.values}),
        "refused": [
            {"ip": ip, "reason": why} for outcome in outcomes for ip, why in outcome.refused
        ],
        "notes_written": note_report.updated if note_report else 0,
        "notes_not_written": problems,
        "findings_without_identifier": skipped,
        "malformed_findings_skipped": malformed,
    }


def _write_notes_reporting_errors(securityhub: SecurityHubClient, notes: list[Any]) -> NoteReport:
    """A refused BatchUpdateFindings call must not lose the alert about bans already made."""
    try:
        return write_notes(securityhub, notes)
    except ClientError as error:
        code = error_code(error) or "error"
        return NoteReport(unprocessed=[f"{len(notes)} finding(s): {code}"])
