"""What ``edgeguard replay --report`` keeps while it reads: bounded evidence per client.

The replay already keeps, for every client that reaches a scenario's per-file tracking
minimum (``track_min_per_file``), its events per second: the chart is drawn from those
(``Replay.observations``). This module adds, for the same tracked (source, client,
scenario) keys only:

- the last ``lines_per_key`` event rows up to and including the second the bucket
  overflowed (the lines that decided it), once the key is near its threshold: its bucket
  has been at least ``near`` (half) full, or it overflowed. A key that has overflowed
  keeps no more;
- until it overflows, its events per second, to find that second and how near it came
  (the same data and bucket code as the replay's own verdicts: ``bucket.evaluate`` and
  ``bucket.levels``);
- a count of distinct client addresses over all lines (8 bytes per address).

Bounds: at most ``max_keys`` keys hold lines. When that many do, a key that comes nearer
(or is decided) takes the place of the least near undecided one (counted in ``evicted``);
decided keys are never evicted, so a decision can lack its lines only when ``max_keys``
decided keys already hold theirs. Each line's fields are cut to ``FIELD_CHARS``
characters: a line takes at most 890 bytes, a key's ring about 18.4 KB, so with the
defaults (20 lines, 2,000 keys, 300 characters) the lines take at most about 37 MB; on
the 200,000-line bench hour, 407 lines of 41 keys, 0.17 MB (see docs/report.md). The
per-second counts of keys not yet decided are as large as the replay's own observations
of them (0.1 MB there).

Files are read in name order; CloudFront and ALB name their files by time, so that is
log-time order. Should a file older than an overflow come later, its lines for that key
are not kept (the overflow second, computed over every file, is still exact).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import polars as pl

from edgeguard.logs.bucket import GROUP, evaluate, levels
from edgeguard.logs.scenarios import OBSERVATION_SCHEMA
from edgeguard.logs.settings import DetectionSettings
from edgeguard.logs.state import key_of, split_key
from edgeguard.logs.textops import url_decode

LINES_PER_KEY = 20
MAX_KEYS = 2_000
FIELD_CHARS = 300
NEAR = 0.5  # lines are kept for a key once its bucket has been half full


@dataclass(frozen=True, slots=True)
class Line:
    """One event row as the scenario saw it: epoch second, method, decoded path?query,
    status, decoded user agent, whether WAF blocked it. Attacker-controlled text."""

    ts: int
    method: str
    target: str
    status: int
    ua: str
    blocked: bool


@dataclass
class Evidence:
    """A ``Replay`` witness (``Replay(witness=evidence)``) and a client counter."""

    settings: DetectionSettings
    lines_per_key: int = LINES_PER_KEY
    max_keys: int = MAX_KEYS
    near: float = NEAR
    evicted: int = 0
    lines: dict[str, deque[Line]] = field(default_factory=dict)
    overflow: dict[str, int] = field(default_factory=dict)
    _counts: dict[str, dict[int, int]] = field(default_factory=dict)
    _nearness: dict[str, float] = field(default_factory=dict)
    _clients: pl.Series = field(default_factory=lambda: pl.Series("h", [], dtype=pl.UInt64))

    def count_clients(self, frame: pl.DataFrame) -> None:
        """Add one parsed file's client addresses to the distinct count (hashes only)."""
        hashes = frame["client"].hash().unique()
        self._clients = pl.concat([self._clients, hashes.rename("h")]).unique()

    @property
    def clients(self) -> int:
        """Distinct client addresses seen in every line read so far."""
        return self._clients.len()

    def __call__(self, source: str, scenario: str, events: pl.DataFrame) -> None:
        """Keep the deciding lines of one file's tracked clients for one scenario."""
        keys = {client: key_of(source, client, scenario) for client in events["client"].unique()}
        open_keys = {c: k for c, k in keys.items() if k not in self.overflow}
        if not open_keys:
            return
        events = events.filter(pl.col("client").is_in(list(open_keys))).sort("ts")
        per_second = events.group_by("client", "ts").len()
        for client, ts, n in per_second.iter_rows():
            seconds = self._counts.setdefault(open_keys[client], {})
            seconds[ts] = seconds.get(ts, 0) + n
        self._judge(set(open_keys.values()))
        wanted = {c: k for c, k in sorted(open_keys.items()) if self._admit(k)}
        if not wanted:
            return
        rows = (
            events.filter(pl.col("client").is_in(list(wanted)))
            .select(
                "client",
                "ts",
                "method",
                pl.col("target").str.slice(0, FIELD_CHARS),
                "status",
                url_decode(pl.col("ua"), plus_is_space=False).str.slice(0, FIELD_CHARS),
                "blocked",
            )
            .with_columns(pl.col("client").replace_strict(wanted).alias("key"))
            .with_columns(
                pl.col("key").replace_strict(self.overflow, default=None).alias("overflow")
            )
            .filter(pl.col("overflow").is_null() | (pl.col("ts") <= pl.col("overflow")))
            .group_by("key", maintain_order=True)
            .tail(self.lines_per_key)
        )
        for key, ts, method, target, status, ua, blocked in rows.select(
            "key", "ts", "method", "target", "status", "ua", "blocked"
        ).iter_rows():
            self.lines[key].append(Line(ts, method, target, status, ua, bool(blocked)))

    def _admit(self, key: str) -> bool:
        """Whether ``key`` gets (or has) a ring: decided, or near its threshold, and room
        for it (made by evicting the least near undecided key, never a decided one)."""
        if key in self.lines:
            return True
        nearness = math.inf if key in self.overflow else self._nearness.get(key, 0.0)
        if nearness < self.near:
            return False
        if len(self.lines) >= self.max_keys:
            undecided = [k for k in self.lines if k not in self.overflow]
            victim = min(undecided, key=lambda k: self._nearness.get(k, 0.0), default=None)
            if victim is None or self._nearness.get(victim, 0.0) >= nearness:
                return False
            del self.lines[victim]
            self.evicted += 1
        self.lines[key] = deque(maxlen=self.lines_per_key)
        return True

    def _judge(self, keys: set[str]) -> None:
        """Overflow second (decided keys) or nearness (peak level / capacity) of ``keys``,
        from all their seconds so far: ``bucket.evaluate`` and ``bucket.levels``."""
        rows = [
            (*split_key(key), ts, n)
            for key in keys
            for ts, n in sorted(self._counts[key].items())  # a key's seconds, in order
        ]
        frame = pl.DataFrame(rows, schema=OBSERVATION_SCHEMA, orient="row")
        for verdict in evaluate(frame, self.settings):
            key = key_of(verdict.source, verdict.client, verdict.scenario)
            self.overflow[key] = int(verdict.overflow_at.timestamp())
            del self._counts[key]  # decided: its seconds are not needed any more
            self._nearness.pop(key, None)
        peaks = (
            levels(frame, self.settings)
            .group_by(GROUP)
            .agg(pl.col("level").max().alias("peak"), pl.col("capacity").first())
        )
        for source, client, scenario, peak, capacity in peaks.iter_rows():
            key = key_of(source, client, scenario)
            if key not in self.overflow:
                self._nearness[key] = peak / capacity if capacity > 0 else math.inf

    def deciding_lines(self, source: str, client: str, scenario: str) -> list[Line]:
        """The kept lines of one key, oldest first (empty when none were kept)."""
        return list(self.lines.get(key_of(source, client, scenario), ()))
