"""`edgeguard hunt --local` on 1,000,000 and 10,000,000 lines of CloudFront v2 Parquet,
beside `edgeguard replay` on the same files: wall time, CPU time and peak memory of each
whole process.

The 1M file is ``bench.cloudfront_sample.cached_v2`` (Athena's column names); the 10M
set is that hour repeated over ten hours (times shifted), ten Parquet files. Both are
generated once under .bench/. Replay reads every file in one process; the hunt runs one
SQL query over all of them on DuckDB (its worker threads use both cores).
Run with ``make bench`` (or ``python -m bench hunt``); never in CI.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.cloudfront_sample import cached_v2

BENCH = Path(".bench")
START = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
END = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
# Replay of 10M lines takes minutes on the shared 2-core machine; set
# EDGEGUARD_BENCH_REPLAY_10M=0 to print only the hunt's figure.
REPLAY_10M = os.environ.get("EDGEGUARD_BENCH_REPLAY_10M", "1") != "0"


def hunt_cli(
    directory: Path, start: datetime, end: datetime, *extra: str
) -> tuple[int, list[dict[str, object]], str]:
    """``edgeguard hunt --local DIRECTORY --json`` over [start, end) plus ``extra``
    arguments, in process: (exit code, findings, stderr)."""
    from edgeguard_tools.cli import main  # noqa: PLC0415

    out, err = io.StringIO(), io.StringIO()
    arguments = ["hunt", "--local", str(directory), "--json"]
    arguments += ["--from", start.isoformat(), "--until", end.isoformat(), *extra]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(arguments)
    return code, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def hunt_local(directory: Path, start: datetime, end: datetime) -> list[dict[str, object]]:
    """The findings of ``hunt_cli``; RuntimeError when the command fails."""
    code, findings, err = hunt_cli(directory, start, end)
    if code != 0:
        raise RuntimeError(f"edgeguard hunt exited {code}: {err}")
    return findings


def _one_hour(lines: int) -> Path:
    directory = BENCH / f"hunt-{lines}"
    if not directory.exists():
        tmp = BENCH / f"hunt-{lines}.tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        (tmp / "E2EXAMPLE.2026-11-20-14.0.parquet").write_bytes(
            cached_v2(lines, "parquet").read_bytes()
        )
        tmp.rename(directory)
    return directory


def _ten_hours(lines: int) -> Path:
    """Ten files: the hour of ``cached_v2(lines)`` at 14:00, 15:00, ... 23:00."""
    import polars as pl  # noqa: PLC0415

    directory = BENCH / f"hunt-{lines * 10}"
    if not directory.exists():
        frame = pl.read_parquet(cached_v2(lines, "parquet"))
        stamp = pl.concat_str([pl.col("date"), pl.col("time")], separator=" ").str.to_datetime(
            "%Y-%m-%d %H:%M:%S"
        )
        tmp = BENCH / f"hunt-{lines * 10}.tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        for hour in range(10):
            shifted = stamp + pl.duration(hours=hour)
            frame.with_columns(
                shifted.dt.strftime("%Y-%m-%d").alias("date"),
                shifted.dt.strftime("%H:%M:%S").alias("time"),
            ).write_parquet(tmp / f"E2EXAMPLE.2026-11-20-{14 + hour:02d}.{hour}.parquet")
        tmp.rename(directory)
    return directory


# Peak memory is the child's own VmHWM (/proc/self/status): ru_maxrss would carry the
# bench process's high-water mark over fork and exec.
_CHILD = (
    "import sys\n"
    "from edgeguard_tools.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "peak = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
    "print('maxrss', peak, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _measure(arguments: list[str]) -> tuple[float, float, int, int]:
    """Whole-process (wall s, CPU s, peak RSS MB, stdout lines) of ``edgeguard ARGS``."""
    before = os.times()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *arguments], capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - started
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    rss = next(
        int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("maxrss")
    )
    return wall, cpu, rss // 1024, len(done.stdout.splitlines())


def run() -> list[tuple[str, str]]:
    one = _one_hour(1_000_000)
    ten = _ten_hours(1_000_000)
    window = ["--from", START.isoformat(), "--until", END.isoformat()]
    rows = []
    for label, directory, replay in (("1M", one, True), ("10M", ten, REPLAY_10M)):
        size = sum(p.stat().st_size for p in directory.iterdir())
        rows.append((f"{label}: data", f"{directory} ({size / 1e6:.0f} MB Parquet)"))
        wall, cpu, rss, found = _measure(["hunt", "--local", str(directory), *window])
        rows.append(
            (
                f"{label}: hunt --local",
                f"{wall:.1f} s wall, {cpu:.1f} s CPU, peak {rss:,} MB, {found} findings",
            )
        )
        if replay:
            wall_r, cpu_r, rss_r, found_r = _measure(["replay", str(directory)])
            rows.append(
                (
                    f"{label}: replay",
                    f"{wall_r:.1f} s wall, {cpu_r:.1f} s CPU, peak {rss_r:,} MB, "
                    f"{found_r} decisions",
                )
            )
        else:
            rows.append((f"{label}: replay", "skipped (EDGEGUARD_BENCH_REPLAY_10M=0)"))
    return rows


if __name__ == "__main__":
    for label, value in run():
        print(f"{label:<24} {value}")
    sys.exit(0)
