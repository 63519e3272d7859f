"""`--local` with no local cloud running: the command starts one for itself."""

from __future__ import annotations

from edgeguard_tools.cli import main


def test_local_starts_a_cloud_for_one_command(capsys):
    code = main(["block", "203.0.113.70", "--for", "1h", "--reason", "try it", "--local"])
    captured = capsys.readouterr()
    assert code == 0
    assert "local cloud started for this command only" in captured.err
    assert "203.0.113.70/32 blocked until" in captured.out
    assert "WAF matches the decisions now" in captured.out
    assert main(["decisions", "--local"]) == 0  # a new command, a new (empty) cloud
    assert "no active decisions" in capsys.readouterr().out
