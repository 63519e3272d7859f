"""What an extraction yields: the remote addresses of one finding, and where each was found.

Both finding formats (GuardDuty's own, and ASFF in Security Hub) reduce to an
``Extraction``: remote addresses (candidates for a ban), the affected resource's
own addresses (never banned), domains (reported, never banned: WAF blocks
addresses) and the problems met (a malformed value is skipped and counted).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def lookup(obj: Any, *path: str) -> Any:
    """Follow keys case-insensitively: EventBridge's GuardDuty events are camelCase,
    GetFindings via boto3 and ASFF are PascalCase; both reach the same code.

    Returns None as soon as a step is not a mapping or the key is missing; never raises.
    """
    current = obj
    for key in path:
        if not isinstance(current, Mapping):
            return None
        if key in current:
            current = current[key]
            continue
        lowered = key.lower()
        current = next((v for k, v in current.items() if str(k).lower() == lowered), None)
    return current


def as_list(value: Any) -> list[Any]:
    """A list field that may be missing, null, or (malformed) a single object."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


@dataclass(frozen=True)
class RemoteAddress:
    """One remote address and the finding fields it appeared in."""

    ip: str
    where: tuple[str, ...]

    @property
    def version(self) -> int:
        """4 or 6. Raises ValueError if ``ip`` is not an address (never for extracted ones)."""
        return ipaddress.ip_address(self.ip).version


@dataclass
class Extraction:
    """Everything one finding says about who to block."""

    source: str  # "guardduty" or "securityhub"
    finding_id: str
    finding_type: str
    title: str = ""
    severity: float = 0.0
    product: str = ""
    remote: dict[str, list[str]] = field(default_factory=dict)  # ip -> where
    own: dict[str, list[str]] = field(default_factory=dict)
    # Remote addresses the resource itself connected OUT to (the victim of an outbound
    # brute force, a C&C server, a mining pool): reported, never banned - the edge's
    # WAF filters requests coming in, and a victim must not be locked out of the site.
    outbound: dict[str, list[str]] = field(default_factory=dict)
    # Remote addresses of accounts GuardDuty marks as affiliated (the org's own).
    affiliated: dict[str, list[str]] = field(default_factory=dict)
    domains: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # Why nothing of this finding may be banned (a sample or archived finding), if so.
    not_actionable: str = ""
    # GuardDuty says the outbound destination itself is known-bad (a threat list: C&C
    # server, drop point, malicious caller): then it is banned like a caller, because
    # a threat-listed address has no business on the site either.
    outbound_known_malicious: bool = False
    # Outbound destinations that GuardDuty names threat-listed one by one (an attack
    # sequence's endpoint whose signal is a C&C or mining-pool finding): banned.
    outbound_listed: dict[str, list[str]] = field(default_factory=dict)
    # What the finding says about each remote address: "org" (organisation or ISP),
    # "asn" ("AS64502"), "country", "city" - only the keys the finding carries.
    context: dict[str, dict[str, str]] = field(default_factory=dict)
    # The attacked resource as a person names it ("i-0abc...", "bucket my-logs", ...).
    resource: str = ""
    # Where the finding lives: its region and account (for console links), "" if unknown.
    region: str = ""
    account: str = ""
    ocsf: bool = False  # an OCSF finding of the current Security Hub (its own console page)

    def describe(self, ip: str) -> str:
        """ "ORG, AS64502, Country" for a remote address, from ``context``; "" if none."""
        details = self.context.get(ip) or {}
        return ", ".join(details[k] for k in ("org", "asn", "country") if details.get(k))

    def add_remote(self, raw: Any, where: str) -> None:
        """Add a candidate for a ban, found at ``where`` (a field path, for the alert).

        ``raw`` is any finding value: a malformed one is recorded in ``problems``, a
        missing or empty one ignored; IPv4-mapped IPv6 is stored as IPv4.
        """
        self._add(self.remote, raw, where)

    def add_outbound(self, raw: Any, where: str) -> None:
        """Add a destination the resource connected out to (see ``add_remote``)."""
        self._add(self.outbound, raw, where)

    def add_listed_outbound(self, raw: Any, where: str) -> None:
        """Add an outbound destination that is itself threat-listed (see ``add_remote``)."""
        self._add(self.outbound_listed, raw, where)

    def add_affiliated(self, raw: Any, where: str) -> None:
        """Add a caller from an affiliated account (see ``add_remote``)."""
        self._add(self.affiliated, raw, where)

    def add_own(self, raw: Any, where: str) -> None:
        """Add an address of the affected resource itself (see ``add_remote``)."""
        self._add(self.own, raw, where)

    def add_domain(self, raw: Any) -> None:
        """Add a domain (reported only), without a trailing dot and once."""
        text = str(raw or "").strip().rstrip(".")
        if text and text not in self.domains:
            self.domains.append(text)

    def _add(self, target: dict[str, list[str]], raw: Any, where: str) -> None:
        address = parse_address(raw)
        if address is None:
            if raw not in (None, ""):
                self.problems.append(f"{where}: not an IP address: {str(raw)[:64]!r}")
            return
        target.setdefault(address.compressed, []).append(where)

    def addresses(self) -> list[RemoteAddress]:
        """Bannable remote addresses: not the resource's own, not an outbound destination,
        not an affiliated account's; none at all for a sample or archived finding."""
        if self.not_actionable:
            return []
        candidates = {ip: list(where) for ip, where in self.remote.items()}
        for ip, where in self.outbound_listed.items():
            candidates.setdefault(ip, []).extend(where)
        if self.outbound_known_malicious:
            for ip, where in self.outbound.items():
                candidates.setdefault(ip, []).extend(where)
        return [
            RemoteAddress(ip, tuple(where))
            for ip, where in candidates.items()
            if ip not in self.own
            and ip not in self.affiliated
            and (
                ip not in self.outbound
                or self.outbound_known_malicious
                or ip in self.outbound_listed
            )
        ]

    def outbound_addresses(self) -> list[str]:
        """Outbound destinations that are not banned (victims, or not known-bad)."""
        if self.outbound_known_malicious:
            return []
        return [ip for ip in self.outbound if ip not in self.own and ip not in self.outbound_listed]


# Finding types whose outbound destination is itself on a threat list (GuardDuty finding
# types reference); the instance is the victim or the bot. Not DenialOfService, Spambot,
# Portscan or outbound brute force: there the destination is a victim.
KNOWN_MALICIOUS_DESTINATION_TYPES = (
    "C&CActivity",
    "BitcoinTool",
    "BlackholeTraffic",
    "DropPoint",
    "MaliciousIPCaller",
)


def names_known_malicious_destination(finding_types: list[str]) -> bool:
    """Whether a finding type says the remote side is a known-bad address."""
    return any(
        marker in str(t) for t in finding_types for marker in KNOWN_MALICIOUS_DESTINATION_TYPES
    )


def parse_address(raw: Any) -> IpAddress | None:
    """An address from a finding field; IPv4-mapped IPv6 becomes IPv4; None if not one."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    text = raw.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    """The operator's own ranges (a comma list from a parameter); raises naming a bad entry.

    Empty entries are skipped; host bits are allowed (``10.0.0.1/8`` -> ``10.0.0.0/8``).

    Raises:
        ValueError: an entry is not a CIDR or address.
    """
    networks = []
    for cidr in cidrs:
        text = cidr.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"not a CIDR in the own-address list: {text[:64]!r}") from None
    return tuple(networks)


def in_networks(ip: str, networks: Iterable[Network]) -> Network | None:
    """The first of ``networks`` that holds ``ip``, if any.

    Raises ValueError if ``ip`` is not an IP address.
    """
    address = ipaddress.ip_address(ip)
    for network in networks:
        if network.version == address.version and address in network:
            return network
    return None


def is_true(value: Any) -> bool:
    """A boolean finding field: JSON true, or "true" as ASFF ProductFields spell it."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() == "true"
