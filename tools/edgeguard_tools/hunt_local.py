"""``edgeguard hunt --local DIR``: the Athena SQL of a hunt, run on DuckDB over local files.

The query is the one ``edgeguard.hunt.sql`` writes for Athena (Trino dialect),
transpiled to DuckDB by sqlglot. The local files become DuckDB views with the Glue
tables' names and columns, read from ``template.yaml`` (``Hunt*Table`` resources), so
the same column expressions run here as on Athena:

- CloudFront standard logs, legacy (tab-separated, ``#`` header lines; gzip or plain):
  ``read_csv`` with the table's columns in order;
- CloudFront standard logging v2 in Parquet: ``read_parquet``, each Glue column taken
  from the file's column of the same field (``c-ip``, ``c_ip`` or ``cs(User-Agent)``,
  ``cs_user_agent``: spelt either way, as the analyzer accepts);
- ALB access logs: each line split by the Glue table's own ``input.regex``.

The partition columns the query prunes on are computed from each row's time (Athena
takes them from the S3 keys). Athena functions DuckDB lacks are defined here:
``ip_prefix`` (a Python UDF, IPv6 only). A file of another kind (WAF, v2 JSON/W3C) is
counted and named as not read.
"""

from __future__ import annotations

import ipaddress
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from edgeguard.hunt.sources import Source, sources
from edgeguard.hunt.sql import hunt_query
from edgeguard.logs.cloudfront_fields import field_key
from edgeguard.logs.gzipio import is_gzip, peek
from edgeguard.logs.settings import DetectionSettings
from edgeguard_tools.hunt_tables import GlueTables, glue_tables

PARQUET_MAGIC = b"PAR1"


class LocalHuntError(RuntimeError):
    """The local hunt cannot run (no readable file, DuckDB refused the query)."""


@dataclass
class LocalFiles:
    """The files of a directory by Glue table role, and those not read (with why)."""

    by_role: dict[str, list[Path]] = field(default_factory=dict)
    not_read: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        """Bytes of the files that are read (what a full scan costs)."""
        return sum(p.stat().st_size for paths in self.by_role.values() for p in paths)


def classify(directory: Path) -> LocalFiles:
    """Every regular file under ``directory`` (recursively, hidden ones skipped) by the
    table that reads it, from its content: Parquet magic (v2 Parquet), a ``#Version``
    header (legacy CloudFront), an ALB access log's first line; others are not read.
    """
    from edgeguard.logs import alb  # noqa: PLC0415

    found = LocalFiles()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        if any(part.startswith(".") for part in path.relative_to(directory).parts):
            continue
        with path.open("rb") as handle:
            raw = handle.read(65536)
        head = bytes(peek(raw)) if is_gzip(raw) else raw
        if raw.startswith(PARQUET_MAGIC):
            role = "cloudfront_v2"
        elif head.startswith(b"#Version:"):
            role = "cloudfront_legacy"
        elif alb.looks_like(head) and alb.kind(head) is None:
            role = "alb"
        else:
            found.not_read.append((path, "not a legacy CloudFront, v2 Parquet or ALB log"))
            continue
        found.by_role.setdefault(role, []).append(path)
    return found


def _files(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _hour_partitions(ts: str) -> str:
    """year/month/day/hour (UTC) of an epoch-seconds expression, as v2's Hive keys."""
    stamp = f"(to_timestamp({ts}) AT TIME ZONE 'UTC')"
    return (
        f"year({stamp}) AS year, month({stamp}) AS month, day({stamp}) AS day, "
        f"hour({stamp}) AS hour"
    )


def create_views(con: Any, files: LocalFiles, tables: GlueTables) -> dict[str, str]:
    """DuckDB views named as the Glue tables over ``files``; returns role -> view name."""
    views: dict[str, str] = {}
    for role, paths in files.by_role.items():
        table = tables.tables[role]
        columns = table.columns
        if role == "cloudfront_legacy":
            spec = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in columns) + "}"
            body = (
                f"SELECT * FROM read_csv({_files(paths)}, delim='\\t', header=false, "
                f"comment='#', quote='', escape='', columns={spec}, null_padding=true, "
                "ignore_errors=true, auto_detect=false)"
            )
        elif role == "cloudfront_v2":
            present = [
                row[0]
                for row in con.execute(
                    f"DESCRIBE SELECT * FROM read_parquet({_files(paths)}, union_by_name=true)"
                ).fetchall()
            ]
            by_key = {field_key(name): name for name in present}
            picks = []
            for column in columns:
                source = by_key.get(field_key(column))
                picks.append(
                    f"CAST({_quote(source)} AS VARCHAR) AS {_quote(column)}"
                    if source
                    else f"CAST(NULL AS VARCHAR) AS {_quote(column)}"
                )
            # The request time as the query computes it (date + time, or v2's epochs).
            ts = (
                'coalesce(epoch(try_strptime(trim("date") || \' \' || trim("time"), '
                "'%Y-%m-%d %H:%M:%S')), try_cast(\"timestamp\" AS DOUBLE), "
                "try_cast(timestamp_ms AS DOUBLE) / 1000)"
            )
            body = (
                f"SELECT *, {_hour_partitions(ts)} FROM (SELECT {', '.join(picks)} "
                f"FROM read_parquet({_files(paths)}, union_by_name=true))"
            )
        else:  # alb: the ``day`` partition is yyyy/MM/dd, as the ALB key layout
            names = ", ".join(f"'{c}'" for c in columns)
            regex = table.regex.replace("'", "''")
            body = (
                "SELECT *, strftime(try_strptime(substr(\"time\", 1, 19), '%Y-%m-%dT%H:%M:%S'), "
                "'%Y/%m/%d') AS day FROM (SELECT unnest(regexp_extract(line, "
                f"'{regex}', [{names}])) FROM read_csv({_files(paths)}, delim='\\x01', "
                "header=false, quote='', escape='', columns={'line': 'VARCHAR'}, "
                "auto_detect=false))"
            )
        con.execute(f"CREATE OR REPLACE VIEW {_quote(table.name)} AS {body}")
        views[role] = table.name
    return views


def _ip_prefix(address: str, bits: int) -> str | None:
    """Trino's ``ip_prefix`` for the IPv6 addresses the query hands it (its text form)."""
    try:
        network = ipaddress.ip_network(f"{address}/{bits}", strict=False)
    except ValueError:
        return None
    return str(network)


def connect() -> Any:
    """An in-memory DuckDB with the Athena functions the hunt query needs."""
    import duckdb  # noqa: PLC0415 - a tools-only dependency

    con = duckdb.connect(":memory:")
    # DuckDB draws a progress bar on stdout for long queries: it would mix with findings.
    con.execute("SET enable_progress_bar = false")
    con.create_function(
        "ip_prefix",
        _ip_prefix,
        [duckdb.sqltype("VARCHAR"), duckdb.sqltype("BIGINT")],
        duckdb.sqltype("VARCHAR"),
    )
    return con


def to_duckdb(sql: str) -> str:
    """The Trino SQL transpiled to DuckDB's dialect (sqlglot).

    One fix-up sqlglot leaves to us: a ``regexp_replace`` replacement names groups as
    ``$1`` in Trino (Java) and ``\\1`` in DuckDB (RE2). And one hint Trino has no syntax
    for: the ``requests`` CTE, which every scenario reads, is materialized once.
    """
    import sqlglot  # noqa: PLC0415 - a tools-only dependency
    from sqlglot import exp  # noqa: PLC0415

    tree = sqlglot.parse_one(sql, read="trino")
    for node in tree.find_all(exp.RegexpReplace):
        replacement = node.args.get("replacement")
        if isinstance(replacement, exp.Literal) and replacement.is_string:
            text = re.sub(r"\$(\d)", r"\\\1", replacement.this)
            node.set("replacement", exp.Literal.string(text))
    for cte in tree.find_all(exp.CTE):
        if cte.alias == "requests":
            cte.set("materialized", True)
    return str(tree.sql(dialect="duckdb"))


@dataclass
class LocalResult:
    """A local hunt's rows, the files it read and skipped, and its timings."""

    rows: list[dict[str, Any]]
    files: LocalFiles
    seconds: float
    sql: str


def run_local(
    directory: Path,
    settings: DetectionSettings,
    *,
    start: datetime,
    end: datetime,
    scenarios: list[str] | None = None,
    template: Path | None = None,
) -> LocalResult:
    """Run the hunt query over the log files under ``directory`` on DuckDB.

    Raises:
        LocalHuntError: no file that a hunt table reads, or DuckDB refused the query.
        QueryError: as ``hunt_query`` (unknown scenario, empty window).
    """
    import duckdb  # noqa: PLC0415

    started = time.perf_counter()
    files = classify(directory)
    if not files.by_role:
        raise LocalHuntError(f"no CloudFront (legacy or v2 Parquet) or ALB log under {directory}")
    tables = glue_tables(template)
    con = connect()
    try:
        views = create_views(con, files, tables)
        chosen: list[Source] = sources(views)
        sql = hunt_query(settings, chosen, start, end, scenarios)
        cursor = con.execute(to_duckdb(sql))
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    except duckdb.Error as error:
        raise LocalHuntError(f"DuckDB: {error}") from None
    finally:
        con.close()
    return LocalResult(rows, files, time.perf_counter() - started, sql)
