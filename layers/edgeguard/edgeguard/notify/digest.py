"""The digest: every automation's alerts fit SNS, and alerts of one kind can be throttled.

- ``fit`` makes an alert's published message fit SNS's message size limit: list-valued
  fields are cut to their first N values, with the total count, counts per scenario or
  reason when the items carry one, and where to see the rest (``edgeguard decisions``).
  ``edgeguard.notify.alert.publish`` calls it, so no automation can exceed the limit.
- ``AlertGate`` admits one alert per (kind, key) per time window across concurrent Lambda
  invocations (a conditional PutItem on the DetectionStateTable), and counts the alerts
  it held back, so the next one can say how many were grouped into it.
- ``announce`` is fit + gate + publish; a failed publish re-opens the gate, so a retry
  announces what the failed attempt did not.

Together with ``alert`` this module is the shared alerting leaf: it imports only
``edgeguard.notify.alert`` and the foundation modules. See docs/alerts.md.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from edgeguard.clock import utcnow
from edgeguard.errors import EdgeguardError
from edgeguard.notify.alert import Alert, message_body, publish

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sns import SNSClient

# "Amazon SNS API Reference: Publish": a message is at most 256 KB (262,144 bytes).
SNS_MESSAGE_LIMIT = 262_144
# What fit aims for by default: 16 KB under the limit, room for the subject and for the
# envelope SNS wraps around the message when it invokes the notifier (Lambda's
# asynchronous payload limit is also 256 KB, "AWS Lambda Developer Guide: Lambda quotas").
DEFAULT_LIMIT_BYTES = SNS_MESSAGE_LIMIT - 16 * 1024
SEE_REST = "edgeguard decisions"
MAX_GROUPS = 20  # counts per scenario/reason: the 20 largest, the rest as "other"
MIN_TEXT = 200  # a text field is never truncated below this many characters
_REASON_SUFFIX = re.compile(r"\(([^()]+)\)\s*$")
_GROUP_KEYS = ("scenario", "reason")


class DoesNotFit(EdgeguardError, ValueError):
    """Even the smallest summary of the alert is larger than the byte budget."""


def published_size(alert: Alert) -> int:
    """Bytes SNS counts for this alert as ``publish`` sends it (Message and Subject, UTF-8)."""
    return len(message_body(alert).encode()) + len(alert.subject().encode())


def fit(alert: Alert, limit_bytes: int = DEFAULT_LIMIT_BYTES, see_rest: str = SEE_REST) -> Alert:
    """An alert whose published message (JSON ``default`` and ``email`` text together) is
    at most ``limit_bytes`` bytes; the alert itself when it already fits.

    Every list-valued field longer than N keeps its first N values (the largest N that
    fits, the same N for every list) and gains ``<field>_total`` (how many there were),
    ``<field>_by_<scenario|reason>`` (counts, when items are dicts with a ``scenario`` or
    ``reason`` key or strings ending in ``(<scenario>)``) and ``<field>_not_shown`` (how many
    are left out and where to see them: ``see_rest``). If the lists are not the problem,
    the longest text values are shortened (never below 200 characters). The limit's
    source: "Amazon SNS API Reference: Publish" (256 KB).

    Raises:
        DoesNotFit: even with every list empty and every text shortened the alert is
            larger than ``limit_bytes``.
    """
    if published_size(alert) <= limit_bytes:
        return alert
    lists = {k: list(v) for k, v in alert.fields.items() if isinstance(v, list | tuple)}
    longest = max((len(v) for v in lists.values()), default=0)
    candidate = _cut_lists(alert, lists, 0, see_rest)
    if lists and published_size(candidate) <= limit_bytes:
        low, high = 0, longest
        while low < high:  # the largest N whose summary fits
            middle = (low + high + 1) // 2
            if published_size(_cut_lists(alert, lists, middle, see_rest)) <= limit_bytes:
                low = middle
            else:
                high = middle - 1
        return _cut_lists(alert, lists, low, see_rest)
    return _shorten_texts(candidate, limit_bytes)


def _cut_lists(alert: Alert, lists: dict[str, list[Any]], keep: int, see_rest: str) -> Alert:
    fields: dict[str, Any] = {}
    for name, value in alert.fields.items():
        items = lists.get(name)
        if items is None or len(items) <= keep:
            fields[name] = value
            continue
        fields[name] = items[:keep]
        fields[f"{name}_total"] = len(items)
        groups = _groups(items)
        if groups is not None:
            fields[f"{name}_by_{groups[0]}"] = groups[1]
        fields[f"{name}_not_shown"] = (
            f"{len(items) - keep} more not shown (message size limit): see `{see_rest}`"
        )
    return replace(alert, fields=fields)


def _groups(items: Sequence[Any]) -> tuple[str, dict[str, int]] | None:
    """("scenario" or "reason", counts) when the items carry one; None otherwise."""
    label = "scenario"
    found: list[str] = []
    for item in items:
        if isinstance(item, dict):
            key = next((k for k in _GROUP_KEYS if k in item), None)
            if key is None:
                return None
            label = key
            found.append(str(item[key]))
        elif isinstance(item, str) and (match := _REASON_SUFFIX.search(item)):
            found.append(match.group(1).strip())
        else:
            return None
    if not found:
        return None
    counts = Counter(found).most_common()
    kept = dict(counts[:MAX_GROUPS])
    if len(counts) > MAX_GROUPS:
        kept["other"] = sum(n for _, n in counts[MAX_GROUPS:])
    return label, kept


def _shorten_texts(alert: Alert, limit_bytes: int) -> Alert:
    """Halve the longest text (title, link or field) until the alert fits."""
    current = alert
    while published_size(current) > limit_bytes:
        texts = {
            name: value if isinstance(value, str) else _as_json(value)
            for name, value in current.fields.items()
            if not isinstance(value, int | float | bool) and value is not None
        }
        texts["\0title"] = current.title
        name, text = max(texts.items(), key=lambda pair: len(pair[1]))
        excess = published_size(current) - limit_bytes
        keep = max(MIN_TEXT, min(len(text) // 2, len(text) - excess))
        short = f"{text[:keep]}... ({len(text) - keep} characters cut)"
        if len(short) >= len(text):
            raise DoesNotFit(
                f"alert {alert.kind!r} does not fit in {limit_bytes} bytes even summarised"
            )
        if name == "\0title":
            current = replace(current, title=short)
        else:
            current = replace(current, fields={**current.fields, name: short})
    return current


def _as_json(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)


@dataclass(frozen=True)
class GateTicket:
    """What ``AlertGate.open`` decided: ``first`` (announce now), how many alerts of the
    same (kind, key) were held back since the last one announced (``suppressed``), and the
    token that lets ``release`` undo this opening.
    """

    kind: str
    key: str
    first: bool
    suppressed: int = 0
    token: str = ""
    until: int = 0


class AlertGate:
    """One alert per (kind, key) per window, across concurrent Lambda invocations.

    Items live in a table with the DetectionStateTable schema (template.yaml: string keys
    ``pk``/``sk``, TTL attribute ``expires_at`` in epoch seconds): pk ``alert#<kind>``, sk
    the key (``#all`` for the empty key; a key over 512 characters becomes its SHA-256 hex
    digest), ``until`` (epoch seconds the window ends), ``suppressed`` (alerts held back in
    that window), ``token`` (who opened it). The opening is a conditional PutItem ("the
    item is absent or its window has ended"), so exactly one caller wins per window.

    Grouping alerts of one kind: use one key for the kind (e.g. ``""``); the first alert
    of a window is announced, the others are counted, and the next announced alert says
    how many were held back (``announce`` adds the ``held_back`` field).
    """

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        if not table_name:
            raise ValueError("AlertGate needs a table name")
        self.client = client
        self.table_name = table_name

    def first_in_window(self, kind: str, key: str, window: timedelta, now: datetime) -> bool:
        """True exactly once per (kind, key) per ``window`` starting at the first call;
        False (and the held-back count grows) for the others. ClientError propagates."""
        return self.open(kind, key, window, now).first

    def open(self, kind: str, key: str, window: timedelta, now: datetime) -> GateTicket:
        """Try to open the window of (kind, key) at ``now`` (tz-aware); see ``first_in_window``.

        Raises:
            ValueError: ``window`` is not positive or ``kind`` is empty.
            botocore.exceptions.ClientError: any other DynamoDB error.
        """
        if window <= timedelta(0) or not kind:
            raise ValueError("AlertGate.open needs a kind and a positive window")
        epoch = math.floor(now.timestamp())
        until = epoch + max(1, math.ceil(window.total_seconds()))
        token = uuid.uuid4().hex
        keys = self._keys(kind, key)
        try:
            response = self.client.put_item(
                TableName=self.table_name,
                Item={
                    **keys,
                    "until": {"N": str(until)},
                    "suppressed": {"N": "0"},
                    "token": {"S": token},
                    "expires_at": {"N": str(until + 86_400)},
                },
                ConditionExpression="attribute_not_exists(pk) OR #until <= :now",
                ExpressionAttributeNames={"#until": "until"},
                ExpressionAttributeValues={":now": {"N": str(epoch)}},
                ReturnValues="ALL_OLD",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            self.client.update_item(
                TableName=self.table_name,
                Key=keys,
                UpdateExpression="ADD suppressed :one",
                ExpressionAttributeValues={":one": {"N": "1"}},
            )
            return GateTicket(kind, key, first=False)
        old = response.get("Attributes") or {}
        held = int(old.get("suppressed", {}).get("N", "0"))
        return GateTicket(kind, key, True, held, token, until)

    def release(self, ticket: GateTicket) -> None:
        """Undo an opening whose announcement failed: the window ends now, so the next
        attempt is first again (the held-back count is kept). A window someone else
        re-opened meanwhile is left alone. ClientError (other than that) propagates."""
        if not ticket.first:
            return
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=self._keys(ticket.kind, ticket.key),
                UpdateExpression="SET #until = :zero, suppressed = :held",
                ConditionExpression="#token = :token",
                ExpressionAttributeNames={"#until": "until", "#token": "token"},
                ExpressionAttributeValues={
                    ":zero": {"N": "0"},
                    ":held": {"N": str(ticket.suppressed)},
                    ":token": {"S": ticket.token},
                },
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return

    @staticmethod
    def _keys(kind: str, key: str) -> dict[str, Any]:
        sort_key = key or "#all"
        if len(sort_key) > 512:  # DynamoDB sort keys stop at 1,024 bytes
            sort_key = hashlib.sha256(sort_key.encode()).hexdigest()
        return {"pk": {"S": f"alert#{kind}"}, "sk": {"S": sort_key}}


def announce(
    sns: SNSClient,
    topic_arn: str,
    alert: Alert,
    *,
    gate: AlertGate | None = None,
    key: str = "",
    window: timedelta = timedelta(hours=1),
    now: datetime | None = None,
) -> str | None:
    """Fit, gate (when ``gate`` is given) and publish ``alert``; the SNS MessageId, or None
    when the gate held it back (another alert of ``alert.kind`` and ``key`` was announced
    within ``window``).

    When earlier alerts were held back, the announced one carries ``held_back`` (their
    count). If publishing fails the gate is released and the error propagates, so the
    caller's retry announces it.

    Raises:
        botocore.exceptions.ClientError: SNS or DynamoDB refused.
        DoesNotFit: see ``fit``.
    """
    ticket = None
    if gate is not None:
        ticket = gate.open(alert.kind, key, window, now or utcnow())
        if not ticket.first:
            return None
        if ticket.suppressed:
            alert = replace(alert, fields={**alert.fields, "held_back": ticket.suppressed})
    try:
        return publish(sns, topic_arn, alert)
    except BaseException:
        if gate is not None and ticket is not None:
            gate.release(ticket)
        raise
