"""Errors of the rotation, written so that no secret value ever reaches their text."""

from __future__ import annotations

from edgeguard.errors import EdgeguardError


class RotationError(EdgeguardError, RuntimeError):
    """A rotation step cannot proceed; the message says why and never holds a value."""


class NotReady(RotationError):
    """The step is safe to retry later (for example CloudFront is still deploying)."""


class LockoutRisk(RotationError):
    """The value CloudFront sends is no longer admitted: needs a human now."""


class Conflict(RotationError):
    """Optimistic locking kept failing after every retry."""


def redact(text: str, secrets: list[str]) -> str:
    """Replace every occurrence of a secret value in ``text`` (defence in depth)."""
    for value in secrets:
        if value:
            text = text.replace(value, "***")
    return text
