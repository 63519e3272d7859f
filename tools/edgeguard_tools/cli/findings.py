"""``edgeguard findings FILE|- ...``: what the deployed stack would do with findings, offline.

Reads what an operator has at hand, plain or gzip'd, from files or ``-`` (stdin): an
EventBridge event ("GuardDuty Finding", "Security Hub Findings - Imported" / "- Custom
Action", "Findings Imported V2"), a bare finding (GuardDuty's own format, ASFF or OCSF), a
JSON list of any of these, or the output of ``aws guardduty get-findings``, ``aws
securityhub get-findings`` or ``get-findings-v2``. Each finding is routed with the rule
patterns of template.yaml under the stack's parameters (``--parameter Name=value``, as
given to ``sam deploy``), and for each it says which rule would take it or why none would,
and what would be banned, refused (and why), reported and alerted - computed by the same
code as the deployed functions, with their settings. Nothing is recorded.

Exit codes: 0 every input read; 1 operational failure (template unreadable); 2 bad input
(not JSON, empty, not a finding, bad --parameter) - the other inputs are still shown.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edgeguard.config import ConfigError
from edgeguard.decisions import DynamoDecisionStore, MemoryStore
from edgeguard.findings.addresses import Extraction, lookup
from edgeguard.findings.asff import extract_asff
from edgeguard.findings.blocking import block_finding, findings_alert
from edgeguard.findings.guardduty import extract_guardduty
from edgeguard.findings.ocsf import extract_ocsf, is_ocsf, produced_by_guardduty, severity_id
from edgeguard.findings.service import FindingSettings, OcsfSettings, ocsf_skip_reason
from edgeguard_tools.local.template import TemplateError
from edgeguard_tools.routing import Routing, Rule, why_not

GUARDDUTY = "GuardDuty Finding"
ASFF_IMPORTED = "Security Hub Findings - Imported"
ASFF_ACTION = "Security Hub Findings - Custom Action"
OCSF_IMPORTED = "Findings Imported V2"
_FINDING_EVENTS = {
    GUARDDUTY: "aws.guardduty",
    ASFF_IMPORTED: "aws.securityhub",
    ASFF_ACTION: "aws.securityhub",
    OCSF_IMPORTED: "aws.securityhub",
}
# Targets that turn a finding's addresses into decisions, and the settings they read.
_BLOCKERS = {"GuardDutyBlockFunction", "SecurityHubBlockFunction", "OcsfBlockFunction"}
# GuardDuty's severity ranges ("Amazon GuardDuty User Guide: Severity levels of GuardDuty
# findings") by the OCSF severity_id Security Hub gives them (Low 2, Medium 3, High 4,
# Critical 5).
GUARDDUTY_BANDS = {2: (1.0, 3.9), 3: (4.0, 6.9), 4: (7.0, 8.9), 5: (9.0, 10.0)}
_BLOCKER_OF = {ASFF_ACTION: "SecurityHubBlockFunction", OCSF_IMPORTED: "OcsfBlockFunction"}
_RESPONSE = {
    "RespondStateMachine": "CloudTrail response: restart and verify logging on the trail the "
    "finding names, update the finding, alert",
}


class BadInput(ValueError):
    """The input is not a finding in any accepted shape (exit 2)."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "findings",
        help="say what the deployed stack would do with GuardDuty / Security Hub findings",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="finding/event JSON (.gz too), or - for stdin"
    )
    parser.add_argument("--json", action="store_true", help="one JSON document, for scripts")
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a stack parameter as deployed (repeatable), e.g. GuardDutyMinSeverity=7",
    )
    parser.set_defaults(run=run)


# ------------------------------------------------------------------------ reading
def read_document(name: str) -> Any:
    """The JSON document in file ``name`` (``-`` = stdin), gzip'd or plain.

    Raises:
        BadInput: empty, not gzip/UTF-8/JSON.
        OSError: the file cannot be read.
    """
    raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise BadInput(f"not a readable gzip file ({error})") from None
    if not raw.strip():
        raise BadInput("empty input: expected a finding, an event or a list of them")
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise BadInput("not UTF-8 text (nor gzip)") from None
    except json.JSONDecodeError as error:
        raise BadInput(f"not JSON: {error.msg} at line {error.lineno}") from None


def _camel(obj: Any) -> Any:
    """GetFindings PascalCase -> the camelCase of GuardDuty's EventBridge events."""
    if isinstance(obj, dict):
        return {
            (k[:1].lower() + k[1:] if isinstance(k, str) else k): _camel(v) for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [_camel(v) for v in obj]
    return obj


def _is_asff(finding: dict[str, Any]) -> bool:
    return any(key in finding for key in ("ProductArn", "AwsAccountId"))


def _is_guardduty(finding: dict[str, Any]) -> bool:
    kind = lookup(finding, "type")
    arn = lookup(finding, "arn")
    return isinstance(kind, str) and (
        isinstance(lookup(finding, "service"), dict)
        or (isinstance(arn, str) and arn.startswith("arn:aws:guardduty:"))
    )


def _event(detail_type: str, detail: dict[str, Any], account: Any, region: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "edgeguard-findings",
        "detail-type": detail_type,
        "source": _FINDING_EVENTS[detail_type],
        "account": account if isinstance(account, str) else "",
        "region": region if isinstance(region, str) else "",
        "resources": [],
        "detail": detail,
    }


def events_of(document: Any) -> list[dict[str, Any]]:
    """One EventBridge event per finding, as AWS would deliver each (a Security Hub event
    carries one finding; a list or a get-findings response becomes several).

    Raises:
        BadInput: the document (or one of its entries) is not a finding or a finding event.
    """
    if isinstance(document, list):
        if not document:
            raise BadInput("an empty list: no finding in it")
        return [event for item in document for event in events_of(item)]
    if not isinstance(document, dict):
        raise BadInput(f"not a finding: a JSON {type(document).__name__}")
    if "detail-type" in document:
        detail_type = document.get("detail-type")
        if detail_type not in _FINDING_EVENTS:
            raise BadInput(f"not a finding event: detail-type {str(detail_type)[:80]!r}")
        if not isinstance(document.get("detail"), dict):
            raise BadInput(f"a {detail_type} event without a detail object")
        if detail_type == GUARDDUTY:
            return [document]
        findings = document["detail"].get("findings")
        if not isinstance(findings, list) or not findings:
            raise BadInput(f"a {detail_type} event without detail.findings")
        out = []
        for finding in findings:
            single = copy.deepcopy(document)
            single["detail"]["findings"] = [finding]
            out.append(single)
        return out
    findings = document.get("Findings")
    if isinstance(findings, list) and len(document.keys() - {"Findings", "NextToken"}) == 0:
        if not findings:
            raise BadInput("a get-findings response with no findings")
        return [event for item in findings for event in events_of(item)]
    if is_ocsf(document):
        account = lookup(document, "cloud", "account", "uid")
        region = lookup(document, "cloud", "region")
        return [_event(OCSF_IMPORTED, {"findings": [document]}, account, region)]
    if _is_guardduty(document):
        detail = _camel(document)
        return [_event(GUARDDUTY, detail, detail.get("accountId"), detail.get("region"))]
    if _is_asff(document):
        region = lookup(document, "Region")
        account = lookup(document, "AwsAccountId")
        return [_event(ASFF_IMPORTED, {"findings": [document]}, account, region)]
    keys = ", ".join(sorted(str(k) for k in document)[:6])
    raise BadInput(f"not a finding: an object with keys {keys or '(none)'}")


# ------------------------------------------------------------------------ answering
@dataclass
class Report:
    """What the deployed stack would do with one finding (JSON-ready via ``as_dict``)."""

    source: str
    format: str
    extraction: Extraction
    routes: list[str] = field(default_factory=list)
    not_routed: list[str] = field(default_factory=list)
    banned: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)
    alert: str = ""
    actions: list[str] = field(default_factory=list)
    via_guardduty: list[str] = field(default_factory=list)
    guardduty_copy: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The JSON form printed by ``--json``."""
        extraction = self.extraction
        return {
            "source": self.source,
            "format": self.format,
            "finding": extraction.finding_id,
            "type": extraction.finding_type,
            "product": extraction.product,
            "severity": extraction.severity,
            "routed_by": self.routes,
            "not_routed": self.not_routed,
            "banned": self.banned,
            "refused": self.refused,
            "banned_through_guardduty_event": self.via_guardduty,
            "guardduty_copy": self.guardduty_copy,
            "outbound_not_banned": extraction.outbound_addresses(),
            "own_addresses": sorted(extraction.own),
            "affiliated_not_banned": sorted(extraction.affiliated),
            "not_actionable": extraction.not_actionable,
            "domains": extraction.domains,
            "problems": extraction.problems,
            "alert": self.alert,
            "other_actions": self.actions,
        }


def _extract(event: dict[str, Any]) -> tuple[str, Extraction, dict[str, Any]]:
    if event["detail-type"] == GUARDDUTY:
        return "guardduty", extract_guardduty(event["detail"]), event["detail"]
    finding = event["detail"]["findings"][0]
    if not isinstance(finding, dict):
        raise BadInput("a findings entry that is not an object")
    if event["detail-type"] == OCSF_IMPORTED:
        return "ocsf", extract_ocsf(finding), finding
    return "asff", extract_asff(finding), finding


class Answerer:
    """Routes events with the stack's rules and computes each blocker's outcome with the
    settings its deployed environment holds."""

    def __init__(self, routing: Routing) -> None:
        self.routing = routing

    def _store(self, target: str) -> MemoryStore:
        env = self.routing.environment(target)
        deployed = DynamoDecisionStore.from_env(env, client=_NO_CLIENT)  # type: ignore[arg-type]
        return MemoryStore(policy=deployed.policy, escalation=deployed.escalation)

    def answer(self, source: str, event: dict[str, Any]) -> Report:
        """The report for one finding event."""
        fmt, extraction, finding = _extract(event)
        report = Report(source, fmt, extraction)
        rules = self.routing.route(event)
        report.routes = [rule.name for rule in rules]
        for rule in rules:
            if rule.target in _BLOCKERS:
                self._block(report, rule, finding)
            else:
                report.actions.append(_RESPONSE.get(rule.target, f"delivered to {rule.target}"))
        if fmt == "ocsf" and produced_by_guardduty(finding):
            report.via_guardduty = self._values(extraction)
            report.guardduty_copy = self._guardduty_copy(finding)
        elif not rules:
            report.not_routed = self._not_deployed(event) + self._why_not(event)
        return report

    def _not_deployed(self, event: dict[str, Any]) -> list[str]:
        """The blockers for this kind of event that these parameters do not deploy."""
        blocker = _BLOCKER_OF.get(event["detail-type"])
        if blocker is None or self.routing.deployed(blocker):
            return []
        resource = self.routing.template.raw.get("Resources", {}).get(blocker, {})
        condition = resource.get("Condition", "")
        return [f"{blocker} is not deployed with these parameters (condition {condition} is false)"]

    def _guardduty_copy(self, finding: dict[str, Any]) -> str:
        """What becomes of a GuardDuty-produced OCSF finding: GuardDuty's own event acts, if
        its severity (known here only as the OCSF band) reaches GuardDutyMinSeverity."""
        env = self.routing.environment("GuardDutyBlockFunction")
        minimum = FindingSettings.from_env(env).min_severity
        low, high = GUARDDUTY_BANDS.get(severity_id(finding), (0.0, 10.0))
        copy_note = "not through this Security Hub copy"
        if low >= minimum:
            return (
                "produced by GuardDuty: the deployed stack bans these addresses through "
                f"GuardDuty's own event (GuardDutyBlockFunction), {copy_note}"
            )
        if high < minimum:
            return (
                f"produced by GuardDuty: its severity ({low:g}-{high:g}) is below "
                f"GuardDutyMinSeverity {minimum:g}, so GuardDuty's own event bans nothing "
                f"either; {copy_note}"
            )
        return (
            "produced by GuardDuty: GuardDuty's own event (GuardDutyBlockFunction) bans these "
            f"addresses if its severity ({low:g}-{high:g} here) is at least {minimum:g}; "
            f"{copy_note}"
        )

    def _values(self, extraction: Extraction) -> list[str]:
        outcome = block_finding(
            self._store("GuardDutyBlockFunction"),
            extraction,
            "guardduty",
            FindingSettings.from_env(self.routing.environment("GuardDutyBlockFunction")).block,
        )
        return outcome.values

    def _block(self, report: Report, rule: Rule, finding: dict[str, Any]) -> None:
        env = self.routing.environment(rule.target)
        origin = "guardduty" if rule.target == "GuardDutyBlockFunction" else "securityhub"
        if rule.target == "OcsfBlockFunction":
            ocsf = OcsfSettings.from_env(env)
            skip = ocsf_skip_reason(finding, ocsf)
            if skip:
                report.not_routed.append(f"{rule.name}: {skip}")
                return
            settings = ocsf.findings
        else:
            settings = FindingSettings.from_env(env)
            if report.extraction.severity < settings.min_severity:
                report.not_routed.append(f"{rule.name}: severity below {settings.min_severity}")
                return
        outcome = block_finding(self._store(rule.target), report.extraction, origin, settings.block)
        for entry in outcome.banned:
            if entry["value"] not in [b["decision"] for b in report.banned]:
                report.banned.append({"decision": entry["value"], "action": settings.block.action})
        report.refused += [{"ip": ip, "reason": why} for ip, why in outcome.refused]
        report.alert = findings_alert([outcome], origin, settings.block.action).title

    def _why_not(self, event: dict[str, Any]) -> list[str]:
        same_kind = [
            rule
            for rule in self.routing.rules(
                str(event.get("account", "")), str(event.get("region", ""))
            )
            if why_not(
                {k: v for k, v in rule.pattern.items() if k in ("source", "detail-type")}, event
            )
            == ""
        ]
        if not same_kind:
            return [
                f"no deployed rule listens to {event['detail-type']!r} events with these parameters"
            ]
        return [f"{rule.name}: {why_not(rule.pattern, event)}" for rule in same_kind]


_NO_CLIENT = object()  # the offline store is in memory; the deployed client is never built


# ------------------------------------------------------------------------ output
def human(report: Report) -> list[str]:
    """A person's reading of one report: the verdict first, then the details."""
    x = report.extraction
    head = f"{report.source}: {x.product or report.format} finding {x.finding_type}"
    lines = [f"{head} (severity {x.severity:g}) {x.finding_id}".rstrip()]
    if report.routes:
        lines.append(f"  routed by: {', '.join(report.routes)}")
    for reason in report.not_routed:
        lines.append(f"  not routed: {reason}")
    if report.banned:
        verb = "counted (dry run)" if report.banned[0]["action"] == "count" else "banned"
        lines.append(f"  would be {verb}: {', '.join(b['decision'] for b in report.banned)}")
    if report.guardduty_copy:
        lines.append(f"  blocking: {report.guardduty_copy}")
    if report.via_guardduty:
        lines.append(f"  attacker addresses: {', '.join(report.via_guardduty)}")
    for item in report.refused:
        lines.append(f"  refused: {item['ip']} ({item['reason']})")
    if x.outbound_addresses():
        lines.append(f"  outbound, not banned (a victim): {', '.join(x.outbound_addresses())}")
    if x.own:
        lines.append(f"  own addresses, never banned: {', '.join(sorted(x.own))}")
    if x.not_actionable:
        lines.append(f"  not acted on: {x.not_actionable}")
    if x.domains:
        lines.append(f"  domains (reported, WAF blocks addresses): {', '.join(x.domains)}")
    for problem in x.problems:
        lines.append(f"  malformed value skipped: {problem}")
    for action in report.actions:
        lines.append(f"  {action}")
    lines.append(f"  alert: {report.alert}" if report.alert else "  alert: none from blocking")
    return lines


def _parameters(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise BadInput(f"--parameter wants NAME=VALUE, got {pair[:80]!r}")
        out[name.strip()] = value
    return out


def run(args: argparse.Namespace) -> int:
    try:
        routing = Routing.load(_parameters(args.parameter))
        answerer = Answerer(routing)
        routing.rules()
    except (BadInput, TemplateError, ConfigError) as error:
        print(f"edgeguard findings: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"edgeguard findings: template.yaml: {error}", file=sys.stderr)
        return 1
    reports: list[Report] = []
    code = 0
    for name in args.files:
        label = "stdin" if name == "-" else name
        try:
            events = events_of(read_document(name))
            reports += [answerer.answer(label, event) for event in events]
        except BadInput as error:
            print(f"edgeguard findings: {label}: {error}", file=sys.stderr)
            code = max(code, 2)
        except FileNotFoundError:
            print(f"edgeguard findings: {label}: no such file", file=sys.stderr)
            code = max(code, 2)
        except OSError as error:
            print(f"edgeguard findings: {label}: {error.strerror or error}", file=sys.stderr)
            code = max(code, 1)
    if args.json:
        print(json.dumps([report.as_dict() for report in reports], indent=2))
    else:
        for report in reports:
            print("\n".join(human(report)))
    return code
