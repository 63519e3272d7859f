"""``edgeguard replay --report FILE.html``: one self-contained HTML page of the evidence.

The page has a summary (files, lines read and skipped, distinct clients, decisions by
scenario) and, per decided client, a chart of its buckets (``chart.svg``) and, per
decision, the lines that decided it (``evidence.Evidence``). Nothing is loaded from
anywhere: the CSS is inline, the chart is inline SVG, and there is no script at all.
Log text is attacker-controlled: Jinja2 escapes every value (autoescape), and the
page's Content-Security-Policy allows no script and only its own stylesheet (by hash),
so even a value that escaped escaping could not run.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from edgeguard.logs.analyzer import Outcome, Replay
from edgeguard.logs.bucket import levels
from edgeguard_tools.report.chart import Series, colour, svg
from edgeguard_tools.report.evidence import Evidence, Line

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("edgeguard_tools.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass
class DecisionView:
    """One verdict as the page shows it."""

    scenario: str
    colour: str
    action: str
    status: str
    source: str
    events: int
    first_seen: str
    last_seen: str
    decided_at: str
    expires_at: str
    duration: str
    strikes: int
    description: str
    lines: list[dict[str, Any]]
    lines_note: str


@dataclass
class ClientView:
    """One decided client: its chart and its decisions."""

    client: str
    chart: Markup
    value: str = ""
    decisions: list[DecisionView] = field(default_factory=list)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _hours(duration: timedelta) -> str:
    hours = duration.total_seconds() / 3600
    return f"{hours:g} h"


def _line_views(lines: list[Line], decided: int) -> list[dict[str, Any]]:
    """One row per run of identical lines (a flood's are), with how many it stands for."""
    rows: list[dict[str, Any]] = []
    previous: Line | None = None
    for line in lines:
        if line == previous:
            rows[-1]["repeat"] += 1
            continue
        rows.append(_line_view(line, decided))
        previous = line
    return rows


def _line_view(line: Line, decided: int | None) -> dict[str, Any]:
    return {
        "repeat": 1,
        "time": datetime.fromtimestamp(line.ts, UTC).strftime("%H:%M:%S"),
        "method": line.method,
        "target": line.target,
        "status": line.status or "",
        "ua": line.ua,
        "blocked": line.blocked,
        "deciding": decided is not None and line.ts == decided,
    }


def _charts(replay: Replay, clients: set[str]) -> dict[str, Markup]:
    observations = replay.observations()
    observations = observations.filter(observations["client"].is_in(list(clients)))
    if observations.is_empty():
        return {}
    frame = levels(observations, replay.settings)
    by_client: dict[str, list[Series]] = defaultdict(list)
    for (client, scenario), group in frame.group_by("client", "scenario", maintain_order=True):
        capacity = float(group["capacity"][0])
        over = group.filter(group["level"] > capacity)["ts"]
        by_client[str(client)].append(
            Series(
                scenario=str(scenario),
                points=list(group.select("ts", "n", "level").iter_rows()),
                capacity=capacity,
                overflow=int(over.min()) if len(over) else None,  # type: ignore[arg-type]
                rate=float(group["rate"][0]),
            )
        )
    return {
        client: Markup(svg(client, sorted(series, key=lambda s: s.scenario)))  # noqa: S704 - escaped in chart.svg
        for client, series in by_client.items()
    }


def render(
    replay: Replay,
    evidence: Evidence,
    outcomes: list[Outcome],
    unreadable: list[str],
    title: str = "edgeguard replay",
) -> str:
    """The report page as HTML text (see the module docstring)."""
    decided_clients = {o.verdict.client for o in outcomes}
    charts = _charts(replay, decided_clients)
    clients: dict[str, ClientView] = {}
    by_scenario: Counter[str] = Counter()
    refused = 0
    for outcome in outcomes:
        verdict, request, result = outcome.verdict, outcome.request, outcome.result
        decision = result.decision
        if decision is None:
            refused += 1
            status = f"refused: {result.reason}" if result.reason else "refused"
        else:
            by_scenario[verdict.scenario] += 1
            escalated = result.status == "created" and decision.strikes > 1
            status = "escalated" if escalated else result.status
        overflow = int(verdict.overflow_at.timestamp())
        kept = evidence.deciding_lines(verdict.source, verdict.client, verdict.scenario)
        note = (
            f"the last {len(kept)} of {verdict.events:,} event(s) up to the decision"
            if kept
            else "no lines kept (evidence bound reached; see docs/report.md)"
        )
        view = clients.setdefault(
            verdict.client,
            ClientView(verdict.client, charts.get(verdict.client, Markup(""))),
        )
        if decision is not None:
            view.value = decision.value
        view.decisions.append(
            DecisionView(
                scenario=verdict.scenario,
                colour=colour(verdict.scenario),
                action=request.action,
                status=status,
                source=verdict.source,
                events=verdict.events,
                first_seen=_stamp(verdict.first_seen),
                last_seen=_stamp(verdict.last_seen),
                decided_at=_stamp(verdict.overflow_at),
                expires_at=_stamp(decision.expires_at) if decision else "-",
                duration=_hours(decision.duration) if decision else "-",
                strikes=decision.strikes if decision else 0,
                description=replay.settings.get(verdict.scenario).description,
                lines=_line_views(kept, overflow),
                lines_note=note,
            )
        )
    summary = {
        "files": replay.files,
        "unreadable": unreadable,
        "lines": replay.lines,
        "parsed": replay.lines - replay.skipped,
        "skipped": replay.skipped,
        "clients": evidence.clients,
        "decided_clients": len(clients),
        "decisions": len(outcomes) - refused,
        "refused": refused,
        "by_scenario": [
            {"scenario": name, "colour": colour(name), "count": count}
            for name, count in sorted(by_scenario.items(), key=lambda item: (-item[1], item[0]))
        ],
        "bypass": sorted(replay.bypass.items()),
        "missing_lines": sum(1 for view in clients.values() for d in view.decisions if not d.lines),
    }
    css = resources.files(__package__).joinpath("templates/report.css").read_text("utf-8")
    # the swatches' colours are the charts' (chart.colour), one place for both
    css += "".join(
        f".scenario-{name} {{ background: {colour(name)}; }}\n"
        for name in sorted({s.name for s in replay.settings.scenarios})
    )
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return _ENV.get_template("report.html.j2").render(
        title=title,
        css=Markup(css),  # noqa: S704 - our own stylesheet, pinned by its hash in the CSP
        style_hash=f"sha256-{digest}",
        summary=summary,
        clients=list(clients.values()),
    )
