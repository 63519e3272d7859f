"""``edgeguard replay --report``: the page, opened from file:// in headless Chromium.

No console error, the summary's figures, one chart series and threshold per scenario
of a client, the deciding lines; a script in a logged URI and user agent is shown as
text and never runs.
"""

from __future__ import annotations

import pytest

from edgeguard.logs.settings import DetectionSettings
from edgeguard_tools.cli import main
from tests.report_support import (
    FLOODER,
    INJECTOR,
    SCRIPT_QUERY,
    SCRIPT_UA,
    VISITOR,
    write_logs,
)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    base = tmp_path_factory.mktemp("report")
    (base / "logs").mkdir()
    write_logs(base / "logs")
    path = base / "report.html"
    assert main(["replay", "--report", str(path), str(base / "logs")]) == 0
    return path


@pytest.fixture(scope="module")
def page(browser, report):
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    opened = context.new_page()
    problems: list[str] = []
    opened.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    opened.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    # any network request at all (the page must be self-contained) is a problem too
    opened.on(
        "request",
        lambda r: problems.append(f"request: {r.url}") if r.url != report.as_uri() else None,
    )
    opened.goto(report.as_uri())
    opened.wait_for_load_state("load")
    yield opened, problems
    context.close()


def test_page_opens_without_console_errors_or_requests(page):
    opened, problems = page
    assert opened.title() == "edgeguard replay"
    assert problems == []


def test_summary_counts_files_lines_clients_and_decisions_by_scenario(page):
    opened, _ = page
    figure = lambda name: opened.inner_text(f"#figure-{name} b")  # noqa: E731
    assert figure("files") == "2"
    assert figure("lines") == f"{3000 + 6 + 300:,}"
    assert figure("skipped") == "0"
    assert figure("clients") == "3"
    rows = opened.eval_on_selector_all(
        "#by-scenario tbody tr",
        "rows => rows.map(r => [r.dataset.scenario, r.cells[1].textContent])",
    )
    assert sorted(rows) == [
        ["request_flood", "1"],
        ["scanner_user_agent", "1"],
        ["xss_probing", "1"],
    ]
    assert opened.locator(f'section.client[data-client="{VISITOR}"]').count() == 0


def test_chart_has_one_series_and_threshold_per_scenario(page):
    opened, _ = page
    settings = DetectionSettings()
    chart = opened.locator(f'section.client[data-client="{INJECTOR}"] svg.chart')
    assert chart.count() == 1
    series = chart.locator("path.series")
    assert sorted(series.evaluate_all("ps => ps.map(p => p.dataset.scenario)")) == [
        "scanner_user_agent",
        "xss_probing",
    ]
    thresholds = chart.locator("line.threshold").evaluate_all(
        "ls => ls.map(l => [l.dataset.scenario, Number(l.dataset.capacity)])"
    )
    assert sorted(thresholds) == [
        ["scanner_user_agent", settings.get("scanner_user_agent").capacity],
        ["xss_probing", settings.get("xss_probing").capacity],
    ]
    # every series is drawn: a real path with a visible extent
    for box in series.evaluate_all("ps => ps.map(p => p.getBBox().width)"):
        assert box > 0


def test_flood_chart_crosses_its_threshold_where_it_was_decided(page):
    opened, _ = page
    chart = opened.locator(f'section.client[data-client="{FLOODER}"] svg.chart')
    threshold = chart.locator('line.threshold[data-scenario="request_flood"]')
    assert threshold.get_attribute("data-capacity") == "480"
    # the level line rises above the dashed threshold (smaller y is higher on screen)
    level_top = chart.locator('path.series[data-scenario="request_flood"]').evaluate(
        "p => p.getBBox().y"
    )
    assert level_top < float(threshold.get_attribute("y1"))
    decided = chart.locator('line.decided[data-scenario="request_flood"]')
    assert decided.count() == 1
    # 24 repeats a second from 14:04:00, drain 8/s: after second k the level is
    # 24(k+1) - 8k = 16k + 24, above 480 from k = 29
    assert "decided 14:04:29" in chart.inner_html()


def test_deciding_lines_are_listed_with_the_deciding_second_marked(page):
    opened, _ = page
    flood = opened.locator(
        f'section.client[data-client="{FLOODER}"] .decision[data-scenario="request_flood"]'
    )
    # the 20 lines kept are the flood's identical repeats of the deciding second: one row
    rows = flood.locator("table.lines tbody tr")
    assert rows.count() == 1
    assert rows.last.get_attribute("class") == "deciding"
    assert rows.last.locator("td.repeat").inner_text() == "\u00d720"
    assert rows.last.locator("td.target").inner_text() == "/api/search"
    decided_at = flood.locator("table.facts").inner_text()
    assert "14:04:29" in decided_at
    assert rows.last.locator("td").first.inner_text() == "14:04:29"
    # the injector's xss lines: one per request, the last one at the deciding second
    xss = opened.locator(
        f'section.client[data-client="{INJECTOR}"] .decision[data-scenario="xss_probing"]'
    )
    times = xss.locator("table.lines tbody tr td:first-child").all_inner_texts()
    assert times == ["14:02:00", "14:02:07", "14:02:14"]
    assert "14:02:14" in xss.locator("table.facts").inner_text()


def test_script_in_uri_and_user_agent_is_text_and_never_runs(page):
    opened, _ = page
    section = opened.locator(f'section.client[data-client="{INJECTOR}"]')
    targets = section.locator('.decision[data-scenario="xss_probing"] td.target').all_inner_texts()
    assert targets and all(t == f"/search?q={SCRIPT_QUERY}" for t in targets)
    agents = section.locator('.decision[data-scenario="scanner_user_agent"] td.ua')
    assert SCRIPT_UA in agents.all_inner_texts()
    assert opened.evaluate("document.querySelectorAll('script').length") == 0
    assert opened.evaluate("typeof window.__pwned") == "undefined"
    assert opened.title() == "edgeguard replay"
