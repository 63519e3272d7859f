"""`--local` with no local cloud running, in this process or in the background: the
command says how to start one and exits 1, before touching anything."""

from __future__ import annotations

import pytest

from edgeguard_tools.cli import main

NOT_RUNNING = "no local cloud is running; start one with `edgeguard local up`"


@pytest.mark.parametrize(
    "argv",
    [
        ["block", "203.0.113.70", "--for", "1h", "--reason", "try it", "--local"],
        ["unblock", "203.0.113.70", "--local"],
        ["decisions", "--local"],
        ["tenant", "list", "--local"],
        ["invoke", "NotifierFunction", "-e", "sns_plain_text", "--local"],
    ],
)
def test_local_without_a_running_cloud_says_how_to_start_one(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEGUARD_LOCAL_STATE", str(tmp_path / "local.json"))
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert NOT_RUNNING in captured.err
    assert captured.out == ""
