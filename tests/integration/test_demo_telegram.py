"""``edgeguard demo``: the two-way Telegram chapter meets every expectation."""

from __future__ import annotations

from edgeguard_tools.cli import main


def test_telegram_chapter_passes(capsys):
    assert main(["demo", "--only", "telegram"]) == 0
    out = capsys.readouterr().out
    assert "9/9 met" in out
    assert "FAIL" not in out
    assert "buttons: Unblock | Extend 24 h | Details" in out
