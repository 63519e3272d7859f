"""The evidence ``edgeguard replay --report`` keeps is bounded and is the deciding lines."""

from __future__ import annotations

from datetime import timedelta

from edgeguard.decisions import MemoryStore
from edgeguard.logs.analyzer import Replay
from edgeguard.logs.reader import read_log
from edgeguard.logs.settings import DetectionSettings
from edgeguard_tools import log_samples as samples
from edgeguard_tools.cli import main
from edgeguard_tools.report.evidence import FIELD_CHARS, Evidence
from edgeguard_tools.report.page import render
from tests.report_support import FLOODER, INJECTOR, SCRIPT_QUERY, T0, write_logs

SCANNER = "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)"


def replay_of(bodies, **bounds):
    settings = DetectionSettings()
    evidence = Evidence(settings, **bounds)
    replay = Replay(settings, witness=evidence)
    for body in bodies:
        replay.add_bytes(body)
    return replay, evidence


def test_flood_keeps_the_last_lines_up_to_the_deciding_second_only(tmp_path):
    paths = write_logs(tmp_path)
    replay, evidence = replay_of([p.read_bytes() for p in paths], lines_per_key=5)
    outcomes = replay.decide(MemoryStore())
    flood = next(o.verdict for o in outcomes if o.verdict.scenario == "request_flood")
    lines = evidence.deciding_lines("cloudfront", FLOODER, "request_flood")
    assert len(lines) == 5
    # the flood goes on into the second file for another minute: none of that is kept
    assert {line.ts for line in lines} == {int(flood.overflow_at.timestamp())}
    assert evidence.overflow["cloudfront|" + FLOODER + "|request_flood"] == int(
        flood.overflow_at.timestamp()
    )


def test_injector_lines_stop_at_the_third_probe_that_decided(tmp_path):
    paths = write_logs(tmp_path)
    replay, evidence = replay_of([p.read_bytes() for p in paths])
    outcomes = replay.decide(MemoryStore())
    xss = next(o.verdict for o in outcomes if o.verdict.scenario == "xss_probing")
    lines = evidence.deciding_lines("cloudfront", INJECTOR, "xss_probing")
    assert [line.ts - int(T0.timestamp()) for line in lines] == [120, 127, 134]
    assert lines[-1].ts == int(xss.overflow_at.timestamp())
    assert lines[0].target == f"/search?q={SCRIPT_QUERY}"


def test_key_bound_drops_lines_not_decisions_and_says_so():
    lines = [
        samples.cloudfront_line(T0 + timedelta(seconds=i), f"203.0.113.{i + 1}", "/", ua=SCANNER)
        for i in range(3)
    ]
    replay, evidence = replay_of([samples.cloudfront_object(lines)], max_keys=1)
    outcomes = replay.decide(MemoryStore())
    assert len(outcomes) == 3  # every scanner is still decided
    kept = [
        evidence.deciding_lines("cloudfront", f"203.0.113.{i + 1}", "scanner_user_agent")
        for i in range(3)
    ]
    # decided keys are never evicted: one keeps its line, the other two get none
    assert sorted(len(k) for k in kept) == [0, 0, 1]
    assert evidence.evicted == 0
    page = render(replay, evidence, outcomes, [])
    assert page.count("no lines kept (evidence bound reached") == 2
    assert "lines were not kept for 2 decision(s)" in page


def probes(ip: str, count: int, start_second: int) -> list[str]:
    return [
        samples.cloudfront_line(
            T0 + timedelta(seconds=start_second + i), ip, f"/probe-{chr(97 + i)}", 404
        )
        for i in range(count)
    ]


def test_far_clients_get_no_lines_and_a_decision_evicts_the_least_near():
    # path_probing: capacity 30. 20 new 404 paths in a burst: two thirds full, near;
    # 3: a tenth, far (a browser's odd 404s); then a scanner is decided.
    body = samples.cloudfront_object(
        probes("198.51.100.20", 20, 0)
        + probes("198.51.100.3", 3, 0)
        + [samples.cloudfront_line(T0 + timedelta(seconds=40), "203.0.113.9", "/", ua=SCANNER)]
    )
    replay, evidence = replay_of([body], max_keys=1)
    assert evidence.deciding_lines("cloudfront", "198.51.100.3", "path_probing") == []
    assert evidence.deciding_lines("cloudfront", "198.51.100.20", "path_probing") == []
    assert evidence.evicted == 1  # the near prober made room for the decided scanner
    (line,) = evidence.deciding_lines("cloudfront", "203.0.113.9", "scanner_user_agent")
    assert line.ua == SCANNER
    assert [o.verdict.client for o in replay.decide(MemoryStore())] == ["203.0.113.9"]


def test_a_near_client_keeps_its_lines_while_there_is_room():
    replay, evidence = replay_of([samples.cloudfront_object(probes("198.51.100.20", 20, 0))])
    assert len(evidence.deciding_lines("cloudfront", "198.51.100.20", "path_probing")) == 20
    assert replay.decide(MemoryStore()) == []


def test_long_fields_are_cut_and_distinct_clients_counted_once_across_files():
    query = "q=" + "%3Cscript%3E" + "A" * 5000
    first = samples.cloudfront_object(
        [
            samples.cloudfront_line(
                T0, "203.0.113.9", "/search", 200, query, ua="sqlmap " + "B" * 900
            )
        ]
    )
    second = samples.cloudfront_object(
        [
            samples.cloudfront_line(T0 + timedelta(minutes=5), "203.0.113.9", "/"),
            samples.cloudfront_line(T0 + timedelta(minutes=5), "198.51.100.1", "/"),
        ]
    )
    settings = DetectionSettings()
    evidence = Evidence(settings)
    replay = Replay(settings, witness=evidence)
    for body in (first, second):
        parsed = read_log(body, "", "auto")
        replay.add(parsed)
        evidence.count_clients(parsed.frame)
    assert evidence.clients == 2
    (line,) = evidence.deciding_lines("cloudfront", "203.0.113.9", "scanner_user_agent")
    assert len(line.target) == FIELD_CHARS
    assert len(line.ua) == FIELD_CHARS


def test_report_escapes_log_text_and_pins_its_stylesheet(tmp_path):
    write_logs(tmp_path)
    out = tmp_path / "r.html"
    assert main(["replay", "--report", str(out), str(tmp_path)]) == 0
    page = out.read_text()
    assert "<script" not in page
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert "script-src 'none'" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page


def test_report_that_cannot_be_written_is_exit_1(tmp_path, capsys):
    write_logs(tmp_path)
    assert main(["replay", "--report", str(tmp_path / "no" / "r.html"), str(tmp_path)]) == 1
    assert "cannot write the report" in capsys.readouterr().err


def test_refused_verdicts_are_shown_as_refused_never_as_bans(tmp_path):
    write_logs(tmp_path)
    out = tmp_path / "r.html"
    assert main(["replay", "--allow", f"{FLOODER}/32", "--report", str(out), str(tmp_path)]) == 0
    page = out.read_text()
    assert "1 verdict(s) refused by the decision policy" in page
    (section,) = [s for s in page.split("<section") if f'data-client="{FLOODER}">' in s]
    assert "refused: " in section
    assert '<span class="tag ban">ban</span> <span class="muted">refused: ' in section
    assert "<b>2</b>decisions" in page
