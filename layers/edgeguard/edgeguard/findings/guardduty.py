"""Remote addresses from a GuardDuty finding, in every shape the finding format has.

The finding format ("Amazon GuardDuty User Guide: GuardDuty finding format"; fields per
"Amazon GuardDuty API Reference": Finding, Service, Action, Detection):
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
  sequences): each endpoint by its own ``connection.direction`` (see ``sequence``).
Every ``remoteIpDetails`` may carry ``ipAddressV4`` and/or ``ipAddressV6``. The
resource's own addresses (``resource.instanceDetails.networkInterfaces[]``) are
collected so that they are never taken for an attacker's.

What is never banned (each is reported in the alert instead):
- the remote side of an OUTBOUND or UNKNOWN-direction ``networkConnectionAction``
  (``connectionDirection``): the resource connected out to it, so it is usually the
  victim (UnauthorizedAccess:EC2/SSHBruteForce outbound, Backdoor:EC2/DenialOfService,
  Recon:EC2/Portscan). Exception: when GuardDuty says the destination is itself
  known-bad (``service.evidence.threatIntelligenceDetails``, or a type such as
  Backdoor:*/C&CActivity.B, CryptoCurrency:*/BitcoinTool.B, Trojan:*/DropPoint,
  *MaliciousIPCaller*), it is banned: a threat-listed address has no business on the site.
- the caller of an ``awsApiCallAction`` whose ``remoteAccountDetails.affiliated`` is
  true: an account of the organisation itself.
- everything of a ``Policy:*`` finding (root credential usage, S3 block public access
  disabled, Kubernetes dashboard exposed, ...): GuardDuty reports a best-practice
  violation by one of the account's own principals; its address is usually an admin's.
- everything of a sample finding (``service.additionalInfo.sample``, made by
  "Generate sample findings") or an archived one (``service.archived``).
"""

from __future__ import annotations

from typing import Any

from edgeguard.findings.addresses import (
    Extraction,
    as_list,
    is_true,
    lookup,
    names_known_malicious_destination,
    parse_address,
)
from edgeguard.findings.sequence import add_sequence_endpoints

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


def _ip_details(extraction: Extraction, details: Any, where: str, kind: str = "remote") -> None:
    add = {
        "remote": extraction.add_remote,
        "own": extraction.add_own,
        "outbound": extraction.add_outbound,
        "affiliated": extraction.add_affiliated,
    }[kind]
    for key in ("ipAddressV4", "ipAddressV6"):
        add(lookup(details, key), f"{where}.{key}")
    if kind != "own":
        remember_context(extraction, details)


def remember_context(extraction: Extraction, details: Any) -> None:
    """Keep the organisation, ASN, country and city a ``remoteIpDetails`` carries, by
    address ("Amazon GuardDuty API Reference": RemoteIpDetails, Organization, Country)."""
    context = {
        "org": lookup(details, "organization", "asnOrg")
        or lookup(details, "organization", "org")
        or lookup(details, "organization", "isp"),
        "asn": lookup(details, "organization", "asn"),
        "country": lookup(details, "country", "countryName")
        or lookup(details, "country", "countryCode"),
        "city": lookup(details, "city", "cityName"),
    }
    kept = {
        k: str(v).strip()[:64]
        for k, v in context.items()
        if isinstance(v, str | int) and str(v).strip()
    }
    if kept.get("asn") and not kept["asn"].upper().startswith("AS"):
        kept["asn"] = f"AS{kept['asn']}"
    for key in ("ipAddressV4", "ipAddressV6"):
        address = parse_address(lookup(details, key))
        if address is not None and kept:
            extraction.context.setdefault(address.compressed, kept)


def _remote_kind(name: str, block: Any) -> str:
    """Whether the remote side of an action block is a caller (remote) or not."""
    if name == "networkConnectionAction":
        direction = str(lookup(block, "connectionDirection") or "").strip().upper()
        if direction in ("OUTBOUND", "UNKNOWN"):
            return "outbound"
    if name == "awsApiCallAction" and is_true(lookup(block, "remoteAccountDetails", "affiliated")):
        return "affiliated"
    return "remote"


def not_actionable(finding: dict[str, Any]) -> str:
    """Why a GuardDuty finding must ban nothing (sample, archived), or ""."""
    if is_true(lookup(finding, "service", "additionalInfo", "sample")):
        return "sample finding (Generate sample findings): nothing banned"
    if is_true(lookup(finding, "service", "archived")):
        return "archived finding: nothing banned"
    if str(lookup(finding, "type") or "").startswith("Policy:"):
        return "policy finding (the caller is one of your own principals): nothing banned"
    return ""


def extract_guardduty(finding: dict[str, Any]) -> Extraction:
    """Every remote address of one finding (the ``detail`` of a "GuardDuty Finding" event).

    Keys may be camelCase (EventBridge) or PascalCase (GetFindings). Never raises for
    malformed values: they are recorded in ``Extraction.problems``.
    """
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
        _ip_details(
            extraction,
            lookup(block, "remoteIpDetails"),
            f"{base}.{name}.remoteIpDetails",
            _remote_kind(name, block),
        )
        _ip_details(
            extraction, lookup(block, "localIpDetails"), f"{base}.{name}.localIpDetails", "own"
        )

    kubernetes = lookup(action, "kubernetesApiCallAction") or {}
    for index, value in enumerate(as_list(lookup(kubernetes, "sourceIPs"))):
        extraction.add_remote(value, f"{base}.kubernetesApiCallAction.sourceIPs[{index}]")

    probes = as_list(lookup(action, "portProbeAction", "portProbeDetails"))
    for index, probe in enumerate(probes):
        where = f"{base}.portProbeAction.portProbeDetails[{index}]"
        _ip_details(extraction, lookup(probe, "remoteIpDetails"), f"{where}.remoteIpDetails")
        _ip_details(extraction, lookup(probe, "localIpDetails"), f"{where}.localIpDetails", "own")

    dns = lookup(action, "dnsRequestAction")
    if dns:
        extraction.add_domain(lookup(dns, "domain"))

    add_sequence_endpoints(
        extraction,
        lookup(finding, "service", "detection", "sequence"),
        "service.detection.sequence",
    )

    _own_interfaces(extraction, finding)
    extraction.resource = resource_label(finding)
    extraction.region = str(lookup(finding, "region") or "")
    extraction.account = str(lookup(finding, "accountId") or "")
    extraction.not_actionable = not_actionable(finding)
    threat_intel = as_list(lookup(finding, "service", "evidence", "threatIntelligenceDetails"))
    extraction.outbound_known_malicious = bool(threat_intel) or names_known_malicious_destination(
        [extraction.finding_type]
    )
    return extraction


def resource_label(finding: dict[str, Any]) -> str:
    """The attacked resource as a person names it: the EC2 instance id, an S3 bucket, an
    EKS cluster, an access key's user, a Lambda function, an RDS instance; else the
    finding's ``resource.resourceType``; "" when it has none."""
    resource = lookup(finding, "resource") or {}
    instance = lookup(resource, "instanceDetails", "instanceId")
    if instance:
        return str(instance)
    buckets = as_list(lookup(resource, "s3BucketDetails"))
    if buckets and lookup(buckets[0], "name"):
        return f"bucket {lookup(buckets[0], 'name')}"
    for path, label in (
        (("eksClusterDetails", "name"), "EKS cluster"),
        (("lambdaDetails", "functionName"), "function"),
        (("rdsDbInstanceDetails", "dbInstanceIdentifier"), "database"),
        (("accessKeyDetails", "userName"), "user"),
    ):
        value = lookup(resource, *path)
        if value:
            return f"{label} {value}"
    return str(lookup(resource, "resourceType") or "")


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
    """The finding inside an EventBridge "GuardDuty Finding" event (its ``detail``).

    Event format: "Amazon GuardDuty User Guide: Creating custom responses to GuardDuty
    findings with Amazon EventBridge". A bare event without ``detail-type`` is accepted.

    Raises:
        ValueError: another detail-type, or no ``detail`` object.
    """
    if event.get("detail-type") not in (None, "GuardDuty Finding"):
        raise ValueError(f"not a GuardDuty finding event: {str(event.get('detail-type'))[:80]!r}")
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise ValueError("GuardDuty finding event without a detail object")
    return detail
