"""Trail references: CloudTrail APIs accept a trail's name or its ARN; IAM and the
operator think in names. One small value object keeps both."""

from __future__ import annotations

import re
from dataclasses import dataclass

from edgeguard.errors import EdgeguardError

_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):cloudtrail:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"trail/(?P<name>[A-Za-z0-9._-]{3,128})$"
)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$")
TRAIL_ARN_IN_TEXT = re.compile(r"arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:trail/[A-Za-z0-9._-]+")


class InvalidTrail(EdgeguardError, ValueError):
    """The value is neither a trail name nor a CloudTrail trail ARN."""


@dataclass(frozen=True)
class TrailRef:
    """A trail, by name, with its ARN's region and account when the caller gave an ARN."""

    name: str
    region: str | None = None
    account: str | None = None
    partition: str = "aws"

    @classmethod
    def parse(cls, value: object) -> TrailRef:
        """Accept ``my-trail`` or ``arn:aws:cloudtrail:us-east-1:123456789012:trail/my-trail``.

        Raises:
            InvalidTrail: ``value`` is empty, not a string, or neither form.
        """
        if not isinstance(value, str) or not value.strip():
            raise InvalidTrail("a trail name or ARN is required")
        text = value.strip()
        match = _ARN.match(text)
        if match:
            return cls(match["name"], match["region"], match["account"], match["partition"])
        if _NAME.match(text):
            return cls(text)
        raise InvalidTrail(f"not a trail name or CloudTrail ARN: {text[:200]!r}")

    def arn(self, region: str, account: str, partition: str | None = None) -> str:
        """The full ARN, filling in what the reference did not say."""
        return (
            f"arn:{partition or self.partition}:cloudtrail:{self.region or region}:"
            f"{self.account or account}:trail/{self.name}"
        )

    def api_id(self) -> str:
        """What to pass as ``Name``/``TrailName``: the ARN when we know it, else the name."""
        if self.region and self.account:
            return f"arn:{self.partition}:cloudtrail:{self.region}:{self.account}:trail/{self.name}"
        return self.name

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class ProtectedTrails:
    """Which trails the suite guards: named ones, or every trail in the account ("*")."""

    names: frozenset[str]
    everything: bool = False

    @classmethod
    def parse(cls, value: str) -> ProtectedTrails:
        """Comma-separated names; ``*`` (or empty) means every trail in the account.

        Raises:
            InvalidTrail: an item is neither a trail name nor a trail ARN.
        """
        items = [item.strip() for item in value.split(",") if item.strip()]
        if not items or "*" in items:
            return cls(frozenset(), everything=True)
        return cls(frozenset(TrailRef.parse(item).name for item in items))

    def covers(self, trail: TrailRef) -> bool:
        """Whether ``trail`` (by name) is guarded."""
        return self.everything or trail.name in self.names

    def describe(self) -> str:
        """The protected trails for a message: every trail in the account, or the names."""
        return "every trail in the account" if self.everything else ", ".join(sorted(self.names))
