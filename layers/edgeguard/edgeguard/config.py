"""Configuration read once at cold start, failing with the name of what is missing."""

from __future__ import annotations

import os
from collections.abc import Mapping


class ConfigError(RuntimeError):
    """A required setting is missing or invalid; the message names it."""


def require(name: str, environ: Mapping[str, str] | None = None) -> str:
    """Return a required environment variable, or raise naming it."""
    env = os.environ if environ is None else environ
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is required but not set")
    return value


def optional(name: str, default: str = "", environ: Mapping[str, str] | None = None) -> str:
    """Return an optional environment variable, stripped, or the default."""
    env = os.environ if environ is None else environ
    return env.get(name, default).strip() or default
