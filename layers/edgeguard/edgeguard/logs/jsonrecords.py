"""JSON log records however AWS hands them over, one decoded object (or None) per record.

Four deliveries of the same WAF records are read:

- S3 (WAF's own delivery): one JSON object per line ("AWS WAF Developer Guide: Sending
  web ACL traffic logs to an Amazon S3 bucket").
- Amazon Data Firehose: records may be concatenated on one line with no separator
  ("AWS WAF Developer Guide: Sending web ACL traffic logs to an Amazon Data Firehose
  delivery stream"; Firehose does not add delimiters between records).
- CloudWatch Logs export task to S3: ``<ISO 8601 timestamp> <message>`` per line
  ("Amazon CloudWatch Logs User Guide: Exporting log data to Amazon S3").
- CloudWatch Logs subscription: one JSON message ``{"messageType": "DATA_MESSAGE",
  "owner", "logGroup", "logStream", "subscriptionFilters", "logEvents": [{"id",
  "timestamp", "message"}]}`` (gzip-compressed; base64 inside ``awslogs.data`` when
  handed to Lambda). A ``CONTROL_MESSAGE`` only checks that the destination is
  reachable and holds no records ("Amazon CloudWatch Logs User Guide: Log group-level
  subscription filters", examples of the data format).

A record that is not valid JSON (invalid UTF-8 is replaced before decoding, so only
that record suffers) yields None: the caller counts it and goes on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

_DECODER = json.JSONDecoder()
_EXPORT_PREFIX = re.compile(
    rb"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})? "
)


def is_subscription_message(head: bytes) -> bool:
    """True when ``head`` (decompressed) starts a CloudWatch Logs subscription message."""
    start = head.lstrip()[:512]
    return start.startswith(b"{") and b'"messageType"' in start and b'"logGroup"' in start


def is_export_line(head: bytes) -> bool:
    """True when ``head`` starts with ``<ISO timestamp> {`` (a CloudWatch Logs export line)."""
    match = _EXPORT_PREFIX.match(head.lstrip())
    return match is not None and head.lstrip()[match.end() : match.end() + 1] == b"{"


def records(data: bytes | bytearray | memoryview) -> Iterator[Any]:
    """Each record of ``data`` as its decoded JSON value, or None when it cannot be decoded.

    A subscription message yields its ``logEvents`` messages (decoded); a control
    message yields nothing. Otherwise each non-blank line is read as one or more
    concatenated JSON texts, after an optional CloudWatch Logs export timestamp.
    """
    raw = bytes(data)
    if is_subscription_message(raw[:4096]):
        yield from _subscription(raw)
        return
    for line in raw.split(b"\n"):
        if not line.strip():
            continue
        prefix = _EXPORT_PREFIX.match(line)
        record = line[prefix.end() :] if prefix else line
        yield from _concatenated(record.decode("utf-8", "replace"))


def _subscription(raw: bytes) -> Iterator[Any]:
    try:
        message = json.loads(raw.decode("utf-8", "replace"))
    except ValueError:
        yield None
        return
    if not isinstance(message, dict) or message.get("messageType") != "DATA_MESSAGE":
        return
    events = message.get("logEvents")
    if not isinstance(events, list):
        yield None
        return
    for event in events:
        text = event.get("message") if isinstance(event, dict) else None
        if not isinstance(text, str):
            yield None
            continue
        yield from _concatenated(text)


def _concatenated(text: str) -> Iterator[Any]:
    """One or more JSON texts back to back (whitespace between them allowed).

    After a text that cannot be decoded, decoding resumes at the next ``{`` that starts
    a whole record (``_resume``): the damaged stretch yields a single None and costs no
    good record after it.
    """
    end = len(text)
    index = _skip_space(text, 0)
    while index < end:
        try:
            value, index = _DECODER.raw_decode(text, index)
        except (ValueError, RecursionError):
            yield None
            index = _resume(text, index + 1)
            continue
        yield value
        index = _skip_space(text, index)


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _resume(text: str, start: int) -> int:
    """The first ``{`` at or after ``start`` that starts a whole record (else the end).

    A whole record is a JSON object followed by the end of the text or by the next
    record's ``{``; an object nested inside the damaged record is followed by ``,``
    or ``}`` and is passed over.
    """
    index = text.find("{", start)
    while index >= 0:
        try:
            _, after = _DECODER.raw_decode(text, index)
        except (ValueError, RecursionError):
            index = text.find("{", index + 1)
            continue
        after = _skip_space(text, after)
        if after == len(text) or text[after] == "{":
            return index
        index = text.find("{", index + 1)
    return len(text)
