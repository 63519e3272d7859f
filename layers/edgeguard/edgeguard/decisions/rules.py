"""The decision rules, in one place: normalise, refuse, merge, escalate.

Every store (DynamoDB when deployed, memory for ``edgeguard replay``, the demo and
tests) calls ``prepare`` then ``merge``, so an offline answer is the deployed answer.

- Normalise: an address becomes a CIDR (``203.0.113.7/32``; an IPv6 host widens to
  its /64 by default, because one attacker holds a whole /64); a tenant id is
  checked against a strict pattern.
- Refuse: private, loopback, link-local, multicast, reserved and operator-allowlisted
  ranges can never be banned, whatever the origin; nor can CloudFront's own addresses
  (its edge servers reach the origin for every viewer, and a log or finding that
  names one names the wrong party); nor can a range wider than the origin may ban.
  Documentation ranges (RFC 5737, RFC 3849) are not refused: they never appear on
  the Internet, and sample data (AWS's included) uses them.
- Merge: while a decision is active the longest expiry wins; a burst of detections
  of one attack is one ban, not a doubling per log file.
- Escalate: a new ban for a value whose previous ban ended less than the escalation
  window ago lasts twice the previous one, up to the maximum. A ban an operator
  lifted by hand is forgotten. A blocklist entry never escalates: it lasts as long as
  its feed lists it (docs/blocklists.md).
- Except: a value an operator lifted from an origin in ``EXCEPTABLE_ORIGINS`` is not
  decided on again by that origin until the operator removes the exception.
"""

from __future__ import annotations

import bisect
import ipaddress
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources

from edgeguard.decisions.model import (
    EXCEPTABLE_ORIGINS,
    Decision,
    DecisionException,
    DecisionRequest,
    InvalidValue,
    Network,
    RecordOutcome,
    Scope,
    Status,
)

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


@cache
def cloudfront_ranges() -> tuple[Network, ...]:
    """CloudFront's published address ranges, from the snapshot shipped in this package.

    ``cloudfront_ranges.json`` holds the ``CLOUDFRONT`` and ``CLOUDFRONT_ORIGIN_FACING``
    prefixes of AWS's ip-ranges.json (IPv4 and IPv6, collapsed), the latter being the
    contents of the origin-facing managed prefix list
    ``com.amazonaws.global.cloudfront.origin-facing``; its ``createDate`` says how fresh
    it is. Source: "AWS General Reference: AWS IP address ranges" and "Amazon CloudFront
    Developer Guide: Locations and IP address ranges of CloudFront edge servers".
    """
    text = resources.files("edgeguard.decisions").joinpath("cloudfront_ranges.json").read_text()
    return tuple(ipaddress.ip_network(p) for p in json.loads(text)["prefixes"])


@cache
def _cloudfront_index() -> dict[int, tuple[list[int], list[Network]]]:
    """Per IP version: the ranges' first addresses (sorted) and the ranges, for bisect."""
    index: dict[int, tuple[list[int], list[Network]]] = {4: ([], []), 6: ([], [])}
    for network in sorted(cloudfront_ranges(), key=lambda n: (n.version, n.network_address)):
        starts, nets = index[network.version]
        starts.append(int(network.network_address))
        nets.append(network)
    return index


def _cloudfront_range_of(network: Network) -> Network | None:
    """The CloudFront range holding all of ``network``, or None (the ranges are collapsed).

    A wider value that merely overlaps one (an operator's /8 of a hosting provider) is
    not refused here: the question is whether the value names CloudFront, not its
    neighbours.
    """
    starts, nets = _cloudfront_index()[network.version]
    position = bisect.bisect_right(starts, int(network.network_address)) - 1
    if position >= 0 and int(nets[position].broadcast_address) >= int(network.broadcast_address):
        return nets[position]
    return None


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
        """A policy from CIDR strings (blanks ignored, host bits allowed); ValueError on
        a string that is not a network."""
        nets = tuple(ipaddress.ip_network(c.strip(), strict=False) for c in cidrs if c.strip())
        return cls(allowlist=nets, ipv6_host_prefix=ipv6_host_prefix)

    def refusal(self, cidr: str) -> str | None:
        """Why this CIDR can never be banned, or None if it may be."""
        network = ipaddress.ip_network(cidr, strict=False)
        if any(_within(network, doc) for doc in _DOCUMENTATION):
            return self._allowlisted(network)
        for reserved, why in _NEVER_BANNABLE:
            if reserved.version == network.version and network.overlaps(reserved):
                return f"{cidr} is in {reserved} ({why}) and can never be banned"
        edge = _cloudfront_range_of(network)
        if edge is not None:
            return (
                f"{cidr} is in {edge}, a CloudFront address range (edge servers, "
                "origin-facing), and can never be banned: the viewer is elsewhere"
            )
        return self._allowlisted(network)

    def _allowlisted(self, network: Network) -> str | None:
        for allowed in self.allowlist:
            if allowed.version == network.version and network.overlaps(allowed):
                return f"{network} overlaps the allowlisted range {allowed}"
        return None


def _within(network: Network, outer: Network) -> bool:
    """``network`` lies inside ``outer`` (False across IP versions)."""
    if isinstance(network, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return network.subnet_of(outer)
    if isinstance(network, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return network.subnet_of(outer)
    return False


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


def exception_key(origin: str) -> str:
    """The sort key (``action`` attribute) under which a value's exception from ``origin``
    is stored next to its decisions: ``exception#<origin>``."""
    return f"exception#{origin}"


def excepted(request: DecisionRequest, exception: DecisionException | None) -> str | None:
    """Why ``request`` is refused because of an operator's exception, or None."""
    if exception is None or request.origin not in EXCEPTABLE_ORIGINS:
        return None
    if exception.origin != request.origin:
        return None
    return (
        f"{exception.value} is excepted from {exception.origin} decisions by "
        f"{exception.who} ({exception.why}); `edgeguard blocklist reinstate "
        f"{exception.value}` removes the exception"
    )


@dataclass(frozen=True)
class Escalation:
    """Repeat offenders: within ``window`` of the last ban's end, double it up to ``maximum``."""

    window: timedelta = timedelta(hours=24)
    maximum: timedelta = timedelta(hours=168)

    @classmethod
    def from_hours(cls, window_hours: float, max_hours: float) -> Escalation:
        """From hours (settings EscalationWindowHours, MaxBanHours); ValueError when the
        window is negative or the maximum not positive."""
        if window_hours < 0 or max_hours <= 0:
            raise ValueError("escalation window must be >= 0 and the maximum > 0 hours")
        return cls(timedelta(hours=window_hours), timedelta(hours=max_hours))


def normalize_value(raw: str, ipv6_host_prefix: int = 64) -> tuple[str, Scope]:
    """An address/CIDR or a tenant id, as stored: what operators type to find or lift one."""
    text = (raw or "").strip()
    if any(ch in text for ch in ".:/"):
        return normalize_ip(text, ipv6_host_prefix)
    return normalize_tenant(text), "tenant"


def floor_seconds(moment: datetime) -> datetime:
    """``moment`` truncated to a whole second, in UTC (DynamoDB stores epoch seconds)."""
    return datetime.fromtimestamp(math.floor(moment.timestamp()), UTC)


# Origins whose decisions last as long as their source says, never doubled for a repeat.
NON_ESCALATING = ("blocklist",)


def merge(
    existing: Decision | None,
    request: DecisionRequest,
    *,
    value: str,
    scope: Scope,
    now: datetime,
    escalation: Escalation,
) -> tuple[Decision, Status]:
    """The new state of one (value, action) after a request: (decision, status).

    Active: the longest expiry wins. Ended (or absent): a new ban, escalated when the
    previous one ended within the window and was not lifted by an operator.
    """
    now = floor_seconds(now)
    who = request.actor or request.origin
    wanted = now + request.duration
    if existing is not None and existing.active(now):
        events = existing.events + request.events
        if wanted <= existing.expires_at:
            return replace(existing, events=events), "unchanged"
        extended = replace(
            existing,
            origin=request.origin,
            reason=request.reason,
            expires_at=wanted,
            events=events,
            details=dict(request.details) or existing.details,
            updated_at=now,
            updated_by=who,
        )
        return extended, "extended"
    duration, strikes = request.duration, 1
    if (
        existing is not None
        and request.origin not in NON_ESCALATING
        and escalation.window > timedelta(0)
        and not existing.lifted_by
        and now - existing.expires_at <= escalation.window
    ):
        previous = existing.expires_at - existing.created_at
        duration = max(duration, min(previous * 2, escalation.maximum))
        strikes = existing.strikes + 1
    created = Decision(
        value=value,
        scope=scope,
        action=request.action,
        origin=request.origin,
        reason=request.reason,
        created_at=now,
        expires_at=now + duration,
        events=request.events,
        details=dict(request.details),
        updated_at=now,
        updated_by=who,
        strikes=strikes,
    )
    return created, "created"
