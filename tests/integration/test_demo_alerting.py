"""``edgeguard demo``: the alerting chapter through the local cloud meets every expectation."""

from __future__ import annotations

from edgeguard_tools.cli import main
from edgeguard_tools.local.cloud import LocalCloud


def test_alerting_chapter_passes_and_closes_its_cloud(capsys):
    assert main(["demo", "--only", "alerting"]) == 0
    out = capsys.readouterr().out
    assert "Telegram shows: 🔴 ALARM: edgeguard-dev-waf-blocked-requests" in out
    assert "FAIL" not in out
    # the shared cloud was closed: a new one can start in this process
    with LocalCloud(quiet=True) as cloud:
        assert cloud.telegram_messages == []
