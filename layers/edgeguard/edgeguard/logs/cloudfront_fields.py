"""CloudFront log field names: the documented lists, and one key for every spelling of a name.

The same field is spelt ``cs(User-Agent)`` in W3C headers and JSON keys (standard
logging legacy and v2), ``cs_user_agent`` in Parquet columns named as Athena's table
for CloudFront Parquet logs names them, and ``cs-user-agent`` in real-time log
configurations. ``field_key`` maps all of them to one key (lower case, letters and
digits only), so each reader looks fields up by key and the spelling never matters.

Sources: "Amazon CloudFront Developer Guide: Standard logging reference, Log file
fields" (the legacy 33 fields, v2 adds ``c-country`` and ``cache-behavior-path-pattern``
to the default selection, and offers ``timestamp``/``timestamp(ms)`` among others);
"Configure standard logging (v2)" (output formats W3C, JSON, Plain, Parquet; field
delimiter); "Real-time access logs: fields"; "Amazon Athena User Guide: Create a table
for CloudFront logs in Athena using manual partitioning with Parquet" (column names).
"""

from __future__ import annotations

import re

from edgeguard.logs.gzipio import CorruptObject

LEGACY_FIELDS = (
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

#: Standard logging (v2): the default field selection, in canonical order.
V2_DEFAULT_FIELDS = (*LEGACY_FIELDS, "c-country", "cache-behavior-path-pattern")

#: Further v2 fields a delivery may select (they are never read for detection).
V2_OPTIONAL_FIELDS = (
    "timestamp",
    "timestamp(ms)",
    "asn",
    "c-ip-version",
    "origin-fbl",
    "origin-lbl",
    "sr-reason",
    "x-edge-mqcs",
    "connection-id",
)

#: The real-time log configuration the template creates (AWS::CloudFront::RealtimeLogConfig
#: Fields), in that order: Kinesis Data Firehose writes each record's fields in it.
REALTIME_DEFAULT_FIELDS = (
    "timestamp",
    "c-ip",
    "time-to-first-byte",
    "sc-status",
    "sc-bytes",
    "cs-method",
    "cs-protocol",
    "cs-host",
    "cs-uri-stem",
    "cs-bytes",
    "x-edge-location",
    "x-edge-request-id",
    "x-host-header",
    "time-taken",
    "cs-protocol-version",
    "c-ip-version",
    "cs-user-agent",
    "cs-referer",
    "cs-cookie",
    "cs-uri-query",
    "x-edge-response-result-type",
    "x-forwarded-for",
    "ssl-protocol",
    "ssl-cipher",
    "x-edge-result-type",
    "fle-encrypted-fields",
    "fle-status",
    "sc-content-type",
    "sc-content-len",
    "sc-range-start",
    "sc-range-end",
    "c-port",
    "x-edge-detailed-result-type",
    "c-country",
)

#: Field delimiters a v2 delivery may use for W3C and Plain output (one character each).
DELIMITERS = ("\t", " ", ",", "|")

#: What detection reads, by column of ``frame.SCHEMA`` -> the field keys that carry it.
_CLIENT, _METHOD, _PATH, _QUERY, _STATUS, _UA = (
    "cip",
    "csmethod",
    "csuristem",
    "csuriquery",
    "scstatus",
    "csuseragent",
)
READ_KEYS = {
    "client": _CLIENT,
    "method": _METHOD,
    "path": _PATH,
    "query": _QUERY,
    "status": _STATUS,
    "ua": _UA,
}
#: The time of a request: any one of these selections (keys).
TIME_KEYS = (("date", "time"), ("timestampms",), ("timestamp",))

_NAME_OF_KEY = {
    "cip": "c-ip",
    "csmethod": "cs-method",
    "csuristem": "cs-uri-stem",
    "csuriquery": "cs-uri-query",
    "scstatus": "sc-status",
    "csuseragent": "cs(User-Agent)",
}


class MissingFields(CorruptObject):
    """A CloudFront log whose field selection lacks a field detection reads.

    The message names the missing field(s) as AWS's field list spells them.
    """


def field_key(name: str) -> str:
    """The spelling-independent key of a field name: ``cs(User-Agent)``, ``cs_user_agent``
    and ``cs-user-agent`` all give ``csuseragent``; ``timestamp(ms)`` gives ``timestampms``.
    """
    return re.sub(r"[^a-z0-9]", "", name.lower())


def athena_column(name: str) -> str:
    """The column name Athena's CloudFront tables give a field: ``cs(User-Agent)`` ->
    ``cs_user_agent``, ``x-edge-location`` -> ``x_edge_location``, ``timestamp(ms)`` ->
    ``timestamp_ms`` ("Amazon Athena User Guide: Create a table for CloudFront logs in
    Athena using partition projection with Parquet")."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def split_names(text: str) -> list[str]:
    """Field names from a ``#Fields:`` line body or a configured list.

    Names never contain a space, tab, comma or pipe, so any of them separates names.
    """
    return [name for name in re.split(r"[\s,|;]+", text.strip()) if name]


def check_fields(names: list[str] | tuple[str, ...]) -> dict[str, int]:
    """Key -> position of each field, after checking that detection can read them.

    Raises:
        MissingFields: the selection lacks the client address, a time (``date`` and
            ``time``, ``timestamp`` or ``timestamp(ms)``), the method, URI stem, query,
            status or user agent; the message names each missing field.
    """
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        positions.setdefault(field_key(name), index)
    missing = [_NAME_OF_KEY[key] for key in READ_KEYS.values() if key not in positions]
    if not any(all(key in positions for key in keys) for keys in TIME_KEYS):
        half = [name for name in ("date", "time") if name not in positions]
        lacking = half[0] if len(half) == 1 else "date and time"
        missing.insert(0, f"{lacking} (or timestamp, or timestamp(ms))")
    if missing:
        raise MissingFields(
            "the CloudFront log's field selection lacks "
            + ", ".join(missing)
            + ": edgeguard cannot judge requests without it; add it to the delivery's fields"
        )
    return positions
