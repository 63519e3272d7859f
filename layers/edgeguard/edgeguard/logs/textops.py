"""Native (polars) column operations the parsers and scenarios share: timestamps, URL decoding.

URL decoding runs as one Aho-Corasick pass over the column (``%XX`` for every
ASCII character, either hex case); control characters decode to a space, bytes
above 0x7F are left encoded (they never form an attack keyword). Decoding twice
undoes double encoding (``%252e`` -> ``%2e`` -> ``.``).
"""

from __future__ import annotations

import polars as pl

_PATTERNS: list[str] = []
_REPLACEMENTS: list[str] = []
for _code in range(0x80):
    _PATTERNS.append(f"%{_code:02X}")
    _REPLACEMENTS.append(chr(_code) if 0x20 <= _code < 0x7F else " ")


def url_decode(column: pl.Expr, plus_is_space: bool = True, passes: int = 1) -> pl.Expr:
    """Percent-decode a string column (``+`` as space for query strings)."""
    result = column
    if plus_is_space:
        result = result.str.replace_all("+", " ", literal=True)
    for _ in range(passes):
        result = result.str.replace_many(_PATTERNS, _REPLACEMENTS, ascii_case_insensitive=True)
    return result


def parse_epoch(date: pl.Expr, time: pl.Expr) -> pl.Expr:
    """``YYYY-MM-DD`` + ``HH:MM:SS`` (UTC) -> epoch seconds; null when malformed."""
    return (
        pl.concat_str([date.str.strip_chars(), time.str.strip_chars()], separator=" ")
        .str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="ms", time_zone="UTC")
        .dt.epoch("s")
    )


def parse_iso_epoch(stamp: pl.Expr) -> pl.Expr:
    """ISO 8601 with microseconds and Z (ALB) -> epoch seconds; null when malformed."""
    return (
        stamp.str.slice(0, 19)
        .str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False, time_unit="ms", time_zone="UTC")
        .dt.epoch("s")
    )
