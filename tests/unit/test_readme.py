"""README is for a new user: short, the sections the issue asks for, no dead links, and
nothing of the old long README lost (it moved to docs/)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SECTIONS = (
    "What it is",
    "Two commands",
    "Deploy",
    "What it costs",
    "Operate",
    "Teardown",
    "Troubleshooting",
)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _text() -> str:
    return README.read_text(encoding="utf-8")


def test_readme_fits_250_lines():
    assert len(_text().splitlines()) <= 250


def test_readme_has_the_sections_and_a_contents_list_linking_them():
    headings = re.findall(r"^## (.+)$", _text(), flags=re.M)
    for section in SECTIONS:
        assert section in headings
    contents = next(line for line in _text().splitlines() if line.startswith("**Contents:**"))
    for section in SECTIONS:
        anchor = "#" + section.lower().replace(" ", "-")
        assert f"({anchor})" in _text()[_text().index(contents) :]


def test_operate_covers_daily_alerts_undoing_a_ban_and_rotating_the_token():
    operate = _text().split("## Operate", 1)[1].split("\n## ", 1)[0]
    for sub in ("### Day to day", "### Alerts", "### Undo a ban", "### Rotate the Telegram token"):
        assert sub in operate
    assert "edgeguard unblock" in operate


def test_troubleshooting_lists_five_failures_each_with_a_fix():
    section = _text().split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]
    items = re.findall(r"^\d+\. ", section, flags=re.M)
    assert len(items) == 5
    assert section.count("Fix") + section.count("run `edgeguard") >= 5


def test_every_relative_link_in_readme_and_docs_points_to_an_existing_file():
    for page in [README, *sorted((ROOT / "docs").glob("*.md"))]:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://", "#", "mailto:")):
                continue
            path = (page.parent / target.split("#", 1)[0]).resolve()
            assert path.exists(), f"{page.name} links to {target}, which does not exist"


def test_no_promise_of_tests_that_do_not_exist():
    assert "tests/e2e" not in _text()
    assert "e2e" not in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
