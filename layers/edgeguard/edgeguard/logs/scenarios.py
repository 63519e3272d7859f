"""Which requests are events of which scenario: one native pass over the parsed table.

The output is small: per (client, scenario) the number of events in each second
(``observations``) and one example request (``samples``), only for clients whose
events in this file reach the scenario's ``track_min_per_file``. Everything else
(benign traffic, the bulk of any log) never leaves native code.

Matching runs on the URL-decoded path and query (decoded twice, so double
encoding does not hide a payload); rows without ``%`` or ``+`` are already decoded.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

import polars as pl

from edgeguard.logs.patterns import (
    AUTH_FAILURES,
    CREDENTIAL_METHODS,
    FLOOD_KEY,
    PATH_SHAPE,
    PAYLOAD_PATTERNS,
    PAYLOAD_PREFILTER,
    PROBE_STATUSES,
    SCANNERS,
    STATIC,
    login_path_pattern,
)
from edgeguard.logs.settings import DetectionSettings
from edgeguard.logs.textops import url_decode

OBSERVATION_SCHEMA: dict[Any, Any] = {
    "source": pl.String(),
    "client": pl.String(),
    "scenario": pl.String(),
    "ts": pl.Int64(),
    "n": pl.Int64(),
}
SAMPLE_SCHEMA: dict[Any, Any] = {
    "source": pl.String(),
    "client": pl.String(),
    "scenario": pl.String(),
    "sample": pl.String(),
}


def _target(decoded: bool) -> pl.Expr:
    """path?query, URL-decoded twice when ``decoded`` (plus as space in the query)."""
    path, query = pl.col("path"), pl.col("query")
    if decoded:
        path = url_decode(path, plus_is_space=False, passes=2)
        query = url_decode(query, plus_is_space=True, passes=2)
    separator = pl.when(pl.col("query") == "").then(pl.lit("")).otherwise(pl.lit("?"))
    return pl.concat_str([path, separator, query]).alias("target")


def events_by_scenario(frame: pl.DataFrame, settings: DetectionSettings) -> dict[str, pl.DataFrame]:
    """The rows that are events of each enabled scenario (columns of frame plus target)."""
    enabled = {s.name for s in settings.enabled}
    frame = frame.with_columns(pl.col("path").str.contains(STATIC).fill_null(False).alias("static"))
    events: dict[str, pl.DataFrame] = {}
    if "path_probing" in enabled:
        events["path_probing"] = frame.filter(
            pl.col("status").is_in(PROBE_STATUSES) & ~pl.col("static")
        )
    if "request_flood" in enabled:
        counted = ~pl.col("static") & (pl.col("status") != 304)
        minimum = settings.get("request_flood").track_min_per_file
        if minimum > 1:
            # Count per client on a narrow hash column first; copy only heavy clients' rows.
            hashes = frame.select(pl.col("client").hash().alias("h"), counted.alias("m"))
            heavy = (
                hashes.filter(pl.col("m")).group_by("h").len().filter(pl.col("len") >= minimum)
            )["h"]
            rows = frame.filter(hashes["m"] & hashes["h"].is_in(heavy.implode()))
        else:
            rows = frame.filter(counted)
        # An event is a repeat: a request whose method and path (query ignored, so a
        # cache-busting parameter does not hide it) the client already sent in the
        # same second. One URL at 25/s gives 24 events a second; 30 distinct resources a
        # second, or an office's users reading different pages, give next to none.
        events["request_flood"] = rows.filter(~pl.struct(FLOOD_KEY).is_first_distinct())
    if "scanner_user_agent" in enabled:
        # Few distinct user agents in any log: match those (decoded), then select their rows.
        agents = frame["ua"].unique()
        decoded = agents.to_frame().select(url_decode(pl.col("ua"), plus_is_space=False))["ua"]
        scanners = agents.filter(decoded.str.contains(SCANNERS).fill_null(False))
        events["scanner_user_agent"] = frame.filter(pl.col("ua").is_in(scanners.implode()))
    if "auth_bruteforce" in enabled:
        failed = pl.col("status").is_in(AUTH_FAILURES) & ~pl.col("static")
        credential = pl.col("method").is_in(CREDENTIAL_METHODS)
        paths = settings.get("auth_bruteforce").paths
        if paths:
            credential = credential | pl.col("path").str.contains(login_path_pattern(paths))
        events["auth_bruteforce"] = frame.filter(failed).filter(credential)
    if "waf_blocked" in enabled:
        events["waf_blocked"] = frame.filter(pl.col("blocked"))
    payload = [name for name in PAYLOAD_PATTERNS if name in enabled]
    if payload:
        candidates = frame.filter(
            pl.col("path").str.contains(PAYLOAD_PREFILTER)
            | pl.col("query").str.contains(PAYLOAD_PREFILTER)
        ).with_columns(_target(decoded=True))
        candidates = candidates.with_columns(
            [
                pl.col("target").str.contains(PAYLOAD_PATTERNS[n]).fill_null(False).alias(n)
                for n in payload
            ]
        )
        for name in payload:
            events[name] = candidates.filter(pl.col(name)).drop(payload)
    return events


# Called with (source, scenario, events): the rows observe counted for the tracked
# clients of one scenario in one file (see ``observe``).
Witness = Callable[[str, str, pl.DataFrame], None]


def observe(
    frame: pl.DataFrame, settings: DetectionSettings, source: str, witness: Witness | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-second event counts and one sample per (client, scenario) worth tracking.

    ``frame`` has ``frame.SCHEMA`` columns. Returns (observations with
    ``OBSERVATION_SCHEMA``: source, client, scenario, ts in epoch seconds, n events in
    that second; samples with ``SAMPLE_SCHEMA``: one decoded request of at most 200
    characters per client and scenario). IPv6 clients are keyed by their /64. A client
    is kept only with at least the scenario's ``track_min_per_file`` events in this frame.

    ``witness``, when given, is called once per scenario with tracked clients, with the
    source, the scenario name and exactly the event rows counted for them (``frame.SCHEMA``
    columns, IPv6 clients as their /64, plus ``target``: the decoded path?query);
    ``edgeguard replay --report`` keeps its evidence this way. Its errors propagate.
    """
    if frame.is_empty():
        return pl.DataFrame(schema=OBSERVATION_SCHEMA), pl.DataFrame(schema=SAMPLE_SCHEMA)
    frame = _client_keys(frame)
    observations, samples = [], []
    for name, matched in events_by_scenario(frame, settings).items():
        events = matched
        scenario = settings.get(name)
        if events.height < scenario.track_min_per_file:
            continue
        if scenario.track_min_per_file > 1:
            # Cheap pre-count on a hash of the client: only heavy clients go on.
            counts = events.group_by(pl.col("client").hash().alias("h")).len()
            heavy = counts.filter(pl.col("len") >= scenario.track_min_per_file)["h"]
            events = events.filter(pl.col("client").hash().is_in(heavy.implode()))
            if events.is_empty():
                continue
        if name == "path_probing":
            # Distinct path shapes: /api/items/123 and /api/items/456 are one path.
            events = (
                events.with_columns(
                    pl.col("path")
                    .str.to_lowercase()
                    .str.replace_all(PATH_SHAPE, "#")
                    .alias("shape")
                )
                .sort("ts")
                .unique(subset=["client", "shape"], keep="first", maintain_order=True)
            )
        per_second = events.group_by("client", "ts").agg(pl.len().cast(pl.Int64).alias("n"))
        totals = per_second.group_by("client").agg(pl.col("n").sum().alias("total"))
        tracked = totals.filter(pl.col("total") >= scenario.track_min_per_file).select("client")
        if tracked.is_empty():
            continue
        observations.append(
            per_second.join(tracked, on="client").select(
                pl.lit(source).alias("source"),
                "client",
                pl.lit(name).alias("scenario"),
                "ts",
                "n",
            )
        )
        mine = events.join(tracked, on="client")
        if "target" not in mine.columns:
            mine = mine.with_columns(_target(decoded=True))
        if witness is not None:
            witness(source, name, mine)
        sample = pl.col("target")
        if name == "scanner_user_agent":
            sample = url_decode(pl.col("ua"), plus_is_space=False)
        elif name in {"request_flood", "auth_bruteforce"}:
            sample = pl.format("{} {}", pl.col("method"), pl.col("target"))
        samples.append(
            mine.group_by("client")
            .agg(sample.sort_by("ts").first().str.slice(0, 200).alias("sample"))
            .select(
                pl.lit(source).alias("source"), "client", pl.lit(name).alias("scenario"), "sample"
            )
        )
    if not observations:
        return pl.DataFrame(schema=OBSERVATION_SCHEMA), pl.DataFrame(schema=SAMPLE_SCHEMA)
    return (
        pl.concat(observations).cast(OBSERVATION_SCHEMA),
        pl.concat(samples).cast(SAMPLE_SCHEMA),
    )


def _client_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """IPv6 clients are aggregated per /64 (one subscriber); IPv4 per address."""
    clients = frame["client"]
    v6 = clients.filter(clients.str.contains(":", literal=True)).unique()
    if v6.is_empty():
        return frame
    mapping = {}
    for text in v6.to_list():
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            continue
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            mapping[text] = str(address.ipv4_mapped)
        else:
            mapping[text] = str(ipaddress.ip_network(f"{address}/64", strict=False))
    return frame.with_columns(pl.col("client").replace(mapping))
