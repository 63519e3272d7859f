"""Turn the addresses of findings into ban decisions, and say what was done.

One place decides for both finding paths (GuardDuty events, Security Hub's
"Block source IP in WAF" action): the resource's own addresses and the
operator's own ranges are skipped, the sink refuses private, reserved and
allowlisted ranges, and dry run records ``count`` decisions instead of bans.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from edgeguard.clock import utcnow
from edgeguard.decisions import DecisionRequest, DecisionSink, InvalidValue
from edgeguard.findings.addresses import Extraction, Network, in_networks
from edgeguard.notify.alert import Alert, single_ban_actions
from edgeguard.notify.console import Console
from edgeguard.notify.wording import ban_did, for_until, parse_time


@dataclass(frozen=True)
class BlockSettings:
    """How findings become decisions (template parameters, read at cold start)."""

    duration: timedelta = timedelta(hours=24)
    dry_run: bool = False
    own_networks: tuple[Network, ...] = ()

    @property
    def action(self) -> str:
        """The decision action: ``count`` in dry run, else ``ban``."""
        return "count" if self.dry_run else "ban"


@dataclass
class FindingOutcome:
    """What became of one finding's addresses."""

    extraction: Extraction
    banned: list[dict[str, Any]] = field(default_factory=list)  # value, status, expires_at
    refused: list[tuple[str, str]] = field(default_factory=list)  # ip, why
    own: list[str] = field(default_factory=list)

    @property
    def values(self) -> list[str]:
        """Decision values, once each (two IPv6 hosts of one /64 are one decision)."""
        return list(dict.fromkeys(entry["value"] for entry in self.banned))

    def note(self, action: str) -> str:
        """The sentence written on a Security Hub finding (Note.Text, at most 512 chars)."""
        verb = "counted (dry run)" if action == "count" else "banned in WAF"
        extraction = self.extraction
        if self.banned:
            until = max(entry["expires_at"] for entry in self.banned)
            text = f"edgeguard {verb} until {until}: {', '.join(self.values)}"
        elif extraction.not_actionable:
            text = f"edgeguard blocked nothing: {extraction.not_actionable}"
        else:
            text = "edgeguard blocked nothing: no bannable remote address"
        outbound = extraction.outbound_addresses()
        if outbound:
            text += "; outbound destinations not banned (a victim, not a client): " + ", ".join(
                outbound
            )
        if extraction.affiliated:
            text += "; affiliated account callers not banned: " + ", ".join(extraction.affiliated)
        if self.refused:
            text += "; refused: " + ", ".join(f"{ip} ({why})" for ip, why in self.refused)
        if self.own:
            text += "; own addresses skipped: " + ", ".join(self.own)
        return text if len(text) <= 512 else text[:509] + "..."


def block_finding(
    sink: DecisionSink,
    extraction: Extraction,
    origin: str,
    settings: BlockSettings,
    now: datetime | None = None,
) -> FindingOutcome:
    """Record one decision per remote address of the finding; idempotent (longest wins).

    Addresses in ``settings.own_networks`` go to ``own``; an IPv6 host whose banned
    range (the sink policy's ``ipv6_host_prefix``, /64 by default) would cover the
    resource's own address or an own network is refused, as is anything the sink
    refuses (private, reserved, allowlisted). ``banned`` holds the recorded decisions
    (value, status, expires_at ISO 8601 UTC to the second). Errors of the sink propagate.
    """
    now = now or utcnow()
    outcome = FindingOutcome(extraction)
    policy = getattr(sink, "policy", None)
    v6_prefix = int(getattr(policy, "ipv6_host_prefix", 64))
    own_addresses = [ipaddress.ip_address(ip) for ip in extraction.own]
    for address in extraction.addresses():
        owned = in_networks(address.ip, settings.own_networks)
        if owned is not None:
            outcome.own.append(address.ip)
            continue
        # An IPv6 host is banned as its /64 (Ipv6HostPrefix): never when that range holds
        # the resource's own address or one of the operator's own ranges (a neighbour in
        # the same subnet must not take the subnet off the site).
        covering = _covering_own(address.ip, v6_prefix, own_addresses, settings.own_networks)
        if covering:
            outcome.refused.append((address.ip, covering))
            continue
        try:
            request = DecisionRequest(
                value=address.ip,
                action=settings.action,
                origin=origin,
                reason=extraction.finding_type,
                duration=settings.duration,
                details={
                    "finding_id": extraction.finding_id,
                    "source": extraction.source,
                    "severity": extraction.severity,
                    "where": list(address.where[:3]),
                },
            )
        except InvalidValue as error:
            outcome.refused.append((address.ip, str(error)))
            continue
        recorded = sink.record(request, now)
        if recorded.status == "refused" or recorded.decision is None:
            outcome.refused.append((address.ip, recorded.reason or "refused"))
            continue
        outcome.banned.append(
            {
                "value": recorded.decision.value,
                "status": recorded.status,
                "expires_at": recorded.decision.expires_at.isoformat(timespec="seconds"),
            }
        )
    outcome.own.extend(ip for ip in extraction.own if ip in extraction.remote)
    return outcome


def _covering_own(
    ip: str,
    v6_prefix: int,
    own_addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address],
    own_networks: tuple[Network, ...],
) -> str:
    """Why the decision range of ``ip`` would cover something of our own, or ""."""
    address = ipaddress.ip_address(ip)
    if address.version != 6:
        return ""
    banned = ipaddress.ip_network(f"{address}/{v6_prefix}", strict=False)
    for own in own_addresses:
        if own.version == 6 and own in banned:
            return f"its /{v6_prefix} ({banned}) holds the resource's own address {own}"
    for network in own_networks:
        if network.version == 6 and banned.overlaps(network):
            return f"its /{v6_prefix} ({banned}) overlaps the own range {network}"
    return ""


def _acts_outbound(outcomes: list[FindingOutcome]) -> bool:
    return any(
        o.extraction.outbound_addresses() and not o.extraction.not_actionable for o in outcomes
    )


def alert_severity(finding_severity: float, banned: bool) -> str:
    """The alert severity ("low", "medium", "high", "critical") for a finding severity on
    GuardDuty's 0-10 scale ("Amazon GuardDuty User Guide: Severity levels of GuardDuty
    findings"): 7.0-8.9 high, 9.0+ critical, 4.0-6.9 medium.

    Without a ban it is one step lower: "medium" from 7.0, else "low".
    """
    if not banned:
        return "low" if finding_severity < 7 else "medium"
    if finding_severity >= 9:
        return "critical"
    if finding_severity >= 7:
        return "high"
    return "medium"


def threat_name(finding_type: str, title: str = "") -> str:
    """A finding type as words a person reads: "UnauthorizedAccess:EC2/SSHBruteForce" ->
    "SSH brute force", "Recon:EC2/PortProbeUnprotectedPort" -> "Port probe unprotected
    port"; the finding's title when the type has no threat name (ASFF's
    "TTPs/Initial Access/..." or free text)."""
    match = re.search(r"/([A-Za-z0-9]+)(?:[.!][A-Za-z0-9]+)*$", finding_type or "")
    if not match:
        return (title or finding_type or "finding").strip().rstrip(".")[:120]
    words = re.findall(r"[A-Z]+(?=[A-Z][a-z]|\d|$)|[A-Z]?[a-z]+|\d+", match.group(1))
    spoken = " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words)
    return spoken[:1].upper() + spoken[1:] if spoken else finding_type


def findings_alert(
    outcomes: Iterable[FindingOutcome],
    origin: str,
    action: str,
    console: Console | None = None,
    now: datetime | None = None,
) -> Alert:
    """One alert for everything a finding event led to.

    What happened names the threat, the attacker (organisation, ASN and country as the
    finding carries them) and the attacked resource; what edgeguard did, the
    ``edgeguard unblock`` command per banned value and links to the finding (GuardDuty,
    Security Hub CSPM, or the current Security Hub for OCSF) and the WAF IP sets, in the
    finding's own region and partition (``console``, default: links without a region).
    An alert about one banned value carries unblock/extend/details ``actions``.
    """
    outcomes = list(outcomes)
    console = console or Console()
    now = now or utcnow()
    values = sorted({value for outcome in outcomes for value in outcome.values})
    refused = [f"{ip}: {why}" for outcome in outcomes for ip, why in outcome.refused]
    own = sorted({ip for outcome in outcomes for ip in outcome.own})
    domains = sorted({d for outcome in outcomes for d in outcome.extraction.domains})
    source = "GuardDuty" if origin == "guardduty" else "Security Hub"
    types = sorted({outcome.extraction.finding_type for outcome in outcomes})
    top = max((outcome.extraction.severity for outcome in outcomes), default=0.0)
    verb = "counted (dry run)" if action == "count" else "banned"
    if values:
        title = f"{source}: {len(values)} address{'es' if len(values) != 1 else ''} {verb}"
    elif outcomes and all(o.extraction.not_actionable for o in outcomes):
        title = f"{source}: {outcomes[0].extraction.not_actionable}"
    elif any(
        o.extraction.outbound_addresses() for o in outcomes if not o.extraction.not_actionable
    ):
        # A resource of yours connects out (C&C, mining pool, brute force on others): the
        # news is the resource, and it is as urgent as the finding says.
        title = f"{source}: a resource of yours connects out to a suspicious address (not banned)"
    else:
        title = f"{source}: finding with no bannable address"
    fields: dict[str, Any] = {
        "finding types": types,
        "severity": top,
        "findings": len(outcomes),
        verb: values,
    }
    expiries = [entry["expires_at"] for outcome in outcomes for entry in outcome.banned]
    if expiries:
        fields["until"] = max(expiries)
    if refused:
        fields["refused"] = refused
    if own:
        fields["own addresses skipped"] = own
    if domains:
        fields["domains (not blockable in WAF)"] = domains
    outbound = sorted({ip for o in outcomes for ip in o.extraction.outbound_addresses()})
    if outbound:
        fields["outbound destinations (victims, not banned)"] = outbound
    affiliated = sorted({ip for o in outcomes for ip in o.extraction.affiliated})
    if affiliated:
        fields["affiliated account callers (not banned)"] = affiliated
    not_actionable = sorted({o.extraction.not_actionable for o in outcomes} - {""})
    if not_actionable:
        fields["not acted on"] = not_actionable
    problems = [p for outcome in outcomes for p in outcome.extraction.problems]
    if problems:
        fields["malformed values skipped"] = problems[:10]
    ids = [o.extraction.finding_id for o in outcomes if o.extraction.finding_id]
    if ids:
        fields["finding ids"] = ids[:10]
    until = max((parse_time(e) for e in expiries), default=None, key=_sortable)
    return Alert(
        kind=f"{origin}-block",
        title=title,
        severity=alert_severity(top, bool(values) or _acts_outbound(outcomes)),
        fields=fields,
        happened=_happened(outcomes, title, verb, until, now),
        did=_did(outcomes, values, action, until, now),
        undo=console.unblock_all(values, origin),
        links=_links(outcomes, console, bool(values)),
        actions=single_ban_actions(values),
    )


def _sortable(moment: datetime | None) -> datetime:
    return moment or datetime.min.replace(tzinfo=UTC)


def _happened(
    outcomes: list[FindingOutcome],
    title: str,
    verb: str,
    until: datetime | None,
    now: datetime,
) -> str:
    banned = [o for o in outcomes if o.values]
    if not banned:
        first = outcomes[0].extraction if outcomes else None
        if first is None:
            return title
        against = f" against {first.resource}" if first.resource else ""
        return (
            f"{threat_name(first.finding_type, first.title)}{against}: {title.split(': ', 1)[-1]}"
        )
    extraction = banned[0].extraction
    attackers = [
        a.ip for a in extraction.addresses() if any(_holds(v, a.ip) for v in banned[0].values)
    ]
    who = attackers[0] if attackers else banned[0].values[0]
    context = extraction.describe(who)
    who += f" ({context})" if context else ""
    others = len({v for o in banned for v in o.values}) - 1
    if others > 0:
        who += f" and {others} more"
    against = f" against {extraction.resource}" if extraction.resource else ""
    more = f" (+{len(outcomes) - 1} more findings)" if len(outcomes) > 1 else ""
    when = f" {for_until(until, now)}" if until else ""
    return (
        f"{threat_name(extraction.finding_type, extraction.title)} from {who}{against}{more}"
        f" \u2014 {verb}{when}"
    )


def _holds(value: str, ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False


def _did(
    outcomes: list[FindingOutcome],
    values: list[str],
    action: str,
    until: datetime | None,
    now: datetime,
) -> str:
    if not values:
        reasons = sorted({o.extraction.not_actionable for o in outcomes} - {""})
        return "Nothing banned" + (f": {reasons[0]}" if reasons else ": no bannable remote address")
    when = for_until(until, now) if until else ""
    return ban_did(values, action == "count", when)


def _links(
    outcomes: list[FindingOutcome], console: Console, banned: bool
) -> tuple[tuple[str, str], ...]:
    links: list[tuple[str, str]] = []
    for outcome in outcomes[:3]:
        extraction = outcome.extraction
        if not extraction.finding_id:
            continue
        here = console.in_region(extraction.region)
        if extraction.source == "guardduty":
            links.append(("GuardDuty finding", here.guardduty_finding(extraction.finding_id)))
        elif extraction.ocsf:
            links.append(
                ("Security Hub finding", here.securityhub_v2_finding(extraction.finding_id))
            )
        else:
            links.append(("Security Hub finding", here.securityhub_finding(extraction.finding_id)))
    if banned:
        links.append(("WAF IP sets", console.waf_ip_sets()))
    return tuple(links)
