"""Application Load Balancer access logs: space-separated, some fields in double quotes.

Documented order: type time elb client:port target:port request_processing_time
target_processing_time response_processing_time elb_status_code target_status_code
received_bytes sent_bytes "request" "user_agent" ssl_cipher ssl_protocol
target_group_arn "trace_id" "domain_name" "chosen_cert_arn" matched_rule_priority
request_creation_time "actions_executed" "redirect_url" "error_reason"
"target:port_list" "target_status_code_list" "classification"
"classification_reason" conn_trace_id ... — newer releases append fields, so
anything after the ones read here is ignored.

ALB writes a double quote, a backslash and control or non-ASCII bytes inside the
request line and user agent as ``\\xHH`` escapes (``"`` is ``\\x22``). In the request
they become ``%HH``, the URL encoding detection already decodes, so a query written
with ``\\x22`` reads exactly like the same query written with ``%22``; in the user
agent they become the characters (ASCII) they stand for.

The same bucket prefix can hold the load balancer's connection logs and health
check logs. They are recognised by their first line (``kind``) and not read: the
reader reports them as ignored, with the reason, instead of as unreadable lines.

Source of the formats: "Elastic Load Balancing, User Guide for Application Load
Balancers: Access log entries", "... Connection log entries", "... Health check
log entries".
"""

from __future__ import annotations

import io
import re

import polars as pl

from edgeguard.logs.frame import Parsed, conform, empty
from edgeguard.logs.gzipio import decompress
from edgeguard.logs.textops import parse_iso_epoch

#: Access log entry fields in documented order ("Access log entries", the request split
#: into its verb, URL and protocol as the Athena User Guide's ALB table does); the hunt's
#: Glue table (template.yaml, HuntAlbTable) has these columns.
DOCUMENTED_FIELDS = (
    "type",
    "time",
    "elb",
    "client_ip",
    "client_port",
    "target_ip",
    "target_port",
    "request_processing_time",
    "target_processing_time",
    "response_processing_time",
    "elb_status_code",
    "target_status_code",
    "received_bytes",
    "sent_bytes",
    "request_verb",
    "request_url",
    "request_proto",
    "user_agent",
    "ssl_cipher",
    "ssl_protocol",
    "target_group_arn",
    "trace_id",
    "domain_name",
    "chosen_cert_arn",
    "matched_rule_priority",
    "request_creation_time",
    "actions_executed",
    "redirect_url",
    "error_reason",
    "target_port_list",
    "target_status_code_list",
    "classification",
    "classification_reason",
    "conn_trace_id",
)
TYPES = (b"http", b"https", b"h2", b"grpcs", b"ws", b"wss")
_COLUMNS = 40  # documented fields plus room for later additions (ragged lines are fine)
_REQUEST = r"^(\S+) (?:[A-Za-z][A-Za-z0-9+.-]*://[^/\s]*)?(/[^?\s]*)?(?:\?(\S*))? ?"
_LINE = re.compile(r'"([^"]*)"|(\S+)')
_ESCAPE = r"\\x([0-9A-Fa-f]{2})"
_UA_ESCAPES = [f"\\x{code:02x}" for code in range(0x80)]
_UA_CHARS = [chr(code) if 0x20 <= code < 0x7F else " " for code in range(0x80)]
_ISO = re.compile(rb"^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$")
_IP = re.compile(rb"^[0-9A-Fa-f:.]{2,45}$")
_NUMBER = re.compile(rb"^-?\d+(?:\.\d+)?$")
CONNECTION_LOG = "an ALB connection log (TLS connections, no HTTP requests)"
HEALTH_CHECK_LOG = "an ALB health check log (target health checks, no client requests)"


def looks_like(data: bytes | bytearray | memoryview) -> bool:
    """True when the first line starts like an ALB access log entry.

    That is: a known ``type`` (http, https, h2, grpcs, ws, wss), then an ISO 8601 time
    starting with ``20``, in the first line of the first 2 KiB of decompressed text.
    """
    first = bytes(data[:2048]).split(b"\n", 1)[0]
    parts = first.split(b" ", 2)
    return (
        len(parts) == 3 and parts[0] in TYPES and parts[1][:2] == b"20" and b"T" in parts[1]
    ) or kind(data) is not None


def kind(data: bytes | bytearray | memoryview) -> str | None:
    """Why this ALB log is not an access log (its kind), or None for an access log.

    Connection log entries start ``<ISO time> <client ip> <client port> <listener
    port> ...``; health check entries ``<type> <ISO time> <latency seconds>
    <target:port> ...``; an access log entry has the load balancer id
    (``app/...``) third. Only the first line of the first 2 KiB is read.
    """
    parts = bytes(data[:2048]).split(b"\n", 1)[0].split(b" ")
    if len(parts) >= 4 and _ISO.match(parts[0]) and _IP.match(parts[1]) and parts[2].isdigit():
        return CONNECTION_LOG
    if (
        len(parts) >= 4
        and _ISO.match(parts[1])
        and _NUMBER.match(parts[2])
        and b":" in parts[3]
        and not parts[2].startswith(b"app/")
    ):
        return HEALTH_CHECK_LOG
    return None


def parse(data: bytes | bytearray, head: bytes | None = None) -> Parsed:
    """Parse a whole ALB access log (plain or gzip; polars inflates it); malformed lines
    are counted and skipped.

    Returns ``Parsed("alb", frame, lines, skipped)``: ``ts`` from ``time`` (UTC, epoch
    seconds, fraction dropped), ``client`` from ``client:port`` without the port,
    ``status`` from ``elb_status_code``, method/path/query split from ``"request"``
    (an absolute URL's scheme and host are dropped; ``\\xHH`` escapes as ``%HH``).
    A line without a parseable time, status or client address (e.g. ``-``) is skipped.
    A connection or health check log (``kind`` of ``head``, the first decompressed
    bytes, or of the data) is not read: 0 lines, ``ignored`` says what it is.

    Raises:
        CorruptObject: gzip input that cannot be inflated.
    """
    ignored = kind(head if head is not None else decompress(data)[:2048])
    if ignored:
        lines = sum(1 for line in bytes(decompress(data)).split(b"\n") if line.strip())
        return Parsed("alb", empty(), 0, 0, ignored=f"{ignored}; {lines} line(s) not read")
    try:
        raw = _read(data)
    except (pl.exceptions.PolarsError, OSError):
        data = decompress(data)  # damage in a gzip raises CorruptObject here
        try:
            raw = _read(data)
        except pl.exceptions.PolarsError:
            raw = _python_split(data)
    raw = raw.rename(
        {"f0": "type", "f1": "time", "f3": "client", "f8": "status", "f12": "request", "f13": "ua"}
    )
    lines = raw.height
    request = pl.col("request").fill_null("").str.replace_all(_ESCAPE, "%$1")
    frame = raw.select(
        parse_iso_epoch(pl.col("time")).alias("ts"),
        pl.col("client").str.extract(r"^(.+):\d+$", 1).alias("client"),
        request.str.extract(_REQUEST, 1).fill_null("-").alias("method"),
        request.str.extract(_REQUEST, 2).fill_null("").alias("path"),
        request.str.extract(_REQUEST, 3).fill_null("").alias("query"),
        pl.col("status").cast(pl.Int32, strict=False).alias("status"),
        pl.when(pl.col("ua") == "-")
        .then(pl.lit(""))
        .otherwise(
            pl.col("ua")
            .fill_null("")
            .str.replace_many(_UA_ESCAPES, _UA_CHARS, ascii_case_insensitive=True)
        )
        .alias("ua"),
        pl.lit(False).alias("blocked"),
    ).filter(
        pl.col("ts").is_not_null()
        & pl.col("status").is_not_null()
        & pl.col("client").str.contains(r"^[0-9A-Fa-f:.]{2,45}$").fill_null(False)
    )
    return Parsed("alb", conform(frame), lines, lines - frame.height)


def _read(data: bytes | bytearray) -> pl.DataFrame:
    return pl.read_csv(
        data if isinstance(data, bytes) else io.BytesIO(data),
        separator=" ",
        has_header=False,
        quote_char='"',
        columns=[0, 1, 3, 8, 12, 13],
        schema={f"f{i}": pl.String for i in range(_COLUMNS)},
        truncate_ragged_lines=True,
        encoding="utf8-lossy",
        missing_columns="insert",
    )


def _python_split(data: bytes | bytearray | memoryview) -> pl.DataFrame:
    """Fallback for lines the native reader refuses (e.g. stray quotes)."""
    wanted = (0, 1, 3, 8, 12, 13)
    columns: dict[str, list[str | None]] = {f"f{i}": [] for i in wanted}
    for raw in bytes(data).split(b"\n"):
        if not raw.strip():
            continue
        parts = [q if q or not b else b for q, b in _LINE.findall(raw.decode("utf-8", "replace"))]
        for i in wanted:
            columns[f"f{i}"].append(parts[i] if i < len(parts) else None)
    return pl.DataFrame(columns, schema={name: pl.String for name in columns})
