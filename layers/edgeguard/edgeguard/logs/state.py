"""Cross-file aggregation: each file's per-second event counts for suspicious clients.

A client's requests arrive in many log files, processed by parallel invocations
in any order. Each invocation stores its own contribution under
(source|client|scenario, file id) -- a put of the same file again overwrites, so
retries are harmless -- then reads every contribution for those keys (strongly
consistent) and evaluates the buckets over the union. Whichever invocation
reads last sees all files, so the outcome does not depend on order. A
``decided`` marker per key keeps later files from recording the same ban again
while it is active.

DynamoDB layout (table DetectionStateTable): pk ``source|client|scenario``, sk
file id (``#decided`` for the marker); ``counts`` = "base offset:n offset:n ...";
``expires_at`` (TTL) two days after the newest event or now, whichever is later.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import polars as pl

from edgeguard.logs.scenarios import OBSERVATION_SCHEMA

DECIDED = "#decided"
RETENTION = timedelta(days=2)
_CHUNK = 20_000  # (offset, count) pairs per item, well under DynamoDB's 400 KB


def key_of(source: str, client: str, scenario: str) -> str:
    return f"{source}|{client}|{scenario}"


def split_key(key: str) -> tuple[str, str, str]:
    source, client, scenario = key.split("|", 2)
    return source, client, scenario


class StateStore(Protocol):
    """Where contributions and decided markers live (DynamoDB, or memory offline)."""

    def merge(self, file_id: str, observations: pl.DataFrame, now: datetime) -> pl.DataFrame: ...

    def decided(self, key: str, now: datetime) -> bool: ...

    def mark_decided(self, key: str, until: datetime) -> None: ...


def _contributions(observations: pl.DataFrame) -> dict[str, list[tuple[int, int]]]:
    grouped: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for source, client, scenario, ts, n in observations.sort("ts").iter_rows():
        grouped[key_of(source, client, scenario)].append((ts, n))
    return grouped


def _frame(rows: Iterable[tuple[str, int, int]]) -> pl.DataFrame:
    data: dict[str, list[Any]] = {name: [] for name in OBSERVATION_SCHEMA}
    for key, ts, n in rows:
        source, client, scenario = split_key(key)
        for name, value in zip(OBSERVATION_SCHEMA, (source, client, scenario, ts, n), strict=True):
            data[name].append(value)
    return pl.DataFrame(data, schema=OBSERVATION_SCHEMA)


@dataclass
class MemoryStateStore:
    """Contributions in memory: tests, and the local cloud without DynamoDB."""

    items: dict[str, dict[str, list[tuple[int, int]]]] = field(default_factory=dict)
    markers: dict[str, datetime] = field(default_factory=dict)

    def merge(self, file_id: str, observations: pl.DataFrame, now: datetime) -> pl.DataFrame:
        rows = []
        for key, counts in _contributions(observations).items():
            files = self.items.setdefault(key, {})
            files[file_id] = counts
            rows += [(key, ts, n) for entries in files.values() for ts, n in entries]
        return _frame(rows)

    def decided(self, key: str, now: datetime) -> bool:
        until = self.markers.get(key)
        return until is not None and until > now

    def mark_decided(self, key: str, until: datetime) -> None:
        self.markers[key] = max(until, self.markers.get(key, until))


def encode(counts: list[tuple[int, int]]) -> str:
    base = counts[0][0]
    return f"{base} " + " ".join(f"{ts - base}:{n}" for ts, n in counts)


def decode(text: str) -> list[tuple[int, int]]:
    head, _, rest = text.partition(" ")
    base = int(head)
    pairs = []
    for part in rest.split():
        offset, _, n = part.partition(":")
        pairs.append((base + int(offset), int(n)))
    return pairs


@dataclass
class DynamoStateStore:
    """Contributions in the DetectionStateTable (pk, sk, counts, expires_at TTL)."""

    client: Any  # boto3 DynamoDB client
    table: str

    def merge(self, file_id: str, observations: pl.DataFrame, now: datetime) -> pl.DataFrame:
        grouped = _contributions(observations)
        if len(file_id) > 400:  # sort keys stop at 1,024 bytes; S3 keys can be that long
            file_id = hashlib.sha256(file_id.encode()).hexdigest()
        requests = []
        for key, counts in grouped.items():
            newest = max(ts for ts, _ in counts)
            expires = int(max(newest, now.timestamp()) + RETENTION.total_seconds())
            for part in range(0, len(counts), _CHUNK):
                requests.append(
                    {
                        "PutRequest": {
                            "Item": {
                                "pk": {"S": key},
                                "sk": {"S": f"{file_id}#{part // _CHUNK}"},
                                "counts": {"S": encode(counts[part : part + _CHUNK])},
                                "expires_at": {"N": str(expires)},
                            }
                        }
                    }
                )
        self._batch_write(requests)
        rows = []
        for key in grouped:
            for item in self._query(key):
                if item["sk"]["S"] != DECIDED and "counts" in item:
                    rows += [(key, ts, n) for ts, n in decode(item["counts"]["S"])]
        return _frame(rows)

    def decided(self, key: str, now: datetime) -> bool:
        item = self.client.get_item(
            TableName=self.table,
            Key={"pk": {"S": key}, "sk": {"S": DECIDED}},
            ConsistentRead=True,
        ).get("Item")
        return bool(item) and int(item["until"]["N"]) > now.timestamp()

    def mark_decided(self, key: str, until: datetime) -> None:
        stamp = int(until.timestamp())
        with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
            self.client.put_item(
                TableName=self.table,
                Item={
                    "pk": {"S": key},
                    "sk": {"S": DECIDED},
                    "until": {"N": str(stamp)},
                    "expires_at": {"N": str(stamp + int(RETENTION.total_seconds()))},
                },
                # Never shorten a marker another invocation set further out.
                ConditionExpression="attribute_not_exists(pk) OR #u < :u",
                ExpressionAttributeNames={"#u": "until"},
                ExpressionAttributeValues={":u": {"N": str(stamp)}},
            )

    def _query(self, key: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": key}},
            "ConsistentRead": True,
        }
        while True:
            page = self.client.query(**kwargs)
            items += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), 25):
            pending = requests[start : start + 25]
            for attempt in range(8):
                response = self.client.batch_write_item(RequestItems={self.table: pending})
                pending = response.get("UnprocessedItems", {}).get(self.table, [])
                if not pending:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
            if pending:
                raise RuntimeError(f"DynamoDB left {len(pending)} state writes unprocessed")
