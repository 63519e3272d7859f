"""A clean run of the everyday commands prints no warning: ``replay``, ``findings`` and
``demo`` as a user runs them, each its own process (``block --local`` is covered with the
background cloud in test_local_cloud_background)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.mark.parametrize(
    "argv",
    [
        ["replay", str(FIXTURES / "logs")],
        ["findings", str(ROOT / "events" / "guardduty_network_connection.json")],
        ["demo"],
    ],
    ids=lambda argv: argv[0],
)
def test_no_warning_on_stderr(argv):
    done = subprocess.run(
        [sys.executable, "-m", "edgeguard_tools", *argv],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Warning" not in done.stderr
    assert "Warning" not in done.stdout
