"""Finding-driven blocking (DESIGN.md §1 row 6): GuardDuty findings and Security Hub's
"Block source IP in WAF" action become ban decisions. Extraction is pure logic
(guardduty, asff); blocking records decisions; service ties an event to its alert."""

from edgeguard.findings.addresses import Extraction, RemoteAddress
from edgeguard.findings.asff import extract_asff
from edgeguard.findings.guardduty import extract_guardduty

__all__ = ["Extraction", "RemoteAddress", "extract_asff", "extract_guardduty"]
