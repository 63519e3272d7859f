"""Log objects (S3 -> SQS) -> ban decisions. Thin handler; the logic is edgeguard.logs."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from edgeguard.decisions import DynamoDecisionStore
from edgeguard.logs.service import (
    AnalyzerConfig,
    Dependencies,
    DynamoStateStore,
    FileReport,
    record_handler_for,
)

logger = Logger()
tracer = Tracer()
metrics = Metrics()
CONFIG = AnalyzerConfig.from_env()
_dynamodb = boto3.client("dynamodb")
DEPS = Dependencies(
    s3=boto3.client("s3"),
    store=DynamoStateStore(_dynamodb, CONFIG.state_table),
    sink=DynamoDecisionStore.from_env(client=_dynamodb),
    settings=CONFIG.settings,
    sns=boto3.client("sns"),
    alerts_topic_arn=CONFIG.alerts_topic_arn,
    skip_sources=CONFIG.skip_sources,
)
# A batch whose every record failed is reported like any partial failure (no raise):
# each record is retried on its own and reaches the DLQ on its own.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    reports: list[FileReport] = []
    response = process_partial_response(
        event=event,
        record_handler=record_handler_for(DEPS, reports),
        processor=processor,
        context=context,
    )
    for report in reports:
        logger.info("log object analyzed", extra=report.as_dict())
        metrics.add_metric(
            name="LogLinesParsed", unit=MetricUnit.Count, value=report.lines - report.skipped
        )
        metrics.add_metric(name="LogLinesSkipped", unit=MetricUnit.Count, value=report.skipped)
        metrics.add_metric(name="LogDecisions", unit=MetricUnit.Count, value=len(report.outcomes))
    failed = len(response.get("batchItemFailures", []))
    if failed:
        logger.warning("records failed", extra={"failed": failed})
    return dict(response)
