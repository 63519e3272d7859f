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

Decided but not yet announced: before a key is marked decided, the new decision is
recorded as *pending* for the file (pk ``announce|<file id>``, sk
``value|action|scenario``, ``entry`` = JSON of ``Pending``). The alert is built from
every pending entry of the file and the entries are cleared only after SNS accepted it,
so an SQS retry of a file whose alert failed announces what the failed attempt decided
(see docs/alerts.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import polars as pl

from edgeguard.logs.scenarios import OBSERVATION_SCHEMA

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import WriteRequestOutputTypeDef, WriteRequestTypeDef

DECIDED = "#decided"
RETENTION = timedelta(days=2)
_CHUNK = 20_000  # (offset, count) pairs per item, well under DynamoDB's 400 KB


def key_of(source: str, client: str, scenario: str) -> str:
    """The state key ``source|client|scenario`` (the table's partition key)."""
    return f"{source}|{client}|{scenario}"


def split_key(key: str) -> tuple[str, str, str]:
    """(source, client, scenario) of a key made by ``key_of``.

    Raises ValueError when ``key`` has fewer than two ``|``.
    """
    source, client, scenario = key.split("|", 2)
    return source, client, scenario


@dataclass(frozen=True)
class Pending:
    """A decision the analyzer made for a file and has not announced yet.

    ``value`` the decided CIDR, ``action`` (ban, captcha, count), ``scenario``, ``status``
    (created or extended), ``source`` (log format), ``sample`` (an offending request,
    redacted), ``events`` (the evidence count, decimal text), ``expires_at`` (ISO 8601
    UTC). Entries written before ``events``/``expires_at`` existed read them as "".
    """

    value: str
    action: str
    scenario: str
    status: str
    source: str = ""
    sample: str = ""
    events: str = ""
    expires_at: str = ""

    @property
    def key(self) -> str:
        """``value|action|scenario``: one entry per decision and scenario."""
        return f"{self.value}|{self.action}|{self.scenario}"

    def to_json(self) -> str:
        """The entry as stored (JSON object)."""
        return json.dumps(self.__dict__, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Pending:
        """The entry ``to_json`` wrote. Raises ValueError or TypeError on anything else."""
        data = json.loads(text)
        return cls(**{name: str(data[name]) for name in cls.__dataclass_fields__ if name in data})


class StateStore(Protocol):
    """Where contributions and decided markers live (DynamoDB, or memory offline)."""

    def merge(self, file_id: str, observations: pl.DataFrame, now: datetime) -> pl.DataFrame:
        """Store this file's observations, return every file's for the same keys.

        ``observations`` has ``OBSERVATION_SCHEMA`` columns (source, client, scenario, ts
        in epoch seconds, n events); the result has the same columns. Storing the same
        ``file_id`` again replaces its earlier contribution.
        """

    def decided(self, key: str, now: datetime) -> bool:
        """Whether a decision for ``key`` was recorded that lasts beyond ``now``."""

    def mark_decided(self, key: str, until: datetime) -> None:
        """Remember that ``key`` is decided until ``until`` (never shortened)."""

    def add_pending(self, file_id: str, entry: Pending, now: datetime) -> None:
        """Record ``entry`` as decided for ``file_id`` and not yet announced."""

    def pending(self, file_id: str) -> list[Pending]:
        """Every entry of ``file_id`` not yet announced (any earlier attempt's too)."""

    def clear_pending(self, file_id: str, entries: Sequence[Pending]) -> None:
        """Forget ``entries`` of ``file_id``: they were announced."""


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
    unannounced: dict[str, dict[str, Pending]] = field(default_factory=dict)

    def merge(self, file_id: str, observations: pl.DataFrame, now: datetime) -> pl.DataFrame:
        """See ``StateStore.merge``; contributions are kept in ``items``."""
        rows = []
        for key, counts in _contributions(observations).items():
            files = self.items.setdefault(key, {})
            files[file_id] = counts
            rows += [(key, ts, n) for entries in files.values() for ts, n in entries]
        return _frame(rows)

    def decided(self, key: str, now: datetime) -> bool:
        """See ``StateStore.decided``."""
        until = self.markers.get(key)
        return until is not None and until > now

    def mark_decided(self, key: str, until: datetime) -> None:
        """See ``StateStore.mark_decided``; keeps the later of the two times."""
        self.markers[key] = max(until, self.markers.get(key, until))

    def add_pending(self, file_id: str, entry: Pending, now: datetime) -> None:
        """See ``StateStore.add_pending``."""
        self.unannounced.setdefault(file_id, {})[entry.key] = entry

    def pending(self, file_id: str) -> list[Pending]:
        """See ``StateStore.pending``."""
        return list(self.unannounced.get(file_id, {}).values())

    def clear_pending(self, file_id: str, entries: Sequence[Pending]) -> None:
        """See ``StateStore.clear_pending``."""
        kept = self.unannounced.get(file_id, {})
        for entry in entries:
            kept.pop(entry.key, None)


def encode(counts: list[tuple[int, int]]) -> str:
    """(epoch second, count) pairs as text: ``"<base> <offset>:<n> ..."``, offsets from the
    first pair's second. ``counts`` must be non-empty (IndexError otherwise).
    """
    base = counts[0][0]
    return f"{base} " + " ".join(f"{ts - base}:{n}" for ts, n in counts)


def decode(text: str) -> list[tuple[int, int]]:
    """The (epoch second, count) pairs ``encode`` wrote.

    Raises ValueError on text that ``encode`` did not produce.
    """
    head, _, rest = text.partition(" ")
    base = int(head)
    pairs = []
    for part in rest.split():
        offset, _, n = part.partition(":")
        pairs.append((base + int(offset), int(n)))
    return pairs


@dataclass
class DynamoStateStore:
    """Contributions in the DetectionStateTable (pk, sk, counts, expires_at TTL).

    ``client`` is a boto3 DynamoDB client; ``table`` the table name.
    """

    client: DynamoDBClient
    table: str

    def merge(self, file_id: str, observations: pl.DataFrame, now: datetime) -> pl.DataFrame:
        """Put this file's contributions, then read back every file's for the same keys.

        Each key's pairs are written in items of at most 20,000 pairs (sk
        ``<file id>#<part>``) to stay under DynamoDB's 400 KB item size, 25 per
        BatchWriteItem ("Amazon DynamoDB Developer Guide: Quotas in Amazon DynamoDB"). A
        file id over 400 bytes (UTF-8) is replaced by its SHA-256 hex digest. Reads are
        strongly consistent queries on each key. Returns ``OBSERVATION_SCHEMA`` rows.

        Raises:
            RuntimeError: items were still unprocessed after 8 BatchWriteItem attempts.
            botocore.exceptions.ClientError: any DynamoDB error.
        """
        grouped = _contributions(observations)
        file_id = _short_id(file_id)
        requests: list[WriteRequestTypeDef] = []
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
        """Whether the ``#decided`` marker of ``key`` has ``until`` (epoch seconds) after ``now``.

        A strongly consistent GetItem; ClientError propagates.
        """
        item = self.client.get_item(
            TableName=self.table,
            Key={"pk": {"S": key}, "sk": {"S": DECIDED}},
            ConsistentRead=True,
        ).get("Item")
        if not item:
            return False
        return int(item["until"]["N"]) > now.timestamp()

    def mark_decided(self, key: str, until: datetime) -> None:
        """Write the ``#decided`` marker of ``key`` with ``until`` (epoch seconds).

        Conditional: a marker that already lasts as long or longer is left alone (the
        conditional-check failure is swallowed). Its TTL is ``until`` plus 2 days.
        """
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

    def add_pending(self, file_id: str, entry: Pending, now: datetime) -> None:
        """Put ``entry`` under pk ``announce|<file id>`` (TTL: 2 days after ``now``).

        A put of the same entry again overwrites it. ClientError propagates.
        """
        self.client.put_item(
            TableName=self.table,
            Item={
                "pk": {"S": _announce_pk(file_id)},
                "sk": {"S": entry.key},
                "entry": {"S": entry.to_json()},
                "expires_at": {"N": str(int(now.timestamp() + RETENTION.total_seconds()))},
            },
        )

    def pending(self, file_id: str) -> list[Pending]:
        """Every pending entry of ``file_id`` (a strongly consistent query).

        An entry that cannot be read is skipped (it was written by this code; TTL
        removes it). ClientError propagates.
        """
        entries = []
        for item in self._query(_announce_pk(file_id)):
            with contextlib.suppress(KeyError, ValueError, TypeError):
                entries.append(Pending.from_json(item["entry"]["S"]))
        return entries

    def clear_pending(self, file_id: str, entries: Sequence[Pending]) -> None:
        """Delete the entries (BatchWriteItem, 25 per call). Raises like ``merge``."""
        pk = _announce_pk(file_id)
        self._batch_write(
            [
                {"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": entry.key}}}}
                for entry in entries
            ]
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

    def _batch_write(self, requests: list[WriteRequestTypeDef]) -> None:
        for start in range(0, len(requests), 25):
            pending: Sequence[WriteRequestTypeDef | WriteRequestOutputTypeDef]
            pending = requests[start : start + 25]
            for attempt in range(8):
                response = self.client.batch_write_item(RequestItems={self.table: pending})
                pending = response.get("UnprocessedItems", {}).get(self.table, [])
                if not pending:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
            if pending:
                raise RuntimeError(f"DynamoDB left {len(pending)} state writes unprocessed")


def _short_id(file_id: str) -> str:
    """``file_id``, or its SHA-256 hex digest when its UTF-8 form exceeds 400 bytes
    (DynamoDB keys stop at 1,024 bytes for a sort key and 2,048 for a partition key;
    S3 keys can be 1,024 bytes long and hold multi-byte characters)."""
    if len(file_id.encode()) > 400:
        return hashlib.sha256(file_id.encode()).hexdigest()
    return file_id


def _announce_pk(file_id: str) -> str:
    return f"announce|{_short_id(file_id)}"
