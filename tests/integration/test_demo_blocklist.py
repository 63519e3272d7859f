"""``edgeguard demo``: the blocklist chapter meets every expectation."""

from __future__ import annotations

from edgeguard_tools.cli import main


def test_blocklist_chapter_passes(capsys):
    assert main(["demo", "--only", "blocklist"]) == 0
    out = capsys.readouterr().out
    assert "6/6 met" in out
    assert "FAIL" not in out
    assert "spamhaus-drop: unchanged (304 Not Modified)" in out
