"""Configuration read once at cold start, failing with the name of what is missing."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping


class ConfigError(RuntimeError):
    """A required setting is missing or invalid; the message names it."""


def require(name: str, environ: Mapping[str, str] | None = None) -> str:
    """Return a required environment variable, or raise naming it.

    ``environ`` defaults to ``os.environ``; the value is stripped.

    Raises:
        ConfigError: the variable is unset or blank.
    """
    env = os.environ if environ is None else environ
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is required but not set")
    return value


def optional(name: str, default: str = "", environ: Mapping[str, str] | None = None) -> str:
    """Return an optional environment variable, stripped, or the default."""
    env = os.environ if environ is None else environ
    return env.get(name, default).strip() or default


def number(
    name: str,
    default: float,
    environ: Mapping[str, str] | None = None,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
) -> float:
    """An optional numeric variable; a value that is not a number in range names the variable.

    Returns ``default`` when unset or blank; ``minimum``/``maximum`` are inclusive.

    Raises:
        ConfigError: not a finite number, or out of range.
    """
    text = optional(name, "", environ)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ConfigError(f"environment variable {name} must be a number, got {text!r}")
    if minimum is not None and value < minimum:
        raise ConfigError(f"environment variable {name} must be at least {minimum}, got {text!r}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"environment variable {name} must be at most {maximum}, got {text!r}")
    return value


def integer(
    name: str,
    default: int,
    environ: Mapping[str, str] | None = None,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    """An optional whole-number variable; anything else names the variable.

    Returns ``default`` when unset or blank; ``minimum``/``maximum`` are inclusive.

    Raises:
        ConfigError: not a whole number, or out of range.
    """
    text = optional(name, "", environ)
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(
            f"environment variable {name} must be a whole number, got {text!r}"
        ) from None
    return int(number(name, default, {name: str(value)}, minimum=minimum, maximum=maximum))
