"""Hunts on Athena: one query over a window, findings, decisions (origin ``hunt``), alerts.

``run_hunt`` is what ``edgeguard hunt --stack`` and the scheduled function share: write
the SQL for the stack's tables, run it in the hunt workgroup, read the findings.
``scheduled_hunt`` is the function's job: the last ``window`` of logs, every finding
recorded as a decision, one alert that lists them (and one when the hunt failed: an
unattended hunt that cannot run must say so).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from edgeguard.clock import utcnow
from edgeguard.config import ConfigError, number, optional, require
from edgeguard.decisions import DecisionSink, RecordOutcome
from edgeguard.hunt.athena import HuntFailed, run_query
from edgeguard.hunt.findings import Finding, findings_from_rows, request_for
from edgeguard.hunt.sources import ROLES, sources
from edgeguard.hunt.sql import hunt_query
from edgeguard.logs.settings import DetectionSettings, SettingsError
from edgeguard.notify.alert import Alert, publish

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient
    from mypy_boto3_sns import SNSClient

__all__ = ["HuntFailed", "HuntReport", "HuntSettings", "run_hunt", "scheduled_hunt"]

ALERT_KIND = "hunt"
_ALERT_LIST = 20  # findings named one by one in an alert; the rest are counted


@dataclass(frozen=True)
class HuntSettings:
    """Where and what a hunt reads: the workgroup, database and tables (role -> name,
    roles of ``hunt.sources.ROLES``), the scenario settings, the window of a scheduled run
    and the alerts topic ("" = no alerts)."""

    workgroup: str
    database: str
    tables: dict[str, str]
    detection: DetectionSettings = field(default_factory=DetectionSettings)
    window: timedelta = timedelta(hours=24)
    alerts_topic_arn: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> HuntSettings:
        """Read HUNT_WORKGROUP, HUNT_DATABASE, HUNT_TABLES (``role=table`` pairs separated
        by commas), HUNT_WINDOW_HOURS (default 24, 1..168), DETECTION_OVERRIDES (JSON, as
        the analyzer's) and ALERTS_TOPIC_ARN.

        Raises:
            ConfigError: a required variable is missing or a value is invalid (named).
        """
        pairs = [p.strip() for p in require("HUNT_TABLES", environ).split(",") if p.strip()]
        tables: dict[str, str] = {}
        for pair in pairs:
            role, _, table = pair.partition("=")
            if role not in ROLES or not table:
                raise ConfigError(
                    f"environment variable HUNT_TABLES: {pair!r} is not role=table with a "
                    f"role of {', '.join(ROLES)}"
                )
            tables[role] = table
        try:
            detection = DetectionSettings.from_json(optional("DETECTION_OVERRIDES", "", environ))
        except SettingsError as error:
            raise ConfigError(f"environment variable DETECTION_OVERRIDES: {error}") from error
        hours = number("HUNT_WINDOW_HOURS", 24.0, environ, minimum=1.0, maximum=168.0)
        return cls(
            workgroup=require("HUNT_WORKGROUP", environ),
            database=require("HUNT_DATABASE", environ),
            tables=tables,
            detection=detection,
            window=timedelta(hours=hours),
            alerts_topic_arn=optional("ALERTS_TOPIC_ARN", "", environ),
        )


@dataclass
class HuntReport:
    """A finished hunt: its window, findings, the bytes Athena scanned and their cost,
    the query execution id and the SQL."""

    start: datetime
    end: datetime
    findings: list[Finding]
    bytes_scanned: int
    cost_usd: float
    execution_id: str
    sql: str


def run_hunt(
    athena: AthenaClient,
    settings: HuntSettings,
    start: datetime,
    end: datetime,
    *,
    scenarios: list[str] | None = None,
    timeout_seconds: float = 600.0,
) -> HuntReport:
    """Run the hunt of [start, end) on Athena and read its findings.

    Raises:
        QueryError: nothing to hunt (no table, an unknown scenario, an empty window).
        HuntFailed: Athena failed or cancelled the query (e.g. the bytes cut-off).
        ResultError: a result row is not what the query selects.
        botocore ClientError: the API refused a call.
    """
    sql = hunt_query(settings.detection, sources(settings.tables), start, end, scenarios)
    result = run_query(
        athena,
        sql,
        workgroup=settings.workgroup,
        database=settings.database,
        timeout_seconds=timeout_seconds,
    )
    return HuntReport(
        start=start,
        end=end,
        findings=findings_from_rows(result.rows),
        bytes_scanned=result.bytes_scanned,
        cost_usd=result.cost_usd,
        execution_id=result.execution_id,
        sql=sql,
    )


def record_findings(
    findings: list[Finding], detection: DetectionSettings, sink: DecisionSink
) -> list[tuple[Finding, RecordOutcome]]:
    """Each finding recorded as a decision (origin ``hunt``) at its decision time
    (overflow, else last event); the sink's outcome for each. Sink errors propagate."""
    return [(f, sink.record(request_for(f, detection), f.decided_at)) for f in findings]


def _finding_line(finding: Finding, outcome: RecordOutcome) -> str:
    return (
        f"{finding.client} {finding.scenario}: {finding.events} events, "
        f"{finding.first_seen:%Y-%m-%dT%H:%MZ}..{finding.last_seen:%Y-%m-%dT%H:%MZ} "
        f"-> {outcome.status}"
    )


def _listed(lines: list[str]) -> list[str]:
    if len(lines) <= _ALERT_LIST:
        return lines
    return [*lines[:_ALERT_LIST], f"... and {len(lines) - _ALERT_LIST} more"]


def findings_alert(report: HuntReport, outcomes: list[tuple[Finding, RecordOutcome]]) -> Alert:
    """The alert of a hunt that found something: counts, cost, the slow findings (what no
    per-file analysis saw) and the others, each list naming its first 20 and counting
    the rest."""
    slow = [_finding_line(f, o) for f, o in outcomes if f.kind == "slow"]
    burst = [_finding_line(f, o) for f, o in outcomes if f.kind == "burst"]
    clients = len({f.client for f in report.findings})
    fields: dict[str, Any] = {
        "window": f"{report.start:%Y-%m-%dT%H:%MZ} .. {report.end:%Y-%m-%dT%H:%MZ}",
    }
    if slow:
        fields["slow (under every bucket)"] = _listed(slow)
    if burst:
        fields["burst (bucket overflowed)"] = _listed(burst)
    fields["scanned"] = f"{report.bytes_scanned:,} bytes, {report.cost_usd:.6f} USD"
    fields["query"] = report.execution_id
    return Alert(
        kind=ALERT_KIND,
        title=(f"Hunt found {clients} client(s): {len(slow)} slow, {len(burst)} burst finding(s)"),
        severity="medium",
        fields=fields,
    )


def scheduled_hunt(
    athena: AthenaClient,
    sns: SNSClient | None,
    sink: DecisionSink,
    settings: HuntSettings,
    *,
    now: datetime | None = None,
    timeout_seconds: float = 600.0,
) -> dict[str, Any]:
    """The scheduled run: hunt [now - window, now), record every finding, alert.

    ``now`` defaults to the current time (``edgeguard.clock.utcnow``).

    Returns a JSON-ready summary (window, findings, statuses, bytes, cost). A failed hunt
    is alerted (severity high) and re-raised, so the function's Errors metric fires.

    Raises:
        HuntFailed, and what ``run_hunt`` and the sink raise.
    """
    now = now or utcnow()
    start = now - settings.window
    try:
        report = run_hunt(athena, settings, start, now, timeout_seconds=timeout_seconds)
    except HuntFailed as error:
        if sns is not None and settings.alerts_topic_arn:
            publish(
                sns,
                settings.alerts_topic_arn,
                Alert(
                    kind=ALERT_KIND,
                    title="Scheduled hunt failed",
                    severity="high",
                    fields={"reason": str(error), "workgroup": settings.workgroup},
                ),
            )
        raise
    outcomes = record_findings(report.findings, settings.detection, sink)
    if outcomes and sns is not None and settings.alerts_topic_arn:
        publish(sns, settings.alerts_topic_arn, findings_alert(report, outcomes))
    return {
        "start": start.isoformat(),
        "end": now.isoformat(),
        "findings": [
            {"client": f.client, "scenario": f.scenario, "kind": f.kind, "status": o.status}
            for f, o in outcomes
        ],
        "bytes_scanned": report.bytes_scanned,
        "cost_usd": round(report.cost_usd, 6),
        "execution_id": report.execution_id,
    }
