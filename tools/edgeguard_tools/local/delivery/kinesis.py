"""Kinesis data streams: a stream's records delivered to their consumers, in order.

``KinesisPoller.poll(index, source)`` reads every shard of the stream after the
mapping's last position and runs the consumer on a batch shaped as Lambda delivers it
("Using Lambda with Kinesis Data Streams": ``Records[].kinesis.data`` base64,
``eventID`` ``<shard>:<sequence>``). A failed batch (or, with
``ReportBatchItemFailures``, its first failed record) blocks the shard until the next
tick (``unblock``) and is retried from there until ``MaximumRetryAttempts`` is used up;
then its invocation record goes to the mapping's OnFailure destination (an SQS queue
or SNS topic of the stack) and the shard moves on. ``BisectBatchOnFunctionError`` is
not emulated: the whole batch is retried.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from edgeguard_tools.local.delivery.streams import StreamPoller
from edgeguard_tools.local.resources import ClientFactory
from edgeguard_tools.local.runtime import RunBatch
from edgeguard_tools.local.template import REGION
from edgeguard_tools.local.wiring import StreamSource

SendTo = Callable[[str, Any], None]


class KinesisPoller(StreamPoller):
    """Positions, retry counts and blocked shards of each Kinesis mapping (by its index).

    ``client(service)`` gives boto3 clients; ``attribute`` answers GetAtt (Arn);
    ``run_batch`` runs the consumer on a batch; ``send_to(logical_id, payload)`` delivers
    an invocation record to an OnFailure destination.
    """

    def __init__(
        self,
        client: ClientFactory,
        attribute: Callable[[str, str], Any],
        run_batch: RunBatch,
        send_to: SendTo,
    ) -> None:
        super().__init__(client, attribute, run_batch)
        self._send_to = send_to

    def poll(self, index: int, source: StreamSource) -> bool:
        """One read-and-run round over the stream's shards; True when records were read."""
        if not source.enabled:
            return False
        kinesis = self._client("kinesis")
        stream_arn = self._attribute(source.table, "Arn")
        moved = False
        name = stream_arn.rsplit("/", 1)[-1]  # moto's iterators want the name, not the ARN
        for shard in kinesis.list_shards(StreamName=name)["Shards"]:
            shard_id = shard["ShardId"]
            if (index, shard_id) in self._blocked:
                continue  # a failed batch is retried on the next tick, as Lambda backs off
            records = self._read(kinesis, name, shard_id, index, source.batch_size)
            if not records:
                continue
            moved = True
            batch = [lambda_record(r, shard_id, stream_arn) for r in records]
            failed = self._run_batch(
                source.function,
                {"Records": batch},
                source.report_failures,
                f"kinesis {source.table}",
            )
            sequences = [r["SequenceNumber"] for r in records]
            gave_up = self._settle(
                index, shard_id, sequences, failed, source.maximum_retry_attempts
            )
            if gave_up and source.on_failure:
                self._send_to(source.on_failure, failure_record(batch, shard_id, stream_arn))
        return moved

    def _read(
        self, kinesis: Any, name: str, shard_id: str, index: int, limit: int
    ) -> list[dict[str, Any]]:
        position = self._position.get((index, shard_id))
        args: dict[str, Any] = {"StreamName": name, "ShardId": shard_id}
        if position:
            args |= {
                "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                "StartingSequenceNumber": position,
            }
        else:
            args["ShardIteratorType"] = "TRIM_HORIZON"
        iterator = kinesis.get_shard_iterator(**args)["ShardIterator"]
        return list(kinesis.get_records(ShardIterator=iterator, Limit=limit)["Records"])

    def unblock(self) -> None:
        """Let blocked shards retry their failed batch (called once per tick)."""
        self._blocked.clear()


def _epoch(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value or 0)


def lambda_record(record: dict[str, Any], shard_id: str, stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda delivers it to a Kinesis consumer."""
    sequence = str(record["SequenceNumber"])
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": record.get("PartitionKey", ""),
            "sequenceNumber": sequence,
            "data": base64.b64encode(bytes(record["Data"])).decode(),
            "approximateArrivalTimestamp": _epoch(record.get("ApproximateArrivalTimestamp")),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{sequence}",
        "eventName": "aws:kinesis:record",
        "awsRegion": REGION,
        "eventSourceARN": stream_arn,
    }


def failure_record(batch: list[dict[str, Any]], shard_id: str, stream_arn: str) -> dict[str, Any]:
    """The invocation record Lambda sends to an OnFailure destination for a stream batch."""
    arrivals = [r["kinesis"]["approximateArrivalTimestamp"] for r in batch]
    return {
        "requestContext": {
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 1,
        },
        "timestamp": datetime.now(UTC).isoformat(),
        "KinesisBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": batch[0]["kinesis"]["sequenceNumber"],
            "endSequenceNumber": batch[-1]["kinesis"]["sequenceNumber"],
            "approximateArrivalOfFirstRecord": datetime.fromtimestamp(
                min(arrivals), UTC
            ).isoformat(),
            "approximateArrivalOfLastRecord": datetime.fromtimestamp(
                max(arrivals), UTC
            ).isoformat(),
            "batchSize": len(batch),
            "streamArn": stream_arn,
        },
    }
