"""The fewest CIDRs that cover exactly the decided addresses, minus what may never be banned.

Works on integer intervals: merge what was decided, cut out the exclusions
(allowlist, private and reserved ranges), and summarise each remaining interval
into CIDRs. The result never covers an address that no decision covered.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Interval = tuple[int, int]


def _intervals(networks: Iterable[Network]) -> list[Interval]:
    spans = sorted((int(net.network_address), int(net.broadcast_address)) for net in networks)
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def _subtract(spans: list[Interval], holes: list[Interval]) -> list[Interval]:
    """spans minus holes; both sorted and merged."""
    result: list[Interval] = []
    h = 0
    for start, end in spans:
        while h < len(holes) and holes[h][1] < start:
            h += 1
        cursor, j = start, h
        while j < len(holes) and holes[j][0] <= end:
            if holes[j][0] > cursor:
                result.append((cursor, holes[j][0] - 1))
            cursor = max(cursor, holes[j][1] + 1)
            j += 1
        if cursor <= end:
            result.append((cursor, end))
    return result


def aggregate(
    networks: Iterable[Network], exclusions: Iterable[Network] = (), version: int = 4
) -> list[str]:
    """Minimal CIDR list (sorted by address) for the union of ``networks`` minus ``exclusions``.

    Only networks of ``version`` are considered; the caller groups by IP version.
    """
    spans = _intervals(n for n in networks if n.version == version)
    holes = _intervals(n for n in exclusions if n.version == version)
    address = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    cidrs: list[str] = []
    for start, end in _subtract(spans, holes):
        cidrs.extend(
            net.with_prefixlen
            for net in ipaddress.summarize_address_range(address(start), address(end))
        )
    return cidrs


def parse(cidr: str) -> Network | None:
    """A CIDR as WAF or the table holds it; None for anything unparseable."""
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False)
    except (ValueError, AttributeError):
        return None
