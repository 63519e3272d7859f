"""How long the local cloud takes to start and to deliver, and how fast patterns match."""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")

from edgeguard.notify.alert import Alert, publish
from edgeguard_tools.events import load_event
from edgeguard_tools.local.cloud import LocalCloud
from edgeguard_tools.local.patterns import matches


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def run() -> list[tuple[str, str]]:
    rows = []
    starts, stops = [], []
    for _ in range(5):
        started = time.perf_counter()
        cloud = LocalCloud(quiet=True).__enter__()
        starts.append(time.perf_counter() - started)
        started = time.perf_counter()
        cloud.__exit__(None, None, None)
        stops.append(time.perf_counter() - started)
    rows.append(("LocalCloud start, first in process", _ms(starts[0])))
    rows.append(("LocalCloud start, median of next 4", _ms(statistics.median(starts[1:]))))
    rows.append(("LocalCloud stop, median", _ms(statistics.median(stops))))

    with LocalCloud(quiet=True) as cloud:
        sns = cloud.client("sns")
        topic = cloud.resource("AlertsTopic")
        publish(sns, topic, Alert("warm", "warm-up"))
        times = []
        for index in range(20):
            started = time.perf_counter()
            publish(sns, topic, Alert("bench", f"alert {index}", "low"))
            times.append(time.perf_counter() - started)
        rows.append(
            ("alert publish -> notifier -> Telegram, median", _ms(statistics.median(times)))
        )

    event = load_event("securityhub_imported_cloudtrail_disabled")
    pattern = {
        "source": ["aws.securityhub"],
        "detail": {"findings": {"Types": [{"prefix": "TTPs/Defense Evasion/"}]}},
    }
    repeat = 20000
    started = time.perf_counter()
    for _ in range(repeat):
        matches(pattern, event)
    per_match = (time.perf_counter() - started) / repeat
    rows.append(("pattern match on detail.findings[].Types", f"{per_match * 1e6:,.1f} us/event"))
    return rows
