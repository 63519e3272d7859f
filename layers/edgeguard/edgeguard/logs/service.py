"""The log analyzer function's logic: SQS batch of S3 notifications -> decisions.

Each SQS record carries one S3 event notification (possibly several objects) or
S3's ``s3:TestEvent`` (ignored). A record whose object cannot be read or
decompressed fails alone (partial batch response); SQS retries it and, after
``maxReceiveCount``, moves it to the dead-letter queue. So does an object with lines
of which none is readable (no silent zero): such objects are also told on the
alerts topic, once per problem (prefix and reason) per hour, through the alert gate.

WAF logs delivered to CloudWatch Logs reach the function directly from a
subscription filter (``process_subscription``): an asynchronous invocation, so a
payload that cannot be read is retried by Lambda and then sent to the same
dead-letter queue.

Alerts are never lost to a retry: every new decision is recorded as pending for its
file (``StateStore.add_pending``) before the file's clients are marked decided; the
"log-ban" alert is built from all pending entries of the file and they are cleared only
once SNS accepted it. If publishing fails, the record fails, and SQS's retry (which
finds every client already decided) still announces them. See docs/alerts.md.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from edgeguard.clock import utcnow
from edgeguard.config import ConfigError, optional, require
from edgeguard.decisions import DecisionRequest, DecisionSink, RecordOutcome
from edgeguard.logs.analyzer import FileReport, analyze_object
from edgeguard.logs.cloudfront_v2 import DEFAULT_LISTS, FieldLists
from edgeguard.logs.gzipio import CorruptObject, decompress
from edgeguard.logs.reader import UnknownFormat, UnreadableLog
from edgeguard.logs.settings import DetectionSettings, SettingsError
from edgeguard.logs.state import (
    DynamoStateStore,
    Pending,
    StateStore,
)
from edgeguard.notify.alert import Alert, publish, single_ban_actions
from edgeguard.notify.console import Console
from edgeguard.notify.digest import TOP_OFFENDERS, AlertGate, Contribution, announce, flush_due
from edgeguard.notify.redact import redact_request
from edgeguard.notify.wording import ban_did, for_until, parse_time

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient


@dataclass(frozen=True)
class AnalyzerConfig:
    """Environment of the function, read once at cold start."""

    state_table: str
    decisions_table: str
    alerts_topic_arn: str
    settings: DetectionSettings
    skip_sources: frozenset[str] = frozenset()
    fields: FieldLists = DEFAULT_LISTS
    console: Console = field(default_factory=Console)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AnalyzerConfig:
        """Read the function's environment (``environ``, default ``os.environ``).

        DETECTION_STATE_TABLE and DECISIONS_TABLE are required; ALERTS_TOPIC_ARN,
        DETECTION_OVERRIDES (JSON, see ``DetectionSettings``) and DETECTION_SKIP_SOURCES
        (comma-separated formats), CLOUDFRONT_LOG_FIELDS and REALTIME_LOG_FIELDS
        (comma-separated field lists of headerless CloudFront deliveries; empty = AWS's
        default selection and the template's real-time configuration) are optional.

        Raises:
            ConfigError: a required variable is missing, DETECTION_OVERRIDES is invalid, or
                a field list lacks a field detection reads (the message names it and why).
        """
        try:
            fields = FieldLists.parse(
                optional("CLOUDFRONT_LOG_FIELDS", "", environ),
                optional("REALTIME_LOG_FIELDS", "", environ),
            )
        except ValueError as error:
            raise ConfigError(f"CloudFront log fields: {error}") from error
        skip = optional("DETECTION_SKIP_SOURCES", "", environ)
        try:
            settings = DetectionSettings.from_json(optional("DETECTION_OVERRIDES", "", environ))
        except SettingsError as error:
            raise ConfigError(f"environment variable DETECTION_OVERRIDES: {error}") from error
        topic_arn = optional("ALERTS_TOPIC_ARN", "", environ)
        return cls(
            state_table=require("DETECTION_STATE_TABLE", environ),
            decisions_table=require("DECISIONS_TABLE", environ),
            alerts_topic_arn=topic_arn,
            console=Console.deployed(topic_arn, environ),
            settings=settings,
            skip_sources=frozenset(s.strip() for s in skip.split(",") if s.strip()),
            fields=fields,
        )


@dataclass
class Dependencies:
    """What a record needs: the S3 client, the state store, the decision sink, SNS."""

    s3: S3Client
    store: StateStore
    sink: DecisionSink
    settings: DetectionSettings
    sns: SNSClient | None = None
    alerts_topic_arn: str = ""
    skip_sources: frozenset[str] = frozenset()
    gate: AlertGate | None = None
    unreadable: list[Unreadable] = field(default_factory=list)
    fields: FieldLists = DEFAULT_LISTS
    console: Console = field(default_factory=Console)
    storm_window: timedelta = timedelta(minutes=5)


def dependencies(config: AnalyzerConfig) -> Dependencies:
    """The deployed analyzers' dependencies from their configuration, at cold start: boto3
    clients (S3, DynamoDB, SNS), the detection state table as state store and alert gate,
    the decisions table (``DynamoDecisionStore.from_env``; ConfigError names a bad variable),
    and the configured field lists of headerless CloudFront deliveries."""
    import boto3  # noqa: PLC0415 - clients at cold start, never at import

    from edgeguard.decisions import DynamoDecisionStore  # noqa: PLC0415

    dynamodb = boto3.client("dynamodb")
    return Dependencies(
        s3=boto3.client("s3"),
        store=DynamoStateStore(dynamodb, config.state_table),
        sink=DynamoDecisionStore.from_env(client=dynamodb),
        settings=config.settings,
        sns=boto3.client("sns"),
        alerts_topic_arn=config.alerts_topic_arn,
        skip_sources=config.skip_sources,
        gate=AlertGate(dynamodb, config.state_table),
        fields=config.fields,
        console=config.console,
    )


READ_ERRORS = (CorruptObject, UnknownFormat, UnreadableLog)
ALERT_WINDOW = timedelta(hours=1)
_DATED = re.compile(r"/(?:\d{4}/\d{2}/|\d{4}-\d{2}-\d{2}|[a-z]+=\d{4}).*$")


@dataclass(frozen=True)
class Unreadable:
    """A log object that could not be read: where it is and why (without counts)."""

    key: str
    reason: str

    @property
    def prefix(self) -> str:
        """The key's folder up to the first dated part (``.../2026/11/20/`` or ``year=``)."""
        folder = self.key.rsplit("/", 1)[0] + "/" if "/" in self.key else ""
        return _DATED.sub("/", folder)


def reason_of(error: Exception) -> str:
    """A read error's reason without keys or counts, so that alerts can group by it."""
    if isinstance(error, UnreadableLog):
        return error.reason
    if isinstance(error, UnknownFormat):
        return "the log format cannot be told from the content"
    return str(error)


def s3_objects(body: str) -> Iterator[tuple[str, str, str]]:
    """(bucket, key, version-or-etag id) of each ObjectCreated record in an S3 notification.

    ``body`` is the notification's JSON ("Amazon S3 User Guide: Event message
    structure"); the key is URL-decoded (``+`` is a space). ``s3:TestEvent`` and other
    event names yield nothing. Raises ValueError (invalid JSON) or KeyError (a record
    without ``s3.bucket.name`` / ``s3.object.key``).
    """
    message = json.loads(body)
    if message.get("Event") == "s3:TestEvent":
        return
    for record in message.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record["s3"]
        key = unquote_plus(s3["object"]["key"])
        tag = (
            s3["object"].get("versionId")
            or s3["object"].get("eTag")
            or s3["object"].get("sequencer", "")
        )
        yield s3["bucket"]["name"], key, f"{s3['bucket']['name']}/{key}@{tag}"


def process_record(body: str, deps: Dependencies) -> list[FileReport]:
    """Analyze every object of one SQS record; raises (failing this record only) on read errors.

    Returns one FileReport per object and publishes a "log-ban" alert for each object
    with decisions not yet announced (this attempt's new or extended decisions, and
    those of an earlier attempt whose alert failed). Raises whatever GetObject,
    ``analyze_object``, ``s3_objects``, the state store or SNS Publish raise
    (ClientError, CorruptObject, UnknownFormat, ...).
    """
    reports = []
    for bucket, key, file_id in s3_objects(body):
        data = deps.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        reports.append(_analyze(data, key, file_id, deps, bucket))
    return reports


def _analyze(
    data: bytes, key: str, file_id: str, deps: Dependencies, bucket: str = ""
) -> FileReport:
    """One object through detection; a read error is noted in ``deps.unreadable``, re-raised."""
    announcing = deps.sns is not None and bool(deps.alerts_topic_arn)
    sink = PendingSink(deps.sink, deps.store, file_id) if announcing else deps.sink
    try:
        report = analyze_object(
            data,
            key,
            settings=deps.settings,
            store=deps.store,
            sink=sink,
            file_id=file_id,
            skip_sources=deps.skip_sources,
            fields=deps.fields,
        )
    except READ_ERRORS as error:
        deps.unreadable.append(Unreadable(key, reason_of(error)))
        raise
    if announcing:
        _announce(report, file_id, deps, bucket)
    _bypass_alert(report, deps)
    return report


def process_subscription(event: Mapping[str, Any], deps: Dependencies) -> FileReport | None:
    """A CloudWatch Logs subscription delivery (``{"awslogs": {"data": ...}}``) -> decisions.

    ``data`` is base64 of the gzip'd message ("Amazon CloudWatch Logs User Guide:
    Log group-level subscription filters"). A ``CONTROL_MESSAGE`` returns None. The
    report's key is ``cloudwatch-logs/<logGroup>/<logStream>``; the first log event's id
    identifies the delivery in the state store, so Lambda's retry overwrites.

    Raises:
        CorruptObject: the payload is not base64 of gzip'd JSON.
        UnknownFormat, UnreadableLog: as ``analyze_object``; errors of the stores.
    """
    try:
        payload = decompress(base64.b64decode(event["awslogs"]["data"], validate=True))
        message = json.loads(payload)
    except (KeyError, TypeError, ValueError, binascii.Error) as error:
        problem = Unreadable("cloudwatch-logs/", "not a CloudWatch Logs subscription payload")
        deps.unreadable.append(problem)
        raise CorruptObject(f"not a CloudWatch Logs subscription payload: {error}") from None
    if message.get("messageType") == "CONTROL_MESSAGE":
        return None
    key = f"cloudwatch-logs/{message.get('logGroup', '')}/{message.get('logStream', '')}"
    events = message.get("logEvents") or [{}]
    first = events[0].get("id", "") if isinstance(events[0], dict) else ""
    return _analyze(bytes(payload), key, f"{key}@{first}", deps)


def announce_unreadable(deps: Dependencies, now: datetime | None = None) -> int:
    """Tell the alerts topic about ``deps.unreadable``, once per (prefix, reason) per hour.

    Each alert reads "N log files from <prefix> could not be read: <reason>" with N the
    objects of this invocation with that problem; the gate (``deps.gate``) lets the first
    of each hour through. Clears the list; returns the alerts published.
    """
    groups: dict[tuple[str, str], list[str]] = {}
    for item in deps.unreadable:
        groups.setdefault((item.prefix, item.reason), []).append(item.key)
    deps.unreadable.clear()
    if deps.sns is None or not deps.alerts_topic_arn:
        return 0
    told = 0
    for (prefix, reason), keys in groups.items():
        alert = Alert(
            kind="log-unreadable",
            title=f"{len(keys)} log files from {prefix or '/'} could not be read: {reason}",
            severity="high",
            fields={
                "prefix": prefix,
                "reason": reason,
                "objects": keys[:10],
                "what happens": "each object is retried, then kept in the log dead-letter queue",
            },
        )
        message_id = announce(
            deps.sns,
            deps.alerts_topic_arn,
            alert,
            gate=deps.gate,
            key=f"{prefix}|{reason}",
            window=ALERT_WINDOW,
            now=now,
        )
        told += message_id is not None
    return told


def _bypass_alert(report: FileReport, deps: Dependencies) -> None:
    """Requests without the origin secret reached the ALB: name the viewers, once an hour each."""
    if not report.bypass or deps.sns is None or not deps.alerts_topic_arn:
        return
    viewers = {
        viewer: count
        for viewer, count in sorted(report.bypass.items())
        if deps.gate is None
        or deps.gate.first_in_window("origin-bypass", viewer, ALERT_WINDOW, utcnow())
    }
    if not viewers:
        return
    alert = Alert(
        kind="origin-bypass",
        title="requests without the origin secret reached the ALB",
        severity="high",
        fields={
            "viewers": [f"{viewer} ({count} requests)" for viewer, count in viewers.items()],
            "object": report.key,
            "meaning": "someone reaches the origin around the distribution; the origin web "
            "ACL blocked these requests. The address WAF logged is a CloudFront edge "
            "server and is never banned; the viewer comes from X-Forwarded-For.",
        },
    )
    publish(deps.sns, deps.alerts_topic_arn, alert)


_NEW = ("created", "extended")
_DONE = {"ban": "banned", "captcha": "sent to CAPTCHA", "count": "counted (dry run)"}


@dataclass
class PendingSink:
    """A DecisionSink that records each new or extended decision as pending for a file.

    ``analyze_object`` marks a client decided only after ``record`` returned, so every
    decided client of the file is pending until its alert is published.
    """

    inner: DecisionSink
    store: StateStore
    file_id: str

    def record(self, request: DecisionRequest, now: datetime | None = None) -> RecordOutcome:
        """Record through ``inner``; a created or extended decision becomes pending."""
        outcome = self.inner.record(request, now)
        if outcome.status in _NEW and outcome.decision is not None:
            entry = Pending(
                value=outcome.decision.value,
                action=outcome.decision.action,
                scenario=request.reason,
                status=outcome.status,
                source=str(request.details.get("source", "")),
                sample=redact_request(str(request.details.get("sample", ""))),
                events=str(request.events),
                expires_at=outcome.decision.expires_at.isoformat(timespec="seconds"),
            )
            self.store.add_pending(self.file_id, entry, now or utcnow())
        return outcome


def ban_alert(
    pending: list[Pending],
    report: FileReport,
    console: Console | None = None,
    now: datetime | None = None,
    bucket: str = "",
) -> Alert:
    """The "log-ban" alert for a file's pending decisions.

    What happened names the scenario, the client, the evidence count and a (redacted)
    sample request for one ban, or the counts per scenario and the worst offender for
    many; the undo is ``edgeguard unblock`` per value (at most three, then the
    command that lists them all); links go to the log object and the WAF IP sets. The
    ``clients`` field lists every client as ``value (scenario)``, so the digest counts
    them per scenario when it has to summarise; one ban carries chat ``actions``.
    """
    console = console or Console()
    now = now or utcnow()
    actions = sorted({p.action for p in pending})
    done = _DONE.get(actions[0], "decided") if len(actions) == 1 else "decided"
    this_attempt = {
        (o.result.decision.value, o.request.action, o.verdict.scenario)
        for o in report.outcomes
        if o.result.decision
    }
    earlier = sum(1 for p in pending if (p.value, p.action, p.scenario) not in this_attempt)
    values = list(dict.fromkeys(p.value for p in pending))
    by_scenario = Counter(p.scenario for p in pending)
    worst = sorted(pending, key=lambda p: (-_events(p), p.value))
    samples = [redact_request(p.sample) for p in worst if p.sample]
    fields: dict[str, Any] = {
        "clients": [f"{p.value} ({p.scenario})" for p in pending],
        "object": report.key,
        "lines": report.lines,
        "samples": list(dict.fromkeys(samples))[:10],
    }
    if len(pending) > 1:
        fields["by scenario"] = dict(by_scenario.most_common())
        fields["top offenders"] = [_offender(p) for p in worst[:TOP_OFFENDERS]]
    if earlier:
        fields["from_earlier_attempt"] = earlier
    until = max((t for p in pending if (t := parse_time(p.expires_at))), default=None)
    when = f" {for_until(until, now)}" if until else ""
    first = worst[0]
    if len(pending) == 1:
        evidence = f"{_events(first)} requests" if _events(first) else "its requests"
        sample = f", e.g. {samples[0]!r}" if samples else ""
        happened = (
            f"{_scenario_words(first.scenario)} from {first.value}: {evidence} in "
            f"{report.format} logs{sample} \u2014 {done}{when}"
        )
    else:
        breakdown = ", ".join(
            f"{_scenario_words(name)} {count}" for name, count in by_scenario.most_common(4)
        )
        happened = (
            f"{len(pending)} clients {done} from one {report.format} log file ({breakdown}); "
            f"worst: {_offender(first)}{when}"
        )
    did = ban_did(values, done.startswith("counted"), when.strip())
    undo = console.unblock_all(values, "log")
    links: list[tuple[str, str]] = []
    if bucket and console.region:
        links.append(("Log object", console.s3_object(bucket, report.key)))
    if console.region:
        links.append(("WAF IP sets", console.waf_ip_sets()))
    return Alert(
        kind="log-ban",
        title=f"{len(pending)} client(s) {done} from {report.format} logs",
        severity="medium",
        fields=fields,
        happened=happened,
        did=did,
        undo=undo,
        links=tuple(links),
        actions=single_ban_actions(values),
    )


def _events(pending: Pending) -> int:
    return int(pending.events) if pending.events.isdigit() else 0


def _offender(pending: Pending) -> str:
    evidence = f", {_events(pending)} requests" if _events(pending) else ""
    return f"{pending.value} ({pending.scenario}{evidence})"


def _scenario_words(scenario: str) -> str:
    text = scenario.replace("_", " ").strip() or "a detection scenario"
    return text[0].upper() + text[1:]


def storm_source(report: FileReport, bucket: str = "") -> str:
    """Where a log file comes from, for grouping its bans with those of other files of the
    same source: the log format and the object's folder (a distribution's or load
    balancer's log prefix) without its dated part."""
    return f"{report.format}:{bucket}/{Unreadable(report.key, '').prefix}"[:400]


def contribution_of(pending: list[Pending], report: FileReport, bucket: str = "") -> Contribution:
    """What a file's held-back ban alert adds to its source's digest."""
    worst = sorted(pending, key=lambda p: (-_events(p), p.value))[:TOP_OFFENDERS]
    return Contribution(
        counts=dict(Counter(p.scenario for p in pending)),
        offenders=tuple((_offender(p), _events(p)) for p in worst),
        source=f"{bucket}/{report.key}" if bucket else report.key,
        origin="log",
    )


def _announce(report: FileReport, file_id: str, deps: Dependencies, bucket: str = "") -> None:
    """Announce the file's pending decisions (through the storm gate when there is one:
    the first file of a source per ``STORM_WINDOW`` is announced, the others go to the
    source's digest), then forget them."""
    pending = deps.store.pending(file_id)
    if not pending or deps.sns is None:
        return
    now = utcnow()
    alert = ban_alert(pending, report, deps.console, now, bucket)
    announce(
        deps.sns,
        deps.alerts_topic_arn,
        alert,
        gate=deps.gate,
        key=storm_source(report, bucket),
        window=deps.storm_window,
        now=now,
        contribution=contribution_of(pending, report, bucket),
    )
    deps.store.clear_pending(file_id, pending)


def flush_digests(deps: Dependencies, now: datetime | None = None) -> int:
    """Publish the digests of log-ban storms whose window ended (see ``flush_due``)."""
    if deps.gate is None or deps.sns is None or not deps.alerts_topic_arn:
        return 0
    return flush_due(
        deps.sns, deps.alerts_topic_arn, deps.gate, ["log-ban"], now=now, console=deps.console
    )


def record_handler_for(deps: Dependencies, sink_reports: list[FileReport]) -> Callable[[Any], None]:
    """A Powertools batch record handler bound to these dependencies."""

    def handle(record: Any) -> None:
        sink_reports.extend(process_record(record.body, deps))

    return handle


def realtime_batch(records: list[Mapping[str, Any]]) -> tuple[bytes, str]:
    """The log text and state id of a Kinesis batch of CloudFront real-time log records.

    Each record's ``kinesis.data`` is one base64 log line ("Real-time access logs":
    CloudFront puts one record per request); the lines are joined with newlines. The id
    names the stream, shard and sequence range, so a retried batch overwrites its own
    contribution to the detection state. Raises ValueError on data that is not base64.
    """
    lines = [base64.b64decode(r["kinesis"]["data"], validate=True).rstrip(b"\r\n") for r in records]
    source = str(records[0].get("eventSourceARN", "")) if records else ""
    shard = str(records[0].get("eventID", "")).split(":", 1)[0] if records else ""
    first = records[0]["kinesis"]["sequenceNumber"] if records else ""
    last = records[-1]["kinesis"]["sequenceNumber"] if records else ""
    return b"\n".join(lines) + b"\n", f"{source}/{shard}@{first}-{last}"


def process_realtime(records: list[Mapping[str, Any]], deps: Dependencies) -> FileReport:
    """Judge one Kinesis batch of real-time log records like a log object.

    Same scenarios, same detection state (so counts add up with other batches), same
    alert. A record that cannot be read is skipped and counted; a batch none of whose
    records can be read raises CorruptObject (never a silent zero: the fields of
    REALTIME_LOG_FIELDS do not match what the stream carries). Raises what
    ``analyze_object`` raises too; the event source mapping then retries (bisecting the
    batch) and sends what still fails to its OnFailure destination.
    """
    body, batch_id = realtime_batch(records)
    announcing = deps.sns is not None and bool(deps.alerts_topic_arn)
    sink = PendingSink(deps.sink, deps.store, batch_id) if announcing else deps.sink
    report = analyze_object(
        body,
        batch_id,
        settings=deps.settings,
        store=deps.store,
        sink=sink,
        file_id=batch_id,
        fields=deps.fields,
        fmt="cloudfront",
    )
    if report.lines and report.skipped == report.lines:
        raise CorruptObject(
            f"none of {report.lines} real-time log record(s) could be read with the real-time "
            f"log configuration's fields ({len(deps.fields.realtime)} fields, REALTIME_LOG_FIELDS)"
        )
    if announcing:
        _announce(report, batch_id, deps)
    return report
