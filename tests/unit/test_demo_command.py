"""``edgeguard demo`` refuses a chapter filter that matches nothing, naming the chapters."""

from __future__ import annotations

from edgeguard_tools.cli import main


def test_demo_only_with_no_matching_chapter_lists_the_chapters(capsys):
    assert main(["demo", "--only", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert "no chapter matches 'nosuch'" in err
    assert "breaker" in err and "origin_rotation" in err
