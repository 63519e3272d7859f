"""SQS: queues with a consuming function, polled the way Lambda's event source mapping does.

``QueuePoller.poll(source)`` receives up to ``BatchSize`` messages, drops (deletes) those
the mapping's filter criteria refuse, runs the consumer on the rest as one batch
(``ReportBatchItemFailures`` honoured), deletes what succeeded and leaves what failed in
flight until its visibility timeout has passed on the local clock (``release_due``), so
that moto's RedrivePolicy moves it to the DLQ after ``maxReceiveCount`` receives.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from edgeguard import clock
from edgeguard_tools.local.patterns import matches
from edgeguard_tools.local.resources import ClientFactory
from edgeguard_tools.local.runtime import RunBatch
from edgeguard_tools.local.template import REGION
from edgeguard_tools.local.wiring import QueueSource


class QueuePoller:
    """Polls queues for their consumers; keeps the receipt handles waiting for a retry.

    ``client(service)`` gives boto3 clients; ``resource``/``attribute`` answer Ref and
    GetAtt by logical id; ``run_batch`` runs the consumer on a batch.
    """

    def __init__(
        self,
        client: ClientFactory,
        resource: Callable[[str], Any],
        attribute: Callable[[str, str], Any],
        run_batch: RunBatch,
    ) -> None:
        self._client = client
        self._resource = resource
        self._attribute = attribute
        self._run_batch = run_batch
        self._retry: dict[str, list[tuple[str, datetime]]] = {}

    def poll_all(self, sources: list[QueueSource]) -> bool:
        """Poll every source once (``poll``); True when any received a message."""
        moved = False
        for source in sources:
            moved |= self.poll(source)
        return moved

    def poll(self, source: QueueSource) -> bool:
        """One receive-and-run round for ``source``; True when a message was received."""
        if not source.enabled:
            return False
        sqs = self._client("sqs")
        url = self._resource(source.queue)
        messages: list[dict[str, Any]] = []
        while len(messages) < source.batch_size:
            response = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=min(10, source.batch_size - len(messages)),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            batch = response.get("Messages", [])
            if not batch:
                break
            messages += batch
        if not messages:
            return False
        arn = self._attribute(source.queue, "Arn")
        records = [sqs_record(message, arn) for message in messages]
        kept = [
            r
            for r in records
            if not source.filters or any(matches(f, _filterable(r)) for f in source.filters)
        ]
        dropped = [r for r in records if r not in kept]
        for record in dropped:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=record["receiptHandle"])
        if not kept:
            return True
        failed_ids = self._run_batch(
            source.function, {"Records": kept}, source.report_failures, f"queue {source.queue}"
        )
        visibility = int(
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])[
                "Attributes"
            ]["VisibilityTimeout"]
        )
        retry_at = clock.utcnow() + timedelta(seconds=visibility)
        for record in kept:
            if record["messageId"] in failed_ids:
                self._retry.setdefault(source.queue, []).append((record["receiptHandle"], retry_at))
            else:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=record["receiptHandle"])
        return True

    def release_due(self) -> None:
        """Make failed messages whose visibility timeout has passed visible again."""
        now = clock.utcnow()
        sqs = self._client("sqs")
        for queue, waiting in self._retry.items():
            due = [handle for handle, at in waiting if at <= now]
            self._retry[queue] = [(handle, at) for handle, at in waiting if at > now]
            for handle in due:
                try:
                    sqs.change_message_visibility(
                        QueueUrl=self._resource(queue), ReceiptHandle=handle, VisibilityTimeout=0
                    )
                except Exception:  # noqa: S112 - the message already left (deleted or redriven)
                    continue

    def depth(self, logical_id: str) -> dict[str, int]:
        """Visible and in-flight message counts of a queue: ``{"visible", "in_flight"}``."""
        attributes = self._client("sqs").get_queue_attributes(
            QueueUrl=self._resource(logical_id),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return {
            "visible": int(attributes["ApproximateNumberOfMessages"]),
            "in_flight": int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        }


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """The record shape Lambda's SQS event source delivers."""
    attributes = {
        name: {
            "stringValue": value.get("StringValue"),
            "binaryValue": base64.b64encode(value["BinaryValue"]).decode()
            if "BinaryValue" in value
            else None,
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value.get("DataType", "String"),
        }
        for name, value in (message.get("MessageAttributes") or {}).items()
    }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": attributes,
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def _filterable(record: dict[str, Any]) -> dict[str, Any]:
    """Lambda filters SQS records on the body parsed as JSON when it is JSON."""
    out = dict(record)
    with contextlib.suppress(ValueError):
        out["body"] = json.loads(record["body"])
    return out
