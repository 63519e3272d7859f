"""CloudFront standard logging (v2) in every S3 output format, and real-time log records.

Output formats ("Configure standard logging (v2)"): W3C (``#Fields:`` header, the
delivery's chosen fields in its order, tab, space, comma or pipe between fields),
Plain (the same without a header: the field list comes from configuration), JSON
(one object per line, keyed by field name) and Parquet (columns named as the field
names, or as Athena's CloudFront Parquet table names them: ``c_ip``,
``cs_user_agent``). Real-time log records as Kinesis Data Firehose writes them to S3
("Real-time access logs"): tab-separated, no header, fields in the order of the
real-time log configuration, ``timestamp`` in epoch seconds with milliseconds.

Every reader turns its input into one table of text columns named by role (client,
method, path, query, status, ua and a time), and ``finish`` builds the
``frame.SCHEMA`` table from it exactly as the legacy reader does, so decisions do not
depend on the output format. The time is ``date`` + ``time``, ``timestamp`` (epoch
seconds) or ``timestamp(ms)`` (epoch milliseconds), whichever the selection holds.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass

import polars as pl

from edgeguard.logs.cloudfront_fields import (
    DELIMITERS,
    LEGACY_FIELDS,
    READ_KEYS,
    REALTIME_DEFAULT_FIELDS,
    TIME_KEYS,
    V2_DEFAULT_FIELDS,
    check_fields,
    field_key,
    split_names,
)
from edgeguard.logs.frame import Parsed, conform, empty
from edgeguard.logs.gzipio import CorruptObject, decompress
from edgeguard.logs.textops import parse_epoch

STANDARD = "cloudfront"
REALTIME = "cloudfront-realtime"

_EPOCH = re.compile(rb"^\d{9,11}(\.\d{1,6})?$")
_EPOCH_MS = re.compile(rb"^\d{12,14}$")
_DATE = re.compile(rb"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class FieldLists:
    """The field lists of headerless deliveries (v2 Plain, real-time records).

    ``standard``: the v2 delivery's fields (template parameter CloudFrontLogFields,
    ``replay --fields``), default AWS's full default selection in canonical order.
    ``realtime``: the real-time log configuration's fields, default the template's.
    """

    standard: tuple[str, ...] = V2_DEFAULT_FIELDS
    realtime: tuple[str, ...] = REALTIME_DEFAULT_FIELDS

    @classmethod
    def parse(cls, standard: str = "", realtime: str = "") -> FieldLists:
        """Lists from text (names separated by spaces, commas, tabs or pipes); blank
        text keeps the default. Raises MissingFields when a list lacks a field
        detection reads (the message names it).
        """
        lists = cls(
            tuple(split_names(standard)) or V2_DEFAULT_FIELDS,
            tuple(split_names(realtime)) or REALTIME_DEFAULT_FIELDS,
        )
        check_fields(lists.standard)
        check_fields(lists.realtime)
        return lists


DEFAULT_LISTS = FieldLists()


def looks_like_json(head: bytes | bytearray | memoryview) -> bool:
    """True when the first line is a JSON object carrying CloudFront field names."""
    first = bytes(head[:65536]).lstrip().split(b"\n", 1)[0]
    return first[:1] == b"{" and (b'"c-ip"' in first or b'"cs-uri-stem"' in first)


def looks_like_parquet(head: bytes | bytearray | memoryview) -> bool:
    """True for a Parquet file (magic ``PAR1``, Apache Parquet file format)."""
    return bytes(head[:4]) == b"PAR1"


def headerless_layout(
    head: bytes | bytearray | memoryview, lists: FieldLists = DEFAULT_LISTS
) -> tuple[tuple[str, ...], str, str] | None:
    """(fields, delimiter, format) of a headerless CloudFront file, from its first record.

    Tries the configured v2 list, the real-time list, AWS's v2 default and the legacy
    33 fields: the first whose field count matches the record under one of the
    allowed delimiters, and whose time field looks like a time, wins. None when no
    list fits (not a headerless CloudFront record).
    """
    first = bytes(head[:65536]).split(b"\n", 1)[0].rstrip(b"\r")
    if not first or first[:1] in (b"#", b"{"):
        return None
    candidates = (
        (lists.standard, STANDARD),
        (lists.realtime, REALTIME),
        (V2_DEFAULT_FIELDS, STANDARD),
        (LEGACY_FIELDS, STANDARD),
    )
    for names, fmt in candidates:
        keys = [field_key(n) for n in names]
        for delimiter in DELIMITERS:
            values = first.split(delimiter.encode())
            if len(values) == len(names) and _time_fits(keys, values):
                return names, delimiter, fmt
    return None


def _time_fits(keys: list[str], values: list[bytes]) -> bool:
    if "date" in keys:
        return bool(_DATE.match(values[keys.index("date")]))
    if "timestampms" in keys:
        return bool(_EPOCH_MS.match(values[keys.index("timestampms")]))
    if "timestamp" in keys:
        return bool(_EPOCH.match(values[keys.index("timestamp")]))
    return False


def w3c_delimiter(data: bytes | bytearray | memoryview, count: int) -> str:
    """The delimiter of a W3C file's records: the allowed one that splits the first
    record into ``count`` fields (tab when none does: lines are then skipped, counted).
    """
    for raw in bytes(data[:65536]).split(b"\n"):
        if raw.strip() and not raw.startswith(b"#"):
            line = raw.rstrip(b"\r")
            for delimiter in DELIMITERS:
                if line.count(delimiter.encode()) == count - 1:
                    return delimiter
            break
    return "\t"


def parse_delimited(
    data: bytes | bytearray,
    names: tuple[str, ...] | list[str],
    delimiter: str,
    fmt: str = STANDARD,
) -> Parsed:
    """Delimited records (W3C with its header, Plain, real-time) -> Parsed.

    ``data`` is plain or gzip bytes (polars inflates while it reads); ``#`` lines are
    skipped. Invalid UTF-8 is replaced, never fatal. Lines that lack a parseable time,
    status, address or path are counted in ``skipped``.

    Raises:
        MissingFields: ``names`` lacks a field detection reads.
        CorruptObject: gzip that cannot be inflated.
    """
    positions = check_fields(names)
    roles = _roles(positions)
    schema = {f"f{i}": pl.String for i in range(len(names))}
    try:
        raw = pl.read_csv(
            data if isinstance(data, bytes) else io.BytesIO(data),
            separator=delimiter,
            has_header=False,
            comment_prefix="#",
            quote_char=None,
            columns=sorted(roles.values()),
            schema=schema,
            truncate_ragged_lines=True,
            encoding="utf8-lossy",
            missing_columns="insert",
        )
    except (pl.exceptions.PolarsError, OSError) as error:
        decompress(data)  # damaged gzip: zlib names the damage (CorruptObject)
        raise CorruptObject(f"cannot read the CloudFront log: {error}") from error
    raw = raw.rename({f"f{index}": role for role, index in roles.items()})
    return finish(raw, fmt)


def parse_json(text: bytes | bytearray) -> Parsed:
    """v2 JSON output (one object per line) -> Parsed; a line that is not a JSON
    object is skipped and counted. Values may be strings or numbers.

    The whole file is read natively (polars) with the needed fields, named as the first
    record names them, as text; a file polars refuses (a damaged line) is read line by
    line instead, so one bad record never costs the others.

    Raises:
        MissingFields: the records lack a field detection reads.
    """
    first = bytes(text[:65536]).lstrip().split(b"\n", 1)[0]
    try:
        names = list(json.loads(first))
        roles = _roles(check_fields(names))
        raw = pl.read_ndjson(
            io.BytesIO(text), schema={names[i]: pl.String for i in sorted(set(roles.values()))}
        )
    except (ValueError, TypeError, pl.exceptions.PolarsError):
        return _parse_json_lines(text)
    raw = raw.select(pl.col(names[index]).alias(role) for role, index in roles.items())
    return finish(raw, STANDARD)


def _parse_json_lines(text: bytes | bytearray) -> Parsed:
    lines = [line for line in bytes(text).split(b"\n") if line.strip()]
    rows: list[dict[str, str]] = []
    keys: dict[str, str] = {}
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        row = {}
        for name, value in record.items():
            key = keys.get(name)
            if key is None:
                key = keys[name] = field_key(name)
            row[key] = value if isinstance(value, str) else json.dumps(value)
        rows.append(row)
    if not rows:
        return Parsed(STANDARD, empty(), len(lines), len(lines))
    names = sorted({key for row in rows for key in row})
    roles = _roles(check_fields(names))
    raw = pl.DataFrame(
        {role: [row.get(names[index]) for row in rows] for role, index in roles.items()},
        schema={role: pl.String for role in roles},
    )
    parsed = finish(raw, STANDARD)
    return Parsed(STANDARD, parsed.frame, len(lines), len(lines) - parsed.frame.height)


def parse_parquet(data: bytes | bytearray) -> Parsed:
    """v2 Parquet output -> Parsed; columns found by any spelling of the field name.

    Raises:
        MissingFields: the columns lack a field detection reads.
        CorruptObject: not a readable Parquet file.
    """
    try:
        columns = pl.read_parquet_schema(io.BytesIO(data))
        positions = check_fields(list(columns))
        names = list(columns)
        roles = _roles(positions)
        raw = pl.read_parquet(io.BytesIO(data), columns=[names[i] for i in roles.values()])
    except (pl.exceptions.PolarsError, OSError) as error:
        raise CorruptObject(f"cannot read the CloudFront Parquet log: {error}") from error
    raw = raw.select(
        pl.col(names[index]).cast(pl.String).alias(role) for role, index in roles.items()
    )
    return finish(raw, STANDARD)


def _roles(positions: dict[str, int]) -> dict[str, int]:
    """Role (client, method, ..., and the time fields' keys) -> column position."""
    roles = {role: positions[key] for role, key in READ_KEYS.items()}
    for keys in TIME_KEYS:
        if all(key in positions for key in keys):
            roles.update({key: positions[key] for key in keys})
            break
    return roles


def timestamp(raw: pl.DataFrame) -> pl.Expr:
    """Epoch seconds of each row from whichever time fields ``raw`` has
    (``date``+``time``, ``timestampms`` or ``timestamp``); null when malformed.
    """
    if "date" in raw.columns:
        return parse_epoch(pl.col("date"), pl.col("time"))
    if "timestampms" in raw.columns:
        millis = pl.col("timestampms").str.strip_chars().cast(pl.Int64, strict=False)
        return millis.floordiv(1000)
    seconds = pl.col("timestamp").str.strip_chars().cast(pl.Float64, strict=False)
    return seconds.floor().cast(pl.Int64, strict=False)


def finish(raw: pl.DataFrame, fmt: str) -> Parsed:
    """Text columns by role -> Parsed with the ``frame.SCHEMA`` table.

    ``-`` is "" for query and user agent (both stay URL-encoded); a row without a
    parseable time, status, address or path is dropped and counted as skipped.
    """
    for column in ("method", "ua", "query"):
        if column not in raw.columns:
            raw = raw.with_columns(pl.lit(None, pl.String).alias(column))
    frame = raw.select(
        timestamp(raw).alias("ts"),
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
    return Parsed(fmt, conform(frame), raw.height, raw.height - frame.height)


def _dash(column: pl.Expr) -> pl.Expr:
    return pl.when(column == "-").then(pl.lit("")).otherwise(column.fill_null(""))
