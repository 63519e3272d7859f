"""The single writer: make WAF equal to the active decisions, and say when it cannot.

Each run reads the active decisions (expires_at > now, whatever TTL has deleted),
plans every group (ban and captcha x IPv4 and IPv6, and the blocked tenants), and
writes only the sets whose contents differ. The decisions table is the truth: an
address someone added to a managed set by hand is removed on the next run (use the
allowlist or ``edgeguard block`` instead). ``count`` decisions are never enforced.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from edgeguard.clock import utcnow
from edgeguard.config import ConfigError, integer, optional, require
from edgeguard.decisions import Decision, never_bannable
from edgeguard.notify.alert import Alert, publish
from edgeguard.waf import capacity, shard, tenants
from edgeguard.waf.aggregate import Holes, Network, aggregate, parse
from edgeguard.waf.sets import (
    Retry,
    SetRef,
    Snapshot,
    read_ip_set,
    read_regex_set,
    with_retries,
    write_ip_set,
    write_regex_set,
)

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_wafv2 import WAFV2Client

logger = logging.getLogger(__name__)

WAF_SET_LIMIT = 10_000
MAX_SHARDS = 4
ENFORCED_IP_ACTIONS = ("ban", "captcha")
OVERFLOW_ALERT_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class EnforcerSettings:
    """Which sets the enforcer owns (ARNs from the template) and how tenants look."""

    ban_v4: tuple[SetRef, ...]
    ban_v6: tuple[SetRef, ...]
    captcha_v4: SetRef | None = None
    captcha_v6: SetRef | None = None
    allow_v4: SetRef | None = None
    allow_v6: SetRef | None = None
    tenant_set: SetRef | None = None
    tenant_template: str = "/account/{tenant}/"
    alerts_topic_arn: str = ""
    set_capacity: int = WAF_SET_LIMIT

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EnforcerSettings:
        """BAN_IPV4_SET_1..4 / BAN_IPV6_SET_1..4 (shard 1 required), CAPTCHA_IPV4_SET,
        CAPTCHA_IPV6_SET, ALLOW_IPV4_SET, ALLOW_IPV6_SET, TENANT_PATTERN_SET,
        TENANT_PATH_TEMPLATE, ALERTS_TOPIC_ARN: ARNs except the template; WAF_SCOPE
        (CLOUDFRONT or REGIONAL) overrides the scope the ARNs imply. IP_SET_CAPACITY
        (1-10,000, default 10,000) is the entries per set ("AWS WAF Developer Guide: AWS
        WAF quotas").

        Raises:
            ConfigError: a required ARN is missing, an ARN or the template is malformed,
                WAF_SCOPE is neither value, or IP_SET_CAPACITY is out of range.
        """
        scope = optional("WAF_SCOPE", "", environ)
        if scope not in {"", "CLOUDFRONT", "REGIONAL"}:
            raise ConfigError("WAF_SCOPE must be CLOUDFRONT or REGIONAL")

        def ref(name: str, required: bool = False) -> SetRef | None:
            raw = require(name, environ) if required else optional(name, "", environ)
            if not raw:
                return None
            try:
                return SetRef.from_arn(raw, scope)
            except ValueError as error:
                raise ConfigError(f"environment variable {name}: {error}") from None

        def shards(version: int) -> tuple[SetRef, ...]:
            found = [ref(f"BAN_IPV{version}_SET_1", required=True)]
            found += [ref(f"BAN_IPV{version}_SET_{n}") for n in range(2, MAX_SHARDS + 1)]
            return tuple(s for s in found if s is not None)

        template = optional("TENANT_PATH_TEMPLATE", "/account/{tenant}/", environ)
        try:
            tenants.affixes(template)
        except ValueError as error:
            raise ConfigError(f"invalid enforcer setting: {error}") from None
        set_capacity = integer(
            "IP_SET_CAPACITY", WAF_SET_LIMIT, environ, minimum=1, maximum=WAF_SET_LIMIT
        )
        return cls(
            ban_v4=shards(4),
            ban_v6=shards(6),
            captcha_v4=ref("CAPTCHA_IPV4_SET"),
            captcha_v6=ref("CAPTCHA_IPV6_SET"),
            allow_v4=ref("ALLOW_IPV4_SET"),
            allow_v6=ref("ALLOW_IPV6_SET"),
            tenant_set=ref("TENANT_PATTERN_SET"),
            tenant_template=template,
            alerts_topic_arn=optional("ALERTS_TOPIC_ARN", "", environ),
            set_capacity=set_capacity,
        )

    def ip_groups(self) -> list[tuple[str, int, tuple[SetRef, ...]]]:
        """The IP groups to reconcile, as (action, IP version, sets) tuples.

        Always ("ban", 4, ban_v4) and ("ban", 6, ban_v6); a ("captcha", v, (set,)) group only
        for each captcha set that is configured.
        """
        groups = [("ban", 4, self.ban_v4), ("ban", 6, self.ban_v6)]
        for version, captcha in ((4, self.captcha_v4), (6, self.captcha_v6)):
            if captcha:
                groups.append(("captcha", version, (captcha,)))
        return groups


@dataclass
class GroupReport:
    """What one group (e.g. ban/IPv4) looked like after the run."""

    group: str
    decisions: int
    entries: int
    updates: int = 0
    retries: int = 0
    added: int = 0
    removed: int = 0
    dropped: list[Decision] = field(default_factory=list)


@dataclass
class Report:
    """One enforcer run, for logs, metrics and the CLI."""

    now: datetime
    groups: list[GroupReport] = field(default_factory=list)
    invalid: int = 0

    @property
    def updates(self) -> int:
        """UpdateIPSet / UpdateRegexPatternSet calls made, summed over all groups."""
        return sum(g.updates for g in self.groups)

    @property
    def dropped(self) -> list[Decision]:
        """Decisions not enforced for lack of room, every group's in rank order."""
        return [d for g in self.groups for d in g.dropped]

    def as_dict(self) -> dict[str, Any]:
        """The run as a JSON-ready dict: ``now`` (ISO 8601), totals, and per group its counts.

        Dropped decisions are given as counts, never as values.
        """
        return {
            "now": self.now.isoformat(),
            "updates": self.updates,
            "invalid": self.invalid,
            "dropped": len(self.dropped),
            "groups": {
                g.group: {
                    "decisions": g.decisions,
                    "entries": g.entries,
                    "updates": g.updates,
                    "retries": g.retries,
                    "added": g.added,
                    "removed": g.removed,
                    "dropped": len(g.dropped),
                }
                for g in self.groups
            },
        }


def plan_ip_group(
    decisions: Sequence[Decision],
    networks: Mapping[str, Network],
    exclusions: Sequence[Network],
    version: int,
    room: int,
) -> capacity.Fitted:
    """The entries one (action, IP version) group should hold: the fewest CIDRs covering
    the decided networks minus the exclusions, trimmed to ``room`` by rank."""

    def entries_of(chosen: Sequence[Decision]) -> list[str]:
        return aggregate((networks[d.value] for d in chosen), exclusions, version)

    holes = Holes(exclusions)
    return capacity.fit(
        decisions,
        entries_of,
        room,
        own_count=lambda decision: holes.pieces(networks[decision.value]),
    )


class Enforcer:
    """Reconciles the managed WAF sets with a list of decisions.

    Args (of ``__init__``): ``settings`` says which sets it owns; ``waf_client`` is a boto3
    ``wafv2`` client of the sets' region (us-east-1 for CLOUDFRONT scope); ``sns_client``
    (optional) publishes the capacity alert; ``retry`` sets the conflict/throttle budget.
    One instance per container: it remembers when it last alerted about overflow.
    """

    def __init__(
        self,
        settings: EnforcerSettings,
        waf_client: WAFV2Client,
        sns_client: SNSClient | None = None,
        retry: Retry | None = None,
    ) -> None:
        self.settings = settings
        self.waf = waf_client
        self.sns = sns_client
        self.retry = retry or Retry()
        # Warm-container memory: while decisions keep overflowing, say so at most once
        # an hour (every changing run would otherwise alert every minute).
        self._overflow_alerted_at: datetime | None = None

    def run(self, store: Any, now: datetime | None = None) -> Report:
        """Read the active decisions from ``store`` and reconcile."""
        now = now or utcnow()
        return self.reconcile(store.active(now), now)

    def reconcile(self, decisions: Sequence[Decision], now: datetime | None = None) -> Report:
        """Make every managed set hold exactly what the active ``decisions`` ask for.

        Only decisions with ``expires_at > now`` count (``now`` defaults to the clock, UTC).
        IP decisions with action ban or captcha go to their (action, IP version) group;
        ``count`` decisions are never enforced, and captcha decisions only when a captcha set
        is configured. Tenant bans go to the tenant regex pattern set when it is configured.
        Each group is aggregated, trimmed to capacity (see ``capacity.fit``), sharded and
        written diff-only; unparseable values are counted in ``Report.invalid`` and skipped.
        When decisions are dropped and the run changed something, an alert is published at
        most once per hour (``OVERFLOW_ALERT_EVERY``).

        Raises:
            EnforcementError: a set was still conflicting or throttled after the retry budget.
            botocore.exceptions.ClientError: any other WAF error (e.g. access denied, a set
                that does not exist); it is not retried.
        """
        now = now or utcnow()
        report = Report(now)
        active = [d for d in decisions if d.active(now)]
        networks: dict[str, Network] = {}
        for decision in active:
            if decision.scope == "tenant":
                continue
            network = parse(decision.value)
            if network is None:
                report.invalid += 1
                logger.warning("skipping unparseable decision value %r", decision.value[:64])
                continue
            networks[decision.value] = network
        exclusions = self._exclusions()
        for action, version, refs in self.settings.ip_groups():
            chosen = [
                d
                for d in active
                if d.action == action
                and d.value in networks
                and networks[d.value].version == version
            ]
            report.groups.append(
                self._sync_ip_group(f"{action}-v{version}", chosen, networks, exclusions, refs)
            )
        if self.settings.tenant_set:
            chosen = [d for d in active if d.scope == "tenant" and d.action == "ban"]
            report.groups.append(self._sync_tenants(chosen))
        if report.dropped and report.updates:
            last = self._overflow_alerted_at
            if last is None or now - last >= OVERFLOW_ALERT_EVERY:
                self._announce_overflow(report)
                self._overflow_alerted_at = now
        elif not report.dropped:
            self._overflow_alerted_at = None
        return report

    # ------------------------------------------------------------ IP sets
    def _exclusions(self) -> list[Network]:
        excluded = [network for network, _why in never_bannable()]
        for ref in (self.settings.allow_v4, self.settings.allow_v6):
            if ref:
                snapshot, _ = with_retries(
                    partial(read_ip_set, self.waf, ref), self.retry, f"read {ref.name}"
                )
                excluded += [n for n in map(parse, snapshot.entries) if n is not None]
        return excluded

    def _sync_ip_group(
        self,
        group: str,
        decisions: list[Decision],
        networks: dict[str, Network],
        exclusions: list[Network],
        refs: tuple[SetRef, ...],
    ) -> GroupReport:
        version = 4 if group.endswith("v4") else 6

        limit = self.settings.set_capacity
        fitted = plan_ip_group(decisions, networks, exclusions, version, limit * len(refs))
        report = GroupReport(group, len(decisions), len(fitted.entries), dropped=fitted.dropped)

        def attempt() -> None:
            snapshots = [read_ip_set(self.waf, ref) for ref in refs]
            layout = shard.assign(fitted.entries, [s.entries for s in snapshots], limit)
            self._apply(report, snapshots, layout, write_ip_set)

        _, report.retries = with_retries(attempt, self.retry, f"sync {group}")
        return report

    def _apply(self, report: GroupReport, snapshots: list[Snapshot], layout, writer) -> None:
        changes = [
            (snapshot, wanted)
            for snapshot, wanted in zip(snapshots, layout, strict=True)
            if sorted(snapshot.entries) != sorted(wanted)
        ]
        # Sets that only gain entries go first, so an entry moving between sets is
        # never absent from both.
        changes.sort(key=lambda change: bool(set(change[0].entries) - set(change[1])))
        for snapshot, wanted in changes:
            report.updates += 1
            writer(self.waf, snapshot, list(wanted))
            report.added += len(set(wanted) - set(snapshot.entries))
            report.removed += len(set(snapshot.entries) - set(wanted))
            logger.info(
                "updated %s: %d entries (+%d -%d)",
                snapshot.ref.name,
                len(wanted),
                len(set(wanted) - set(snapshot.entries)),
                len(set(snapshot.entries) - set(wanted)),
            )

    # ------------------------------------------------------------ tenants
    def _sync_tenants(self, decisions: list[Decision]) -> GroupReport:
        ref = self.settings.tenant_set
        assert ref is not None
        template = self.settings.tenant_template
        ranked = capacity.rank(decisions)
        keep = len(ranked)
        while keep and not tenants.fits(tenants.pack(template, (d.value for d in ranked[:keep]))):
            keep -= 1
        regexes = tenants.pack(template, (d.value for d in ranked[:keep]))
        report = GroupReport("tenants", len(decisions), len(regexes), dropped=ranked[keep:])

        def attempt() -> None:
            snapshot = read_regex_set(self.waf, ref)
            self._apply(report, [snapshot], [regexes], write_regex_set)

        _, report.retries = with_retries(attempt, self.retry, "sync tenants")
        return report

    # ------------------------------------------------------------ alerts
    def _announce_overflow(self, report: Report) -> None:
        if not (self.sns and self.settings.alerts_topic_arn):
            return
        dropped = report.dropped
        alert = Alert(
            kind="enforcement-capacity",
            title=f"{len(dropped)} decisions do not fit the WAF sets and are not enforced",
            severity="high",
            fields={
                "groups": {g.group: len(g.dropped) for g in report.groups if g.dropped},
                "not enforced (shortest-lived first)": [d.value for d in reversed(dropped)][:100],
                "what to do": "raise BanShardsPerIpVersion, or shorten ban durations",
            },
        )
        publish(self.sns, self.settings.alerts_topic_arn, alert)
