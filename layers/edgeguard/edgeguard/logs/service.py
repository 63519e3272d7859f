"""The log analyzer function's logic: SQS batch of S3 notifications -> decisions.

Each SQS record carries one S3 event notification (possibly several objects) or
S3's ``s3:TestEvent`` (ignored). A record whose object cannot be read or
decompressed fails alone (partial batch response); SQS retries it and, after
``maxReceiveCount``, moves it to the dead-letter queue.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from edgeguard.config import ConfigError, optional, require
from edgeguard.decisions import DecisionSink
from edgeguard.logs.analyzer import FileReport, analyze_object
from edgeguard.logs.settings import DetectionSettings, SettingsError
from edgeguard.logs.state import (
    DynamoStateStore,  # noqa: F401 - the handler builds it
    StateStore,
)
from edgeguard.notify.alert import Alert, publish

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

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AnalyzerConfig:
        """Read the function's environment (``environ``, default ``os.environ``).

        DETECTION_STATE_TABLE and DECISIONS_TABLE are required; ALERTS_TOPIC_ARN,
        DETECTION_OVERRIDES (JSON, see ``DetectionSettings``) and DETECTION_SKIP_SOURCES
        (comma-separated formats) are optional.

        Raises:
            ConfigError: a required variable is missing, or DETECTION_OVERRIDES is invalid
                (the message names it and says why).
        """
        skip = optional("DETECTION_SKIP_SOURCES", "", environ)
        try:
            settings = DetectionSettings.from_json(optional("DETECTION_OVERRIDES", "", environ))
        except SettingsError as error:
            raise ConfigError(f"environment variable DETECTION_OVERRIDES: {error}") from error
        return cls(
            state_table=require("DETECTION_STATE_TABLE", environ),
            decisions_table=require("DECISIONS_TABLE", environ),
            alerts_topic_arn=optional("ALERTS_TOPIC_ARN", "", environ),
            settings=settings,
            skip_sources=frozenset(s.strip() for s in skip.split(",") if s.strip()),
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
    that created or extended decisions. Raises whatever GetObject, ``analyze_object``
    or ``s3_objects`` raise (ClientError, CorruptObject, UnknownFormat, ...).
    """
    reports = []
    for bucket, key, file_id in s3_objects(body):
        data = deps.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        report = analyze_object(
            data,
            key,
            settings=deps.settings,
            store=deps.store,
            sink=deps.sink,
            file_id=file_id,
            skip_sources=deps.skip_sources,
        )
        reports.append(report)
        _alert(report, deps)
    return reports


_DONE = {"ban": "banned", "captcha": "sent to CAPTCHA", "count": "counted (dry run)"}


def _alert(report: FileReport, deps: Dependencies) -> None:
    new = [o for o in report.outcomes if o.result.status in ("created", "extended")]
    if not new or deps.sns is None or not deps.alerts_topic_arn:
        return
    clients = [
        f"{o.result.decision.value} ({o.verdict.scenario})" for o in new if o.result.decision
    ]
    alert = Alert(
        kind="log-ban",
        title=f"{len(new)} client(s) {_DONE[new[0].request.action]} from {report.format} logs",
        severity="medium",
        fields={
            "clients": clients,
            "object": report.key,
            "lines": report.lines,
            "samples": [o.request.details.get("sample", "") for o in new][:10],
        },
    )
    publish(deps.sns, deps.alerts_topic_arn, alert)


def record_handler_for(deps: Dependencies, sink_reports: list[FileReport]) -> Callable[[Any], None]:
    """A Powertools batch record handler bound to these dependencies."""

    def handle(record: Any) -> None:
        sink_reports.extend(process_record(record.body, deps))

    return handle
