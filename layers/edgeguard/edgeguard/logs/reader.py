"""Turn one log object's bytes into a Parsed table: decompress, detect the format, parse.

Decompression uses libdeflate (the ``deflate`` package, about 2.5x zlib) for a
single-member gzip and falls back to zlib for multi-member streams. The format
is decided by content; the object key is only a hint when content is ambiguous.
"""

from __future__ import annotations

import re
import zlib

from edgeguard.logs import alb, cloudfront, waf
from edgeguard.logs.frame import Parsed, empty

FORMATS = ("cloudfront", "alb", "waf")
_PARSERS = {"cloudfront": cloudfront.parse, "alb": alb.parse, "waf": waf.parse}
_KEY_HINTS = (
    ("waf", re.compile(r"(^|/)AWSLogs/\d{12}/WAFLogs/|aws-waf-logs")),
    ("alb", re.compile(r"(^|/)AWSLogs/\d{12}/elasticloadbalancing/")),
    ("cloudfront", re.compile(r"(^|/)[A-Z0-9]{8,20}\.\d{4}-\d{2}-\d{2}-\d{2}\.[^/]+\.gz$")),
)


class CorruptObject(ValueError):
    """The object is not readable as a (gzip) log: a whole-record failure, retried then DLQ'd."""


class UnknownFormat(ValueError):
    """Neither the content nor the key says which log format this is."""


def decompress(data: bytes | bytearray) -> bytes | bytearray:
    """Plain bytes pass through; gzip (one or several members) is inflated."""
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        import deflate  # noqa: PLC0415 - optional native speed-up, zlib otherwise

        out = deflate.gzip_decompress(bytes(data) if isinstance(data, bytearray) else data)
        # libdeflate inflates the first member only: if the trailer's size does not
        # match, there are more members (or damage) and zlib reads them all. An empty
        # result goes to zlib too, which is stricter about damaged block headers.
        if out and int.from_bytes(data[-4:], "little") == len(out) & 0xFFFFFFFF:
            return out
    except ImportError:
        pass
    except Exception:  # noqa: S110 - libdeflate refuses multi-member; zlib below decides
        pass
    return _zlib_members(data)


def _zlib_members(data: bytes | bytearray) -> bytes:
    out: list[bytes] = []
    view = memoryview(data)
    try:
        while view.nbytes:
            inflater = zlib.decompressobj(wbits=31)
            out.append(inflater.decompress(view))
            if not inflater.eof:
                raise CorruptObject("truncated gzip stream")
            view = memoryview(inflater.unused_data)
            if view.nbytes and bytes(view[:2]) != b"\x1f\x8b":
                break  # trailing garbage after a complete member: ignore like gzip does
    except zlib.error as error:
        raise CorruptObject(f"not a readable gzip object: {error}") from None
    return b"".join(out)


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
    text = decompress(data)
    if not text.strip():
        return Parsed(fmt if fmt != "auto" else "empty", empty(), 0, 0)
    name = detect(text, key) if fmt == "auto" else fmt
    if name not in _PARSERS:
        raise UnknownFormat(f"unknown format {name!r}; use one of {', '.join(FORMATS)}")
    return _PARSERS[name](text)
