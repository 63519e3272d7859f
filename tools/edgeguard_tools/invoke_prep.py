"""Fit a sample event to the local cloud before ``edgeguard invoke`` runs it."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any


def prepare(cloud: Any, function: str, event: Any, scope: ExitStack) -> Any:
    """The event, fitted to ``cloud``."""
    return event
