"""Schedule -> every blocklist feed refreshed, its decisions following it. Thin handler;
logic in edgeguard.blocklist.service."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from edgeguard.blocklist.service import build

logger = Logger()
tracer = Tracer()
metrics = Metrics()
IMPORTER = build()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = IMPORTER.run()
    feeds = report.feeds
    for name, value in (
        ("BlocklistFeedsRejected", len(report.rejected)),
        ("BlocklistFeedsChanged", sum(f.status == "changed" for f in feeds)),
        ("BlocklistEntriesAdded", sum(f.added for f in feeds)),
        ("BlocklistEntriesEnded", sum(f.ended for f in feeds)),
        ("BlocklistDecisionWrites", report.decision_writes),
    ):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    summary = report.as_dict()
    logger.info("blocklist import", extra={"report": summary})
    return summary
