"""Remote addresses from a finding of the current Security Hub (OCSF Detection Finding).

Format: the current Security Hub sends one OCSF finding per "Findings Imported V2" event
("AWS Security Hub User Guide: EventBridge event formats" and "OCSF findings in Security
Hub"); the class is OCSF Detection Finding (``class_uid`` 2004, schema "Open Cybersecurity
Schema Framework: Detection Finding"). Where OCSF puts addresses:
- ``evidences[]``: ``src_endpoint.ip`` and ``dst_endpoint.ip`` with
  ``connection_info.direction_id`` (OCSF Network Connection Information:
  0 Unknown, 1 Inbound, 2 Outbound, 3 Lateral, 99 Other) or its caption ``direction``;
- the same three objects at the top of the finding (some producers flatten them there);
- ``observables[]`` of ``type_id`` 2 ("IP Address"), ``value`` the address and ``name``
  the field path it came from.

The refusal rules are those of ASFF and GuardDuty's own format: an inbound connection's
(or one without a direction) source is the remote side, its destination the resource's own
address; an outbound connection's destination is reported, not banned (a victim), unless the
finding type says the destination is threat-listed; Unknown, Lateral and Other directions ban
nothing (both ends reported). Severity: OCSF ``severity_id`` (1 Informational .. 6 Fatal) is
reported on GuardDuty's 0-10 scale for the alert (``SEVERITY_SCALE``).
"""

from __future__ import annotations

from typing import Any

from edgeguard.findings.addresses import (
    Extraction,
    as_list,
    lookup,
    names_known_malicious_destination,
)

DETECTION_FINDING = 2004
IP_ADDRESS_OBSERVABLE = 2
INBOUND, OUTBOUND = 1, 2
# OCSF severity_id -> GuardDuty's 0-10 scale (Informational 0, Low 2, Medium 5, High 7,
# Critical 9, Fatal 10), so that one alert-severity mapping serves every source.
SEVERITY_SCALE = {0: 0.0, 1: 0.0, 2: 2.0, 3: 5.0, 4: 7.0, 5: 9.0, 6: 10.0}
_DIRECTIONS = {"inbound": INBOUND, "outbound": OUTBOUND, "unknown": 0, "lateral": 3}


def is_ocsf(finding: Any) -> bool:
    """Whether ``finding`` looks like an OCSF finding (``class_uid`` or ``finding_info``)."""
    return isinstance(finding, dict) and ("class_uid" in finding or "finding_info" in finding)


def produced_by_guardduty(finding: Any) -> bool:
    """Whether GuardDuty produced this OCSF finding (``metadata.product``, or the finding's
    ARN): GuardDuty's own "GuardDuty Finding" event already carries it to edgeguard."""
    name = lookup(finding, "metadata", "product", "name")
    uid = lookup(finding, "metadata", "product", "uid")
    info_uid = lookup(finding, "finding_info", "uid")
    return (
        (isinstance(name, str) and name.strip().lower() == "guardduty")
        or (isinstance(uid, str) and uid.lower().endswith("/guardduty"))
        or (isinstance(info_uid, str) and info_uid.startswith("arn:aws:guardduty:"))
    )


def _direction(connection: Any) -> int | None:
    """The connection's direction_id, from the id or its caption; None if absent."""
    raw = lookup(connection, "direction_id")
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    caption = lookup(connection, "direction")
    if isinstance(caption, str) and caption.strip():
        return _DIRECTIONS.get(caption.strip().lower(), 99)
    return None


def _connection(extraction: Extraction, holder: Any, where: str) -> None:
    src = lookup(holder, "src_endpoint", "ip")
    dst = lookup(holder, "dst_endpoint", "ip")
    direction = _direction(lookup(holder, "connection_info"))
    if direction in (None, INBOUND):
        extraction.add_remote(src, f"{where}src_endpoint.ip")
        extraction.add_own(dst, f"{where}dst_endpoint.ip")
    elif direction == OUTBOUND:
        extraction.add_outbound(dst, f"{where}dst_endpoint.ip")
        extraction.add_own(src, f"{where}src_endpoint.ip")
    else:  # Unknown, Lateral, Other: no side is known to be a caller of the site
        extraction.add_outbound(src, f"{where}src_endpoint.ip")
        extraction.add_outbound(dst, f"{where}dst_endpoint.ip")
    for end in ("src_endpoint", "dst_endpoint"):
        domain = lookup(holder, end, "domain") or lookup(holder, end, "hostname")
        if isinstance(domain, str):
            extraction.add_domain(domain)


def severity_id(finding: Any) -> int:
    """OCSF ``severity_id`` as an int (0 when absent or malformed)."""
    raw = lookup(finding, "severity_id")
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else 0


def extract_ocsf(finding: dict[str, Any]) -> Extraction:
    """Every remote address of one OCSF Detection Finding (one ``detail.findings[]`` entry
    of a "Findings Imported V2" event, or one GetFindingsV2 result).

    Never raises for malformed values: they are recorded in ``Extraction.problems``.
    """
    types = [t for t in as_list(lookup(finding, "finding_info", "types")) if isinstance(t, str)]
    title = lookup(finding, "finding_info", "title")
    uid = lookup(finding, "metadata", "uid") or lookup(finding, "finding_info", "uid")
    product = lookup(finding, "metadata", "product", "name")
    extraction = Extraction(
        source="securityhub",
        finding_id=str(uid) if isinstance(uid, str) else "",
        finding_type=types[0] if types else (str(title) if isinstance(title, str) else "unknown"),
        title=str(title) if isinstance(title, str) else "",
        severity=SEVERITY_SCALE.get(severity_id(finding), 0.0),
        product=str(product) if isinstance(product, str) else "",
        region=str(lookup(finding, "cloud", "region") or ""),
        account=str(lookup(finding, "cloud", "account", "uid") or ""),
        ocsf=True,
    )
    resources = as_list(lookup(finding, "resources"))
    if resources and isinstance(lookup(resources[0], "uid"), str):
        extraction.resource = str(lookup(resources[0], "uid")).rsplit("/", 1)[-1][:80]
    for index, evidence in enumerate(as_list(lookup(finding, "evidences"))):
        _connection(extraction, evidence, f"evidences[{index}].")
    _connection(extraction, finding, "")
    seen = set(extraction.remote) | set(extraction.own) | set(extraction.outbound)
    for index, observable in enumerate(as_list(lookup(finding, "observables"))):
        kind = lookup(observable, "type_id")
        if kind != IP_ADDRESS_OBSERVABLE and lookup(observable, "type") != "IP Address":
            continue
        value, name = lookup(observable, "value"), lookup(observable, "name")
        if isinstance(value, str) and value.strip() in seen:
            continue  # the evidence it names already placed it (caller, own or victim)
        if isinstance(name, str) and ("dst_endpoint" in name or "resources" in name):
            extraction.add_own(value, f"observables[{index}].value")
        else:
            extraction.add_remote(value, f"observables[{index}].value")
    extraction.outbound_known_malicious = names_known_malicious_destination(types)
    return extraction


def findings_from_v2_event(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The OCSF findings of a "Findings Imported V2" event (``detail.findings``).

    Entries that are not objects are dropped (the caller counts them).

    Raises:
        ValueError: another detail-type, or no ``detail.findings`` list.
    """
    if event.get("detail-type") not in (None, "Findings Imported V2"):
        raise ValueError(
            f"not a Findings Imported V2 event: {str(event.get('detail-type'))[:80]!r}"
        )
    findings = lookup(event, "detail", "findings")
    if not isinstance(findings, list):
        raise ValueError("Findings Imported V2 event without detail.findings")
    return [finding for finding in findings if isinstance(finding, dict)]
