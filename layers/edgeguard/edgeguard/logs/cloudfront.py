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
(standard logging, legacy). Logging v2 output formats are not read here.
"""

from __future__ import annotations

import io

import polars as pl

from edgeguard.logs.frame import Parsed, conform, empty
from edgeguard.logs.gzipio import decompress
from edgeguard.logs.textops import parse_epoch

DOCUMENTED_FIELDS = (
    "date",
    "time",
    "x-edge-location",
    "sc-bytes",
    "c-ip",
    "cs-method",
    "cs(Host)",
    "cs-uri-stem",
    "sc-status",
    "cs(Referer)",
    "cs(User-Agent)",
    "cs-uri-query",
    "cs(Cookie)",
    "x-edge-result-type",
    "x-edge-request-id",
    "x-host-header",
    "cs-protocol",
    "cs-bytes",
    "time-taken",
    "x-forwarded-for",
    "ssl-protocol",
    "ssl-cipher",
    "x-edge-response-result-type",
    "cs-protocol-version",
    "fle-status",
    "fle-encrypted-fields",
    "c-port",
    "time-to-first-byte",
    "x-edge-detailed-result-type",
    "sc-content-type",
    "sc-content-len",
    "sc-range-start",
    "sc-range-end",
)

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
_REQUIRED = ("date", "time", "c-ip", "cs-uri-stem", "sc-status")


def header_fields(data: bytes | bytearray | memoryview) -> list[str] | None:
    """Field names from the ``#Fields:`` line among the leading comment lines.

    Looks at the first 20 lines of the first 64 KiB of (decompressed) text; None when
    there is no such line before the first data line.
    """
    head = bytes(data[:65536])
    for raw in head.split(b"\n")[:20]:
        line = raw.strip().decode("utf-8", "replace")
        if line.startswith("#Fields:"):
            return line[len("#Fields:") :].split()
        if line and not line.startswith("#"):
            break
    return None


def looks_like(data: bytes | bytearray | memoryview) -> bool:
    """True for CloudFront standard log text (header or a tab-separated first line).

    Reads the first 4 KiB of decompressed text: a ``#Version:`` / ``#Fields: date time
    x-edge-location`` header, or a first line with 12+ tabs that starts with 4 digits.
    """
    head = bytes(data[:4096])
    if head.startswith(b"#Version:") or b"#Fields: date time x-edge-location" in head:
        return True
    first = head.split(b"\n", 1)[0]
    return first.count(b"\t") >= 12 and first[:4].isdigit()


def parse(data: bytes | bytearray, head: bytes | None = None) -> Parsed:
    """Parse a whole CloudFront log (plain, or gzip with ``head`` its first inflated
    bytes); malformed lines are counted and skipped.

    Returns ``Parsed("cloudfront", frame, lines, skipped)`` with the ``frame.SCHEMA``
    columns: ``ts`` from ``date`` + ``time`` (UTC, epoch seconds), ``client`` from
    ``c-ip``, ``status`` from ``sc-status``, ``query``/``ua`` still URL-encoded, ``-``
    as "". A line without a parseable time, status, address or path is skipped. A
    header that lacks a required field (date, time, c-ip, cs-uri-stem, sc-status)
    makes every line skipped.

    Raises:
        CorruptObject: gzip input that cannot be inflated.
    """
    names = header_fields(data if head is None else head) or DOCUMENTED_FIELDS
    if any(name not in names for name in _REQUIRED):
        text = decompress(data)
        lines = sum(1 for line in bytes(text).split(b"\n") if line.strip() and line[:1] != b"#")
        return Parsed("cloudfront", empty(), lines, lines)
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
    for column in ("method", "ua", "query"):
        if column not in raw.columns:
            raw = raw.with_columns(pl.lit(None, pl.String).alias(column))
    lines = raw.height
    frame = raw.select(
        parse_epoch(pl.col("date"), pl.col("time")).alias("ts"),
        pl.col("client").str.strip_chars(),
        pl.col("method").fill_null("-"),
        pl.col("path"),
        _dash(pl.col("query")).alias("query"),
        pl.col("status").str.strip_chars().cast(pl.Int32, strict=False).alias("status"),
        _dash(pl.col("ua")).alias("ua"),
        pl.lit(False).alias("blocked"),
    ).filter(
        pl.col("ts").is_not_null()
        & pl.col("status").is_not_null()
        & pl.col("client").str.contains(r"^[0-9A-Fa-f:.]{2,45}$").fill_null(False)
        & pl.col("path").is_not_null()
    )
    return Parsed("cloudfront", conform(frame), lines, lines - frame.height)


def _dash(column: pl.Expr) -> pl.Expr:
    return pl.when(column == "-").then(pl.lit("")).otherwise(column.fill_null(""))


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
