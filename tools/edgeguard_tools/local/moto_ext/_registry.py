"""Attach extensions to moto's own classes and URL tables, idempotently.

moto dispatches an API call to the response-class method named after the
operation (``CreateActionTarget`` -> ``create_action_target``), looked up on the
class at call time, and builds its URL table from the service's ``urls`` module
on every request. Setting attributes and adding URL patterns therefore takes
effect in every ``mock_aws`` context, present and future, and doing it twice is
harmless.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from edgeguard import clock


def attach(cls: type, methods: Mapping[str, Callable[..., Any]]) -> None:
    """Set each method on ``cls`` under its name (replacing moto's, if any)."""
    for name, function in methods.items():
        setattr(cls, name, function)


def add_url_paths(urls_module: ModuleType, paths: list[str], handler: Callable[..., Any]) -> None:
    """Route extra URL path patterns (``{0}`` = the service's base URL) to ``handler``."""
    for path in paths:
        urls_module.url_paths.setdefault(path, handler)


def iso_now() -> str:
    """AWS's ISO 8601 form with milliseconds and Z, on edgeguard's controllable clock."""
    return iso(clock.utcnow())


def iso(moment: datetime) -> str:
    """Format a tz-aware datetime the way Security Hub and CloudFront print times."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def original(cls: type, name: str) -> Callable[..., Any]:
    """moto's own implementation of ``cls.name``, kept aside the first time it is asked for,
    so a wrapper installed later (or a module reloaded) never wraps itself."""
    stash = f"_edgeguard_original_{name}"
    if stash not in cls.__dict__:
        setattr(cls, stash, cls.__dict__[name])
    return cls.__dict__[stash]
