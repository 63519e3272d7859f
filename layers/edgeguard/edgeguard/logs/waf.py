"""AWS WAF logs: JSON objects, one per inspected request, however they are delivered.

Read: timestamp (epoch milliseconds), action (ALLOW/BLOCK/COUNT/CAPTCHA/CHALLENGE),
httpSourceName, httpRequest.clientIp / uri / args / httpMethod / headers[{name, value}],
and responseCodeSent when WAF sent a custom response. The deliveries (S3 lines,
Firehose's concatenated records, CloudWatch Logs export files and subscription
messages) are unwrapped by ``jsonrecords``.

Records of a web ACL in front of an Application Load Balancer (``httpSourceName``
``ALB``: edgeguard's REGIONAL origin ACL) are never judged: behind CloudFront their
``clientIp`` is a CloudFront edge server. Their BLOCKed requests (no origin secret)
are counted per viewer (the first ``X-Forwarded-For`` address) for the bypass alert.

A record that is not such an object, or holds an impossible value (a status outside
0-999, a time outside 0..2^40 s, a client that is not an address) is counted and
skipped; text fields are cut at ``MAX_FIELD`` characters and lone surrogates become
U+FFFD, so one poisoned record never fails the file.

Source of the format: "AWS WAF Developer Guide: Log fields for web ACL traffic".
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from edgeguard.logs import jsonrecords
from edgeguard.logs.frame import SCHEMA, Parsed, conform

_ADDRESS = re.compile(r"[0-9A-Fa-f:.]{2,45}")
_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_FIELD = 8192  # CloudFront's and ALB's own limit for a request URL is 8 KB
ORIGIN_SOURCES = frozenset({"ALB"})
#: The record fields the parser reads ("AWS WAF Developer Guide: Log fields for web ACL
#: traffic"); the hunt's Glue table (template.yaml, HuntWafTable) declares each of them.
FIELDS_READ = (
    "timestamp",
    "action",
    "httpSourceName",
    "responseCodeSent",
    "httpRequest.clientIp",
    "httpRequest.uri",
    "httpRequest.args",
    "httpRequest.httpMethod",
    "httpRequest.headers",
)


def looks_like(data: bytes | bytearray | memoryview) -> bool:
    """True when decompressed text holds WAF records in one of the known deliveries.

    A JSON object whose first record names ``"webaclId"`` or ``"httpRequest"`` within
    the first 64 KiB (S3, Firehose; ``webaclId`` comes third in a record and
    ``httpRequest`` after ``ruleGroupList``, which can run to kilobytes: "AWS WAF
    Developer Guide: Log fields for protection pack (web ACL) traffic"), the same after
    an ISO timestamp (CloudWatch Logs export), or a CloudWatch Logs subscription message
    whose records or log group (``aws-waf-logs-...``) are WAF's.
    """
    head = bytes(data[:_SNIFF_BYTES]).lstrip()
    if jsonrecords.is_subscription_message(head):
        return b"httpRequest" in head or b"webaclId" in head or b'"aws-waf-logs-' in head
    if jsonrecords.is_export_line(head):
        return _names_waf_fields(head)
    return head.startswith(b"{") and _names_waf_fields(head)


_SNIFF_BYTES = 65_536


def _names_waf_fields(head: bytes) -> bool:
    return b'"webaclId"' in head or b'"httpRequest"' in head


def parse(data: bytes | bytearray | memoryview, head: bytes | None = None) -> Parsed:
    """Parse a whole (decompressed) WAF log; bad records are counted and skipped.

    Returns ``Parsed("waf", frame, records, skipped, bypass=...)``: ``ts`` = timestamp
    // 1000 (epoch seconds), ``status`` = ``responseCodeSent`` or 0, ``blocked`` =
    action BLOCK, ``ua`` from the ``User-Agent`` header (any case). ``lines`` counts
    records (several may share a line). Origin-ACL records are read into ``bypass``
    (viewer -> BLOCKed requests), not into the frame. ``head`` is ignored. Never raises
    for bad content.
    """
    del head
    rows: dict[str, list[Any]] = {name: [] for name in SCHEMA}
    bypass: dict[str, int] = {}
    lines = origin = 0
    for record in jsonrecords.records(data):
        lines += 1
        if isinstance(record, dict) and record.get("httpSourceName") in ORIGIN_SOURCES:
            viewer = _origin_viewer(record)
            if viewer is not None:
                origin += 1
                if viewer:
                    bypass[viewer] = bypass.get(viewer, 0) + 1
            continue
        row = _row(record)
        if row is not None:
            for name, value in zip(SCHEMA, row, strict=True):
                rows[name].append(value)
    frame = pl.DataFrame(rows, schema=SCHEMA)
    return Parsed("waf", conform(frame), lines, lines - frame.height - origin, bypass=bypass)


def _text(value: Any) -> str:
    text = str(value)[:MAX_FIELD]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates ("\ud800") cannot be stored or sent
        text = _SURROGATE.sub("\ufffd", text)
    return text


def _header(request: dict[str, Any], name: str) -> str:
    for header in request.get("headers") or []:
        if isinstance(header, dict) and str(header.get("name", "")).lower() == name:
            return _text(header.get("value", ""))
    return ""


def _origin_viewer(record: dict[str, Any]) -> str | None:
    """The viewer of a BLOCKed origin-ACL record ("" for an allowed one); None if unreadable."""
    request = record.get("httpRequest")
    if not isinstance(request, dict):
        return None
    if str(record.get("action", "")).upper() != "BLOCK":
        return ""
    forwarded = _header(request, "x-forwarded-for").split(",")[0].strip()
    viewer = forwarded or str(request.get("clientIp", "")).strip()
    return viewer if _ADDRESS.fullmatch(viewer) else None


def _row(record: Any) -> tuple[Any, ...] | None:
    try:
        request = record["httpRequest"]
        stamp = int(record["timestamp"]) // 1000
        client = str(request["clientIp"]).strip()
        if not (0 <= stamp < 1 << 40) or not _ADDRESS.fullmatch(client):
            return None
        status = record.get("responseCodeSent")
        if status is None or isinstance(status, bool):
            status = 0
        elif not isinstance(status, int) or not 0 <= status <= 999:
            return None  # e.g. 2147483648: not an HTTP status, the record is damaged
        return (
            stamp,
            client,
            _text(request.get("httpMethod") or "-"),
            _text(request.get("uri") or ""),
            _text(request.get("args") or ""),
            status,
            _header(request, "user-agent"),
            str(record.get("action", "")).upper() == "BLOCK",
        )
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError):
        return None
