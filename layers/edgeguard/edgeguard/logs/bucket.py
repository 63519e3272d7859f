"""Leaky buckets over the log's own timestamps, evaluated for all clients at once.

For one (source, client, scenario) with event counts ``n_k`` at seconds ``t_k``
(sorted), the level after second ``k`` of a bucket that drains ``r`` per second
and is never below zero is (Lindley's recursion, unrolled)::

    L_k = max over i <= k of (N_k - N_{i-1} - r * (t_k - t_i))
        = (N_k - r t_k) + cummax_i (r t_i - N_{i-1})

with ``N`` the running event count, so a cumulative sum and a cumulative max per
group compute every level natively. The client overflows at the first second
whose level exceeds the capacity. The result depends only on the multiset of
(second, count) pairs: files processed in any order, or one file, give the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from edgeguard.logs.settings import DetectionSettings

GROUP = ("source", "client", "scenario")


@dataclass(frozen=True)
class Verdict:
    """A client whose bucket overflowed for one scenario."""

    source: str
    client: str
    scenario: str
    events: int
    first_seen: datetime
    last_seen: datetime
    overflow_at: datetime
    peak: float


def levels(observations: pl.DataFrame, settings: DetectionSettings) -> pl.DataFrame:
    """The bucket level after every second with events, per (source, client, scenario).

    ``observations`` has ``OBSERVATION_SCHEMA`` (the same second may appear several times,
    from several files, and is summed). Returns columns source, client, scenario, ts (epoch
    seconds), n (events that second), rate (drain per second), capacity and level (events
    in the bucket after that second), sorted by group then ts. Scenarios not enabled in
    ``settings`` are left out.
    """
    params = pl.DataFrame(
        {
            "scenario": [s.name for s in settings.enabled],
            "rate": [s.leak_per_second for s in settings.enabled],
            "capacity": [float(s.capacity) for s in settings.enabled],
        }
    )
    group = list(GROUP)
    return (
        observations.group_by([*group, "ts"])
        .agg(pl.col("n").sum())
        .join(params, on="scenario")
        .sort([*group, "ts"])
        .with_columns(
            (pl.col("ts") - pl.col("ts").min().over(group)).cast(pl.Float64).alias("t"),
            pl.col("n").cum_sum().over(group).cast(pl.Float64).alias("N"),
        )
        .with_columns(
            (
                pl.col("N")
                - pl.col("rate") * pl.col("t")
                + (pl.col("rate") * pl.col("t") - (pl.col("N") - pl.col("n"))).cum_max().over(group)
            ).alias("level")
        )
        .drop("t", "N")
    )


def evaluate(observations: pl.DataFrame, settings: DetectionSettings) -> list[Verdict]:
    """Every (source, client, scenario) whose bucket overflows, ordered by overflow time.

    ``observations`` has ``OBSERVATION_SCHEMA`` (ts in epoch seconds); the same second
    may appear several times (from several files) and is summed. Scenarios not enabled
    in ``settings`` are ignored. Verdict times are aware UTC datetimes.
    """
    if observations.is_empty():
        return []
    group = list(GROUP)
    summary = (
        levels(observations, settings)
        .group_by(group)
        .agg(
            pl.col("n").sum().alias("events"),
            pl.col("ts").min().alias("first"),
            pl.col("ts").max().alias("last"),
            pl.col("ts").filter(pl.col("level") > pl.col("capacity")).min().alias("overflow"),
            pl.col("level").max().alias("peak"),
        )
        .filter(pl.col("overflow").is_not_null())
        .sort(["overflow", "client", "scenario", "source"])
    )
    return [
        Verdict(
            source=row["source"],
            client=row["client"],
            scenario=row["scenario"],
            events=int(row["events"]),
            first_seen=_utc(row["first"]),
            last_seen=_utc(row["last"]),
            overflow_at=_utc(row["overflow"]),
            peak=float(row["peak"]),
        )
        for row in summary.iter_rows(named=True)
    ]


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(int(epoch), UTC)
