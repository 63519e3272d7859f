"""The shared log cases (copied into tests/fixtures/logs) through ``edgeguard replay``.

Each case has its right result (cases README): who is banned, who is not, what is
skipped with a reason, what becomes an alert instead of a ban.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgeguard_tools.cli import main

CASES = Path(__file__).parent.parent / "fixtures" / "logs"


def replay(capsys, *paths: Path) -> tuple[int, dict[str, set[str]], str, str]:
    code = main(["replay", "--json", "--format", "auto", *map(str, paths)])
    out, err = capsys.readouterr()
    banned: dict[str, set[str]] = {}
    for line in out.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            banned.setdefault(row["value"], set()).add(row["scenario"])
    return code, banned, out, err


def only_file(folder: Path) -> Path:
    (found,) = [p for p in folder.iterdir() if p.is_file()]
    return found


def test_waf_records_from_a_cloudwatch_logs_subscription_ban_a_b_and_d_not_c(capsys):
    code, banned, _, err = replay(capsys, CASES / "waf-cloudwatch-logs-subscription")
    assert code == 0, err
    assert set(banned) == {"45.155.205.23/32", "2a02:c207:2051:1234::/64", "193.142.146.35/32"}
    assert "waf_blocked" in banned["193.142.146.35/32"]
    assert "path_traversal" in banned["2a02:c207:2051:1234::/64"]
    assert "81.2.69.142/32" not in banned
    assert "0 skipped" in err


@pytest.mark.parametrize(
    ("case", "client", "scenario"),
    [
        ("waf-concatenated-records", "203.0.113.66/32", "waf_blocked"),
        ("alb-escaped-quote", "203.0.113.55/32", "sqli_probing"),
    ],
)
def test_a_case_bans_exactly_what_its_control_bans(capsys, case, client, scenario):
    code, banned, _, err = replay(capsys, only_file(CASES / case))
    control_code, control, _, _ = replay(capsys, only_file(CASES / case / "control"))
    assert code == control_code == 0, err
    assert banned == control == {client: {scenario}}


def test_an_alb_connection_log_is_skipped_with_its_reason_not_counted_as_unreadable(capsys):
    code, banned, _, err = replay(capsys, CASES / "alb-connection-log")
    assert code == 0
    assert banned == {}
    assert "skipped: an ALB connection log" in err
    assert "0 skipped" in err and "unreadable" not in err


def test_origin_acl_records_alert_on_the_viewer_and_never_ban_the_edge_server(capsys):
    code, banned, out, err = replay(capsys, CASES / "waf-origin-acl-edge-address")
    assert code == 0, err
    assert banned == {}
    alerts = [line for line in out.splitlines() if line.startswith("alert origin-bypass")]
    assert len(alerts) == 1
    assert "198.51.100.200" in alerts[0] and "130.176.89.14" not in alerts[0]
    assert "30 request(s) without the origin secret" in alerts[0]


def test_a_file_with_lines_and_nothing_readable_names_the_file_and_fails(tmp_path, capsys):
    good = only_file(CASES / "alb-escaped-quote")
    bad = tmp_path / "aws-waf-logs-edgeguard_broken.log"
    bad.write_text('{"httpRequest": {"clientIp": "x"}}\n{"httpRequest": 7}\n')
    code, banned, _, err = replay(capsys, good, bad)
    assert code == 2
    assert f"{bad}: 2 line(s), no line readable as a waf log" in err
    assert banned == {"203.0.113.55/32": {"sqli_probing"}}  # the good file still decides
