"""``edgeguard demo``: the auto-blocking chapter through the local cloud meets every expectation."""

from __future__ import annotations

from edgeguard_tools.cli import main


def test_demo_chapter_meets_every_expectation(capsys):
    assert main(["demo", "--only", "auto_blocking"]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out
    assert "WAF alarm edgeguard-dev-waf-blocked: 3 addresses banned" in out
