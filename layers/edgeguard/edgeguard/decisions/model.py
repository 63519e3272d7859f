"""The decision model shared by every blocking path, and the interface that records it.

Values are normalised before anything is stored: an address becomes a CIDR
(``203.0.113.7/32``; an IPv6 host widens to its /64 by default, because one
attacker owns a whole /64), a tenant id is checked against a strict pattern.
Private, loopback, link-local, multicast, reserved and operator-allowlisted
ranges can never be banned, whatever the origin. Documentation ranges
(RFC 5737, RFC 3849) are not refused: they never appear on the Internet, and
sample data (AWS's included) uses them for attackers.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from edgeguard.clock import utcnow

SCOPES = ("ip", "range", "tenant")
ACTIONS = ("ban", "captcha", "count")
ORIGINS = ("log", "alarm", "guardduty", "securityhub", "manual", "blocklist")
ACTION_SEVERITY = {"ban": 3, "captcha": 2, "count": 1}

Scope = Literal["ip", "range", "tenant"]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

TENANT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")

_DOCUMENTATION = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)
_NEVER_BANNABLE = tuple(
    (ipaddress.ip_network(n), why)
    for n, why in (
        ("0.0.0.0/8", "'this network' (RFC 1122)"),
        ("10.0.0.0/8", "private (RFC 1918)"),
        ("100.64.0.0/10", "carrier-grade NAT shared space (RFC 6598)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private (RFC 1918)"),
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("192.168.0.0/16", "private (RFC 1918)"),
        ("198.18.0.0/15", "benchmarking (RFC 2544)"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
        ("::1/128", "loopback"),
        ("::/128", "unspecified"),
        ("::ffff:0:0/96", "IPv4-mapped"),
        ("64:ff9b::/96", "NAT64"),
        ("100::/64", "discard-only"),
        ("fc00::/7", "unique local (private)"),
        ("fe80::/10", "link-local"),
        ("ff00::/8", "multicast"),
    )
)


class InvalidValue(ValueError):
    """A value that cannot become a decision; the message says why, for the operator."""


def normalize_ip(raw: str, ipv6_host_prefix: int = 64) -> tuple[str, Scope]:
    """Parse an address or CIDR into (canonical CIDR, scope).

    A single address is scope ``ip`` (an IPv6 host widened to ``ipv6_host_prefix``);
    a CIDR with host bits set is refused rather than silently widened.
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidValue("empty address")
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]" or "[2001:db8::1]/64"
        closing = text.index("]")
        text = text[1:closing] + text[closing + 1 :]
    try:
        if "/" in text:
            network = ipaddress.ip_network(text, strict=True)
            host_bits = network.max_prefixlen
            if network.prefixlen == host_bits:
                return _host(network.network_address, ipv6_host_prefix)
            return network.with_prefixlen, "range"
        return _host(ipaddress.ip_address(text), ipv6_host_prefix)
    except ValueError as error:
        raise InvalidValue(f"not an IP address or CIDR: {text[:64]!r} ({error})") from None


def _host(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, v6_prefix: int
) -> tuple[str, Scope]:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if isinstance(address, ipaddress.IPv6Address):
        network = ipaddress.ip_network(f"{address}/{v6_prefix}", strict=False)
        return network.with_prefixlen, "ip"
    return f"{address}/32", "ip"


def normalize_tenant(raw: str) -> str:
    """Tenant ids: 1-63 of a-z, 0-9, '-', '_', starting alphanumeric (safe inside a regex)."""
    text = (raw or "").strip()
    if not TENANT_PATTERN.fullmatch(text):
        raise InvalidValue(
            f"invalid tenant id {text[:64]!r}: use 1-63 of a-z, 0-9, '-', '_', "
            "starting with a letter or digit"
        )
    return text


@dataclass(frozen=True)
class BanPolicy:
    """What may be banned: never private/reserved ranges, never the operator's allowlist."""

    allowlist: tuple[Network, ...] = ()
    ipv6_host_prefix: int = 64

    @classmethod
    def from_cidrs(cls, cidrs: Iterable[str], ipv6_host_prefix: int = 64) -> BanPolicy:
        nets = tuple(ipaddress.ip_network(c.strip(), strict=False) for c in cidrs if c.strip())
        return cls(allowlist=nets, ipv6_host_prefix=ipv6_host_prefix)

    def refusal(self, cidr: str) -> str | None:
        """Why this CIDR can never be banned, or None if it may be."""
        network = ipaddress.ip_network(cidr, strict=False)
        if any(network.subnet_of(doc) for doc in _DOCUMENTATION if doc.version == network.version):
            return self._allowlisted(network)
        for reserved, why in _NEVER_BANNABLE:
            if reserved.version == network.version and network.overlaps(reserved):
                return f"{cidr} is in {reserved} ({why}) and can never be banned"
        return self._allowlisted(network)

    def _allowlisted(self, network: Network) -> str | None:
        for allowed in self.allowlist:
            if allowed.version == network.version and network.overlaps(allowed):
                return f"{network} overlaps the allowlisted range {allowed}"
        return None


@dataclass(frozen=True)
class DecisionRequest:
    """What a detector, finding or operator asks for; the sink normalises and stores it."""

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
    """A stored decision; active while expires_at > now (TTL deletion can lag by days)."""

    value: str
    scope: Scope
    action: str
    origin: str
    reason: str
    created_at: datetime
    expires_at: datetime
    events: int = 1
    details: dict[str, Any] = field(default_factory=dict)
    # Audit (filled by the DynamoDB store): who last changed it, when, and how often
    # this value was banned in a row (escalation); lifted_* when an operator lifted it.
    updated_at: datetime | None = None
    updated_by: str = ""
    strikes: int = 1
    lifted_by: str = ""
    lifted_reason: str = ""

    def active(self, now: datetime | None = None) -> bool:
        return self.expires_at > (now or utcnow())


@dataclass(frozen=True)
class RecordOutcome:
    """What recording did: created, extended (longer expiry won), unchanged, refused."""

    status: Literal["created", "extended", "unchanged", "refused"]
    decision: Decision | None = None
    reason: str = ""


class DecisionSink(Protocol):
    """Anything that records decisions: the DynamoDB store, or MemorySink offline."""

    def record(self, request: DecisionRequest, now: datetime | None = None) -> RecordOutcome: ...


def never_bannable() -> tuple[tuple[Network, str], ...]:
    """The ranges no policy can ban (private, loopback, reserved, ...), with why."""
    return _NEVER_BANNABLE


# The widest range one decision may cover, by origin: (IPv4 prefix, IPv6 prefix). Automated
# paths never need more than a /16 (IPv4) or /32 (IPv6) - anything wider is a bug or a
# poisoned input taking a country offline. An operator or an imported blocklist (Spamhaus
# DROP lists /10s) may go to /8 and /16; wider is always a typo.
WIDEST_PREFIX = {"manual": (8, 16), "blocklist": (8, 16)}
WIDEST_AUTOMATED = (16, 32)


def too_wide(cidr: str, origin: str) -> str | None:
    """Why a range is too wide for this origin to ban, or None."""
    network = ipaddress.ip_network(cidr, strict=False)
    v4, v6 = WIDEST_PREFIX.get(origin, WIDEST_AUTOMATED)
    widest = v4 if network.version == 4 else v6
    if network.prefixlen < widest:
        return f"{cidr} is wider than /{widest}, the widest range a {origin} decision may ban"
    return None


def prepare(request: DecisionRequest, policy: BanPolicy) -> tuple[str, Scope] | RecordOutcome:
    """Normalise the request's value and apply the policy: (value, scope) or a refusal."""
    try:
        if request.scope == "tenant":
            return normalize_tenant(request.value), "tenant"
        value, scope = normalize_ip(request.value, policy.ipv6_host_prefix)
    except InvalidValue as error:
        return RecordOutcome("refused", reason=str(error))
    refusal = policy.refusal(value) or too_wide(value, request.origin)
    if refusal:
        return RecordOutcome("refused", reason=refusal)
    return value, request.scope or scope


@dataclass
class MemorySink:
    """Decisions kept in memory (``edgeguard replay``, tests); longest expiry wins."""

    policy: BanPolicy = field(default_factory=BanPolicy)
    decisions: dict[tuple[str, str], Decision] = field(default_factory=dict)

    def record(self, request: DecisionRequest, now: datetime | None = None) -> RecordOutcome:
        prepared = prepare(request, self.policy)
        if isinstance(prepared, RecordOutcome):
            return prepared
        value, scope = prepared
        now = now or utcnow()
        expires = now + request.duration
        key = (value, request.action)
        existing = self.decisions.get(key)
        if existing and existing.expires_at >= expires:
            merged = replace(existing, events=existing.events + request.events)
            self.decisions[key] = merged
            return RecordOutcome("unchanged", merged)
        decision = Decision(
            value=value,
            scope=scope,
            action=request.action,
            origin=request.origin,
            reason=request.reason,
            created_at=existing.created_at if existing else now,
            expires_at=expires,
            events=request.events + (existing.events if existing else 0),
            details=dict(request.details),
        )
        self.decisions[key] = decision
        return RecordOutcome("extended" if existing else "created", decision)
