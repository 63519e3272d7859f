"""The digest: every automation's alerts fit SNS, and alerts of one kind can be throttled.

- ``fit`` makes an alert's published message fit SNS's message size limit: list-valued
  fields are cut to their first N values, with the total count, counts per scenario or
  reason when the items carry one, and where to see the rest (``edgeguard decisions``).
  ``edgeguard.notify.alert.publish`` calls it, so no automation can exceed the limit.
- ``AlertGate`` admits one alert per (kind, key) per time window across concurrent Lambda
  invocations (a conditional PutItem on the DetectionStateTable), and counts the alerts
  it held back, so the next one can say how many were grouped into it.
- ``announce`` is fit + gate + publish; a failed publish re-opens the gate, so a retry
  announces what the failed attempt did not. With a ``Contribution`` an alert the gate
  holds back is kept (a *held* item) instead of only counted, and ``flush_due`` publishes
  one *digest* per (kind, key) once its window ended: counts per scenario or finding
  type, the top offenders, and the command that lists the rest. Storm control: nothing
  is dropped silently, and a storm costs one alert plus one digest per window.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from edgeguard.clock import utcnow
from edgeguard.config import require
from edgeguard.errors import EdgeguardError
from edgeguard.notify.alert import Alert, message_body, publish
from edgeguard.notify.console import Console
from edgeguard.notify.wording import at

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


TOP_OFFENDERS = 10  # a digest names this many offenders; the command lists the rest
# The alert kinds that may be held back for a digest (flushed by AlertDigestFunction).
STORM_KINDS = ("log-ban", "guardduty-block", "securityhub-block")


@dataclass(frozen=True)
class DigestSettings:
    """The digest flusher's configuration, read once at cold start: the table of held
    alerts (DETECTION_STATE_TABLE), the alerts topic (ALERTS_TOPIC_ARN) and the console
    (partition, region and account from the topic's ARN; EDGEGUARD_STACK)."""

    state_table: str
    topic_arn: str
    console: Console = field(default_factory=Console)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DigestSettings:
        """Read DETECTION_STATE_TABLE and ALERTS_TOPIC_ARN (both required).

        Raises:
            ConfigError: a variable is missing; the message names it.
        """
        topic_arn = require("ALERTS_TOPIC_ARN", environ)
        return cls(
            state_table=require("DETECTION_STATE_TABLE", environ),
            topic_arn=topic_arn,
            console=Console.deployed(topic_arn, environ),
        )


@dataclass(frozen=True)
class Contribution:
    """What a held-back alert adds to its window's digest.

    ``counts``: bans (or alerts) per scenario or finding type; ``offenders``: the alert's
    worst offenders as (text, weight) pairs, e.g. ("203.0.113.7/32 (path_probing, 57
    requests)", 57), at most ``TOP_OFFENDERS`` are kept; ``source``: where it came from
    (a log object, a finding id); ``origin``: the decisions' origin, for the command that
    lists the rest (``edgeguard decisions --origin <origin> --since ...``).
    """

    counts: dict[str, int] = field(default_factory=dict)
    offenders: tuple[tuple[str, int], ...] = ()
    source: str = ""
    origin: str = ""

    def to_json(self) -> str:
        """The contribution as stored in a held item (JSON object)."""
        return json.dumps(
            {
                "counts": self.counts,
                "offenders": [list(pair) for pair in self.offenders[:TOP_OFFENDERS]],
                "source": self.source[:512],
                "origin": self.origin,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Contribution:
        """What ``to_json`` wrote. Raises ValueError, TypeError or KeyError otherwise."""
        data = json.loads(text)
        return cls(
            counts={str(k): int(v) for k, v in dict(data["counts"]).items()},
            offenders=tuple((str(t), int(w)) for t, w in data.get("offenders", [])),
            source=str(data.get("source", "")),
            origin=str(data.get("origin", "")),
        )


@dataclass(frozen=True)
class HeldAlert:
    """One held-back alert as stored: its gate (kind, key), the stored sort key, the end
    of its window and when it was held (epoch seconds), and its contribution."""

    kind: str
    key: str
    sort_key: str
    until: int
    contribution: Contribution
    held_at: int = 0


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
    admitted: bool = False  # not first, but within the window's limit (announce it too)


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

    def open(
        self,
        kind: str,
        key: str,
        window: timedelta,
        now: datetime,
        *,
        limit: int = 1,
        count_held: bool = True,
    ) -> GateTicket:
        """Try to open the window of (kind, key) at ``now`` (tz-aware); see ``first_in_window``.

        With ``limit`` > 1 the first ``limit`` callers of a window pass (the later ones have
        ``admitted`` set); the others are held back. A held-back caller increments the
        window's ``suppressed`` count unless ``count_held`` is False (its alert is kept for
        the window's digest instead). The held-back ticket's ``until`` is the window's end.

        Raises:
            ValueError: ``window`` is not positive, ``limit`` < 1 or ``kind`` is empty.
            botocore.exceptions.ClientError: any other DynamoDB error.
        """
        if window <= timedelta(0) or not kind or limit < 1:
            raise ValueError("AlertGate.open needs a kind, a positive window and limit")
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
                    "admitted": {"N": "1"},
                    "token": {"S": token},
                    "expires_at": {"N": str(until + 86_400)},
                },
                ConditionExpression="attribute_not_exists(pk) OR #until <= :now",
                ExpressionAttributeNames={"#until": "until"},
                ExpressionAttributeValues={":now": {"N": str(epoch)}},
                ReturnValues="ALL_OLD",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return self._held_or_admitted(kind, key, epoch, limit=limit, count_held=count_held)
        old = response.get("Attributes") or {}
        held = int(old.get("suppressed", {}).get("N", "0"))
        return GateTicket(kind, key, True, held, token, until)

    def _held_or_admitted(
        self, kind: str, key: str, epoch: int, *, limit: int, count_held: bool
    ) -> GateTicket:
        """The window is open: admit the caller while under ``limit``, else hold it back."""
        keys = self._keys(kind, key)
        if limit > 1:
            try:
                response = self.client.update_item(
                    TableName=self.table_name,
                    Key=keys,
                    UpdateExpression="ADD admitted :one",
                    ConditionExpression="admitted < :limit AND #until > :now",
                    ExpressionAttributeNames={"#until": "until"},
                    ExpressionAttributeValues={
                        ":one": {"N": "1"},
                        ":limit": {"N": str(limit)},
                        ":now": {"N": str(epoch)},
                    },
                    ReturnValues="ALL_NEW",
                )
                until = int(response["Attributes"].get("until", {}).get("N", "0"))
                return GateTicket(kind, key, first=False, until=until, admitted=True)
            except self.client.exceptions.ConditionalCheckFailedException:
                pass
        expression = "ADD suppressed :one" if count_held else "ADD held :one"
        response = self.client.update_item(
            TableName=self.table_name,
            Key=keys,
            UpdateExpression=expression,
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        )
        until = int(response.get("Attributes", {}).get("until", {}).get("N", "0"))
        return GateTicket(kind, key, first=False, until=until)

    def hold(self, ticket: GateTicket, contribution: Contribution, now: datetime) -> None:
        """Keep what a held-back alert says for its window's digest: an item pk
        ``held#<kind>``, sk ``<key>|<window end>|<uuid>`` holding the contribution (JSON)
        and the window's end; TTL two days after it. ClientError propagates."""
        sort_key = self._keys(ticket.kind, ticket.key)["sk"]["S"]
        until = ticket.until or math.floor(now.timestamp())
        self.client.put_item(
            TableName=self.table_name,
            Item={
                "pk": {"S": f"held#{ticket.kind}"},
                "sk": {"S": f"{sort_key}|{until:012d}|{uuid.uuid4().hex}"},
                "gate_key": {"S": ticket.key},
                "until": {"N": str(until)},
                "held_at": {"N": str(math.floor(now.timestamp()))},
                "contribution": {"S": contribution.to_json()},
                "expires_at": {"N": str(until + 2 * 86_400)},
            },
        )

    def held(self, kind: str) -> list[HeldAlert]:
        """Every held-back alert of ``kind`` (a strongly consistent Query, all pages)."""
        found: list[HeldAlert] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"held#{kind}"}},
            "ConsistentRead": True,
        }
        while True:
            page = self.client.query(**kwargs)
            for item in page.get("Items", []):
                try:
                    contribution = Contribution.from_json(item["contribution"]["S"])
                except (KeyError, TypeError, ValueError):
                    contribution = Contribution(counts={"unreadable held alert": 1})
                found.append(
                    HeldAlert(
                        kind=kind,
                        key=item.get("gate_key", {}).get("S", ""),
                        sort_key=item["sk"]["S"],
                        until=int(item.get("until", {}).get("N", "0")),
                        contribution=contribution,
                        held_at=int(item.get("held_at", {}).get("N", "0")),
                    )
                )
            if not page.get("LastEvaluatedKey"):
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def claim(self, kind: str, key: str, until: int, now: datetime) -> str | None:
        """Claim the digest of (kind, key) up to window end ``until`` so that concurrent
        flushers publish it once: a token, or None when another flusher holds the claim
        (claims lapse after 5 minutes, so a crashed flusher's digest is published later)."""
        token = uuid.uuid4().hex
        epoch = math.floor(now.timestamp())
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item={
                    "pk": {"S": f"alert#{kind}"},
                    "sk": {"S": f"digest|{self._keys(kind, key)['sk']['S']}"},
                    "token": {"S": token},
                    "until": {"N": str(epoch + 300)},
                    "expires_at": {"N": str(epoch + 86_400)},
                },
                ConditionExpression="attribute_not_exists(pk) OR #until <= :now",
                ExpressionAttributeNames={"#until": "until"},
                ExpressionAttributeValues={":now": {"N": str(epoch)}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return None
        return token

    def settle(self, held: Sequence[HeldAlert], kind: str, key: str) -> None:
        """Forget held alerts a digest announced, and drop the digest claim."""
        keys = [{"pk": {"S": f"held#{h.kind}"}, "sk": {"S": h.sort_key}} for h in held]
        keys.append(
            {
                "pk": {"S": f"alert#{kind}"},
                "sk": {"S": f"digest|{self._keys(kind, key)['sk']['S']}"},
            }
        )
        for start in range(0, len(keys), 25):
            requests: Any = [{"DeleteRequest": {"Key": k}} for k in keys[start : start + 25]]
            for _ in range(5):
                response = self.client.batch_write_item(RequestItems={self.table_name: requests})
                requests = response.get("UnprocessedItems", {}).get(self.table_name, [])
                if not requests:
                    break
            if requests:
                raise RuntimeError(f"DynamoDB left {len(requests)} held alerts undeleted")

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
    contribution: Contribution | None = None,
    limit: int = 1,
) -> str | None:
    """Fit, gate (when ``gate`` is given) and publish ``alert``; the SNS MessageId, or None
    when the gate held it back (``limit`` alerts of ``alert.kind`` and ``key`` were
    announced within ``window`` already).

    Without ``contribution`` a held-back alert is counted and the next announced one
    carries ``held_back`` (their count). With it, the held-back alert's contribution is
    kept (``AlertGate.hold``) and ``flush_due`` announces it in the window's digest. If
    publishing fails the gate is released and the error propagates, so the caller's retry
    announces it.

    Raises:
        botocore.exceptions.ClientError: SNS or DynamoDB refused.
        DoesNotFit: see ``fit``.
    """
    ticket = None
    if gate is not None:
        moment = now or utcnow()
        ticket = gate.open(
            alert.kind, key, window, moment, limit=limit, count_held=contribution is None
        )
        if not ticket.first and not ticket.admitted:
            if contribution is not None:
                gate.hold(ticket, contribution, moment)
            return None
        if ticket.suppressed:
            alert = replace(alert, fields={**alert.fields, "held_back": ticket.suppressed})
    try:
        return publish(sns, topic_arn, alert)
    except BaseException:
        if gate is not None and ticket is not None:
            gate.release(ticket)
        raise


def digest_alert(
    kind: str,
    key: str,
    held: Sequence[HeldAlert],
    now: datetime,
    console: Console | None = None,
) -> Alert:
    """The one alert that summarises the held-back alerts of (kind, key): how many, counts
    per scenario or type (largest first, at most ``MAX_GROUPS`` and "other"), the
    ``TOP_OFFENDERS`` heaviest offenders, and the command that lists every decision of
    the period (``edgeguard decisions --origin <origin> --since <minutes>``). A digest
    carries no chat actions: it is about many values.
    """
    console = console or Console()
    counts: Counter[str] = Counter()
    offenders: dict[str, int] = {}
    sources: list[str] = []
    origins = sorted({h.contribution.origin for h in held if h.contribution.origin})
    for item in held:
        counts.update(item.contribution.counts)
        for text, weight in item.contribution.offenders:
            offenders[text] = max(weight, offenders.get(text, 0))
        if item.contribution.source and item.contribution.source not in sources:
            sources.append(item.contribution.source)
    total = sum(counts.values())
    epoch = math.floor(now.timestamp())
    last = max((h.until for h in held), default=epoch)
    # the command looks back to the first held alert (a minute of margin)
    first_held = min((h.held_at or h.until for h in held), default=epoch)
    since_minutes = max(1, math.ceil((now.timestamp() - first_held) / 60) + 1)
    grouped = counts.most_common()
    shown = dict(grouped[:MAX_GROUPS])
    if len(grouped) > MAX_GROUPS:
        shown["other"] = sum(n for _, n in grouped[MAX_GROUPS:])
    top = sorted(offenders.items(), key=lambda pair: (-pair[1], pair[0]))[:TOP_OFFENDERS]
    where = f" from {key}" if key else ""
    window_end = datetime.fromtimestamp(last, tz=now.tzinfo)
    command = console.decisions(origins[0] if len(origins) == 1 else "", f"{since_minutes}m")
    breakdown = ", ".join(f"{name} {count}" for name, count in list(shown.items())[:5])
    return Alert(
        kind=f"{kind}-digest",
        title=f"Storm digest: {total} more from {len(held)} held-back {kind} alerts{where}",
        severity="medium",
        happened=(
            f"{len(held)} more {kind} alerts{where} in a storm ({breakdown}), held back "
            f"so that one message tells them all; the window ended {at(window_end, now)}."
        ),
        did="Every one of them was acted on as usual; only the messages were grouped.",
        undo=f"Review or lift them: {command}",
        links=_digest_links(origins, console),
        fields={
            "alerts grouped": len(held),
            "by scenario or type": shown,
            "top offenders": [text for text, _ in top],
            "the rest": f"{max(0, len(offenders) - len(top))} more offenders: `{command}`",
            "sources": sources[:5] + ([f"and {len(sources) - 5} more"] if len(sources) > 5 else []),
        },
    )


def _digest_links(origins: list[str], console: Console) -> tuple[tuple[str, str], ...]:
    if not console.region:
        return ()
    return (("WAF IP sets", console.waf_ip_sets()),)


def flush_due(
    sns: SNSClient,
    topic_arn: str,
    gate: AlertGate,
    kinds: Sequence[str],
    *,
    now: datetime | None = None,
    console: Console | None = None,
) -> int:
    """Publish one digest per (kind, key) of ``kinds`` whose held-back alerts' windows have
    ended, then forget those alerts; returns the digests published.

    Called at the end of every invocation of a function that holds alerts back and by
    the schedule (``AlertDigestFunction``), so a storm that stops is still told. A digest
    is published once however many flushers run (``AlertGate.claim``); if publishing
    fails, the held alerts stay and a later flush announces them (at least once).

    Raises:
        botocore.exceptions.ClientError: SNS or DynamoDB refused (nothing is forgotten).
    """
    moment = now or utcnow()
    epoch = math.floor(moment.timestamp())
    published = 0
    for kind in kinds:
        by_key: dict[str, list[HeldAlert]] = {}
        for item in gate.held(kind):
            if item.until <= epoch:
                by_key.setdefault(item.key, []).append(item)
        for key, items in sorted(by_key.items()):
            if gate.claim(kind, key, max(h.until for h in items), moment) is None:
                continue
            publish(sns, topic_arn, digest_alert(kind, key, items, moment, console))
            gate.settle(items, kind, key)
            published += 1
    return published
