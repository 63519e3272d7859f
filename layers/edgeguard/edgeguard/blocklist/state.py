"""What the importer remembers about each feed, in the blocklist state table.

Items (table ``BlocklistStateTable``: string keys ``pk``/``sk``, TTL ``expires_at`` used
only by the alert gate's items):

- ``pk = "feed"``, ``sk = <feed name>``: one ``FeedState`` per feed: validators (ETag,
  Last-Modified), the body's SHA-256, counts, the times of the last attempt, success,
  change and lease renewal, and which generation of its entry list is current. All the
  states are one Query.
- ``pk = "entries#<feed name>"``, ``sk = "<generation>#<chunk>"``: the feed's accepted
  entries (normalised CIDRs), newline-joined and zlib-compressed, ``ENTRIES_PER_CHUNK``
  per item (8,000 of at most 43 characters stay under DynamoDB's 400 KB item limit even
  uncompressed: "Amazon DynamoDB Developer Guide: Service, account, and table quotas").
  A new list is written under a new generation before the state points at it, then the
  old generation is deleted, so a crash never leaves a state pointing at half a list.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ENTRIES_PER_CHUNK = 8_000
BATCH_WRITE_ITEMS = 25  # "Amazon DynamoDB API Reference: BatchWriteItem"
MAX_BATCH_ATTEMPTS = 8
STATE_PK = "feed"


@dataclass
class FeedState:
    """One feed's memory. Times are ISO 8601 UTC strings ("" = never).

    ``status``: ``new``, ``changed``, ``unchanged``, ``rejected`` or ``lifted`` (the
    feed's entries were ended: it stayed unreachable past the grace, or was disabled).
    ``entries`` counts the accepted entries of the current list, ``listed`` what the
    feed listed, ``refused`` what policy refused. ``pending_sha256``/``pending_since``:
    a shrunk body rejected since then (accepted once it persists for the grace).
    """

    name: str
    action: str = "ban"
    url: str = ""
    format: str = ""
    status: str = "new"
    error: str = ""
    etag: str = ""
    last_modified: str = ""
    body_sha256: str = ""
    entries: int = 0
    listed: int = 0
    refused: int = 0
    generation: int = 0
    chunks: int = 0
    last_attempt_at: str = ""
    last_success_at: str = ""
    last_change_at: str = ""
    renewed_at: str = ""
    failures: int = 0
    pending_sha256: str = ""
    pending_since: str = ""

    def moment(self, name: str) -> datetime | None:
        """The datetime a time field holds, or None when it is empty or unreadable."""
        raw = getattr(self, name)
        try:
            parsed = datetime.fromisoformat(raw) if raw else None
        except ValueError:
            return None
        return parsed if parsed is None or parsed.tzinfo else parsed.replace(tzinfo=UTC)

    @property
    def has_list(self) -> bool:
        """True while an entry list is stored and its entries are meant to be active."""
        return self.chunks > 0 and self.status != "lifted"


_INTS = {f.name for f in fields(FeedState) if f.type == "int"}


class StateStore:
    """Reads and writes feed states and entry lists (see the module docstring)."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        if not table_name:
            raise ValueError("the blocklist state store needs a table name")
        self.client = client
        self.table_name = table_name
        self.writes = 0  # items written or deleted (for the run report and the bench)

    def load_states(self) -> dict[str, FeedState]:
        """Every feed's state, by name (one consistent Query)."""
        states: dict[str, FeedState] = {}
        pages = self.client.get_paginator("query").paginate(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": STATE_PK}},
            ConsistentRead=True,
        )
        for page in pages:
            for item in page.get("Items", []):
                state = _state_from_item(item)
                states[state.name] = state
        return states

    def save_state(self, state: FeedState) -> None:
        """Write one feed's state (a PutItem)."""
        item: dict[str, Any] = {"pk": {"S": STATE_PK}, "sk": {"S": state.name}}
        for key, value in asdict(state).items():
            if key == "name":
                continue
            item[key] = {"N": str(value)} if key in _INTS else {"S": str(value)}
        self.client.put_item(TableName=self.table_name, Item=item)
        self.writes += 1

    def load_entries(self, state: FeedState) -> list[str]:
        """The entry list the state points at ([] when it has none)."""
        if state.chunks <= 0:
            return []
        pages = self.client.get_paginator("query").paginate(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :gen)",
            ExpressionAttributeValues={
                ":pk": {"S": _entries_pk(state.name)},
                ":gen": {"S": f"{state.generation:010d}#"},
            },
            ConsistentRead=True,
        )
        entries: list[str] = []
        for page in pages:
            for item in page.get("Items", []):
                text = zlib.decompress(item["data"]["B"]).decode()
                entries.extend(line for line in text.split("\n") if line)
        return entries

    def save_entries(self, name: str, generation: int, entries: Iterable[str]) -> int:
        """Write ``entries`` as generation ``generation`` of ``name``; the chunk count."""
        values = sorted(set(entries))
        items = []
        for number, start in enumerate(range(0, len(values), ENTRIES_PER_CHUNK)):
            data = zlib.compress("\n".join(values[start : start + ENTRIES_PER_CHUNK]).encode())
            items.append(
                {
                    "PutRequest": {
                        "Item": {
                            "pk": {"S": _entries_pk(name)},
                            "sk": {"S": f"{generation:010d}#{number:04d}"},
                            "data": {"B": data},
                            "count": {"N": str(min(ENTRIES_PER_CHUNK, len(values) - start))},
                        }
                    }
                }
            )
        self._batch_write(items)
        return len(items)

    def delete_entries(self, name: str, keep_generation: int) -> None:
        """Delete every chunk of ``name`` that is not of ``keep_generation``."""
        pages = self.client.get_paginator("query").paginate(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": _entries_pk(name)}},
            ProjectionExpression="pk, sk",
            ConsistentRead=True,
        )
        keep = f"{keep_generation:010d}#"
        stale = [
            {"DeleteRequest": {"Key": {"pk": item["pk"], "sk": item["sk"]}}}
            for page in pages
            for item in page.get("Items", [])
            if not str(item["sk"]["S"]).startswith(keep)
        ]
        self._batch_write(stale)

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), BATCH_WRITE_ITEMS):
            pending: dict[str, Any] = {self.table_name: requests[start : start + BATCH_WRITE_ITEMS]}
            for _ in range(MAX_BATCH_ATTEMPTS):
                response = self.client.batch_write_item(RequestItems=pending)
                left = dict(response.get("UnprocessedItems") or {})
                self.writes += len(pending[self.table_name]) - len(left.get(self.table_name, []))
                if not left:
                    break
                pending = left
            else:
                raise RuntimeError(
                    f"BatchWriteItem left items unprocessed {MAX_BATCH_ATTEMPTS} times"
                )


def _entries_pk(name: str) -> str:
    return f"entries#{name}"


def _state_from_item(item: Mapping[str, Any]) -> FeedState:
    values: dict[str, Any] = {"name": str(item["sk"]["S"])}
    for f in fields(FeedState):
        raw = item.get(f.name)
        if f.name == "name" or not isinstance(raw, Mapping):
            continue
        if f.name in _INTS:
            try:
                values[f.name] = int(float(raw.get("N", "0")))
            except ValueError:
                values[f.name] = 0
        else:
            values[f.name] = str(raw.get("S", ""))
    return FeedState(**values)
