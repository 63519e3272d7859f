"""Run a hunt's SQL on Amazon Athena: submit in the stack's workgroup, wait, read the rows.

The workgroup (``template.yaml``, ``HuntWorkGroup``) enforces its configuration: the
results location encrypted with the stack's KMS key, and the per-query bytes-scanned
cut-off (``BytesScannedCutoffPerQuery``): a query that would scan more is cancelled by
Athena and reported here as ``HuntFailed`` naming the reason.

Cost: "Amazon Athena pricing": 5 USD per TB of data scanned, rounded up to the
megabyte with a 10 MB minimum per query (``cost_usd``). API: "Amazon Athena API
Reference": StartQueryExecution, GetQueryExecution (``Statistics.DataScannedInBytes``,
``Status.State``/``StateChangeReason``), GetQueryResults (the first row of the first
page is the header).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from edgeguard.errors import EdgeguardError

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient

USD_PER_TB = 5.0
TB = 1024**4
MB = 1024**2
MIN_BILLED_BYTES = 10 * MB
TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}


class HuntFailed(EdgeguardError, RuntimeError):
    """Athena did not finish the query (failed, cancelled, e.g. by the bytes cut-off, or
    timed out here); the message carries Athena's reason and the query execution id."""


@dataclass
class QueryResult:
    """The rows of a finished query (column name -> text or None), its id and the bytes
    Athena scanned (what is billed, before rounding)."""

    execution_id: str
    rows: list[dict[str, str | None]] = field(default_factory=list)
    bytes_scanned: int = 0

    @property
    def cost_usd(self) -> float:
        """What the query costs at ``USD_PER_TB`` (see ``cost_usd``)."""
        return cost_usd(self.bytes_scanned)


def cost_usd(bytes_scanned: int) -> float:
    """Athena's charge for scanning ``bytes_scanned`` bytes: 5 USD per TB (2^40 bytes),
    rounded up to the megabyte, at least 10 MB ("Amazon Athena pricing")."""
    billed = max(MIN_BILLED_BYTES, math.ceil(bytes_scanned / MB) * MB)
    return billed / TB * USD_PER_TB


def run_query(
    client: AthenaClient,
    sql: str,
    *,
    workgroup: str,
    database: str,
    timeout_seconds: float = 600.0,
    poll_seconds: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> QueryResult:
    """Submit ``sql`` in ``workgroup`` with ``database`` as default, wait, read every row.

    Polls every ``poll_seconds`` (doubling up to 10 s) for at most ``timeout_seconds``;
    on time-out the query is stopped. Rows are dicts keyed by the header row's names.

    Raises:
        HuntFailed: the query failed or was cancelled (Athena's reason in the message),
            or did not finish in time.
        botocore ClientError: the API refused the call (permissions, unknown workgroup).
    """
    started = client.start_query_execution(
        QueryString=sql,
        WorkGroup=workgroup,
        QueryExecutionContext={"Database": database},
    )
    execution_id = started["QueryExecutionId"]
    waited, delay = 0.0, poll_seconds
    while True:
        execution = client.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
        status = execution.get("Status", {})
        state = status.get("State", "")
        scanned = int(execution.get("Statistics", {}).get("DataScannedInBytes", 0) or 0)
        if state in TERMINAL:
            break
        if waited >= timeout_seconds:
            client.stop_query_execution(QueryExecutionId=execution_id)
            raise HuntFailed(
                f"query {execution_id} did not finish in {timeout_seconds:.0f} s (stopped)"
            )
        sleep(delay)
        waited += delay
        delay = min(delay * 2, 10.0)
    if state != "SUCCEEDED":
        reason = status.get("StateChangeReason", "no reason given")
        raise HuntFailed(f"query {execution_id} {state.lower()}: {reason}")
    return QueryResult(execution_id, _rows(client, execution_id), scanned)


def _rows(client: AthenaClient, execution_id: str) -> list[dict[str, str | None]]:
    header: list[str] | None = None
    rows: list[dict[str, str | None]] = []
    kwargs: dict[str, Any] = {"QueryExecutionId": execution_id, "MaxResults": 1000}
    while True:
        page = client.get_query_results(**kwargs)
        for raw in page["ResultSet"].get("Rows", []):
            values = [cell.get("VarCharValue") for cell in raw.get("Data", [])]
            if header is None:
                header = [str(v) for v in values]
                continue
            rows.append(dict(zip(header, values, strict=False)))
        token = page.get("NextToken")
        if not token:
            return rows
        kwargs["NextToken"] = token
