"""CloudFront standard logs (legacy): tab-separated, fields located by ``#Fields:``.

Documented layout: ``#Version: 1.0`` and ``#Fields: date time x-edge-location ...``
header lines, then one request per line, 33 fields, ``-`` for an empty value,
user agent and query URL-encoded. Both stay encoded in the table: scenarios
decode the path and query they inspect, and the scanner signatures are plain
tokens that URL encoding leaves alone; samples shown to people are decoded.
Fields are found by name in the header (older files have fewer fields);
without a header the documented order is assumed.
The scan runs in polars (native, multi-threaded); Python never touches a line.

Source of the format: "Amazon CloudFront Developer Guide: Standard log file fields"
(standard logging, legacy). ``parse`` also dispatches every other CloudFront
delivery (v2 W3C with any fields, delimiter and time, Plain, JSON, Parquet, real-time
records) to ``cloudfront_v2``, recognised from the content.
"""

from __future__ import annotations

import io

import polars as pl

from edgeguard.logs import cloudfront_v2 as v2
from edgeguard.logs.cloudfront_fields import LEGACY_FIELDS, check_fields, split_names
from edgeguard.logs.frame import Parsed
from edgeguard.logs.gzipio import decompress

DOCUMENTED_FIELDS = LEGACY_FIELDS

_NEEDED = {
    "date": "date",
    "time": "time",
    "c-ip": "client",
    "cs-method": "method",
    "cs-uri-stem": "path",
    "sc-status": "status",
    "cs(User-Agent)": "ua",
    "cs-uri-query": "query",
}


def header_fields(data: bytes | bytearray | memoryview) -> list[str] | None:
    """Field names from the ``#Fields:`` line among the leading comment lines.

    Looks at the first 20 lines of the first 64 KiB of (decompressed) text; None when
    there is no such line before the first data line.
    """
    head = bytes(data[:65536])
    for raw in head.split(b"\n")[:20]:
        line = raw.strip().decode("utf-8", "replace")
        if line.startswith("#Fields:"):
            return split_names(line[len("#Fields:") :])
        if line and not line.startswith("#"):
            break
    return None


def looks_like(
    data: bytes | bytearray | memoryview, lists: v2.FieldLists = v2.DEFAULT_LISTS
) -> bool:
    """True for any CloudFront delivery, judged from the first 64 KiB of decompressed text.

    A ``#Version:``/``#Fields:`` header (legacy and v2 W3C), a first JSON record with
    CloudFront field names (v2 JSON), a Parquet file (v2 Parquet), or a headerless
    first record that one of the known field lists fits (legacy, v2 Plain, real-time).
    """
    head = bytes(data[:65536])
    if head.startswith(b"#Version:") or header_fields(head) is not None:
        return True
    if v2.looks_like_parquet(head) or v2.looks_like_json(head):
        return True
    return v2.headerless_layout(head, lists) is not None


def parse(
    data: bytes | bytearray,
    head: bytes | None = None,
    lists: v2.FieldLists = v2.DEFAULT_LISTS,
) -> Parsed:
    """Parse a whole CloudFront log of any delivery (plain, or gzip with ``head`` its
    first inflated bytes); malformed lines are counted and skipped.

    Returns ``Parsed(format, frame, lines, skipped)``, format "cloudfront" (standard
    logging, legacy or v2) or "cloudfront-realtime", with the ``frame.SCHEMA``
    columns: ``ts`` (UTC, epoch seconds), ``client`` from ``c-ip``, ``status`` from
    ``sc-status``, ``query``/``ua`` still URL-encoded, ``-`` as "". A line without a
    parseable time, status, address or path is skipped. Headerless files take their
    fields from ``lists`` (see ``cloudfront_v2.headerless_layout``).

    Raises:
        MissingFields: the header (or configured list) lacks a field detection reads.
        CorruptObject: gzip or Parquet input that cannot be read.
    """
    first = data if head is None else head
    if v2.looks_like_parquet(data):
        return v2.parse_parquet(data)
    if v2.looks_like_json(first):
        return v2.parse_json(decompress(data))
    names: list[str] | tuple[str, ...] | None = header_fields(first)
    if names is not None:
        check_fields(names)
        delimiter = v2.w3c_delimiter(first, len(names))
        fmt = v2.STANDARD
    else:
        layout = v2.headerless_layout(first, lists)
        names, delimiter, fmt = layout or (DOCUMENTED_FIELDS, "\t", v2.STANDARD)
    if delimiter != "\t" or fmt != v2.STANDARD or "date" not in names:
        return v2.parse_delimited(data, names, delimiter, fmt)
    return _parse_legacy(data, list(names))


def _parse_legacy(data: bytes | bytearray, names: list[str]) -> Parsed:
    """The tab-separated date/time path (legacy, and v2 W3C/Plain with tabs): read only
    the needed columns natively, strict UTF-8 first.
    """
    wanted = [(names.index(name), column) for name, column in _NEEDED.items() if name in names]
    schema = {f"f{i}": pl.String for i in range(len(names))}
    raw = None
    # Strict UTF-8 first (CloudFront writes ASCII: it URL-encodes the rest), lossy if not.
    # A gzip that polars cannot read is inflated here instead: zlib names the damage.
    for encoding in ("utf8", "utf8-lossy", "utf8-lossy"):
        try:
            raw = pl.read_csv(
                data if isinstance(data, bytes) else io.BytesIO(data),
                separator="\t",
                has_header=False,
                comment_prefix="#",
                quote_char=None,
                columns=[index for index, _ in wanted],
                schema=schema,
                truncate_ragged_lines=True,
                encoding=encoding,
                missing_columns="insert",
            )
            break
        except (pl.exceptions.PolarsError, OSError):
            data = decompress(data)
            continue
    if raw is None:
        raw = _python_split(data, wanted)
    raw = raw.rename({f"f{index}": column for index, column in wanted})
    return v2.finish(raw, v2.STANDARD)


def _python_split(
    data: bytes | bytearray | memoryview, wanted: list[tuple[int, str]]
) -> pl.DataFrame:
    """Fallback for input the native reader refuses (never expected on real logs)."""
    columns: dict[str, list[str | None]] = {f"f{index}": [] for index, _ in wanted}
    for raw in bytes(data).split(b"\n"):
        if not raw.strip() or raw.startswith(b"#"):
            continue
        parts = raw.decode("utf-8", "replace").rstrip("\r").split("\t")
        for index, _ in wanted:
            columns[f"f{index}"].append(parts[index] if index < len(parts) else None)
    return pl.DataFrame(columns, schema={name: pl.String for name in columns})
