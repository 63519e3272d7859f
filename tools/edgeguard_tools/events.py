"""Find and load the sample events shipped in ``events/`` (tests, demo, ``invoke``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def project_root() -> Path:
    """The checkout holding template.yaml (the package lives in layers/edgeguard/)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "template.yaml").is_file():
            return parent
    return Path.cwd()


def load_event(name: str) -> dict[str, Any]:
    """Load ``events/<name>`` (``.json`` may be omitted)."""
    path = Path(name)
    if not path.is_file():
        path = project_root() / "events" / (name if name.endswith(".json") else f"{name}.json")
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return data
