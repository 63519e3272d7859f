"""Endpoints of a GuardDuty attack sequence (Extended Threat Detection), one by one.

Shape ("Amazon GuardDuty API Reference": Sequence, NetworkEndpoint, NetworkConnection,
Signal; ASFF carries the same objects PascalCase under ``Detection.Sequence``):
``sequence.endpoints[]`` has ``id``, ``ip``, ``domain`` and ``connection.direction``
(INBOUND, OUTBOUND or UNKNOWN); ``sequence.signals[]`` has ``name`` (a GuardDuty finding
type for signals of type FINDING) and ``endpointIds`` naming the endpoints it involves.

Each endpoint follows the rule for its own direction, as single findings do:
- INBOUND, or no direction at all: a caller of the resource - banned;
- OUTBOUND / UNKNOWN: a destination the resource connected out to - reported, never
  banned (usually a victim), unless one of the signals naming that endpoint is a
  finding type that says the destination itself is threat-listed
  (``KNOWN_MALICIOUS_DESTINATION_TYPES``: C&C, mining pool, drop point, ...) - then it
  is banned like a caller.
"""

from __future__ import annotations

from typing import Any

from edgeguard.findings.addresses import (
    Extraction,
    as_list,
    lookup,
    names_known_malicious_destination,
)

_OUTBOUND = ("OUTBOUND", "UNKNOWN")


def add_sequence_endpoints(extraction: Extraction, sequence: Any, base: str) -> None:
    """Add every endpoint address of ``sequence`` (a GuardDuty/ASFF Sequence object) to
    ``extraction`` by its direction; ``base`` is the field path used in reports
    (e.g. ``service.detection.sequence``). Domains are reported. Never raises."""
    signal_types: dict[str, list[str]] = {}
    for signal in as_list(lookup(sequence, "signals")):
        names = [str(lookup(signal, key) or "") for key in ("name", "title", "type")]
        for endpoint_id in as_list(lookup(signal, "endpointIds")):
            signal_types.setdefault(str(endpoint_id), []).extend(n for n in names if n)
    for index, endpoint in enumerate(as_list(lookup(sequence, "endpoints"))):
        where = f"{base}.endpoints[{index}].ip"
        raw = lookup(endpoint, "ip")
        domain = lookup(endpoint, "domain")
        if isinstance(domain, str):
            extraction.add_domain(domain)
        direction = lookup(endpoint, "connection", "direction")
        direction = direction.strip().upper() if isinstance(direction, str) else ""
        if direction not in _OUTBOUND:
            extraction.add_remote(raw, where)
            continue
        types = signal_types.get(str(lookup(endpoint, "id") or ""), [])
        if names_known_malicious_destination(types):
            extraction.add_listed_outbound(raw, where)
        else:
            extraction.add_outbound(raw, where)
