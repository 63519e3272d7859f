"""CloudFront real-time log records (Kinesis) -> ban decisions; the logic is edgeguard.logs."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from edgeguard.logs.service import (
    AnalyzerConfig,
    dependencies,
    process_realtime,
)

logger = Logger()
tracer = Tracer()
metrics = Metrics()
CONFIG = AnalyzerConfig.from_env()
DEPS = dependencies(CONFIG)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = process_realtime(event.get("Records", []), DEPS)
    logger.info("real-time log records analyzed", extra=report.as_dict())
    metrics.add_metric(
        name="LogLinesParsed", unit=MetricUnit.Count, value=report.lines - report.skipped
    )
    metrics.add_metric(name="LogLinesSkipped", unit=MetricUnit.Count, value=report.skipped)
    metrics.add_metric(name="LogDecisions", unit=MetricUnit.Count, value=len(report.outcomes))
    return {"lines": report.lines, "decisions": len(report.outcomes)}
