"""``edgeguard findings FILE...``: which addresses a finding would ban, offline.

Reads what an operator has at hand: an EventBridge "GuardDuty Finding" event, a
Security Hub event (``detail.findings``), ``aws guardduty get-findings`` or
``aws securityhub get-findings`` output, or a single finding. Nothing is recorded.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from edgeguard.decisions import BanPolicy, normalize_ip
from edgeguard.findings.addresses import Extraction, lookup
from edgeguard.findings.asff import extract_asff
from edgeguard.findings.guardduty import extract_guardduty


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "findings", help="show which addresses GuardDuty / Security Hub findings would ban"
    )
    parser.add_argument("files", nargs="+", type=Path, help="finding or event JSON files")
    parser.set_defaults(run=run)


def _is_asff(finding: dict[str, Any]) -> bool:
    return "ProductArn" in finding or "AwsAccountId" in finding


def extractions(document: Any) -> list[Extraction]:
    """Every finding in a document of any of the shapes above."""
    if isinstance(document, list):
        return [e for item in document for e in extractions(item)]
    if not isinstance(document, dict):
        raise ValueError("expected a JSON object or list")
    if document.get("detail-type") == "GuardDuty Finding":
        return [extract_guardduty(document.get("detail") or {})]
    nested = lookup(document, "detail", "findings") or document.get("Findings")
    if isinstance(nested, list):
        return extractions(nested)
    return [extract_asff(document) if _is_asff(document) else extract_guardduty(document)]


def describe(extraction: Extraction, policy: BanPolicy) -> dict[str, Any]:
    addresses = []
    for address in extraction.addresses():
        value, _ = normalize_ip(address.ip, policy.ipv6_host_prefix)
        refusal = policy.refusal(value)
        addresses.append(
            {
                "ip": address.ip,
                "decision": None if refusal else value,
                "refused": refusal,
                "where": list(address.where),
            }
        )
    return {
        "finding": extraction.finding_id,
        "type": extraction.finding_type,
        "severity": extraction.severity,
        "addresses": addresses,
        "own_addresses": sorted(extraction.own),
        "outbound_not_banned": extraction.outbound_addresses(),
        "affiliated_not_banned": sorted(extraction.affiliated),
        "not_actionable": extraction.not_actionable,
        "domains": extraction.domains,
        "problems": extraction.problems,
    }


def run(args: argparse.Namespace) -> int:
    policy = BanPolicy()
    out, failed = [], False
    for path in args.files:
        try:
            document = json.loads(path.read_text())
            out += [describe(e, policy) for e in extractions(document)]
        except (OSError, ValueError) as error:
            print(f"edgeguard findings: {path}: {error}", file=sys.stderr)
            failed = True
    print(json.dumps(out, indent=2))
    return 1 if failed else 0
