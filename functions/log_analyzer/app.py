"""Log objects (S3 -> SQS) and WAF log events (CloudWatch Logs subscription) -> ban decisions.

Thin handler; the logic is edgeguard.logs.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from edgeguard.logs.service import (
    AnalyzerConfig,
    FileReport,
    announce_unreadable,
    dependencies,
    flush_digests,
    process_subscription,
    record_handler_for,
)

logger = Logger()
tracer = Tracer()
metrics = Metrics()
CONFIG = AnalyzerConfig.from_env()
DEPS = dependencies(CONFIG)
# A batch whose every record failed is reported like any partial failure (no raise):
# each record is retried on its own and reaches the DLQ on its own.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "awslogs" in event:  # CloudWatch Logs subscription: asynchronous, retried, then DLQ
        try:
            report = process_subscription(event, DEPS)
        finally:
            _count_unreadable()
        if report is not None:
            _report([report])
        return {"analyzed": report is not None}
    reports: list[FileReport] = []
    response = process_partial_response(
        event=event,
        record_handler=record_handler_for(DEPS, reports),
        processor=processor,
        context=context,
    )
    _count_unreadable()
    _report(reports)
    _flush_digests()
    failed = len(response.get("batchItemFailures", []))
    if failed:
        logger.warning("records failed", extra={"failed": failed})
    return dict(response)


def _flush_digests() -> None:
    """Storms whose window ended get their digest now (the schedule does it otherwise).
    A failure here loses nothing (the held alerts stay): it is logged and counted."""
    try:
        published = flush_digests(DEPS)
    except Exception as error:  # the batch's outcome stands; the schedule retries
        logger.warning("storm digest not published", extra={"error": type(error).__name__})
        metrics.add_metric(name="AlertDigestFailed", unit=MetricUnit.Count, value=1)
        return
    if published:  # only then: an S3 test event must not print an empty metric
        metrics.add_metric(name="AlertDigestsPublished", unit=MetricUnit.Count, value=published)


def _count_unreadable() -> None:
    """Unreadable objects: a metric (alarmed in the template) and, once an hour, an alert."""
    unreadable = len(DEPS.unreadable)
    if unreadable:  # only then: the alarm treats missing data as fine
        metrics.add_metric(name="LogObjectsUnreadable", unit=MetricUnit.Count, value=unreadable)
        logger.warning("log objects could not be read", extra={"objects": unreadable})
        announce_unreadable(DEPS)


def _report(reports: list[FileReport]) -> None:
    for report in reports:
        logger.info("log object analyzed", extra=report.as_dict())
        metrics.add_metric(
            name="LogLinesParsed", unit=MetricUnit.Count, value=report.lines - report.skipped
        )
        metrics.add_metric(name="LogLinesSkipped", unit=MetricUnit.Count, value=report.skipped)
        metrics.add_metric(name="LogDecisions", unit=MetricUnit.Count, value=len(report.outcomes))
