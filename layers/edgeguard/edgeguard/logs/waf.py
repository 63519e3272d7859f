"""AWS WAF logs: newline-delimited JSON, one object per inspected request.

Read: timestamp (epoch milliseconds), action (ALLOW/BLOCK/COUNT/CAPTCHA/CHALLENGE),
httpRequest.clientIp / uri / args / httpMethod / headers[{name, value}], and
responseCodeSent when WAF sent a custom response. A line that is not such an
object is counted and skipped.

Source of the format: "AWS WAF Developer Guide: Log fields" (log fields for web ACL
traffic). Only the S3 delivery's one-object-per-line text is read here.
"""

from __future__ import annotations

import json
import re
from typing import Any

import polars as pl

from edgeguard.logs.frame import SCHEMA, Parsed, conform

_ADDRESS = re.compile(r"[0-9A-Fa-f:.]{2,45}")


def looks_like(data: bytes | bytearray | memoryview) -> bool:
    """True when decompressed text starts with a JSON object holding ``"httpRequest"``.

    Only the first 4 KiB are looked at; a log whose first record is longer is
    recognised by its object key instead (see ``reader.detect``).
    """
    head = bytes(data[:4096]).lstrip()
    return head.startswith(b"{") and b'"httpRequest"' in head


def parse(data: bytes | bytearray | memoryview, head: bytes | None = None) -> Parsed:
    """Parse a whole (decompressed) WAF log; malformed lines are counted and skipped.

    Returns ``Parsed("waf", frame, lines, skipped)``: ``ts`` = timestamp // 1000 (epoch
    seconds), ``status`` = ``responseCodeSent`` or 0, ``blocked`` = action BLOCK, ``ua``
    from the ``User-Agent`` header (any case). ``head`` is ignored. Lines that are not
    JSON, lack ``httpRequest``/``clientIp``/``timestamp`` or have an implausible address
    or time are skipped. Never raises for bad content.
    """
    del head
    rows: dict[str, list[Any]] = {name: [] for name in SCHEMA}
    lines = 0
    for raw in bytes(data).split(b"\n"):
        if not raw.strip():
            continue
        lines += 1
        row = _row(raw)
        if row is not None:
            for name, value in zip(SCHEMA, row, strict=True):
                rows[name].append(value)
    frame = pl.DataFrame(rows, schema=SCHEMA)
    return Parsed("waf", conform(frame), lines, lines - frame.height)


def _row(raw: bytes) -> tuple[Any, ...] | None:
    try:
        record = json.loads(raw)
        request = record["httpRequest"]
        stamp = int(record["timestamp"]) // 1000
        client = str(request["clientIp"]).strip()
        if not (0 <= stamp < 1 << 40) or not _ADDRESS.fullmatch(client):
            return None
        action = str(record.get("action", "")).upper()
        headers = request.get("headers") or []
        ua = next(
            (
                str(h.get("value", ""))
                for h in headers
                if isinstance(h, dict) and str(h.get("name", "")).lower() == "user-agent"
            ),
            "",
        )
        status = record.get("responseCodeSent")
        return (
            stamp,
            client,
            str(request.get("httpMethod") or "-"),
            str(request.get("uri") or ""),
            str(request.get("args") or ""),
            int(status) if isinstance(status, int) and not isinstance(status, bool) else 0,
            ua,
            action == "BLOCK",
        )
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError):
        return None
