"""How fast alerts render for Telegram, including a long one that must be split."""

from __future__ import annotations

import json
import time

from edgeguard.notify.alert import Alert
from edgeguard.notify.telegram_format import render


def run() -> list[tuple[str, str]]:
    small = json.dumps(
        Alert("ban", "3 clients banned", "high", {"clients": ["203.0.113.7/32"]}).to_dict()
    )
    big_fields = {"clients": [f"198.51.100.{i % 256}/32" for i in range(5000)]}
    big = json.dumps(Alert("ban", "5000 clients banned", "high", big_fields).to_dict())
    rows = []
    for label, message, repeat in (("small alert", small, 5000), ("5,000-address alert", big, 20)):
        started = time.perf_counter()
        for _ in range(repeat):
            parts = render(message)
        per_call = (time.perf_counter() - started) / repeat
        rows.append((f"render {label}", f"{per_call * 1e6:,.0f} us/alert, {len(parts)} message(s)"))
    return rows
