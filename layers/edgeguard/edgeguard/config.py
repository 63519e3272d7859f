"""Configuration read once at cold start, failing with the name of what is missing."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from datetime import timedelta

from edgeguard.errors import EdgeguardError


class ConfigError(EdgeguardError, RuntimeError):
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
    return _within(name, text, value, minimum, maximum)


def integer(
    name: str,
    default: int,
    environ: Mapping[str, str] | None = None,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    """Like ``number``, for a whole number (``"1.5"`` or ``"2e3"`` is refused, naming it)."""
    text = optional(name, "", environ)
    if not text:
        return default
    if not text.lstrip("+-").isdecimal():
        raise ConfigError(f"environment variable {name} must be a whole number, got {text!r}")
    return _within(name, text, int(text), minimum, maximum)


def _within[N: (int, float)](name: str, text: str, value: N, low: N | None, high: N | None) -> N:
    """``value`` if it lies in [low, high] (None: unbounded); ConfigError naming ``name``."""
    if low is not None and value < low:
        raise ConfigError(f"environment variable {name} must be at least {low}, got {text!r}")
    if high is not None and value > high:
        raise ConfigError(f"environment variable {name} must be at most {high}, got {text!r}")
    return value


_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})


def boolean(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    """An optional yes/no variable: true/false, yes/no, 1/0, on/off in any case.

    Unset or blank is ``default``; ``environ`` defaults to ``os.environ``.

    Raises:
        ConfigError: any other text; the message names the variable.
    """
    text = optional(name, "", environ)
    if not text:
        return default
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ConfigError(
        f"environment variable {name} must be true or false (yes/no, on/off, 1/0), "
        f"got {text[:20]!r}"
    )


# A duration's unit is the variable's own suffix: BAN_MINUTES is minutes, PROBE_TIMEOUT_SECONDS
# seconds. A template parameter then says its unit in its name too, and no value needs a suffix.
DURATION_UNITS = {"_SECONDS": "seconds", "_MINUTES": "minutes", "_HOURS": "hours", "_DAYS": "days"}


def duration_unit(name: str) -> str:
    """The unit a duration variable is counted in, from its name (``BAN_MINUTES`` -> minutes).

    Raises:
        ValueError: the name does not end in _SECONDS, _MINUTES, _HOURS or _DAYS (a
            programming error, not a setting).
    """
    for suffix, unit in DURATION_UNITS.items():
        if name.upper().endswith(suffix):
            return unit
    raise ValueError(
        f"a duration variable's name ends in its unit ({', '.join(DURATION_UNITS)}): {name}"
    )


def duration(
    name: str,
    default: timedelta,
    environ: Mapping[str, str] | None = None,
    *,
    minimum: timedelta = timedelta(0),
    maximum: timedelta | None = None,
) -> timedelta:
    """An optional duration: a number (fractions allowed) in the unit its name ends in.

    Unset or blank is ``default``; ``environ`` defaults to ``os.environ``; ``minimum`` and
    ``maximum`` are inclusive.

    Raises:
        ConfigError: not a finite number, or outside [minimum, maximum]; the message names
            the variable and the unit.
        ValueError: the name says no unit (see ``duration_unit``).
    """
    unit = duration_unit(name)
    text = optional(name, "", environ)
    if not text:
        return default
    try:
        amount = float(text)
    except ValueError:
        amount = math.nan
    if not math.isfinite(amount):
        raise ConfigError(f"environment variable {name} must be a number of {unit}, got {text!r}")
    try:
        value = timedelta(**{unit: amount})
    except OverflowError:
        raise ConfigError(f"environment variable {name} is too long, got {text!r}") from None
    if value < minimum:
        raise ConfigError(
            f"environment variable {name} must be at least {_count(minimum, unit)} {unit}, "
            f"got {text!r}"
        )
    if maximum is not None and value > maximum:
        raise ConfigError(
            f"environment variable {name} must be at most {_count(maximum, unit)} {unit}, "
            f"got {text!r}"
        )
    return value


def _count(span: timedelta, unit: str) -> str:
    """``span`` in ``unit``, without a trailing .0."""
    amount = span / timedelta(**{unit: 1})
    return f"{amount:g}"
