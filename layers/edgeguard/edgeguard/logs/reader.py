"""Turn one log object's bytes into a Parsed table: decompress, detect the format, parse.

The format is decided by content; the object key is only a hint when content is
ambiguous.
"""

from __future__ import annotations

import re

from edgeguard.errors import EdgeguardError
from edgeguard.logs import alb, cloudfront, waf
from edgeguard.logs.cloudfront_v2 import DEFAULT_LISTS, FieldLists
from edgeguard.logs.frame import Parsed, empty
from edgeguard.logs.gzipio import CorruptObject, decompress, is_gzip, peek

__all__ = [
    "FORMATS",
    "CorruptObject",
    "UnknownFormat",
    "UnreadableLog",
    "decompress",
    "detect",
    "parse_text",
    "read_log",
]

FORMATS = ("cloudfront", "alb", "waf")
_PARSERS = {"cloudfront": cloudfront.parse, "alb": alb.parse, "waf": waf.parse}
_KEY_HINTS = (
    ("waf", re.compile(r"(^|/)AWSLogs/\d{12}/WAFLogs/|aws-waf-logs")),
    ("alb", re.compile(r"(^|/)AWSLogs/\d{12}/elasticloadbalancing/")),
    ("cloudfront", re.compile(r"(^|/)[A-Z0-9]{8,20}\.\d{4}-\d{2}-\d{2}-\d{2}\.[^/]+\.gz$")),
)


class UnknownFormat(EdgeguardError, ValueError):
    """Neither the content nor the key says which log format this is."""


class UnreadableLog(EdgeguardError, ValueError):
    """A log object with lines of which none could be read: an error, never "0 parsed".

    ``reason`` names the problem without counts or keys (alerts group by it); ``key``
    is the object's key.
    """

    def __init__(self, key: str, parsed: Parsed) -> None:
        self.key = key
        self.reason = f"no line readable as a {parsed.format} log"
        super().__init__(f"{parsed.lines} line(s), {self.reason}")


def readable(parsed: Parsed, key: str = "") -> Parsed:
    """``parsed`` itself, unless it has lines and none was read (no silent zero).

    An object recognised and ignored with a reason (``Parsed.ignored``, e.g. an ALB
    connection log) is not an error; blank input (0 lines) is not either.

    Raises:
        UnreadableLog: lines were there, nothing became a request.
    """
    if parsed.lines and not parsed.parsed and not parsed.ignored:
        raise UnreadableLog(key, parsed)
    return parsed


def detect(
    data: bytes | bytearray | memoryview, key: str = "", fields: FieldLists = DEFAULT_LISTS
) -> str:
    """The log format of decompressed text, from its content first, then the key.

    Returns "waf", "cloudfront" (every CloudFront delivery: legacy, v2 in any output
    format, real-time records; ``fields`` lists headerless ones) or "alb". Content
    checks run in that order; the key
    is matched against the AWS delivery paths (``AWSLogs/<account>/WAFLogs/``,
    ``aws-waf-logs``, ``AWSLogs/<account>/elasticloadbalancing/``, CloudFront's
    ``<distribution>.YYYY-MM-DD-HH.<id>.gz``) only when the content says nothing.

    Raises:
        UnknownFormat: neither content nor key identifies the format.
    """
    if waf.looks_like(data):
        return "waf"
    if cloudfront.looks_like(data, fields):
        return "cloudfront"
    if alb.looks_like(data):
        return "alb"
    for name, pattern in _KEY_HINTS:
        if pattern.search(key):
            return name
    raise UnknownFormat(f"cannot tell the log format of {key or 'this input'}")


def read_log(
    data: bytes | bytearray, key: str = "", fmt: str = "auto", fields: FieldLists = DEFAULT_LISTS
) -> Parsed:
    """Parse one object, gzip or plain (``_read``), and refuse a silent zero (``readable``).

    ``fields``: the field lists of headerless CloudFront deliveries (v2 plain, real-time).

    Raises:
        CorruptObject, UnknownFormat: as ``_read``.
        UnreadableLog: the object has lines and none of them was readable.
    """
    return readable(_read(data, key, fmt, fields), key)


def _read(
    data: bytes | bytearray, key: str = "", fmt: str = "auto", fields: FieldLists = DEFAULT_LISTS
) -> Parsed:
    """Parse one object, gzip or plain; ``fmt`` forces a format instead of detection.

    CloudFront and ALB objects go to polars still compressed: it inflates while it
    parses (and reads multi-member gzip); the format and the ``#Fields`` header are
    read from the first 64 KB only. Damage found on the way raises CorruptObject.

    ``fields``: the field lists of headerless CloudFront deliveries (v2 Plain, real-time).

    Raises:
        CorruptObject: gzip that cannot be inflated (MissingFields: a CloudFront field
            selection without a field detection reads).
        UnknownFormat: the format cannot be told, or ``fmt`` is not one of ``FORMATS``.
    """
    if not is_gzip(data):
        return parse_text(data, key, fmt, fields)
    head = peek(data)
    if not head.strip():
        return parse_text(decompress(data), key, fmt, fields)
    name = detect(head, key, fields) if fmt == "auto" else fmt
    if name == "cloudfront":
        return cloudfront.parse(data, head=head, lists=fields)
    if name == "alb":
        return _PARSERS[name](data, head=head)
    return parse_text(decompress(data), key, name, fields)


def parse_text(
    text: bytes | bytearray, key: str = "", fmt: str = "auto", fields: FieldLists = DEFAULT_LISTS
) -> Parsed:
    """Parse decompressed log text (format detected unless ``fmt`` says).

    Blank text gives an empty Parsed (format ``fmt``, or "empty") with 0 lines.

    Raises:
        UnknownFormat: the format cannot be told, or ``fmt`` is not one of ``FORMATS``.
    """
    if not text.strip():
        return Parsed(fmt if fmt != "auto" else "empty", empty(), 0, 0)
    name = detect(text, key, fields) if fmt == "auto" else fmt
    if name not in _PARSERS:
        raise UnknownFormat(f"unknown format {name!r}; use one of {', '.join(FORMATS)}")
    if name == "cloudfront":
        return cloudfront.parse(text, head=None, lists=fields)
    return _PARSERS[name](text, head=None)
