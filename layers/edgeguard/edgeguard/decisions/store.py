"""Decisions in DynamoDB: the one table every blocking path writes and the enforcer reads.

One item per (value, action). Writes are optimistic: read the item, compute the new
state with the same rules everywhere (``merge``), write it on condition that nobody
changed it since (a ``version`` attribute), re-read and recompute when somebody did.
So concurrent writers never shorten a ban, and retrying a write is harmless.

What a write does (normalise, refuse, merge, escalate) is ``edgeguard.decisions.rules``,
the same code the in-memory store runs.

``expires_at`` (epoch seconds) is the truth: a decision is active while it is in the
future. The table's TTL attribute is ``purge_at`` (expires_at plus the escalation
window, at least a week), so DynamoDB deletes items late enough to keep the history
that escalation and audit need; the enforcer never relies on TTL deletion.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from edgeguard.clock import utcnow
from edgeguard.config import ConfigError, duration, integer, optional, require
from edgeguard.decisions.model import (
    ACTIONS,
    EXCEPTABLE_ORIGINS,
    SCOPES,
    ActiveRead,
    Decision,
    DecisionException,
    DecisionRequest,
    InvalidValue,
    RecordOutcome,
    Unreadable,
    UnreadableDecision,
)
from edgeguard.decisions.rules import (
    BanPolicy,
    Escalation,
    excepted,
    exception_key,
    floor_seconds,
    merge,
    normalize_value,
    prepare,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

AUDIT_RETENTION = timedelta(days=7)
# Optimistic writes that lose to another writer wait a random time up to a ceiling that
# doubles per attempt ("full jitter", AWS Architecture Blog: "Exponential Backoff And
# Jitter"): 20 ms, 40 ms, ... up to 1 s; 16 attempts wait at most about 11 s in all.
MAX_WRITE_ATTEMPTS = 16
BACKOFF_BASE_SECONDS = 0.02
BACKOFF_CAP_SECONDS = 1.0
# The sparse index of enforceable decisions (template.yaml, DecisionsTable): only ban and
# captcha items carry ENFORCE_BUCKET (crc32(value) mod ENFORCE_BUCKETS), sort key expires_at.
ACTIVE_INDEX = "active-by-expiry"
ENFORCE_BUCKET = "enforce_bucket"
ENFORCE_BUCKETS = 16
ENFORCED_ACTIONS = ("ban", "captcha")
BATCH_GET_KEYS = 100  # BatchGetItem's limit ("Amazon DynamoDB API Reference: BatchGetItem")
BULK_CHUNK = BATCH_GET_KEYS // 2  # record_many: a request reads its decision and its exception


def enforce_bucket(value: str) -> int:
    """The index partition (0 to ENFORCE_BUCKETS - 1) of a decision's value: CRC-32 mod 16."""
    return zlib.crc32(value.encode()) % ENFORCE_BUCKETS


class DynamoDecisionStore:
    """The DecisionSink every Lambda uses; also lists, finds and lifts decisions."""

    def __init__(
        self,
        table_name: str,
        policy: BanPolicy | None = None,
        escalation: Escalation | None = None,
        client: DynamoDBClient | None = None,
    ) -> None:
        if not table_name:
            raise ValueError("a decisions table name is required")
        self.table_name = table_name
        self.policy = policy or BanPolicy()
        self.escalation = escalation or Escalation()
        if client is None:
            import boto3  # noqa: PLC0415 - created on construction, never at import

            client = boto3.client("dynamodb")
        self.client = client
        self._backfilled = False

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, client: DynamoDBClient | None = None
    ) -> DynamoDecisionStore:
        """DECISIONS_TABLE (required); ESCALATION_WINDOW_HOURS (0-8760), MAX_BAN_HOURS
        (1-8760), IPV6_HOST_PREFIX (0-128) and ALLOWLIST_CIDRS (comma-separated) are
        optional. Raises ConfigError naming the variable that is missing or invalid."""
        table = require("DECISIONS_TABLE", environ)
        prefix = integer("IPV6_HOST_PREFIX", 64, environ, minimum=0, maximum=128)
        year = timedelta(hours=8760)
        escalation = Escalation(
            window=duration("ESCALATION_WINDOW_HOURS", timedelta(hours=24), environ, maximum=year),
            maximum=duration(
                "MAX_BAN_HOURS",
                timedelta(hours=168),
                environ,
                minimum=timedelta(hours=1),
                maximum=year,
            ),
        )
        try:
            policy = BanPolicy.from_cidrs(
                optional("ALLOWLIST_CIDRS", "", environ).split(","), ipv6_host_prefix=prefix
            )
        except ValueError as error:
            raise ConfigError(f"ALLOWLIST_CIDRS: {error}") from None
        return cls(table, policy, escalation, client)

    # ------------------------------------------------------------- writing
    def record(self, request: DecisionRequest, now: datetime | None = None) -> RecordOutcome:
        """Normalise, refuse what policy forbids, then merge into the table (see merge).

        A write that loses to a concurrent writer re-reads and retries after a jittered
        exponential backoff (at most ``MAX_WRITE_ATTEMPTS``).

        Raises:
            RuntimeError: the item changed under every attempt.
            botocore.exceptions.ClientError: any other DynamoDB error.
        """
        prepared = prepare(request, self.policy)
        if isinstance(prepared, RecordOutcome):
            return prepared
        value, scope = prepared
        now = now or utcnow()
        if request.origin in EXCEPTABLE_ORIGINS:
            refusal = excepted(request, self._exception(value, request.origin))
            if refusal:
                return RecordOutcome("refused", reason=refusal)
        for attempt in range(MAX_WRITE_ATTEMPTS):
            existing, version = self._read(value, request.action)
            decision, status = merge(
                existing, request, value=value, scope=scope, now=now, escalation=self.escalation
            )
            if self._write(decision, version):
                return RecordOutcome(status, decision)
            if attempt + 1 < MAX_WRITE_ATTEMPTS:  # another writer won: back off, re-read
                ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)
                time.sleep(random.uniform(0, ceiling))
        raise RuntimeError(f"decision for {value} kept changing under {MAX_WRITE_ATTEMPTS} writes")

    def record_many(
        self, requests: Iterable[DecisionRequest], now: datetime | None = None
    ) -> list[RecordOutcome]:
        """``record`` for many requests, one outcome each in order, with fewer reads.

        The stored decisions (and exceptions) of ``BULK_CHUNK`` requests are read with
        one consistent BatchGetItem, then each new state is written with the same
        conditional write as ``record``; a write that loses to another writer (or a
        value repeated in the batch) goes through ``record`` itself. A stored item that
        cannot be read makes that request's outcome ``refused`` with the reason.

        Raises:
            botocore.exceptions.ClientError: DynamoDB refused a read or write.
        """
        now = now or utcnow()
        wanted = list(requests)
        outcomes: dict[int, RecordOutcome] = {}
        ready: list[tuple[int, DecisionRequest, str, Any]] = []
        for index, request in enumerate(wanted):
            prepared = prepare(request, self.policy)
            if isinstance(prepared, RecordOutcome):
                outcomes[index] = prepared
            else:
                ready.append((index, request, *prepared))
        for start in range(0, len(ready), BULK_CHUNK):
            chunk = ready[start : start + BULK_CHUNK]
            keys = {(value, request.action) for _, request, value, _ in chunk}
            keys |= {
                (value, exception_key(request.origin))
                for _, request, value, _ in chunk
                if request.origin in EXCEPTABLE_ORIGINS
            }
            found, _ = self._get_consistent(sorted(keys))
            for index, request, value, scope in chunk:
                outcomes[index] = self._record_read(request, value, scope, now, found)
        return [outcomes[index] for index in range(len(wanted))]

    def _record_read(
        self,
        request: DecisionRequest,
        value: str,
        scope: Any,
        now: datetime,
        found: Mapping[tuple[str, str], Mapping[str, Any]],
    ) -> RecordOutcome:
        """One request of ``record_many``, with its stored items already read."""
        exception = found.get((value, exception_key(request.origin)))
        refusal = excepted(request, _exception_from_item(exception)) if exception else None
        if refusal:
            return RecordOutcome("refused", reason=refusal)
        item = found.get((value, request.action))
        try:
            existing = _from_item(item) if item else None
        except UnreadableDecision as error:
            return RecordOutcome("refused", reason=str(error))
        version = int(item.get("version", {}).get("N", "0")) if item else 0
        decision, status = merge(
            existing, request, value=value, scope=scope, now=now, escalation=self.escalation
        )
        if self._write(decision, version, put_new=True):
            return RecordOutcome(status, decision)
        return self.record(request, now)

    def end(self, value: str, action: str, at: datetime, origin: str, who: str = "") -> bool:
        """End a decision of ``origin`` at ``at`` (earlier than it would): True when it
        did; False when there is none, it ends by ``at`` already or another origin now
        owns it (a longer ban of theirs stands). Not an operator's lift: no exception,
        and escalation still sees it. ClientError (other than the condition) propagates."""
        moment = floor_seconds(at)
        epoch = int(moment.timestamp())
        stamp = floor_seconds(utcnow()).isoformat()
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={"value": {"S": value}, "action": {"S": action}},
                UpdateExpression=(
                    "SET expires_at = :at, purge_at = :purge, updated_at = :stamp, "
                    "updated_by = :who ADD version :one"
                ),
                ConditionExpression=(
                    "attribute_exists(#v) AND origin = :origin AND expires_at > :at"
                ),
                ExpressionAttributeNames={"#v": "value"},
                ExpressionAttributeValues={
                    ":at": {"N": str(epoch)},
                    ":purge": {"N": str(epoch + int(self._retention().total_seconds()))},
                    ":stamp": {"S": stamp},
                    ":who": {"S": who or origin},
                    ":origin": {"S": origin},
                    ":one": {"N": "1"},
                },
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    # ---------------------------------------------------------- exceptions
    def add_exception(
        self,
        value: str,
        origin: str,
        who: str,
        why: str,
        *,
        now: datetime | None = None,
        details: dict[str, Any] | None = None,
    ) -> DecisionException:
        """Record that ``origin`` may not decide on ``value`` again (an item
        ``(value, exception#<origin>)`` with no ``expires_at``, so no active-decision read
        or index ever sees it, and no TTL purges it). Raises InvalidValue for a malformed
        value or an origin that takes no exceptions."""
        if origin not in EXCEPTABLE_ORIGINS:
            raise InvalidValue(f"only {', '.join(EXCEPTABLE_ORIGINS)} decisions take exceptions")
        key_value, _ = normalize_value(value, self.policy.ipv6_host_prefix)
        exception = DecisionException(
            value=key_value,
            origin=origin,
            who=who or "unknown",
            why=why or "lifted by an operator",
            created_at=floor_seconds(now or utcnow()),
            details=dict(details or {}),
        )
        self.client.put_item(TableName=self.table_name, Item=_exception_item(exception))
        return exception

    def exceptions(self) -> list[DecisionException]:
        """Every standing exception (a consistent scan for ``exception#`` sort keys)."""
        pages = self.client.get_paginator("scan").paginate(
            TableName=self.table_name,
            FilterExpression="begins_with(#a, :prefix)",
            ExpressionAttributeNames={"#a": "action"},
            ExpressionAttributeValues={":prefix": {"S": exception_key("")}},
            ConsistentRead=True,
        )
        return sorted(
            (_exception_from_item(item) for page in pages for item in page.get("Items", [])),
            key=lambda e: (e.origin, e.value),
        )

    def remove_exception(self, value: str, origin: str) -> DecisionException | None:
        """Delete an exception; the deleted one, or None when there was none."""
        key_value, _ = normalize_value(value, self.policy.ipv6_host_prefix)
        response = self.client.delete_item(
            TableName=self.table_name,
            Key={"value": {"S": key_value}, "action": {"S": exception_key(origin)}},
            ReturnValues="ALL_OLD",
        )
        old = response.get("Attributes")
        return _exception_from_item(old) if old else None

    def _exception(self, value: str, origin: str) -> DecisionException | None:
        response = self.client.get_item(
            TableName=self.table_name,
            Key={"value": {"S": value}, "action": {"S": exception_key(origin)}},
            ConsistentRead=True,
        )
        item = response.get("Item")
        return _exception_from_item(item) if item else None

    def remove(
        self, value: str, action: str, who: str, why: str, now: datetime | None = None
    ) -> Decision | None:
        """Lift an active decision now (kept for audit until purge); None if none was active."""
        if action not in ACTIONS:
            raise InvalidValue(f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
        key_value, _ = normalize_value(value, self.policy.ipv6_host_prefix)
        now = floor_seconds(now or utcnow())
        epoch = int(now.timestamp())
        try:
            response = self.client.update_item(
                TableName=self.table_name,
                Key={"value": {"S": key_value}, "action": {"S": action}},
                UpdateExpression=(
                    "SET expires_at = :now, purge_at = :purge, lifted_by = :who, "
                    "lifted_reason = :why, lifted_at = :at, updated_at = :at, "
                    "updated_by = :who ADD version :one"
                ),
                ConditionExpression="attribute_exists(#v) AND expires_at > :now",
                ExpressionAttributeNames={"#v": "value"},
                ExpressionAttributeValues={
                    ":now": {"N": str(epoch)},
                    ":purge": {"N": str(epoch + int(self._retention().total_seconds()))},
                    ":who": {"S": who or "unknown"},
                    ":why": {"S": why or "lifted"},
                    ":at": {"S": now.isoformat()},
                    ":one": {"N": "1"},
                },
                ReturnValues="ALL_NEW",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return None
        return _from_item(response["Attributes"])

    # ------------------------------------------------------------- reading
    def get(self, value: str) -> list[Decision]:
        """Every stored decision (any action, active or ended) for a value."""
        key_value, _ = normalize_value(value, self.policy.ipv6_host_prefix)
        pages = self.client.get_paginator("query").paginate(
            TableName=self.table_name,
            KeyConditionExpression="#v = :v",
            ExpressionAttributeNames={"#v": "value"},
            ExpressionAttributeValues={":v": {"S": key_value}},
            ConsistentRead=True,
        )
        return [
            _from_item(item)
            for page in pages
            for item in page.get("Items", [])
            if item.get("action", {}).get("S") in ACTIONS  # not an exception item
        ]

    def active(self, now: datetime | None = None) -> list[Decision]:
        """Decisions with expires_at > now, whatever TTL has or has not deleted yet.

        Items that cannot be read are left out; ``read_active`` also says which they are.
        """
        return self.read_active(now).decisions

    def read_active(self, now: datetime | None = None) -> ActiveRead:
        """Every active decision, and every active-looking item that cannot be read.

        One malformed item never hides the others: it lands in ``ActiveRead.unreadable``
        with its key and the reason.
        """
        result = ActiveRead()
        for item in self._active_items(now):
            try:
                result.decisions.append(_from_item(item))
            except UnreadableDecision as error:
                result.unreadable.append(error.unreadable)
        return result

    def read_enforceable(
        self, now: datetime | None = None, recent: Iterable[tuple[str, str]] = ()
    ) -> ActiveRead:
        """The active ban and captcha decisions, read from the sparse index so that the
        cost grows with active decisions, not with history.

        The index is eventually consistent, so the keys in ``recent`` ((value, action)
        pairs, e.g. those a DynamoDB stream batch names) are also read with a consistent
        BatchGetItem and win over the index's copy (a just-written ban is never missed,
        a just-lifted one never kept). The first call of each store instance backfills
        items that predate the index (``backfill``). ``ActiveRead.read_units`` sums the
        ConsumedCapacity DynamoDB reported for the reads.

        Raises:
            botocore.exceptions.ClientError: DynamoDB refused a read (not retried here).
        """
        now = now or utcnow()
        epoch = math.floor(now.timestamp())
        result = ActiveRead()
        result.read_units += self.backfill(now)
        items: dict[tuple[str, str], Mapping[str, Any]] = {}
        paginator = self.client.get_paginator("query")
        for bucket in range(ENFORCE_BUCKETS):
            for page in paginator.paginate(
                TableName=self.table_name,
                IndexName=ACTIVE_INDEX,
                KeyConditionExpression="#b = :b AND expires_at > :now",
                ExpressionAttributeNames={"#b": ENFORCE_BUCKET},
                ExpressionAttributeValues={":b": {"N": str(bucket)}, ":now": {"N": str(epoch)}},
                ReturnConsumedCapacity="TOTAL",
            ):
                result.read_units += page.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0)
                for entry in page.get("Items", []):
                    items[_raw_key(entry)] = entry
        wanted = sorted({(v, a) for v, a in recent if a in ENFORCED_ACTIONS})
        for start in range(0, len(wanted), BATCH_GET_KEYS):
            chunk = wanted[start : start + BATCH_GET_KEYS]
            found, units = self._get_consistent(chunk)
            result.read_units += units
            for key in chunk:
                latest = found.get(key)
                if latest is not None and _expires_after(latest, epoch):
                    items[key] = latest
                else:  # lifted, expired or deleted since the index saw it
                    items.pop(key, None)
        for item in items.values():
            try:
                result.decisions.append(_from_item(item))
            except UnreadableDecision as error:
                result.unreadable.append(error.unreadable)
        return result

    def backfill(self, now: datetime | None = None) -> float:
        """Give every active ban/captcha item written before the index its bucket.

        Runs once per store instance (the enforcer's container: a cold start, every few
        hours): one consistent scan for active ban/captcha items without the attribute,
        and a conditional update of each, which never overwrites a bucket a current
        writer set. After the upgrade's first run it finds nothing; it writes nothing
        else (no marker item, so no stream record). Returns the read units consumed.
        """
        if self._backfilled:
            return 0.0
        units = 0.0
        epoch = math.floor((now or utcnow()).timestamp())
        for page in self.client.get_paginator("scan").paginate(
            TableName=self.table_name,
            FilterExpression=(
                "attribute_not_exists(#b) AND expires_at > :now AND #a IN (:ban, :captcha)"
            ),
            ExpressionAttributeNames={"#b": ENFORCE_BUCKET, "#a": "action"},
            ExpressionAttributeValues={
                ":now": {"N": str(epoch)},
                ":ban": {"S": "ban"},
                ":captcha": {"S": "captcha"},
            },
            ConsistentRead=True,
            ReturnConsumedCapacity="TOTAL",
        ):
            units += page.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0)
            for item in page.get("Items", []):
                self._set_bucket(item)
        self._backfilled = True
        return units

    def _set_bucket(self, item: Mapping[str, Any]) -> None:
        value = item["value"]
        # ConditionalCheckFailed: deleted, or a current writer gave it its bucket meanwhile.
        with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
            self.client.update_item(
                TableName=self.table_name,
                Key={"value": value, "action": item["action"]},
                UpdateExpression="SET #b = :b",
                ConditionExpression="attribute_exists(#v) AND attribute_not_exists(#b)",
                ExpressionAttributeNames={"#b": ENFORCE_BUCKET, "#v": "value"},
                ExpressionAttributeValues={":b": {"N": str(enforce_bucket(str(value.get("S"))))}},
            )

    def _get_consistent(
        self, keys: list[tuple[str, str]]
    ) -> tuple[dict[tuple[str, str], Mapping[str, Any]], float]:
        found: dict[tuple[str, str], Mapping[str, Any]] = {}
        units = 0.0
        request: dict[str, Any] = {
            self.table_name: {
                "Keys": [{"value": {"S": v}, "action": {"S": a}} for v, a in keys],
                "ConsistentRead": True,
            }
        }
        for _ in range(MAX_WRITE_ATTEMPTS):
            response = self.client.batch_get_item(
                RequestItems=request, ReturnConsumedCapacity="TOTAL"
            )
            units += sum(c.get("CapacityUnits", 0.0) for c in response.get("ConsumedCapacity", []))
            for item in response.get("Responses", {}).get(self.table_name, []):
                found[_raw_key(item)] = item
            request = dict(response.get("UnprocessedKeys") or {})
            if not request:
                return found, units
        raise RuntimeError(f"BatchGetItem left keys unprocessed {MAX_WRITE_ATTEMPTS} times")

    def iter_active(self, now: datetime | None = None) -> Iterator[Decision]:
        """Active decisions one at a time (a paginated, consistent scan filtered on
        ``expires_at > now``, epoch seconds).

        Raises:
            UnreadableDecision: an item cannot be read (``read_active`` skips it instead).
        """
        for item in self._active_items(now):
            yield _from_item(item)

    def _active_items(self, now: datetime | None) -> Iterator[Mapping[str, Any]]:
        epoch = math.floor((now or utcnow()).timestamp())
        pages = self.client.get_paginator("scan").paginate(
            TableName=self.table_name,
            FilterExpression="expires_at > :now",
            ExpressionAttributeValues={":now": {"N": str(epoch)}},
            ConsistentRead=True,
        )
        for page in pages:
            yield from page.get("Items", [])

    # ------------------------------------------------------------ internals
    def _retention(self) -> timedelta:
        return max(self.escalation.window, AUDIT_RETENTION)

    def _read(self, value: str, action: str) -> tuple[Decision | None, int]:
        response = self.client.get_item(
            TableName=self.table_name,
            Key={"value": {"S": value}, "action": {"S": action}},
            ConsistentRead=True,
        )
        item = response.get("Item")
        if not item:
            return None, 0
        return _from_item(item), int(item.get("version", {}).get("N", "0"))

    def _write(self, decision: Decision, version: int, put_new: bool = False) -> bool:
        """Write the whole new state if the item is still at ``version``; False if not.

        ``put_new`` (bulk imports): a new item is one conditional PutItem of the whole
        state rather than an UpdateItem with a long SET expression: the same write to
        DynamoDB, far cheaper to emulate for the local cloud and the bench.
        """
        item = _to_item(decision)
        item["purge_at"] = {"N": str(int((decision.expires_at + self._retention()).timestamp()))}
        item["version"] = {"N": str(version + 1)}
        if put_new and not version:
            try:
                self.client.put_item(
                    TableName=self.table_name,
                    Item=item,
                    ConditionExpression="attribute_not_exists(#key)",
                    ExpressionAttributeNames={"#key": "value"},
                )
            except self.client.exceptions.ConditionalCheckFailedException:
                return False
            return True
        names = {f"#a{i}": key for i, key in enumerate(k for k in item if k not in _KEYS)}
        values = {f":a{i}": item[key] for i, key in enumerate(k for k in item if k not in _KEYS)}
        update = "SET " + ", ".join(f"{n} = {n.replace('#', ':')}" for n in names)
        update += " REMOVE lifted_by, lifted_reason, lifted_at" if not decision.lifted_by else ""
        if version:
            condition = "#ver = :seen"
            names["#ver"] = "version"
            values[":seen"] = {"N": str(version)}
        else:
            condition = "attribute_not_exists(#key)"
            names["#key"] = "value"
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={key: item[key] for key in _KEYS},
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True


_KEYS = ("value", "action")


def _to_item(decision: Decision) -> dict[str, dict[str, str]]:
    item: dict[str, dict[str, str]] = {
        "value": {"S": decision.value},
        "action": {"S": decision.action},
        "scope": {"S": decision.scope},
        "origin": {"S": decision.origin},
        "reason": {"S": decision.reason or "-"},
        "created_at": {"S": decision.created_at.isoformat()},
        "expires_at": {"N": str(int(decision.expires_at.timestamp()))},
        "events": {"N": str(decision.events)},
        "details": {"S": json.dumps(decision.details, default=str, sort_keys=True)},
        "strikes": {"N": str(decision.strikes)},
        "updated_by": {"S": decision.updated_by or decision.origin},
    }
    if decision.updated_at:
        item["updated_at"] = {"S": decision.updated_at.isoformat()}
    if decision.action in ENFORCED_ACTIONS:
        item[ENFORCE_BUCKET] = {"N": str(enforce_bucket(decision.value))}
    return item


def _exception_item(exception: DecisionException) -> dict[str, dict[str, str]]:
    return {
        "value": {"S": exception.value},
        "action": {"S": exception_key(exception.origin)},
        "origin": {"S": exception.origin},
        "excepted_by": {"S": exception.who},
        "excepted_reason": {"S": exception.why},
        "created_at": {"S": exception.created_at.isoformat()},
        "details": {"S": json.dumps(exception.details, default=str, sort_keys=True)},
    }


def _exception_from_item(item: Mapping[str, Any]) -> DecisionException:
    """The exception an ``exception#<origin>`` item holds (missing parts read as empty)."""

    def text(name: str) -> str:
        field = item.get(name)
        return str(field.get("S", "")) if isinstance(field, Mapping) else ""

    try:
        created = datetime.fromisoformat(text("created_at"))
    except ValueError:
        created = datetime.fromtimestamp(0, UTC)
    try:
        details = json.loads(text("details") or "{}")
    except ValueError:
        details = {}
    return DecisionException(
        value=text("value"),
        origin=text("origin") or text("action").removeprefix(exception_key("")),
        who=text("excepted_by"),
        why=text("excepted_reason"),
        created_at=created if created.tzinfo else created.replace(tzinfo=UTC),
        details=details if isinstance(details, dict) else {},
    )


# The latest instant datetime can hold, in epoch seconds (9999-12-31T23:59:59Z): an
# expires_at beyond it (e.g. 1e20) is not a time and makes the item unreadable.
_LATEST_EPOCH = 253_402_300_799


def _raw_key(item: Mapping[str, Any]) -> tuple[str, str]:
    return str(item.get("value", {}).get("S", "")), str(item.get("action", {}).get("S", ""))


def _expires_after(item: Mapping[str, Any], epoch: int) -> bool:
    try:
        return float(item["expires_at"]["N"]) > epoch
    except (KeyError, TypeError, ValueError):
        return True  # let _from_item say what is wrong with it


def _item_key(item: Mapping[str, Any]) -> str:
    def part(name: str) -> str:
        field = item.get(name)
        raw = field.get("S") if isinstance(field, Mapping) else None
        return str(raw)[:64] if raw is not None else f"<no {name}>"

    return f"{part('value')}|{part('action')}"


def _from_item(item: Mapping[str, Any]) -> Decision:
    """The Decision a DynamoDB item (low-level attribute-value form) holds.

    Required: ``value``, ``action`` (one of ACTIONS), ``created_at`` (ISO 8601 with a
    zone), ``expires_at`` (epoch seconds, a number up to year 9999); ``scope`` (ip, range
    or tenant, default ip), ``events`` and ``strikes`` (positive integers), ``details``
    (JSON object) and ``updated_at`` are optional. The value itself is checked by its
    user (the enforcer parses CIDRs and tenant ids).

    Raises:
        UnreadableDecision: a required attribute is missing, of the wrong type or out of
            range; the exception names the item's key and what is wrong.
    """
    try:
        return _decode(item)
    except (KeyError, TypeError, ValueError, OverflowError, AttributeError) as error:
        reason = str(error) if isinstance(error, ValueError) else f"{type(error).__name__}"
        if isinstance(error, KeyError):
            reason = f"missing attribute {error}"
        raise UnreadableDecision(Unreadable(_item_key(item), reason[:200])) from None


def _one_of(name: str, found: str, allowed: tuple[str, ...]) -> str:
    if found not in allowed:
        raise ValueError(f"{name} {found[:32]!r} is not one of {', '.join(allowed)}")
    return found


def _decode(item: Mapping[str, Any]) -> Decision:
    def text(name: str, default: str | None = None) -> str:
        if name not in item and default is not None:
            return default
        value = item[name]["S"]
        if not isinstance(value, str):
            raise TypeError(name)
        return value

    def number(name: str, default: str | None = None) -> float:
        if name not in item and default is not None:
            return float(default)
        found = float(item[name]["N"])
        if not math.isfinite(found):
            raise ValueError(f"{name} is not a finite number")
        return found

    def count(name: str) -> int:
        found = number(name, "1")
        if found < 1 or found != int(found):
            raise ValueError(f"{name} must be a positive integer, not {found:g}")
        return int(found)

    def moment(name: str, raw: str) -> datetime:
        parsed = datetime.fromisoformat(raw)
        if parsed.tzinfo is None:
            raise ValueError(f"{name} has no time zone")
        return parsed

    action = _one_of("action", text("action"), ACTIONS)
    scope = _one_of("scope", text("scope", "ip"), SCOPES)
    value = text("value")
    if not value:
        raise ValueError("value is empty")
    expires = number("expires_at")
    if not 0 <= expires <= _LATEST_EPOCH:
        raise ValueError(f"expires_at {expires:g} is not a time (epoch seconds up to 9999)")
    updated = text("updated_at", "")
    try:
        details = json.loads(text("details", "{}"))
    except ValueError:
        details = {}
    return Decision(
        value=value,
        scope=scope,  # type: ignore[arg-type]
        action=action,
        origin=text("origin", ""),
        reason=text("reason", ""),
        created_at=moment("created_at", text("created_at")),
        expires_at=datetime.fromtimestamp(int(expires), UTC),
        events=count("events"),
        details=details if isinstance(details, dict) else {},
        updated_at=moment("updated_at", updated) if updated else None,
        updated_by=text("updated_by", ""),
        strikes=count("strikes"),
        lifted_by=text("lifted_by", ""),
        lifted_reason=text("lifted_reason", ""),
    )
