"""What ``edgeguard replay --report`` keeps while it reads: bounded evidence per client.

The replay already keeps, for every client that reaches a scenario's per-file tracking
minimum (``track_min_per_file``), its events per second: the chart is drawn from those
(``Replay.observations``). This module adds, for the same tracked (source, client,
scenario) keys only:

- the last ``lines_per_key`` event rows up to and including the second the bucket
  overflowed (the lines that decided it); a key that has overflowed keeps no more;
- until it overflows, its events per second, to find that second (the same data and
  bucket code as the replay's own verdicts: ``bucket.evaluate``);
- a count of distinct client addresses over all lines (8 bytes per address).

Bounds: at most ``max_keys`` keys get lines (later keys are counted in ``keys_dropped``);
each line's fields are cut to ``FIELD_CHARS`` characters. A line takes at most 890 bytes,
a key's ring at most about 18.4 KB, so with the defaults (20 lines, 2,000 keys, 300
characters) the lines take at most about 37 MB; on the 200,000-line bench hour, 0.55 MB
(see docs/report.md). The per-second counts of keys not yet decided are as large as the
replay's own observations of them (0.1 MB there).

Files are read in name order; CloudFront and ALB name their files by time, so that is
log-time order. Should a file older than an overflow come later, its lines for that key
are not kept (the overflow second, computed over every file, is still exact).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import polars as pl

from edgeguard.logs.bucket import evaluate
from edgeguard.logs.scenarios import OBSERVATION_SCHEMA
from edgeguard.logs.settings import DetectionSettings
from edgeguard.logs.state import key_of
from edgeguard.logs.textops import url_decode

LINES_PER_KEY = 20
MAX_KEYS = 2_000
FIELD_CHARS = 300


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
    keys_dropped: int = 0
    lines: dict[str, deque[Line]] = field(default_factory=dict)
    overflow: dict[str, int] = field(default_factory=dict)
    _counts: dict[str, dict[int, int]] = field(default_factory=dict)
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
        self._find_overflows(set(open_keys.values()))
        rows = (
            events.select(
                "client",
                "ts",
                "method",
                pl.col("target").str.slice(0, FIELD_CHARS),
                "status",
                url_decode(pl.col("ua"), plus_is_space=False).str.slice(0, FIELD_CHARS),
                "blocked",
            )
            .with_columns(pl.col("client").replace_strict(open_keys).alias("key"))
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
            ring = self.lines.get(key)
            if ring is None:
                if len(self.lines) >= self.max_keys:
                    self.keys_dropped += 1
                    self.lines[key] = deque(maxlen=0)
                    continue
                ring = self.lines[key] = deque(maxlen=self.lines_per_key)
            ring.append(Line(ts, method, target, status, ua, bool(blocked)))

    def _find_overflows(self, keys: set[str]) -> None:
        rows = [
            (key, ts, n)
            for key in keys
            for ts, n in sorted(self._counts[key].items())  # a key's seconds, in order
        ]
        frame = pl.DataFrame(
            {
                "source": [k.split("|", 2)[0] for k, _, _ in rows],
                "client": [k.split("|", 2)[1] for k, _, _ in rows],
                "scenario": [k.split("|", 2)[2] for k, _, _ in rows],
                "ts": [ts for _, ts, _ in rows],
                "n": [n for _, _, n in rows],
            },
            schema=OBSERVATION_SCHEMA,
        )
        for verdict in evaluate(frame, self.settings):
            key = key_of(verdict.source, verdict.client, verdict.scenario)
            self.overflow[key] = int(verdict.overflow_at.timestamp())
            del self._counts[key]  # decided: its seconds are not needed any more

    def deciding_lines(self, source: str, client: str, scenario: str) -> list[Line]:
        """The kept lines of one key, oldest first (empty when none were kept)."""
        return list(self.lines.get(key_of(source, client, scenario), ()))
