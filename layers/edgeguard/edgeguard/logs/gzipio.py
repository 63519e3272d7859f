"""Gzip or plain log bytes -> text, without importing the columnar engine.

libdeflate (the ``deflate`` package, about 2.5x zlib, releases the GIL) inflates a
single-member gzip; zlib reads multi-member streams and judges damaged ones.
Kept apart from the parsers so ``edgeguard replay`` can decompress a file in a
thread while polars is still being imported.
"""

from __future__ import annotations

import zlib

from edgeguard.errors import EdgeguardError


class CorruptObject(EdgeguardError, ValueError):
    """The object is not readable as a (gzip) log: a whole-record failure, retried then DLQ'd."""


def decompress(data: bytes | bytearray) -> bytes | bytearray:
    """Plain bytes pass through; gzip (one or several members) is inflated.

    Gzip is recognised by its magic bytes 1f 8b (RFC 1952); trailing garbage after a
    complete member is ignored, as gzip(1) does.

    Raises:
        CorruptObject: a truncated or damaged gzip stream.
    """
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


def is_gzip(data: bytes | bytearray) -> bool:
    """True when ``data`` starts with the gzip magic bytes 1f 8b (RFC 1952)."""
    return data[:2] == b"\x1f\x8b"


def peek(data: bytes | bytearray, size: int = 65536) -> bytes:
    """The first ``size`` bytes of the text (or all of it), inflating no more than needed.

    For gzip only the first member is read. Raises CorruptObject when the inflated
    part is damaged.
    """
    if not is_gzip(data):
        return bytes(data[:size])
    inflater = zlib.decompressobj(wbits=31)
    out = b""
    view = memoryview(data)
    try:
        for start in range(0, len(view), 65536):
            out += inflater.decompress(view[start : start + 65536], size - len(out))
            if len(out) >= size or inflater.eof:
                break
    except zlib.error as error:
        raise CorruptObject(f"not a readable gzip object: {error}") from None
    return out[:size]
