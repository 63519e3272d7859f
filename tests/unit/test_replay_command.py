"""``edgeguard replay`` on local files: output lines, JSON, counts on stderr, exit codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from edgeguard_tools import log_samples as samples
from edgeguard_tools.cli import main

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def write_logs(tmp_path):
    cf = tmp_path / "logs" / "cloudfront"
    cf.mkdir(parents=True)
    sqli = [
        samples.cloudfront_line(
            T0 + timedelta(seconds=i), "203.0.113.5", "/search", 200, "q=1%27%20OR%20%271%27=%271"
        )
        for i in range(3)
    ]
    visitors = [
        samples.cloudfront_line(T0 + timedelta(seconds=i), "198.51.100.8", "/") for i in range(50)
    ]
    (cf / "E2EXAMPLE.2026-11-20-14.aaaa.gz").write_bytes(samples.cloudfront_object(sqli + visitors))
    plain = [
        samples.alb_line(
            T0 + timedelta(seconds=i),
            "203.0.113.6",
            "/",
            200,
            ua="Mozilla/5.0 (compatible; Nuclei - Open-source project "
            "(github.com/projectdiscovery/nuclei))",
        )
        for i in range(4)
    ]
    (tmp_path / "logs" / "alb.log").write_bytes(
        samples.alb_object([*plain, "broken line"], compress=False)
    )
    return tmp_path / "logs"


def test_replay_prints_one_decision_per_line(tmp_path, capsys):
    assert main(["replay", str(write_logs(tmp_path))]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 2
    # In log-time order of the decision: the scanner at its first request (14:00:00),
    # the SQL injection at its third (14:00:02).
    assert lines[0].startswith("ban 203.0.113.6/32 scanner_user_agent events=4 ")
    assert "expires_at=2026-11-21T14:00:00Z" in lines[0]
    assert lines[1].startswith("ban 203.0.113.5/32 sqli_probing events=3 ")
    assert "2 file(s), 58 lines, 57 parsed, 1 skipped; 2 decision(s)" in err
    assert "lines/s" in err


def test_replay_json_has_the_documented_fields(tmp_path, capsys):
    assert main(["replay", "--json", "--format", "auto", str(write_logs(tmp_path))]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    first = next(row for row in rows if row["scenario"] == "sqli_probing")
    assert {
        "value",
        "scope",
        "action",
        "scenario",
        "events",
        "first_seen",
        "last_seen",
        "expires_at",
    } <= set(first)
    assert (first["value"], first["scope"], first["action"]) == ("203.0.113.5/32", "ip", "ban")
    assert first["first_seen"] == "2026-11-20T14:00:00+00:00"
    assert first["last_seen"] == "2026-11-20T14:00:02+00:00"
    # Decided at the overflowing request (the third, at 14:00:02), banned for 24 h.
    assert first["expires_at"] == "2026-11-21T14:00:02+00:00"


def test_replay_config_and_allowlist(tmp_path, capsys):
    logs = write_logs(tmp_path)
    config = tmp_path / "overrides.json"
    config.write_text('{"scanner_user_agent": {"enabled": false}}')
    assert main(["replay", "--config", str(config), "--allow", "203.0.113.0/28", str(logs)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "1 refused" in err


def test_replay_reports_unreadable_input(tmp_path, capsys):
    bad = tmp_path / "x.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 10)
    assert main(["replay", str(bad), str(tmp_path / "missing.log")]) == 2
    err = capsys.readouterr().err
    assert "x.gz" in err and "missing.log" in err
