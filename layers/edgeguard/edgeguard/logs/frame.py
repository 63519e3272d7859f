"""The one table every parser produces, whatever the log format.

Columns: ts (epoch seconds, Int64), client (address text), method, path, query
(URL-encoded as logged, "" when absent), status (Int32, 0 when the format has
none), ua (user agent as logged: URL-encoded in CloudFront logs), blocked
(WAF terminated the request with BLOCK).
Detection only ever sees this table, so a scenario behaves the same on every format.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

SCHEMA: dict[str, pl.DataType] = {
    "ts": pl.Int64(),
    "client": pl.String(),
    "method": pl.String(),
    "path": pl.String(),
    "query": pl.String(),
    "status": pl.Int32(),
    "ua": pl.String(),
    "blocked": pl.Boolean(),
}


@dataclass
class Parsed:
    """A parsed log object: the requests, and how many lines were read and skipped.

    ``ignored`` says why a whole object is not an access log and was not read (an ALB
    connection or health-check log); ``bypass`` counts, per viewer address, requests
    the origin web ACL blocked for lack of the origin secret (WAF logs only).
    """

    format: str
    frame: pl.DataFrame
    lines: int
    skipped: int
    ignored: str = ""
    bypass: dict[str, int] = field(default_factory=dict)

    @property
    def parsed(self) -> int:
        """Lines that became rows of ``frame`` (``lines - skipped``)."""
        return self.lines - self.skipped


def empty() -> pl.DataFrame:
    """A table with the ``SCHEMA`` columns and no rows."""
    return pl.DataFrame(schema=SCHEMA)


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    """Columns in SCHEMA order and types (parsers build them in any order)."""
    return frame.select([pl.col(name).cast(dtype) for name, dtype in SCHEMA.items()])
