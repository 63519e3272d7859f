"""Turn one log object's bytes into a Parsed table: decompress, detect the format, parse.

The format is decided by content; the object key is only a hint when content is
ambiguous.
"""

from __future__ import annotations

import re

from edgeguard.logs import alb, cloudfront, waf
from edgeguard.logs.frame import Parsed, empty
from edgeguard.logs.gzipio import CorruptObject, decompress

__all__ = [
    "FORMATS",
    "CorruptObject",
    "UnknownFormat",
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


class UnknownFormat(ValueError):
    """Neither the content nor the key says which log format this is."""


def detect(data: bytes | bytearray | memoryview, key: str = "") -> str:
    """The log format of decompressed text, from its content first, then the key."""
    if waf.looks_like(data):
        return "waf"
    if cloudfront.looks_like(data):
        return "cloudfront"
    if alb.looks_like(data):
        return "alb"
    for name, pattern in _KEY_HINTS:
        if pattern.search(key):
            return name
    raise UnknownFormat(f"cannot tell the log format of {key or 'this input'}")


def read_log(data: bytes | bytearray, key: str = "", fmt: str = "auto") -> Parsed:
    """Decompress and parse one object; ``fmt`` forces a format instead of detection."""
    return parse_text(decompress(data), key, fmt)


def parse_text(text: bytes | bytearray, key: str = "", fmt: str = "auto") -> Parsed:
    """Parse decompressed log text (format detected unless ``fmt`` says)."""
    if not text.strip():
        return Parsed(fmt if fmt != "auto" else "empty", empty(), 0, 0)
    name = detect(text, key) if fmt == "auto" else fmt
    if name not in _PARSERS:
        raise UnknownFormat(f"unknown format {name!r}; use one of {', '.join(FORMATS)}")
    return _PARSERS[name](text)
