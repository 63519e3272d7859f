"""The decision: what every blocking path produces (DESIGN.md §3), and the store interface.

A decision says: this scope/value gets this action until this time, because of this.
This module holds only the shapes (``DecisionRequest`` in, ``Decision`` stored,
``RecordOutcome`` back) and the two protocols every store implements; the rules
that turn a request into a decision are in ``edgeguard.decisions.rules``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

from edgeguard.clock import utcnow
from edgeguard.errors import EdgeguardError

if TYPE_CHECKING:
    from edgeguard.decisions.rules import BanPolicy

SCOPES = ("ip", "range", "tenant")
ACTIONS = ("ban", "captcha", "count")
ORIGINS = ("log", "alarm", "guardduty", "securityhub", "manual", "blocklist", "hunt")
ACTION_SEVERITY = {"ban": 3, "captcha": 2, "count": 1}
# Origins an operator's unblock can except a value from: the next import of a feed must
# not ban again what an operator lifted (docs/blocklists.md, "Operator unblock").
EXCEPTABLE_ORIGINS = ("blocklist",)

Scope = Literal["ip", "range", "tenant"]
Status = Literal["created", "extended", "unchanged", "refused"]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class InvalidValue(EdgeguardError, ValueError):
    """A value that cannot become a decision; the message says why, for the operator."""


@dataclass(frozen=True)
class DecisionRequest:
    """What a detector, finding or operator asks for; a store normalises and records it.

    ``value`` is an address, CIDR or tenant id as received; ``duration`` must be
    positive; ``events`` counts the events behind the request. Raises InvalidValue
    for an unknown action or origin or a non-positive duration.
    """

    value: str
    action: str
    origin: str
    reason: str
    duration: timedelta
    scope: Scope | None = None  # None: derive from value (ip or range)
    events: int = 1
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)
    actor: str = ""  # who asked (an operator's identity, a function's name); audit only

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise InvalidValue(f"action must be one of {', '.join(ACTIONS)}, not {self.action!r}")
        if self.origin not in ORIGINS:
            raise InvalidValue(f"origin must be one of {', '.join(ORIGINS)}, not {self.origin!r}")
        if self.duration <= timedelta(0):
            raise InvalidValue("a decision needs a positive duration")


@dataclass(frozen=True)
class Decision:
    """A stored decision; active while ``expires_at > now`` (TTL deletion can lag by days).

    Times are timezone-aware UTC, whole seconds. ``strikes`` counts consecutive bans
    of this value (escalation); ``lifted_by``/``lifted_reason`` are set when an
    operator lifted it; ``updated_at``/``updated_by`` record the last change.
    """

    value: str
    scope: Scope
    action: str
    origin: str
    reason: str
    created_at: datetime
    expires_at: datetime
    events: int = 1
    details: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None
    updated_by: str = ""
    strikes: int = 1
    lifted_by: str = ""
    lifted_reason: str = ""

    def active(self, now: datetime | None = None) -> bool:
        """True while the decision has not expired at ``now`` (default: the clock's now)."""
        return self.expires_at > (now or utcnow())

    @property
    def duration(self) -> timedelta:
        """How long this ban lasts from its creation (escalation doubles it)."""
        return self.expires_at - self.created_at


@dataclass(frozen=True)
class DecisionException:
    """An operator's standing exception: ``origin`` may not decide on ``value`` again.

    Recorded when an operator lifts a decision of an origin in ``EXCEPTABLE_ORIGINS``
    (a blocklist feed entry), so the next import does not ban it again while the feed
    still lists it. ``who`` and ``why`` are the operator's identity and reason;
    ``created_at`` is UTC; ``details`` says what was lifted (e.g. the feed's name).
    It lasts until an operator removes it.
    """

    value: str
    origin: str
    who: str
    why: str
    created_at: datetime
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Unreadable:
    """A stored item that cannot be read as a decision (and so is never enforced).

    ``key`` names the item as the table holds it (``value|action``, truncated to 64
    characters each); ``reason`` says what is wrong with it, for the operator.
    """

    key: str
    reason: str


class UnreadableDecision(EdgeguardError, ValueError):
    """Raised for a stored item that is not a decision; ``unreadable`` says which and why."""

    def __init__(self, unreadable: Unreadable) -> None:
        super().__init__(f"decision item {unreadable.key}: {unreadable.reason}")
        self.unreadable = unreadable


@dataclass
class ActiveRead:
    """One read of the active decisions: the readable ones, and the items that were not."""

    decisions: list[Decision] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    read_units: float = 0.0  # DynamoDB read capacity units the read consumed (0 offline)


@dataclass(frozen=True)
class RecordOutcome:
    """What recording did: ``created`` (new, possibly escalated), ``extended`` (a longer
    expiry won), ``unchanged`` (the active decision already lasts longer) or ``refused``
    (``reason`` says why; ``decision`` is None)."""

    status: Status
    decision: Decision | None = None
    reason: str = ""


class DecisionSink(Protocol):
    """Anything that records decisions (what detectors and finding handlers need)."""

    def record(self, request: DecisionRequest, now: datetime | None = None) -> RecordOutcome:
        """Normalise, refuse what policy forbids, merge; see ``rules.merge``."""
        ...


class DecisionStore(DecisionSink, Protocol):
    """A full store: record, lift, look up and list (the breaker and enforcer need these).

    Implemented by ``DynamoDecisionStore`` (deployed) and ``MemoryStore`` (offline);
    both apply the same ``rules.merge``, so offline answers equal deployed ones.
    """

    policy: BanPolicy

    def remove(
        self, value: str, action: str, who: str, why: str, now: datetime | None = None
    ) -> Decision | None:
        """Lift an active decision now; None if none was active. Raises InvalidValue."""
        ...

    def get(self, value: str) -> list[Decision]:
        """Every stored decision (any action, active or ended) for a value."""
        ...

    def active(self, now: datetime | None = None) -> list[Decision]:
        """Decisions with ``expires_at > now``."""
        ...

    def read_active(self, now: datetime | None = None) -> ActiveRead:
        """The active decisions, and the active items that cannot be read (and why)."""
        ...

    def read_enforceable(
        self, now: datetime | None = None, recent: Iterable[tuple[str, str]] = ()
    ) -> ActiveRead:
        """The active ban and captcha decisions (what the enforcer needs); ``recent``
        (value, action) keys are read with strong consistency."""
        ...

    def add_exception(
        self,
        value: str,
        origin: str,
        who: str,
        why: str,
        *,
        now: datetime | None = None,
        details: dict[str, Any] | None = None,
    ) -> DecisionException:
        """Record that ``origin`` may not decide on ``value`` again (see
        ``DecisionException``); replaces an earlier one. Raises InvalidValue."""
        ...

    def exceptions(self) -> list[DecisionException]:
        """Every standing exception."""
        ...

    def remove_exception(self, value: str, origin: str) -> DecisionException | None:
        """Remove an exception; the removed one, or None when there was none."""
        ...
