"""DynamoDB streams: a table's stream records delivered to their consumers, in order.

``StreamPoller.poll(index, source)`` reads every shard of the table's stream after the
mapping's last position and runs the consumer on the records its filter criteria keep.
A failed batch (or, with ``ReportBatchItemFailures``, its first failed record) blocks
the shard until the next tick (``unblock``), as Lambda backs off, and is retried from
there until ``MaximumRetryAttempts`` is used up; then the shard moves on.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any

from edgeguard_tools.local.patterns import matches
from edgeguard_tools.local.resources import ClientFactory
from edgeguard_tools.local.runtime import RunBatch
from edgeguard_tools.local.template import REGION
from edgeguard_tools.local.wiring import StreamSource


class StreamPoller:
    """Positions, retry counts and blocked shards of each stream mapping (by its index).

    ``client(service)`` gives boto3 clients; ``attribute`` answers GetAtt (StreamArn);
    ``run_batch`` runs the consumer on a batch.
    """

    def __init__(
        self, client: ClientFactory, attribute: Callable[[str, str], Any], run_batch: RunBatch
    ) -> None:
        self._client = client
        self._attribute = attribute
        self._run_batch = run_batch
        self._position: dict[tuple[int, str], str] = {}
        self._attempts: dict[tuple[int, str, str], int] = {}
        self._blocked: set[tuple[int, str]] = set()

    def poll_all(self, sources: list[StreamSource]) -> bool:
        """Poll every mapping once (``poll``, indexed by position); True when any read."""
        moved = False
        for index, source in enumerate(sources):
            moved |= self.poll(index, source)
        return moved

    def poll(self, index: int, source: StreamSource) -> bool:
        """One read-and-run round over the stream's shards; True when records were read."""
        if not source.enabled:
            return False
        streams = self._client("dynamodbstreams")
        stream_arn = self._attribute(source.table, "StreamArn")
        moved = False
        for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
            shard_id = shard["ShardId"]
            if (index, shard_id) in self._blocked:
                continue  # a failed batch is retried on the next tick, as Lambda backs off
            position = self._position.get((index, shard_id))
            args: dict[str, Any] = {"StreamArn": stream_arn, "ShardId": shard_id}
            if position:
                args |= {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": position}
            else:
                args["ShardIteratorType"] = "TRIM_HORIZON"
            iterator = streams.get_shard_iterator(**args)["ShardIterator"]
            records = streams.get_records(ShardIterator=iterator, Limit=source.batch_size)[
                "Records"
            ]
            if not records:
                continue
            moved = True
            records = [stream_record(record, stream_arn) for record in records]
            kept = [
                r
                for r in records
                if not source.filters or any(matches(f, r) for f in source.filters)
            ]
            failed = (
                self._run_batch(
                    source.function,
                    {"Records": kept},
                    source.report_failures,
                    f"stream {source.table}",
                )
                if kept
                else set()
            )
            sequences = [r["dynamodb"]["SequenceNumber"] for r in records]
            self._settle(index, shard_id, sequences, failed, source.maximum_retry_attempts)
        return moved

    def _settle(
        self, index: int, shard_id: str, sequences: list[str], failed: set[str], retries: int
    ) -> bool:
        """Move the shard's position after a batch of records with these sequence numbers,
        as Lambda's event source mapping does: past the batch when nothing failed or the
        retries are spent (True: the batch was given up), else up to the first failed record,
        and the shard waits for the next tick."""
        if not failed:
            self._position[(index, shard_id)] = sequences[-1]
            return False
        first_failed = min(failed, key=int)
        key = (index, shard_id, first_failed)
        self._attempts[key] = self._attempts.get(key, 0) + 1
        if 0 <= retries < self._attempts[key]:
            self._position[(index, shard_id)] = sequences[-1]  # given up, as Lambda does
            return True
        done = [s for s in sequences if int(s) < int(first_failed)]
        if done:
            self._position[(index, shard_id)] = done[-1]
        self._blocked.add((index, shard_id))
        return False

    def unblock(self) -> None:
        """Let blocked shards retry their failed batch (called once per tick)."""
        self._blocked.clear()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set | tuple):
        return [_plain(v) for v in value]
    return value


def stream_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda delivers it (JSON values, ``eventSourceARN``)."""
    out = _plain(record)
    out["eventSourceARN"] = stream_arn
    out.setdefault("awsRegion", REGION)
    return out
