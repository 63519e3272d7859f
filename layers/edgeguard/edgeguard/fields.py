"""One typed accessor for fields of untrusted JSON (events, Step Functions payloads).

Every respond and alarm step reads its input through these functions: a field that is
missing, or present with the wrong JSON type, is absent - the caller's default - and never
an exception. ``path`` steps are object keys (str, exact case) or array indexes (int).

- ``value`` - whatever is there, or None;
- ``text`` - a string (numbers and booleans are not text: absent);
- ``obj`` / ``items`` - an object / an array (empty when absent or another type);
- ``number`` - a finite int or float, not a boolean, within ``limit`` in magnitude;
- ``integer`` - an int (a float with no fraction counts), within ``limit``;
- ``flag`` - JSON true, or the string "true" (any case), as ASFF ProductFields spell it.
"""

from __future__ import annotations

import math
from typing import Any

# Larger magnitudes are absent: no event field edgeguard reads is meaningfully bigger, and
# timedelta/datetime arithmetic overflows on them (1e308 seconds).
LIMIT = 1e15


def value(document: Any, *path: str | int) -> Any:
    """The value at ``path`` in ``document``, or None when a step is missing or mistyped."""
    current = document
    for step in path:
        if isinstance(step, int) and not isinstance(step, bool):
            if not isinstance(current, list) or not -len(current) <= step < len(current):
                return None
            current = current[step]
        elif isinstance(current, dict):
            current = current.get(step)
        else:
            return None
    return current


def text(document: Any, *path: str | int, default: str = "") -> str:
    """The string at ``path``, or ``default``."""
    found = value(document, *path)
    return found if isinstance(found, str) else default


def obj(document: Any, *path: str | int) -> dict[str, Any]:
    """The object at ``path``, or an empty dict."""
    found = value(document, *path)
    return found if isinstance(found, dict) else {}


def items(document: Any, *path: str | int) -> list[Any]:
    """The array at ``path``, or an empty list."""
    found = value(document, *path)
    return found if isinstance(found, list) else []


def number(document: Any, *path: str | int, limit: float = LIMIT) -> float | None:
    """The finite number at ``path`` with ``abs() <= limit``, or None."""
    found = value(document, *path)
    if isinstance(found, bool) or not isinstance(found, int | float):
        return None
    if isinstance(found, float) and not math.isfinite(found):
        return None
    return float(found) if abs(found) <= limit else None


def integer(document: Any, *path: str | int, limit: float = LIMIT) -> int | None:
    """The whole number at ``path`` (an int, or a float without fraction), or None."""
    found = number(document, *path, limit=limit)
    return int(found) if found is not None and found == int(found) else None


def flag(document: Any, *path: str | int) -> bool:
    """Whether the field at ``path`` is JSON true or the string "true"."""
    found = value(document, *path)
    if isinstance(found, bool):
        return found
    return isinstance(found, str) and found.strip().lower() == "true"
