"""The detection scenarios as one Athena SQL query (Trino dialect, Athena engine v3).

Generated from the same ``DetectionSettings`` (capacities, drains, login paths) and the
same patterns (``logs.patterns``) as the Lambda analyzer, so a tuning change applies to
both. Plain Python: no SQL library is needed at run time (the scheduled hunt function
generates its query in Lambda); the tools parse it with a Trino-dialect parser in tests
and transpile it to DuckDB for ``edgeguard hunt --local``.

What the query computes, per (source, client, scenario) over the window [start, end):

1. the events, as ``logs.scenarios`` defines them (client: IPv4 address or IPv6 /64);
2. per second, the number of events (the analyzer's "observations");
3. the leaky bucket exactly as ``logs.bucket``: the level after second k is
   ``N_k - r t_k + max_{i<=k}(r t_i - N_{i-1})`` (Lindley's recursion unrolled), a
   running sum and a running max, i.e. two window functions; the client overflows at
   the first second whose level exceeds the capacity.

A finding is ``burst`` when the bucket overflowed (what the analyzer decides) or
``slow`` when, for the scenarios in ``SLOW_SCENARIOS``, the window holds more events
than the capacity while the bucket never overflowed: a prober that stays under the
drain, which no per-file analysis can see. Where the query differs from the analyzer
by design (docs/hunt.md, "Window semantics"): distinct path shapes and same-second
repeats are counted over the whole window instead of per log file; no per-file
tracking threshold; no two-day state limit.

Result columns (``COLUMNS``): source, client, scenario, kind, events, first_seen,
last_seen, overflow_at (epoch seconds; null for a slow finding), peak (the highest
bucket level), sample (one request as logged).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from edgeguard.errors import EdgeguardError
from edgeguard.hunt.sources import ADDRESS, Source
from edgeguard.logs.patterns import (
    AUTH_FAILURES,
    CREDENTIAL_METHODS,
    PATH_SHAPE,
    PAYLOAD_PATTERNS,
    PAYLOAD_PREFILTER,
    PROBE_STATUSES,
    SCANNERS,
    STATIC,
    login_path_pattern,
)
from edgeguard.logs.settings import DetectionSettings

COLUMNS = (
    "source",
    "client",
    "scenario",
    "kind",
    "events",
    "first_seen",
    "last_seen",
    "overflow_at",
    "peak",
    "sample",
)

#: Scenarios whose every event is an attack payload: more events than the capacity in
#: the window is a finding even when the bucket drained them (the slow prober). Volume
#: scenarios (floods, 4xx paths, failed logins) are left to the bucket: a month of a
#: busy client's ordinary 404s or mistyped passwords would exceed any small capacity.
SLOW_SCENARIOS = ("sensitive_files", "path_traversal", "sqli_probing", "xss_probing")

_GROUP = "source, client, scenario"
# A "%" not followed by two hex digits (group 1: what follows it, re-emitted).
_MALFORMED = "'%([^0-9A-Fa-f]|[0-9A-Fa-f][^0-9A-Fa-f]|[0-9A-Fa-f]?$)'"
_RUNNING = (
    f"OVER (PARTITION BY {_GROUP} ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
)


class QueryError(EdgeguardError, ValueError):
    """A hunt that cannot be written: no source, no scenario, an empty window."""


def literal(text: str) -> str:
    """``text`` as a SQL string literal (quotes doubled; control characters refused).

    Raises QueryError for a NUL or other control character, which no pattern needs.
    """
    if any(ord(c) < 0x20 for c in text):
        raise QueryError("a SQL literal cannot hold a control character")
    return "'" + text.replace("'", "''") + "'"


def _number(value: float) -> str:
    return f"CAST({float(value)!r} AS double)"


def _regex(pattern: str) -> str:
    # The patterns are Python regex text; the few control characters they hold literally
    # become \xHH escapes, which Java (Athena) and RE2 (DuckDB) read the same way.
    escaped = "".join(f"\\x{ord(c):02x}" if ord(c) < 0x20 else c for c in pattern)
    return literal(escaped)


def _decode_once(column: str) -> str:
    """One URL-decoding pass as ``logs.textops.url_decode`` does it: ``%XX`` of printable
    ASCII decodes, of a control character becomes a space, of a byte above 0x7F stays
    encoded, and ``+`` stays ``+``. ``url_decode`` (Java's URLDecoder in Athena) decodes
    everything, so the other escapes are rewritten first; a value with a malformed escape
    (``%zz``) makes it fail, and then the value stays as it was (``try``).
    """
    protected = column
    for digit in "89abcdefABCDEF":
        protected = f"replace({protected}, '%{digit}', '%25{digit}')"
    protected = f"regexp_replace({protected}, '%[01][0-9A-Fa-f]|%7[Ff]', '%20')"
    for _ in range(2):  # twice: a match consumes the character after a lone "%"
        protected = f"regexp_replace({protected}, {_MALFORMED}, '%25$1')"
    protected = f"replace({protected}, '+', '%2B')"
    # Text without "%" decodes to itself: most agents and paths skip the work.
    return (
        f"CASE WHEN strpos({column}, '%') = 0 THEN {column} "
        f"ELSE coalesce(try(url_decode({protected})), {column}) END"
    )


def _client_key() -> str:
    """IPv4 as is; IPv4-mapped IPv6 as the IPv4 address; other IPv6 as its /64 text."""
    return (
        "CASE WHEN strpos(client, ':') = 0 THEN client "
        "WHEN lower(client) LIKE '::ffff:%.%' THEN substr(client, 8) "
        "ELSE coalesce(try(CAST(ip_prefix(client, 64) AS varchar)), client) END"
    )


def _in(values: Iterable[object]) -> str:
    return ", ".join(literal(v) if isinstance(v, str) else str(v) for v in values)


def _events(settings: DetectionSettings, names: list[str]) -> list[str]:
    """One SELECT per scenario: (source, client, scenario, ts, n, sample) rows."""
    wanted = set(names)
    parts: list[str] = []
    shown = "path || CASE WHEN query = '' THEN '' ELSE '?' || query END"
    if "path_probing" in wanted:
        shape = f"regexp_replace(lower(path), {_regex(PATH_SHAPE)}, '#')"
        parts.append(
            "SELECT source, client, 'path_probing' AS scenario, ts, count(*) AS n, "
            "min(sample) AS sample FROM ("
            f"SELECT source, client, min(ts) AS ts, min_by({shown}, ts) AS sample "
            f"FROM requests WHERE status IN ({_in(PROBE_STATUSES)}) AND NOT static "
            f"GROUP BY source, client, {shape}) GROUP BY source, client, ts"
        )
    if "request_flood" in wanted:
        # A repeat of (method, path) by the client within the same second; query ignored.
        parts.append(
            "SELECT source, client, 'request_flood' AS scenario, ts, count(*) - 1 AS n, "
            "min(method || ' ' || " + shown + ") AS sample FROM requests "
            "WHERE NOT static AND status <> 304 GROUP BY source, client, ts, method, path "
            "HAVING count(*) > 1"
        )
    if "scanner_user_agent" in wanted:
        parts.append(
            "SELECT r.source, r.client, 'scanner_user_agent' AS scenario, r.ts, count(*) AS n, "
            "min(s.agent) AS sample FROM requests r JOIN scanners s ON r.ua = s.ua "
            "GROUP BY r.source, r.client, r.ts"
        )
    if "auth_bruteforce" in wanted:
        credential = f"method IN ({_in(CREDENTIAL_METHODS)})"
        paths = settings.get("auth_bruteforce").paths
        if paths:
            credential = f"({credential} OR regexp_like(path, {_regex(login_path_pattern(paths))}))"
        parts.append(
            "SELECT source, client, 'auth_bruteforce' AS scenario, ts, count(*) AS n, "
            f"min(method || ' ' || {shown}) AS sample FROM requests "
            f"WHERE status IN ({_in(AUTH_FAILURES)}) AND NOT static AND {credential} "
            "GROUP BY source, client, ts"
        )
    if "waf_blocked" in wanted:
        parts.append(
            "SELECT source, client, 'waf_blocked' AS scenario, ts, count(*) AS n, "
            f"min(method || ' ' || {shown}) AS sample FROM requests WHERE blocked "
            "GROUP BY source, client, ts"
        )
    for name, pattern in PAYLOAD_PATTERNS.items():
        if name in wanted:
            parts.append(
                f"SELECT source, client, {literal(name)} AS scenario, ts, count(*) AS n, "
                f"min(target) AS sample FROM payloads WHERE regexp_like(target, {_regex(pattern)}) "
                "GROUP BY source, client, ts"
            )
    return parts


def hunt_query(
    settings: DetectionSettings,
    sources: list[Source],
    start: datetime,
    end: datetime,
    scenarios: Iterable[str] | None = None,
) -> str:
    """The Trino SQL of a hunt over ``sources`` for requests in [start, end).

    ``scenarios``: names to run (default: every enabled one). ``start``/``end`` are
    aware datetimes. Returns one SELECT with the ``COLUMNS`` result columns, ordered
    by decision time (overflow, else last event), client, scenario.

    Raises:
        QueryError: no source, no scenario to run, an unknown or disabled scenario
            named, or ``end`` not after ``start``.
    """
    if not sources:
        raise QueryError("no log table to hunt in")
    if end <= start:
        raise QueryError("the hunt window is empty (end is not after start)")
    enabled = [s.name for s in settings.enabled]
    names = enabled if scenarios is None else list(dict.fromkeys(scenarios))
    unknown = [n for n in names if n not in enabled]
    if unknown:
        raise QueryError(
            f"unknown or disabled scenario(s) {', '.join(unknown)}; enabled: {', '.join(enabled)}"
        )
    if not names:
        raise QueryError("no scenario to run")
    first, last = int(start.timestamp()), int(end.timestamp())
    union = " UNION ALL ".join(f"({s.select(start, end)})" for s in sources)
    ctes = [
        "requests AS (SELECT source, ts, "
        f"{_client_key()} AS client, method, path, query, status, ua, blocked, "
        f"coalesce(regexp_like(path, {_regex(STATIC)}), FALSE) AS static "
        f"FROM ({union}) WHERE ts >= {first} AND ts < {last} AND status IS NOT NULL "
        f"AND path IS NOT NULL AND regexp_like(coalesce(client, ''), {_regex(ADDRESS)}))"
    ]
    if "scanner_user_agent" in names:
        agent = _decode_once("ua")
        ctes.append(
            f"scanners AS (SELECT ua, {agent} AS agent FROM (SELECT DISTINCT ua FROM requests) "
            f"WHERE regexp_like({agent}, {_regex(SCANNERS)}))"
        )
    if any(name in PAYLOAD_PATTERNS for name in names):
        prefilter = _regex(PAYLOAD_PREFILTER)
        ctes.append(
            "decoded AS (SELECT source, client, ts, query, "
            f"{_decode_once('path')} AS p1, {_decode_once("replace(query, '+', ' ')")} AS q1 "
            f"FROM requests WHERE regexp_like(path, {prefilter}) "
            f"OR regexp_like(query, {prefilter}))"
        )
        ctes.append(
            "payloads AS (SELECT source, client, ts, "
            f"{_decode_once('p1')} || CASE WHEN query = '' THEN '' ELSE '?' || "
            f"{_decode_once('q1')} END AS target FROM decoded)"
        )
    events = " UNION ALL ".join(f"({part})" for part in _events(settings, names))
    ctes.append(
        "observations AS (SELECT source, client, scenario, ts, sum(n) AS n, "
        f"min(sample) AS sample FROM ({events}) GROUP BY source, client, scenario, ts)"
    )
    values = ", ".join(
        f"({literal(s.name)}, {_number(s.leak_per_second)}, {_number(s.capacity)})"
        for s in settings.enabled
        if s.name in names
    )
    ctes.append(f"params (scenario, rate, capacity) AS (VALUES {values})")
    ctes.append(
        "levels AS (SELECT o.source, o.client, o.scenario, o.ts, o.n, o.sample, p.rate, "
        "p.capacity, CAST(o.ts - min(o.ts) OVER (PARTITION BY o.source, o.client, o.scenario) "
        "AS double) AS t, CAST(sum(o.n) OVER (PARTITION BY o.source, o.client, o.scenario "
        "ORDER BY o.ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS double) AS cn "
        "FROM observations o JOIN params p ON o.scenario = p.scenario)"
    )
    ctes.append(
        "leveled AS (SELECT source, client, scenario, ts, n, sample, capacity, "
        f"cn - rate * t + max(rate * t - (cn - n)) {_RUNNING} AS level FROM levels)"
    )
    slow = [name for name in SLOW_SCENARIOS if name in names]
    slow_condition = f"(scenario IN ({_in(slow)}) AND sum(n) > max(capacity))" if slow else "FALSE"
    overflow = "min(CASE WHEN level > capacity THEN ts END)"
    ctes.append(
        f"verdicts AS (SELECT {_GROUP}, "
        f"CASE WHEN {overflow} IS NULL THEN 'slow' ELSE 'burst' END AS kind, "
        "sum(n) AS events, min(ts) AS first_seen, max(ts) AS last_seen, "
        f"{overflow} AS overflow_at, max(level) AS peak, min_by(sample, ts) AS sample "
        f"FROM leveled GROUP BY {_GROUP} HAVING {overflow} IS NOT NULL OR {slow_condition})"
    )
    return (
        "WITH " + ",\n".join(ctes) + f"\nSELECT {', '.join(COLUMNS)} FROM verdicts "
        "ORDER BY coalesce(overflow_at, last_seen), client, scenario, source"
    )
