"""``edgeguard demo``: the circuit breaker chapter meets every expectation."""

from __future__ import annotations

from edgeguard_tools.cli import main


def test_breaker_chapter_passes(capsys):
    assert main(["demo", "--only", "breaker"]) == 0
    out = capsys.readouterr().out
    assert "10/10 met" in out
    assert "FAIL" not in out
    assert "WAF ban sets hold: ['203.0.113.7/32']" in out
