"""Remote addresses from a Security Hub finding (AWS Security Finding Format, ASFF).

What ASFF offers ("AWS Security Hub User Guide: AWS Security Finding Format (ASFF)";
fields per "AWS Security Hub API Reference: AwsSecurityFinding"):
- ``Network``: ``Direction`` IN means the source is the remote side, OUT the
  destination; ``SourceIpV4/V6``, ``DestinationIpV4/V6``, ``SourceDomain``,
  ``DestinationDomain``. Without a direction, the source is taken as remote.
- ``Action``: ``NetworkConnectionAction.RemoteIpDetails.IpAddressV4``,
  ``AwsApiCallAction.RemoteIpDetails.IpAddressV4``,
  ``PortProbeAction.PortProbeDetails[].RemoteIpDetails.IpAddressV4`` (and
  ``LocalIpDetails``, the resource's own), ``DnsRequestAction.Domain``.
- ``ProductFields`` of GuardDuty-originated findings flatten GuardDuty's own format
  into keys such as ``aws/guardduty/service/action/networkConnectionAction/
  remoteIpDetails/ipAddressV4`` or ``.../portProbeDetails.0_/remoteIpDetails/ipAddressV4``;
  these also carry IPv6 addresses that the ASFF objects have no field for.
- ``Detection.Sequence.Endpoints[].Ip`` (GuardDuty attack sequences).
- ``Resources[].Details``: the affected EC2 instance or network interface - its
  addresses are the resource's own and are never banned.

Never banned, reported instead (the same rules as GuardDuty's own format): the
destination of an outbound connection (``Network.Direction`` OUT,
``NetworkConnectionAction.ConnectionDirection`` OUTBOUND/UNKNOWN, or GuardDuty's
``.../networkConnectionAction/connectionDirection`` product field) - a victim or a C&C
server, not a client of the site; an affiliated account's caller; and every address
of a sample finding (``Sample`` true, or GuardDuty's ``.../additionalInfo/sample``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from edgeguard.findings.addresses import (
    Extraction,
    as_list,
    is_true,
    lookup,
    names_known_malicious_destination,
)
from edgeguard.findings.sequence import add_sequence_endpoints

if TYPE_CHECKING:
    from mypy_boto3_securityhub.type_defs import AwsSecurityFindingIdentifierTypeDef

_PRODUCT_REMOTE = re.compile(
    r"^aws/guardduty/service/action/.*(remoteIpDetails/ipAddressV[46]|sourceIPs(\.\d+_?)?)$",
    re.IGNORECASE,
)
_PRODUCT_OWN = re.compile(
    r"^aws/guardduty/service/action/.*localIpDetails/ipAddressV[46]$", re.IGNORECASE
)
_PRODUCT_DOMAIN = re.compile(r"^aws/guardduty/service/action/dnsRequestAction/domain$", re.I)
_SIMPLE_ACTIONS = ("NetworkConnectionAction", "AwsApiCallAction")
_OUTBOUND = ("OUT", "OUTBOUND", "UNKNOWN")
_GD = "aws/guardduty/service/"


def extract_asff(finding: dict[str, Any]) -> Extraction:
    """Every remote address of one ASFF finding.

    ``finding`` is one AwsSecurityFinding (PascalCase keys; any case is accepted).
    Severity is reported on GuardDuty's 0-10 scale. Never raises for malformed
    values: they are recorded in ``Extraction.problems``.
    """
    types = as_list(lookup(finding, "Types"))
    extraction = Extraction(
        source="securityhub",
        finding_id=str(lookup(finding, "Id") or ""),
        finding_type=str(types[0]) if types else str(lookup(finding, "Title") or "unknown"),
        title=str(lookup(finding, "Title") or ""),
        severity=_severity(finding),
        product=str(lookup(finding, "ProductName") or ""),
        region=str(lookup(finding, "Region") or ""),
        account=str(lookup(finding, "AwsAccountId") or ""),
    )
    resources = as_list(lookup(finding, "Resources"))
    if resources and isinstance(lookup(resources[0], "Id"), str):
        extraction.resource = str(lookup(resources[0], "Id")).rsplit("/", 1)[-1][:80]
    _network(extraction, lookup(finding, "Network") or {})
    _action(extraction, lookup(finding, "Action") or {})
    _product_fields(extraction, lookup(finding, "ProductFields") or {})
    extraction.not_actionable = _not_actionable(finding)
    add_sequence_endpoints(
        extraction, lookup(finding, "Detection", "Sequence"), "Detection.Sequence"
    )
    _resources(extraction, as_list(lookup(finding, "Resources")))
    indicators = as_list(lookup(finding, "ThreatIntelIndicators"))
    listed = any(
        str(lookup(item, "Type") or "").upper() in ("IPV4_ADDRESS", "IPV6_ADDRESS")
        for item in indicators
    )
    extraction.outbound_known_malicious = listed or names_known_malicious_destination(
        [str(t) for t in types]
        + [str(lookup(finding, "ProductFields", "aws/guardduty/type") or "")]
    )
    return extraction


def _network(extraction: Extraction, network: dict[str, Any]) -> None:
    direction = str(lookup(network, "Direction") or "").strip().upper()
    remote, own = ("Destination", "Source") if direction == "OUT" else ("Source", "Destination")
    add = extraction.add_outbound if direction == "OUT" else extraction.add_remote
    for version in ("V4", "V6"):
        add(lookup(network, f"{remote}Ip{version}"), f"Network.{remote}Ip{version}")
        if direction in ("IN", "OUT"):
            extraction.add_own(lookup(network, f"{own}Ip{version}"), f"Network.{own}Ip{version}")
    domain = lookup(network, f"{remote}Domain")
    if domain:
        extraction.add_domain(domain)


def _action(extraction: Extraction, action: dict[str, Any]) -> None:
    for name in _SIMPLE_ACTIONS:
        details = lookup(action, name, "RemoteIpDetails")
        direction = str(lookup(action, name, "ConnectionDirection") or "").strip().upper()
        add = extraction.add_remote
        if name == "NetworkConnectionAction" and direction in _OUTBOUND:
            add = extraction.add_outbound
        elif name == "AwsApiCallAction" and is_true(
            lookup(action, name, "RemoteAccountDetails", "Affiliated")
        ):
            add = extraction.add_affiliated
        add(lookup(details, "IpAddressV4"), f"Action.{name}.RemoteIpDetails.IpAddressV4")
    probes = as_list(lookup(action, "PortProbeAction", "PortProbeDetails"))
    for index, probe in enumerate(probes):
        where = f"Action.PortProbeAction.PortProbeDetails[{index}]"
        extraction.add_remote(
            lookup(probe, "RemoteIpDetails", "IpAddressV4"),
            f"{where}.RemoteIpDetails.IpAddressV4",
        )
        extraction.add_own(
            lookup(probe, "LocalIpDetails", "IpAddressV4"), f"{where}.LocalIpDetails.IpAddressV4"
        )
    domain = lookup(action, "DnsRequestAction", "Domain")
    if domain:
        extraction.add_domain(domain)


def _product_fields(extraction: Extraction, fields: dict[str, Any]) -> None:
    if not isinstance(fields, dict):
        return
    lowered = {str(k).lower(): v for k, v in fields.items()}
    direction = str(
        lowered.get(f"{_GD}action/networkconnectionaction/connectiondirection") or ""
    ).upper()
    outbound_connection = direction in _OUTBOUND
    affiliated = is_true(
        lowered.get(f"{_GD}action/awsapicallaction/remoteaccountdetails/affiliated")
    )
    for key, value in fields.items():
        name = str(key)
        low = name.lower()
        if _PRODUCT_OWN.match(name):
            extraction.add_own(value, f"ProductFields[{name}]")
        elif _PRODUCT_REMOTE.match(name):
            if outbound_connection and "/networkconnectionaction/" in low:
                extraction.add_outbound(value, f"ProductFields[{name}]")
            elif affiliated and "/awsapicallaction/" in low:
                extraction.add_affiliated(value, f"ProductFields[{name}]")
            else:
                extraction.add_remote(value, f"ProductFields[{name}]")
        elif _PRODUCT_DOMAIN.match(name):
            extraction.add_domain(value)


def _not_actionable(finding: dict[str, Any]) -> str:
    fields = lookup(finding, "ProductFields")
    sample = is_true(lookup(finding, "Sample"))
    if isinstance(fields, dict):
        sample = sample or any(
            str(k).lower() == f"{_GD}additionalinfo/sample" and is_true(v)
            for k, v in fields.items()
        )
    return "sample finding: nothing banned" if sample else ""


def _resources(extraction: Extraction, resources: list[Any]) -> None:
    for index, resource in enumerate(resources):
        details = lookup(resource, "Details") or {}
        where = f"Resources[{index}].Details"
        instance = lookup(details, "AwsEc2Instance") or {}
        for key in ("IpV4Addresses", "IpV6Addresses"):
            for n, value in enumerate(as_list(lookup(instance, key))):
                extraction.add_own(value, f"{where}.AwsEc2Instance.{key}[{n}]")
        interface = lookup(details, "AwsEc2NetworkInterface") or {}
        extraction.add_own(
            lookup(interface, "PublicIp"), f"{where}.AwsEc2NetworkInterface.PublicIp"
        )
        for n, item in enumerate(as_list(lookup(interface, "PrivateIpAddresses"))):
            extraction.add_own(
                lookup(item, "PrivateIpAddress"),
                f"{where}.AwsEc2NetworkInterface.PrivateIpAddresses[{n}]",
            )
        for n, item in enumerate(as_list(lookup(interface, "IpV6Addresses"))):
            extraction.add_own(
                lookup(item, "IpV6Address"), f"{where}.AwsEc2NetworkInterface.IpV6Addresses[{n}]"
            )


def _severity(finding: dict[str, Any]) -> float:
    """ASFF Severity.Normalized is 0-100; GuardDuty's scale is 0-10: report 0-10."""
    severity = lookup(finding, "Severity") or {}
    product = lookup(severity, "Product")
    if isinstance(product, int | float) and str(lookup(finding, "ProductName")) == "GuardDuty":
        return float(product)
    normalized = lookup(severity, "Normalized")
    if isinstance(normalized, int | float):
        return float(normalized) / 10.0
    label = str(lookup(severity, "Label") or "").upper()
    return {"CRITICAL": 9.0, "HIGH": 7.0, "MEDIUM": 4.0, "LOW": 1.0}.get(label, 0.0)


def findings_from_custom_action(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The findings selected in a "Security Hub Findings - Custom Action" event.

    Event format: "AWS Security Hub User Guide: EventBridge event formats for Security
    Hub CSPM". Entries that are not objects are dropped (the caller counts them).

    Raises:
        ValueError: another detail-type, or no ``detail.findings`` list.
    """
    if event.get("detail-type") not in (None, "Security Hub Findings - Custom Action"):
        raise ValueError(
            f"not a Security Hub custom action event: {str(event.get('detail-type'))[:80]!r}"
        )
    findings = lookup(event, "detail", "findings")
    if not isinstance(findings, list):
        raise ValueError("custom action event without detail.findings")
    return [finding for finding in findings if isinstance(finding, dict)]


def finding_identifier(finding: dict[str, Any]) -> AwsSecurityFindingIdentifierTypeDef | None:
    """What BatchUpdateFindings needs to address a finding: Id and ProductArn."""
    finding_id, product_arn = lookup(finding, "Id"), lookup(finding, "ProductArn")
    if isinstance(finding_id, str) and isinstance(product_arn, str) and finding_id and product_arn:
        return {"Id": finding_id, "ProductArn": product_arn}
    return None
