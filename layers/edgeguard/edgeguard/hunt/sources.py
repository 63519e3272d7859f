"""The Glue tables a hunt reads, and how each becomes the one request table of detection.

Every source is a ``SELECT`` (Trino dialect, Athena engine v3) giving the columns of
``edgeguard.logs.frame.SCHEMA``: ts (epoch seconds, bigint), client, method, path,
query (URL-encoded as logged, '' when absent), status (integer), ua (as logged),
blocked (boolean), plus ``source`` ("cloudfront", "alb" or "waf", as the Python
parsers name their format, so bucket keys match). Rows the parsers skip (no time,
no status, an address that is not one) are dropped by the same rules.

Column names are the Glue tables' (``template.yaml``, resources ``Hunt*Table``),
which follow AWS's documented Athena tables: "Amazon Athena User Guide: Query Amazon
CloudFront logs" (legacy, and "Create a table for CloudFront logs in Athena using
partition projection with Parquet"/"... with JSON" for standard logging v2), "Query
Application Load Balancer logs" and "Query AWS WAF logs".

Time ranges: ``partition_filter`` returns the predicate on partition columns that
prunes a table to the window where its key layout carries the date (v2, ALB, WAF);
legacy CloudFront keys carry the date only in the file name, so that table is read
in full, within the workgroup's bytes-scanned cut-off.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

# An address as the parsers accept it (frame filter in logs.cloudfront_v2 / logs.alb).
ADDRESS = "^[0-9A-Fa-f:.]{2,45}$"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
# Partitions are keyed by delivery time; a request can land in the next hour's.
PARTITION_SLACK = timedelta(hours=1)


@dataclass(frozen=True)
class Source:
    """One Glue table: its source name, table name and how to select its requests."""

    name: str
    table: str
    build: Callable[[str, str], str]
    partition_filter: Callable[[datetime, datetime], str]

    def select(self, start: datetime, end: datetime) -> str:
        """The request SELECT over this table, pruned to the partitions of [start, end)."""
        return self.build(self.table, self.partition_filter(start, end))


def _none(start: datetime, end: datetime) -> str:
    return "TRUE"


def _hourly(start: datetime, end: datetime) -> str:
    """year/month/day/hour integer partitions (CloudFront v2)."""
    first, last = start - PARTITION_SLACK, end + PARTITION_SLACK
    years = sorted({first.year, last.year, *range(first.year, last.year + 1)})
    key = "(year * 1000000 + month * 10000 + day * 100 + hour)"
    return (
        f"year IN ({', '.join(str(y) for y in years)}) AND {key} BETWEEN "
        f"{first:%Y%m%d%H} AND {last:%Y%m%d%H}"
    )


def _daily(start: datetime, end: datetime) -> str:
    """A ``day`` string partition ``yyyy/MM/dd`` (ALB, as the Athena guide projects it)."""
    first, last = start - PARTITION_SLACK, end + PARTITION_SLACK
    return f"day BETWEEN '{first:%Y/%m/%d}' AND '{last:%Y/%m/%d}'"


def _five_minutes(start: datetime, end: datetime) -> str:
    """A ``log_time`` string partition ``yyyy/MM/dd/HH/mm`` (WAF's S3 key layout)."""
    first, last = start - PARTITION_SLACK, end + PARTITION_SLACK
    return f"log_time BETWEEN '{first:%Y/%m/%d/%H/%M}' AND '{last:%Y/%m/%d/%H/%M}'"


def _cloudfront(table: str, where: str, with_epoch: bool) -> str:
    """Legacy and v2 CloudFront: ``date`` + ``time`` (or v2's ``timestamp``/``timestamp_ms``)."""
    ts = (
        'to_unixtime(try(date_parse(concat(trim("date"), \' \', trim("time")), '
        "'%Y-%m-%d %H:%i:%s')))"
    )
    if with_epoch:
        ts = (
            f'coalesce({ts}, try_cast("timestamp" AS double), '
            "try_cast(timestamp_ms AS double) / 1000)"
        )
    return (
        "SELECT 'cloudfront' AS source, "
        f"CAST(floor({ts}) AS bigint) AS ts, "
        "trim(c_ip) AS client, coalesce(cs_method, '-') AS method, cs_uri_stem AS path, "
        "CASE WHEN cs_uri_query = '-' THEN '' ELSE coalesce(cs_uri_query, '') END AS query, "
        "try_cast(trim(sc_status) AS integer) AS status, "
        "CASE WHEN cs_user_agent = '-' THEN '' ELSE coalesce(cs_user_agent, '') END AS ua, "
        f"FALSE AS blocked FROM {table} WHERE {where}"
    )


# ALB "request" split as logs.alb does: method, then path and query of the URL (scheme
# and host dropped); \xHH escapes read as %HH.
_ALB_URL = r"^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/\s]*)?(/[^?\s]*)?(?:\?(\S*))?"


def _alb(table: str, where: str) -> str:
    url = r"regexp_replace(coalesce(request_url, ''), '\\x([0-9A-Fa-f]{2})', '%$1')"
    return (
        "SELECT 'alb' AS source, "
        'CAST(floor(to_unixtime(try(from_iso8601_timestamp("time")))) AS bigint) AS ts, '
        "client_ip AS client, coalesce(request_verb, '-') AS method, "
        f"coalesce(regexp_extract({url}, '{_ALB_URL}', 1), '') AS path, "
        f"coalesce(regexp_extract({url}, '{_ALB_URL}', 2), '') AS query, "
        "elb_status_code AS status, "
        "CASE WHEN user_agent = '-' THEN '' ELSE coalesce(user_agent, '') END AS ua, "
        f"FALSE AS blocked FROM {table} WHERE {where}"
    )


def _waf(table: str, where: str) -> str:
    """WAF: the viewer web ACL's records only (``httpsourcename`` ALB is the origin web
    ACL, whose client is a CloudFront edge server: never judged, as in logs.waf)."""
    agent = "element_at(filter(httprequest.headers, h -> lower(h.name) = 'user-agent'), 1).value"
    uri = "coalesce(httprequest.uri, '')"
    return (
        "SELECT 'waf' AS source, CAST(floor(\"timestamp\" / 1000) AS bigint) AS ts, "
        "httprequest.clientip AS client, coalesce(httprequest.httpmethod, '-') AS method, "
        f"{uri} AS path, coalesce(httprequest.args, '') AS query, "
        "coalesce(try_cast(responsecodesent AS integer), 0) AS status, "
        f"coalesce({agent}, '') AS ua, upper(coalesce(action, '')) = 'BLOCK' AS blocked "
        f"FROM {table} WHERE coalesce(httpsourcename, '') <> 'ALB' AND {where}"
    )


def sources(tables: dict[str, str]) -> list[Source]:
    """The sources for the Glue tables in ``tables`` (role -> table name).

    Roles: ``cloudfront_legacy``, ``cloudfront_v2``, ``alb``, ``waf``; a role left out
    is not read. Raises KeyError for an unknown role, ValueError for a table name that
    is not a plain identifier (``database.table`` allowed).
    """
    builders: dict[
        str, tuple[str, Callable[[str, str], str], Callable[[datetime, datetime], str]]
    ] = {
        "cloudfront_legacy": ("cloudfront", lambda t, w: _cloudfront(t, w, False), _none),
        "cloudfront_v2": ("cloudfront", lambda t, w: _cloudfront(t, w, True), _hourly),
        "alb": ("alb", _alb, _daily),
        "waf": ("waf", _waf, _five_minutes),
    }
    result = []
    for role, table in tables.items():
        if not _IDENTIFIER.match(table):
            raise ValueError(f"not a table name: {table!r}")
        name, build, partitions = builders[role]
        result.append(Source(name, table, build, partitions))
    return result


ROLES = ("cloudfront_legacy", "cloudfront_v2", "alb", "waf")
