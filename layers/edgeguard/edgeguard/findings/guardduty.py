"""Remote addresses from a GuardDuty finding, in every shape the finding format has.

The finding format (GuardDuty API reference: Finding, Service, Action, Detection):
- ``service.action.networkConnectionAction.remoteIpDetails`` (EC2, EKS/ECS runtime,
  Lambda network activity); ``localIpDetails`` is the resource's own address.
- ``service.action.awsApiCallAction.remoteIpDetails`` (IAM, S3 protection, ...).
- ``service.action.portProbeAction.portProbeDetails[]`` - several probes, each with its
  own ``remoteIpDetails`` (and ``localIpDetails``).
- ``service.action.kubernetesApiCallAction.remoteIpDetails`` and ``sourceIPs[]`` (the
  caller and any proxies in between).
- ``service.action.rdsLoginAttemptAction.remoteIpDetails`` (RDS protection).
- ``service.action.dnsRequestAction.domain`` - a domain, no address: reported only.
- ``service.detection.sequence.endpoints[].ip`` (Extended Threat Detection attack
  sequences).
Every ``remoteIpDetails`` may carry ``ipAddressV4`` and/or ``ipAddressV6``. The
resource's own addresses (``resource.instanceDetails.networkInterfaces[]``) are
collected so that they are never taken for an attacker's.
"""

from __future__ import annotations

from typing import Any

from edgeguard.findings.addresses import Extraction, as_list, lookup

# actionType values whose action object carries a remote address.
REMOTE_ACTIONS = {
    "NETWORK_CONNECTION": "networkConnectionAction",
    "AWS_API_CALL": "awsApiCallAction",
    "PORT_PROBE": "portProbeAction",
    "KUBERNETES_API_CALL": "kubernetesApiCallAction",
    "RDS_LOGIN_ATTEMPT": "rdsLoginAttemptAction",
}
_SIMPLE_ACTIONS = (
    "networkConnectionAction",
    "awsApiCallAction",
    "kubernetesApiCallAction",
    "rdsLoginAttemptAction",
)


def _ip_details(extraction: Extraction, details: Any, where: str, own: bool = False) -> None:
    for key in ("ipAddressV4", "ipAddressV6"):
        value = lookup(details, key)
        if own:
            extraction.add_own(value, f"{where}.{key}")
        else:
            extraction.add_remote(value, f"{where}.{key}")


def extract_guardduty(finding: dict[str, Any]) -> Extraction:
    """Every remote address of one finding (the ``detail`` of a "GuardDuty Finding" event)."""
    extraction = Extraction(
        source="guardduty",
        finding_id=str(lookup(finding, "id") or ""),
        finding_type=str(lookup(finding, "type") or "unknown"),
        title=str(lookup(finding, "title") or ""),
        severity=_severity(lookup(finding, "severity")),
        product="GuardDuty",
    )
    action = lookup(finding, "service", "action") or {}
    base = "service.action"

    for name in _SIMPLE_ACTIONS:
        block = lookup(action, name)
        if not block:
            continue
        _ip_details(extraction, lookup(block, "remoteIpDetails"), f"{base}.{name}.remoteIpDetails")
        _ip_details(
            extraction, lookup(block, "localIpDetails"), f"{base}.{name}.localIpDetails", own=True
        )

    kubernetes = lookup(action, "kubernetesApiCallAction") or {}
    for index, value in enumerate(as_list(lookup(kubernetes, "sourceIPs"))):
        extraction.add_remote(value, f"{base}.kubernetesApiCallAction.sourceIPs[{index}]")

    probes = as_list(lookup(action, "portProbeAction", "portProbeDetails"))
    for index, probe in enumerate(probes):
        where = f"{base}.portProbeAction.portProbeDetails[{index}]"
        _ip_details(extraction, lookup(probe, "remoteIpDetails"), f"{where}.remoteIpDetails")
        _ip_details(extraction, lookup(probe, "localIpDetails"), f"{where}.localIpDetails", True)

    dns = lookup(action, "dnsRequestAction")
    if dns:
        extraction.add_domain(lookup(dns, "domain"))

    endpoints = as_list(lookup(finding, "service", "detection", "sequence", "endpoints"))
    for index, endpoint in enumerate(endpoints):
        extraction.add_remote(
            lookup(endpoint, "ip"), f"service.detection.sequence.endpoints[{index}].ip"
        )

    _own_interfaces(extraction, finding)
    return extraction


def _own_interfaces(extraction: Extraction, finding: dict[str, Any]) -> None:
    interfaces = as_list(lookup(finding, "resource", "instanceDetails", "networkInterfaces"))
    for index, interface in enumerate(interfaces):
        where = f"resource.instanceDetails.networkInterfaces[{index}]"
        extraction.add_own(lookup(interface, "publicIp"), f"{where}.publicIp")
        extraction.add_own(lookup(interface, "privateIpAddress"), f"{where}.privateIpAddress")
        for n, private in enumerate(as_list(lookup(interface, "privateIpAddresses"))):
            extraction.add_own(
                lookup(private, "privateIpAddress"), f"{where}.privateIpAddresses[{n}]"
            )
        for n, v6 in enumerate(as_list(lookup(interface, "ipv6Addresses"))):
            extraction.add_own(v6, f"{where}.ipv6Addresses[{n}]")


def _severity(raw: Any) -> float:
    try:
        return float(raw)
    except (TypeError, ValueError):
        return 0.0


def finding_from_event(event: dict[str, Any]) -> dict[str, Any]:
    """The finding inside an EventBridge "GuardDuty Finding" event (its ``detail``)."""
    if event.get("detail-type") not in (None, "GuardDuty Finding"):
        raise ValueError(f"not a GuardDuty finding event: {str(event.get('detail-type'))[:80]!r}")
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise ValueError("GuardDuty finding event without a detail object")
    return detail
