"""``edgeguard demo``: the origin rotation chapter meets every expectation."""

from __future__ import annotations

from edgeguard_tools.cli import main


def test_origin_rotation_chapter_passes(capsys):
    assert main(["demo", "--only", "origin_rotation"]) == 0
    out = capsys.readouterr().out
    assert "mid-rotation: old value -> 200, new value -> 200, no header -> 403" in out
    assert "FAIL" not in out
