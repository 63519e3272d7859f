"""Run every benchmark module in BENCHMARKS and print its figures as a table."""

from __future__ import annotations

import importlib
import sys
import time

# Each module exposes run() -> list[tuple[str, str]] (figure name, value with unit).
BENCHMARKS = (
    "bench.alerts",
    "bench.decisions",
    "bench.blocklist",
    "bench.findings",
    "bench.response",
    "bench.localcloud",
    "bench.replay",
    "bench.detection",
    "bench.hunt",
    "bench.sizes",
)


def main() -> int:
    only = sys.argv[1:]
    for name in BENCHMARKS:
        if only and not any(part in name for part in only):
            continue
        started = time.perf_counter()
        rows = importlib.import_module(name).run()
        print(f"\n{name}  ({time.perf_counter() - started:.1f}s)")
        width = max(len(label) for label, _ in rows)
        for label, value in rows:
            print(f"  {label:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
