"""One client's buckets over time as inline SVG: a panel per scenario, drawn in Python.

Each panel shows, in the scenario's colour, the events per time bin (bars), the bucket
level (a line: the highest level within the bin) and the scenario's threshold, its
capacity (a dashed line); a vertical line marks the second the bucket overflowed. All
text is escaped; the SVG carries no script and no style attribute (the report's
Content-Security-Policy allows neither).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

WIDTH = 880
PANEL = 110
TOP = 22
LEFT = 56
RIGHT = 16
AXIS = 26
MAX_BINS = 240
NICE_BINS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400)

# Okabe-Ito's colour-blind-safe palette, then two more.
COLOURS = {
    "request_flood": "#D55E00",
    "scanner_user_agent": "#0072B2",
    "auth_bruteforce": "#CC79A7",
    "path_probing": "#E69F00",
    "sensitive_files": "#009E73",
    "path_traversal": "#56B4E9",
    "sqli_probing": "#882255",
    "xss_probing": "#7A6A00",
    "waf_blocked": "#444444",
}
_SPARE = ("#117733", "#332288", "#AA4499", "#999933")


def colour(scenario: str) -> str:
    """The scenario's colour (the same on every chart and in the summary)."""
    if scenario in COLOURS:
        return COLOURS[scenario]
    return _SPARE[sum(scenario.encode()) % len(_SPARE)]


@dataclass(frozen=True)
class Series:
    """One scenario's bucket for one client: (epoch second, events, level after it) per
    second with events, the threshold (capacity), the overflow second if any, the drain."""

    scenario: str
    points: list[tuple[int, int, float]]
    capacity: float
    overflow: int | None
    rate: float = 0.0  # drain, events per second


def bin_seconds(span: int) -> int:
    """The smallest round bin width that draws ``span`` seconds in at most 240 bins."""
    for width in NICE_BINS:
        if span / width <= MAX_BINS:
            return width
    return NICE_BINS[-1] * (span // (NICE_BINS[-1] * MAX_BINS) + 1)


def _clock(epoch: float, with_date: bool = False) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")


def svg(client: str, series: list[Series]) -> str:
    """The chart of one client's scenarios (``series`` non-empty) as an SVG element."""
    start = min(p[0] for s in series for p in s.points)
    end = max(p[0] for s in series for p in s.points)
    width = bin_seconds(max(end - start, 1) + 1)
    start -= start % width
    end = end - end % width + width
    plot = WIDTH - LEFT - RIGHT

    def x(epoch: float) -> float:
        return LEFT + (epoch - start) / (end - start) * plot

    height = TOP + PANEL * len(series) + AXIS
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'data-client="{escape(client)}" data-bin-seconds="{width}">',
        f"<title>{escape(client)}: events per {width} s and bucket level by scenario</title>",
        f'<text x="{LEFT}" y="14" class="caption">{_clock(start, with_date=True)[:10]} UTC: '
        f"events per {width} s (bars), bucket level (line), threshold (dashed), "
        "decided (vertical)</text>",
    ]
    for index, one in enumerate(series):
        top = TOP + index * PANEL
        parts.append(_panel(one, top, width, end, x))
    # time axis under the last panel
    axis_y = TOP + PANEL * len(series)
    parts.append(
        f'<line x1="{LEFT}" y1="{axis_y}" x2="{WIDTH - RIGHT}" y2="{axis_y}" stroke="#888"/>'
    )
    ticks = 6
    for i in range(ticks + 1):
        epoch = start + (end - start) * i / ticks
        anchor = "start" if i == 0 else "end" if i == ticks else "middle"
        parts.append(
            f'<text x="{x(epoch):.1f}" y="{axis_y + 16}" text-anchor="{anchor}" '
            f'class="tick">{_clock(epoch)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _level_path(
    bins: list[tuple[int, list[float]]],
    *,
    rate: float,
    width: int,
    end: int,
    x: Callable[[float], float],
    y: Callable[[float], float],
) -> str:
    """The level as the bucket lives it: up by each bin's events, draining in between
    (at ``rate`` per second, never below zero), and draining after the last events."""
    moves = [f"M{x(bins[0][0]):.1f},{y(0):.1f}"]
    previous: tuple[float, float] | None = None
    for slot, (_n, level) in [*bins, (end, [0, -1.0])]:
        if previous is not None:
            at, height = previous
            empty_at = at + height / rate if rate > 0 else float("inf")
            if empty_at < slot:
                moves.append(f"L{x(empty_at):.1f},{y(0):.1f} L{x(slot):.1f},{y(0):.1f}")
            else:
                moves.append(f"L{x(slot):.1f},{y(height - rate * (slot - at)):.1f}")
        if level < 0:
            break
        moves.append(f"L{x(slot):.1f},{y(level):.1f}")
        previous = (slot + width, level) if width > 1 else (slot + 1, level)
        moves.append(f"L{x(previous[0]):.1f},{y(level):.1f}")
    return " ".join(moves)


def _panel(one: Series, top: float, width: int, end: int, x: Callable[[float], float]) -> str:
    bins: dict[int, list[float]] = {}
    for ts, n, level in one.points:
        cell = bins.setdefault(ts - ts % width, [0, 0.0])
        cell[0] += n
        cell[1] = max(cell[1], level)
    highest = max(one.capacity, 1.0, *(v[0] for v in bins.values()), *(v[1] for v in bins.values()))
    scale_top = highest * 1.15
    inner = PANEL - 18

    def y(value: float) -> float:
        return top + inner - value / scale_top * inner

    hue = colour(one.scenario)
    name = escape(one.scenario)
    bar = max((x(width) - x(0)) - 1, 1.0)
    parts = [f'<g class="panel" data-scenario="{name}">']
    parts.append(f'<text x="{LEFT}" y="{top + 10}" class="panel-title" fill="{hue}">{name}</text>')
    parts.append(
        f'<line x1="{LEFT}" y1="{y(0):.1f}" x2="{WIDTH - RIGHT}" y2="{y(0):.1f}" stroke="#ccc"/>'
    )
    parts.append(f'<text x="{LEFT - 6}" y="{y(0):.1f}" text-anchor="end" class="tick">0</text>')
    parts.append(
        f'<text x="{LEFT - 6}" y="{y(highest) + 4:.1f}" text-anchor="end" class="tick">'
        f"{highest:.4g}</text>"
    )
    parts.append(f'<g class="bars" fill="{hue}" fill-opacity="0.3">')
    for slot, (count, _level) in sorted(bins.items()):
        parts.append(
            f'<rect x="{x(slot):.1f}" y="{y(count):.1f}" width="{bar:.1f}" '
            f'height="{y(0) - y(count):.1f}"><title>{_clock(slot)}: {count:g} event(s)</title>'
            "</rect>"
        )
    parts.append("</g>")
    path = _level_path(sorted(bins.items()), rate=one.rate, width=width, end=end, x=x, y=y)
    parts.append(
        f'<path class="series" data-scenario="{name}" d="{path}" fill="none" '
        f'stroke="{hue}" stroke-width="2"><title>{name}: bucket level</title></path>'
    )
    parts.append(
        f'<line class="threshold" data-scenario="{name}" data-capacity="{one.capacity:g}" '
        f'x1="{LEFT}" y1="{y(one.capacity):.1f}" x2="{WIDTH - RIGHT}" '
        f'y2="{y(one.capacity):.1f}" stroke="{hue}" stroke-dasharray="6 4" stroke-width="1.5">'
        f"<title>threshold: capacity {one.capacity:g}</title></line>"
    )
    parts.append(
        f'<text x="{WIDTH - RIGHT}" y="{y(one.capacity) - 4:.1f}" text-anchor="end" '
        f'class="tick" fill="{hue}">threshold {one.capacity:g}</text>'
    )
    if one.overflow is not None:
        at = x(one.overflow + 0.5) if width == 1 else x(one.overflow)
        parts.append(
            f'<line class="decided" data-scenario="{name}" x1="{at:.1f}" y1="{top + 14}" '
            f'x2="{at:.1f}" y2="{y(0):.1f}" stroke="{hue}" stroke-width="1.5">'
            f"<title>decided at {_clock(one.overflow, with_date=True)} UTC</title></line>"
        )
        parts.append(
            f'<text x="{at + 4:.1f}" y="{top + 24}" class="tick" fill="{hue}">'
            f"decided {_clock(one.overflow)}</text>"
        )
    parts.append("</g>")
    return "".join(parts)
