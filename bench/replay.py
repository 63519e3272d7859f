"""`edgeguard replay` throughput on a realistic 1,000,000-line CloudFront log.

The file (about 450 MB of text, 85 MB gzip: unique request ids, full user agents,
benign visitors, an office NAT, an API client, a crawler and seven attackers) is
generated once under .bench/. Figures: the whole `edgeguard replay` process
(interpreter start, imports, decompression, parsing, every scenario, output),
beside the floor: libdeflate alone decompressing the same file (the fastest
single-threaded inflate; replay hands the gzip to polars, which inflates it while
its other threads parse), and zlib for comparison. Wall time on a shared machine
varies; CPU time (user + system) is printed too.
"""

from __future__ import annotations

import gzip
import os
import resource
import subprocess
import sys
import time

from bench.cloudfront_sample import cached, cached_many, cached_v2

LINES = 1_000_000
RUNS = 3


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run() -> list[tuple[str, str]]:
    path = cached(LINES)
    raw = path.read_bytes()
    rows = [("sample", f"{path} ({len(raw) / 1e6:.0f} MB gzip)")]

    import deflate  # noqa: PLC0415

    started = time.perf_counter()
    text = deflate.gzip_decompress(raw)
    floor = time.perf_counter() - started
    rows.append(("text size", f"{len(text) / 1e6:.0f} MB, {len(text) / LINES:.0f} bytes/line"))
    del text
    started = time.perf_counter()
    gzip.decompress(raw)
    rows.append(("zlib decompress only", f"{time.perf_counter() - started:.2f} s"))
    rows.append(("libdeflate decompress only (floor)", f"{floor:.2f} s"))

    best, cpu_best, decisions = _replay(path)
    rows.append(
        ("edgeguard replay, whole process", f"{best:.2f} s (best of {RUNS}), CPU {cpu_best:.2f} s")
    )
    rows.append(("replay throughput", f"{LINES / best:,.0f} lines/s"))
    rows.append(("decisions", str(decisions)))
    rows.append(("target", "<= 2.4 s (3x the 7.3 s reference parser)"))
    for output in ("json", "parquet"):
        v2 = cached_v2(LINES, output)
        took, cpu, found = _replay(v2)
        rows.append(
            (
                f"v2 {output}, same requests",
                f"{took:.2f} s, CPU {cpu:.2f} s, {LINES / took:,.0f} lines/s, "
                f"{found} decisions ({v2.stat().st_size / 1e6:.0f} MB)",
            )
        )
    one, cpu, _ = _replay(cached(SMALL_LINES))
    many_dir = cached_many(SMALL_LINES, SMALL_FILES)
    many, cpu_many, _ = _replay(many_dir)
    rows.append((f"{SMALL_LINES:,} lines in one file", f"{one:.2f} s, CPU {cpu:.2f} s"))
    rows.append(
        (
            f"same in {SMALL_FILES} small files",
            f"{many:.2f} s, CPU {cpu_many:.2f} s ({many / one:.1f}x one file; goal <= 2x)",
        )
    )
    return rows


SMALL_LINES, SMALL_FILES = 200_000, 700


def _replay(path: object) -> tuple[float, float, int]:
    """Best whole-process ``edgeguard replay`` time of RUNS, its CPU time, decisions."""
    command = [sys.executable, "-m", "edgeguard_tools", "replay", str(path)]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    best, cpu_best, decisions = float("inf"), 0.0, 0
    for _ in range(RUNS):
        cpu_before = _child_cpu()
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        elapsed = time.perf_counter() - started
        if elapsed < best:
            best, cpu_best = elapsed, _child_cpu() - cpu_before
            decisions = len(done.stdout.splitlines())
    return best, cpu_best, decisions


if __name__ == "__main__":
    for label, value in run():
        print(f"{label:<36} {value}")
    sys.exit(0)
