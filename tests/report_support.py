"""Log files for the replay report's tests: a flood, a scanner with script in its
requests, and ordinary visitors, as two CloudFront log files (5 minutes each)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from edgeguard_tools import log_samples as samples

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
FLOODER = "203.0.113.10"
INJECTOR = "203.0.113.20"
VISITOR = "198.51.100.8"
# What the injector sends, decoded: a script in the query and in its user agent.
SCRIPT_QUERY = "<script>window.__pwned=1</script>"
SCRIPT_UA = "sqlmap/1.8 <script>document.title='pwned'</script>"


def write_logs(directory: Path) -> list[Path]:
    """Two CloudFront files; returns their paths (14:00-14:05 and 14:05-14:10)."""
    first: list[str] = []
    second: list[str] = []
    # A flood of one URL at 25 requests/s for 2 minutes from 14:04: 24 repeats a second.
    for tick in range(120 * 25):
        when = T0 + timedelta(minutes=4, seconds=tick / 25)
        line = samples.cloudfront_line(when, FLOODER, "/api/search")
        (first if when < T0 + timedelta(minutes=5) else second).append(line)
    for i in range(6):
        first.append(
            samples.cloudfront_line(
                T0 + timedelta(minutes=2, seconds=i * 7),
                INJECTOR,
                "/search",
                200,
                "q=%3Cscript%3Ewindow.__pwned%3D1%3C/script%3E",
                ua=SCRIPT_UA,
            )
        )
    for i in range(300):
        line = samples.cloudfront_line(T0 + timedelta(seconds=i * 2), VISITOR, "/dashboard")
        (first if i * 2 < 300 else second).append(line)
    paths = []
    for name, lines in (("14-00", first), ("14-05", second)):
        path = directory / f"E2EXAMPLE.2026-11-20-{name}.abcd.gz"
        path.write_bytes(samples.cloudfront_object(sorted(lines)))
        paths.append(path)
    return paths
